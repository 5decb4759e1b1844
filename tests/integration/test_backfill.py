"""Backfill from a real recorder database (HA's recorder, SQLite file)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import Context, HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import RecorderInstanceGenerator

from custom_components.galatea import backfill as backfill_module
from custom_components.galatea.backfill import STATE_KEY
from custom_components.galatea.engine.models import ActivityEvent

from .conftest import flush, setup_galatea


@pytest.fixture(autouse=True)
def mock_recorder_before_hass(async_setup_recorder_instance: RecorderInstanceGenerator) -> None:
    """The recorder must be patched before the ``hass`` fixture exists."""


@pytest.fixture
def persistent_database() -> bool:
    return True


async def _write_history(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, user: MockUser
) -> None:
    """Three hours of a morning, two days ago, recorded by HA's recorder."""
    start = dt_util.utcnow() - timedelta(days=2)
    freezer.move_to(start)
    hass.states.async_set("person.anna", "home", {"user_id": user.id})
    hass.states.async_set("sensor.power", "100", {"unit_of_measurement": "W"})
    for hour in range(3):
        freezer.move_to(start + timedelta(hours=hour, minutes=10))
        hass.states.async_set("light.kitchen", "on", {"brightness": 100 + hour},
                              context=Context(user_id=user.id))
        hass.states.async_set("sensor.power", str(200 + hour), {"unit_of_measurement": "W"})
        freezer.move_to(start + timedelta(hours=hour, minutes=20))
        trigger = Context()
        hass.bus.async_fire(
            "automation_triggered",
            {"name": "Kettle", "entity_id": "automation.kettle", "source": "time"},
            context=trigger,
        )
        hass.states.async_set("switch.kettle", "on", context=Context(parent_id=trigger.id))
        freezer.move_to(start + timedelta(hours=hour, minutes=40))
        hass.states.async_set("light.kitchen", "off", context=Context(user_id=user.id))
        hass.states.async_set("switch.kettle", "off")
        await async_wait_recording_done(hass)
    freezer.move_to(start + timedelta(days=2))
    await async_wait_recording_done(hass)


