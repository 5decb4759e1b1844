"""Talking to the Supervisor and to Home Assistant through it (``homeassistant_api: true``)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from .settings import Settings

LOGGER = logging.getLogger(__name__)
DISCOVERY_SERVICE = "galatea"


class SupervisorClient:
    """Discovery announcements and Home Assistant REST calls with the add-on's token."""

    def __init__(self, settings: Settings, session: aiohttp.ClientSession) -> None:
        self._settings = settings
        self._session = session
        self.discovery_uuid: str | None = None

    @property
    def _headers(self) -> dict[str, str]:
        token = self._settings.supervisor_token
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def announce(self, config: dict[str, Any]) -> str:
        """POST /discovery: Home Assistant's hassio integration offers it to ``galatea``."""
        url = f"{self._settings.supervisor_url}/discovery"
        payload = {"service": DISCOVERY_SERVICE, "config": config}
        async with self._session.post(
            url, json=payload, headers=self._headers, timeout=aiohttp.ClientTimeout(total=10)
        ) as resp:
            body = await resp.json(content_type=None)
            if resp.status != 200 or not isinstance(body, dict) or body.get("result") != "ok":
                raise RuntimeError(f"discovery refused ({resp.status}): {body}")
        self.discovery_uuid = str((body.get("data") or {}).get("uuid") or "") or None
        return self.discovery_uuid or ""

    async def announce_until_done(self, config: dict[str, Any], stop: asyncio.Event) -> None:
        """Retry with back-off: the Supervisor may be busy while the add-on starts."""
        delay = 2.0
        while not stop.is_set():
            try:
                uuid = await self.announce(config)
            except (aiohttp.ClientError, TimeoutError, RuntimeError, ValueError) as err:
                LOGGER.warning("Supervisor discovery failed (%s); retrying in %.0f s", err, delay)
            else:
                LOGGER.info("Announced to Home Assistant through Supervisor discovery (%s)", uuid)
                return
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                delay = min(delay * 2, 300.0)

    async def withdraw(self) -> None:
        if not self.discovery_uuid:
            return
        url = f"{self._settings.supervisor_url}/discovery/{self.discovery_uuid}"
        try:
            async with self._session.delete(
                url, headers=self._headers, timeout=aiohttp.ClientTimeout(total=5)
            ):
                pass
        except (aiohttp.ClientError, TimeoutError) as err:
            LOGGER.debug("Could not withdraw discovery: %s", err)
        self.discovery_uuid = None

    async def ha_time_zone(self, attempts: int = 3) -> str | None:
        """HA's configured time zone (GET /api/config), so routines use the home's clock."""
        url = f"{self._settings.ha_url}/api/config"
        for attempt in range(attempts):
            try:
                async with self._session.get(
                    url, headers=self._headers, timeout=aiohttp.ClientTimeout(total=10)
                ) as resp:
                    if resp.status == 200:
                        body = await resp.json(content_type=None)
                        zone = body.get("time_zone") if isinstance(body, dict) else None
                        return str(zone) if zone else None
                    LOGGER.debug("HA /api/config answered %s", resp.status)
            except (aiohttp.ClientError, TimeoutError, ValueError) as err:
                LOGGER.debug("HA /api/config failed: %s", err)
            if attempt + 1 < attempts:
                await asyncio.sleep(2.0 * (attempt + 1))
        return None

    async def fire_event(self, event_type: str, data: dict[str, Any]) -> bool:
        """Fire an event on HA's bus (``galatea_routine_learned`` ...). In add-on mode the
        integration's embedded runner is off, so the add-on fires what the engine found."""
        url = f"{self._settings.ha_url}/api/events/{event_type}"
        try:
            async with self._session.post(
                url, json=data, headers=self._headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, TimeoutError) as err:
            LOGGER.debug("Could not fire %s: %s", event_type, err)
            return False
