"""Sensors: when each person (and the household) is next expected to wake up, leave, get home
and go to bed, plus a few counters (activity today, last activity, memories).

One sensor per person and routine kind, whatever the number of learned variants (weekdays and
weekends): it shows the next expected time of any of them. Routine sensors come and go with the
routines; habits and sequences have no entity (see ``entity.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .coordinator import GalateaCoordinator, Snapshot, get_coordinator
from .data import GalateaConfigEntry
from .diagnostic_sensors import diagnostic_sensors
from .engine.results import RoutineState
from .entity import (
    GalateaCoordinatorEntity,
    GalateaRoutineEntity,
    groups,
    routine_attributes,
    track_entities,
)

PARALLEL_UPDATES = 0


def _last_activity_attributes(snap: Snapshot) -> dict[str, Any] | None:
    last = snap.activity["last"]
    if not last:
        return None
    person = last["person"]
    return {
        "ts": last["ts"],
        "entity_id": last["entity_id"],
        "area": last["area"],
        # Only a person entity; an HA user's raw id is never shown.
        "person": person if person and person.startswith("person.") else None,
    }


def _last_activity_text(snap: Snapshot) -> str | None:
    last = snap.activity["last"]
    return last["text"][:255] if last else None


@dataclass(frozen=True, kw_only=True)
class GalateaSensorEntityDescription(SensorEntityDescription):
    """A sensor read from one coordinator snapshot."""

    value_fn: Callable[[Snapshot], StateType | datetime]
    attributes_fn: Callable[[Snapshot], dict[str, Any] | None] = lambda _snap: None


SENSORS: tuple[GalateaSensorEntityDescription, ...] = (
    GalateaSensorEntityDescription(
        key="activity_today",
        translation_key="activity_today",
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement="activities",
        value_fn=lambda snap: snap.activity["total"],
    ),
    GalateaSensorEntityDescription(
        key="last_activity",
        translation_key="last_activity",
        value_fn=_last_activity_text,
        attributes_fn=_last_activity_attributes,
    ),
    GalateaSensorEntityDescription(
        key="memories",
        translation_key="memories",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="memories",
        value_fn=lambda snap: snap.memories,
    ),
)


class GalateaSensor(GalateaCoordinatorEntity, SensorEntity):
    """A counter or text described by a ``GalateaSensorEntityDescription``."""

    entity_description: GalateaSensorEntityDescription

    def __init__(
        self, coordinator: GalateaCoordinator, description: GalateaSensorEntityDescription
    ) -> None:
        super().__init__(coordinator, f"{coordinator.config_entry.entry_id}_{description.key}")
        self.entity_description = description

    @property
    def native_value(self) -> StateType | datetime:
        data = self.coordinator.data
        return self.entity_description.value_fn(data) if data else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        data = self.coordinator.data
        return self.entity_description.attributes_fn(data) if data else None


def next_of(routines: list[RoutineState]) -> tuple[datetime, RoutineState] | None:
    """The earliest next expected time among ``routines`` and the routine it belongs to."""
    best: tuple[datetime, RoutineState] | None = None
    for r in routines:
        nxt = dt_util.parse_datetime(r["next_expected"]) if r["next_expected"] else None
        if nxt is not None and (best is None or nxt < best[0]):
            best = (nxt, r)
    return best


class RoutineSensor(GalateaRoutineEntity, SensorEntity):
    """When a person's (or the household's) routine of one kind is next expected."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP

    def __init__(self, coordinator: GalateaCoordinator, person: str, kind: str) -> None:
        super().__init__(coordinator, "sensor", f"{kind}_{person}", person, kind, kind)

    @property
    def native_value(self) -> datetime | None:
        best = next_of(self._routines)
        return best[0] if best else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        routines = self._routines
        best = next_of(routines)
        if best is None:
            return None
        return {
            **routine_attributes(best[1]),
            "variants": [
                {"key": r["key"], "days": r["days"], "usual_time": r["time"],
                 "status": r["status"]}
                for r in sorted(routines, key=lambda r: r["time"])
            ],
        }


def _routine_sensors(
    coordinator: GalateaCoordinator, snap: Snapshot
) -> dict[str, Callable[[], Entity]]:
    return {
        f"{kind}_{person}": partial(RoutineSensor, coordinator, person, kind)
        for person, kind in groups(snap)
    }


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GalateaConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up Galatea's sensors."""
    coordinator = get_coordinator(entry)
    async_add_entities([
        *(GalateaSensor(coordinator, description) for description in SENSORS),
        *diagnostic_sensors(entry),
    ])
    track_entities(hass, entry, "sensor", async_add_entities, _routine_sensors)
