# Sourced by the other scripts: finds Python 3.13 and prepares the project venv.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GALATEA_VENV:-$ROOT/.venv}"
HA_VERSION="2025.4.4"

find_python313() {
  if command -v python3.13 >/dev/null 2>&1 && python3.13 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
    command -v python3.13; return
  fi
  if command -v pyenv >/dev/null 2>&1; then
    for p in "$(pyenv root)"/versions/3.13*/bin/python; do
      [ -x "$p" ] && { echo "$p"; return; }
    done
  fi
  for p in /usr/bin/python3.13 /usr/local/bin/python3.13; do
    [ -x "$p" ] && { echo "$p"; return; }
  done
  return 1
}

ensure_venv() {
  if [ -x "$VENV/bin/python" ] && [ -f "$VENV/.galatea-ready" ] \
     && [ "$VENV/.galatea-ready" -nt "$ROOT/requirements_test.txt" ]; then
    return
  fi
  local py
  if ! py="$(find_python313)"; then
    echo "Galatea needs Python 3.13 (Home Assistant $HA_VERSION does not run on older Pythons)." >&2
    echo "Install it (e.g. 'pyenv install 3.13.0' or your distribution's python3.13) and run again." >&2
    exit 1
  fi
  echo ">> creating $VENV with $py"
  [ -x "$VENV/bin/python" ] || "$py" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip 'uv==0.6.10'
  local cache="$ROOT/.cache"; mkdir -p "$cache"
  # HA's own constraints keep transitive packages at the versions HA was released with.
  if [ ! -f "$cache/ha_constraints.txt" ]; then
    "$VENV/bin/python" -m pip download -q --no-deps "homeassistant==$HA_VERSION" -d "$cache/wheels"
    "$VENV/bin/python" - "$cache" <<'PY'
import sys, zipfile, glob, pathlib
cache = pathlib.Path(sys.argv[1])
whl = glob.glob(str(cache / "wheels" / "homeassistant-*.whl"))[0]
text = zipfile.ZipFile(whl).read("homeassistant/package_constraints.txt").decode()
# pycares 5 breaks aiodns 3.2.0 (HA's DNS resolver) in a real hass run.
(cache / "ha_constraints.txt").write_text(text + "\npycares<5\n")
PY
  fi
  echo ">> installing Home Assistant $HA_VERSION and the test tools (about a minute)"
  VIRTUAL_ENV="$VENV" "$VENV/bin/uv" pip install -q -c "$cache/ha_constraints.txt" \
    -r "$ROOT/requirements_test.txt"
  VIRTUAL_ENV="$VENV" "$VENV/bin/uv" pip install -q --no-deps -e "$ROOT"
  touch "$VENV/.galatea-ready"
}
