"""Fold Frigate NVR's MQTT traffic into activities (HA-free; live capture and replay share it).

Frigate publishes many messages per tracked object (``frigate/events`` new/update/end,
``frigate/tracked_object_update`` for descriptions, faces and plates). ``FrigateTracker`` keeps
one open record per object and emits ONE ActivityEvent when the object's life ends (or when its
end never arrives, after ``object_timeout``). Reviews (``frigate/reviews``, 0.14+) become one
``review`` activity with start/end, severity, objects, zones and cameras. Motion ON/OFF and
per-camera object counts become debounced on/off state activities; ``frigate/available`` a
state activity on change.

Payloads are untrusted: anything too big, not UTF-8, not JSON, deeply nested, of the wrong type or
of an unknown shape is rejected, counted by reason and logged at most once per ``log_interval``.
``handle`` never raises. Payload shapes follow Frigate 0.12 through 0.17 (and dev): ``sub_label``
is a string (0.12) or ``[name, score]`` (0.13+); ``snapshot_time`` (0.12) became a ``snapshot``
object; reviews gained ``verified_objects``/``metadata`` (0.17) and a ``genai`` update type.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from ..models import ActivityEvent
from .bounded_json import MAX_JSON_DEPTH, JSONTooDeep, loads_bounded
from .clock import is_plausible, retime

_LOGGER = logging.getLogger(__name__)

SOURCE: Final = "frigate"
MAX_PAYLOAD_BYTES: Final = 64 * 1024
MAX_LIST_ITEMS: Final = 64
MAX_NAME_CHARS: Final = 128
MAX_DESCRIPTION_CHARS: Final = 500
# Frigate clocks outside this window are not believed (fall back to the receive time).
_MIN_EPOCH: Final = 946_684_800.0  # 2000-01-01
_MAX_EPOCH: Final = 4_102_444_800.0  # 2100-01-01

EVENT_TYPES: Final = frozenset({"new", "update", "end"})
REVIEW_TYPES: Final = frozenset({"new", "update", "end", "genai"})
SEVERITY_RANK: Final = {"detection": 1, "alert": 2}
AVAILABILITY_STATES: Final = frozenset({"online", "offline", "stopped"})
# Second topic levels under a camera that are not object labels.
_CAMERA_SUBTOPICS_IGNORED: Final = frozenset({
    "review_status", "all", "audio", "detect", "recordings", "snapshots", "enabled",
    "ptz_autotracker", "birdseye", "improve_contrast", "motion_threshold", "motion_contour_area",
})
# Top-level topics Frigate publishes that carry no activity of their own.
_TOPICS_IGNORED: Final = frozenset({
    "stats", "camera_activity", "audio_detections", "model_state", "job_state",
    "embeddings_reindex_progress", "birdseye_layout", "notifications", "onConnect",
    "restart", "triggers", "config", "profile", "camera_monitoring", "notification_test",
})


class FrigatePayloadError(ValueError):
    """A message Galatea does not accept; ``reason`` is the counter key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


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


@dataclass(slots=True)
class _TrackedObject:
    id: str
    camera: str
    label: str | None = None
    sub_label: str | None = None
    sub_label_score: float | None = None
    face: str | None = None
    face_score: float | None = None
    plate: str | None = None
    plate_name: str | None = None
    description: str | None = None
    attributes: dict[str, float] = field(default_factory=dict)
    zones: list[str] = field(default_factory=list)
    top_score: float = 0.0
    start: float | None = None
    end: float | None = None
    has_snapshot: bool = False
    has_clip: bool = False
    last_seen: float = 0.0  # receive time (epoch), for the timeout


@dataclass(slots=True)
class _Review:
    id: str
    camera: str
    start: float | None = None
    end: float | None = None
    severity: str = "detection"
    objects: list[str] = field(default_factory=list)
    sub_labels: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    audio: list[str] = field(default_factory=list)
    detections: list[str] = field(default_factory=list)
    title: str | None = None
    last_seen: float = 0.0


@dataclass(slots=True)
class _Binary:
    """A debounced on/off signal (motion, object presence)."""

    on: bool = False
    off_pending_since: float | None = None  # receive time of an OFF not emitted yet
    off_ts: datetime | None = None
    peak: int = 0


def normalize_name(name: str) -> str:
    """Face/sub-label/person names compared without case, spacing or punctuation noise."""
    return " ".join("".join(c if c.isalnum() else " " for c in name.casefold()).split())


