"""A store replayed from the simulated home (14 days), shared by the expose tests.

The simulator's HA events are replayed through the real normaliser into a real SQLite store, the
real engine learns routines/episodes and forms memories. That takes ~10 s, so it is done once per
session into a template file that each test copies. Tests pin Galatea's clock to ``NOW`` (the
``GalateaAPI.clock``) instead of freezing time: the store's writer thread keeps real time.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.galatea.coordinator import get_api, get_coordinator

TZ_NAME = "Europe/Berlin"
TZ = ZoneInfo(TZ_NAME)
SIM_START = date(2026, 11, 7)
SIM_DAYS = 14
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=TZ)  # Saturday noon; the data ends ~02:30 today


def build_simulated_store(folder: Path) -> tuple[Path, dict[str, Any]]:
    """Simulate, replay, learn and form memories into ``folder/galatea.db``."""
    from galatea_engine.loop import Engine
    from galatea_engine.memory.formation import form_memories
    from galatea_engine.replay import ingest, load_areas
    from galatea_engine.store import ActivityStore

    from tests.simulator.simulate import home_areas, simulate_home

    events, truth = simulate_home(days=SIM_DAYS, seed=1, start=SIM_START, tz=TZ_NAME,
                                  change_day=None)
    replay = folder / "home.jsonl"
    replay.write_text("".join(json.dumps(e) + "\n" for e in events))
    areas = folder / "areas.json"
    areas.write_text(json.dumps(home_areas()))
    db = folder / "galatea.db"
    store = ActivityStore(path=db)
    try:
        ingest([replay], store, load_areas(areas))
        Engine(store, TZ).run_once(full=True)
        form_memories(store, TZ, now=NOW, full=True)
    finally:
        store.stop()
    return db, truth.to_dict()


@pytest.fixture(scope="session")
def simulated_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    return build_simulated_store(tmp_path_factory.mktemp("simhome"))


async def setup_simulated(
    hass: HomeAssistant, tmp_path: Path, simulated_db: tuple[Path, dict[str, Any]],
    *, now: datetime = NOW, conversation: bool = False,
) -> MockConfigEntry:
    """Galatea on a copy of the simulated store, with its clock at ``now``."""
    from .conftest import setup_galatea

    template, _truth = simulated_db
    await hass.config.async_set_time_zone(TZ_NAME)
    await hass.async_add_executor_job(shutil.copy, template, tmp_path / "galatea.db")
    if conversation:
        assert await async_setup_component(hass, "homeassistant", {})
        assert await async_setup_component(hass, "conversation", {})
    entry = await setup_galatea(hass, tmp_path)
    await set_clock(hass, entry, now)
    return entry


async def set_clock(hass: HomeAssistant, entry: MockConfigEntry, now: datetime) -> None:
    """Pin Galatea's notion of "now" and refresh the entities."""
    api = get_api(entry)
    api.clock = _fixed(now)
    api.invalidate()
    await get_coordinator(entry).async_refresh()
    await hass.async_block_till_done()


def _fixed(now: datetime) -> Callable[[], datetime]:
    return lambda: now


def routine_key(entry: MockConfigEntry, kind: str, person: str, days: str | None = None) -> str:
    """The key of the mined routine of ``kind`` for ``person`` (first by support)."""
    rows = [r for r in entry.runtime_data.store.routines()
            if r.kind == kind and r.actor == person and (days is None or r.days == days)]
    assert rows, f"no {kind} routine for {person}"
    rows.sort(key=lambda r: -r.support_days)
    return rows[0].key
