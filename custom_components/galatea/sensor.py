"""Sensors: one per learned routine (next expected time), activity today, last activity.

Routine sensors come and go with the routines: a new routine adds its sensor (and deviation
binary sensor) on the next refresh; a routine that disappears or is rejected has its entities
removed from the entity registry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .coordinator import GalateaCoordinator, get_coordinator
from .data import GalateaConfigEntry
from .diagnostic_sensors import diagnostic_sensors
from .engine.memory.phrases import person_name
from .entity import galatea_device_info

PARALLEL_UPDATES = 0
ROUTINE_KINDS_TRANSLATED = frozenset({"wake_up", "go_to_bed", "leave_home", "arrive_home"})


def routine_unique_id(entry: GalateaConfigEntry, platform: str, key: str) -> str:
    return f"{entry.entry_id}_{platform}_routine_{key}"


def routine_name_placeholders(r: dict[str, Any]) -> dict[str, str]:
    label = str(r.get("label") or r.get("kind") or "routine")
    return {
        "person": person_name(r.get("person")) if r.get("person") else "Household",
        "routine": label.replace("_", " "),
    }


def routine_translation_key(r: dict[str, Any], suffix: str = "") -> str:
    kind = str(r.get("kind"))
    return (f"{kind}{suffix}" if kind in ROUTINE_KINDS_TRANSLATED else f"routine{suffix}")


def routine_attributes(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": r["key"],
        "kind": r.get("kind"),
        "person": r.get("person"),
        "usual_time": r.get("time"),
        "spread_min": r.get("spread_min"),
        "days": r.get("days"),
        "confidence": r.get("confidence"),
        "support_days": r.get("support_days"),
        "status": r.get("status"),
    }


class GalateaCoordinatorEntity(CoordinatorEntity[GalateaCoordinator]):
    """A Galatea entity fed by the coordinator, on the Galatea service device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: GalateaCoordinator, unique_id: str) -> None:
        super().__init__(coordinator)
        self._attr_unique_id = unique_id
        self._attr_device_info = galatea_device_info(coordinator.config_entry)


class RoutineSensor(GalateaCoordinatorEntity, SensorEntity):
    """Next time a routine is expected (timestamp) with its statistics as attributes."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP

    def __init__(self, coordinator: GalateaCoordinator, routine: dict[str, Any]) -> None:
        super().__init__(coordinator,
                         routine_unique_id(coordinator.config_entry, "sensor", routine["key"]))
        self.routine_key: str = routine["key"]
        self._attr_translation_key = routine_translation_key(routine)
        self._attr_translation_placeholders = routine_name_placeholders(routine)

    @property
    def _routine(self) -> dict[str, Any] | None:
        data = self.coordinator.data
        return data.routines.get(self.routine_key) if data else None

    @property
    def available(self) -> bool:
        return super().available and self._routine is not None

    @property
    def native_value(self) -> datetime | None:
        r = self._routine
        if r is None or not r.get("next_expected"):
            return None
        return dt_util.parse_datetime(r["next_expected"])

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        r = self._routine
        return routine_attributes(r) if r else None


class ActivityTodaySensor(GalateaCoordinatorEntity, SensorEntity):
    """How many activities were recorded since local midnight."""

    _attr_translation_key = "activity_today"
    _attr_state_class = SensorStateClass.TOTAL_INCREASING
    _attr_native_unit_of_measurement = "activities"

    def __init__(self, coordinator: GalateaCoordinator) -> None:
        super().__init__(coordinator, f"{coordinator.config_entry.entry_id}_activity_today")

    @property
    def native_value(self) -> int | None:
        data = self.coordinator.data
        return int(data.activity.get("total", 0)) if data else None


class LastActivitySensor(GalateaCoordinatorEntity, SensorEntity):
    """The last recorded activity, in words; its time, entity, area and person as attributes."""

    _attr_translation_key = "last_activity"

    def __init__(self, coordinator: GalateaCoordinator) -> None:
        super().__init__(coordinator, f"{coordinator.config_entry.entry_id}_last_activity")

    @property
    def _last(self) -> dict[str, Any] | None:
        data = self.coordinator.data
        return data.activity.get("last") if data else None

    @property
    def native_value(self) -> str | None:
        last = self._last
        return str(last["text"])[:255] if last else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        last = self._last
        if not last:
            return None
        return {k: last.get(k) for k in ("ts", "entity_id", "area", "person")}


class MemoriesSensor(GalateaCoordinatorEntity, SensorEntity):
    """How many memories Galatea currently holds (still true, not rejected)."""

    _attr_translation_key = "memories"
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_native_unit_of_measurement = "memories"

    def __init__(self, coordinator: GalateaCoordinator) -> None:
        super().__init__(coordinator, f"{coordinator.config_entry.entry_id}_memories")

    @property
    def native_value(self) -> int | None:
        data = self.coordinator.data
        return data.memories if data else None


@callback
def track_routine_entities(
    hass: HomeAssistant,
    entry: GalateaConfigEntry,
    platform: str,
    async_add_entities: AddEntitiesCallback,
    factory: Callable[[GalateaCoordinator, dict[str, Any]], Any],
    wanted: Callable[[dict[str, Any]], bool] = lambda _r: True,
) -> None:
    """Add an entity per routine as routines appear; remove stale ones from the registry."""
    coordinator = get_coordinator(entry)
    known: set[str] = set()
    registry = er.async_get(hass)
    prefix = f"{entry.entry_id}_{platform}_routine_"

    @callback
    def _sync() -> None:
        data = coordinator.data
        if data is None:
            return
        current = {k for k, r in data.routines.items() if wanted(r)}
        new = [factory(coordinator, data.routines[k]) for k in sorted(current - known)]
        known.update(current)
        if new:
            async_add_entities(new)
        for reg_entry in er.async_entries_for_config_entry(registry, entry.entry_id):
            if reg_entry.domain != platform or not reg_entry.unique_id.startswith(prefix):
                continue
            if reg_entry.unique_id[len(prefix):] not in current:
                known.discard(reg_entry.unique_id[len(prefix):])
                registry.async_remove(reg_entry.entity_id)

    _sync()
    entry.async_on_unload(coordinator.async_add_listener(_sync))


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GalateaConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up Galatea's sensors."""
    coordinator = get_coordinator(entry)
    async_add_entities([
        ActivityTodaySensor(coordinator),
        LastActivitySensor(coordinator),
        MemoriesSensor(coordinator),
        *diagnostic_sensors(entry),
    ])
    track_routine_entities(hass, entry, "sensor", async_add_entities, RoutineSensor)

