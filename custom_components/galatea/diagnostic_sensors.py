"""Diagnostic sensors owned by the integration core (added by the sensor platform).

``sensor.galatea_backfill_progress``: how much of the recorder's history has been imported.
The sensor platform (``sensor.py``) adds ``diagnostic_sensors(entry)`` to its entities.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorEntity, SensorStateClass
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .const import SIGNAL_BACKFILL_PROGRESS
from .data import GalateaConfigEntry
from .entity import GalateaEntity


class BackfillProgressSensor(GalateaEntity, SensorEntity):
    """Percentage of the recorder's history imported; attributes say status and count."""

    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_native_unit_of_measurement = PERCENTAGE
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_suggested_display_precision = 0

    def __init__(self, entry: GalateaConfigEntry) -> None:
        super().__init__(entry, "backfill_progress")

    async def async_added_to_hass(self) -> None:
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                SIGNAL_BACKFILL_PROGRESS.format(self.entry.entry_id),
                self._async_progress,
            )
        )

    @callback
    def _async_progress(self) -> None:
        self.async_write_ha_state()

    @property
    def native_value(self) -> float | None:
        backfill = self.entry.runtime_data.backfill
        return round(backfill.progress, 1) if backfill else None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        backfill = self.entry.runtime_data.backfill
        if backfill is None:
            return {"status": "disabled"}
        return {"status": backfill.status, "imported": backfill.imported}


def diagnostic_sensors(entry: GalateaConfigEntry) -> list[SensorEntity]:
    """The integration's own diagnostic sensors (only when there is something to show)."""
    if not entry.data.get("backfill", True):
        return []
    return [BackfillProgressSensor(entry)]
