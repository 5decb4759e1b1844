"""The Assist corpus (``tests/fixtures/assist/<lang>.yaml``) through HA's real default agent.

Each question goes through ``conversation.async_converse`` with the default agent set up, in
one conversation per language (follow-ups refer to the question before). A spy on
``intent.async_handle`` records which Galatea intent ran with which slots; the answer is checked
for the words the corpus names, for the asked-about person's learned time in that language's
format, and for ids that must never be spoken. HA's own sentences ("what time is it") must
reach HA's intents, not Galatea's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_mock_service

from custom_components.galatea.assist.answers import day_numbers
from custom_components.galatea.assist.language import load_language
from custom_components.galatea.assist.speech import Speech, uses_24h
from custom_components.galatea.const import DOMAIN
from custom_components.galatea.engine.memory.phrases import days_match

from .memory_support import NOW, TZ, setup_simulated

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "assist"
LANGUAGES = ("en", "de", "nl", "fr", "es")
ALIASES = {"person.grandma": {"Granny", "Oma", "Mamie", "Abuela"}}
LIGHT_ALIASES = {"Kitchen light", "Küchenlicht", "keukenlicht", "lampe de la cuisine",
                 "luz de la cocina"}
DOOR_ALIASES = {"Haustür", "voordeur", "porte d'entrée", "puerta principal"}
ID_PATTERN = re.compile(r"person\.|[0-9a-f]{32}|\buser:", re.IGNORECASE)


def load_corpus(language: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CORPUS / f"{language}.yaml").read_text("utf-8"))
    return data


class IntentSpy:
    """Records the Galatea intents ``intent.async_handle`` runs (type and slot values)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        original = intent.async_handle

        async def spy(hass: HomeAssistant, platform: str, intent_type: str,
                      slots: dict[str, Any] | None = None, *args: Any,
                      **kwargs: Any) -> intent.IntentResponse:
            if platform == DOMAIN:
                self.calls.append((intent_type, {k: v.get("value")
                                                 for k, v in (slots or {}).items()}))
            return await original(hass, platform, intent_type, slots, *args, **kwargs)

        monkeypatch.setattr(intent, "async_handle", spy)


async def setup_home(hass: HomeAssistant, tmp_path: Path, simulated_db: Any) -> Any:
    """Galatea on the simulated home, HA's people with aliases, a kitchen light."""
    assert await async_setup_component(hass, "person", {"person": [
        {"id": "anna", "name": "Anna"}, {"id": "ben", "name": "Ben"},
        {"id": "grandma", "name": "Grandma"}]})
    entry = await setup_simulated(hass, tmp_path, simulated_db, conversation=True)
    registry = er.async_get(hass)
    for entity_id, aliases in ALIASES.items():
        registry.async_update_entity(entity_id, aliases=aliases)
    for entity_id, name, aliases in (("light.kitchen", "Kitchen light", LIGHT_ALIASES),
                                     ("binary_sensor.front_door", "Front door", DOOR_ALIASES)):
        domain, object_id = entity_id.split(".")
        entity = registry.async_get_or_create(domain, "test", object_id, original_name=name,
                                              suggested_object_id=object_id)
        registry.async_update_entity(entity.entity_id, aliases=aliases)
        hass.states.async_set(entity.entity_id, "off", {"friendly_name": name})
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def home(hass: HomeAssistant, tmp_path: Path, simulated_db: Any) -> Any:
    return await setup_home(hass, tmp_path, simulated_db)


def expected_times(entry: Any, speech: Speech, kind: str, person: str,
                   days: str | None) -> set[str]:
    """The spoken times of ``person``'s learned ``kind`` routines (for a day filter)."""
    wanted = day_numbers(days, NOW, TZ)
    rows = [r for r in entry.runtime_data.store.routines()
            if r.kind == kind and r.actor == person and r.status != "rejected"]
    if wanted is not None:
        rows = [r for r in rows if any(days_match(r.days, d) for d in wanted)] or rows
    return {speech.time(r.time) for r in rows}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_corpus(hass: HomeAssistant, home: Any, language: str,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = load_corpus(language)
    assert corpus["language"] == language
    questions = corpus["questions"]
    assert len(questions) >= 40
    pack = await hass.async_add_executor_job(load_language, language)
    speech = Speech(pack, TZ, uses_24h(language))
    spy = IntentSpy(monkeypatch)
    conversation_id: str | None = None
    misunderstood: list[str] = []
    wrong_answers: list[str] = []
    for question in questions:
        spy.calls.clear()
        result = await conversation.async_converse(
            hass, question["text"], conversation_id, Context(), language=language)
        conversation_id = result.conversation_id
        answer: str = result.response.speech["plain"]["speech"]
        got = spy.calls[-1] if spy.calls else None
        want = (question["intent"], {k: str(v) if not isinstance(v, bool) else v
                                     for k, v in (question.get("slots") or {}).items()})
        if got != want:
            misunderstood.append(f"{question['text']!r}: got {got}, want {want} -> {answer!r}")
            continue
        problems = [w for w in question.get("says", []) if w.lower() not in answer.lower()]
        if ID_PATTERN.search(answer):
            problems.append("an id is spoken")
        if answer == pack.phrase("error"):
            problems.append("error answer")
        slots = want[1]
        person = slots.get("person")
        if want[0] == "GalateaUsualTime" and isinstance(person, str) and person.startswith(
                "person."):
            times = expected_times(home, speech, slots["kind"], person, slots.get("days"))
            if not any(t in answer for t in times):
                problems.append(f"none of the learned times {sorted(times)}")
        if problems:
            wrong_answers.append(f"{question['text']!r} -> {answer!r}: {problems}")
    assert not misunderstood, "\n".join(misunderstood)
    assert not wrong_answers, "\n".join(wrong_answers)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_ha_sentences_stay_with_ha(hass: HomeAssistant, home: Any, language: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """HA's own sentences in each language reach HA's intents, never Galatea's."""
    calls = async_mock_service(hass, "light", "turn_on")
    async_mock_service(hass, "light", "turn_off")
    spy = IntentSpy(monkeypatch)
    for text in load_corpus(language)["not_ours"]:
        result = await conversation.async_converse(hass, text, None, Context(),
                                                   language=language)
        assert not spy.calls, (text, spy.calls)
        assert result.response.response_type != intent.IntentResponseType.ERROR, (
            text, result.response.speech)
    assert calls, "HA's own intent did not turn on the kitchen light"
