"""The shapes every part of Galatea agrees on.

``ActivityEvent`` is what capture produces and the activity log stores. The result types
(``Episode``, ``Routine``, ``Sequence``, ``Preference``, ``Memory``) are what the engine derives
and what the integration, the add-on and the replay report expose. Each derived row carries its
evidence: the activity ids it was learned from.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final, Literal

SCHEMA_VERSION: Final = 1
"""Version of the ActivityEvent wire shape (``v`` in its dict form)."""

SOURCES: Final = frozenset({"ha", "frigate", "digital", "backfill"})
MAX_DATA_BYTES: Final = 16_384
MAX_SUMMARY_CHARS: Final = 500
MAX_TEXT_FIELD_CHARS: Final = 255
# What the store can hold and the engine compute with (year 9999 overflows on conversion).
MIN_STORABLE_YEAR: Final = 1900
MAX_STORABLE_YEAR: Final = 2999

ActorKind = Literal["person", "user", "automation", "script", "device", "system"]


class ValidationError(ValueError):
    """Input that does not fit the ActivityEvent schema; ``field`` names the culprit."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    """One thing that happened in the home, normalised from any source."""

    ts: datetime
    source: str
    kind: str
    entity_id: str | None = None
    area: str | None = None
    floor: str | None = None
    device: str | None = None
    device_class: str | None = None
    actor: str | None = None
    actor_kind: str | None = None
    state: str | None = None
    old_state: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    summary: str | None = None
    context_id: str | None = None
    parent_id: str | None = None
    blob: str | None = None
    id: int | None = None
    v: int = SCHEMA_VERSION

    @property
    def domain(self) -> str | None:
        """HA domain of ``entity_id`` (``light`` for ``light.kitchen``)."""
        domain, dot, _ = (self.entity_id or "").partition(".")
        return domain if dot else None

    @property
    def user_initiated(self) -> bool:
        """True when a person or HA user (not an automation or a device) caused it."""
        return self.actor_kind in ("person", "user")

    def with_id(self, activity_id: int) -> ActivityEvent:
        return replace(self, id=activity_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the digital replay line / ``galatea activity`` shape)."""
        out: dict[str, Any] = {"v": self.v, "ts": self.ts.isoformat()}
        for key in (
            "source", "kind", "entity_id", "area", "floor", "device", "device_class",
            "actor", "actor_kind", "state", "old_state", "summary", "context_id",
            "parent_id", "blob", "id",
        ):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.data:
            out["data"] = dict(self.data)
        return out

    @classmethod
    def from_dict(
        cls, raw: Mapping[str, Any], *, default_source: str | None = None
    ) -> ActivityEvent:
        """Validate untrusted input; raises ``ValidationError`` naming the bad field."""
        if not isinstance(raw, Mapping):
            raise ValidationError("event", "must be a JSON object")
        v = raw.get("v", SCHEMA_VERSION)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1 or v > SCHEMA_VERSION:
            raise ValidationError("v", f"unsupported schema version {v!r}")
        ts = parse_ts(raw.get("ts"), "ts")
        source = raw.get("source", default_source)
        if source not in SOURCES:
            raise ValidationError("source", f"must be one of {sorted(SOURCES)}")
        kind = _text(raw, "kind", required=True)
        data = raw.get("data") or {}
        if not isinstance(data, Mapping):
            raise ValidationError("data", "must be an object")
        check_data_size(data)
        summary = raw.get("summary")
        if summary is not None:
            if not isinstance(summary, str):
                raise ValidationError("summary", "must be a string")
            if len(summary) > MAX_SUMMARY_CHARS:
                raise ValidationError("summary", f"longer than {MAX_SUMMARY_CHARS} characters")
            check_text(summary, "summary")
        entity_id = _text(raw, "entity_id")
        if entity_id is not None and "." not in entity_id:
            raise ValidationError("entity_id", "must look like 'domain.object_id'")
        return cls(
            ts=ts,
            source=str(source),
            kind=str(kind),
            entity_id=entity_id,
            area=_text(raw, "area"),
            floor=_text(raw, "floor"),
            device=_text(raw, "device"),
            device_class=_text(raw, "device_class"),
            actor=_text(raw, "actor"),
            actor_kind=_text(raw, "actor_kind"),
            state=_text(raw, "state"),
            old_state=_text(raw, "old_state"),
            data=dict(data),
            summary=summary,
            context_id=_text(raw, "context_id"),
            parent_id=_text(raw, "parent_id"),
            blob=_text(raw, "blob"),
            v=SCHEMA_VERSION,
        )


