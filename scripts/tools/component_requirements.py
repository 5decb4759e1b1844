"""Print the pip requirements of Home Assistant components and of everything they depend on.

HA installs a component's requirements at run time; a test run or a `hass --skip-pip` run must
have them beforehand. Usage: python component_requirements.py COMPONENT [COMPONENT ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import homeassistant.components as components


def requirements(names: list[str]) -> list[str]:
    root = Path(components.__path__[0])
    seen: set[str] = set()
    found: list[str] = []
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        manifest_path = root / name / "manifest.json"
        if not manifest_path.is_file():
            continue
        manifest = json.loads(manifest_path.read_text())
        found.extend(r for r in manifest.get("requirements", []) if r not in found)
        todo.extend(manifest.get("dependencies", []))
        todo.extend(manifest.get("after_dependencies", []))
    return sorted(found)


if __name__ == "__main__":
    print("\n".join(requirements(sys.argv[1:])))
