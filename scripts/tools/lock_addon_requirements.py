"""Re-lock addon/requirements.txt: the add-on image's third-party packages, pinned with hashes.

    python scripts/tools/lock_addon_requirements.py [--constraints FILE]

What is locked is what pyproject.toml declares for the engine and its `addon`, `llm` and
`postgres` extras, resolved for CPython 3.14 on musl Linux (the Home Assistant base-python images
are Alpine) for both architectures the add-on supports, wheels only, under Home Assistant's own
package constraints (default: ``.cache/ha_constraints-<HA_VERSION>.txt``, which
``scripts/_python.sh`` writes for the HA release it pins), so the add-on runs the same library
versions as the Home Assistant release it is tested with. The two architectures must resolve to
the same pins: one lock serves both images. Needs uv (``GALATEA_UV``, PATH or ``.cache/uv``) and
the package index.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "addon" / "requirements.txt"
EXTRAS = ("addon", "llm", "postgres")
PLATFORMS = ("x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl")
PYTHON = "3.14"
HEADER = """\
# The add-on image's third-party Python packages: pinned, with every file's sha256, wheels only.
# Installed by install.sh with --require-hashes --no-deps. Do not edit by hand: regenerate with
#   python scripts/tools/lock_addon_requirements.py
# (the engine's and its addon/llm/postgres extras' requirements from pyproject.toml, for CPython
# {python} on musl aarch64 and x86_64, under Home Assistant {ha}'s package constraints).
"""


def declared_requirements(root: Path = ROOT) -> list[str]:
    """The engine's requirements plus those of the extras the add-on uses, from pyproject.toml."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = list(project["dependencies"])
    for extra in EXTRAS:
        found += project["optional-dependencies"][extra]
    return found


def ha_version(root: Path = ROOT) -> str:
    text = (root / "scripts" / "_python.sh").read_text(encoding="utf-8")
    match = re.search(r'^HA_VERSION="([^"]+)"', text, re.M)
    if not match:
        raise SystemExit("scripts/_python.sh has no HA_VERSION")
    return match.group(1)


def _uv() -> str:
    for candidate in (os.environ.get("GALATEA_UV"), shutil.which("uv"),
                      str(ROOT / ".cache" / "uv" / "bin" / "uv")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit("uv not found (set GALATEA_UV, put it on PATH, or run scripts/test once)")


def compile_lock(requirements: list[str], constraints: Path, platform: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "requirements.in"
        source.write_text("\n".join(requirements) + "\n", encoding="utf-8")
        out = Path(tmp) / "lock.txt"
        subprocess.run(
            [_uv(), "pip", "compile", "--quiet", "--no-header", "--no-annotate",
             "--python-version", PYTHON, "--python-platform", platform,
             "--only-binary", ":all:", "--generate-hashes",
             "--constraint", str(constraints), "--output-file", str(out), str(source)],
            check=True,
        )
        return out.read_text(encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--constraints", type=Path, help="HA's package_constraints.txt")
    args = parser.parse_args(argv)
    ha = ha_version()
    constraints = args.constraints or ROOT / ".cache" / f"ha_constraints-{ha}.txt"
    if not constraints.is_file():
        raise SystemExit(f"{constraints} is missing: run scripts/run or the end-to-end tests once "
                         "(they write it), or pass --constraints")
    requirements = declared_requirements()
    locks = {platform: compile_lock(requirements, constraints, platform) for platform in PLATFORMS}
    if len(set(locks.values())) != 1:
        raise SystemExit("the architectures resolve differently; one lock cannot serve both:\n"
                         + "\n".join(f"--- {p}\n{t}" for p, t in locks.items()))
    LOCK.write_text(HEADER.format(python=PYTHON, ha=ha) + locks[PLATFORMS[0]], encoding="utf-8")
    print(f"wrote {LOCK.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
