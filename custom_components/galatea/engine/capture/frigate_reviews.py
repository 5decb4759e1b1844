"""``frigate/reviews`` (0.14+): one ``review`` activity per review item with start/end, severity,
objects, zones and cameras; a GenAI description of an ended review as a follow-up (HA-free)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from ..models import ActivityEvent
from . import frigate_payload as p
from .frigate_context import OpenRecords, span, span_data, stretch

REVIEW_TYPES: Final = frozenset({"new", "update", "end", "genai"})
SEVERITY_RANK: Final = {"detection": 1, "alert": 2}


@dataclass(slots=True)
class Review:
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


def _review_sub_labels(value: Any) -> list[str]:
    """Review sub_labels: names, or (some versions) [name, score] pairs."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise p.FrigatePayloadError("malformed", "sub_labels must be a list")
    out = []
    for item in value[:p.MAX_LIST_ITEMS]:
        name, _score = p.sub_label(item)
        if name:
            out.append(name)
    return out


def _genai_title(meta: Any) -> str | None:
    if isinstance(meta, Mapping):
        title = meta.get("title")
        if isinstance(title, str) and title:
            return title[:p.MAX_NAME_CHARS]
    return None


class ReviewTracker(OpenRecords[Review]):
    """Open reviews (most recently heard last) and the recently closed ones."""

    @property
    def timeout(self) -> float:
        return self._context.options.review_timeout

    def on_review(self, msg: Mapping[str, Any], now: datetime) -> list[ActivityEvent]:
        kind, after, review_id, camera = p.record_header(msg, "reviews", REVIEW_TYPES)
        if self._context.skips(camera):
            return []
        data = after.get("data")
        if data is not None and not isinstance(data, Mapping):
            raise p.FrigatePayloadError("malformed", "reviews.after.data must be an object")
        data = data or {}
        if kind == "genai":
            return self._genai(review_id, camera, data, now)
        if review_id in self.closed:
            self._context.stats["late"] += 1
            return []
        severity = after.get("severity")
        if severity is not None and severity not in SEVERITY_RANK:
            raise p.FrigatePayloadError("malformed", "reviews severity")
        start = p.epoch(after.get("start_time"), "start_time")
        end = p.epoch(after.get("end_time"), "end_time")
        objects = [o.removesuffix("-verified") for o in p.names(data, "objects")]
        sub_labels = _review_sub_labels(data.get("sub_labels"))
        zones = p.names(data, "zones")
        audio = p.names(data, "audio")
        detections = p.names(data, "detections")
        title = _genai_title(data.get("metadata"))
        review = self.heard(review_id, lambda: Review(id=review_id, camera=camera), now)
        if severity is not None and SEVERITY_RANK[severity] > SEVERITY_RANK.get(review.severity, 0):
            review.severity = severity
        stretch(review, start, end)
        p.union(review.objects, objects)
        p.union(review.sub_labels, sub_labels)
        p.union(review.zones, zones)
        p.union(review.audio, audio)
        p.union(review.detections, detections)
        if title:
            review.title = title
        return self.settle(review_id, review, ended=kind == "end", now=now)

    def _genai(
        self, review_id: str, camera: str, data: Mapping[str, Any], now: datetime
    ) -> list[ActivityEvent]:
        title = _genai_title(data.get("metadata"))
        review = self.open.get(review_id)
        if review is not None:
            review.title = title or review.title
            return []
        meta = data.get("metadata")
        if not title or not isinstance(meta, Mapping):
            self._context.stats["ignored"] += 1
            return []
        summary = meta.get("shortSummary")
        out: dict[str, Any] = {"review_id": review_id, "camera": camera, "title": title}
        if isinstance(summary, str):
            out["description"] = summary[:p.MAX_DESCRIPTION_CHARS]
        threat = meta.get("potential_threat_level")
        if isinstance(threat, int) and not isinstance(threat, bool):
            out["threat_level"] = threat
        return [self._context.camera_activity(
            camera, ts=now, kind="review_described", data=out, summary=title[:200],
            parent_id=f"frigate_review:{review_id}"[:255],
        )]

    def activity(self, review: Review, how: str) -> ActivityEvent | None:
        start, end = span(review)
        actor = self._context.first_person(review.sub_labels)
        data: dict[str, Any] = {
            "id": review.id,
            "camera": review.camera,
            "cameras": [review.camera],
            "severity": review.severity,
            "objects": review.objects[:p.MAX_LIST_ITEMS],
            "zones": review.zones[:p.MAX_LIST_ITEMS],
            "sub_labels": review.sub_labels[:p.MAX_LIST_ITEMS],
            "detections": len(review.detections),
            **span_data(start, end),
        }
        if review.audio:
            data["audio"] = review.audio[:p.MAX_LIST_ITEMS]
        if review.title:
            data["title"] = review.title
        if how != "end":
            data["ended"] = how
        who = ", ".join(review.sub_labels[:3]) or (
            "someone" if "person" in review.objects else ", ".join(review.objects[:3]) or "activity"
        )
        return self._context.camera_activity(
            review.camera,
            ts=start,
            kind="review",
            actor=actor,
            state=review.severity,
            data=data,
            summary=(f"{who} at {review.camera.replace('_', ' ')} "
                     f"{start:%H:%M}-{end:%H:%M} UTC ({review.severity})")[:200],
            context_id=f"frigate_review:{review.id}"[:255],
        )
