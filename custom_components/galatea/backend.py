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

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .addon_client import AddonClient, AddonMonitor, AddonUnavailable
from .const import LOGGER
from .data import GalateaConfigEntry, set_up
from .engine.api import GalateaAPI
from .engine.backend import BACKEND_METHODS, EngineBackend

__all__ = [
    "BACKEND_METHODS",
    "AddonBackend",
    "EngineBackend",
    "LocalBackend",
    "async_setup_feature",
    "get_backend",
]


class LocalBackend(EngineBackend):
    """The engine in this process: ``GalateaAPI`` run in HA's executor."""

    def __init__(self, hass: HomeAssistant, api: GalateaAPI) -> None:
        self._hass = hass
        self.api = api

    async def call(self, method: str, arguments: Mapping[str, Any]) -> Any:
        """``GalateaAPI.<method>(**arguments)`` in the executor."""
        return await self._hass.async_add_executor_job(
            partial(getattr(self.api, method), **arguments))


class AddonBackend(EngineBackend):
    """The add-on's engine over HTTP; the local backend (same database) while the add-on is
    not there."""

    def __init__(self, client: AddonClient, local: LocalBackend, monitor: AddonMonitor) -> None:
        self.client = client
        self.local = local
        self.monitor = monitor
        self.remote_calls = 0
        self.local_calls = 0

    async def call(self, method: str, arguments: Mapping[str, Any]) -> Any:
        """``method`` from the add-on, or from the local backend during fallback or when the
        add-on does not answer. ``APIError`` (the add-on refused the call) is raised as is."""
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
        return await self.local.call(method, arguments)


def get_backend(entry: GalateaConfigEntry) -> EngineBackend:
    """How to reach the engine: the add-on, or the engine in this process."""
    return set_up(entry.runtime_data.backend, "engine backend")


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