def check_text(value: str, field_name: str) -> None:
    """Text the store can write: UTF-8 encodable (no lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValidationError(field_name, "is not valid Unicode text (lone surrogate)") from err


def _text(raw: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise ValidationError(key, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValidationError(key, "must be a string")
    text = str(value)
    if required and not text:
        raise ValidationError(key, "must not be empty")
    if len(text) > MAX_TEXT_FIELD_CHARS:
        raise ValidationError(key, f"longer than {MAX_TEXT_FIELD_CHARS} characters")
    check_text(text, key)
    return text


def parse_ts(value: Any, field_name: str = "ts") -> datetime:
    """Parse an ISO-8601 timestamp that carries its UTC offset."""
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, str):
        try:
            ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as err:
            raise ValidationError(field_name, "is not an ISO-8601 timestamp") from err
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        try:
            ts = datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError) as err:
            raise ValidationError(field_name, "is out of range") from err
    else:
        raise ValidationError(field_name, "is required (ISO-8601 with offset)")
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValidationError(field_name, "must carry a UTC offset")
    check_storable_time(ts, field_name)
    return ts


def check_storable_time(ts: datetime, field_name: str = "ts") -> None:
    """A time the store and the engine can compute with (plausibility is the doors' job)."""
    try:
        utc = ts.astimezone(UTC)
    except (OverflowError, ValueError) as err:
        raise ValidationError(field_name, "is out of range") from err
    if not MIN_STORABLE_YEAR <= utc.year <= MAX_STORABLE_YEAR:
        raise ValidationError(field_name, "is out of range")


def check_data_size(data: Mapping[str, Any]) -> None:
    """``data`` as the store writes it: canonical JSON, UTF-8, bounded size."""
    try:
        text = json.dumps(data, default=str, separators=(",", ":"), sort_keys=True,
                          ensure_ascii=False)
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as err:
        raise ValidationError("data", "is not valid Unicode text (lone surrogate)") from err
    except (TypeError, ValueError, RecursionError) as err:
        raise ValidationError("data", "is not JSON-serialisable") from err
    if size > MAX_DATA_BYTES:
        raise ValidationError("data", f"larger than {MAX_DATA_BYTES} bytes")


_STORED_TEXT_FIELDS: Final = (
    "source", "kind", "entity_id", "area", "floor", "device", "device_class", "actor",
    "actor_kind", "state", "old_state", "context_id", "parent_id", "blob",
)


def check_event_time(ev: ActivityEvent) -> None:
    """The cheap part of ``check_storable``: an aware time the store can hold."""
    if not isinstance(ev.ts, datetime) or ev.ts.utcoffset() is None:
        raise ValidationError("ts", "must carry a UTC offset")
    check_storable_time(ev.ts)


def check_storable(ev: ActivityEvent) -> None:
    """Everything the store could fail on, checked before a door says yes.

    Raises ``ValidationError`` naming the field (time range, text, sizes, ``data`` JSON)."""
    check_event_time(ev)
    for key in _STORED_TEXT_FIELDS:
        value = getattr(ev, key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValidationError(key, "must be a string")
        if len(value) > MAX_TEXT_FIELD_CHARS:
            raise ValidationError(key, f"longer than {MAX_TEXT_FIELD_CHARS} characters")
        check_text(value, key)
    if not ev.source or not ev.kind:
        raise ValidationError("kind" if ev.source else "source", "must not be empty")
    if ev.summary is not None:
        if not isinstance(ev.summary, str):
            raise ValidationError("summary", "must be a string")
        if len(ev.summary) > MAX_SUMMARY_CHARS:
            raise ValidationError("summary", f"longer than {MAX_SUMMARY_CHARS} characters")
        check_text(ev.summary, "summary")
    if not isinstance(ev.data, Mapping):
        raise ValidationError("data", "must be an object")
    check_data_size(ev.data)


# ---------------------------------------------------------------------------------------------
# What the engine derives. Times are aware datetimes; ``evidence`` lists activity ids.


@dataclass(slots=True)
class Episode:
    """A stretch of time with a meaning: ``sleep``, ``away``, or an activity session."""

    kind: str  # sleep | away | session | visit (frigate review) ...
    start: datetime
    end: datetime
    area: str | None = None
    actor: str | None = None
    label: str | None = None  # e.g. "cooking", "watching TV"
    confidence: float = 1.0
    detail: dict[str, Any] = field(default_factory=dict)
    evidence: list[int] = field(default_factory=list)
    id: int | None = None


DaysSpec = str | list[int]  # "daily" | "weekdays" | "weekends" | [0..6], Monday = 0


@dataclass(slots=True)
class Routine:
    """A habit at a usual time of day: ``wake_up``, ``go_to_bed``, or a learned habit."""

    key: str  # stable identity across re-mining, e.g. "wake_up:person.anna:weekdays"
    kind: str  # wake_up | go_to_bed | leave_home | arrive_home | habit
    label: str
    days: DaysSpec
    time: str  # HH:MM local
    spread_min: float
    support_days: int
    confidence: float
    actor: str | None = None
    entities: list[str] = field(default_factory=list)
    evidence: list[int] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    status: str = "learned"  # learned | confirmed | rejected | superseded
    valid_from: datetime | None = None
    valid_to: datetime | None = None  # set when superseded (a changed routine)
    id: int | None = None


@dataclass(slots=True)
class Sequence:
    """"A then B within N minutes": steps are descriptors like ``light.hallway:on``."""

    steps: list[str]
    window_min: float
    support: int
    confidence: float
    lift: float
    automated: bool = False
    actor: str | None = None
    evidence: list[int] = field(default_factory=list)
    id: int | None = None


@dataclass(slots=True)
class Preference:
    """A preferred value: climate setpoint, light brightness/colour, media habit."""

    kind: str  # climate_setpoint | light_brightness | light_color_temp | media
    subject: str  # entity_id (or area) it applies to
    value: Any
    when: str | None = None  # time-of-day span "18:00-22:00" (local) or None
    mode: str | None = None  # e.g. hvac mode "heat"
    spread: float | None = None
    support: int = 0
    area: str | None = None
    actor: str | None = None
    evidence: list[int] = field(default_factory=list)
    id: int | None = None


@dataclass(slots=True)
class Memory:
    """Something Galatea remembers, with evidence, confidence and two times."""

    type: Literal["episodic", "semantic", "procedural"]
    text: str
    key: str | None = None  # stable identity for engine-made memories
    subject: str | None = None  # entity, area or person it is about
    confidence: float = 0.5
    importance: float = 0.5
    valid_from: datetime | None = None  # when it became true in the home
    valid_to: datetime | None = None  # when it stopped being true (None = still true)
    learned_at: datetime | None = None  # when Galatea learned it
    origin: str = "engine"  # engine | user
    status: str = "active"  # active | confirmed | rejected | closed
    evidence: list[int] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


def to_jsonable(obj: Any) -> Any:
    """Dataclass or value → JSON-ready (datetimes as ISO-8601 with offset)."""
    if hasattr(obj, "__dataclass_fields__"):
        return to_jsonable(asdict(obj))
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return obj
