"""Frigate NVR and digital activity over MQTT, through HA's MQTT integration (optional).

Without MQTT configured Galatea works as before: Frigate capture stays off, a repair issue says
why (only when Frigate capture was switched on in the options) and the options page shows it.
MQTT set up later is picked up when its entry loads (no restart), and the issue goes away.
The topic prefix is checked with HA's MQTT validators before anything is subscribed: a bad
filter would make the broker drop HA's MQTT connection for every integration.
Frigate's messages are folded by the HA-free ``FrigateTracker`` (one activity per tracked object,
per review, per motion period); ``galatea/activity/<device>`` carries digital activity in the
webhook's format. Snapshots are fetched from the optional Frigate URL into the blob store in the
background (size cap, timeout, the file written in the executor).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from homeassistant.components import mqtt
from homeassistant.components.mqtt import ReceiveMessage
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .capture_options import frigate_prefix_error
from .const import (
    CONF_FRIGATE_CAMERAS,
    CONF_FRIGATE_ENABLED,
    CONF_FRIGATE_MIN_SCORE,
    CONF_FRIGATE_PREFIX,
    CONF_FRIGATE_URL,
    DEFAULT_FRIGATE_PREFIX,
    DIGITAL_TOPIC,
    DOMAIN,
    ISSUE_MQTT_MISSING,
    LOGGER,
)
from .data import GalateaConfigEntry
from .digital import counters as digital_counters
from .digital import enqueue as enqueue_digital
from .digital import reject as reject_digital
from .engine.capture.digital import parse_body
from .engine.capture.frigate import CameraInfo, FrigateOptions, FrigateTracker, normalize_name
from .engine.models import ActivityEvent, ValidationError

EXPIRE_INTERVAL = timedelta(seconds=10)
SNAPSHOT_MAX_BYTES = 4 * 1024 * 1024
SNAPSHOT_TIMEOUT = 10.0
MAX_PENDING_SNAPSHOTS = 16  # fetches in flight; beyond, an activity is recorded without one


@dataclasses.dataclass(frozen=True, slots=True)
class FrigateSettings:
    """The Frigate part of the options, defaults filled in."""

    enabled: bool = True
    explicit: bool = False  # switched on by the user (then a missing MQTT is worth a repair)
    prefix: str = DEFAULT_FRIGATE_PREFIX
    cameras: frozenset[str] = frozenset()
    min_score: float = 0.0
    url: str | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any] | Any) -> FrigateSettings:
        cameras = options.get(CONF_FRIGATE_CAMERAS) or []
        if isinstance(cameras, str):
            cameras = [c for c in (p.strip() for p in cameras.split(",")) if c]
        url = str(options.get(CONF_FRIGATE_URL) or "").strip().rstrip("/") or None
        return cls(
            enabled=bool(options.get(CONF_FRIGATE_ENABLED, True)),
            explicit=bool(options.get(CONF_FRIGATE_ENABLED, False)),
            prefix=str(options.get(CONF_FRIGATE_PREFIX) or DEFAULT_FRIGATE_PREFIX).strip("/"),
            cameras=frozenset(str(c) for c in cameras),
            min_score=float(options.get(CONF_FRIGATE_MIN_SCORE) or 0.0),
            url=url,
        )


def mqtt_configured(hass: HomeAssistant) -> bool:
    """True when HA has an enabled MQTT config entry."""
    return any(
        not entry.disabled_by for entry in hass.config_entries.async_entries(mqtt.DOMAIN)
    )


def mqtt_loaded(hass: HomeAssistant) -> bool:
    """True when one of HA's MQTT config entries has been set up."""
    return any(
        entry.state is ConfigEntryState.LOADED
        for entry in hass.config_entries.async_entries(mqtt.DOMAIN)
    )


