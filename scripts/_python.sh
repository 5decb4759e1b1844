# Sourced by the other scripts: finds (or provisions) Python 3.14 and prepares the project's venvs.
#
# Two environments, pinned here so that bumping Home Assistant is one edit:
#   .venv     the whole test suite, on the newest HA the test harness supports;
#   .venv-ha  the newest HA release, for the end-to-end tests' real `hass` and for scripts/run.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GALATEA_VENV:-$ROOT/.venv}"
VENV_HA="${GALATEA_VENV_HA:-$ROOT/.venv-ha}"
CACHE="$ROOT/.cache"
HARNESS_HA_VERSION="2026.10.4"   # pinned by pytest-homeassistant-custom-component 0.13.375
HA_VERSION="2026.11.0"           # the newest release: end-to-end tests and the run command
UV_VERSION="0.13.8"
PY_MIN="3.14.2"
# default_config's members and what Galatea works with (after_dependencies in its manifest).
HA_COMPONENTS="default_config conversation mqtt recorder webhook http frontend hassio assist_pipeline infrared radio_frequency ollama"

_py_ok() {  # is "$1" a Python >= 3.14.2 that can make venvs?
  "$1" -c "import sys, ssl, sqlite3; sys.exit(sys.version_info < (3, 14, 2))" >/dev/null 2>&1
}

find_python314() {
  local p
  for p in "${GALATEA_PYTHON:-}" "$(command -v python3.14 2>/dev/null || true)" \
           /usr/bin/python3.14 /usr/local/bin/python3.14; do
    [ -n "$p" ] && [ -x "$p" ] && _py_ok "$p" && { echo "$p"; return; }
  done
  if command -v pyenv >/dev/null 2>&1; then
    for p in "$(pyenv root)"/versions/3.14*/bin/python3.14; do
      [ -x "$p" ] && _py_ok "$p" && { echo "$p"; return; }
    done
  fi
  if command -v uv >/dev/null 2>&1; then
    p="$(uv python find '>=3.14.2' 2>/dev/null || true)"
    [ -n "$p" ] && _py_ok "$p" && { echo "$p"; return; }
  fi
  p="$CACHE/python3.14/usr/bin/python3.14"
  [ -x "$p" ] && _py_ok "$p" && { echo "$p"; return; }
  return 1
}

ensure_python314() {
  local py
  if py="$(find_python314)"; then echo "$py"; return; fi
  if command -v uv >/dev/null 2>&1 && uv python install 3.14 >/dev/null 2>&1; then
    py="$(uv python find '>=3.14.2' 2>/dev/null || true)"
    [ -n "$py" ] && _py_ok "$py" && { echo "$py"; return; }
  fi
  # Debian without a 3.14: unpack the distribution's own packages into .cache (nothing system-wide).
  if command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then
    bash "$ROOT/scripts/services/python314.sh" "$CACHE/python3.14" >&2 || true
    py="$CACHE/python3.14/usr/bin/python3.14"
    [ -x "$py" ] && _py_ok "$py" && { echo "$py"; return; }
  fi
  {
    echo "Galatea needs Python >= $PY_MIN (Home Assistant $HA_VERSION requires it) and none was found."
    echo "Tried: GALATEA_PYTHON, python3.14 on PATH, pyenv, uv, and Debian's packages."
    echo "Install one (your distribution's python3.14, 'pyenv install 3.14', 'uv python install 3.14')"
    echo "or point GALATEA_PYTHON at it, then run again."
  } >&2
  exit 1
}

_boot_python() {  # any Python with pip, to fetch uv and read HA's wheel (a venv's may lack pip)
  local p
  for p in "$(command -v python3 2>/dev/null || true)" /usr/bin/python3 /usr/local/bin/python3 \
           "$(command -v python 2>/dev/null || true)"; do
    [ -n "$p" ] && [ -x "$p" ] && "$p" -m pip --version >/dev/null 2>&1 && { echo "$p"; return; }
  done
  echo "!! no Python with pip found to bootstrap uv (install python3-pip)" >&2
  return 1
}

_uv() {  # a pinned uv, kept in .cache (it is a static binary; any python3 can fetch it)
  local bin="$CACHE/uv/bin/uv"
  if [ ! -x "$bin" ]; then
    mkdir -p "$CACHE"
    local boot; boot="$(_boot_python)"
    "$boot" -m pip install -q --disable-pip-version-check --target "$CACHE/uv" "uv==$UV_VERSION" >&2
  fi
  "$bin" "$@"
}

_ha_constraints() {  # HA's own package_constraints.txt for version "$1", read from its wheel
  local version="$1" out="$CACHE/ha_constraints-$1.txt"
  if [ ! -s "$out" ]; then
    local tmp boot; tmp="$(mktemp -d)"; boot="$(_boot_python)"
    "$boot" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      --ignore-requires-python --python-version 3.14 "homeassistant==$version" -d "$tmp" >&2 2>/dev/null \
      || { echo "!! could not download homeassistant==$version to read its constraints" >&2; return 1; }
    "$PY" - "$tmp" "$out" <<'PY'
import glob, pathlib, sys, zipfile
whl = glob.glob(str(pathlib.Path(sys.argv[1]) / "homeassistant-*.whl"))[0]
text = zipfile.ZipFile(whl).read("homeassistant/package_constraints.txt").decode()
pathlib.Path(sys.argv[2]).write_text(text)
PY
    rm -rf "$tmp"
  fi
  echo "$out"
}

_make_venv() {  # _make_venv DIR REQUIREMENTS HA_VERSION
  local dir="$1" req="$2" version="$3" stamp="$1/.galatea-ready"
  if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$stamp" -nt "$req" ] \
     && [ "$stamp" -nt "$ROOT/scripts/_python.sh" ]; then
    return
  fi
  PY="$(ensure_python314)"
  echo ">> creating $dir with $PY (Home Assistant $version)" >&2
  rm -rf "$dir"
  _uv venv -q --python "$PY" "$dir" >&2
  local constraints; constraints="$(_ha_constraints "$version")"
  # A provisioned interpreter keeps its headers in its own prefix (pyconfig.h is multiarch there).
  local prefix; prefix="$("$PY" -c 'import sys; print(sys.base_prefix)')"
  export CPATH="$prefix/include${CPATH:+:$CPATH}"
  VIRTUAL_ENV="$dir" _uv pip install -q -c "$constraints" -r "$req" >&2
  # What HA would pip-install at run time for the components a real home (and the tests) load.
  "$dir/bin/python" "$ROOT/scripts/tools/component_requirements.py" $HA_COMPONENTS >"$dir/.ha-components.txt"
  VIRTUAL_ENV="$dir" _uv pip install -q -c "$constraints" -r "$dir/.ha-components.txt" >&2
  VIRTUAL_ENV="$dir" _uv pip install -q --no-deps -e "$ROOT" >&2
  touch "$stamp"
}

ensure_venv() {  # the test suite's environment
  _make_venv "$VENV" "$ROOT/requirements_test.txt" "$HARNESS_HA_VERSION"
}

ensure_venv_ha() {  # the newest HA, for end-to-end tests and the run command
  _make_venv "$VENV_HA" "$ROOT/requirements_ha.txt" "$HA_VERSION"
}
