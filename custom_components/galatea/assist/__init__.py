"""Assist without an LLM: Galatea's questions in five languages, answered from its statistics.

How the sentences reach Home Assistant's default conversation agent
--------------------------------------------------------------------
The sentences are data in HA's own intents format (``sentences/<lang>.yaml``: ``intents``,
``lists``, ``expansion_rules``; read in the executor). HA 2026.10/2026.11 give a custom
integration three ways in, and only one is public and fits:

- ``<config>/custom_sentences/<lang>/`` is the user's folder; an integration writing into it
  would leave files behind after removal and overwrite the user's own.
- ``AgentManager.update_config_intents`` replaces *all* of ``conversation: intents:`` from
  ``configuration.yaml`` (one dict, no owner) and has no lists or rules either.
- ``AgentManager.register_trigger(sentences, callback)`` (behind ``get_agent_manager``; the
  ``conversation`` automation trigger uses it) adds and removes sentences per caller. The
  default agent matches trigger sentences *before* its own intents, so "what time do I get
  up on weekends" can no longer fall into HA's area intent; LLM agents that handle commands
  locally first (``async_handle_sentence_triggers``) reach them too.

Trigger sentences are bare templates: every ``{list}`` becomes a wildcard and there are no
expansion rules. So each language's templates are registered with rules and finite lists
(people, routine kinds, days, periods) written inline, and only the truly open slots (a
thing, a topic) stay wildcards in tightly worded sentences: a trigger never matches "turn on
the kitchen light" or "what time is it", which stay HA's. When a trigger fires, the same
sentence is recognised again with ``hassil`` against the language's real intents and lists to
get the intent and its slot values, and the matching ``intent.IntentHandler`` answers
(``intent.async_handle``), so the intents also serve ``intent_script``, custom sentences and
scripts. The people list comes from HA's ``person`` entities (names and aliases) plus the
people Galatea has learned routines for; the triggers are rebuilt when that list changes.

Follow-ups: HA keeps no intent context for sentence triggers, but a trigger's callback gets
the conversation id, so Galatea remembers the last question per conversation (a few minutes)
and reads "and Ben?" / "what about weekends?" against it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import probatio
from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import intent
from homeassistant.helpers.event import TrackStates, async_track_state_change_filtered

from ..backend import get_backend
from ..const import DOMAIN, LOGGER
from ..coordinator import get_api, get_coordinator
from ..data import GalateaConfigEntry
from ..engine.api import PERIODS, APIError
from . import answers
from .answers import Asked
from .language import LANGUAGES, LanguagePack, Person, load_languages
from .people import HOUSEHOLD, known_people, speaker_person
from .speech import Speech, uses_24h

INTENT_USUAL_TIME = "GalateaUsualTime"
INTENT_ROUTINES = "GalateaRoutines"
INTENT_LAST_TIME = "GalateaLastTime"
INTENT_TIMELINE = "GalateaTimeline"
INTENT_RECALL = "GalateaRecall"
INTENT_FOLLOW_UP = "GalateaFollowUp"
FOLLOW_UP_TTL_S = 300.0
FOLLOW_UP_MAX = 64


def base_language(language: str | None) -> str:
    return (language or "en").lower().replace("_", "-").split("-", 1)[0]


@dataclass(slots=True)
class Assist:
    """Galatea's Assist for one config entry: languages, people, triggers, follow-ups."""

    hass: HomeAssistant
    entry: GalateaConfigEntry
    packs: dict[str, LanguagePack]
    people: tuple[Person, ...] = ()
    unregister: list[Callable[[], None]] = field(default_factory=list)
    recent: OrderedDict[str, tuple[float, str, dict[str, Any]]] = field(
        default_factory=OrderedDict)

    def pack(self, language: str | None) -> LanguagePack:
        return self.packs.get(base_language(language)) or self.packs["en"]

    # -- people and triggers -----------------------------------------------------------------

    @callback
    def async_refresh_people(self) -> None:
        """Re-read the people; re-register the triggers when they changed."""
        actors: set[str] = set()
        coordinator = get_coordinator(self.entry)
        if coordinator.data is not None:
            actors = {str(r["person"]) for r in coordinator.data.routines.values()
                      if r.get("person")}
        people = known_people(self.hass, actors)
        if people == self.people and self.unregister:
            return
        self.people = people
        self.async_register_triggers()

    @callback
    def async_register_triggers(self) -> None:
        from homeassistant.components.conversation.agent_manager import get_agent_manager

        self.async_unregister_triggers()
        manager = get_agent_manager(self.hass)
        for language, pack in self.packs.items():
            sentences = pack.trigger_sentences(self.people)
            self.unregister.append(
                manager.register_trigger(sentences, self._trigger_callback(language)))

    @callback
    def async_unregister_triggers(self) -> None:
        while self.unregister:
            self.unregister.pop()()

    def _trigger_callback(self, language: str) -> Callable[[Any, Any], Any]:
        async def _on_sentence(user_input: Any, _result: Any) -> str | None:
            return await self.async_answer(language, user_input)

        return _on_sentence

    # -- answering ---------------------------------------------------------------------------

    async def async_answer(self, language: str, user_input: Any) -> str | None:
        """Recognise ``user_input`` in ``language`` and run the intent; None if another
        language's trigger is the better owner of the sentence."""
        pack = self.packs[language]
        asked_in = base_language(user_input.language)
        if asked_in != language and asked_in in self.packs and self.packs[asked_in].recognize(
                user_input.text, self.people) is not None:
            return None  # the asker's own language matched too: that callback answers
        match = pack.recognize(user_input.text, self.people)
        if match is None:
            return str(pack.phrase("error"))
        slots: dict[str, Any] = {}
        for name, ent in match.entities.items():
            value = ent.value.strip() if isinstance(ent.value, str) else ent.value
            slots[name] = {"value": value, "text": ent.text or str(value)}
        intent_type = match.intent.name
        conversation_id = _conversation_id(user_input)
        if intent_type == INTENT_FOLLOW_UP:
            previous = self._recall_turn(conversation_id)
            if previous is None:
                return str(pack.phrase("follow_up", "none"))
            intent_type, old = previous
            slots = {**old, **slots}
        self._remember_turn(conversation_id, intent_type, slots)
        speak_language = user_input.language if asked_in == language else language
        try:
            response = await intent.async_handle(
                self.hass, DOMAIN, intent_type, slots, user_input.text, user_input.context,
                speak_language,
            )
        except intent.IntentError as err:
            LOGGER.debug("Galatea intent %s failed: %s", intent_type, err)
            return str(pack.phrase("error"))
        speech: str = response.speech.get("plain", {}).get("speech", "")
        return speech

    def _remember_turn(self, conversation_id: str | None, intent_type: str,
                       slots: dict[str, Any]) -> None:
        if not conversation_id:
            return
        self.recent[conversation_id] = (time.monotonic(), intent_type, slots)
        self.recent.move_to_end(conversation_id)
        while len(self.recent) > FOLLOW_UP_MAX:
            self.recent.popitem(last=False)

    def _recall_turn(self, conversation_id: str | None
                     ) -> tuple[str, dict[str, Any]] | None:
        if not conversation_id or conversation_id not in self.recent:
            return None
        at, intent_type, slots = self.recent[conversation_id]
        if time.monotonic() - at > FOLLOW_UP_TTL_S:
            return None
        return intent_type, dict(slots)


