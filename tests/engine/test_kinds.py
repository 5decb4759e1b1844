"""The registry of kinds: every main routine kind is declared once, and what HA shows of it
(icons, translations, Assist, the LLM tools) exists for each."""

from __future__ import annotations

import json
from pathlib import Path

from custom_components.galatea.engine import kinds
from custom_components.galatea.engine.api import kind_from_text
from custom_components.galatea.engine.memory import phrases

INTEGRATION = Path(__file__).resolve().parents[2] / "custom_components" / "galatea"


def test_each_kind_is_declared_once_in_the_order_of_a_day() -> None:
    assert kinds.MAIN_KINDS == ("wake_up", "leave_home", "arrive_home", "go_to_bed")
    assert len(set(kinds.MAIN_KINDS)) == len(kinds.MAIN_KINDS)
    # Each edge of each episode is one kind.
    edges = {(k.episode, k.edge) for k in kinds.ROUTINE_KINDS}
    assert edges == {("sleep", "start"), ("sleep", "end"), ("away", "start"), ("away", "end")}


def test_words_derive_from_the_registry() -> None:
    for kind in kinds.ROUTINE_KINDS:
        assert phrases.ROUTINE_VERBS[kind.key] == kind.verb
        assert phrases.DAY_VERBS[kind.key] == kind.state
        assert kind_from_text(kind.key) == kind.key
        for word in kind.words:
            assert kind_from_text(f"when did I {word}") == kind.key, word


def test_icons_and_translations_exist_for_every_kind() -> None:
    icons = json.loads((INTEGRATION / "icons.json").read_text("utf-8"))["entity"]["sensor"]
    for kind in kinds.ROUTINE_KINDS:
        assert icons[kind.translation_key]["default"] == kind.icon
    for path in (INTEGRATION / "translations").glob("*.json"):
        sensors = json.loads(path.read_text("utf-8"))["entity"]["sensor"]
        for kind in kinds.ROUTINE_KINDS:
            assert sensors[kind.translation_key]["name"], (path.name, kind.key)