async def _wait_backfill(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    backfill = entry.runtime_data.backfill
    assert backfill is not None
    await backfill.async_wait()
    assert backfill.status == "done", backfill.as_dict()


def _backfilled(entry: MockConfigEntry) -> list[ActivityEvent]:
    return list(entry.runtime_data.store.iter_activity(source="backfill"))


async def test_backfill_imports_recorder_history(
    recorder_mock: Recorder, hass: HomeAssistant, tmp_path: Path,
    freezer: FrozenDateTimeFactory, hass_admin_user: MockUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _write_history(hass, freezer, hass_admin_user)
    read_entities: set[str] = set()
    original_read = backfill_module.read_window

    def spy(hass: HomeAssistant, start: float, end: float, ids: dict[int, str]) -> list:
        read_entities.update(ids.values())
        return original_read(hass, start, end, ids)

    monkeypatch.setattr(backfill_module, "read_window", spy)
    entry = await setup_galatea(hass, tmp_path, data={"backfill": True})
    # Live activity after set-up is not imported a second time by the backfill.
    hass.states.async_set("light.kitchen", "on", context=Context(user_id=hass_admin_user.id))
    await _wait_backfill(hass, entry)
    await flush(hass, entry)
    events = await hass.async_add_executor_job(_backfilled, entry)
    lights = [ev for ev in events if ev.entity_id == "light.kitchen"]
    assert [(ev.old_state, ev.state) for ev in lights] == [
        (None, "on"), ("on", "off"), ("off", "on"), ("on", "off"), ("off", "on"), ("on", "off"),
    ]
    assert [ev.data.get("brightness") for ev in lights if ev.state == "on"] == [100, 101, 102]
    assert {ev.actor for ev in lights} == {"person.anna"}
    kettle_on = [ev for ev in events if ev.entity_id == "switch.kettle" and ev.state == "on"]
    assert len(kettle_on) == 3
    assert {(ev.actor, ev.actor_kind) for ev in kettle_on} == {("automation.kettle", "automation")}
    assert sum(1 for ev in events if ev.kind == "automation_triggered") == 3
    assert not [ev for ev in events if ev.entity_id == "sensor.power"]  # numeric: off
    # ... and not even read from the recorder (numeric sensors are most of its rows).
    assert "sensor.power" not in read_entities
    assert {"light.kitchen", "switch.kettle", "person.anna"} <= read_entities
    assert all(ev.source == "backfill" for ev in events)
    assert events == sorted(events, key=lambda ev: (ev.ts, ev.id or 0))
    live = list(entry.runtime_data.store.iter_activity(source="ha"))
    assert [ev.entity_id for ev in live] == ["light.kitchen"]
    backfill = entry.runtime_data.backfill
    assert backfill.progress == 100.0
    assert backfill.imported == len(events)
    plan = entry.runtime_data.store.get_state(STATE_KEY)
    assert plan["complete"] is True
    await hass.async_block_till_done()
    sensor = hass.states.get("sensor.galatea_backfill_progress")
    assert sensor is not None
    assert float(sensor.state) == 100.0
    assert sensor.attributes["status"] == "done"
    assert sensor.attributes["imported"] == len(events)

    # A reload does not import anything again.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await _wait_backfill(hass, entry)
    assert len(await hass.async_add_executor_job(_backfilled, entry)) == len(events)


async def test_backfill_leaves_out_states_restored_as_ha_started(
    recorder_mock: Recorder, hass: HomeAssistant, tmp_path: Path,
    freezer: FrozenDateTimeFactory, hass_admin_user: MockUser,
) -> None:
    """HA restarted at 03:00: the hall light reappears with its state and no old state, nobody
    behind it. That is not activity; the light switched by Anna later is."""
    start = dt_util.utcnow() - timedelta(days=1)
    freezer.move_to(start)
    hass.states.async_set("light.hall", "off", context=Context(user_id=hass_admin_user.id))
    await async_wait_recording_done(hass)
    freezer.move_to(start + timedelta(hours=3))
    hass.states.async_remove("light.hall")
    await async_wait_recording_done(hass)
    hass.states.async_set("light.hall", "off")  # restored as HA starts
    await async_wait_recording_done(hass)
    freezer.move_to(start + timedelta(hours=4))
    hass.states.async_set("light.hall", "on", context=Context(user_id=hass_admin_user.id))
    await async_wait_recording_done(hass)
    freezer.move_to(start + timedelta(days=1))
    await async_wait_recording_done(hass)
    entry = await setup_galatea(hass, tmp_path, data={"backfill": True})
    await _wait_backfill(hass, entry)
    events = await hass.async_add_executor_job(_backfilled, entry)
    hall = [(ev.ts - start, ev.state) for ev in events if ev.entity_id == "light.hall"]
    assert hall == [(timedelta(0), "off"), (timedelta(hours=4), "on")]


async def test_backfill_resumes_without_duplicates(
    recorder_mock: Recorder, hass: HomeAssistant, tmp_path: Path,
    freezer: FrozenDateTimeFactory, hass_admin_user: MockUser,
) -> None:
    await _write_history(hass, freezer, hass_admin_user)
    entry = await setup_galatea(hass, tmp_path, data={"backfill": True})
    await _wait_backfill(hass, entry)
    total = len(await hass.async_add_executor_job(_backfilled, entry))
    assert total > 10
    store = entry.runtime_data.store
    plan = store.get_state(STATE_KEY)

    # A crash after a window was written but before its progress was saved: rewind progress
    # to the start of the window holding the last hour's data.
    last = max(ev.ts.timestamp() for ev in store.iter_activity(source="backfill"))
    plan["done_until"] = last - 60
    plan["complete"] = False
    store.set_state(STATE_KEY, plan)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await _wait_backfill(hass, entry)
    assert len(await hass.async_add_executor_job(_backfilled, entry)) == total
    assert entry.runtime_data.store.get_state(STATE_KEY)["complete"] is True
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_backfill_interrupted_and_resumed(
    recorder_mock: Recorder, hass: HomeAssistant, tmp_path: Path,
    freezer: FrozenDateTimeFactory, hass_admin_user: MockUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _write_history(hass, freezer, hass_admin_user)
    # Reference: a full import into another database.
    (tmp_path / "ref").mkdir()
    ref = await setup_galatea(hass, tmp_path / "ref", data={"backfill": True})
    await _wait_backfill(hass, ref)
    expected = [(ev.ts, ev.entity_id, ev.state, ev.actor)
                for ev in await hass.async_add_executor_job(_backfilled, ref)]
    assert await hass.config_entries.async_remove(ref.entry_id)

    # Stop after the first window that holds data.
    original = backfill_module.Backfill._write_window

    def write_then_stop(self: backfill_module.Backfill, *args: object) -> int:
        count = original(self, *args)
        if count:
            self._stop.set()
        return count

    monkeypatch.setattr(backfill_module.Backfill, "_write_window", write_then_stop)
    entry = await setup_galatea(hass, tmp_path, data={"backfill": True})
    backfill = entry.runtime_data.backfill
    await backfill.async_wait()
    assert backfill.status == "stopped"
    assert 0 < backfill.progress < 100
    partial = len(await hass.async_add_executor_job(_backfilled, entry))
    assert 0 < partial < len(expected)
    monkeypatch.setattr(backfill_module.Backfill, "_write_window", original)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await _wait_backfill(hass, entry)
    got = [(ev.ts, ev.entity_id, ev.state, ev.actor)
           for ev in await hass.async_add_executor_job(_backfilled, entry)]
    assert got == expected


async def test_backfill_without_recorder(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(hass, tmp_path, data={"backfill": True})
    backfill = entry.runtime_data.backfill
    await backfill.async_wait()
    assert backfill.status == "unavailable"
    assert await hass.config_entries.async_unload(entry.entry_id)