class FrigateTracker:
    """Stateful folding of Frigate MQTT messages into ActivityEvents.

    ``handle(topic, payload, ts)`` returns the activities completed by that message (often none);
    ``expire(now)`` closes what timed out (call it every few seconds); ``flush(now)`` closes
    everything still open (on shutdown). None of them raise on bad input.
    """

    def __init__(self, options: FrigateOptions | None = None) -> None:
        self.options = options or FrigateOptions()
        self.prefix = self.options.prefix.strip().strip("/") or "frigate"
        self._people = {normalize_name(k): v for k, v in self.options.people.items() if k}
        self._objects: OrderedDict[str, _TrackedObject] = OrderedDict()
        self._reviews: OrderedDict[str, _Review] = OrderedDict()
        self._closed: OrderedDict[str, _TrackedObject] = OrderedDict()  # recently emitted
        self._closed_reviews: OrderedDict[str, _Review] = OrderedDict()
        self._motion: OrderedDict[str, _Binary] = OrderedDict()
        self._presence: OrderedDict[tuple[str, str], _Binary] = OrderedDict()
        self._available: str | None = None
        self.counts: OrderedDict[tuple[str, str], int] = OrderedDict()
        self.stats: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self._last_log = -math.inf
        self._last_due = -math.inf
        self._unlogged = 0

    # -- public ---------------------------------------------------------------------------

    def handles(self, topic: str) -> bool:
        """True for topics under this tracker's prefix."""
        return topic == self.prefix or topic.startswith(self.prefix + "/")

    def handle(
        self, topic: str, payload: bytes | str, ts: datetime | None = None
    ) -> list[ActivityEvent]:
        """One MQTT message in, the activities it completes out. Never raises."""
        now = ts if ts is not None and ts.tzinfo is not None else datetime.now(UTC)
        self.stats["messages"] += 1
        try:
            out = self._dispatch(topic, payload, now)
        except FrigatePayloadError as err:
            self._reject(err.reason, topic, err.detail)
            return []
        except RecursionError:
            self._reject("too_deep", topic, "")
            return []
        except Exception as err:  # hostile input must never escape
            self._reject("malformed", topic, type(err).__name__)
            return []
        if now.timestamp() - self._last_due >= 1.0:  # timers: at most once a second
            out.extend(self._due(now))
        out = self._plausible(out, now)
        self.stats["activities"] += len(out)
        return out

    def _plausible(self, out: list[ActivityEvent], now: datetime) -> list[ActivityEvent]:
        """Frigate's clock can be wrong (times come from its payloads): an activity before
        2000 or ahead of the message's arrival is re-timed to it, its own time kept."""
        if all(is_plausible(a.ts, now) for a in out):
            return out
        fixed = []
        for activity in out:
            if not is_plausible(activity.ts, now):
                activity = retime(activity, now)
                self.stats["retimed"] += 1
            fixed.append(activity)
        return fixed

    def expire(self, now: datetime | None = None) -> list[ActivityEvent]:
        """Close objects/reviews whose end never came and emit debounced OFFs that are due."""
        now = now or datetime.now(UTC)
        out = self._plausible(self._due(now), now)
        self.stats["activities"] += len(out)
        return out

    def flush(self, now: datetime | None = None) -> list[ActivityEvent]:
        """Close everything still open (shutdown): nothing tracked is lost."""
        now = now or datetime.now(UTC)
        out = [self._object_activity(o, "interrupted") for o in self._objects.values()]
        out += [self._review_activity(r, "interrupted") for r in self._reviews.values()]
        self._objects.clear()
        self._reviews.clear()
        for camera, state in self._motion.items():
            if state.off_pending_since is not None:
                at = state.off_ts or now
                out.append(self._binary_activity("motion", camera, None, False, at))
        for (camera, label), state in self._presence.items():
            if state.off_pending_since is not None:
                out.append(self._binary_activity("object_present", camera, label, False,
                                                 state.off_ts or now, peak=state.peak))
        self._motion.clear()
        self._presence.clear()
        done = self._plausible([a for a in out if a is not None], now)
        self.stats["activities"] += len(done)
        return done

    @property
    def open_objects(self) -> int:
        return len(self._objects)

    def diagnostics(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "open_objects": len(self._objects),
            "open_reviews": len(self._reviews),
            "cameras_with_motion": len(self._motion),
            "presence_pairs": len(self._presence),
            "stats": dict(self.stats),
            "rejected": dict(self.rejected),
            "available": self._available,
        }

    # -- dispatch -------------------------------------------------------------------------

    def _dispatch(self, topic: str, payload: bytes | str, now: datetime) -> list[ActivityEvent]:
        if not isinstance(topic, str) or not self.handles(topic):
            raise FrigatePayloadError("foreign_topic", str(topic)[:80])
        rest = topic[len(self.prefix) + 1:]
        parts = rest.split("/") if rest else []
        if len(parts) > 4 or any(not p or len(p) > MAX_NAME_CHARS for p in parts):
            raise FrigatePayloadError("bad_topic", topic[:120])
        if not parts:
            raise FrigatePayloadError("bad_topic", topic[:120])
        if parts[-1] == "snapshot" or parts[0] in _TOPICS_IGNORED:
            self.stats["ignored"] += 1  # JPEG bytes / stats: nothing to record
            return []
        text = _decode(payload, self.options.max_payload_bytes)
        head = parts[0]
        if len(parts) == 1:
            if head == "events":
                return self._on_event(_load_object(text), now)
            if head == "reviews":
                return self._on_review(_load_object(text), now)
            if head == "tracked_object_update":
                return self._on_object_update(_load_object(text), now)
            if head == "available":
                return self._on_available(text, now)
            self.stats["ignored"] += 1
            return []
        camera = head
        if self.options.cameras and camera not in self.options.cameras:
            self.stats["filtered"] += 1
            return []
        if len(parts) == 2:
            sub = parts[1]
            if sub == "motion":
                return self._on_motion(camera, text, now)
            if sub in _CAMERA_SUBTOPICS_IGNORED:
                self.stats["ignored"] += 1
                return []
            return self._on_count(camera, sub, text, now)
        self.stats["ignored"] += 1  # <camera>/<label>/active, <camera>/audio/<x>, .../state
        return []

    # -- frigate/events -------------------------------------------------------------------

    def _on_event(self, msg: Mapping[str, Any], now: datetime) -> list[ActivityEvent]:
        kind = msg.get("type")
        if kind not in EVENT_TYPES:
            raise FrigatePayloadError("unknown_type", f"events type {str(kind)[:20]!r}")
        after = msg.get("after")
        if not isinstance(after, Mapping):
            raise FrigatePayloadError("malformed", "events.after must be an object")
        obj_id = _name(after, "id", required=True)
        camera = _name(after, "camera", required=True)
        assert obj_id is not None
        assert camera is not None
        if self.options.cameras and camera not in self.options.cameras:
            self.stats["filtered"] += 1
            return []
        if obj_id in self._closed:
            self.stats["late"] += 1  # timed out earlier; its activity is already out
            return []
        false_positive = after.get("false_positive")
        if false_positive is True:
            self.stats["false_positive"] += 1
            return []
        # Validate every field before touching the open record: a bad message changes nothing.
        label = _name(after, "label")
        sub_label, sub_score = _sub_label(after.get("sub_label"))
        scores = [
            s for s in (_number(after.get(k), k) for k in ("top_score", "score")) if s is not None
        ]
        zones = _names(after, "entered_zones") + _names(after, "current_zones")
        start = _epoch(after.get("start_time"), "start_time")
        end = _epoch(after.get("end_time"), "end_time")
        attributes: dict[str, float] = {}
        attrs = after.get("attributes")
        if isinstance(attrs, Mapping):
            for name, value in list(attrs.items())[:MAX_LIST_ITEMS]:
                score = _number(value, "attributes")
                if isinstance(name, str) and score is not None and len(name) <= MAX_NAME_CHARS:
                    attributes[name] = score
        plate = after.get("recognized_license_plate")
        obj = self._objects.get(obj_id)
        if obj is None:
            obj = _TrackedObject(id=obj_id, camera=camera)
            self._objects[obj_id] = obj
        self._objects.move_to_end(obj_id)
        obj.camera = camera
        obj.last_seen = now.timestamp()
        if label:
            obj.label = label
        if sub_label:
            obj.sub_label, obj.sub_label_score = sub_label, sub_score
        obj.top_score = max([obj.top_score, *scores])
        _union(obj.zones, zones)
        if start is not None:
            obj.start = start if obj.start is None else min(obj.start, start)
        if end is not None:
            obj.end = end
        obj.has_snapshot = obj.has_snapshot or after.get("has_snapshot") is True
        obj.has_clip = obj.has_clip or after.get("has_clip") is True
        for name, score in attributes.items():
            obj.attributes[name] = max(score, obj.attributes.get(name, 0.0))
        if isinstance(plate, str) and plate and len(plate) <= MAX_NAME_CHARS:
            obj.plate = plate
        out: list[ActivityEvent | None] = []
        if kind == "end":
            if obj.end is None:
                obj.end = now.timestamp()
            out.append(self._close_object(obj_id, "end"))
        else:
            out.extend(self._evict(self._objects, self.options.max_open, self._close_object))
        return [a for a in out if a is not None]

    def _close_object(self, obj_id: str, how: str) -> ActivityEvent | None:
        obj = self._objects.pop(obj_id, None)
        if obj is None:
            return None
        self._closed[obj_id] = obj
        while len(self._closed) > 2 * self.options.max_open:
            self._closed.popitem(last=False)
        if obj.label is None:
            self.stats["incomplete"] += 1  # only side channels (face/description) ever arrived
            return None
        if obj.top_score < self.options.min_score:
            self.stats["below_min_score"] += 1
            return None
        return self._object_activity(obj, how)

    def _object_activity(self, obj: _TrackedObject, how: str) -> ActivityEvent | None:
        if obj.label is None or obj.top_score < self.options.min_score:
            return None
        start_epoch = obj.start if obj.start is not None else obj.last_seen
        start = _dt(start_epoch)
        end = _dt(obj.end) if obj.end is not None else _dt(obj.last_seen)
        cam = self._camera(obj.camera)
        actor = None
        name = obj.face or obj.sub_label
        for candidate in (obj.face, obj.sub_label, obj.plate_name):
            actor = self._person(candidate) if candidate else None
            if actor:
                break
        data: dict[str, Any] = {
            "id": obj.id,
            "camera": obj.camera,
            "label": obj.label,
            "zones": obj.zones[:MAX_LIST_ITEMS],
            "top_score": round(obj.top_score, 3),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "duration_s": round(max(0.0, (end - start).total_seconds()), 1),
            "has_snapshot": obj.has_snapshot,
            "has_clip": obj.has_clip,
        }
        if how != "end":
            data["ended"] = how
        if obj.sub_label:
            data["sub_label"] = obj.sub_label
            if obj.sub_label_score is not None:
                data["sub_label_score"] = round(obj.sub_label_score, 3)
        if obj.face:
            data["face"] = obj.face
            if obj.face_score is not None:
                data["face_score"] = round(obj.face_score, 3)
        if obj.plate:
            data["plate"] = obj.plate
        if obj.plate_name:
            data["plate_name"] = obj.plate_name
        if obj.attributes:
            data["attributes"] = {k: round(v, 3) for k, v in list(obj.attributes.items())[:16]}
        if obj.description:
            data["description"] = obj.description
        who = name or ("someone" if obj.label == "person" else f"a {obj.label}")
        where = obj.camera.replace("_", " ")
        zones = f" ({', '.join(obj.zones[:4])})" if obj.zones else ""
        return ActivityEvent(
            ts=start,
            source=SOURCE,
            kind="person_detected" if obj.label == "person" else "object_detected",
            entity_id=cam.entity_id,
            area=cam.area,
            device=obj.camera,
            device_class="camera",
            actor=actor,
            actor_kind="person" if actor else None,
            state=obj.label,
            data=data,
            summary=f"{who} at {where}{zones}"[:200],
            context_id=f"frigate:{obj.id}"[:255],
        )

    # -- frigate/tracked_object_update ----------------------------------------------------

    def _on_object_update(self, msg: Mapping[str, Any], now: datetime) -> list[ActivityEvent]:
        kind = msg.get("type")
        if kind not in ("description", "face", "lpr", "classification"):
            raise FrigatePayloadError(
                "unknown_type", f"tracked_object_update type {str(kind)[:20]!r}"
            )
        obj_id = _name(msg, "id", required=True)
        assert obj_id is not None
        camera = _name(msg, "camera")
        if camera and self.options.cameras and camera not in self.options.cameras:
            self.stats["filtered"] += 1
            return []
        obj = self._objects.get(obj_id)
        ended = self._closed.get(obj_id) if obj is None else None
        if obj is None and ended is None:
            # Side channel ahead of the object's first event: keep it for the object.
            obj = _TrackedObject(id=obj_id, camera=camera or "", last_seen=now.timestamp())
            self._objects[obj_id] = obj
            evicted = [a for a in self._evict(self._objects, self.options.max_open,
                                              self._close_object) if a is not None]
            if obj_id not in self._objects:  # max_open 0: nothing is kept
                return evicted
        else:
            evicted = []
        target = obj or ended
        assert target is not None
        if kind == "description":
            text = msg.get("description")
            if not isinstance(text, str):
                raise FrigatePayloadError("malformed", "description must be a string")
            target.description = text[:MAX_DESCRIPTION_CHARS]
        elif kind == "face":
            name = _name(msg, "name")
            if name and name.casefold() != "unknown":
                target.face = name
                target.face_score = _number(msg.get("score"), "score")
        elif kind == "lpr":
            plate = _name(msg, "plate")
            if plate:
                target.plate = plate
            plate_name = _name(msg, "name")
            if plate_name:
                target.plate_name = plate_name
        else:
            sub_label = _name(msg, "sub_label")
            if sub_label:
                target.sub_label = sub_label
                target.sub_label_score = _number(msg.get("score"), "score")
        if obj is not None:
            obj.last_seen = now.timestamp()
            return evicted
        # The object already ended (descriptions come after the end): a follow-up activity.
        assert ended is not None
        return [a for a in [self._late_update(ended, str(kind), now)] if a is not None]

    def _late_update(self, obj: _TrackedObject, kind: str, now: datetime) -> ActivityEvent | None:
        if obj.label is None or obj.top_score < self.options.min_score:
            return None
        cam = self._camera(obj.camera)
        actor = None
        for candidate in (obj.face, obj.sub_label, obj.plate_name):
            actor = self._person(candidate) if candidate else None
            if actor:
                break
        data: dict[str, Any] = {
            "id": obj.id, "camera": obj.camera, "label": obj.label, "update": kind,
        }
        for key in ("description", "face", "sub_label", "plate", "plate_name"):
            value = getattr(obj, key)
            if value:
                data[key] = value
        return ActivityEvent(
            ts=now,
            source=SOURCE,
            kind="object_described" if kind == "description" else "object_identified",
            entity_id=cam.entity_id,
            area=cam.area,
            device=obj.camera,
            device_class="camera",
            actor=actor,
            actor_kind="person" if actor else None,
            state=obj.label,
            data=data,
            summary=(obj.description or f"{obj.label} at {obj.camera}: {kind}")[:200],
            parent_id=f"frigate:{obj.id}"[:255],
        )

    # -- frigate/reviews ------------------------------------------------------------------

    def _on_review(self, msg: Mapping[str, Any], now: datetime) -> list[ActivityEvent]:
        kind = msg.get("type")
        if kind not in REVIEW_TYPES:
            raise FrigatePayloadError("unknown_type", f"reviews type {str(kind)[:20]!r}")
        after = msg.get("after")
        if not isinstance(after, Mapping):
            raise FrigatePayloadError("malformed", "reviews.after must be an object")
        review_id = _name(after, "id", required=True)
        camera = _name(after, "camera", required=True)
        assert review_id is not None
        assert camera is not None
        if self.options.cameras and camera not in self.options.cameras:
            self.stats["filtered"] += 1
            return []
        data = after.get("data")
        if data is not None and not isinstance(data, Mapping):
            raise FrigatePayloadError("malformed", "reviews.after.data must be an object")
        data = data or {}
        if kind == "genai":
            return self._review_genai(review_id, camera, data, now)
        if review_id in self._closed_reviews:
            self.stats["late"] += 1
            return []
        severity = after.get("severity")
        if severity is not None and severity not in SEVERITY_RANK:
            raise FrigatePayloadError("malformed", "reviews severity")
        start = _epoch(after.get("start_time"), "start_time")
        end = _epoch(after.get("end_time"), "end_time")
        objects = [o.removesuffix("-verified") for o in _names(data, "objects")]
        sub_labels = _review_sub_labels(data.get("sub_labels"))
        zones = _names(data, "zones")
        audio = _names(data, "audio")
        detections = _names(data, "detections")
        title = _genai_title(data.get("metadata"))
        review = self._reviews.get(review_id)
        if review is None:
            review = _Review(id=review_id, camera=camera)
            self._reviews[review_id] = review
        self._reviews.move_to_end(review_id)
        review.last_seen = now.timestamp()
        if severity is not None and SEVERITY_RANK[severity] > SEVERITY_RANK.get(review.severity, 0):
            review.severity = severity
        if start is not None:
            review.start = start if review.start is None else min(review.start, start)
        if end is not None:
            review.end = end
        _union(review.objects, objects)
        _union(review.sub_labels, sub_labels)
        _union(review.zones, zones)
        _union(review.audio, audio)
        _union(review.detections, detections)
        if title:
            review.title = title
        if kind == "end":
            if review.end is None:
                review.end = now.timestamp()
            return [a for a in [self._close_review(review_id, "end")] if a is not None]
        return [a for a in self._evict(self._reviews, self.options.max_open, self._close_review)
                if a is not None]

    def _review_genai(
        self, review_id: str, camera: str, data: Mapping[str, Any], now: datetime
    ) -> list[ActivityEvent]:
        title = _genai_title(data.get("metadata"))
        review = self._reviews.get(review_id)
        if review is not None:
            review.title = title or review.title
            return []
        meta = data.get("metadata")
        if not title or not isinstance(meta, Mapping):
            self.stats["ignored"] += 1
            return []
        cam = self._camera(camera)
        summary = meta.get("shortSummary")
        out: dict[str, Any] = {"review_id": review_id, "camera": camera, "title": title}
        if isinstance(summary, str):
            out["description"] = summary[:MAX_DESCRIPTION_CHARS]
        threat = meta.get("potential_threat_level")
        if isinstance(threat, int) and not isinstance(threat, bool):
            out["threat_level"] = threat
        return [ActivityEvent(
            ts=now, source=SOURCE, kind="review_described", entity_id=cam.entity_id,
            area=cam.area, device=camera, device_class="camera", data=out, summary=title[:200],
            parent_id=f"frigate_review:{review_id}"[:255],
        )]

    def _close_review(self, review_id: str, how: str) -> ActivityEvent | None:
        review = self._reviews.pop(review_id, None)
        if review is None:
            return None
        self._closed_reviews[review_id] = review
        while len(self._closed_reviews) > 2 * self.options.max_open:
            self._closed_reviews.popitem(last=False)
        return self._review_activity(review, how)

    def _review_activity(self, review: _Review, how: str) -> ActivityEvent | None:
        start = _dt(review.start if review.start is not None else review.last_seen)
        end = _dt(review.end if review.end is not None else review.last_seen)
        cam = self._camera(review.camera)
        actor = None
        for name in review.sub_labels:
            actor = self._person(name)
            if actor:
                break
        data: dict[str, Any] = {
            "id": review.id,
            "camera": review.camera,
            "cameras": [review.camera],
            "severity": review.severity,
            "objects": review.objects[:MAX_LIST_ITEMS],
            "zones": review.zones[:MAX_LIST_ITEMS],
            "sub_labels": review.sub_labels[:MAX_LIST_ITEMS],
            "detections": len(review.detections),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "duration_s": round(max(0.0, (end - start).total_seconds()), 1),
        }
        if review.audio:
            data["audio"] = review.audio[:MAX_LIST_ITEMS]
        if review.title:
            data["title"] = review.title
        if how != "end":
            data["ended"] = how
        who = ", ".join(review.sub_labels[:3]) or (
            "someone" if "person" in review.objects else ", ".join(review.objects[:3]) or "activity"
        )
        return ActivityEvent(
            ts=start,
            source=SOURCE,
            kind="review",
            entity_id=cam.entity_id,
            area=cam.area,
            device=review.camera,
            device_class="camera",
            actor=actor,
            actor_kind="person" if actor else None,
            state=review.severity,
            data=data,
            summary=(f"{who} at {review.camera.replace('_', ' ')} "
                     f"{start:%H:%M}-{end:%H:%M} UTC ({review.severity})")[:200],
            context_id=f"frigate_review:{review.id}"[:255],
        )

    # -- scalar topics --------------------------------------------------------------------

    def _on_available(self, text: str, now: datetime) -> list[ActivityEvent]:
        state = text.strip().lower()
        if state not in AVAILABILITY_STATES:
            raise FrigatePayloadError("malformed", "available must be online/offline/stopped")
        if state == self._available:
            return []
        old, self._available = self._available, state
        return [ActivityEvent(
            ts=now, source=SOURCE, kind="frigate_available", state=state, old_state=old,
            data={"prefix": self.prefix}, summary=f"Frigate {state}",
        )]

    def _on_motion(self, camera: str, text: str, now: datetime) -> list[ActivityEvent]:
        value = text.strip().upper()
        if value not in ("ON", "OFF"):
            raise FrigatePayloadError("malformed", "motion must be ON or OFF")
        state, evicted = self._binary_state(self._motion, camera, self.options.max_cameras, now)
        out = self._binary_step(state, value == "ON", now, 1)
        return evicted + [
            a for a in (self._binary_activity("motion", camera, None, on, at) for on, at in out)
            if a is not None
        ]

    def _on_count(self, camera: str, label: str, text: str, now: datetime) -> list[ActivityEvent]:
        value = text.strip()
        if not value.isascii() or not value.isdigit() or len(value) > 6:
            # Not an object count: some other per-camera topic of a newer Frigate.
            self.stats["ignored"] += 1
            return []
        count = int(value)
        key = (camera, label)
        self.counts[key] = count
        self.counts.move_to_end(key)
        while len(self.counts) > self.options.max_presence:
            self.counts.popitem(last=False)
        state, evicted = self._binary_state(self._presence, key, self.options.max_presence, now)
        out = self._binary_step(state, count > 0, now, count)
        return evicted + [
            a for a in (
                self._binary_activity("object_present", camera, label, on, at, peak=state.peak)
                for on, at in out
            )
            if a is not None
        ]

    def _binary_state[K: (str, tuple[str, str])](
        self, states: OrderedDict[K, _Binary], key: K, limit: int, now: datetime
    ) -> tuple[_Binary, list[ActivityEvent]]:
        """The state of ``key`` (most recently heard last); the least recently heard beyond
        ``limit`` are forgotten, an ON one closed with its OFF."""
        state = states.get(key)
        if state is not None:
            states.move_to_end(key)
            return state, []
        state = states[key] = _Binary()
        out: list[ActivityEvent] = []
        while len(states) > max(1, limit):
            old_key, old = states.popitem(last=False)
            self.stats["evicted"] += 1
            if not old.on:
                continue
            at = old.off_ts or now
            if isinstance(old_key, tuple):
                ev = self._binary_activity("object_present", old_key[0], old_key[1], False, at,
                                           peak=old.peak)
            else:
                ev = self._binary_activity("motion", old_key, None, False, at)
            if ev is not None:
                out.append(ev)
        return state, out

    def _binary_step(
        self, state: _Binary, on: bool, now: datetime, level: int
    ) -> list[tuple[bool, datetime]]:
        """Debounce: ON is emitted at once unless an OFF is pending (then both cancel);
        OFF waits ``motion_debounce`` seconds (emitted by ``_due``)."""
        if on:
            state.peak = max(state.peak, level)
            if state.off_pending_since is not None:
                state.off_pending_since, state.off_ts = None, None
                return []
            if state.on:
                return []
            state.on = True
            return [(True, now)]
        if state.on and state.off_pending_since is None:
            state.off_pending_since, state.off_ts = now.timestamp(), now
        return []

    def _binary_activity(
        self, kind: str, camera: str, label: str | None, on: bool, at: datetime, *, peak: int = 0
    ) -> ActivityEvent | None:
        cam = self._camera(camera)
        data: dict[str, Any] = {"camera": camera}
        if label:
            data["label"] = label
            if not on and peak:
                data["peak_count"] = peak
        what = f"{label} present" if label else "motion"
        return ActivityEvent(
            ts=at, source=SOURCE, kind=kind, entity_id=cam.entity_id, area=cam.area,
            device=camera, device_class="camera" if label else "motion",
            state="on" if on else "off", old_state="off" if on else "on", data=data,
            summary=f"{camera.replace('_', ' ')}: {what} {'on' if on else 'off'}",
        )

    # -- timers ---------------------------------------------------------------------------

    def _due(self, now: datetime) -> list[ActivityEvent]:
        t = now.timestamp()
        self._last_due = t
        out: list[ActivityEvent | None] = []
        for obj_id in [k for k, o in self._objects.items()
                       if t - o.last_seen >= self.options.object_timeout]:
            out.append(self._close_object(obj_id, "timeout"))
        for review_id in [k for k, r in self._reviews.items()
                          if t - r.last_seen >= self.options.review_timeout]:
            out.append(self._close_review(review_id, "timeout"))
        debounce = self.options.motion_debounce
        for camera, state in self._motion.items():
            if state.off_pending_since is not None and t - state.off_pending_since >= debounce:
                at = state.off_ts or now
                out.append(self._binary_activity("motion", camera, None, False, at))
                state.on, state.off_pending_since, state.off_ts = False, None, None
        for (camera, label), state in self._presence.items():
            if state.off_pending_since is not None and t - state.off_pending_since >= debounce:
                out.append(self._binary_activity("object_present", camera, label, False,
                                                 state.off_ts or now, peak=state.peak))
                state.on, state.off_pending_since, state.off_ts, state.peak = False, None, None, 0
        return [a for a in out if a is not None]

    def _evict(
        self, items: OrderedDict[str, Any], limit: int,
        close: Callable[[str, str], ActivityEvent | None],
    ) -> Iterable[ActivityEvent | None]:
        while len(items) > limit:
            oldest = next(iter(items))
            self.stats["evicted"] += 1
            yield close(oldest, "evicted")

    # -- lookups & logging ----------------------------------------------------------------

    def _person(self, name: str) -> str | None:
        if self.options.resolve_person is not None:
            found = self.options.resolve_person(name)
            if found:
                return found
        return self._people.get(normalize_name(name))

    def _camera(self, camera: str) -> CameraInfo:
        info = None
        if self.options.resolve_camera is not None:
            info = self.options.resolve_camera(camera)
        return info or self.options.cameras_info.get(camera) or CameraInfo()

    def _reject(self, reason: str, topic: Any, detail: str) -> None:
        self.rejected[reason] += 1
        self.stats["rejected"] += 1
        now = time.monotonic()
        if now - self._last_log < self.options.log_interval:
            self._unlogged += 1
            return
        suppressed, self._unlogged, self._last_log = self._unlogged, 0, now
        _LOGGER.warning(
            "Rejected a Frigate message on %s (%s%s); %d rejected so far%s",
            _printable(str(topic)[:120]), reason,
            f": {_printable(detail[:120])}" if detail else "",
            self.stats["rejected"],
            f", {suppressed} not logged since the last warning" if suppressed else "",
        )


