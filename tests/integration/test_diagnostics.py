"""Diagnostics: useful figures, no secrets or personal data."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.core import Context, HomeAssistant
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.galatea.diagnostics import (
    async_get_config_entry_diagnostics,
    redact_db_url,
)

from .conftest import flush, setup_galatea


def test_redact_db_url() -> None:
    assert redact_db_url("postgresql+psycopg://anna:s3cret@db:5432/galatea") == (
        "postgresql+psycopg://anna:***@db:5432/galatea"
    )
    assert redact_db_url("sqlite:////config/galatea.db") == "sqlite:////config/galatea.db"
    assert redact_db_url("::::") == "**REDACTED**"


async def test_diagnostics(hass: HomeAssistant, tmp_path: Path, hass_admin_user: MockUser) -> None:
    hass.states.async_set("person.anna", "home", {"user_id": hass_admin_user.id})
    entry = await setup_galatea(
        hass,
        tmp_path,
        options={"exclude_entities": ["light.anna_secret_room"], "retention_days": 30},
        data={"addon_token": "tok-123", "webhook_id": "hook-456"},
    )
    hass.states.async_set("light.kitchen", "on", context=Context(user_id=hass_admin_user.id))
    await flush(hass, entry)
    diag = await async_get_config_entry_diagnostics(hass, entry)
    text = json.dumps(diag, default=str)
    for secret in ("tok-123", "hook-456", hass_admin_user.id, "anna_secret_room"):
        assert secret not in text
    assert diag["entry"]["options"]["retention_days"] == 30
    assert diag["capture"]["captured"] == 1
    assert diag["store"]["activity_by_source"]["ha"] == 1
    assert diag["backfill"] is None
    assert diag["runner"]["last_error"] is None
    assert isinstance(diag["runner"]["runs"], int)
    # After a run: what the home taught, as plain data (too little here to learn anything).
    runner = entry.runtime_data.runner
    assert runner is not None
    await runner.async_run(full=True)
    diag = await async_get_config_entry_diagnostics(hass, entry)
    home = diag["runner"]["home"]
    assert set(home) == {
        "pet_areas",
        "pet_blips_per_hour",
        "pet_areas_by_day",
        "usual_wake_minute",
        "usual_bedtime_minute",
        "mornings_start_in_bedroom",
        "nights_start_in_bedroom",
        "inner_doors",
        "noisy_sensors",
        "sensors_seeing_the_bed",
        "scheduled_devices",
        "sensors_elsewhere",
        "carried_sensors",
        "area_roles_learned",
        "model",
    }
    assert home["model"] is None
    json.dumps(diag)
    assert await hass.config_entries.async_unload(entry.entry_id)
