"""Answers to Galatea's intents, in the asker's language, from the engine's data.

``fetch_*`` ask the entry's engine backend (the engine in this process or the add-on) and read
the details the answers name (the event at a time, days observed) from the store in the
executor; the sentence is put together on the event loop (names of people and users are
resolved there, never spoken as ids).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant

from ..engine.api import GalateaAPI
from ..engine.backend import EngineBackend
from ..engine.kinds import MAIN_KINDS
from ..engine.memory.phrases import days_match
from ..engine.mining.routines import RoutineOptions
from .people import async_actor_name
from .speech import Speech

KINDS = MAIN_KINDS
MAX_PEOPLE = 4
MAX_ROUTINES = 6
MAX_ITEMS = 6


@dataclass(slots=True)
class Asked:
    """Who a question is about: one person, or the household (``person`` None)."""

    person: str | None
    unlinked: bool = False  # "I"/"my" from a user with no person: answered for the household


@dataclass(frozen=True, slots=True)
class Sources:
    """Where an answer reads: the engine backend for the engine's answers; the API in this
    process for its helpers (``now``, ``period_bounds``) and the store (in the executor)."""

    hass: HomeAssistant
    backend: EngineBackend
    api: GalateaAPI


@dataclass(slots=True)
class Fetched:
    """What was read for one answer: routines (``rows``, the household's instead), or one
    answer (``result``: last time, timeline or recall; the household's last time instead)."""

    now: datetime
    rows: Sequence[Mapping[str, Any]] = ()
    household: Sequence[Mapping[str, Any]] = ()
    result: Mapping[str, Any] = field(default_factory=dict)
    observed_days: int | None = None


def observed_days(api: GalateaAPI, now: datetime) -> int:
    """Days since the first recorded activity (the store; blocking)."""
    first = next(api.store.iter_activity(start=now - timedelta(days=366), end=now, batch=1),
                 None)
    if first is None:
        return 0
    days: int = (now - first.ts).days
    return max(0, days)


def days_needed(seen: int | None) -> int:
    return max(1, RoutineOptions().min_support_days - (seen or 0))


# -- usual time -------------------------------------------------------------------------------


def day_numbers(value: str | None, now: datetime, tz: Any) -> tuple[int, ...] | None:
    """Weekday numbers a spoken day filter covers (None: no filter)."""
    if not value:
        return None
    local = now.astimezone(tz)
    if value == "weekends":
        return (5, 6)
    if value == "weekdays":
        return (0, 1, 2, 3, 4)
    if value == "today":
        return (local.weekday(),)
    if value == "tomorrow":
        return ((local.weekday() + 1) % 7,)
    if value.isdigit():
        return (int(value) % 7,)
    return None


async def fetch_usual(src: Sources, kind: str, asked: Asked) -> Fetched:
    now = src.api.now()
    rows = [r for r in (await src.backend.routines(asked.person))["routines"]
            if r["kind"] == kind]
    fetched = Fetched(now=now, rows=rows)
    if not rows and asked.person is not None:
        # nothing for this person: the household's, told as such
        fetched.household = [r for r in (await src.backend.routines(None))["routines"]
                             if r["kind"] == kind]
    if not rows and not fetched.household:
        fetched.observed_days = await src.hass.async_add_executor_job(observed_days, src.api, now)
    return fetched


async def async_usual(hass: HomeAssistant, speech: Speech, fetched: Fetched, kind: str,
                      asked: Asked, day: str | None) -> str:
    rows = fetched.rows
    parts: list[str] = []
    if asked.unlinked:
        parts.append(speech.phrase("not_linked"))
    who_asked = await _who(hass, speech, asked.person)
    if not rows:
        verb = speech.phrase("usual", "verbs", kind)
        parts.append(speech.phrase("usual", "none", who=who_asked, verb=verb))
        if fetched.household:
            parts.append(speech.phrase("household_instead"))
            rows, asked = fetched.household, Asked(None)
        else:
            if (fetched.observed_days or 0) < RoutineOptions().min_support_days:
                parts.append(speech.phrase("days_needed",
                                           days=days_needed(fetched.observed_days)))
            return " ".join(parts)
    wanted = day_numbers(day, fetched.now, speech.tz)
    if wanted is not None:
        matching = [r for r in rows if any(days_match(r["days"], d) for d in wanted)]
        if matching:
            rows = matching
        else:
            parts.append(speech.phrase("usual", "not_on_days", days=speech.day_filter(day or "")))
    if asked.person is None and any(r["person"] for r in rows):
        rows = [r for r in rows if r["person"]]  # people first; household rows as fallback
    rows = sorted(rows, key=lambda r: (-r["support_days"], -r["confidence"]))
    groups: dict[str | None, list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["person"], []).append(r)
    sentences = []
    for actor, group in list(groups.items())[:MAX_PEOPLE]:
        who = (await async_actor_name(hass, actor, speech.phrase("someone")) if actor
               else speech.phrase("household_subject"))
        group = sorted(group[:3], key=lambda r: r["time"])
        times = speech.join([
            speech.phrase("usual", "item", time=speech.time(r["time"]),
                          days=speech.days(r["days"])).strip()
            for r in group
        ])
        sentences.append(speech.sentence(speech.phrase("usual", kind, who=who, times=times)))
    parts.append("; ".join(sentences) + ".")
    return " ".join(parts)


async def _who(hass: HomeAssistant, speech: Speech, person: str | None) -> str:
    if person is None:
        return speech.phrase("household")
    return await async_actor_name(hass, person, speech.phrase("someone"))


# -- routines ---------------------------------------------------------------------------------


async def fetch_routines(src: Sources, asked: Asked) -> Fetched:
    now = src.api.now()
    rows = (await src.backend.routines(asked.person))["routines"]
    fetched = Fetched(now=now, rows=rows)
    if not rows and asked.person is not None:
        fetched.household = (await src.backend.routines(None))["routines"]
    if not rows and not fetched.household:
        fetched.observed_days = await src.hass.async_add_executor_job(observed_days, src.api, now)
    return fetched


def _routine_what(speech: Speech, r: Mapping[str, Any], who: str | None) -> str:
    if r["kind"] in KINDS:
        return str(speech.phrase("kind_names", r["kind"]))
    label = str(r["label"] or r["kind"]).replace("_", " ")
    if who and label.casefold().startswith(f"{who.casefold()}:"):
        label = label[len(who) + 1:].strip()  # "Grandma: ..." said of Grandma
    return label


async def async_routines(hass: HomeAssistant, speech: Speech, fetched: Fetched,
                         asked: Asked) -> str:
    parts: list[str] = []
    if asked.unlinked:
        parts.append(speech.phrase("not_linked"))
    who = await _who(hass, speech, asked.person)
    rows = fetched.rows
    if not rows:
        parts.append(speech.phrase("routines", "none", who=who))
        if not fetched.household:
            if (fetched.observed_days or 0) < RoutineOptions().min_support_days:
                parts.append(speech.phrase("days_needed",
                                           days=days_needed(fetched.observed_days)))
            return " ".join(parts)
        rows, asked = fetched.household, Asked(None)
    ranked = sorted(rows, key=lambda r: (r["kind"] not in KINDS, r["person"] is None,
                                         -r["support_days"]))
    shown = sorted(ranked[:MAX_ROUTINES], key=lambda r: (str(r["person"]), r["time"]))
    items = []
    for r in shown:
        name = (await async_actor_name(hass, r["person"], speech.phrase("someone"))
                if r["person"] else speech.phrase("household_subject"))
        item = speech.phrase("routines", "item", what=_routine_what(speech, r, name),
                             time=speech.time(r["time"]), days=speech.days(r["days"])).strip()
        if asked.person is None:
            item = f"{name}: {item}"
        items.append(item)
    key = "intro_one" if len(rows) == 1 else "intro"
    if asked.person is None:
        key = "intro_household"
    intro = speech.sentence(speech.phrase("routines", key, who=who, count=len(rows)))
    more = len(rows) - len(shown)
    listed = "; ".join(items)
    if more > 0:
        listed += f"; {speech.phrase('routines', 'more', count=more)}"
    parts.append(f"{intro} {listed}.")
    return " ".join(parts)


# -- last time --------------------------------------------------------------------------------


async def fetch_last_kind(src: Sources, kind: str, asked: Asked) -> Fetched:
    now = src.api.now()
    fetched = Fetched(now=now, result=await src.backend.last_time(kind, person=asked.person))
    if not fetched.result.get("found") and asked.person is not None:
        household = await src.backend.last_time(kind)
        fetched.household = [household] if household.get("found") else []
    return fetched


async def fetch_last_what(src: Sources, what: str, entity_id: str | None) -> Fetched:
    now = src.api.now()
    result: dict[str, Any] = dict(await (src.backend.last_time(entity_id=entity_id) if entity_id
                                         else src.backend.last_time(what)))
    if result.get("found") and result.get("entity_id"):
        result["event"] = await src.hass.async_add_executor_job(
            _event_at, src.api, result["entity_id"], result["ts"])
    return Fetched(now=now, result=result)


def _event_at(api: GalateaAPI, entity_id: str, ts: str) -> dict[str, Any] | None:
    at = datetime.fromisoformat(ts)
    for ev in api.store.iter_activity(start=at - timedelta(seconds=1),
                                      end=at + timedelta(seconds=1), entity_id=entity_id,
                                      batch=20):
        if ev.ts == at:
            return {"state": ev.state, "domain": ev.domain, "device_class": ev.device_class,
                    "actor": ev.actor, "source": ev.source,
                    "label": (ev.data or {}).get("label"), "summary": ev.summary}
    return None


def state_words(speech: Speech, event: dict[str, Any] | None) -> str:
    """What an entity did, in words ("opened", "turned on", "came home")."""
    if not event:
        return speech.phrase("states", "other", state="?")
    state = str(event.get("state") or "")
    domain, device_class = event.get("domain"), event.get("device_class")
    if event.get("source") == "frigate" or event.get("label"):
        return speech.phrase("states", "seen", label=event.get("label") or "?")
    if domain == "person":
        key = {"home": "came_home", "not_home": "left_home"}.get(state)
    elif device_class in ("door", "garage_door", "window", "opening"):
        key = {"on": "opened", "off": "closed", "open": "opened", "closed": "closed"}.get(state)
    elif device_class in ("motion", "occupancy", "presence"):
        key = "motion" if state == "on" else None
    elif domain == "lock":
        key = state if state in ("locked", "unlocked") else None
    else:
        key = state if state in ("on", "off") else None
    if key is None:
        return speech.phrase("states", "other", state=state)
    return speech.phrase("states", key)


async def async_last_kind(hass: HomeAssistant, speech: Speech, fetched: Fetched, kind: str,
                          asked: Asked) -> str:
    parts = [speech.phrase("not_linked")] if asked.unlinked else []
    result = fetched.result
    if not result.get("found") or not result.get("ts"):
        what = speech.phrase("kind_names", kind)
        parts.append(speech.phrase("last", "none", what=what))
        if not fetched.household:
            return " ".join(parts)
        parts.append(speech.phrase("household_instead"))
        result, asked = fetched.household[0], Asked(None)
    who = await async_actor_name(hass, result.get("person") or asked.person,
                                 speech.phrase("someone"))
    when = speech.when(datetime.fromisoformat(result["ts"]), fetched.now)
    parts.append(speech.sentence(speech.phrase("last", kind, who=who, when=when)))
    return " ".join(parts)


async def async_last_what(hass: HomeAssistant, speech: Speech, fetched: Fetched,
                          spoken: str, name: str | None) -> str:
    result = fetched.result
    if not result.get("found") or not result.get("ts"):
        return speech.phrase("last", "none", what=name or spoken)
    entity_id = result.get("entity_id")
    state = hass.states.get(entity_id) if entity_id else None
    what = name or (state.name if state is not None else
                    (entity_id.split(".", 1)[-1].replace("_", " ") if entity_id else spoken))
    event = result.get("event")
    words = state_words(speech, event) if event else speech.phrase("states", "other", state="?")
    if event and event.get("actor") and event.get("domain") != "person":
        by = await async_actor_name(hass, event["actor"], "")
        if by:
            words = f"{words} {speech.phrase('states', 'by', who=by)}"
    when = speech.when(datetime.fromisoformat(result["ts"]), fetched.now)
    return speech.sentence(speech.phrase("last", "event", what=what, state=words, when=when))


# -- timeline ---------------------------------------------------------------------------------


async def fetch_timeline(src: Sources, period: str, asked: Asked) -> Fetched:
    now = src.api.now()
    start, _end = src.api.period_bounds(period, now)
    if start >= now:
        # "this afternoon" asked in the morning: nothing has happened yet
        return Fetched(now=now, result={"items": [], "activity": {}})
    result: Mapping[str, Any] = await src.backend.timeline(
        period=period, person=asked.person, limit=MAX_ITEMS)
    if any(item.get("end") is None and item.get("start") for item in result["items"]):
        await src.hass.async_add_executor_job(_add_notable_events, src.api, result["items"])
    return Fetched(now=now, result=result)


def _add_notable_events(api: GalateaAPI, items: list[dict[str, Any]]) -> None:
    """The event behind each single activity of a timeline (the store; blocking)."""
    for item in items:
        if item.get("end") is None and item.get("start"):
            item["event"] = _notable_at(api, item)


def _notable_at(api: GalateaAPI, item: Mapping[str, Any]) -> dict[str, Any] | None:
    at = datetime.fromisoformat(item["start"])
    for ev in api.store.iter_activity(start=at - timedelta(seconds=1),
                                      end=at + timedelta(seconds=1), area=item.get("area"),
                                      batch=50):
        if ev.ts == at and ev.kind == item.get("kind"):
            return {"state": ev.state, "domain": ev.domain, "device_class": ev.device_class,
                    "actor": ev.actor, "source": ev.source, "entity_id": ev.entity_id,
                    "label": (ev.data or {}).get("label"), "summary": ev.summary}
    return None


async def async_timeline(hass: HomeAssistant, speech: Speech, fetched: Fetched, period: str,
                         asked: Asked) -> str:
    parts = [speech.phrase("not_linked")] if asked.unlinked else []
    result = fetched.result
    period_words = speech.phrase("periods", period)
    texts: list[str] = []
    for item in result["items"]:
        text = await _item_text(hass, speech, item)
        if text:
            texts.append(text)
    if not texts:
        areas = [await _area_name(hass, a) for a in list(result.get("activity") or {})[:3]
                 if a and a != "unknown"]
        if areas:
            parts.append(speech.sentence(speech.phrase("timeline", "activity",
                                                       period=period_words,
                                                       areas=speech.join(areas))))
        else:
            parts.append(speech.phrase("timeline", "empty", period=period_words))
        return " ".join(parts)
    parts.append(speech.sentence(speech.phrase("timeline", "intro", period=period_words,
                                               items="; ".join(texts))))
    return " ".join(parts)


async def _area_name(hass: HomeAssistant, area_id: str) -> str:
    from homeassistant.helpers import area_registry as ar

    area = ar.async_get(hass).async_get_area(area_id)
    return area.name if area is not None else area_id.replace("_", " ")


async def _item_text(hass: HomeAssistant, speech: Speech, item: Mapping[str, Any]
                     ) -> str | None:
    start = datetime.fromisoformat(item["start"])
    who = await async_actor_name(hass, item.get("person"), speech.phrase("someone"))
    if item.get("end") is None:
        event = item.get("event")
        if event is None:
            return None
        entity_id = event.get("entity_id")
        state = hass.states.get(entity_id) if entity_id else None
        name = state.name if state is not None else (
            entity_id.split(".", 1)[-1].replace("_", " ") if entity_id else "")
        if event.get("domain") == "person":
            name = await async_actor_name(hass, entity_id, speech.phrase("someone"))
        words = state_words(speech, event)
        return f"{name} {words} {speech.phrase('timeline', 'at', time=speech.time(start))}"
    span = speech.phrase("timeline", "span", start=speech.time(start),
                         end=speech.time(datetime.fromisoformat(item["end"])))
    kind = item.get("kind")
    if kind in ("sleep", "away") and not item.get("person"):
        return speech.phrase("timeline", f"{kind}_all", span=span)  # the whole household
    if kind in ("sleep", "away", "visit"):
        return speech.phrase("timeline", kind, who=who, span=span)
    if item.get("title"):
        what = str(item["title"])  # an LLM's title, in the language it was asked in
    else:
        label = str(item.get("label") or kind or "").replace("_", " ")
        what = str((speech.pack.responses.get("labels") or {}).get(label, label))
    if item.get("person"):
        what = f"{who}: {what}"
    if item.get("area"):
        area = await _area_name(hass, item["area"])
        return speech.phrase("timeline", "session_area", what=what, area=area, span=span)
    return speech.phrase("timeline", "session", what=what, span=span)


# -- recall -----------------------------------------------------------------------------------


async def fetch_recall(src: Sources, topic: str) -> Fetched:
    return Fetched(now=src.api.now(), result=await src.backend.recall(topic, 3))


def recall_text(speech: Speech, fetched: Fetched, topic: str) -> str:
    hits = [m for m in fetched.result["memories"] if m.get("score", 0) > 0]
    if not hits:
        return speech.phrase("recall", "none", topic=topic)
    items = "; ".join(_clock(speech, str(m["text"]).rstrip(".")) for m in hits)
    return speech.phrase("recall", "found", topic=topic, items=items)


_HHMM = re.compile(r"\b([01]\d|2[0-3]):([0-5]\d)\b")


def _clock(speech: Speech, text: str) -> str:
    """The engine's 24-hour "06:40" in a memory's text, in the answer's clock format."""
    return _HHMM.sub(lambda m: speech.time(m.group(0)), text)
