"""What Galatea's entities show, refreshed after each engine run and every minute.

The coordinator asks the entry's engine backend (``backend.py``: the engine in this process, in
the executor, or the add-on) for routines with their next expected time and whether they are
late, today's activity count and the last activity; the count of memories comes from the store
(in the executor: SQLite reads never run on the event loop). It fires
``galatea_routine_deviation`` once per late occurrence (person, routine, minutes late).
``galatea_routine_learned``/``changed`` are fired by the runner, not here.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from homeassistant.const import EVENT_COMPONENT_LOADED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.setup import EventComponentLoaded

from .const import DOMAIN, EVENT_ROUTINE_DEVIATION, LOGGER, SIGNAL_ENGINE_UPDATED
from .data import GalateaConfigEntry, set_up
from .engine.api import GalateaAPI
from .engine.backend import EngineBackend
from .engine.memory.formation import STATE_REVISION
from .engine.results import ActivitySummary, RoutineState

UPDATE_INTERVAL = timedelta(minutes=1)


@dataclass(slots=True)
class Snapshot:
    """One refresh: routines by key (``GalateaAPI.routine_states`` rows) and activity."""

    routines: dict[str, RoutineState]
    activity: ActivitySummary
    memories: int = 0


class GalateaCoordinator(DataUpdateCoordinator[Snapshot]):
    """Polls the store every minute; refreshes at once when the engine has run."""

    config_entry: GalateaConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: GalateaConfigEntry, api: GalateaAPI,
        backend: EngineBackend,
    ) -> None:
        super().__init__(
            hass, LOGGER, config_entry=entry, name=DOMAIN, update_interval=UPDATE_INTERVAL
        )
        self.api = api  # local helpers (now, invalidate) and the store
        self.backend = backend
        # Occurrences already announced, oldest first (a dict used as an ordered set).
        self._fired: dict[tuple[str, str | None], None] = {}
        self._count_rev: tuple[Any, int] | None = None

    def _absent_people(self) -> set[str]:
        return {s.entity_id for s in self.hass.states.async_all("person") if s.state == "not_home"}

    def _memory_count(self) -> int:
        """Memories still true; recounted only when the memory revision moved (cheap poll)."""
        store = self.api.store
        rev = store.get_state(STATE_REVISION)
        if self._count_rev is None or rev != self._count_rev[0]:
            self._count_rev = (rev, len(store.memories()))
        return self._count_rev[1]

    async def _async_update_data(self) -> Snapshot:
        absent = self._absent_people()
        try:
            states = await self.backend.routine_states(absent=absent)
            activity = await self.backend.activity_summary(detail=False)
            snap = Snapshot(
                routines={r["key"]: r for r in states["routines"]},
                activity=activity,
                memories=await self.hass.async_add_executor_job(self._memory_count),
            )
        except Exception as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self._fire_deviations(snap)
        return snap

    @callback
    def _fire_deviations(self, snap: Snapshot) -> None:
        for key, r in snap.routines.items():
            if not r["deviating"]:
                continue
            occurrence = (key, r["last_expected"])
            if occurrence in self._fired:
                continue
            self._fired[occurrence] = None
            self.hass.bus.async_fire(
                EVENT_ROUTINE_DEVIATION,
                {
                    "person": r["person"],
                    "routine": key,
                    "kind": r["kind"],
                    "label": r["label"],
                    "expected": r["last_expected"],
                    "minutes_late": r["late_min"],
                    "usual_time": r["time"],
                    "spread_min": r["spread_min"],
                },
            )
        if len(self._fired) > 1000:
            # Forget the oldest occurrences (a dict keeps insertion order; a set does not, and
            # trimming one could forget a recent occurrence and fire it again).
            for old in list(self._fired)[:-200]:
                del self._fired[old]

    @callback
    def async_engine_updated(self) -> None:
        self.api.invalidate()
        self.hass.async_create_task(self.async_request_refresh(), eager_start=True)


BLUEPRINTS = Path(__file__).parent / "blueprints"


def install_blueprints(config_dir: str) -> list[str]:
    """Copy Galatea's blueprints to ``<config>/blueprints/<domain>/galatea/`` unless present
    (a user's edited copy is never overwritten). Returns the paths written. Blocking I/O."""
    written: list[str] = []
    for source in sorted(BLUEPRINTS.glob("*/*.yaml")):
        target = Path(config_dir) / "blueprints" / source.parent.name / DOMAIN / source.name
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(str(target))
    return written


async def _async_install_blueprints(hass: HomeAssistant) -> None:
    try:
        written = await hass.async_add_executor_job(install_blueprints, hass.config.config_dir)
    except OSError as err:
        LOGGER.warning("Could not install Galatea's blueprints: %s", err)
        return
    if written:
        LOGGER.info("Installed Galatea blueprints: %s", ", ".join(written))


async def async_install_blueprints_when_ready(hass: HomeAssistant) -> Callable[[], None] | None:
    """Install the blueprints once HA's ``blueprint`` integration is loaded (now or later)."""
    if "blueprint" in hass.config.components:
        await _async_install_blueprints(hass)
        return None

    @callback
    def _loaded(event: Event[EventComponentLoaded]) -> None:
        if event.data["component"] == "blueprint":
            hass.async_create_task(_async_install_blueprints(hass), eager_start=True)

    return hass.bus.async_listen(EVENT_COMPONENT_LOADED, _loaded)


def get_coordinator(entry: GalateaConfigEntry) -> GalateaCoordinator:
    return set_up(entry.runtime_data.coordinator, "coordinator")


def get_api(entry: GalateaConfigEntry) -> GalateaAPI:
    """The engine's API in this process: pure helpers and the store (answers come from
    ``backend.get_backend``)."""
    return set_up(entry.runtime_data.api, "API")


async def async_setup_feature(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> Callable[[], Awaitable[None]] | None:
    """Create the coordinator (before the entity platforms), do a first refresh."""
    data = entry.runtime_data
    coordinator = GalateaCoordinator(
        hass, entry, set_up(data.api, "API"), set_up(data.backend, "engine backend"))
    data.coordinator = coordinator
    unsub_blueprints = await async_install_blueprints_when_ready(hass)
    await coordinator.async_refresh()
    unsub = async_dispatcher_connect(
        hass, SIGNAL_ENGINE_UPDATED.format(entry.entry_id), coordinator.async_engine_updated
    )

    @callback
    async def _unload() -> None:
        unsub()
        if unsub_blueprints is not None:
            unsub_blueprints()
        # HA's stop does not unload entries: cancel the refresh timer before the store closes.
        await coordinator.async_shutdown()
        entry.runtime_data.coordinator = None

    return _unload
