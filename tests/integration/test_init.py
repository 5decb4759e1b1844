"""Set-up, unload, restart and database recovery of the Galatea config entry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.galatea.const import DOMAIN, ISSUE_DATABASE_CORRUPT
from custom_components.galatea.engine.models import ActivityEvent
from custom_components.galatea.engine.store import ActivityStore

from .conftest import db_url, flush, setup_galatea


async def test_setup_and_unload(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(hass, tmp_path)
    data = entry.runtime_data
    assert data.capture is not None
    assert data.store is not None
    assert (tmp_path / "galatea.db").exists()
    hass.states.async_set("light.kitchen", "on")
    await flush(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    # Unloaded: nothing listens any more.
    hass.states.async_set("light.kitchen", "off")
    await hass.async_block_till_done()
    assert data.capture.counters.captured == 1
    store = ActivityStore(db_url(tmp_path))
    try:
        assert store.count_activity() == 1
    finally:
        store.stop()


async def test_unload_commits_everything_queued(hass: HomeAssistant, tmp_path: Path) -> None:
    """A long commit interval keeps events queued; unload must still write them all."""
    entry = await setup_galatea(hass, tmp_path, options={"commit_interval": 60})
    for i in range(500):
        hass.states.async_set("light.kitchen", "on" if i % 2 else "off", {"brightness": i})
    await hass.async_block_till_done()
    counters = entry.runtime_data.capture.counters  # all handed over, none written yet
    assert (counters.seen, counters.dropped) == (500, 0)
    assert await hass.config_entries.async_unload(entry.entry_id)
    store = ActivityStore(db_url(tmp_path))
    try:
        assert store.count_activity() == 500
    finally:
        store.stop()


async def test_ha_stop_commits_everything_queued(hass: HomeAssistant, tmp_path: Path) -> None:
    """HA stopping does not unload entries: the final-write stage flushes the store."""
    entry = await setup_galatea(hass, tmp_path, options={"commit_interval": 60})
    for i in range(300):
        hass.states.async_set("switch.kettle", "on" if i % 2 else "off")
    await hass.async_block_till_done()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    assert entry.runtime_data.store_closed
    store = ActivityStore(db_url(tmp_path))
    try:
        assert store.count_activity(entity_id="switch.kettle") == 300
    finally:
        store.stop()
    # Unloading afterwards is harmless.
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_reload_keeps_activity(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(hass, tmp_path)
    hass.states.async_set("lock.front_door", "locked")
    await flush(hass, entry)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    hass.states.async_set("lock.front_door", "unlocked")
    await flush(hass, entry)
    store = entry.runtime_data.store
    states = [ev.state for ev in store.iter_activity(entity_id="lock.front_door")]
    assert states == ["locked", "unlocked"]


async def test_corrupt_database_is_moved_aside_with_repair_issue(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    (tmp_path / "galatea.db").write_bytes(b"this is not a database" * 1000)
    entry = await setup_galatea(hass, tmp_path)
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"{ISSUE_DATABASE_CORRUPT}_{entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_key == ISSUE_DATABASE_CORRUPT
    moved = Path(issue.translation_placeholders["moved_to"])
    assert moved.exists()
    assert moved.read_bytes().startswith(b"this is not a database")
    # The fresh database works.
    hass.states.async_set("light.kitchen", "on")
    await flush(hass, entry)
    assert entry.runtime_data.store.count_activity() == 1


async def test_unreachable_database_retries_later(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={"db_url": f"sqlite:///{tmp_path}/missing/folder/galatea.db", "backfill": False},
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_existing_database_from_earlier_run_is_appended(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """A database written by an earlier run (or the CLI) keeps its rows and ids."""
    store = ActivityStore(db_url(tmp_path))
    store.add_events(
        [ActivityEvent(ts=datetime(2026, 1, 1, 8, tzinfo=UTC), source="ha", kind="state_changed",
                       entity_id="light.hall", state="on")]
    )
    store.stop()
    entry = await setup_galatea(hass, tmp_path)
    hass.states.async_set("light.hall", "off")
    await flush(hass, entry)
    ids = [ev.id for ev in entry.runtime_data.store.iter_activity()]
    assert len(ids) == 2
    assert ids == sorted(ids)


async def test_home_assistant_stop_loses_nothing(hass: HomeAssistant, tmp_path: Path) -> None:
    """A real HA stop (all stages) with a full minute of activity still queued."""
    entry = await setup_galatea(hass, tmp_path, options={"commit_interval": 60})
    for i in range(1000):
        hass.states.async_set("light.hall", "on" if i % 2 else "off", {"brightness": i % 255})
    await hass.async_block_till_done()
    counters = entry.runtime_data.capture.counters
    assert (counters.seen, counters.dropped) == (1000, 0)
    await hass.async_stop()
    store = ActivityStore(db_url(tmp_path))
    try:
        assert store.count_activity(entity_id="light.hall") == 1000
    finally:
        store.stop()
