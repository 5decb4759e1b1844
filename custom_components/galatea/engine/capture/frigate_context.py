"""What every part of the Frigate tracker shares: its options, its counters, the lookups of
cameras and people, and how open objects and reviews close (HA-free)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol

from ..models import ActivityEvent
from .frigate_payload import MAX_PAYLOAD_BYTES, to_datetime

SOURCE: Final = "frigate"


@dataclass(frozen=True, slots=True)
class CameraInfo:
    """What HA knows about a Frigate camera: its entity and area."""

    entity_id: str | None = None
    area: str | None = None


@dataclass(slots=True)
class FrigateOptions:
    """Tracker settings (the integration's Frigate options, or replay defaults)."""

    prefix: str = "frigate"
    cameras: frozenset[str] = frozenset()  # empty: every camera
    min_score: float = 0.0
    object_timeout: float = 3600.0  # seconds without news before an open object is closed
    review_timeout: float = 3600.0
    motion_debounce: float = 30.0  # an OFF followed by ON within this is one motion period
    max_open: int = 500  # open objects/reviews kept; the oldest is closed beyond this
    # Cameras with motion state, and (camera, label) pairs with presence state and counts:
    # topics name them, so a hostile publisher could make up any number. The least recently
    # heard is forgotten beyond these (an ON closed first).
    max_cameras: int = 256
    max_presence: int = 1024
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    log_interval: float = 60.0
    # name (face / sub_label) -> person entity; case and spacing insensitive.
    people: Mapping[str, str] = field(default_factory=dict)
    cameras_info: Mapping[str, CameraInfo] = field(default_factory=dict)
    resolve_person: Callable[[str], str | None] | None = None
    resolve_camera: Callable[[str], CameraInfo | None] | None = None


def normalize_name(name: str) -> str:
    """Face/sub-label/person names compared without case, spacing or punctuation noise."""
    return " ".join("".join(c if c.isalnum() else " " for c in name.casefold()).split())


class FrigateContext:
    """Options, counters and lookups shared by the object, review and signal trackers."""

    def __init__(self, options: FrigateOptions) -> None:
        self.options = options
        self.stats: Counter[str] = Counter()
        self._people = {normalize_name(k): v for k, v in options.people.items() if k}

    def skips(self, camera: str) -> bool:
        """True (and counted) for a camera outside the configured ones."""
        if self.options.cameras and camera not in self.options.cameras:
            self.stats["filtered"] += 1
            return True
        return False

    def person(self, name: str) -> str | None:
        if self.options.resolve_person is not None:
            found = self.options.resolve_person(name)
            if found:
                return found
        return self._people.get(normalize_name(name))

    def first_person(self, names: Iterable[str | None]) -> str | None:
        """The person entity of the first name that resolves to one."""
        for candidate in names:
            actor = self.person(candidate) if candidate else None
            if actor:
                return actor
        return None

    def camera(self, camera: str) -> CameraInfo:
        info = None
        if self.options.resolve_camera is not None:
            info = self.options.resolve_camera(camera)
        return info or self.options.cameras_info.get(camera) or CameraInfo()

    def camera_activity(
        self,
        camera: str,
        *,
        ts: datetime,
        kind: str,
        data: Mapping[str, Any],
        summary: str,
        actor: str | None = None,
        state: str | None = None,
        context_id: str | None = None,
        parent_id: str | None = None,
    ) -> ActivityEvent:
        """An activity seen by ``camera`` (with its entity and area), by ``actor`` if known."""
        cam = self.camera(camera)
        return ActivityEvent(
            ts=ts,
            source=SOURCE,
            kind=kind,
            entity_id=cam.entity_id,
            area=cam.area,
            device=camera,
            device_class="camera",
            actor=actor,
            actor_kind="person" if actor else None,
            state=state,
            data=data,
            summary=summary,
            context_id=context_id,
            parent_id=parent_id,
        )


class _Record(Protocol):
    start: float | None
    end: float | None
    last_seen: float  # receive time (epoch) of the last news, for the timeout


def stretch(record: _Record, start: float | None, end: float | None) -> None:
    """News of a record's times: the earliest start heard, the latest end."""
    if start is not None:
        record.start = start if record.start is None else min(record.start, start)
    if end is not None:
        record.end = end


def span(record: _Record) -> tuple[datetime, datetime]:
    """When a record started and ended (its last news stands for a time never heard)."""
    start = record.start if record.start is not None else record.last_seen
    end = record.end if record.end is not None else record.last_seen
    return to_datetime(start), to_datetime(end)


def span_data(start: datetime, end: datetime) -> dict[str, Any]:
    """A closed record's times in its activity's data."""
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "duration_s": round(max(0.0, (end - start).total_seconds()), 1),
    }


class OpenRecords[R: _Record](ABC):
    """Open records of one kind (most recently heard last) and the recently closed ones. A
    record closes on its end, on a timeout, when the bound on open records evicts it, or at
    shutdown; what its activity says is up to the subclass."""

    def __init__(self, context: FrigateContext) -> None:
        self._context = context
        self.open: OrderedDict[str, R] = OrderedDict()
        self.closed: OrderedDict[str, R] = OrderedDict()  # recently emitted

    @property
    @abstractmethod
    def timeout(self) -> float:
        """Seconds without news before an open record is closed."""

    @abstractmethod
    def activity(self, record: R, how: str) -> ActivityEvent | None:
        """The activity of a closed record (``how``: end, timeout, evicted, interrupted)."""

    def closed_activity(self, record: R, how: str) -> ActivityEvent | None:
        """The activity of a record just closed (counted when it is none)."""
        return self.activity(record, how)

    def heard(self, key: str, new: Callable[[], R], now: datetime) -> R:
        """The open record ``key`` (opened with ``new`` if need be), now the most recently heard."""
        record = self.open.get(key)
        if record is None:
            record = self.open[key] = new()
        self.open.move_to_end(key)
        record.last_seen = now.timestamp()
        return record

    def settle(self, key: str, record: R, *, ended: bool, now: datetime) -> list[ActivityEvent]:
        """After news of ``record``: closed if it ended, else the bound on open records kept."""
        if not ended:
            return self.evict()
        if record.end is None:
            record.end = now.timestamp()
        activity = self.close(key, "end")
        return [activity] if activity is not None else []

    def close(self, key: str, how: str) -> ActivityEvent | None:
        record = self.open.pop(key, None)
        if record is None:
            return None
        self.closed[key] = record
        while len(self.closed) > 2 * self._context.options.max_open:
            self.closed.popitem(last=False)
        return self.closed_activity(record, how)

    def evict(self) -> list[ActivityEvent]:
        """Close the oldest open records beyond ``max_open``."""
        out = []
        while len(self.open) > self._context.options.max_open:
            oldest = next(iter(self.open))
            self._context.stats["evicted"] += 1
            activity = self.close(oldest, "evicted")
            if activity is not None:
                out.append(activity)
        return out

    def expire(self, t: float) -> list[ActivityEvent | None]:
        """Close the records not heard of for ``timeout`` seconds."""
        timeout = self.timeout
        return [self.close(key, "timeout")
                for key in [k for k, r in self.open.items() if t - r.last_seen >= timeout]]

    def flush(self) -> list[ActivityEvent | None]:
        """Every open record as an interrupted activity; nothing stays open."""
        out = [self.activity(r, "interrupted") for r in self.open.values()]
        self.open.clear()
        return out
