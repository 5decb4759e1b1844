"""Late binary sensors: on while an expected routine is late beyond its usual spread.

One per person (and the household), on when any of their main routines (wake up, leave, get home,
go to bed) is late; its attributes say which. One per person and routine kind as well, disabled by
default, for automations about one routine only. The coordinator fires
``galatea_routine_deviation`` once per late occurrence.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass, BinarySensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .coordinator import GalateaCoordinator, Snapshot
from .data import GalateaConfigEntry
from .engine.results import RoutineState
from .entity import GalateaRoutineEntity, groups, routine_attributes, track_entities

PARALLEL_UPDATES = 0


def _late_attributes(routines: list[RoutineState]) -> dict[str, Any] | None:
    """The latest of the late routines, else the one expected most recently."""
    if not routines:
        return None
    late = [r for r in routines if r["deviating"]]
    if late:
        r = max(late, key=lambda r: r["late_min"])
    else:
        r = max(routines, key=lambda r: r["last_expected"] or "")
    return {
        **routine_attributes(r),
        "expected": r["last_expected"],
        "minutes_late": r["late_min"] if r["deviating"] else 0,
        "margin_min": r["margin_min"],
    }


class LateSensor(GalateaRoutineEntity, BinarySensorEntity):
    """On when one of a person's main routines (of one kind, or any) is late."""

    _attr_device_class = BinarySensorDeviceClass.PROBLEM

    def __init__(self, coordinator: GalateaCoordinator, person: str, kind: str | None) -> None:
        super().__init__(
            coordinator, "binary_sensor",
            f"late_{kind}_{person}" if kind else f"late_{person}", person, kind,
            f"{kind}_late" if kind else "routine_late",
        )
        # The per-person sensor is the one a household uses; per-kind ones are for automations.
        self._attr_entity_registry_enabled_default = kind is None

    @property
    def is_on(self) -> bool | None:
        routines = self._routines
        return any(r["deviating"] for r in routines) if routines else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        return _late_attributes(self._routines)


def _late_sensors(
    coordinator: GalateaCoordinator, snap: Snapshot
) -> dict[str, Callable[[], Entity]]:
    pairs = list(groups(snap))
    out: dict[str, Callable[[], Entity]] = {
        f"late_{person}": partial(LateSensor, coordinator, person, None)
        for person in sorted({person for person, _kind in pairs})
    }
    out.update({
        f"late_{kind}_{person}": partial(LateSensor, coordinator, person, kind)
        for person, kind in pairs
    })
    return out


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GalateaConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Set up the late binary sensors."""
    track_entities(hass, entry, "binary_sensor", async_add_entities, _late_sensors)