# -- payload helpers ----------------------------------------------------------------------


def _printable(text: str) -> str:
    """Text safe for any log handler (lone surrogates and control characters escaped)."""
    return text.encode("ascii", "backslashreplace").decode("ascii")


def _decode(payload: bytes | str | bytearray | memoryview, limit: int) -> str:
    if isinstance(payload, bytearray | memoryview):
        payload = bytes(payload)
    if isinstance(payload, bytes):
        if len(payload) > limit:
            raise FrigatePayloadError("too_large", f"{len(payload)} bytes")
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError as err:
            raise FrigatePayloadError("not_utf8", "") from err
    if isinstance(payload, str):
        if len(payload) > limit:
            raise FrigatePayloadError("too_large", f"{len(payload)} characters")
        return payload
    raise FrigatePayloadError("malformed", f"payload of type {type(payload).__name__}")


def _load_object(text: str) -> Mapping[str, Any]:
    try:
        value = loads_bounded(text, MAX_JSON_DEPTH)
    except JSONTooDeep as err:
        raise FrigatePayloadError("too_deep", str(err)) from err
    except ValueError as err:
        raise FrigatePayloadError("not_json", str(err)[:80]) from err
    if not isinstance(value, dict):
        raise FrigatePayloadError("malformed", "payload must be a JSON object")
    return value


