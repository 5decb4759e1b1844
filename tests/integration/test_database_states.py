"""Databases in states Galatea did not make, a locked file at start-up, a full disk: the entry
state, the repair issue, and no waiting on HA's start-up."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry
from sqlalchemy import create_engine

from custom_components.galatea.const import DOMAIN
from custom_components.galatea.engine.store import ActivityStore
from custom_components.galatea.engine.store.schema import schema_changes

from .conftest import db_url, flush, setup_galatea


@pytest.fixture(autouse=True)
async def _unload_galatea(hass: HomeAssistant) -> AsyncIterator[None]:
    yield
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _try_setup(hass: HomeAssistant, tmp_path: Path) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, data={"db_url": db_url(tmp_path), "backfill": False})
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _issue(hass: HomeAssistant, key: str, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{key}_{entry.entry_id}")


async def test_foreign_database_is_refused_with_a_repair_issue(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    with sqlite3.connect(tmp_path / "galatea.db") as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    entry = await _try_setup(hass, tmp_path)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    issue = _issue(hass, "database_foreign", entry)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["tables"] == "invoices"


async def test_newer_database_is_refused_with_a_repair_issue(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    path = tmp_path / "galatea.db"
    await hass.async_add_executor_job(lambda: ActivityStore(path=path).stop())
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(schema_changes.insert().values(
            schema_version=99, changed=datetime(2026, 1, 1, tzinfo=UTC)))
    engine.dispose()
    entry = await _try_setup(hass, tmp_path)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    issue = _issue(hass, "database_too_new", entry)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["found"] == "99"


async def test_locked_database_is_not_ready_within_seconds(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    path = tmp_path / "galatea.db"
    await hass.async_add_executor_job(lambda: ActivityStore(path=path).stop())
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        entry = await _try_setup(hass, tmp_path)
        assert time.monotonic() - started < 5
        assert entry.state is ConfigEntryState.SETUP_RETRY
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_full_disk_raises_and_clears_a_repair_issue(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    entry = await setup_galatea(hass, tmp_path)
    store = entry.runtime_data.store
    hass.states.async_set("light.kitchen", "on")
    await flush(hass, entry)
    pages = await hass.async_add_executor_job(
        lambda: int(store.engine.connect().exec_driver_sql("PRAGMA page_count").scalar() or 0))
    await hass.async_add_executor_job(store.set_page_limit, pages)
    for i in range(200):
        hass.states.async_set("light.kitchen", "off" if i % 2 else "on", {"i": "x" * 500})
    await hass.async_block_till_done()
    for _ in range(100):
        await hass.async_add_executor_job(time.sleep, 0.05)
        await hass.async_block_till_done()
        if _issue(hass, "database_full", entry) is not None:
            break
    assert _issue(hass, "database_full", entry) is not None
    await hass.async_add_executor_job(store.set_page_limit, None)
    await flush(hass, entry)
    await hass.async_block_till_done()
    assert _issue(hass, "database_full", entry) is None
    # All kept and written: the first change of the loop only changed attributes (not activity).
    assert store.count_activity() == 200
    assert store.stats()["dropped"] == 0
