"""How the integration reaches the engine: one ``EngineBackend``, chosen once per entry.

``async_setup_feature`` (called from ``async_setup_entry``, after the add-on monitor and before
the coordinator) builds the engine's ``GalateaAPI`` over the entry's store and picks:

- ``LocalBackend``: the embedded engine; each call runs ``GalateaAPI`` in HA's executor (SQLite
  is never read on the event loop).
- ``AddonBackend`` (add-on mode): each call is awaited from the add-on over HA's shared aiohttp
  session (``POST /api/call/{method}``). While the monitor has fallen back to the embedded
  engine, or when the add-on does not answer a call, the local backend answers instead: it
  reads the same database. Errors the add-on answers with (4xx) are the engine's ``APIError``.

Entities, actions, Assist and LLM tools only ``await get_backend(entry).<method>(...)``. The
local ``GalateaAPI`` stays on ``entry.runtime_data.api`` for pure helpers (``now``, ``tz``,
``period_bounds``, ``invalidate``) and the store's own reads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .addon_client import AddonClient, AddonMonitor, AddonUnavailable
from .const import LOGGER
from .data import GalateaConfigEntry
from .engine.api import GalateaAPI
from .engine.backend import BACKEND_METHODS, Answer, EngineBackend

__all__ = [
    "BACKEND_METHODS",
    "AddonBackend",
    "Answer",
    "EngineBackend",
    "LocalBackend",
    "async_setup_feature",
    "get_backend",
]


class LocalBackend:
    """The engine in this process: ``GalateaAPI`` run in HA's executor."""

    def __init__(self, hass: HomeAssistant, api: GalateaAPI) -> None:
        self._hass = hass
        self.api = api

    async def _run(self, job: Callable[[], Answer]) -> Answer:
        return await self._hass.async_add_executor_job(job)

    async def routine_states(self, *, absent: Collection[str] = ()) -> Answer:
        return await self._run(partial(self.api.routine_states, absent=absent))

    async def activity_summary(
        self, since: datetime | None = None, *, detail: bool = True
    ) -> Answer:
        return await self._run(partial(self.api.activity_summary, since, detail=detail))

    async def routines(
        self, person: str | None = None, *, include_rejected: bool = False
    ) -> Answer:
        return await self._run(
            partial(self.api.routines, person, include_rejected=include_rejected))

    async def timeline(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        area: str | None = None,
        person: str | None = None,
        *,
        period: str | None = None,
        limit: int = 50,
    ) -> Answer:
        return await self._run(partial(
            self.api.timeline, start, end, area, person, period=period, limit=limit))

    async def recall(
        self, query: str, limit: int = 5, *, include_closed: bool = False,
        subject: str | None = None,
    ) -> Answer:
        return await self._run(partial(
            self.api.recall, query, limit, include_closed=include_closed, subject=subject))

    async def last_time(
        self,
        what: str | None = None,
        *,
        entity_id: str | None = None,
        area: str | None = None,
        kind: str | None = None,
        person: str | None = None,
    ) -> Answer:
        return await self._run(partial(
            self.api.last_time, what, entity_id=entity_id, area=area, kind=kind, person=person))

    async def remember(self, text: str, subject: str | None = None) -> Answer:
        return await self._run(partial(self.api.remember, text, subject))

    async def confirm_routine(self, key: str) -> Answer:
        return await self._run(partial(self.api.confirm_routine, key))

    async def reject_routine(self, key: str) -> Answer:
        return await self._run(partial(self.api.reject_routine, key))

    async def forget(self, memory_id: int) -> Answer:
        return await self._run(partial(self.api.forget, memory_id))