def _name(raw: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise FrigatePayloadError("malformed", f"{key} is required")
        return None
    if not isinstance(value, str):
        raise FrigatePayloadError("malformed", f"{key} must be a string")
    if not value:
        if required:
            raise FrigatePayloadError("malformed", f"{key} must not be empty")
        return None
    if len(value) > MAX_NAME_CHARS:
        raise FrigatePayloadError("malformed", f"{key} longer than {MAX_NAME_CHARS}")
    return value


def _names(raw: Mapping[str, Any], key: str) -> list[str]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise FrigatePayloadError("malformed", f"{key} must be a list")
    out = []
    for item in value[:MAX_LIST_ITEMS]:
        if not isinstance(item, str) or len(item) > MAX_NAME_CHARS:
            raise FrigatePayloadError("malformed", f"{key} items must be short strings")
        out.append(item)
    return out


def _number(value: Any, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FrigatePayloadError("malformed", f"{key} must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise FrigatePayloadError("malformed", f"{key} must be finite")
    return number


def _epoch(value: Any, key: str) -> float | None:
    number = _number(value, key)
    if number is None or number == 0:
        return None
    if not _MIN_EPOCH <= number <= _MAX_EPOCH:
        raise FrigatePayloadError("malformed", f"{key} out of range")
    return number


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _sub_label(value: Any) -> tuple[str | None, float | None]:
    """0.12: "name" | None; 0.13+: ["name", score] | None."""
    if value is None:
        return None, None
    if isinstance(value, str):
        return (value[:MAX_NAME_CHARS] or None), None
    if isinstance(value, list) and value and isinstance(value[0], str):
        score = _number(value[1], "sub_label") if len(value) > 1 else None
        return (value[0][:MAX_NAME_CHARS] or None), score
    raise FrigatePayloadError("malformed", "sub_label must be a string or [name, score]")


def _review_sub_labels(value: Any) -> list[str]:
    """Review sub_labels: names, or (some versions) [name, score] pairs."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise FrigatePayloadError("malformed", "sub_labels must be a list")
    out = []
    for item in value[:MAX_LIST_ITEMS]:
        name, _score = _sub_label(item)
        if name:
            out.append(name)
    return out


def _genai_title(meta: Any) -> str | None:
    if isinstance(meta, Mapping):
        title = meta.get("title")
        if isinstance(title, str) and title:
            return title[:MAX_NAME_CHARS]
    return None


def _union(target: list[str], items: Iterable[str]) -> None:
    for item in items:
        if item not in target and len(target) < MAX_LIST_ITEMS:
            target.append(item)

