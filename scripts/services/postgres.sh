#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for the store's tests.
#   postgres.sh start  -> initdb + start under ${TMPDIR:-/tmp}/galatea-pg-<uid>, create galatea_test,
#                         print ONLY the SQLAlchemy URL on stdout (logs go to stderr)
#   postgres.sh stop   -> stop the server and remove the cluster
#   postgres.sh url    -> print the URL of a running cluster
# Uses Debian's binaries (/usr/lib/postgresql/<ver>/bin). As root, the server runs as `postgres`.
set -euo pipefail

BASE="${TMPDIR:-/tmp}/galatea-pg-$(id -u)"
DATA="$BASE/data"
SOCK="$BASE/sock"
LOG="$BASE/server.log"
DB=galatea_test

log() { echo "postgres.sh: $*" >&2; }

find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  return 1
}

# Run a command as the cluster's owner (root may not run PostgreSQL).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- "$@"
    else
      su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

owner() { if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi; }

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

url() {
  local port
  port="$(cat "$BASE/port")"
  echo "postgresql+psycopg://$(owner)@127.0.0.1:${port}/${DB}"
}

start() {
  local bin port
  if ! bin="$(find_bin)"; then
    log "PostgreSQL server binaries not found (install Debian's 'postgresql' package:"
    log "  apt-get install -y postgresql)"
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    log "running as root but there is no 'postgres' user to run the server"
    exit 1
  fi
  if [ -f "$BASE/port" ] && as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    url
    return 0
  fi
  rm -rf "$BASE"
  mkdir -p "$SOCK"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres "$BASE"
    # The server user must be able to reach the folder: only ever ADD search permission.
    if ! as_owner test -x "$(dirname "$BASE")"; then
      chmod o+x "$(dirname "$BASE")" 2>/dev/null || true
    fi
  fi
  log "initdb in $DATA ($bin)"
  as_owner "$bin/initdb" -D "$DATA" -A trust -U "$(owner)" -E UTF8 --no-locale >"$BASE/initdb.log" 2>&1 \
    || { cat "$BASE/initdb.log" >&2; exit 1; }
  port="$(free_port)"
  echo "$port" >"$BASE/port"
  as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $SOCK -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >&2 || { cat "$LOG" >&2; exit 1; }
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$(owner)" "$DB" >&2
  log "server on 127.0.0.1:$port"
  url
}

stop() {
  local bin
  if [ -d "$DATA" ] && bin="$(find_bin)"; then
    as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
  fi
  rm -rf "$BASE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
