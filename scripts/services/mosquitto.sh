#!/usr/bin/env bash
# A throwaway Mosquitto broker on loopback (anonymous, no persistence) for manual testing.
#   mosquitto.sh start [PORT]   starts it (default 1883) and prints HOST:PORT
#   mosquitto.sh stop           stops it
# The e2e tests and scripts/run start their own broker (tests/e2e/harness.py: Mosquitto).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${GALATEA_MOSQUITTO_DIR:-$ROOT/run/mosquitto-service}"
BIN="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
case "${1:-}" in
  start)
    port="${2:-1883}"
    [ -x "$BIN" ] || { echo "!! mosquitto is missing: bash scripts/services/system-packages.sh" >&2; exit 1; }
    mkdir -p "$DIR"
    if [ -f "$DIR/pid" ] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null; then
      cat "$DIR/address"; exit 0
    fi
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest file %s/mosquitto.log\n' \
      "$port" "$DIR" > "$DIR/mosquitto.conf"
    "$BIN" -c "$DIR/mosquitto.conf" -d
    for _ in $(seq 50); do
      pid="$(pgrep -n -f "mosquitto -c $DIR/mosquitto.conf" || true)"
      [ -n "$pid" ] && (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.1
    done
    [ -n "${pid:-}" ] || { echo "!! mosquitto did not start; see $DIR/mosquitto.log" >&2; exit 1; }
    echo "$pid" > "$DIR/pid"
    echo "127.0.0.1:$port" | tee "$DIR/address"
    ;;
  stop)
    if [ -f "$DIR/pid" ]; then kill "$(cat "$DIR/pid")" 2>/dev/null || true; rm -f "$DIR/pid"; fi
    ;;
  *)
    echo "usage: $0 start [PORT] | stop" >&2; exit 2 ;;
esac