class AddonBackend:
    """The add-on's engine over HTTP; the local backend (same database) while the add-on is
    not there."""

    def __init__(self, client: AddonClient, local: LocalBackend, monitor: AddonMonitor) -> None:
        self.client = client
        self.local = local
        self.monitor = monitor
        self.remote_calls = 0
        self.local_calls = 0

    async def _answer(
        self, method: str, arguments: Mapping[str, Any], local: Callable[[], Awaitable[Answer]]
    ) -> Answer:
        """``method`` from the add-on, or from ``local`` during fallback or when the add-on
        does not answer. ``APIError`` (the add-on refused the call) is raised as is."""
        if not self.monitor.fallback_active:
            try:
                result = await self.client.call(method, arguments)
                if not isinstance(result, dict):
                    raise AddonUnavailable(f"the Galatea add-on answered {method} with no data")
            except AddonUnavailable as err:
                LOGGER.debug("%s answered locally: %s", method, err)
            else:
                self.remote_calls += 1
                return result
        self.local_calls += 1
        return await local()

    async def routine_states(self, *, absent: Collection[str] = ()) -> Answer:
        return await self._answer(
            "routine_states", {"absent": sorted(absent)},
            partial(self.local.routine_states, absent=absent))

    async def activity_summary(
        self, since: datetime | None = None, *, detail: bool = True
    ) -> Answer:
        return await self._answer(
            "activity_summary", {"since": since, "detail": detail},
            partial(self.local.activity_summary, since, detail=detail))

    async def routines(
        self, person: str | None = None, *, include_rejected: bool = False
    ) -> Answer:
        return await self._answer(
            "routines", {"person": person, "include_rejected": include_rejected},
            partial(self.local.routines, person, include_rejected=include_rejected))

    async def timeline(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        area: str | None = None,
        person: str | None = None,
        *,
        period: str | None = None,
        limit: int = 50,
    ) -> Answer:
        return await self._answer(
            "timeline",
            {"start": start, "end": end, "area": area, "person": person, "period": period,
             "limit": limit},
            partial(self.local.timeline, start, end, area, person, period=period, limit=limit))

    async def recall(
        self, query: str, limit: int = 5, *, include_closed: bool = False,
        subject: str | None = None,
    ) -> Answer:
        return await self._answer(
            "recall",
            {"query": query, "limit": limit, "include_closed": include_closed,
             "subject": subject},
            partial(self.local.recall, query, limit, include_closed=include_closed,
                    subject=subject))

    async def last_time(
        self,
        what: str | None = None,
        *,
        entity_id: str | None = None,
        area: str | None = None,
        kind: str | None = None,
        person: str | None = None,
    ) -> Answer:
        return await self._answer(
            "last_time",
            {"what": what, "entity_id": entity_id, "area": area, "kind": kind,
             "person": person},
            partial(self.local.last_time, what, entity_id=entity_id, area=area, kind=kind,
                    person=person))

    async def remember(self, text: str, subject: str | None = None) -> Answer:
        return await self._answer(
            "remember", {"text": text, "subject": subject},
            partial(self.local.remember, text, subject))

    async def confirm_routine(self, key: str) -> Answer:
        return await self._answer(
            "confirm_routine", {"key": key}, partial(self.local.confirm_routine, key))

    async def reject_routine(self, key: str) -> Answer:
        return await self._answer(
            "reject_routine", {"key": key}, partial(self.local.reject_routine, key))

    async def forget(self, memory_id: int) -> Answer:
        return await self._answer(
            "forget", {"memory_id": memory_id}, partial(self.local.forget, memory_id))


def get_backend(entry: GalateaConfigEntry) -> EngineBackend:
    """How to reach the engine: the add-on, or the engine in this process."""
    backend = entry.runtime_data.backend
    if backend is None:
        raise RuntimeError("Galatea's engine backend is not set up")
    return backend


async def async_setup_feature(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> Callable[[], None]:
    """Build the local API and choose the backend, once: the add-on's when this entry uses
    the add-on (its monitor is set up), else the engine in this process."""
    data = entry.runtime_data
    api = GalateaAPI(data.store, dt_util.get_default_time_zone(), clock=dt_util.utcnow)
    local = LocalBackend(hass, api)
    monitor = data.addon
    backend: EngineBackend = (
        local if monitor is None else AddonBackend(monitor.client, local, monitor))
    data.api = api
    data.backend = backend

    @callback
    def _unload() -> None:
        data.backend = None
        data.api = None

    return _unload
