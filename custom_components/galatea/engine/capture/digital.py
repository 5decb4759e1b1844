"""Digital activity (PC, phone, shell, coding assistant) validated into ActivityEvents.

The same rules for every door (HA webhook, MQTT ``galatea/activity/...``, the
``galatea.record_activity`` service, ``galatea replay``): a single event object, a JSON list of
them, or ``{"events": [...]}``; a batch is all-or-nothing; errors name the field
(``events[3].ts``). ``ts`` defaults to the time of receipt; ``source`` is always ``digital``.
A ``ts`` from a wrong clock (before 2000, or over five minutes ahead) is re-timed to the time of
receipt with the device's time kept in ``data.ts_original`` and counted (``ClockStats``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final

from ..models import ActivityEvent, ValidationError, check_data_size
from .bounded_json import JSONTooDeep, loads_bounded
from .clock import ClockStats, is_plausible, retime

SOURCE: Final = "digital"
MAX_BODY_BYTES: Final = 256 * 1024
MAX_BATCH: Final = 500
# Kinds the shipped clients send; any other lowercase identifier is accepted too.
KNOWN_KINDS: Final = frozenset({
    "app_focus", "window_focus", "command", "coding_session", "session_start", "session_end",
    "prompt_submitted", "tool_use", "screen_on", "screen_off", "idle", "active", "lock", "unlock",
    "media", "browse", "call", "notification", "note",
})
_KIND_RE: Final = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
_ALLOWED_KEYS: Final = frozenset({
    "v", "ts", "source", "kind", "entity_id", "area", "floor", "device", "device_class", "actor",
    "actor_kind", "state", "old_state", "data", "summary", "context_id", "parent_id",
})


class PayloadTooLarge(ValidationError):
    """The body (or batch) is over the size limit (HTTP 413)."""


def parse_body(
    body: bytes | str,
    *,
    now: datetime | None = None,
    max_bytes: int = MAX_BODY_BYTES,
    max_batch: int = MAX_BATCH,
    clock: ClockStats | None = None,
) -> list[ActivityEvent]:
    """Raw request/MQTT bytes → validated events (all or nothing)."""
    size = len(body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body)
    if size > max_bytes:
        raise PayloadTooLarge("body", f"larger than {max_bytes} bytes")
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValidationError("body", "is not UTF-8") from err
    try:
        raw = loads_bounded(body)
    except JSONTooDeep as err:
        raise ValidationError("body", "is nested too deeply") from err
    except ValueError as err:
        reason = err.msg if isinstance(err, json.JSONDecodeError) else "bad number"
        raise ValidationError("body", f"is not valid JSON ({reason})") from err
    return parse_events(raw, now=now, max_batch=max_batch, clock=clock)


def parse_events(
    raw: Any, *, now: datetime | None = None, max_batch: int = MAX_BATCH,
    clock: ClockStats | None = None,
) -> list[ActivityEvent]:
    """Already-decoded JSON (object, list, or ``{"events": [...]}``) → validated events."""
    now = now or datetime.now(UTC)
    if isinstance(raw, Mapping) and "events" in raw and "kind" not in raw:
        items, prefix = raw["events"], "events"
        if not isinstance(items, list):
            raise ValidationError("events", "must be a list")
    elif isinstance(raw, list):
        items, prefix = raw, "events"
    elif isinstance(raw, Mapping):
        return [parse_event(raw, now=now, clock=clock)]
    else:
        raise ValidationError(
            "body", "must be an event object, a list of events or {events: [...]}"
        )
    if not items:
        raise ValidationError(prefix, "must not be empty")
    if len(items) > max_batch:
        raise PayloadTooLarge(prefix, f"more than {max_batch} events")
    out = []
    for i, item in enumerate(items):
        try:
            out.append(parse_event(item, now=now, clock=clock))
        except ValidationError as err:
            raise ValidationError(f"{prefix}[{i}].{err.field}", err.message) from err
    return out


def parse_event(
    raw: Any, *, now: datetime | None = None, clock: ClockStats | None = None
) -> ActivityEvent:
    """One digital event; ``ts`` defaults to ``now`` (and is re-timed to it when implausible);
    unknown keys are an error."""
    if not isinstance(raw, Mapping):
        raise ValidationError("event", "must be a JSON object")
    unknown = sorted(str(k) for k in raw if k not in _ALLOWED_KEYS)
    if unknown:
        # The name is the sender's: escaped, so it can be logged and sent back safely.
        name = unknown[0][:64].encode("ascii", "backslashreplace").decode("ascii")
        raise ValidationError(name or '""', "is not a known field")
    source = raw.get("source", SOURCE)
    if source != SOURCE:
        raise ValidationError("source", f"must be {SOURCE!r} (or left out)")
    kind = raw.get("kind")
    if not isinstance(kind, str) or not kind:
        raise ValidationError("kind", "is required (e.g. app_focus, command, tool_use)")
    if not _KIND_RE.match(kind):
        raise ValidationError("kind", "must be a lowercase identifier like 'app_focus'")
    fields = dict(raw)
    if fields.get("ts") is None:
        fields["ts"] = now or datetime.now(UTC)
    fields["source"] = SOURCE
    event = ActivityEvent.from_dict(fields)
    if event.actor_kind is not None and event.actor_kind not in (
        "person", "user", "automation", "script", "device", "system"
    ):
        raise ValidationError(
            "actor_kind", "must be person, user, automation, script, device or system"
        )
    arrival = now or datetime.now(UTC)
    if not is_plausible(event.ts, arrival):
        event = retime(event, arrival)
        check_data_size(event.data)
        if clock is not None:
            clock.retimed += 1
    return event


def validation_error_json(err: ValidationError) -> dict[str, str]:
    """The JSON body of an HTTP 400/413 answer."""
    return {"error": err.message, "field": err.field}



class DigitalMqttHandler:
    """``galatea/activity[/<device>]`` MQTT messages → digital activities (live and replay).

    The topic's rest names the device when the event does not; ``ts`` defaults to the
    message's time. Invalid messages are counted in ``rejected`` and yield nothing.
    """

    topic: Final = "galatea/activity"

    def __init__(self) -> None:
        self.rejected = 0
        self.last_error: ValidationError | None = None
        self.clock = ClockStats()

    def handle(
        self, topic: str, payload: bytes | str, ts: datetime | None = None
    ) -> list[ActivityEvent]:
        if topic != self.topic and not topic.startswith(self.topic + "/"):
            return []
        try:
            events = parse_body(payload, now=ts, clock=self.clock)
        except ValidationError as err:
            self.rejected += 1
            self.last_error = err
            return []
        device = topic[len(self.topic) + 1:].replace("/", ".")[:255] or None
        if device:
            events = [e if e.device else replace(e, device=device) for e in events]
        return events

    def flush(self, now: datetime | None = None) -> list[ActivityEvent]:
        return []
