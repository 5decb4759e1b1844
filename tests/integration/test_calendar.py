"""The timeline calendar: past episodes and upcoming expected routines."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.galatea.const import DOMAIN

from .memory_support import NOW, routine_key, setup_simulated


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
    assert len(past) == len([e for e in stored if e.end > e.start])
    assert any(e["summary"] == "Grandma: Asleep" for e in past)
    assert upcoming
    assert all(datetime.fromisoformat(e["start"]) > NOW for e in upcoming)
    assert any(e["summary"] == "Grandma wakes up (expected)" for e in upcoming)
    # an upcoming routine's event starts at its usual time
    wake = next(e for e in upcoming if e["summary"] == "Grandma wakes up (expected)")
    routine = next(r for r in entry.runtime_data.store.routines()
                   if r.key == routine_key(entry, "wake_up", "person.grandma"))
    assert datetime.fromisoformat(wake["start"]).strftime("%H:%M") == routine.time
