"""Shared fixtures for the integration tests (real HA core through the test harness).

``galatea_entry`` sets Galatea up on a fresh SQLite file in ``tmp_path`` (no backfill, runner
idle); ``setup_galatea(hass, tmp_path, options=..., data=...)`` does the same with choices.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.galatea.const import CONF_BACKFILL, CONF_DB_URL, DOMAIN

from .memory_support import simulated_db  # noqa: F401  (session fixture: simulated home store)


def db_url(tmp_path: Path, name: str = "galatea.db") -> str:
    return f"sqlite:///{tmp_path / name}"


async def setup_galatea(
    hass: HomeAssistant,
    tmp_path: Path,
    *,
    options: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """Add a Galatea config entry and set it up; asserts it loaded."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Galatea",
        data={CONF_DB_URL: db_url(tmp_path), CONF_BACKFILL: False, **(data or {})},
        options=options or {},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


def options_form(flat: dict[str, Any], *, naming: bool = True) -> dict[str, Any]:
    """Flat options as the sectioned options form submits them."""
    from custom_components.galatea.config_flow import SECTIONS, nest_sections, options_schema

    nested = nest_sections(flat, options_schema(naming=naming))
    for name in SECTIONS:
        nested.setdefault(name, {})
    return nested


async def flush(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Wait until everything captured so far is committed to the store."""
    await hass.async_block_till_done()
    assert await hass.async_add_executor_job(entry.runtime_data.store.flush, 10.0)


@pytest.fixture
async def galatea_entry(hass: HomeAssistant, tmp_path: Path) -> AsyncIterator[MockConfigEntry]:
    entry = await setup_galatea(hass, tmp_path)
    yield entry
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
