"""Digital activity into the store: the ``galatea.record_activity`` service and the shared intake
used by the webhook and the ``galatea/activity/...`` MQTT topic.

Validation lives in the engine (``engine.capture.digital``): every door applies the same rules,
batches are all-or-nothing, and an error names the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import probatio
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .data import GalateaConfigEntry
from .engine.capture.clock import ClockStats
from .engine.capture.digital import parse_events
from .engine.models import ActivityEvent, ValidationError

SERVICE_RECORD_ACTIVITY = "record_activity"

RECORD_ACTIVITY_SCHEMA = probatio.Schema(
    {
        probatio.Required("kind"): str,
        probatio.Optional("ts"): probatio.Any(str, int, float),
        probatio.Optional("entity_id"): str,
        probatio.Optional("area"): str,
        probatio.Optional("device"): str,
        probatio.Optional("actor"): str,
        probatio.Optional("actor_kind"): str,
        probatio.Optional("state"): probatio.Any(str, int, float),
        probatio.Optional("summary"): str,
        probatio.Optional("data"): dict,
        probatio.Optional("context_id"): str,
        probatio.Optional("parent_id"): str,
    }
)


@dataclass(slots=True)
class DigitalCounters:
    """What the digital doors did since set-up (diagnostics). ``dropped``: whole batches
    refused because the store's backlog was full (events counted); ``retimed``: events whose
    clock was implausible, recorded at their arrival."""

    accepted: int = 0
    rejected: int = 0
    dropped: int = 0
    clock: ClockStats = field(default_factory=ClockStats)

    def as_dict(self) -> dict[str, int]:
        return {"accepted": self.accepted, "rejected": self.rejected, "dropped": self.dropped,
                "retimed": self.clock.retimed}


def counters(entry: GalateaConfigEntry) -> DigitalCounters:
    data = entry.runtime_data
    if data.digital is None:
        data.digital = DigitalCounters()
    return data.digital


def enqueue(entry: GalateaConfigEntry, events: Sequence[ActivityEvent]) -> int:
    """Hand validated events to the store's writer (never blocks): all of them or none (a
    full backlog); returns how many were queued."""
    queued = entry.runtime_data.store.enqueue_many(events)
    stats = counters(entry)
    stats.accepted += queued
    stats.dropped += len(events) - queued
    return queued


def reject(entry: GalateaConfigEntry, door: str, err: ValidationError) -> None:
    counters(entry).rejected += 1
    LOGGER.debug("Galatea rejected digital activity from %s: %s", door, err)


def _loaded_entry(hass: HomeAssistant) -> GalateaConfigEntry:
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        loaded: GalateaConfigEntry = entry
        return loaded
    raise ServiceValidationError(translation_domain=DOMAIN, translation_key="not_loaded")


async def _async_record(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    target = _loaded_entry(hass)
    try:
        events = parse_events(dict(call.data), now=dt_util.utcnow(),
                              clock=counters(target).clock)
    except ValidationError as err:
        reject(target, "service", err)
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_activity",
            translation_placeholders={"field": err.field, "error": err.message},
        ) from err
    queued = enqueue(target, events)
    if not queued:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="store_full")
    if call.return_response:
        return {"recorded": queued}
    return None


@callback
def async_register_services(hass: HomeAssistant) -> None:
    """Register ``galatea.record_activity`` once, in ``async_setup`` (quality rule action-setup):
    automations validate against it even while the entry is not loaded."""
    hass.services.async_register(
        DOMAIN, SERVICE_RECORD_ACTIVITY, partial(_async_record, hass),
        schema=RECORD_ACTIVITY_SCHEMA, supports_response=SupportsResponse.OPTIONAL,
    )


async def async_setup_feature(hass: HomeAssistant, entry: GalateaConfigEntry) -> None:
    """Start the digital counters for this entry (the action itself lives in async_setup)."""
    counters(entry)


def describe(entry: GalateaConfigEntry) -> dict[str, Any]:
    return counters(entry).as_dict()
