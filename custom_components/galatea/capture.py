"""Capture from HA's event bus: on the loop only a filter and a tuple; the rest on the writer.

HA's event loop runs a cheap filter (include/exclude, domain, never Galatea's own entities) and
hands the store one tuple per event: the converter, the event's time as a float, the entity id,
HA's own (immutable) ``State`` and ``Context`` objects, and what HA's registries say of the
entity and the user, looked up on the loop (they are loop-only) from a cache. Nothing else is
allocated per event there. The store's writer thread then calls the converter: for a state
change, the normaliser's checks (filter by device class, attribute noise, actors) run on the
``State``'s own values and the result is the plain row the store writes (the time as stored
microseconds, the payload's JSON from a cache), committed with the next batch. Rare events
(automations, scripts, service calls) go through the normaliser's dict view on the same queue,
so the normaliser sees every event in bus order.

``counters.seen``/``dropped`` are counted on the loop, ``captured``/``ignored``/``rejected`` on
the writer thread: read them after ``store.flush()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from homeassistant.const import (
    EVENT_CALL_SERVICE,
    EVENT_STATE_CHANGED,
)
from homeassistant.core import (
    Context,
    CoreState,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)

from .const import LOGGER
from .data import GalateaConfigEntry
from .engine.capture.ha_events import EntityInfo, HAEventNormalizer
from .engine.models import SCHEMA_VERSION as EVENT_SCHEMA_VERSION
from .engine.models import ActivityEvent, ValidationError, check_event_time
from .engine.store.activity import PayloadTexts, PlainRow, epoch_micros

EVENT_AUTOMATION_TRIGGERED = "automation_triggered"
_NO_ATTRIBUTES: Mapping[str, Any] = MappingProxyType({})
EVENT_SCRIPT_STARTED = "script_started"


@dataclass(slots=True)
class CaptureCounters:
    """What capture did since set-up (diagnostics, sensors)."""

    seen: int = 0  # events that passed the bus filter
    captured: int = 0  # handed to the store
    ignored: int = 0  # not activity (attribute noise, unavailable, filtered by device class)
    rejected: int = 0  # malformed
    dropped: int = 0  # store backlog full

    def as_dict(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "captured": self.captured,
            "ignored": self.ignored,
            "rejected": self.rejected,
            "dropped": self.dropped,
        }


def _context(context: Context) -> dict[str, Any]:
    return {"id": context.id, "user_id": context.user_id, "parent_id": context.parent_id}


def _state(state: State | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {
        "state": state.state,
        "attributes": state.attributes,
        "last_updated": state.last_updated,
    }


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def event_dict(event: Event[Any]) -> dict[str, Any]:
    return {
        "event_type": event.event_type,
        "time_fired": event.time_fired,
        "context": _context(event.context),
        "data": event.data,
    }


class SeenRegistry:
    """The registry as the loop saw it for the event being normalised on the writer thread
    (HA's registries must only be read on the loop). One instance per capture, set before each
    event; only the writer thread uses it."""

    __slots__ = ("entity_id", "info", "others", "person", "user_id")

    def __init__(self) -> None:
        self.entity_id: str | None = None
        self.info: EntityInfo | None = None
        self.others: Mapping[str, EntityInfo | None] | None = None
        self.user_id: str | None = None
        self.person: str | None = None

    def set(
        self,
        entity_id: str | None,
        info: EntityInfo | None,
        user_id: str | None,
        person: str | None,
        others: Mapping[str, EntityInfo | None] | None = None,
    ) -> None:
        self.entity_id, self.info, self.user_id, self.person = entity_id, info, user_id, person
        self.others = others

    def entity(self, entity_id: str) -> EntityInfo | None:
        if entity_id == self.entity_id:
            return self.info
        return self.others.get(entity_id) if self.others else None

    def person_for_user(self, user_id: str) -> str | None:
        return self.person if user_id == self.user_id else None


def _targets(data: Mapping[str, Any]) -> list[str]:
    """Entity ids an automation/script/service call event names (for registry lookups)."""
    out: list[str] = []
    entity_id = data.get("entity_id")
    if isinstance(entity_id, str):
        out.append(entity_id)
    service_data = data.get("service_data")
    if isinstance(service_data, Mapping):
        targets = service_data.get("entity_id")
        if isinstance(targets, str):
            out.append(targets)
        elif isinstance(targets, list | tuple):
            out += [t for t in targets[:100] if isinstance(t, str)]
    return out


class BusCapture:
    """Listens on the bus and feeds the store; one per config entry."""

    def __init__(self, hass: HomeAssistant, entry: GalateaConfigEntry) -> None:
        self._hass = hass
        data = entry.runtime_data
        self._store = data.store
        self._registry = data.registry
        # The writer thread's normaliser reads the registry as the loop saw it (SeenRegistry).
        self._seen = SeenRegistry()
        self._normalizer = HAEventNormalizer(
            registry=self._seen, capture=data.normalizer.capture, source=data.normalizer.source
        )
        options = data.options
        self._domains = options.domains
        self._include = options.include_entities
        self._exclude = options.exclude_entities
        self.counters = CaptureCounters()
        self._payload_json = PayloadTexts()  # writer thread only
        self._unsubs: list[Callable[[], None]] = []

    @callback
    def async_start(self) -> None:
        bus = self._hass.bus
        self._unsubs = [
            bus.async_listen(
                EVENT_STATE_CHANGED, self._async_state_changed, event_filter=self._wanted
            ),
            bus.async_listen(EVENT_AUTOMATION_TRIGGERED, self._async_event),
            bus.async_listen(EVENT_SCRIPT_STARTED, self._async_event),
            # Service calls without a user are automations; the normaliser drops them and
            # their effects arrive as state changes.
            bus.async_listen(EVENT_CALL_SERVICE, self._async_event),
        ]

    @callback
    def async_stop(self) -> None:
        while self._unsubs:
            self._unsubs.pop()()

    @callback
    def _wanted(self, event_data: EventStateChangedData) -> bool:
        """Cheap pre-filter run for every state change: include/exclude, domain, and never
        Galatea's own entities (recording them would feed back into what they show)."""
        entity_id = event_data["entity_id"]
        if entity_id in self._exclude:
            return False
        if entity_id not in self._include and entity_id.partition(".")[0] not in self._domains:
            return False
        return not self._registry.is_own(entity_id)

    @callback
    def _async_state_changed(self, event: Event[EventStateChangedData]) -> None:
        """On the loop: a tuple of what HA already holds, and what the registry caches say."""
        data = event.data
        entity_id = data["entity_id"]
        registry = self._registry
        context = event.context
        user_id = context.user_id
        self.counters.seen += 1
        if data["old_state"] is None and self._hass.state is not CoreState.running:
            # An entity added while HA starts (a restart at 03:00 for an update) reports its
            # restored state: nobody did anything, and read as activity it would split the night.
            self.counters.ignored += 1
            return
        if not self._store.enqueue_raw(
            (
                self._convert_state,
                event.time_fired_timestamp,
                entity_id,
                data["new_state"],
                data["old_state"],
                context,
                registry.entity(entity_id),
                registry.person_for_user(user_id) if user_id else None,
            )
        ):
            self.counters.dropped += 1

    @callback
    def _async_event(self, event: Event[Any]) -> None:
        """Automations, scripts and service calls (rare): their registry facts looked up here."""
        raw = event_dict(event)
        registry = self._registry
        user_id = event.context.user_id
        others = {t: registry.entity(t) for t in _targets(event.data)}
        self.counters.seen += 1
        if not self._store.enqueue_raw(
            (
                self._convert_event,
                raw,
                others,
                user_id,
                registry.person_for_user(user_id) if user_id else None,
            )
        ):
            self.counters.dropped += 1

    # -- on the writer thread --------------------------------------------------------------

    def _convert_state(self, item: tuple[Any, ...]) -> PlainRow | ActivityEvent | None:
        """A state change straight to the row the store writes: the normaliser's checks on
        HA's own ``State`` values (no dict view of the event, no ActivityEvent, no datetime),
        the payload's JSON from a cache. Same row as ``plain_row(normalize(event_dict))``."""
        _, ts, entity_id, new, old, context, info, person = item
        if new is None or not ts or "." not in entity_id:
            return self._convert_state_view(item)  # removed entity, odd event: the dict path
        counters = self.counters
        user_id = context.user_id
        self._seen.set(entity_id, info, user_id, person)
        normalizer = self._normalizer
        try:
            fields = normalizer.state_fields(
                entity_id, new.state, new.attributes,
                old.state if old is not None else None,
                old.attributes if old is not None else _NO_ATTRIBUTES,
                context.id, context.parent_id, user_id,
            )
            if fields is None:
                counters.ignored += 1
                return None
            micros = epoch_micros(ts, "time_fired")
        except ValidationError as err:
            counters.rejected += 1
            LOGGER.debug("Galatea rejected a %s event: %s", EVENT_STATE_CHANGED, err)
            return None
        info, device_class, actor, actor_kind, state, old_state, payload, summary = fields
        counters.captured += 1
        # activity.PlainRow's columns
        return (
            micros, 0, normalizer.source, EVENT_STATE_CHANGED, entity_id, info.area,
            info.floor, info.device, device_class, actor, actor_kind, state, old_state, summary,
            _str(context.id), _str(context.parent_id), None, EVENT_SCHEMA_VERSION,
            self._payload_json(payload),
        )

    def _convert_state_view(self, item: tuple[Any, ...]) -> ActivityEvent | None:
        """The same state change through the normaliser's dict view (``Event.as_dict()``)."""
        _, ts, entity_id, new, old, context, info, person = item
        self._seen.set(entity_id, info, context.user_id, person)
        return self._normalize(
            {
                "event_type": EVENT_STATE_CHANGED,
                "time_fired": ts,
                "context": _context(context),
                "data": {
                    "entity_id": entity_id,
                    "new_state": _state(new),
                    "old_state": _state(old),
                },
            }
        )

    def _convert_event(self, item: tuple[Any, ...]) -> ActivityEvent | None:
        _, raw, others, user_id, person = item
        self._seen.set(None, None, user_id, person, others)
        return self._normalize(raw)

    def _normalize(self, raw: Mapping[str, Any]) -> ActivityEvent | None:
        counters = self.counters
        try:
            activity = self._normalizer.normalize(raw)
            if activity is not None:
                check_event_time(activity)
        except ValidationError as err:
            counters.rejected += 1
            LOGGER.debug("Galatea rejected a %s event: %s", raw.get("event_type"), err)
            return None
        if activity is None:
            counters.ignored += 1
            return None
        counters.captured += 1
        return activity


async def async_setup_feature(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> Callable[[], None]:
    """Start live capture; returns the unload callback."""
    capture = BusCapture(hass, entry)
    capture.async_start()
    entry.runtime_data.capture = capture
    return capture.async_stop
