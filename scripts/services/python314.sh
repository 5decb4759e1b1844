#!/usr/bin/env bash
# Provisions CPython 3.14 into a private folder on a Debian machine that ships none (Debian 12).
#
# Uses the machine's own Debian mirror (read from its apt sources) with the `sid` suite through a
# private apt configuration: the system's package lists, cache and status are never touched.
# The packages are unpacked with `dpkg -x`; the interpreter is pointed at the unpacked glibc with
# patchelf (Debian 12's glibc is too old for sid's build). Usage: python314.sh PREFIX
set -euo pipefail
PREFIX="${1:?usage: python314.sh PREFIX}"
[ "$(uname -m)" = "x86_64" ] || { echo "python314.sh: only x86_64 is provisioned this way" >&2; exit 1; }
WORK="$(dirname "$PREFIX")/python3.14-apt"
mkdir -p "$WORK"/{lists/partial,archives/partial,preferences.d} "$PREFIX"
: >"$WORK/status"

mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror="$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$f")"
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror="$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)"
fi
[ -n "$mirror" ] || { echo "python314.sh: no Debian mirror in the apt sources" >&2; exit 1; }
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" >"$WORK/sources.list"

apt_private=(
  -o "Dir::Etc::SourceList=$WORK/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o Dir::Etc::Preferences=/dev/null -o "Dir::Etc::PreferencesParts=$WORK/preferences.d"
  -o "Dir::State::Lists=$WORK/lists" -o "Dir::State::status=$WORK/status"
  -o "Dir::Cache=$WORK" -o "Dir::Cache::archives=$WORK/archives" -o Debug::NoLocking=1
  -o APT::Architecture=amd64
)
echo ">> provisioning Python 3.14 from Debian sid into $PREFIX (about 20 MB)"
apt-get "${apt_private[@]}" -qq update >/dev/null
apt-get "${apt_private[@]}" -qq -y -d --no-install-recommends install python3.14 python3.14-venv >/dev/null
# The headers alone (not sid's libc headers), for the few HA requirements that build from source.
(cd "$WORK/archives" && apt-get "${apt_private[@]}" -qq download libpython3.14-dev >/dev/null)

if ! command -v patchelf >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq patchelf >/dev/null
fi
for deb in "$WORK"/archives/*.deb; do dpkg -x "$deb" "$PREFIX"; done
libdir="$PREFIX/usr/lib/x86_64-linux-gnu"
# DT_RPATH (not RUNPATH) so that extension modules loaded later find the same libraries.
patchelf --set-interpreter "$libdir/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$libdir" \
  "$PREFIX/usr/bin/python3.14"
"$PREFIX/usr/bin/python3.14" -c 'import ssl, sqlite3, ctypes, zoneinfo, lzma, bz2, decimal, sys; print(">> Python", sys.version.split()[0], "ready")'
rm -rf "$WORK"
