"""Replay JSONL: one object per line, its kind detected per line (see ARCHITECTURE.md).

- an HA event (``event_type`` key, ``Event.as_dict()`` shape) -> ``HAEventNormalizer`` (source
  from the line's ``source`` when it is a known source, else ``ha``);
- an MQTT message ``{topic, payload, ts}`` -> the MQTT handler registered for the topic's first
  segment (Frigate's tracker is registered lazily when ``capture/frigate.py`` is present); lines no
  handler claims are counted as skipped;
- a digital/any ActivityEvent (``kind`` + ``ts``) -> ``ActivityEvent.from_dict``.

Bad lines are counted and reported with their file and line number; they never abort a file.
Files are read in the order given, events are kept in file order.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .capture.bounded_json import loads_bounded
from .capture.clock import is_plausible
from .capture.ha_events import CaptureFilter, HAEventNormalizer, Registry, StaticRegistry
from .models import SOURCES, ActivityEvent, ValidationError, parse_ts

if TYPE_CHECKING:
    from .store import ActivityStore

_LOGGER = logging.getLogger(__name__)

MAX_REPORTED_ERRORS = 100


class MqttHandler(Protocol):
    """What replay needs from an MQTT folding tracker (``FrigateTracker`` fits)."""

    def handle(
        self, topic: str, payload: bytes | str, ts: datetime | None = None
    ) -> list[ActivityEvent]: ...

    def flush(self, now: datetime | None = None) -> list[ActivityEvent]: ...


MqttHandlerFactory = Callable[[], MqttHandler]
_MQTT_HANDLERS: dict[str, MqttHandlerFactory] = {}
_BUILTIN_MQTT_MODULES: dict[str, tuple[str, str]] = {
    # topic prefix -> (module under this package, class with a no-argument constructor)
    "frigate": ("capture.frigate", "FrigateTracker"),
    "galatea": ("capture.digital", "DigitalMqttHandler"),  # galatea/activity[/<device>]
}


def register_mqtt_handler(prefix: str, factory: MqttHandlerFactory) -> None:
    """Route replayed MQTT lines whose topic is ``prefix`` or starts with ``prefix/``."""
    _MQTT_HANDLERS[prefix.strip("/")] = factory


def mqtt_handler_factories() -> dict[str, MqttHandlerFactory]:
    """Registered factories plus the built-in ones whose module exists."""
    out: dict[str, MqttHandlerFactory] = {}
    for prefix, (module_name, class_name) in _BUILTIN_MQTT_MODULES.items():
        try:
            module = importlib.import_module(f"{__package__}.{module_name}")
        except ImportError:
            continue
        factory = getattr(module, class_name, None)
        if callable(factory):
            out[prefix] = factory
    out.update(_MQTT_HANDLERS)
    return out


@dataclass(slots=True)
class LineError:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class IngestReport:
    """What a replay read and stored."""

    files: int = 0
    lines: int = 0
    blank: int = 0
    ha_events: int = 0
    mqtt_messages: int = 0
    activity_lines: int = 0
    activities: int = 0  # produced
    stored: int = 0
    skipped: int = 0  # valid lines that are not activity (filtered, unclaimed MQTT, ...)
    rejected: int = 0  # malformed lines
    implausible_time: int = 0  # of them: a time before 2000 or in the future
    errors: list[LineError] = field(default_factory=list)
    by_source: Counter[str] = field(default_factory=Counter)
    first_id: int | None = None
    last_id: int | None = None
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    files_already_ingested: list[str] = field(default_factory=list)

    def reject(self, path: str, line: int, message: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(LineError(path, line, message))

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files, "lines": self.lines, "blank": self.blank,
            "ha_events": self.ha_events, "mqtt_messages": self.mqtt_messages,
            "activity_lines": self.activity_lines, "activities": self.activities,
            "stored": self.stored, "skipped": self.skipped, "rejected": self.rejected,
            "implausible_time": self.implausible_time,
            "errors": [str(e) for e in self.errors], "by_source": dict(self.by_source),
            "first_id": self.first_id, "last_id": self.last_id,
            "first_ts": self.first_ts.isoformat() if self.first_ts else None,
            "last_ts": self.last_ts.isoformat() if self.last_ts else None,
            "files_already_ingested": list(self.files_already_ingested),
        }

    def summary(self) -> str:
        text = (f"{self.lines} lines in {self.files} file(s): {self.stored} activities stored, "
                f"{self.skipped} skipped, {self.rejected} rejected")
        if self.files_already_ingested:
            text += (f"; {len(self.files_already_ingested)} file(s) already in this database, "
                     "not ingested again (--force to ingest anyway)")
        return text


class ReplayReader:
    """Turns replay lines into ActivityEvents, updating an ``IngestReport``."""

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        capture: CaptureFilter | None = None,
        report: IngestReport | None = None,
        mqtt_handlers: Mapping[str, MqttHandlerFactory] | None = None,
    ) -> None:
        self.registry: Registry = registry or StaticRegistry()
        self.capture = capture or CaptureFilter()
        self.report = report or IngestReport()
        self._factories = dict(mqtt_handlers if mqtt_handlers is not None
                               else mqtt_handler_factories())
        self._handlers: dict[str, MqttHandler] = {}
        self._normalizers: dict[str, HAEventNormalizer] = {}

    def _normalizer(self, source: str) -> HAEventNormalizer:
        norm = self._normalizers.get(source)
        if norm is None:
            norm = HAEventNormalizer(registry=self.registry, capture=self.capture, source=source)
            self._normalizers[source] = norm
        return norm

    def _mqtt_handler(self, topic: str) -> MqttHandler | None:
        prefix = topic.split("/", 1)[0]
        handler = self._handlers.get(prefix)
        if handler is None and prefix in self._factories:
            handler = self._handlers[prefix] = self._factories[prefix]()
        return handler

    def read_object(self, obj: Any) -> list[ActivityEvent]:
        """One parsed line -> activities (raises ValidationError/ValueError for a bad line)."""
        if not isinstance(obj, Mapping):
            raise ValidationError("line", "not a JSON object")
        if "event_type" in obj:
            self.report.ha_events += 1
            source = obj.get("source")
            norm = self._normalizer(source if isinstance(source, str) and source in SOURCES
                                    else "ha")
            ev = norm.normalize(obj)
            return [ev] if ev is not None else []
        if "topic" in obj and "payload" in obj:
            self.report.mqtt_messages += 1
            topic = obj["topic"]
            if not isinstance(topic, str) or not topic:
                raise ValidationError("topic", "must be a non-empty string")
            ts = parse_ts(obj.get("ts"), "ts")
            payload = obj["payload"]
            if not isinstance(payload, str | bytes):
                payload = json.dumps(payload)
            handler = self._mqtt_handler(topic)
            if handler is None:
                return []
            return list(handler.handle(topic, payload, ts))
        if "kind" in obj and "ts" in obj:
            self.report.activity_lines += 1
            return [ActivityEvent.from_dict(obj)]
        raise ValidationError("line", "neither an HA event, an MQTT message nor an activity")

    def read_file(self, path: str | Path) -> Iterator[ActivityEvent]:
        """Activities of one file, in line order (bad lines are reported, not raised)."""
        name = str(path)
        self.report.files += 1
        with Path(path).open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                self.report.lines += 1
                if not raw.strip():
                    self.report.blank += 1
                    continue
                try:
                    obj = loads_bounded(raw)
                    events = self.read_object(obj)
                except (ValidationError, ValueError, TypeError, RecursionError) as err:
                    self.report.reject(name, number, _describe(err))
                    continue
                wrong = [ev for ev in events if not is_plausible(ev.ts)]
                if wrong:  # a replayed line is never re-timed: its time is all it has
                    self.report.reject(name, number, f"ts: {wrong[0].ts.isoformat()} is before "
                                       "2000 or in the future")
                    self.report.implausible_time += 1
                    events = [ev for ev in events if is_plausible(ev.ts)]
                if not events:
                    self.report.skipped += 1
                    continue
                yield from self._count(events)

    def finish(self) -> Iterator[ActivityEvent]:
        """Close what MQTT handlers still hold open (end of replay)."""
        for handler in self._handlers.values():
            yield from self._count(handler.flush(self.report.last_ts))

    def read_files(self, paths: Iterable[str | Path]) -> Iterator[ActivityEvent]:
        for path in paths:
            yield from self.read_file(path)
        yield from self.finish()

    def _count(self, events: Iterable[ActivityEvent]) -> Iterator[ActivityEvent]:
        report = self.report
        for ev in events:
            report.activities += 1
            report.by_source[ev.source] += 1
            if report.first_ts is None or ev.ts < report.first_ts:
                report.first_ts = ev.ts
            if report.last_ts is None or ev.ts > report.last_ts:
                report.last_ts = ev.ts
            yield ev


def _describe(err: BaseException) -> str:
    if isinstance(err, json.JSONDecodeError):
        return f"invalid JSON ({err.msg} at column {err.colno})"
    return str(err) or type(err).__name__


def load_areas(path: str | Path) -> StaticRegistry:
    """An ``--areas`` file (entity -> area name or {area, floor, ...}, optional users)."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, Mapping):
        raise ValueError(f"{path}: the areas file must be a JSON object")
    return StaticRegistry.from_areas_file(raw)


