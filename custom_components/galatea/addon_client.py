"""Add-on mode: the Galatea add-on runs the engine; the integration reads through its HTTP API.

``AddonClient`` is the add-on's HTTP API over HA's shared aiohttp session: ``call`` answers one
engine operation (``POST /api/call/{method}``; ``backend.AddonBackend`` uses it) and ``health``
feeds the monitor (the add-on's named routes serve its web UI and other clients).
Errors the add-on answers with 4xx come back as the same ``APIError`` (``not_found``/``invalid``)
the embedded API raises; an add-on that cannot be reached raises ``AddonUnavailable``.

``AddonMonitor`` (the ``addon_client`` feature, add-on mode only) polls the add-on's health: when
the add-on's engine has run it signals ``galatea_engine_updated_{entry_id}`` so entities refresh;
when the add-on stays unreachable it starts the embedded runner on the same database (no data
is lost: one file, two possible engines) and raises a repair issue; when the add-on is back it
hands the engine back and clears the issue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval

from .const import (
    CONF_ADDON_TOKEN,
    CONF_ADDON_URL,
    CONF_ENGINE_MODE,
    DOMAIN,
    ENGINE_MODE_ADDON,
    ISSUE_ADDON_UNAVAILABLE,
    LOGGER,
    SIGNAL_ENGINE_UPDATED,
)
from .engine.api import APIError

if TYPE_CHECKING:
    from .data import GalateaConfigEntry

ADDON_SERVICE = "galatea"  # Supervisor discovery service name (add-on config.yaml discovery:)
HEALTH_INTERVAL = timedelta(seconds=30)
FAILURES_BEFORE_FALLBACK = 3
REQUEST_TIMEOUT = 15.0


class AddonUnavailable(HomeAssistantError):
    """The add-on did not answer (stopped, restarting, uninstalled, or wrong token)."""


def addon_url(host: str, port: int | str) -> str:
    return f"http://{host}:{int(port)}"


def uses_addon(entry: GalateaConfigEntry) -> bool:
    return entry.data.get(CONF_ENGINE_MODE) == ENGINE_MODE_ADDON


class AddonClient:
    """The add-on's HTTP API: the engine's operations by name, and its health (async)."""

    def __init__(
        self,
        hass: HomeAssistant,
        url: str,
        token: str,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self._session = session or async_get_clientsession(hass)
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def _request(
        self, method: str, path: str, *, body: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            async with self._session.request(
                method,
                f"{self.url}/api/{path}",
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self._timeout,
            ) as resp:
                try:
                    data = await resp.json(content_type=None)
                except ValueError:
                    data = None
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as err:
            raise AddonUnavailable(f"Galatea add-on at {self.url} unreachable: {err}") from err
        if status == 401:
            raise AddonUnavailable("the Galatea add-on refused the token (reinstalled?)")
        if 400 <= status < 500:
            code = data.get("error", "invalid") if isinstance(data, dict) else "invalid"
            message = data.get("message", f"HTTP {status}") if isinstance(data, dict) else ""
            raise APIError("not_found" if status == 404 else code, message)
        if status != 200:
            raise AddonUnavailable(f"Galatea add-on answered HTTP {status}")
        return data

    async def call(self, method: str, arguments: Mapping[str, Any]) -> Any:
        """One engine operation answered by the add-on (``POST /api/call/{method}``): the
        ``GalateaAPI`` method of that name with ``arguments`` by name."""
        return await self._request(
            "POST", f"call/{method}", body={"args": encode_args(dict(arguments))})

    async def health(self) -> dict[str, Any]:
        """The add-on's health (``GET /api/health``): feeds the monitor."""
        result: dict[str, Any] = await self._request("GET", "health")
        return result


