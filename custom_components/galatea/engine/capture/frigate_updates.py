"""``frigate/tracked_object_update``: descriptions, faces, plates and classifications added to a
tracked object; after the object's end, a follow-up activity (HA-free)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from ..models import ActivityEvent
from . import frigate_payload as p
from .frigate_context import FrigateContext
from .frigate_events import ObjectTracker, TrackedObject


def _describe(target: TrackedObject, msg: Mapping[str, Any]) -> None:
    text = msg.get("description")
    if not isinstance(text, str):
        raise p.FrigatePayloadError("malformed", "description must be a string")
    target.description = text[:p.MAX_DESCRIPTION_CHARS]


def _face(target: TrackedObject, msg: Mapping[str, Any]) -> None:
    name = p.name(msg, "name")
    if name and name.casefold() != "unknown":
        target.face = name
        target.face_score = p.number(msg.get("score"), "score")


def _plate(target: TrackedObject, msg: Mapping[str, Any]) -> None:
    plate = p.name(msg, "plate")
    if plate:
        target.plate = plate
    plate_name = p.name(msg, "name")
    if plate_name:
        target.plate_name = plate_name


def _classify(target: TrackedObject, msg: Mapping[str, Any]) -> None:
    sub_label = p.name(msg, "sub_label")
    if sub_label:
        target.sub_label = sub_label
        target.sub_label_score = p.number(msg.get("score"), "score")


# Update type -> what it adds to the tracked object.
UPDATE_RULES: Final[Mapping[str, Callable[[TrackedObject, Mapping[str, Any]], None]]] = {
    "description": _describe,
    "face": _face,
    "lpr": _plate,
    "classification": _classify,
}
# A tuple: an unhashable ``type`` is an unknown type, not a malformed message.
UPDATE_TYPES: Final = tuple(UPDATE_RULES)


class ObjectUpdates:
    """Applies side-channel news to the open (or recently closed) tracked objects."""

    def __init__(self, context: FrigateContext, objects: ObjectTracker) -> None:
        self._context = context
        self._objects = objects

    def on_update(self, msg: Mapping[str, Any], now: datetime) -> list[ActivityEvent]:
        kind = p.checked_type(msg, "tracked_object_update", UPDATE_TYPES)
        obj_id = p.required_name(msg, "id")
        camera = p.name(msg, "camera")
        if camera and self._context.skips(camera):
            return []
        obj = self._objects.open.get(obj_id)
        ended = self._objects.closed.get(obj_id) if obj is None else None
        evicted: list[ActivityEvent] = []
        if obj is None and ended is None:
            # Side channel ahead of the object's first event: keep it for the object.
            evicted = self._objects.keep(obj_id, camera or "", now)
            obj = self._objects.open.get(obj_id)
            if obj is None:  # max_open 0: nothing is kept
                return evicted
        target = obj or ended
        assert target is not None
        UPDATE_RULES[kind](target, msg)
        if obj is not None:
            obj.last_seen = now.timestamp()
            return evicted
        # The object already ended (descriptions come after the end): a follow-up activity.
        assert ended is not None
        return [a for a in [self._late_update(ended, kind, now)] if a is not None]

    def _late_update(self, obj: TrackedObject, kind: str, now: datetime) -> ActivityEvent | None:
        if obj.label is None or obj.top_score < self._context.options.min_score:
            return None
        actor = self._context.first_person(obj.names)
        data: dict[str, Any] = {
            "id": obj.id, "camera": obj.camera, "label": obj.label, "update": kind,
        }
        for key in ("description", "face", "sub_label", "plate", "plate_name"):
            value = getattr(obj, key)
            if value:
                data[key] = value
        return self._context.camera_activity(
            obj.camera,
            ts=now,
            kind="object_described" if kind == "description" else "object_identified",
            actor=actor,
            state=obj.label,
            data=data,
            summary=(obj.description or f"{obj.label} at {obj.camera}: {kind}")[:200],
            parent_id=f"frigate:{obj.id}"[:255],
        )
