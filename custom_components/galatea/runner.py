"""The embedded engine runner: ``Engine.run_once`` in the executor every few minutes.

Incremental runs every ``engine_interval`` minutes, a full re-mine nightly, never two at once.
After a run it sends ``galatea_engine_updated_{entry_id}`` and fires
``galatea_routine_learned`` / ``galatea_routine_changed`` for what the run found.
Add-on mode (``entry.data["engine_mode"] == "addon"``) leaves this runner off: the add-on runs
the same engine remotely. When the options turn session naming on (``naming_ha.py``), the same
executor job then names the recent sessions the run found, before the signal is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_change, async_track_time_interval
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from .const import (
    CONF_ENGINE_MODE,
    ENGINE_MODE_EMBEDDED,
    EVENT_ROUTINE_CHANGED,
    EVENT_ROUTINE_LEARNED,
    LOGGER,
    NIGHTLY_FULL_RUN,
    SIGNAL_ENGINE_UPDATED,
)
from .database import async_check_recovery
from .engine.models import Routine, to_jsonable
from .naming_ha import EmbeddedNaming

if TYPE_CHECKING:
    from .data import GalateaConfigEntry

FIRST_RUN_DELAY = timedelta(seconds=60)


def uses_embedded_engine(entry: GalateaConfigEntry) -> bool:
    """True unless the entry delegates the engine to the add-on."""
    return bool(entry.data.get(CONF_ENGINE_MODE, ENGINE_MODE_EMBEDDED) == ENGINE_MODE_EMBEDDED)


def routine_event_data(routine: Routine) -> dict[str, Any]:
    """Bus event payload for a routine (no evidence list: it can be long)."""
    data: dict[str, Any] = to_jsonable(routine)
    data.pop("evidence", None)
    data.pop("id", None)
    return data


class EngineRunner:
    """Schedules engine runs for one config entry."""

    def __init__(self, hass: HomeAssistant, entry: GalateaConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        self._engine: Any = None
        self._engine_missing = False
        self._task: asyncio.Future[Any] | None = None
        self._unsubs: list[Callable[[], None]] = []
        self._stopping = False
        self.last_run: datetime | None = None
        self.last_summary: Any = None
        self.last_error: str | None = None
        self.runs = 0
        settings = entry.runtime_data.options.naming
        self.naming: EmbeddedNaming | None = (
            EmbeddedNaming(hass, settings, entry.runtime_data.store) if settings.enabled else None
        )

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @callback
    def async_start(self) -> None:
        interval = timedelta(minutes=self._entry.runtime_data.options.engine_interval)
        self._unsubs.append(
            async_track_time_interval(
                self._hass,
                self._async_tick,
                interval,
                name="galatea engine",
                cancel_on_shutdown=True,
            )
        )
        hour, minute = NIGHTLY_FULL_RUN
        self._unsubs.append(
            async_track_time_change(
                self._hass, self._async_nightly, hour=hour, minute=minute, second=0
            )
        )

    async def async_stop(self) -> None:
        """Cancel timers and wait for a run in progress (it cannot be interrupted midway)."""
        self._stopping = True
        if self.naming is not None:
            self.naming.cancel()
        while self._unsubs:
            self._unsubs.pop()()
        if self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    @callback
    def _async_tick(self, _now: datetime) -> None:
        self._hass.async_create_background_task(self.async_run(), "galatea engine run")

    @callback
    def _async_nightly(self, _now: datetime) -> None:
        self._hass.async_create_background_task(
            self.async_run(full=True), "galatea engine full run"
        )

    async def async_run(self, full: bool = False) -> Any:
        """Run the engine once (executor). Returns its RunSummary, or None if skipped."""
        if self._stopping or self.running:
            return None
        if self.naming is not None and not self.naming.prepared:
            await self.naming.async_prepare()
            if self._stopping or self.running:
                return None
        self._task = self._hass.async_add_executor_job(self._run_once, full)
        try:
            summary = await self._task
        except Exception as err:  # the engine is ours, but HA must not die with it
            # Once per cause (a full disk fails every run until space returns).
            repeated = self.last_error == str(err)
            self.last_error = str(err)
            if repeated:
                LOGGER.debug("Galatea engine run failed again: %s", err)
            else:
                LOGGER.exception("Galatea engine run failed")
            return None
        finally:
            self._task = None
        if summary is None:
            return None
        self.runs += 1
        self.last_run = dt_util.utcnow()
        self.last_summary = summary
        self.last_error = None
        self._async_publish(summary)
        return summary

    def _run_once(self, full: bool) -> Any:
        engine = self._get_engine()
        if engine is None:
            return None
        summary = engine.run_once(full=full)
        if self.naming is not None and not self._stopping:
            try:
                self.naming.name_after_run(dt_util.now(), full=full)
            except Exception:  # names are a nicety: the run itself succeeded
                LOGGER.exception("Galatea could not name the sessions")
        return summary

    def home_facts(self) -> dict[str, Any] | None:
        """What the engine learned about the home (None before its first run)."""
        return None if self._engine is None else dict(self._engine.home_facts())

    def _get_engine(self) -> Any:
        if self._engine is None and not self._engine_missing:
            try:
                from .engine.loop import Engine
            except ImportError:
                self._engine_missing = True
                LOGGER.warning("Galatea's engine loop is not available; learning is off")
                return None
            self._engine = Engine(self._entry.runtime_data.store, dt_util.get_default_time_zone())
        return self._engine

    @callback
    def _async_publish(self, summary: Any) -> None:
        async_check_recovery(self._hass, self._entry, self._entry.runtime_data.store)
        bus = self._hass.bus
        for routine in getattr(summary, "learned", ()) or ():
            bus.async_fire(EVENT_ROUTINE_LEARNED, routine_event_data(routine))
        for routine in getattr(summary, "changed", ()) or ():
            bus.async_fire(EVENT_ROUTINE_CHANGED, routine_event_data(routine))
        async_dispatcher_send(self._hass, SIGNAL_ENGINE_UPDATED.format(self._entry.entry_id))


async def async_setup_feature(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> Callable[[], Any] | None:
    """Start the embedded runner (first run shortly after HA has started)."""
    if not uses_embedded_engine(entry):
        return None
    runner = EngineRunner(hass, entry)
    entry.runtime_data.runner = runner
    runner.async_start()

    @callback
    def _async_first_run(_hass: HomeAssistant) -> None:
        hass.async_create_background_task(runner.async_run(), "galatea first engine run")

    runner._unsubs.append(async_at_started(hass, _async_first_run))
    return runner.async_stop
