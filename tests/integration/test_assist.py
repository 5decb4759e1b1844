"""Assist with the default agent (no LLM): each sentence through ``conversation.async_converse``."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent

from custom_components.galatea.engine.memory.phrases import spoken_time

from .memory_support import NOW, TZ, routine_key, setup_simulated


async def _ask(hass: HomeAssistant, text: str, context: Context | None = None) -> str:
    result = await conversation.async_converse(hass, text, None, context or Context(),
                                               language="en")
    assert result.response.response_type != intent.IntentResponseType.ERROR, text
    speech: str = result.response.speech["plain"]["speech"]
    return speech


@pytest.fixture
async def entry(hass: HomeAssistant, tmp_path: Path,
                simulated_db: tuple[Path, dict[str, Any]]) -> Any:
    return await setup_simulated(hass, tmp_path, simulated_db, conversation=True)


async def test_usual_times_for_the_speaker(hass: HomeAssistant, entry: Any,
                                           hass_admin_user: Any) -> None:
    # The speaking user is linked to Grandma's person entity: "I" is Grandma.
    hass.states.async_set("person.grandma", "home", {"user_id": hass_admin_user.id,
                                                      "friendly_name": "Grandma"})
    ctx = Context(user_id=hass_admin_user.id)
    store = entry.runtime_data.store
    for sentence, kind in (("When do I usually wake up?", "wake_up"),
                           ("when do I usually go to bed", "go_to_bed"),
                           ("When do I usually get home?", "arrive_home"),
                           ("when do I usually leave", "leave_home")):
        speech = await _ask(hass, sentence, ctx)
        key = routine_key(entry, kind, "person.grandma")
        routine = next(r for r in store.routines() if r.key == key)
        assert speech.startswith("Grandma usually"), speech
        assert spoken_time(routine.time) in speech, (sentence, speech)
        assert "Ben" not in speech


async def test_usual_time_household_and_named_person(hass: HomeAssistant, entry: Any) -> None:
    speech = await _ask(hass, "when do I usually wake up")  # no linked person: everyone
    for person in ("Anna", "Ben", "Grandma"):
        assert f"{person} usually wakes up" in speech
    ben = await _ask(hass, "when does Ben usually go to bed")
    assert ben.startswith("Ben usually goes to bed")
    key = routine_key(entry, "go_to_bed", "person.ben")
    routine = next(r for r in entry.runtime_data.store.routines() if r.key == key)
    assert spoken_time(routine.time) in ben


async def test_routines_and_last_times(hass: HomeAssistant, entry: Any,
                                       hass_admin_user: Any) -> None:
    hass.states.async_set("person.anna", "home", {"user_id": hass_admin_user.id})
    ctx = Context(user_id=hass_admin_user.id)
    speech = await _ask(hass, "what are my routines", ctx)
    count = len([r for r in entry.runtime_data.store.routines() if r.actor == "person.anna"])
    assert speech.startswith(f"You have {count} routines: ")

    left = await _ask(hass, "when did I last leave home", ctx)
    away = [e for e in entry.runtime_data.store.episodes(kind="away", actor="person.anna")
            if e.start <= NOW]
    last_start = max(e.start for e in away).astimezone(TZ)
    assert left.startswith("Anna last left home")
    assert spoken_time(last_start) in left

    door = await _ask(hass, "when was someone last at the front door")
    last_door = [ev for ev in entry.runtime_data.store.iter_activity(
        entity_id="binary_sensor.front_door") if ev.state == "on"][-1]
    assert door.startswith("Front door opened yesterday at ")
    assert spoken_time(last_door.ts.astimezone(TZ)) in door


async def test_what_happened_and_what_you_remember(hass: HomeAssistant, entry: Any) -> None:
    speech = await _ask(hass, "what happened yesterday evening")
    assert speech.startswith("Yesterday evening: ")
    times = [datetime.strptime(t, "%H:%M").time() for t in re.findall(r"\b(\d\d:\d\d)\b", speech)]
    assert times
    assert all(t.hour >= 17 or t.hour < 1 for t in times[:1]), speech

    kitchen = await _ask(hass, "what do you remember about the kitchen")
    assert kitchen.startswith("About the kitchen: ")
    assert "itchen" in kitchen[len("About the kitchen: "):]

    nothing = await _ask(hass, "what do you remember about the zeppelin hangar")
    assert nothing == "I don't remember anything about the zeppelin hangar."


async def test_sentences_go_away_on_unload(hass: HomeAssistant, entry: Any) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    result = await conversation.async_converse(hass, "what are my routines", None, Context(),
                                               language="en")
    assert "routine" not in result.response.speech["plain"]["speech"].lower()