# -- intent handlers ------------------------------------------------------------------------


def _conversation_id(user_input: Any) -> str | None:
    """The chat session's id (a first turn has none in ``user_input`` yet)."""
    from homeassistant.helpers.chat_session import current_session

    session = current_session.get()
    if session is not None:
        return str(session.conversation_id)
    value = getattr(user_input, "conversation_id", None)
    return str(value) if value else None


def _value(slots: dict[str, Any], name: str) -> str | None:
    value = slots.get(name, {}).get("value")
    return str(value).strip() if value not in (None, "") else None


class _GalateaIntent(intent.IntentHandler):
    """Shared plumbing: language, clock format, who is asked about, where answers read."""

    platforms = {DOMAIN}

    def __init__(self, assist: Assist) -> None:
        self.assist = assist

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        slots = self.async_validate_slots(intent_obj.slots)
        hass = intent_obj.hass
        pack = self.assist.pack(intent_obj.language)
        speech = Speech(pack, _tz(hass), uses_24h(
            intent_obj.language, await _time_format(hass, intent_obj.context)))
        try:
            text = await self.answer(hass, speech, slots, intent_obj.context)
        except APIError as err:
            LOGGER.debug("Galatea could not answer %s: %s", self.intent_type, err)
            text = str(pack.phrase("error"))
        response = intent_obj.create_response()
        response.async_set_speech(text)
        return response

    def asked(self, hass: HomeAssistant, slots: dict[str, Any], context: Context) -> Asked:
        """The person a question is about: named, "the household", or the speaker."""
        value = _value(slots, "person")
        if value == HOUSEHOLD:
            return Asked(None)
        if value:
            return Asked(resolve_person(hass, value, self.assist.people))
        speaker = speaker_person(hass, context)
        return Asked(speaker) if speaker else Asked(None, unlinked=True)

    async def run(self, fn: Callable[..., Awaitable[answers.Fetched]], *args: Any
                  ) -> answers.Fetched:
        entry = self.assist.entry
        return await fn(answers.Sources(self.assist.hass, get_backend(entry), get_api(entry)),
                        *args)

    async def answer(self, hass: HomeAssistant, speech: Speech, slots: dict[str, Any],
                     context: Context) -> str:
        raise NotImplementedError