def encode_args(value: Any) -> Any:
    """Python -> JSON for call arguments (datetimes as ``{"$dt": iso}``, sets as lists)."""
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, Mapping):
        return {str(k): encode_args(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return [encode_args(v) for v in sorted(value, key=str)]
    if isinstance(value, list | tuple):
        return [encode_args(v) for v in value]
    return value


async def async_discovered_addon(hass: HomeAssistant) -> dict[str, Any] | None:
    """The add-on's announcement (``{host, port, token}``) from the Supervisor, if any."""
    from homeassistant.helpers.hassio import is_hassio

    if not is_hassio(hass):
        return None
    try:
        from homeassistant.components.hassio import get_supervisor_client

        messages = await get_supervisor_client(hass).discovery.list()
    except Exception as err:
        LOGGER.debug("Could not read Supervisor discovery: %s", err)
        return None
    for message in messages:
        if message.service == ADDON_SERVICE and message.config:
            return dict(message.config)
    return None


class AddonMonitor:
    """Health polling, engine-updated signals, fallback to embedded and back."""

    def __init__(self, hass: HomeAssistant, entry: GalateaConfigEntry, client: AddonClient) -> None:
        self.hass = hass
        self.entry = entry
        self.client = client
        self.failures = 0
        self.fallback_active = False
        self.last_health: dict[str, Any] | None = None
        self._engine_marker: Any = None
        self._unsub: Callable[[], None] | None = None
        self._lock = asyncio.Lock()

    @property
    def issue_id(self) -> str:
        return f"{ISSUE_ADDON_UNAVAILABLE}_{self.entry.entry_id}"

    @callback
    def async_start(self) -> None:
        self._unsub = async_track_time_interval(
            self.hass, self._async_tick, HEALTH_INTERVAL, name="galatea add-on health",
            cancel_on_shutdown=True,
        )

    async def async_stop(self) -> None:
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        await self._async_stop_fallback()

    @callback
    def _async_tick(self, _now: datetime) -> None:
        self.hass.async_create_background_task(self.async_check(), "galatea add-on health")

    async def async_check(self) -> bool:
        """One health check; returns True when the add-on answered."""
        async with self._lock:
            try:
                health = await self.client.health()
            except (AddonUnavailable, APIError) as err:
                self.failures += 1
                LOGGER.debug("Galatea add-on health failed (%d): %s", self.failures, err)
                if self.failures >= FAILURES_BEFORE_FALLBACK and not self.fallback_active:
                    await self._async_start_fallback(str(err))
                return False
            self.failures = 0
            self.last_health = health
            if self.fallback_active:
                await self._async_stop_fallback()
            engine = health.get("engine") or {}
            marker = (engine.get("runs"), engine.get("last_run"))
            if marker != self._engine_marker:
                self._engine_marker = marker
                async_dispatcher_send(self.hass, SIGNAL_ENGINE_UPDATED.format(self.entry.entry_id))
            return True

    async def _async_start_fallback(self, reason: str) -> None:
        from .runner import EngineRunner

        LOGGER.warning(
            "The Galatea add-on is unreachable (%s); learning continues inside Home Assistant",
            reason,
        )
        data = self.entry.runtime_data
        if data.runner is None:
            runner = EngineRunner(self.hass, self.entry)
            data.runner = runner
            runner.async_start()
            self.hass.async_create_background_task(runner.async_run(), "galatea fallback run")
        self.fallback_active = True
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.issue_id,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_ADDON_UNAVAILABLE,
            translation_placeholders={"url": self.client.url},
        )

    async def _async_stop_fallback(self) -> None:
        if not self.fallback_active:
            return
        data = self.entry.runtime_data
        runner, data.runner = data.runner, None
        if runner is not None:
            await runner.async_stop()
        self.fallback_active = False
        ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
        LOGGER.info("The Galatea add-on is back; it runs the engine again")


def get_addon_client(entry: GalateaConfigEntry) -> AddonClient | None:
    """The add-on client while the add-on serves (None in embedded mode or during fallback)."""
    monitor = entry.runtime_data.addon
    if monitor is not None and not monitor.fallback_active:
        return monitor.client
    return None


async def async_setup_feature(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> Callable[[], Any] | None:
    """In add-on mode: refresh the add-on's address from discovery, start health polling."""
    if not uses_addon(entry):
        return None
    url = entry.data.get(CONF_ADDON_URL)
    token = entry.data.get(CONF_ADDON_TOKEN)
    found = await async_discovered_addon(hass)
    if found and found.get("host") and found.get("token"):
        new_url = addon_url(found["host"], found.get("port", 8099))
        if (new_url, found["token"]) != (url, token):
            url, token = new_url, str(found["token"])
            hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_ADDON_URL: url, CONF_ADDON_TOKEN: token}
            )
    client = AddonClient(hass, str(url or ""), str(token or ""))
    monitor = AddonMonitor(hass, entry, client)
    entry.runtime_data.addon = monitor
    monitor.async_start()
    hass.async_create_background_task(monitor.async_check(), "galatea add-on first check")

    async def _async_unload() -> None:
        await monitor.async_stop()

    return _async_unload
