"""Deviation binary sensors: on while an expected routine is late beyond its usual spread.

One per routine. The coordinator fires ``galatea_routine_deviation`` when one turns late.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass, BinarySensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .coordinator import GalateaCoordinator
from .data import GalateaConfigEntry
from .sensor import (
    GalateaCoordinatorEntity,
    routine_attributes,
    routine_name_placeholders,
    routine_translation_key,
    routine_unique_id,
    track_routine_entities,
)

PARALLEL_UPDATES = 0


class RoutineDeviationSensor(GalateaCoordinatorEntity, BinarySensorEntity):
    """On when the routine's last expected time plus its margin passed without it happening."""

    _attr_device_class = BinarySensorDeviceClass.PROBLEM

    def __init__(self, coordinator: GalateaCoordinator, routine: dict[str, Any]) -> None:
        super().__init__(
            coordinator,
            routine_unique_id(coordinator.config_entry, "binary_sensor", routine["key"]),
        )
        self.routine_key: str = routine["key"]
        self._attr_translation_key = routine_translation_key(routine, "_late")
        self._attr_translation_placeholders = routine_name_placeholders(routine)

    @property
    def _routine(self) -> dict[str, Any] | None:
        data = self.coordinator.data
        return data.routines.get(self.routine_key) if data else None

    @property
    def available(self) -> bool:
        return super().available and self._routine is not None

    @property
    def is_on(self) -> bool | None:
        r = self._routine
        return bool(r.get("deviating")) if r else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        r = self._routine
        if r is None:
            return None
        return {
            **routine_attributes(r),
            "expected": r.get("last_expected"),
            "minutes_late": r.get("late_min"),
            "margin_min": r.get("margin_min"),
        }


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GalateaConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up one deviation binary sensor per routine."""
    track_routine_entities(hass, entry, "binary_sensor", async_add_entities,
                           RoutineDeviationSensor)
