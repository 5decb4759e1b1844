"""Frigate's scalar topics: ``<camera>/motion`` ON/OFF and ``<camera>/<label>`` object counts as
debounced on/off state activities; ``available`` as a state activity on change (HA-free)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ..models import ActivityEvent
from .frigate_context import SOURCE, FrigateContext
from .frigate_payload import FrigatePayloadError

AVAILABILITY_STATES: Final = frozenset({"online", "offline", "stopped"})

# A camera (motion) or a (camera, label) pair (object presence).
type SignalKey = str | tuple[str, str]


@dataclass(slots=True)
class Binary:
    """A debounced on/off signal (motion, object presence)."""

    on: bool = False
    off_pending_since: float | None = None  # receive time of an OFF not emitted yet
    off_ts: datetime | None = None
    peak: int = 0


class SignalTracker:
    """Motion per camera, presence and counts per (camera, label), and Frigate's availability."""

    def __init__(self, context: FrigateContext, prefix: str) -> None:
        self._context = context
        self._prefix = prefix
        self.motion: OrderedDict[str, Binary] = OrderedDict()
        self.presence: OrderedDict[tuple[str, str], Binary] = OrderedDict()
        self.counts: OrderedDict[tuple[str, str], int] = OrderedDict()
        self.available: str | None = None

    def on_available(self, text: str, now: datetime) -> list[ActivityEvent]:
        state = text.strip().lower()
        if state not in AVAILABILITY_STATES:
            raise FrigatePayloadError("malformed", "available must be online/offline/stopped")
        if state == self.available:
            return []
        old, self.available = self.available, state
        return [ActivityEvent(
            ts=now, source=SOURCE, kind="frigate_available", state=state, old_state=old,
            data={"prefix": self._prefix}, summary=f"Frigate {state}",
        )]

    def on_motion(self, camera: str, text: str, now: datetime) -> list[ActivityEvent]:
        value = text.strip().upper()
        if value not in ("ON", "OFF"):
            raise FrigatePayloadError("malformed", "motion must be ON or OFF")
        state, evicted = self._state(self.motion, camera, self._context.options.max_cameras, now)
        out = _step(state, value == "ON", now, 1)
        return evicted + [self._activity(camera, on, at) for on, at in out]

    def on_count(self, camera: str, label: str, text: str, now: datetime) -> list[ActivityEvent]:
        value = text.strip()
        if not value.isascii() or not value.isdigit() or len(value) > 6:
            # Not an object count: some other per-camera topic of a newer Frigate.
            self._context.stats["ignored"] += 1
            return []
        count = int(value)
        key = (camera, label)
        limit = self._context.options.max_presence
        self.counts[key] = count
        self.counts.move_to_end(key)
        while len(self.counts) > limit:
            self.counts.popitem(last=False)
        state, evicted = self._state(self.presence, key, limit, now)
        out = _step(state, count > 0, now, count)
        return evicted + [self._activity(key, on, at, peak=state.peak) for on, at in out]

    def expire(self, now: datetime) -> list[ActivityEvent]:
        """The OFFs whose debounce has passed."""
        t = now.timestamp()
        debounce = self._context.options.motion_debounce
        out = []
        for states in (self.motion, self.presence):
            for key, state in states.items():
                if state.off_pending_since is not None and t - state.off_pending_since >= debounce:
                    out.append(self._off(key, state, now))
                    state.on, state.off_pending_since, state.off_ts = False, None, None
                    if isinstance(key, tuple):
                        state.peak = 0
        return out

    def flush(self, now: datetime) -> list[ActivityEvent]:
        """The pending OFFs at once; every signal is forgotten."""
        out = [self._off(key, state, now)
               for states in (self.motion, self.presence)
               for key, state in states.items() if state.off_pending_since is not None]
        self.motion.clear()
        self.presence.clear()
        return out

    def _state[K: (str, tuple[str, str])](
        self, states: OrderedDict[K, Binary], key: K, limit: int, now: datetime
    ) -> tuple[Binary, list[ActivityEvent]]:
        """The state of ``key`` (most recently heard last); the least recently heard beyond
        ``limit`` are forgotten, an ON one closed with its OFF."""
        state = states.get(key)
        if state is not None:
            states.move_to_end(key)
            return state, []
        state = states[key] = Binary()
        out: list[ActivityEvent] = []
        while len(states) > max(1, limit):
            old_key, old = states.popitem(last=False)
            self._context.stats["evicted"] += 1
            if old.on:
                out.append(self._off(old_key, old, now))
        return state, out

    def _off(self, key: SignalKey, state: Binary, now: datetime) -> ActivityEvent:
        """The OFF of a signal, at its pending OFF's time (else ``now``)."""
        return self._activity(key, False, state.off_ts or now, peak=state.peak)

    def _activity(
        self, key: SignalKey, on: bool, at: datetime, *, peak: int = 0
    ) -> ActivityEvent:
        camera, label = key if isinstance(key, tuple) else (key, None)
        cam = self._context.camera(camera)
        data: dict[str, Any] = {"camera": camera}
        if label:
            data["label"] = label
            if not on and peak:
                data["peak_count"] = peak
        what = f"{label} present" if label else "motion"
        return ActivityEvent(
            ts=at, source=SOURCE, kind="object_present" if label else "motion",
            entity_id=cam.entity_id, area=cam.area,
            device=camera, device_class="camera" if label else "motion",
            state="on" if on else "off", old_state="off" if on else "on", data=data,
            summary=f"{camera.replace('_', ' ')}: {what} {'on' if on else 'off'}",
        )


def _step(state: Binary, on: bool, now: datetime, level: int) -> list[tuple[bool, datetime]]:
    """Debounce: ON is emitted at once unless an OFF is pending (then both cancel);
    OFF waits ``motion_debounce`` seconds (emitted by ``SignalTracker.expire``)."""
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
