"""Capture from HA's event bus: a cheap filter on the loop, normalise, hand to the store.

Nothing here blocks: ``store.enqueue`` only appends to the writer's queue (it counts drops when
the backlog is full). Events are converted to the small dict shape the normaliser reads (not
``Event.as_dict()``, which would serialise every attribute) and only for wanted entities.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.const import (
    EVENT_CALL_SERVICE,
    EVENT_STATE_CHANGED,
)
from homeassistant.core import Context, Event, EventStateChangedData, HomeAssistant, State, callback

from .const import LOGGER
from .data import GalateaConfigEntry
from .engine.capture.ha_events import HAEventNormalizer
from .engine.models import ValidationError

EVENT_AUTOMATION_TRIGGERED = "automation_triggered"
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


def state_event_dict(event: Event[EventStateChangedData]) -> dict[str, Any]:
    """The normaliser's view of a state_changed event, without serialising attributes."""
    data = event.data
    return {
        "event_type": EVENT_STATE_CHANGED,
        "time_fired": event.time_fired,
        "context": _context(event.context),
        "data": {
            "entity_id": data["entity_id"],
            "new_state": _state(data["new_state"]),
            "old_state": _state(data["old_state"]),
        },
    }


def event_dict(event: Event[Any]) -> dict[str, Any]:
    return {
        "event_type": event.event_type,
        "time_fired": event.time_fired,
        "context": _context(event.context),
        "data": event.data,
    }


class BusCapture:
    """Listens on the bus and feeds the store; one per config entry."""

    def __init__(self, hass: HomeAssistant, entry: GalateaConfigEntry) -> None:
        self._hass = hass
        data = entry.runtime_data
        self._store = data.store
        self._normalizer: HAEventNormalizer = data.normalizer
        self._registry = data.registry
        options = data.options
        self._domains = options.domains
        self._include = options.include_entities
        self._exclude = options.exclude_entities
        self.counters = CaptureCounters()
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
        self._handle(state_event_dict(event))

    @callback
    def _async_event(self, event: Event[Any]) -> None:
        self._handle(event_dict(event))

    def _handle(self, raw: Mapping[str, Any]) -> None:
        counters = self.counters
        counters.seen += 1
        try:
            activity = self._normalizer.normalize(raw)
        except ValidationError as err:
            counters.rejected += 1
            LOGGER.debug("Galatea rejected a %s event: %s", raw.get("event_type"), err)
            return
        if activity is None:
            counters.ignored += 1
            return
        if self._store.enqueue(activity):
            counters.captured += 1
        else:
            counters.dropped += 1


async def async_setup_feature(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> Callable[[], None]:
    """Start live capture; returns the unload callback."""
    capture = BusCapture(hass, entry)
    capture.async_start()
    entry.runtime_data.capture = capture
    return capture.async_stop