def ingest(
    paths: Iterable[str | Path],
    store: ActivityStore,
    registry: Registry | None = None,
    *,
    capture: CaptureFilter | None = None,
    batch: int = 5000,
    skip_seen: bool = True,
) -> IngestReport:
    """Read replay files into ``store`` (synchronous ``add_events`` per ``batch``).

    A file whose exact content was already ingested into this store is skipped (counted in
    ``files_already_ingested``) unless ``skip_seen`` is False, so replaying twice does not
    double the log.
    """
    reader = ReplayReader(registry, capture=capture)
    report = reader.report
    pending: list[ActivityEvent] = []

    def write() -> None:
        ids = store.add_events(pending)
        if ids:
            report.stored += len(ids)
            report.first_id = ids[0] if report.first_id is None else report.first_id
            report.last_id = ids[-1]
        pending.clear()

    for path in paths:
        key = f"{SEEN_PREFIX}{file_digest(path)}"
        if skip_seen and store.get_state(key) is not None:
            report.files_already_ingested.append(str(path))
            continue
        before = report.stored + len(pending)
        for ev in reader.read_file(path):
            pending.append(ev)
            if len(pending) >= batch:
                write()
        write()
        store.set_state(key, {"path": str(path), "stored": report.stored - before,
                              "at": datetime.now(UTC).isoformat()})
    pending.extend(reader.finish())
    write()
    return report


SEEN_PREFIX = "replay.file:"


def file_digest(path: str | Path) -> str:
    """sha256 of a file's content (identifies a replay file already ingested)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
