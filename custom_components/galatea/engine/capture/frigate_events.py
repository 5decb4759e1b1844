"""``frigate/events``: one open record per tracked object, ONE activity when its life ends (or
when its end never arrives, after ``object_timeout``) (HA-free)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from ..models import ActivityEvent
from . import frigate_payload as p
from .frigate_context import OpenRecords, span, span_data, stretch

EVENT_TYPES: Final = frozenset({"new", "update", "end"})


@dataclass(slots=True)
class TrackedObject:
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

    @property
    def names(self) -> tuple[str | None, ...]:
        """The names that may say who this is, most trusted first."""
        return self.face, self.sub_label, self.plate_name


class ObjectTracker(OpenRecords[TrackedObject]):
    """Open tracked objects (most recently heard last) and the recently closed ones."""

    @property
    def timeout(self) -> float:
        return self._context.options.object_timeout

    def on_event(self, msg: Mapping[str, Any], now: datetime) -> list[ActivityEvent]:
        kind, after, obj_id, camera = p.record_header(msg, "events", EVENT_TYPES)
        stats = self._context.stats
        if self._context.skips(camera):
            return []
        if obj_id in self.closed:
            stats["late"] += 1  # timed out earlier; its activity is already out
            return []
        if after.get("false_positive") is True:
            stats["false_positive"] += 1
            return []
        # Validate every field before touching the open record: a bad message changes nothing.
        label = p.name(after, "label")
        sub_label, sub_score = p.sub_label(after.get("sub_label"))
        scores = [
            s for s in (p.number(after.get(k), k) for k in ("top_score", "score")) if s is not None
        ]
        zones = p.names(after, "entered_zones") + p.names(after, "current_zones")
        start = p.epoch(after.get("start_time"), "start_time")
        end = p.epoch(after.get("end_time"), "end_time")
        attributes: dict[str, float] = {}
        attrs = after.get("attributes")
        if isinstance(attrs, Mapping):
            for name, value in list(attrs.items())[:p.MAX_LIST_ITEMS]:
                score = p.number(value, "attributes")
                if isinstance(name, str) and score is not None and len(name) <= p.MAX_NAME_CHARS:
                    attributes[name] = score
        plate = after.get("recognized_license_plate")
        obj = self.heard(obj_id, lambda: TrackedObject(id=obj_id, camera=camera), now)
        obj.camera = camera
        if label:
            obj.label = label
        if sub_label:
            obj.sub_label, obj.sub_label_score = sub_label, sub_score
        obj.top_score = max([obj.top_score, *scores])
        p.union(obj.zones, zones)
        stretch(obj, start, end)
        obj.has_snapshot = obj.has_snapshot or after.get("has_snapshot") is True
        obj.has_clip = obj.has_clip or after.get("has_clip") is True
        for name, score in attributes.items():
            obj.attributes[name] = max(score, obj.attributes.get(name, 0.0))
        if isinstance(plate, str) and plate and len(plate) <= p.MAX_NAME_CHARS:
            obj.plate = plate
        return self.settle(obj_id, obj, ended=kind == "end", now=now)

    def keep(self, obj_id: str, camera: str, now: datetime) -> list[ActivityEvent]:
        """Open a record for news ahead of the object's first event; returns what the bound
        on open objects closed to make room."""
        self.open[obj_id] = TrackedObject(id=obj_id, camera=camera, last_seen=now.timestamp())
        return self.evict()

    def closed_activity(self, obj: TrackedObject, how: str) -> ActivityEvent | None:
        if obj.label is None:
            self._context.stats["incomplete"] += 1  # only side channels ever arrived
            return None
        if obj.top_score < self._context.options.min_score:
            self._context.stats["below_min_score"] += 1
            return None
        return self.activity(obj, how)

    def activity(self, obj: TrackedObject, how: str) -> ActivityEvent | None:
        if obj.label is None or obj.top_score < self._context.options.min_score:
            return None
        start, end = span(obj)
        actor = self._context.first_person(obj.names)
        name = obj.face or obj.sub_label
        data: dict[str, Any] = {
            "id": obj.id,
            "camera": obj.camera,
            "label": obj.label,
            "zones": obj.zones[:p.MAX_LIST_ITEMS],
            "top_score": round(obj.top_score, 3),
            **span_data(start, end),
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
        return self._context.camera_activity(
            obj.camera,
            ts=start,
            kind="person_detected" if obj.label == "person" else "object_detected",
            actor=actor,
            state=obj.label,
            data=data,
            summary=f"{who} at {where}{zones}"[:200],
            context_id=f"frigate:{obj.id}"[:255],
        )
