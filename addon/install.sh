#!/bin/sh
# The add-on image's Python environment, installed from the build context only:
#
#   install.sh PYTHON VERSION
#
# 1. requirements.txt: the third-party packages, every one pinned (==) with its sha256 hashes,
#    wheels only, no dependency resolution (--no-deps): exactly the locked set, nothing else.
# 2. galatea-home-engine==VERSION from wheels/ only (--no-index): the engine wheel built from this
#    repository at the add-on's version; a package index is never asked for it.
# 3. The add-on service (galatea_addon/) into the same site-packages.
# Then `pip check` proves the set is complete and consistent.
#
# The Dockerfile runs it with the image's python3; tests/release runs it in a clean venv.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
python="${1:?usage: install.sh PYTHON VERSION}"
version="${2:?usage: install.sh PYTHON VERSION (the add-on version)}"

"$python" -m pip install --no-cache-dir --disable-pip-version-check --no-input \
    --require-hashes --only-binary=:all: --no-deps \
    -r "$here/requirements.txt"

"$python" -m pip install --no-cache-dir --disable-pip-version-check --no-input \
    --no-index --find-links "$here/wheels" --only-binary=:all: --no-deps \
    "galatea-home-engine==$version"

site="$("$python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
rm -rf "$site/galatea_addon"
cp -R "$here/galatea_addon" "$site/galatea_addon"
find "$site/galatea_addon" -name '__pycache__' -prune -exec rm -rf {} +

"$python" -m pip check --disable-pip-version-check
"$python" -c "import galatea_addon, galatea_engine; assert galatea_addon.__version__ == '$version', galatea_addon.__version__"
