"""A calendar of the home's life: who slept and was away when, and the day's expected main
routines (wake up, leave, get home, go to bed).

Sessions and habits (dozens a day) stay in the card: a calendar with 150 events a day is noise.
The entity's state follows the current or next expected main routine, so it turns on only while
one is due, not every time a refresh moves the "next" event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import GalateaCoordinator, get_api, get_coordinator
from .data import GalateaConfigEntry
from .engine.api import GalateaAPI
from .engine.memory import phrases
from .engine.models import Routine
from .engine.results import RoutineState
from .entity import GalateaCoordinatorEntity, is_main, is_main_routine

PARALLEL_UPDATES = 0
MAX_UPCOMING_DAYS = 31
MAX_EVENTS = 2000
# Episodes worth a calendar entry: nights and absences (sessions are minutes long and many).
CALENDAR_EPISODES = frozenset({"sleep", "away"})


def _who(actor: str | None) -> str:
    return phrases.person_name(actor) if actor else "Household"


def _duration(spread_min: float) -> timedelta:
    return timedelta(minutes=max(5.0, spread_min))


def _expected_event(start: datetime, actor: str | None, kind: str, label: str,
                    spread_min: float, description: str, uid: str | None = None
                    ) -> CalendarEvent:
    """A main routine expected at ``start``, lasting its usual spread."""
    verb = phrases.ROUTINE_VERBS.get(kind) or label
    return CalendarEvent(
        start=start,
        end=start + _duration(spread_min),
        summary=f"{_who(actor)} {verb} (expected)",
        description=description,
        uid=uid,
    )


def routine_events(api: GalateaAPI, start: datetime, end: datetime) -> list[CalendarEvent]:
    """Expected occurrences of the current routines in [max(start, now), end)."""
    now = api.now()
    begin = max(start, now)
    end = min(end, now + timedelta(days=MAX_UPCOMING_DAYS))
    out: list[CalendarEvent] = []
    routines: list[Routine] = [r for r in api.store.routines() if is_main_routine(r.kind, r.status)]
    for r in routines:
        cursor = begin - timedelta(minutes=1)
        while True:
            nxt = phrases.next_occurrence(r, cursor, api.tz)
            if nxt is None or nxt >= end:
                break
            out.append(_expected_event(
                nxt, r.actor, r.kind, r.label, r.spread_min, phrases.routine_text(r),
                uid=f"routine:{r.key}:{nxt.date().isoformat()}",
            ))
            cursor = nxt + timedelta(minutes=1)
    return out


def episode_events(api: GalateaAPI, start: datetime, end: datetime) -> list[CalendarEvent]:
    out: list[CalendarEvent] = []
    episodes = [ep for ep in api.store.episodes(start=start, end=end)
                if ep.kind in CALENDAR_EPISODES]
    for ep in episodes[-MAX_EVENTS:]:
        if ep.end <= ep.start:
            continue
        who = f"{phrases.person_name(ep.actor)}: " if ep.actor else ""
        out.append(CalendarEvent(
            start=ep.start,
            end=ep.end,
            summary=f"{who}{phrases.episode_label(ep).capitalize()}",
            description=phrases.episode_text(ep, api.tz),
            location=ep.area,
            uid=f"episode:{ep.id}",
        ))
    return out


class GalateaCalendar(GalateaCoordinatorEntity, CalendarEntity):
    """Past episodes and upcoming expected routines."""

    _attr_translation_key = "timeline"

    def __init__(self, coordinator: GalateaCoordinator) -> None:
        super().__init__(coordinator, f"{coordinator.config_entry.entry_id}_timeline")

    @property
    def event(self) -> CalendarEvent | None:
        """The expected main routine now due (within its usual spread) or the next one."""
        data = self.coordinator.data
        if not data:
            return None
        now = self.coordinator.api.now()
        best: tuple[datetime, RoutineState] | None = None
        for r in data.routines.values():
            if not is_main(r):
                continue
            duration = _duration(r["spread_min"])
            for when in (r["last_expected"], r["next_expected"]):
                start = dt_util.parse_datetime(when) if when else None
                if start is None or start + duration <= now:
                    continue
                if best is None or start < best[0]:
                    best = (start, r)
                break
        if best is None:
            return None
        start, r = best
        return _expected_event(
            start, r["person"], r["kind"], r["label"], r["spread_min"], r["text"],
        )

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        api = get_api(self.coordinator.config_entry)

        def _collect() -> list[CalendarEvent]:
            events = episode_events(api, start_date, end_date)
            events.extend(routine_events(api, start_date, end_date))
            events.sort(key=lambda e: e.start_datetime_local)
            return events

        return await hass.async_add_executor_job(_collect)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GalateaConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the Galatea calendar."""
    async_add_entities([GalateaCalendar(get_coordinator(entry))])
