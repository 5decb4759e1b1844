"""Diagnostics: configuration, store health and capture counters, with secrets redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .const import CONF_DB_URL, CONF_EXCLUDE_ENTITIES, CONF_INCLUDE_ENTITIES
from .data import GalateaConfigEntry
from .engine.models import SOURCES

TO_REDACT = {
    "addon_token",
    "llm_api_key",
    "token",
    "password",
    "webhook_id",
    "frigate_url",
    "user_id",
    "users",
    "person",
    "actor",
    CONF_INCLUDE_ENTITIES,
    CONF_EXCLUDE_ENTITIES,
}


def redact_db_url(url: str) -> str:
    """Hide the password in a database URL (sqlite paths are kept: they help debugging)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "**REDACTED**"


def _store_report(entry: GalateaConfigEntry) -> dict[str, Any]:
    store = entry.runtime_data.store
    stats = dict(store.stats())
    stats["activity_by_source"] = {
        source: store.count_activity(source=source) for source in sorted(SOURCES)
    }
    return stats


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> dict[str, Any]:
    """What a maintainer needs to understand a problem, without personal data."""
    data = entry.runtime_data
    entry_data = dict(entry.data)
    if CONF_DB_URL in entry_data:
        entry_data[CONF_DB_URL] = redact_db_url(str(entry_data[CONF_DB_URL]))
    runner = data.runner
    report: dict[str, Any] = {
        "entry": {
            "data": async_redact_data(entry_data, TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "database": redact_db_url(data.options.db_url),
        "store": await hass.async_add_executor_job(_store_report, entry),
        "capture": data.capture.counters.as_dict() if data.capture else None,
        "backfill": data.backfill.as_dict() if data.backfill else None,
        "frigate": (
            data.mqtt_capture.diagnostics() if data.mqtt_capture is not None else None
        ),
        "digital": data.digital.as_dict() if data.digital is not None else None,
        "runner": (
            {
                "runs": runner.runs,
                "running": runner.running,
                "last_run": runner.last_run.isoformat() if runner.last_run else None,
                "last_error": runner.last_error,
                "naming": runner.naming.as_dict() if runner.naming else None,
                # What the home's own history taught: noisy sensors, inner doors, the pet.
                "home": runner.home_facts(),
            }
            if runner
            else None
        ),
    }
    return report
