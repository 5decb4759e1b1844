"""Assemble the add-on image's Docker build context from this repository.

    python scripts/tools/addon_context.py OUT_DIR
    python scripts/tools/addon_context.py --github-output


OUT_DIR gets a copy of ``addon/`` plus ``wheels/galatea_home_engine-VERSION-py3-none-any.whl``,
the engine built from this repository's own source (``custom_components/galatea/engine`` through
pyproject.toml) at the add-on's version. The release workflow builds the images from OUT_DIR;
tests/release installs from it exactly as the Dockerfile does. The wheel is built from a copy of
the few files it needs, so the working tree is left untouched; with ``SOURCE_DATE_EPOCH`` set
(the workflow uses the commit time) the wheel is reproducible. ``--github-output`` prints what
the image workflow needs from addon/config.yaml (version, image, architectures) as ``key=value``
lines for ``$GITHUB_OUTPUT``.

The wheel is built with ``uv build`` when uv is found (``GALATEA_UV`` or PATH), else with
``python -m pip wheel``; either fetches the build backend (setuptools) from the package index.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIST_NAME = "galatea-home-engine"
WHEEL_PREFIX = DIST_NAME.replace("-", "_")
# What the engine wheel is built from; nothing else of the repository goes in.
WHEEL_SOURCES = ("pyproject.toml", "README.md", "LICENSE", "custom_components/galatea/engine")


class ContextError(RuntimeError):
    """The repository is not in a state an image can be built from."""


def addon_version(root: Path = ROOT) -> str:
    """The add-on's version, read from addon/config.yaml (a plain `version: "X"` line)."""
    text = (root / "addon" / "config.yaml").read_text(encoding="utf-8")
    match = re.search(r'^version:\s*"([^"]+)"\s*$', text, re.M)
    if not match:
        raise ContextError('addon/config.yaml has no `version: "..."` line')
    return match.group(1)


def image_info(root: Path = ROOT) -> dict[str, str]:
    """Version, registry prefix, image name and architectures (JSON list) of the add-on image."""
    text = (root / "addon" / "config.yaml").read_text(encoding="utf-8")
    image = re.search(r"^image:\s*\"?([^\s\"]+)\"?\s*$", text, re.M)
    arch = re.search(r"^arch:\s*\n((?:\s+-\s*\S+\s*\n)+)", text, re.M)
    if not image or not arch:
        raise ContextError("addon/config.yaml needs `image:` and an `arch:` list")
    prefix, _, name = image.group(1).rpartition("/")
    architectures = re.findall(r"-\s*(\S+)", arch.group(1))
    return {"version": check_versions(root), "registry_prefix": prefix, "image_name": name,
            "architectures": json.dumps(architectures, separators=(",", ":"))}


def check_versions(root: Path = ROOT) -> str:
    """The one version every place carries; raises if any disagrees."""
    version = addon_version(root)
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    manifest = json.loads(
        (root / "custom_components" / "galatea" / "manifest.json").read_text(encoding="utf-8"))
    found = {"addon/config.yaml": version, "pyproject.toml": project["version"],
             "custom_components/galatea/manifest.json": manifest["version"]}
    if project["name"] != DIST_NAME:
        raise ContextError(f"pyproject.toml names the distribution {project['name']!r}, "
                           f"expected {DIST_NAME!r}")
    if len(set(found.values())) != 1:
        raise ContextError(f"versions disagree: {found}")
    return version


def _wheel_command(src: Path, out: Path, uv: str | None = None) -> list[str]:
    uv = uv or os.environ.get("GALATEA_UV") or shutil.which("uv")
    if uv:
        return [uv, "build", "--wheel", "--quiet", "--out-dir", str(out), str(src)]
    return [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
            str(out), str(src)]


def build_engine_wheel(out: Path, root: Path = ROOT, uv: str | None = None) -> Path:
    """Build the engine wheel from a copy of its sources into ``out``; return its path."""
    version = check_versions(root)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="galatea-wheel-") as tmp:
        src = Path(tmp) / "src"
        for name in WHEEL_SOURCES:
            source = root / name
            if source.is_dir():
                shutil.copytree(source, src / name,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                (src / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, src / name)
        built = Path(tmp) / "dist"
        subprocess.run(_wheel_command(src, built, uv), check=True)
        wheels = sorted(built.glob(f"{WHEEL_PREFIX}-{version}-*.whl"))
        if len(wheels) != 1:
            raise ContextError(f"expected one {WHEEL_PREFIX}-{version} wheel, got "
                               f"{sorted(p.name for p in built.iterdir())}")
        target = out / wheels[0].name
        shutil.copy2(wheels[0], target)
    return target


def assemble(out: Path, root: Path = ROOT, uv: str | None = None) -> Path:
    """Write the build context to ``out`` (which must not exist or be empty)."""
    if out.exists() and any(out.iterdir()):
        raise ContextError(f"{out} is not empty")
    shutil.copytree(root / "addon", out, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "wheels"))
    build_engine_wheel(out / "wheels", root, uv)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if argv[0] == "--github-output":
            for key, value in image_info().items():
                print(f"{key}={value}")
            return 0
        out = assemble(Path(argv[0]).resolve())
    except ContextError as err:
        print(f"addon_context: {err}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