def resolve_person(hass: HomeAssistant, name: str, people: tuple[Person, ...] = ()) -> str:
    """A slot value or a spoken name -> ``person.x`` (unknown names become ``person.<name>``)."""
    if name.startswith("person."):
        return name
    low = name.strip().casefold()
    for person in people:
        if any(low == n.casefold() for n in person.names):
            return person.value
    for state in hass.states.async_all("person"):
        if low in (state.name.casefold(), state.entity_id.split(".", 1)[1].replace("_", " ")):
            return state.entity_id
    return f"person.{low.replace(' ', '_')}"


# The slots of a question about someone: who (else the speaker) and on which days.
_ABOUT_SLOTS = {probatio.Optional("person"): intent.non_empty_string,
                probatio.Optional("days"): intent.non_empty_string}


class UsualTimeIntent(_GalateaIntent):
    intent_type = INTENT_USUAL_TIME
    description = "When a person (or the household) usually gets up, goes to bed, leaves or " \
                  "gets home, optionally on given days"
    slot_schema = {probatio.Required("kind"): probatio.In(answers.KINDS), **_ABOUT_SLOTS}

    async def answer(self, hass: HomeAssistant, speech: Speech, slots: dict[str, Any],
                     context: Context) -> str:
        kind = _value(slots, "kind") or ""
        asked = self.asked(hass, slots, context)
        fetched = await self.run(answers.fetch_usual, kind, asked)
        return await answers.async_usual(hass, speech, fetched, kind, asked,
                                         _value(slots, "days"))


class RoutinesIntent(_GalateaIntent):
    intent_type = INTENT_ROUTINES
    description = "The routines Galatea has learned for a person or the household"
    slot_schema = {**_ABOUT_SLOTS}

    async def answer(self, hass: HomeAssistant, speech: Speech, slots: dict[str, Any],
                     context: Context) -> str:
        asked = self.asked(hass, slots, context)
        fetched = await self.run(answers.fetch_routines, asked)
        return await answers.async_routines(hass, speech, fetched, asked)


class LastTimeIntent(_GalateaIntent):
    intent_type = INTENT_LAST_TIME
    description = "When someone last got up, went to bed, left or got home; or when something " \
                  "(a door, a room) was last used"
    slot_schema = {probatio.Optional("kind"): probatio.In(answers.KINDS),
                   probatio.Optional("what"): intent.non_empty_string,
                   probatio.Optional("someone"): probatio.Any(bool, str),
                   **_ABOUT_SLOTS}

    async def answer(self, hass: HomeAssistant, speech: Speech, slots: dict[str, Any],
                     context: Context) -> str:
        kind = _value(slots, "kind")
        if kind:
            asked = self.asked(hass, slots, context)
            fetched = await self.run(answers.fetch_last_kind, kind, asked)
            return await answers.async_last_kind(hass, speech, fetched, kind, asked)
        spoken = _value(slots, "what") or ""
        entity_id, name = find_entity(hass, spoken)
        fetched = await self.run(answers.fetch_last_what, spoken, entity_id)
        return await answers.async_last_what(hass, speech, fetched, spoken, name)


class TimelineIntent(_GalateaIntent):
    intent_type = INTENT_TIMELINE
    description = "What happened in a period (today, yesterday evening, last night...)"
    slot_schema = {probatio.Required("period"): probatio.In(PERIODS),
                   probatio.Optional("self"): probatio.Any(bool, str),
                   **_ABOUT_SLOTS}

    async def answer(self, hass: HomeAssistant, speech: Speech, slots: dict[str, Any],
                     context: Context) -> str:
        period = _value(slots, "period") or "today"
        if _value(slots, "person"):
            asked = self.asked(hass, slots, context)
        else:
            asked = Asked(None)  # "what happened": the whole home, whoever asks
            if slots.get("self", {}).get("value"):
                asked = self.asked(hass, {}, context)
        fetched = await self.run(answers.fetch_timeline, period, asked)
        return await answers.async_timeline(hass, speech, fetched, period, asked)


