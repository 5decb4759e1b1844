"""The timeline calendar: past episodes and upcoming expected routines."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.galatea.const import DOMAIN

from .memory_support import NOW, TZ, routine_key, set_clock, setup_simulated


async def test_calendar_events(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]]
) -> None:
    entry = await setup_simulated(hass, tmp_path, simulated_db)
    entity_id = er.async_get(hass).async_get_entity_id(
        "calendar", DOMAIN, f"{entry.entry_id}_timeline")
    assert entity_id == "calendar.galatea_timeline"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["message"].endswith("(expected)")  # the next expected routine
    assert state.state == "off"  # noon: nobody is due to wake, leave, come home or sleep

    start = NOW - timedelta(days=2)
    end = NOW + timedelta(days=3)  # through Tuesday: weekday routines too
    result = await hass.services.async_call(
        "calendar", "get_events",
        {"entity_id": entity_id, "start_date_time": start.isoformat(),
         "end_date_time": end.isoformat()},
        blocking=True, return_response=True,
    )
    events = result[entity_id]["events"]
    past = [e for e in events if not e["summary"].endswith("(expected)")]
    upcoming = [e for e in events if e["summary"].endswith("(expected)")]
    stored = entry.runtime_data.store.episodes(start=start, end=NOW)
    shown = [e for e in stored if e.end > e.start and e.kind in ("sleep", "away")]
    assert len(past) == len(shown)
    assert any(e.kind == "session" for e in stored)  # sessions stay out of the calendar
    # Not flooded: a day holds the nights, absences and expected main routines only.
    per_day: dict[str, int] = {}
    for e in events:
        day = datetime.fromisoformat(e["start"]).astimezone(TZ).date().isoformat()
        per_day[day] = per_day.get(day, 0) + 1
    assert max(per_day.values()) <= 25, per_day
    main = ("wakes up", "goes to bed", "leaves home", "gets home", "comes home")
    assert all(any(m in e["summary"] for m in main) for e in upcoming), upcoming
    assert any(e["summary"] == "Grandma: Asleep" for e in past)
    assert upcoming
    assert all(datetime.fromisoformat(e["start"]) > NOW for e in upcoming)
    assert any(e["summary"] == "Grandma wakes up (expected)" for e in upcoming)
    # an upcoming routine's event starts at its usual time
    wake = next(e for e in upcoming if e["summary"] == "Grandma wakes up (expected)")
    routine = next(r for r in entry.runtime_data.store.routines()
                   if r.key == routine_key(entry, "wake_up", "person.grandma"))
    assert datetime.fromisoformat(wake["start"]).strftime("%H:%M") == routine.time


async def test_calendar_state_does_not_flap(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]]
) -> None:
    """Over a day (a refresh every 5 min) the calendar turns on only for the expected main
    routines, each once at most, not whenever a refresh moves the "next" event."""
    entry = await setup_simulated(hass, tmp_path, simulated_db)
    entity_id = "calendar.galatea_timeline"
    main = [r for r in entry.runtime_data.store.routines()
            if r.kind in ("wake_up", "go_to_bed", "leave_home", "arrive_home")]
    turned_on = 0
    previous = False
    for step in range(1, 24 * 12 + 1):
        now = NOW + timedelta(minutes=5 * step)
        await set_clock(hass, entry, now)
        # HA computes the state against the wall clock; Galatea's clock is pinned, so the
        # state is derived here the way HA does from the event's start and end.
        attrs = hass.states.get(entity_id).attributes
        start = datetime.fromisoformat(attrs["start_time"]).replace(tzinfo=TZ)
        end = datetime.fromisoformat(attrs["end_time"]).replace(tzinfo=TZ)
        assert end > now  # never an event already over
        on = start <= now < end
        turned_on += on and not previous
        previous = on
    assert 0 < turned_on <= len(main)
