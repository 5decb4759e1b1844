"""The embedded engine runner: scheduling, one run at a time, events and dispatcher signal."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.galatea import runner as runner_module
from custom_components.galatea.engine.models import Routine

from .conftest import setup_galatea


@dataclass
class Summary:
    new_activity: int = 0
    learned: list[Routine] = field(default_factory=list)
    changed: list[Routine] = field(default_factory=list)
    duration_s: float = 0.0


class FakeEngine:
    def __init__(self) -> None:
        self.calls: list[bool] = []
        self.release = threading.Event()
        self.release.set()

    def run_once(self, full: bool = False) -> Summary:
        self.release.wait(5)
        self.calls.append(full)
        wake = Routine(key="wake_up:person.anna:weekdays", kind="wake_up", label="Anna wakes up",
                       days="weekdays", time="06:45", spread_min=12, support_days=9,
                       confidence=0.8, actor="person.anna", evidence=[1, 2, 3],
                       valid_from=datetime(2026, 1, 1, tzinfo=UTC))
        return Summary(new_activity=3, learned=[wake] if len(self.calls) == 1 else [],
                       changed=[wake] if len(self.calls) == 2 else [])


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(runner_module.EngineRunner, "_get_engine", lambda self: fake)
    return fake


async def test_runner_runs_and_publishes(
    hass: HomeAssistant, tmp_path: Path, engine: FakeEngine
) -> None:
    learned = async_capture_events(hass, "galatea_routine_learned")
    changed = async_capture_events(hass, "galatea_routine_changed")
    entry = await setup_galatea(hass, tmp_path, options={"engine_interval": 5})
    signals: list[bool] = []

    @callback
    def _updated() -> None:
        signals.append(True)

    async_dispatcher_connect(hass, f"galatea_engine_updated_{entry.entry_id}", _updated)
    runner = entry.runtime_data.runner
    assert runner is not None
    # HA is running: a first run happens at set-up.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert engine.calls == [False]
    assert len(learned) == 1
    assert learned[0].data["key"] == "wake_up:person.anna:weekdays"
    assert learned[0].data["time"] == "06:45"
    assert "evidence" not in learned[0].data
    # Every engine_interval minutes.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5, seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert engine.calls == [False, False]
    assert len(changed) == 1
    assert signals == [True]  # connected after the first run
    assert runner.runs == 2
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_runner_skips_when_busy_and_waits_on_unload(
    hass: HomeAssistant, tmp_path: Path, engine: FakeEngine
) -> None:
    engine.release.clear()
    entry = await setup_galatea(hass, tmp_path)
    runner = entry.runtime_data.runner
    await hass.async_block_till_done()
    assert runner.running
    assert await runner.async_run(full=True) is None  # skipped: a run is in progress
    engine.release.set()
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert engine.calls == [False]
    assert not runner.running


async def test_runner_survives_engine_errors(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(hass, tmp_path)
    runner = entry.runtime_data.runner

    def broken(self: Any, full: bool = False) -> None:
        raise RuntimeError("engine exploded")

    await hass.async_block_till_done(wait_background_tasks=True)
    runner._engine = type("E", (), {"run_once": broken})()
    assert await runner.async_run() is None
    assert runner.last_error == "engine exploded"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_addon_mode_leaves_runner_off(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(hass, tmp_path, data={"engine_mode": "addon"})
    assert entry.runtime_data.runner is None
    assert await hass.config_entries.async_unload(entry.entry_id)
