"""Assist with the default agent (no LLM): answers on the simulated home, people, honesty.

The per-language corpus is in ``test_assist_corpus.py``; these tests pin single behaviours.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component

from custom_components.galatea.assist.language import load_language
from custom_components.galatea.assist.people import async_actor_name
from custom_components.galatea.assist.speech import Speech, uses_24h

from .conftest import setup_galatea
from .memory_support import NOW, TZ, routine_key, setup_simulated


async def _ask(hass: HomeAssistant, text: str, context: Context | None = None, *,
               language: str = "en", conversation_id: str | None = None) -> str:
    result = await conversation.async_converse(hass, text, conversation_id,
                                               context or Context(), language=language)
    assert result.response.response_type != intent.IntentResponseType.ERROR, text
    speech: str = result.response.speech["plain"]["speech"]
    return speech


@pytest.fixture
async def entry(hass: HomeAssistant, tmp_path: Path,
                simulated_db: tuple[Path, dict[str, Any]]) -> Any:
    return await setup_simulated(hass, tmp_path, simulated_db, conversation=True)


def _speech(language: str, twenty_four: bool | None = None) -> Speech:
    pack = load_language(language)
    return Speech(pack, TZ, uses_24h(language) if twenty_four is None else twenty_four)


def _routine_time(entry: Any, kind: str, person: str) -> str:
    key = routine_key(entry, kind, person)
    return str(next(r for r in entry.runtime_data.store.routines() if r.key == key).time)


async def test_usual_times_for_the_speaker(hass: HomeAssistant, entry: Any,
                                           hass_admin_user: Any) -> None:
    # The speaking user is linked to Grandma's person entity: "I" is Grandma.
    hass.states.async_set("person.grandma", "home", {"user_id": hass_admin_user.id,
                                                      "friendly_name": "Grandma"})
    ctx = Context(user_id=hass_admin_user.id)
    en = _speech("en")
    for sentence, kind, verb in (("When do I usually wake up?", "wake_up", "wakes up"),
                                 ("when do I usually go to bed", "go_to_bed", "goes to bed"),
                                 ("When do I usually get home?", "arrive_home", "gets home"),
                                 ("when do I usually leave", "leave_home", "leaves home")):
        speech = await _ask(hass, sentence, ctx)
        assert speech.startswith(f"Grandma usually {verb} around "), speech
        assert en.time(_routine_time(entry, kind, "person.grandma")) in speech, speech
        assert "Ben" not in speech
        assert "linked" not in speech


async def test_unlinked_speaker_hears_why_and_gets_the_household(hass: HomeAssistant,
                                                                 entry: Any) -> None:
    speech = await _ask(hass, "when do I usually wake up")
    assert speech.startswith("Your user isn't linked to a person, so here is the household.")
    for person in ("Anna", "Ben", "Grandma"):
        assert f"{person} usually wakes up around" in speech
    # weekend mornings: only the routines that hold at weekends
    weekend = await _ask(hass, "what time do I get up on weekends?")
    assert "area" not in weekend  # HA's area intent no longer takes it
    assert "Grandma usually wakes up" in weekend  # every day, so at weekends too
    assert "Anna" not in weekend  # Anna's wake-up routine is a weekday one
    later = await _ask(hass, "what happened this evening")  # asked at noon
    assert later == "Nothing I know of happened this evening."


async def test_named_people_and_the_household(hass: HomeAssistant, entry: Any) -> None:
    ben = await _ask(hass, "when does Ben usually go to bed")
    assert ben.startswith("Ben usually goes to bed around ")
    assert _speech("en").time(_routine_time(entry, "go_to_bed", "person.ben")) in ben

    grandma = await _ask(hass, "what are Grandma's routines")
    count = len([r for r in entry.runtime_data.store.routines()
                 if r.actor == "person.grandma" and r.status != "rejected"])
    assert grandma.startswith(f"Grandma has {count} routines: "), grandma
    assert "Ben" not in grandma
    assert "Anna" not in grandma
    assert "Grandma:" not in grandma  # no "Grandma Grandma ..." labels

    household = await _ask(hass, "what are our routines")
    assert household.startswith("I have learned ")
    assert "more." in household  # long lists are cut, not read out in full


async def test_last_times_and_timeline_name_their_subjects(hass: HomeAssistant,
                                                           entry: Any) -> None:
    left = await _ask(hass, "when did Ben last leave home")
    away = [e for e in entry.runtime_data.store.episodes(kind="away", actor="person.ben")
            if e.start <= NOW]
    assert left == f"Ben last left home yesterday at {_speech('en').time(
        max(e.start for e in away))}."

    door = await _ask(hass, "when was someone last at the front door")
    last_door = [ev for ev in entry.runtime_data.store.iter_activity(
        entity_id="binary_sensor.front_door") if ev.state == "on"][-1]
    assert door.startswith("Front door opened yesterday at ")
    assert _speech("en").time(last_door.ts) in door

    evening = await _ask(hass, "what happened yesterday evening")
    assert evening.startswith("Yesterday evening: ")
    assert "Ben was out" in evening  # outings are told, with who
    morning = await _ask(hass, "what happened yesterday morning")
    assert "everyone asleep" in morning  # the household's sleep, not "Someone slept"
    assert "Someone" not in morning


async def test_answers_in_the_askers_language_and_clock(hass: HomeAssistant,
                                                        entry: Any) -> None:
    wake = _routine_time(entry, "wake_up", "person.grandma")
    de = await _ask(hass, "Wann steht Grandma normalerweise auf?", language="de")
    assert de.startswith("Grandma steht meist ")
    assert f"gegen {_speech('de').time(wake)}" in de  # "jeden Tag gegen 6:12 Uhr"
    assert _speech("de").time(wake) in de
    assert "Uhr" in de
    gb = await _ask(hass, "when does Grandma usually get up", language="en-GB")
    assert _speech("en", twenty_four=True).time(wake) in gb
    assert "AM" not in gb
    assert "PM" not in gb
    kitchen = await _ask(hass, "what do you remember about the kitchen")
    assert kitchen.startswith("About kitchen: ")
    assert not re.search(r"\b\d\d:\d\d\b(?! [AP]M)", kitchen), kitchen  # one clock only
    evening = await _ask(hass, "Was ist gestern Abend passiert?", language="de")
    assert evening.startswith("Gestern Abend: ")
    assert "Fernsehen" in evening  # the engine's session labels, in the asker's language
    assert "watching TV" not in evening
    fr = await _ask(hass, "Quand est-ce que Grandma se lève ?", language="fr")
    assert _speech("fr").time(wake) in fr
    assert " h " in fr


def test_time_format_follows_the_user_then_the_language() -> None:
    assert not uses_24h("en")
    assert uses_24h("en-GB")
    assert all(uses_24h(language) for language in ("de", "nl", "fr", "es"))
    assert uses_24h("en", "24")
    assert not uses_24h("de", "12")
    assert uses_24h("de", "language")


async def test_follow_ups_within_a_conversation(hass: HomeAssistant, entry: Any) -> None:
    result = await conversation.async_converse(hass, "when does Grandma usually get up",
                                               None, Context(), language="en")
    cid = result.conversation_id
    ben = await _ask(hass, "and Ben?", conversation_id=cid)
    assert ben.startswith("Ben usually wakes up around ")
    lone = await _ask(hass, "and Ben?")  # a new conversation: nothing to follow up on
    assert lone.startswith("Ask me something first")


async def test_new_people_are_understood(hass: HomeAssistant, entry: Any) -> None:
    hass.states.async_set("person.zoe", "home", {"friendly_name": "Zoë"})
    await hass.async_block_till_done()
    speech = await _ask(hass, "when does Zoë usually get up")
    assert speech.startswith("I haven't learned when Zoë wakes up yet. Here is the household: ")
    assert "Grandma usually wakes up around" in speech


async def test_nothing_learned_yet_says_how_long(hass: HomeAssistant, tmp_path: Path) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    await setup_galatea(hass, tmp_path)
    speech = await _ask(hass, "when does the household usually get up")
    assert speech == ("I haven't learned when the household wakes up yet. I need about 4 more "
                      "days of observations to learn routines.")
    de = await _ask(hass, "Was sind meine Routinen?", language="de")
    assert "noch etwa 4 Tage" in de


async def test_ids_are_never_spoken(hass: HomeAssistant, hass_admin_user: Any) -> None:
    assert await async_actor_name(hass, hass_admin_user.id, "someone") == hass_admin_user.name
    hass.states.async_set("person.anna_maria", "home", {"friendly_name": "Anna Maria",
                                                        "user_id": "abc123"})
    assert await async_actor_name(hass, "abc123", "someone") == "Anna Maria"
    assert await async_actor_name(hass, "person.ben_x", "someone") == "Ben X"
    assert await async_actor_name(hass, "0123456789abcdef0123456789abcdef",
                                  "someone") == "someone"
    assert await async_actor_name(hass, None, "someone") == "someone"


async def test_sentences_go_away_on_unload(hass: HomeAssistant, entry: Any) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    result = await conversation.async_converse(hass, "what are my routines", None, Context(),
                                               language="en")
    assert "routine" not in result.response.speech["plain"]["speech"].lower()


async def test_the_users_clock_setting_wins(hass: HomeAssistant, entry: Any,
                                            hass_admin_user: Any) -> None:
    """A user who chose the 24-hour clock in their profile hears 24-hour English times."""
    from homeassistant.components.frontend.storage import DATA_STORAGE, UserStore

    store = UserStore(hass, hass_admin_user.id)
    store.data = {"language": {"language": "en", "time_format": "24"}}
    loaded = hass.loop.create_future()
    loaded.set_result(store)
    hass.data.setdefault(DATA_STORAGE, {})[hass_admin_user.id] = loaded
    hass.config.components.add("frontend")
    speech = await _ask(hass, "when does Grandma usually get up",
                        Context(user_id=hass_admin_user.id))
    wake = _routine_time(entry, "wake_up", "person.grandma")
    assert _speech("en", twenty_four=True).time(wake) in speech
    assert "AM" not in speech


async def test_speaker_with_nothing_learned_gets_the_household(
        hass: HomeAssistant, entry: Any, hass_admin_user: Any) -> None:
    """As on a real install: onboarding links the owner to a person Galatea knows nothing of."""
    hass.states.async_set("person.owner", "home", {"user_id": hass_admin_user.id,
                                                    "friendly_name": "Owner"})
    await hass.async_block_till_done()
    speech = await _ask(hass, "when do I usually wake up", Context(user_id=hass_admin_user.id))
    assert speech.startswith("I haven't learned when Owner wakes up yet. Here is the household:")
    for person in ("Anna", "Ben", "Grandma"):
        assert re.search(rf"{person} usually wakes up around \d{{1,2}}:\d\d [AP]M", speech)
    routines = await _ask(hass, "what are my routines", Context(user_id=hass_admin_user.id))
    assert routines.startswith("I haven't learned any routines for Owner yet. I have learned ")
    last = await _ask(hass, "when did I last get up", Context(user_id=hass_admin_user.id))
    assert "Here is the household:" in last
    assert "last got up" in last
