"""Sensors: one per person and main routine kind (next expected time), and the counters."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import ATTR_DEVICE_CLASS, STATE_UNAVAILABLE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from sqlalchemy.exc import OperationalError

from custom_components.galatea.const import DOMAIN
from custom_components.galatea.coordinator import get_coordinator
from custom_components.galatea.entity import MAIN_KINDS

from .memory_support import NOW, TZ, routine_key, setup_simulated


def _entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


async def test_routine_sensors(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]]
) -> None:
    """One sensor per person and main routine kind; habits have none."""
    hass.states.async_set("person.grandma", "home", {"friendly_name": "Grandma"})
    entry = await setup_simulated(hass, tmp_path, simulated_db)
    store = entry.runtime_data.store
    routines = [r for r in store.routines() if r.status != "rejected"]
    main = {(r.actor or "household", r.kind) for r in routines if r.kind in MAIN_KINDS}
    assert any(r.kind not in MAIN_KINDS for r in routines)  # habits exist, and get no entity
    registry = er.async_get(hass)
    ours = [e for e in er.async_entries_for_config_entry(registry, entry.entry_id)
            if e.domain == "sensor" and "_main_" in e.unique_id]
    assert len(ours) == len(main) > 5

    key = routine_key(entry, "wake_up", "person.grandma")
    entity_id = _entity_id(hass, "sensor", f"{entry.entry_id}_sensor_main_wake_up_person.grandma")
    assert entity_id == "sensor.galatea_grandma_wakes_up"  # translated name with placeholders
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.name == "Galatea Grandma wakes up"
    assert state.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.TIMESTAMP
    routine = next(r for r in routines if r.key == key)
    nxt = datetime.fromisoformat(state.state).astimezone(TZ)
    assert nxt > NOW
    assert nxt.strftime("%H:%M") == routine.time
    assert (nxt - NOW).days < 7
    attrs = state.attributes
    assert attrs["usual_time"] == routine.time
    assert attrs["person"] == "person.grandma"
    assert attrs["key"] == key
    assert attrs["days"] == routine.days
    assert 0 < attrs["confidence"] <= 1
    assert attrs["spread_min"] == round(routine.spread_min, 1)
    # grandma's true wake-up is 06:00 in the simulation
    hh, mm = map(int, routine.time.split(":"))
    assert abs(hh * 60 + mm - 360) <= 15


async def test_exposure_policy(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]]
) -> None:
    """The device page stays short; names are unique and never an id; diagnostics are
    diagnostic; per-routine late sensors exist but are disabled by default."""
    for person in ("anna", "ben", "grandma"):
        hass.states.async_set(f"person.{person}", "home", {"friendly_name": person.title()})
    entry = await setup_simulated(hass, tmp_path, simulated_db)
    registry = er.async_get(hass)
    entries = er.async_entries_for_config_entry(registry, entry.entry_id)
    enabled = [e for e in entries if e.disabled_by is None]
    assert 10 <= len(enabled) <= 25, len(enabled)
    names = [hass.states.get(e.entity_id).name for e in enabled]
    assert len(set(names)) == len(names), names
    for name in names:
        assert "person." not in name
        assert "user:" not in name.lower()
        words = name.split()
        assert all(a != b for a, b in itertools.pairwise(words)), name  # no stutter
    disabled = [e for e in entries if e.disabled_by is er.RegistryEntryDisabler.INTEGRATION]
    assert disabled
    assert all(e.domain == "binary_sensor" for e in disabled)
    backfill = [e for e in entries if e.unique_id.endswith("_backfill_progress")]
    assert all(e.entity_category is EntityCategory.DIAGNOSTIC for e in backfill)
    # Late per person, on the device page.
    late = hass.states.get("binary_sensor.galatea_grandma_routine_late")
    assert late is not None
    assert late.attributes["person"] == "person.grandma"
    # Legacy one-per-routine entities from an earlier version are removed on set-up.
    legacy = registry.async_get_or_create(
        "sensor", DOMAIN, f"{entry.entry_id}_sensor_routine_habit_x", config_entry=entry)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert registry.async_get(legacy.entity_id) is None


async def test_activity_sensors(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]]
) -> None:
    entry = await setup_simulated(hass, tmp_path, simulated_db)
    today = hass.states.get(_entity_id(hass, "sensor", f"{entry.entry_id}_activity_today"))
    assert today is not None
    assert int(today.state) == entry.runtime_data.store.count_activity(
        start=NOW.replace(hour=0))
    assert int(today.state) > 0
    last = hass.states.get(_entity_id(hass, "sensor", f"{entry.entry_id}_last_activity"))
    assert last is not None
    assert last.state not in ("unknown", "unavailable", "")
    last_ev = list(entry.runtime_data.store.iter_activity(
        since_id=entry.runtime_data.store.last_activity_id() - 1))[-1]
    assert last.attributes["entity_id"] == last_ev.entity_id
    assert datetime.fromisoformat(last.attributes["ts"]) == last_ev.ts
    memories = hass.states.get(_entity_id(hass, "sensor", f"{entry.entry_id}_memories"))
    assert memories is not None
    assert int(memories.state) == len(entry.runtime_data.store.memories()) > 100


async def test_rejected_routine_entities_are_removed(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]]
) -> None:
    entry = await setup_simulated(hass, tmp_path, simulated_db)
    key = routine_key(entry, "go_to_bed", "person.grandma")
    assert len([r for r in entry.runtime_data.store.routines()
                if r.kind == "go_to_bed" and r.actor == "person.grandma"]) == 1
    sensor_uid = f"{entry.entry_id}_sensor_main_go_to_bed_person.grandma"
    binary_uid = f"{entry.entry_id}_binary_sensor_main_late_go_to_bed_person.grandma"
    sensor_id = _entity_id(hass, "sensor", sensor_uid)
    _entity_id(hass, "binary_sensor", binary_uid)
    await hass.services.async_call(DOMAIN, "reject_routine", {"key": key}, blocking=True)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, sensor_uid) is None
    assert registry.async_get_entity_id("binary_sensor", DOMAIN, binary_uid) is None
    assert hass.states.get(sensor_id) is None
    # reloading does not bring it back
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert registry.async_get_entity_id("sensor", DOMAIN, sensor_uid) is None


async def test_entities_turn_unavailable_while_the_database_cannot_be_read(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    """A PostgreSQL server (or the add-on) that stops answering: entities say unavailable, the
    log says so once, and both come back when reads work again."""
    entry = await setup_simulated(hass, tmp_path, simulated_db)
    entity_id = _entity_id(hass, "sensor", f"{entry.entry_id}_activity_today")
    api = entry.runtime_data.api
    assert api is not None
    working = api.activity_summary

    def _unreachable(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(api, "activity_summary", _unreachable)
    coordinator = get_coordinator(entry)
    for _ in range(3):
        await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    failures = [r for r in caplog.records if "server closed the connection" in r.getMessage()]
    assert len(failures) == 1  # logged once, not on every refresh

    monkeypatch.setattr(api, "activity_summary", working)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(entity_id).state not in (STATE_UNAVAILABLE, "unknown")
