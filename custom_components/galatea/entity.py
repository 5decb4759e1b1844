"""Base entities and the exposure policy: which routines become entities, and their names.

Every Galatea entity belongs to the one "Galatea" service device. What people act on gets an
entity enabled by default: when each person (and the household) wakes up, goes to bed, leaves and
gets home, and whether someone is running late. A routine kind with several variants (weekdays and
weekends, Monday/Wednesday/Friday and Tuesday/Thursday) is one entity showing the next expected
time of any of them. Habits and sequences (dozens of "light turned on" routines) stay in the card,
the calendar and the actions: one entity each would bury the device page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import GalateaCoordinator, Snapshot, get_coordinator
from .data import GalateaConfigEntry
from .engine import kinds
from .engine.memory.phrases import person_name
from .engine.results import RoutineRow, RoutineState

# Routine kinds a household acts on, in the order they happen in a day.
# The main routine kinds, in the order of a day (the engine's registry of kinds).
MAIN_KINDS: tuple[str, ...] = kinds.MAIN_KINDS
HOUSEHOLD = "household"


class GalateaEntity(Entity):
    """Unique id ``{entry_id}_{key}``, translated name, the Galatea service device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: GalateaConfigEntry, key: str) -> None:
        self.entry = entry
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_translation_key = key
        self._attr_device_info = galatea_device_info(entry)


class GalateaCoordinatorEntity(CoordinatorEntity[GalateaCoordinator]):
    """A Galatea entity fed by the coordinator, on the Galatea service device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: GalateaCoordinator, unique_id: str) -> None:
        super().__init__(coordinator)
        self._attr_unique_id = unique_id
        self._attr_device_info = galatea_device_info(coordinator.config_entry)


class GalateaRoutineEntity(GalateaCoordinatorEntity):
    """An entity about a person's (or the household's) main routines, of one kind or any;
    available while there is one."""

    def __init__(self, coordinator: GalateaCoordinator, platform: str, suffix: str,
                 person: str, kind: str | None, translation_key: str) -> None:
        super().__init__(coordinator, main_unique_id(coordinator.config_entry, platform, suffix))
        self.person = person
        self.kind = kind
        self._attr_translation_key = translation_key
        self._attr_translation_placeholders = {"person": person_label(coordinator.hass, person)}

    @property
    def _routines(self) -> list[RoutineState]:
        return main_routines(self.coordinator.data, self.person, self.kind)

    @property
    def available(self) -> bool:
        return super().available and bool(self._routines)


def galatea_device_info(entry: GalateaConfigEntry) -> DeviceInfo:
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name="Galatea",
        manufacturer="Galatea",
        model="Home memory",
        entry_type=DeviceEntryType.SERVICE,
    )


# -- routines grouped for entities ----------------------------------------------------------


def is_main_routine(kind: str | None, status: str | None) -> bool:
    """A main routine the user has not rejected: the ones entities and the calendar show."""
    return kind in MAIN_KINDS and status != "rejected"


def is_main(routine: RoutineRow) -> bool:
    return is_main_routine(routine["kind"], routine["status"])


def who(routine: RoutineRow) -> str:
    """The person entity a routine belongs to, or ``household``."""
    return routine["person"] or HOUSEHOLD


def main_routines(snap: Snapshot | None, person: str, kind: str | None = None
                  ) -> list[RoutineState]:
    """The main routines of ``person`` (``household`` for the home's), optionally one kind."""
    if snap is None:
        return []
    return [
        r for r in snap.routines.values()
        if is_main(r) and who(r) == person and (kind is None or r["kind"] == kind)
    ]


def person_label(hass: HomeAssistant, person: str) -> str:
    """A person's name as the home spells it (the person entity's name), never an id."""
    if person == HOUSEHOLD:
        return "Household"
    state = hass.states.get(person)
    if state is not None and state.name and state.name != person:
        return state.name
    return person_name(person)


def routine_attributes(r: RoutineRow) -> dict[str, Any]:
    return {
        "key": r["key"],
        "kind": r["kind"],
        "person": r["person"],
        "usual_time": r["time"],
        "spread_min": r["spread_min"],
        "days": r["days"],
        "confidence": r["confidence"],
        "support_days": r["support_days"],
        "status": r["status"],
    }


@callback
def track_entities(
    hass: HomeAssistant,
    entry: GalateaConfigEntry,
    platform: str,
    async_add_entities: AddEntitiesCallback,
    wanted: Callable[[GalateaCoordinator, Snapshot], dict[str, Callable[[], Entity]]],
) -> None:
    """Add the entities ``wanted`` names (unique-id suffix -> factory) as they appear; remove
    the ones no longer wanted, and the one-per-routine entities of earlier versions."""
    coordinator = get_coordinator(entry)
    known: set[str] = set()
    registry = er.async_get(hass)
    prefix = f"{entry.entry_id}_{platform}_main_"
    legacy = f"{entry.entry_id}_{platform}_routine_"

    @callback
    def _sync() -> None:
        data = coordinator.data
        if data is None:
            return
        factories = wanted(coordinator, data)
        current = set(factories)
        new = [factories[k]() for k in sorted(current - known)]
        known.intersection_update(current)
        known.update(current)
        if new:
            async_add_entities(new)
        for reg_entry in er.async_entries_for_config_entry(registry, entry.entry_id):
            uid = reg_entry.unique_id
            if reg_entry.domain != platform:
                continue
            if uid.startswith(legacy) or (
                uid.startswith(prefix) and uid[len(prefix):] not in current
            ):
                registry.async_remove(reg_entry.entity_id)

    _sync()
    entry.async_on_unload(coordinator.async_add_listener(_sync))


def main_unique_id(entry: GalateaConfigEntry, platform: str, suffix: str) -> str:
    return f"{entry.entry_id}_{platform}_main_{suffix}"


def groups(snap: Snapshot) -> Iterable[tuple[str, str]]:
    """(person, kind) pairs with at least one main routine, sorted."""
    return sorted({(who(r), r["kind"]) for r in snap.routines.values() if is_main(r)})
