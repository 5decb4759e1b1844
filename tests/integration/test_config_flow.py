"""Config, options and reconfigure flows."""

from __future__ import annotations

from pathlib import Path

import pytest
from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.galatea import config_flow
from custom_components.galatea.const import DOMAIN
from custom_components.galatea.data import resolve_db_url

from .conftest import db_url, flush, options_form, setup_galatea


async def test_user_flow_creates_entry(hass: HomeAssistant, tmp_path: Path) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"db_url": db_url(tmp_path), "backfill": False}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Galatea"
    assert result["data"] == {"db_url": db_url(tmp_path), "backfill": False}
    entry = result["result"]
    assert entry.runtime_data.options.db_url == db_url(tmp_path)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_user_flow_errors_then_recovers(hass: HomeAssistant, tmp_path: Path) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"db_url": "nosuchdriver://x/y", "backfill": False}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"db_url": "invalid_url"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"db_url": str(tmp_path / "no" / "such" / "dir.db"), "backfill": False}
    )
    assert result["errors"] == {"db_url": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"db_url": "postgresql+psycopg://u:p@127.0.0.1:1/none", "backfill": False},
    )
    assert result["errors"] == {"db_url": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"db_url": str(tmp_path / "g.db"), "backfill": False}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["db_url"] == str(tmp_path / "g.db")
    assert result["result"].runtime_data.options.db_url == f"sqlite:///{tmp_path / 'g.db'}"
    assert await hass.config_entries.async_unload(result["result"].entry_id)


async def test_single_instance(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(hass, tmp_path)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"
    assert await hass.config_entries.async_unload(entry.entry_id)


def test_resolve_db_url() -> None:
    assert resolve_db_url("", "/config") == "sqlite:////config/galatea.db"
    assert resolve_db_url("sub/x.db", "/config") == "sqlite:////config/sub/x.db"
    assert resolve_db_url("/data/x.db", "/config") == "sqlite:////data/x.db"
    url = "postgresql+psycopg://u:p@db/galatea"
    assert resolve_db_url(url, "/config") == url


async def test_options_flow(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(hass, tmp_path)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    base = {
        "domains": ["light", "person"],
        "binary_device_classes": ["motion"],
        "include_entities": ["sensor.kitchen_temperature"],
        "exclude_entities": [],
        "include_numeric_sensors": False,
        "retention_days": 30,
        "commit_interval": 2.5,
        "engine_interval": 10,
    }
    # Errors first: the same entity always and never recorded; nothing to record.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        options_form({**base, "exclude_entities": ["sensor.kitchen_temperature"]}),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"exclude_entities": "include_exclude_overlap"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options_form({**base, "domains": [], "include_entities": []})
    )
    assert result["errors"] == {"domains": "nothing_to_capture"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options_form(base)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # The entry reloaded with the new choices.
    options = entry.runtime_data.options
    assert options.domains == frozenset({"light", "person"})
    assert options.include_entities == frozenset({"sensor.kitchen_temperature"})
    assert options.retention_days == 30
    assert options.engine_interval == 10
    assert options.commit_interval == 2.5
    assert entry.runtime_data.store.settings.commit_interval == 2.5
    hass.states.async_set("switch.kettle", "on")  # domain no longer selected
    hass.states.async_set("sensor.kitchen_temperature", "21.5")  # included explicitly
    await flush(hass, entry)  # normalised on the store's writer thread
    assert entry.runtime_data.capture.counters.captured == 1
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_flow(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(hass, tmp_path)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"db_url": "not a url://"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"db_url": "invalid_url"}
    new_url = db_url(tmp_path, "moved.db")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"db_url": new_url}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["db_url"] == new_url
    assert entry.runtime_data.options.db_url == new_url
    assert (tmp_path / "moved.db").exists()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_user_flow_unexpected_error(
    hass: HomeAssistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(url: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(config_flow, "validate_db_url", boom)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"db_url": db_url(tmp_path), "backfill": False}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
