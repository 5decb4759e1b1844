"""Deviation binary sensors and the ``galatea_routine_deviation`` event."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_get_persistent_notifications,
)

from custom_components.galatea.const import DOMAIN, EVENT_ROUTINE_DEVIATION
from custom_components.galatea.coordinator import get_coordinator
from custom_components.galatea.engine.memory.phrases import next_occurrence
from custom_components.galatea.engine.models import ActivityEvent

from .memory_support import TZ, routine_key, set_clock, setup_simulated

DATA_END = datetime(2026, 11, 21, 2, 31, tzinfo=TZ)


async def test_late_routine_turns_on_fires_once_and_clears(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]]
) -> None:
    # The replayed data stops at 02:30 on Saturday 21 Nov: nobody is seen getting up after.
    entry = await setup_simulated(hass, tmp_path, simulated_db, now=DATA_END)
    store = entry.runtime_data.store
    key = routine_key(entry, "wake_up", "person.grandma")
    routine = next(r for r in store.routines() if r.key == key)
    entity_id = er.async_get(hass).async_get_entity_id(
        "binary_sensor", DOMAIN, f"{entry.entry_id}_binary_sensor_main_late_person.grandma")
    assert entity_id == "binary_sensor.galatea_grandma_routine_late"
    state = hass.states.get(entity_id)
    assert state is not None
    events = async_capture_events(hass, EVENT_ROUTINE_DEVIATION)

    expected = next_occurrence(routine, DATA_END, TZ)
    assert expected is not None
    await set_clock(hass, entry, expected - timedelta(hours=1))
    assert hass.states.get(entity_id).state == STATE_OFF
    margin = max(2 * routine.spread_min, 15.0)
    await set_clock(hass, entry, expected + timedelta(minutes=margin - 2))
    assert hass.states.get(entity_id).state == STATE_OFF  # within the usual spread
    late_at = expected + timedelta(minutes=margin + 30)
    await set_clock(hass, entry, late_at)
    state = hass.states.get(entity_id)
    assert state.state == STATE_ON
    assert state.attributes["minutes_late"] == round(margin + 30)
    mine = [e for e in events if e.data["routine"] == key]
    assert len(mine) == 1
    assert mine[0].data["person"] == "person.grandma"
    assert mine[0].data["minutes_late"] == round(margin + 30)
    assert datetime.fromisoformat(mine[0].data["expected"]) == expected
    # the next refresh does not fire again for the same occurrence
    await get_coordinator(entry).async_refresh()
    await hass.async_block_till_done()
    assert len([e for e in events if e.data["routine"] == key]) == 1

    # Grandma gets up (her person entity reports activity): the deviation clears.
    await hass.async_add_executor_job(store.add_events, [ActivityEvent(
        ts=late_at - timedelta(minutes=5), source="ha", kind="state_changed",
        entity_id="person.grandma", state="home", old_state="home", actor="person.grandma",
        actor_kind="person")])
    await set_clock(hass, entry, late_at + timedelta(minutes=1))
    assert hass.states.get(entity_id).state == STATE_OFF


async def test_a_reported_occurrence_is_not_reported_again_after_many_others(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]]
) -> None:
    """The memory of reported occurrences is trimmed oldest first: the newest survive."""
    entry = await setup_simulated(hass, tmp_path, simulated_db, now=DATA_END)
    key = routine_key(entry, "wake_up", "person.grandma")
    routine = next(r for r in entry.runtime_data.store.routines() if r.key == key)
    coordinator = get_coordinator(entry)
    for n in range(1100):  # older occurrences of other routines, already reported
        coordinator._fired[(f"old_routine_{n}", "2026-01-01T07:00:00+01:00")] = None
    events = async_capture_events(hass, EVENT_ROUTINE_DEVIATION)
    expected = next_occurrence(routine, DATA_END, TZ)
    assert expected is not None
    late_at = expected + timedelta(minutes=max(2 * routine.spread_min, 15.0) + 30)
    await set_clock(hass, entry, late_at)
    assert len([e for e in events if e.data["routine"] == key]) == 1
    assert len(coordinator._fired) <= 1000
    for _ in range(3):
        await coordinator.async_refresh()
        await hass.async_block_till_done()
    assert len([e for e in events if e.data["routine"] == key]) == 1


async def test_absent_person_is_not_late(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]]
) -> None:
    entry = await setup_simulated(hass, tmp_path, simulated_db, now=DATA_END)
    key = routine_key(entry, "wake_up", "person.grandma")
    routine = next(r for r in entry.runtime_data.store.routines() if r.key == key)
    hass.states.async_set("person.grandma", "not_home")
    expected = next_occurrence(routine, DATA_END, TZ)
    assert expected is not None
    await set_clock(hass, entry, expected + timedelta(hours=1))
    entity_id = er.async_get(hass).async_get_entity_id(
        "binary_sensor", DOMAIN, f"{entry.entry_id}_binary_sensor_main_late_person.grandma")
    assert hass.states.get(entity_id).state == STATE_OFF


async def test_routine_missed_blueprint(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]]
) -> None:
    """The blueprint is installed into the config folder and notifies on a missed routine."""
    hass.config.config_dir = str(tmp_path / "config")
    assert await async_setup_component(hass, "persistent_notification", {})
    entry = await setup_simulated(hass, tmp_path, simulated_db, now=DATA_END)
    assert "blueprint" not in hass.config.components
    installed = tmp_path / "config" / "blueprints" / "automation" / DOMAIN / "routine_missed.yaml"
    assert not installed.exists()  # waits for HA's blueprint integration
    key = routine_key(entry, "wake_up", "person.grandma")
    # The per-routine late sensor (disabled by default), enabled as a user would.
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(
        "binary_sensor", DOMAIN, f"{entry.entry_id}_binary_sensor_main_late_wake_up_person.grandma")
    assert entity_id == "binary_sensor.galatea_grandma_wake_up_late"
    assert registry.async_get(entity_id).disabled_by is er.RegistryEntryDisabler.INTEGRATION
    registry.async_update_entity(entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await set_clock(hass, entry, DATA_END)
    assert await async_setup_component(hass, "blueprint", {})
    await hass.async_block_till_done()
    assert installed.exists()
    assert await async_setup_component(hass, "automation", {
        "automation": {"use_blueprint": {
            "path": f"{DOMAIN}/routine_missed.yaml",
            "input": {"deviation_sensor": entity_id, "margin": 0},
        }}})
    await hass.async_block_till_done()
    hass.states.async_set("person.grandma", "home", {"friendly_name": "Grandma"})
    routine = next(r for r in entry.runtime_data.store.routines() if r.key == key)
    expected = next_occurrence(routine, DATA_END, TZ)
    assert expected is not None
    await set_clock(hass, entry, expected + timedelta(minutes=90))
    assert hass.states.get(entity_id).state == STATE_ON
    await hass.async_block_till_done()
    notes = async_get_persistent_notifications(hass)
    assert len(notes) == 1
    message = next(iter(notes.values()))["message"]
    assert message.startswith("Grandma has not woken up yet")
    assert "90 minutes late" in message
    # a user's edited copy is never overwritten
    installed.write_text("# mine\n" + installed.read_text())
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert installed.read_text().startswith("# mine")
