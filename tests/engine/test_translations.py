"""Every action has its services.yaml entry, name, description, field texts and icon; the
English translation holds the same keys as strings.json, in plain text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2] / "custom_components" / "galatea"


def _load(name: str) -> Any:
    text = (ROOT / name).read_text(encoding="utf-8")
    return yaml.safe_load(text) if name.endswith(".yaml") else json.loads(text)


def _keys(node: Any, prefix: str = "") -> set[str]:
    if not isinstance(node, dict):
        return {prefix}
    out: set[str] = set()
    for key, value in node.items():
        out |= _keys(value, f"{prefix}.{key}" if prefix else key)
    return out


def test_every_action_is_described_translated_and_has_an_icon() -> None:
    services = _load("services.yaml")
    strings = _load("strings.json")["services"]
    icons = _load("icons.json")["services"]
    assert {"forget_person", "export_person", "forget", "record_activity"} <= set(services)
    assert set(services) == set(strings) == set(icons)
    for name, spec in services.items():
        assert strings[name]["name"]
        assert strings[name]["description"]
        for field in (spec or {}).get("fields", {}):
            assert strings[name]["fields"][field]["name"], (name, field)
            assert strings[name]["fields"][field]["description"], (name, field)


def test_english_translation_matches_strings_in_plain_text() -> None:
    strings = _load("strings.json")
    english = _load("translations/en.json")
    assert _keys(strings) == _keys(english)
    assert "[%key:" not in (ROOT / "translations" / "en.json").read_text(encoding="utf-8")
    for key in ("database_full", "database_write_failed", "database_foreign",
                "database_too_new"):
        assert english["issues"][key] == strings["issues"][key]
    assert english["options"]["step"]["init"]["sections"]["advanced"]["data"]["webhook_remote"]


def test_every_error_code_an_action_can_raise_has_a_message() -> None:
    # services.py raises ``api_{code}`` for the engine's APIError codes and for the add-on's
    # HTTP error codes (it answers 400 bad_request for arguments it cannot read).
    import re

    sources = [
        *(ROOT / "engine").rglob("*.py"),
        ROOT.parents[1] / "addon" / "galatea_addon" / "server.py",
    ]
    codes: set[str] = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'APIError\(\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'_error\(\s*400,\s*"([a-z_]+)"', text))
    assert {"invalid", "not_found", "bad_request"} <= codes
    for name in ("strings.json", "translations/en.json"):
        exceptions = _load(name)["exceptions"]
        assert {f"api_{c}" for c in codes} <= set(exceptions), name
