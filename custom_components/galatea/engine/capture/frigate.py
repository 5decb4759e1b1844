"""Fold Frigate NVR's MQTT traffic into activities (HA-free; live capture and replay share it).

Frigate publishes many messages per tracked object (``frigate/events`` new/update/end,
``frigate/tracked_object_update`` for descriptions, faces and plates). ``FrigateTracker`` keeps
one open record per object and emits ONE ActivityEvent when the object's life ends (or when its
end never arrives, after ``object_timeout``). Reviews (``frigate/reviews``, 0.14+) become one
``review`` activity with start/end, severity, objects, zones and cameras. Motion ON/OFF and
per-camera object counts become debounced on/off state activities; ``frigate/available`` a
state activity on change. Each job has its module: ``frigate_events`` (tracked objects),
``frigate_updates`` (their descriptions, faces, plates), ``frigate_reviews``, ``frigate_signals``
(motion, presence, counts, availability); ``frigate_payload`` reads untrusted payloads.

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
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from ..models import ActivityEvent
from .clock import is_plausible, retime
from .frigate_context import SOURCE, CameraInfo, FrigateContext, FrigateOptions, normalize_name
from .frigate_events import ObjectTracker
from .frigate_payload import (
    MAX_NAME_CHARS,
    MAX_PAYLOAD_BYTES,
    FrigatePayloadError,
    decode,
    load_object,
    printable,
)
from .frigate_reviews import ReviewTracker
from .frigate_signals import SignalTracker
from .frigate_updates import ObjectUpdates

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "SOURCE",
    "CameraInfo",
    "FrigateOptions",
    "FrigatePayloadError",
    "FrigateTracker",
    "normalize_name",
]

_LOGGER = logging.getLogger(__name__)

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

type Handled = list[ActivityEvent]
type ObjectRule = Callable[[Mapping[str, Any], datetime], Handled]
type TextRule = Callable[[str, datetime], Handled]
type CameraRule = Callable[[str, str, datetime], Handled]


class FrigateTracker:
    """Stateful folding of Frigate MQTT messages into ActivityEvents.

    ``handle(topic, payload, ts)`` returns the activities completed by that message (often none);
    ``expire(now)`` closes what timed out (call it every few seconds); ``flush(now)`` closes
    everything still open (on shutdown). None of them raise on bad input. The work is done by
    one tracker per job: tracked objects, their updates, reviews, and the scalar signals.
    """

    def __init__(self, options: FrigateOptions | None = None) -> None:
        self.options = options or FrigateOptions()
        self.prefix = self.options.prefix.strip().strip("/") or "frigate"
        self._context = FrigateContext(self.options)
        self.stats = self._context.stats
        self.rejected: Counter[str] = Counter()
        self.objects = ObjectTracker(self._context)
        self.updates = ObjectUpdates(self._context, self.objects)
        self.reviews = ReviewTracker(self._context)
        self.signals = SignalTracker(self._context, self.prefix)
        # Rule tables. ``<prefix>/<topic>`` with a JSON object payload:
        self._object_rules: Final[Mapping[str, ObjectRule]] = {
            "events": self.objects.on_event,
            "reviews": self.reviews.on_review,
            "tracked_object_update": self.updates.on_update,
        }
        # ``<prefix>/<topic>`` with a text payload:
        self._text_rules: Final[Mapping[str, TextRule]] = {
            "available": self.signals.on_available,
        }
        # ``<prefix>/<camera>/<topic>`` (any other topic not ignored is an object count):
        self._camera_rules: Final[Mapping[str, CameraRule]] = {
            "motion": self.signals.on_motion,
        }
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

    def expire(self, now: datetime | None = None) -> list[ActivityEvent]:
        """Close objects/reviews whose end never came and emit debounced OFFs that are due."""
        now = now or datetime.now(UTC)
        out = self._plausible(self._due(now), now)
        self.stats["activities"] += len(out)
        return out

    def flush(self, now: datetime | None = None) -> list[ActivityEvent]:
        """Close everything still open (shutdown): nothing tracked is lost."""
        now = now or datetime.now(UTC)
        out = [*self.objects.flush(), *self.reviews.flush(), *self.signals.flush(now)]
        done = self._plausible([a for a in out if a is not None], now)
        self.stats["activities"] += len(done)
        return done

    @property
    def open_objects(self) -> int:
        return len(self.objects.open)

    @property
    def counts(self) -> OrderedDict[tuple[str, str], int]:
        """The last object count per (camera, label)."""
        return self.signals.counts

    def diagnostics(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "open_objects": len(self.objects.open),
            "open_reviews": len(self.reviews.open),
            "cameras_with_motion": len(self.signals.motion),
            "presence_pairs": len(self.signals.presence),
            "stats": dict(self.stats),
            "rejected": dict(self.rejected),
            "available": self.signals.available,
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
        text = decode(payload, self.options.max_payload_bytes)
        head = parts[0]
        if len(parts) == 1:
            if (object_rule := self._object_rules.get(head)) is not None:
                return object_rule(load_object(text), now)
            if (text_rule := self._text_rules.get(head)) is not None:
                return text_rule(text, now)
            self.stats["ignored"] += 1
            return []
        camera = head
        if self._context.skips(camera):
            return []
        if len(parts) == 2:
            sub = parts[1]
            if (camera_rule := self._camera_rules.get(sub)) is not None:
                return camera_rule(camera, text, now)
            if sub in _CAMERA_SUBTOPICS_IGNORED:
                self.stats["ignored"] += 1
                return []
            return self.signals.on_count(camera, sub, text, now)
        self.stats["ignored"] += 1  # <camera>/<label>/active, <camera>/audio/<x>, .../state
        return []

    # -- timers and checks ----------------------------------------------------------------

    def _due(self, now: datetime) -> list[ActivityEvent]:
        t = now.timestamp()
        self._last_due = t
        out = [*self.objects.expire(t), *self.reviews.expire(t), *self.signals.expire(now)]
        return [a for a in out if a is not None]

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
            printable(str(topic)[:120]), reason,
            f": {printable(detail[:120])}" if detail else "",
            self.stats["rejected"],
            f", {suppressed} not logged since the last warning" if suppressed else "",
        )
