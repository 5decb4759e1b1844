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


def test_the_card_learns_the_kinds_from_list_routines() -> None:
    """list_routines answers the registry's kinds (the card draws from them), and every kind
    has the card's words in each of its languages (its fallback list is the registry's too)."""
    import re
    from datetime import UTC, datetime
    from unittest.mock import MagicMock

    from custom_components.galatea.engine.api import GalateaAPI

    store = MagicMock()
    store.routines.return_value = []
    api = GalateaAPI(store, UTC, clock=lambda: datetime(2026, 1, 5, tzinfo=UTC))
    answer = api.routines()
    assert answer["kinds"] == [
        {"key": k.key, "episode": k.episode, "edge": k.edge, "icon": k.icon}
        for k in kinds.ROUTINE_KINDS
    ]
    card = (INTEGRATION / "frontend" / "galatea-routines-card.js").read_text("utf-8")
    assert "learnKinds(routines.kinds)" in card
    fallback = re.search(r"let KINDS = \[([^\]]*)\]", card)
    assert fallback is not None
    listed = [k.strip(' "') for k in fallback.group(1).split(",")]
    assert set(listed) == {*kinds.MAIN_KINDS, "habit"}
    for kind in kinds.ROUTINE_KINDS:
        assert card.count(f"kind_{kind.key}:") >= 5, kind.key  # en, nl, de, fr, es