class MqttCapture:
    """Subscriptions, the tracker, its expiry timer and snapshot fetches for one entry."""

    def __init__(self, hass: HomeAssistant, entry: GalateaConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        self.settings = FrigateSettings.from_options(entry.options)
        self.tracker = FrigateTracker(
            FrigateOptions(
                prefix=self.settings.prefix,
                cameras=self.settings.cameras,
                min_score=self.settings.min_score,
                resolve_person=self._person,
                resolve_camera=self._camera,
            )
        )
        self.status = "starting"
        self.digital_messages = 0
        self.snapshots = {"fetched": 0, "failed": 0, "skipped": 0}
        self._unsubs: list[Callable[[], None]] = []
        self._pending: set[asyncio.Task[None]] = set()
        self._unwatch: Callable[[], None] | None = None
        self._starting: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Wait for HA's MQTT client (it may still be setting up), then subscribe; watch MQTT's
        config entries so that MQTT set up (or removed) later is noticed. A failure is logged
        and turns capture off, never raised."""
        if self._unwatch is None:
            self._unwatch = async_dispatcher_connect(
                self._hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._on_entry_changed
            )
        await self._async_subscribe_logged()

    async def _async_subscribe(self) -> None:
        if self._unsubs:
            return
        if not mqtt_configured(self._hass):
            self.status = "mqtt_missing"
            self._issue(True)
            return
        self._issue(False)
        if not mqtt_loaded(self._hass):
            # MQTT's entry is still to be set up (HA starting, or just added): subscribe when
            # it has loaded (``_on_entry_changed``) rather than hold a task waiting for it.
            self.status = "starting"
            return
        if not await mqtt.async_wait_for_mqtt_client(self._hass):
            self.status = "mqtt_unavailable"
            LOGGER.warning("Galatea: MQTT is configured but not available; Frigate capture is off")
            return
        self._issue(False)
        frigate = self.settings.enabled
        if frigate and frigate_prefix_error(self.tracker.prefix):
            # Saved before the options form validated it: never hand it to the broker.
            LOGGER.error(
                "Galatea: the Frigate topic prefix %r is not a valid MQTT topic; Frigate "
                "capture is off until it is fixed in Galatea's options", self.tracker.prefix,
            )
            frigate = False
        if frigate:
            self._unsubs.append(
                await mqtt.async_subscribe(
                    self._hass, f"{self.tracker.prefix}/#", self._on_frigate, qos=0, encoding=None
                )
            )
            self._unsubs.append(
                async_track_time_interval(self._hass, self._on_tick, EXPIRE_INTERVAL)
            )
        self._unsubs.append(  # "galatea/activity/#" matches "galatea/activity" too
            await mqtt.async_subscribe(
                self._hass, f"{DIGITAL_TOPIC}/#", self._on_digital, qos=0, encoding=None
            )
        )
        if frigate:
            self.status = "subscribed"
        else:
            self.status = "invalid_prefix" if self.settings.enabled else "digital_only"

    @callback
    def _on_entry_changed(self, change: ConfigEntryChange, entry: ConfigEntry) -> None:
        """MQTT's entry loaded after Galatea (subscribe now) or went away (say so)."""
        if entry.domain != mqtt.DOMAIN:
            return
        if change is ConfigEntryChange.REMOVED or not mqtt_configured(self._hass):
            while self._unsubs:
                self._unsubs.pop()()
            self.status = "mqtt_missing"
            self._issue(True)
            return
        if entry.state is ConfigEntryState.LOADED and not self._unsubs and (
            self._starting is None or self._starting.done()
        ):
            self._starting = self._entry.async_create_background_task(
                self._hass, self._async_subscribe_logged(), "galatea mqtt capture late start"
            )

    async def _async_subscribe_logged(self) -> None:
        try:
            await self._async_subscribe()
        except Exception:
            self.status = "error"
            LOGGER.exception("Galatea could not subscribe to MQTT; Frigate capture is off")

    async def async_stop(self) -> None:
        """Unsubscribe, close what is still open, let snapshot fetches finish or give up."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            await asyncio.gather(self._starting, return_exceptions=True)
        while self._unsubs:
            self._unsubs.pop()()
        self._emit(self.tracker.flush(dt_util.utcnow()))
        for task in list(self._pending):
            task.cancel()
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        self.status = "stopped"

    def _issue(self, missing: bool) -> None:
        issue_id = f"{ISSUE_MQTT_MISSING}_{self._entry.entry_id}"
        if missing and self.settings.enabled and self.settings.explicit:
            ir.async_create_issue(
                self._hass, DOMAIN, issue_id, is_fixable=False, is_persistent=False,
                severity=ir.IssueSeverity.WARNING, translation_key=ISSUE_MQTT_MISSING,
                learn_more_url="https://www.home-assistant.io/integrations/mqtt/",
            )
        else:
            ir.async_delete_issue(self._hass, DOMAIN, issue_id)

    # -- messages -------------------------------------------------------------------------

    @callback
    def _on_frigate(self, msg: ReceiveMessage) -> None:
        payload = msg.payload
        if isinstance(payload, bytearray):
            payload = bytes(payload)
        self._emit(self.tracker.handle(msg.topic, payload, dt_util.utcnow()))

    @callback
    def _on_tick(self, now: datetime) -> None:
        self._emit(self.tracker.expire(now))

    @callback
    def _on_digital(self, msg: ReceiveMessage) -> None:
        self.digital_messages += 1
        payload = msg.payload
        try:
            events = parse_body(
                payload if isinstance(payload, bytes | str) else bytes(payload),
                now=dt_util.utcnow(), clock=digital_counters(self._entry).clock,
            )
        except ValidationError as err:
            reject_digital(self._entry, f"MQTT {msg.topic[:80]}", err)
            return
        device = msg.topic[len(DIGITAL_TOPIC) + 1:].replace("/", ".")[:255] or None
        if device:
            events = [e if e.device else dataclasses.replace(e, device=device) for e in events]
        enqueue_digital(self._entry, events)

    def _emit(self, activities: list[ActivityEvent]) -> None:
        store = self._entry.runtime_data.store
        for activity in activities:
            oid = activity.data.get("id") if activity.kind.endswith("_detected") else None
            wants = self.settings.url and activity.data.get("has_snapshot")
            if wants and isinstance(oid, str) and len(self._pending) >= MAX_PENDING_SNAPSHOTS:
                self.snapshots["skipped"] += 1  # a flood of detections: no unbounded fetches
                store.enqueue(activity)
            elif wants and isinstance(oid, str):
                task = self._entry.async_create_background_task(
                    self._hass, self._with_snapshot(activity, oid), "galatea frigate snapshot"
                )
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
            else:
                store.enqueue(activity)

    # -- snapshots ------------------------------------------------------------------------

    async def _with_snapshot(self, activity: ActivityEvent, object_id: str) -> None:
        """Fetch the event's snapshot into the blob store, then record the activity with it.
        On any failure (or cancellation) the activity is recorded without the snapshot."""
        store = self._entry.runtime_data.store
        blob: str | None = None
        try:
            data = await self._fetch(f"{self.settings.url}/api/events/{object_id}/snapshot.jpg")
            if data:
                blob = await self._hass.async_add_executor_job(store.put_blob, data)
                self.snapshots["fetched"] += 1
        except asyncio.CancelledError:
            store.enqueue(activity)
            raise
        except Exception as err:  # a snapshot is optional
            self.snapshots["failed"] += 1
            LOGGER.debug("Galatea could not fetch Frigate snapshot %s: %s", object_id, err)
        store.enqueue(dataclasses.replace(activity, blob=blob) if blob else activity)

    async def _fetch(self, url: str) -> bytes | None:
        session = async_get_clientsession(self._hass)
        async with asyncio.timeout(SNAPSHOT_TIMEOUT), session.get(
            url, params={"bbox": "0"}
        ) as resp:
            if resp.status != 200:
                raise aiohttp.ClientResponseError(
                    resp.request_info, resp.history, status=resp.status
                )
            if resp.content_length is not None and resp.content_length > SNAPSHOT_MAX_BYTES:
                raise ValueError("snapshot too large")
            data = await resp.content.read(SNAPSHOT_MAX_BYTES + 1)
            if len(data) > SNAPSHOT_MAX_BYTES:
                raise ValueError("snapshot too large")
            return data or None

    # -- lookups --------------------------------------------------------------------------

    def _person(self, name: str) -> str | None:
        """A face / sub-label name → the HA person with that name (or object id)."""
        wanted = normalize_name(name)
        if not wanted:
            return None
        for state in self._hass.states.async_all("person"):
            names = {
                normalize_name(str(state.attributes.get("friendly_name") or "")),
                normalize_name(state.object_id),
            }
            if wanted in names:
                return state.entity_id
        return None

    def _camera(self, camera: str) -> CameraInfo | None:
        """The Frigate integration's camera entity for a Frigate camera name (and its area)."""
        registry = er.async_get(self._hass)
        entity_id = None
        for entity in registry.entities.values():
            if (
                entity.platform == "frigate"
                and entity.domain == "camera"
                and str(entity.unique_id).endswith(f":camera:{camera}")
            ):
                entity_id = entity.entity_id
                break
        if entity_id is None and self._hass.states.get(f"camera.{camera}") is not None:
            entity_id = f"camera.{camera}"
        if entity_id is None:
            return None
        info = self._entry.runtime_data.registry.entity(entity_id)
        return CameraInfo(entity_id=entity_id, area=info.area if info else None)

    def diagnostics(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "settings": {
                "enabled": self.settings.enabled,
                "prefix": self.settings.prefix,
                "cameras": sorted(self.settings.cameras),
                "min_score": self.settings.min_score,
                "url_set": self.settings.url is not None,
            },
            "tracker": self.tracker.diagnostics(),
            "digital_messages": self.digital_messages,
            "snapshots": dict(self.snapshots),
        }


async def async_setup_feature(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> Callable[[], Awaitable[None]]:
    """Start MQTT capture in the background (never delays or fails Galatea's set-up)."""
    capture = MqttCapture(hass, entry)
    entry.runtime_data.mqtt_capture = capture

    start = entry.async_create_background_task(
        hass, capture.async_start(), "galatea mqtt capture start"
    )

    async def _unload() -> None:
        if not start.done():
            start.cancel()
            await asyncio.gather(start, return_exceptions=True)
        await capture.async_stop()

    return _unload
