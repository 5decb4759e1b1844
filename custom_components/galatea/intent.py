"""Assist, no LLM needed: intents answered from Galatea's statistics, in short spoken English.

A custom integration cannot add sentences to HA's intents package, so the sentences are
registered with the default conversation agent as *sentence triggers*
(``DefaultAgent.register_trigger``, the mechanism behind the ``conversation`` automation
trigger). Each trigger's callback runs the matching ``intent.IntentHandler`` through
``intent.async_handle`` and returns its speech, so the same intents also serve other callers
(``intent_script``, scripts, tests). "I"/"my" resolve to the person linked to the speaking user,
else the whole household.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import probatio
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import intent

from .const import DOMAIN, LOGGER
from .coordinator import get_api
from .data import GalateaConfigEntry
from .engine.api import APIError, GalateaAPI
from .engine.memory.phrases import days_phrase, person_name, spoken_time

INTENT_USUAL_TIME = "GalateaUsualTime"
INTENT_ROUTINES = "GalateaRoutines"
INTENT_LAST_TIME = "GalateaLastTime"
INTENT_TIMELINE = "GalateaTimeline"
INTENT_RECALL = "GalateaRecall"

_WAKE = "(wake up|get up|wake|get out of bed)"
_BED = "(go to bed|go to sleep|fall asleep|turn in)"
_HOME = "(get home|come home|come back home|arrive home|get back home|get back)"
_LEAVE = "(leave|leave home|leave the house|go out|head out)"
USUAL_TIME_KINDS: dict[str, str] = {
    "wake_up": _WAKE, "go_to_bed": _BED, "arrive_home": _HOME, "leave_home": _LEAVE,
}
PERIOD_WORDS: dict[str, str] = {
    "yesterday_evening": "(yesterday evening|last evening|yesterday night)",
    "yesterday_morning": "yesterday morning",
    "yesterday_afternoon": "yesterday afternoon",
    "last_night": "(last night|overnight|during the night)",
    "this_morning": "this morning",
    "this_afternoon": "this afternoon",
    "this_evening": "(this evening|tonight)",
    "yesterday": "yesterday",
    "today": "today",
}


def usual_sentences(words: str) -> list[str]:
    return [
        f"when do I usually {words}",
        f"what time do I usually {words}",
        f"when do I normally {words}",
        f"what time do I normally {words}",
        f"when do we usually {words}",
        f"when does {{person}} usually {words}",
        f"what time does {{person}} usually {words}",
    ]


TRIGGERS: list[tuple[str, dict[str, Any], list[str]]] = [
    *[(INTENT_USUAL_TIME, {"kind": kind}, usual_sentences(words))
      for kind, words in USUAL_TIME_KINDS.items()],
    (INTENT_ROUTINES, {}, [
        "what are my routines", "what are our routines", "list my routines",
        "what routines do I have", "what routines have you learned",
        "what are {person}'s routines",
    ]),
    (INTENT_LAST_TIME, {"someone": True}, [
        "when was (someone|somebody|anyone|anybody) last (at|in|by) [the] {what}",
        "when did (someone|somebody|anyone|anybody) last (open|use|go to) [the] {what}",
    ]),
    (INTENT_LAST_TIME, {}, [
        "when did I last {what}", "when was the last time I {what}",
        "when did {person} last {what}",
    ]),
    *[(INTENT_TIMELINE, {"period": period}, [f"what happened {words}",
                                             f"what did I do {words}",
                                             f"what went on {words}"])
      for period, words in PERIOD_WORDS.items()],
    (INTENT_RECALL, {}, [
        "what do you remember about [the] {topic}", "what do you know about [the] {topic}",
        "tell me what you remember about [the] {topic}",
    ]),
]


def resolve_person(hass: HomeAssistant, context: Context | None, name: str | None) -> str | None:
    """A spoken name -> ``person.x``; no name -> the person linked to the speaking user."""
    persons = hass.states.async_all("person")
    if name:
        low = name.strip().lower()
        for st in persons:
            if low in (st.name.lower(), st.entity_id.split(".", 1)[1].replace("_", " ")):
                return st.entity_id
        return f"person.{low.replace(' ', '_')}"
    user_id = context.user_id if context else None
    if user_id:
        for st in persons:
            if st.attributes.get("user_id") == user_id:
                return st.entity_id
    return None


class _GalateaIntent(intent.IntentHandler):
    """Shared plumbing: find the API, resolve the person, run the query in the executor."""

    platforms = {DOMAIN}

    def __init__(self, entry: GalateaConfigEntry) -> None:
        self.entry = entry

    async def _answer(self, hass: HomeAssistant, fn: Callable[[], str]) -> str:
        try:
            return await hass.async_add_executor_job(fn)
        except APIError as err:
            return f"Sorry, {err}."

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        slots = self.async_validate_slots(intent_obj.slots)
        hass = intent_obj.hass
        api = get_api(self.entry)
        name = slots.get("person", {}).get("value")
        person = resolve_person(hass, intent_obj.context, name)
        speech = await self._answer(hass, lambda: self.speak(api, person, slots))
        response = intent_obj.create_response()
        response.async_set_speech(speech)
        return response

    def speak(self, api: GalateaAPI, person: str | None, slots: dict[str, Any]) -> str:
        raise NotImplementedError


def _value(slots: dict[str, Any], name: str) -> str | None:
    value = slots.get(name, {}).get("value")
    return str(value).strip() if value not in (None, "") else None


class UsualTimeIntent(_GalateaIntent):
    intent_type = INTENT_USUAL_TIME
    description = "When a person usually wakes up, goes to bed, leaves or gets home"
    slot_schema = {probatio.Required("kind"): intent.non_empty_string,
                   probatio.Optional("person"): intent.non_empty_string}

    def speak(self, api: GalateaAPI, person: str | None, slots: dict[str, Any]) -> str:
        kind = _value(slots, "kind") or ""
        result = api.usual_time(kind, person)
        if not result["found"] and person is not None:
            result = api.usual_time(kind, None)
        return str(result["text"])


class RoutinesIntent(_GalateaIntent):
    intent_type = INTENT_ROUTINES
    description = "List the routines Galatea has learned"
    slot_schema = {probatio.Optional("person"): intent.non_empty_string}

    def speak(self, api: GalateaAPI, person: str | None, slots: dict[str, Any]) -> str:
        rows = api.routines(person)["routines"] if person else []
        who_known = bool(rows)
        if not rows:
            rows = api.routines()["routines"]
        if not rows:
            return "I haven't learned any routines yet."
        parts = []
        for r in rows[:6]:
            who = "" if who_known else f"{person_name(r['person'])} " if r["person"] else ""
            label = str(r["label"] or r["kind"]).replace("_", " ")
            parts.append(f"{who}{label} around {spoken_time(r['time'])} {days_phrase(r['days'])}")
        more = f", and {len(rows) - 6} more" if len(rows) > 6 else ""
        intro = "You have" if who_known else "I know"
        noun = "routine" if len(rows) == 1 else "routines"
        return f"{intro} {len(rows)} {noun}: " + "; ".join(parts) + more + "."


class LastTimeIntent(_GalateaIntent):
    intent_type = INTENT_LAST_TIME
    description = "When something last happened (leaving home, the front door, a room)"
    slot_schema = {probatio.Required("what"): intent.non_empty_string,
                   probatio.Optional("person"): intent.non_empty_string,
                   probatio.Optional("someone"): probatio.Any(bool, str)}

    def speak(self, api: GalateaAPI, person: str | None, slots: dict[str, Any]) -> str:
        what = _value(slots, "what") or ""
        someone = bool(slots.get("someone", {}).get("value"))
        result = api.last_time(what, person=None if someone else person)
        if not result["found"] and person is not None and not someone:
            result = api.last_time(what)
        return str(result["text"])


class TimelineIntent(_GalateaIntent):
    intent_type = INTENT_TIMELINE
    description = "What happened in a period (yesterday evening, this morning...)"
    slot_schema = {probatio.Required("period"): intent.non_empty_string,
                   probatio.Optional("person"): intent.non_empty_string}

    def speak(self, api: GalateaAPI, person: str | None, slots: dict[str, Any]) -> str:
        period = _value(slots, "period") or "today"
        result = api.timeline(period=period, limit=8)
        items = result["items"]
        label = period.replace("_", " ")
        if not items:
            areas = list(result["activity"])[:3]
            if areas:
                return f"{label.capitalize()} there was activity in the " + ", ".join(
                    a.replace("_", " ") for a in areas) + "."
            return f"Nothing I know of happened {label}."
        return f"{label.capitalize()}: " + "; ".join(it["text"] for it in items[:5]) + "."


class RecallIntent(_GalateaIntent):
    intent_type = INTENT_RECALL
    description = "What Galatea remembers about a topic, room or person"
    slot_schema = {probatio.Required("topic"): intent.non_empty_string}

    def speak(self, api: GalateaAPI, person: str | None, slots: dict[str, Any]) -> str:
        topic = _value(slots, "topic") or ""
        hits = [m for m in api.recall(topic, 3)["memories"] if m["score"] > 0]
        if not hits:
            return f"I don't remember anything about the {topic}."
        return f"About the {topic}: " + "; ".join(m["text"] for m in hits) + "."


HANDLERS = (UsualTimeIntent, RoutinesIntent, LastTimeIntent, TimelineIntent, RecallIntent)


def _trigger_callback(hass: HomeAssistant, intent_type: str, fixed: dict[str, Any]) -> Any:
    async def _on_sentence(user_input: Any, result: Any) -> str | None:
        slots: dict[str, Any] = {k: {"value": v} for k, v in fixed.items()}
        for name, ent in result.entities.items():
            value = ent.value.strip() if isinstance(ent.value, str) else ent.value
            slots[name] = {"value": value, "text": ent.text}
        try:
            response = await intent.async_handle(
                hass, DOMAIN, intent_type, slots, user_input.text, user_input.context,
                user_input.language,
            )
        except intent.IntentError as err:
            LOGGER.debug("Galatea intent %s failed: %s", intent_type, err)
            return "Sorry, I couldn't answer that."
        speech: str = response.speech.get("plain", {}).get("speech", "")
        return speech

    return _on_sentence


@callback
def async_register_sentences(hass: HomeAssistant) -> Callable[[], None] | None:
    """Register the trigger sentences with the default agent through the conversation agent
    manager (HA's public trigger API; the default agent matches them before its own intents)."""
    from homeassistant.components.conversation.agent_manager import get_agent_manager

    manager = get_agent_manager(hass)
    unregs = [
        manager.register_trigger(sentences, _trigger_callback(hass, intent_type, fixed))
        for intent_type, fixed, sentences in TRIGGERS
    ]

    @callback
    def _unregister() -> None:
        for unreg in unregs:
            unreg()

    return _unregister


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Intent platform hook (HA's ``intent`` component imports this module as a platform).

    Nothing to do here: the handlers need the config entry, so ``async_setup_feature``
    registers them when Galatea is set up and removes them on unload."""


async def async_setup_feature(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> Callable[[], None] | None:
    """Register the intents, and their sentences once the conversation agent is there."""
    for handler_cls in HANDLERS:
        intent.async_register(hass, handler_cls(entry))
    unregister_sentences: Callable[[], None] | None = None
    if "conversation" in hass.config.components:
        unregister_sentences = async_register_sentences(hass)
    else:
        LOGGER.debug("Conversation is not set up: Galatea's Assist sentences are off")

    @callback
    def _unload() -> None:
        if unregister_sentences is not None:
            unregister_sentences()
        for handler_cls in HANDLERS:
            intent.async_remove(hass, handler_cls.intent_type)

    return _unload