class RecallIntent(_GalateaIntent):
    intent_type = INTENT_RECALL
    description = "What Galatea remembers about a topic, room or person"
    slot_schema = {probatio.Required("topic"): intent.non_empty_string}

    async def answer(self, hass: HomeAssistant, speech: Speech, slots: dict[str, Any],
                     context: Context) -> str:
        topic = _value(slots, "topic") or ""
        fetched = await self.run(answers.fetch_recall, topic)
        return answers.recall_text(speech, fetched, topic)


HANDLERS = (UsualTimeIntent, RoutinesIntent, LastTimeIntent, TimelineIntent, RecallIntent)


def find_entity(hass: HomeAssistant, spoken: str) -> tuple[str | None, str | None]:
    """An entity whose name or alias is ``spoken`` (any language): (entity_id, name)."""
    low = " ".join(spoken.casefold().split())
    if not low:
        return None, None
    registry = er.async_get(hass)
    for state in hass.states.async_all():
        names = [state.name]
        if (entry := registry.async_get(state.entity_id)) is not None:
            names.extend(a for a in entry.aliases if isinstance(a, str))
        for name in names:
            if " ".join(name.casefold().split()) == low:
                return state.entity_id, spoken
    return None, None


def _prepare(packs: dict[str, LanguagePack]) -> None:
    for pack in packs.values():
        pack.recognize("warm up", ())


def _tz(hass: HomeAssistant) -> Any:
    from homeassistant.util import dt as dt_util

    return dt_util.get_default_time_zone()


async def _time_format(hass: HomeAssistant, context: Context | None) -> str | None:
    """The speaking user's clock setting in the frontend ("12", "24"), if they chose one."""
    user_id = context.user_id if context else None
    if not user_id or "frontend" not in hass.config.components:
        return None
    try:
        from homeassistant.components.frontend.storage import async_user_store

        store = await async_user_store(hass, user_id)
    except (ImportError, OSError, ValueError) as err:
        LOGGER.debug("No frontend settings for the speaking user: %s", err)
        return None
    for key in ("language", "locale"):
        value = store.data.get(key)
        if isinstance(value, dict) and str(value.get("time_format")) in ("12", "24"):
            return str(value["time_format"])
    return None


async def async_setup_feature(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> Callable[[], None] | None:
    """Load the languages (executor), register the intents and, with ``conversation``
    loaded, the sentence triggers; everything is removed again on unload."""
    packs = await hass.async_add_executor_job(load_languages)
    assist = Assist(hass, entry, packs)
    for handler_cls in HANDLERS:
        intent.async_register(hass, handler_cls(assist))
    unsubs: list[Callable[[], None]] = []
    if "conversation" in hass.config.components:
        # parse the templates off the event loop (hassil parses them on first use)
        await hass.async_add_executor_job(_prepare, packs)
        assist.async_refresh_people()
        unsubs.append(get_coordinator(entry).async_add_listener(assist.async_refresh_people))

        @callback
        def _people_changed(event: Event[Any]) -> None:
            if event.event_type == "state_changed":
                old, new = event.data.get("old_state"), event.data.get("new_state")
                if old is not None and new is not None and old.name == new.name:
                    return
            assist.async_refresh_people()

        tracker = async_track_state_change_filtered(
            hass, TrackStates(False, set(), {"person"}), _people_changed)
        unsubs.append(tracker.async_remove)

        @callback
        def _registry_filter(data: Any) -> bool:
            return str(data.get("entity_id", "")).startswith("person.")

        unsubs.append(hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED,
                                            _people_changed, event_filter=_registry_filter))
    else:
        LOGGER.debug("Conversation is not set up: Galatea's Assist sentences are off")

    @callback
    def _unload() -> None:
        for unsub in unsubs:
            unsub()
        assist.async_unregister_triggers()
        for handler_cls in HANDLERS:
            intent.async_remove(hass, handler_cls.intent_type)

    return _unload


__all__ = ["LANGUAGES", "Assist", "async_setup_feature", "resolve_person"]
