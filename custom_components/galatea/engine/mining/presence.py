"""Which activity says "someone is here", as points and held-on intervals on one time axis.

Episode detectors reason about silences (nobody did anything anywhere) and about what happened
just before and after them. This module turns ActivityEvents into ``Signal`` rows with UTC epoch
seconds: wall-clock arithmetic on aware datetimes sharing a ZoneInfo ignores DST, epoch seconds
do not.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from ..models import ActivityEvent

# Binary sensors whose "on" means a body is there for as long as it stays on (a person sitting on
# a pressure mat, a presence radar). Held intervals count as activity.
HOLD_CLASSES: Final = frozenset({"motion", "occupancy", "presence", "moving", "sound"})
# Contacts: the transition is a person's action; an open door left open is not a person.
CONTACT_CLASSES: Final = frozenset({"door", "window", "opening", "garage_door", "lock"})
# Appliances and one-shot movement sensors (toilet flush, washing machine start).
APPLIANCE_CLASSES: Final = frozenset({"plug", "power", "running", "vibration", "outlet"})
# ... of which these end by themselves: a washing machine's cycle finishing at 03:00 (started
# on a timer or hours before), a vibration dying away. Their "off" is nobody. (Not "power":
# a television's or a computer's going off is someone switching it off at bedtime.)
SELF_ENDING: Final = frozenset({"running", "vibration"})
ENTRANCE_CLASSES: Final = frozenset({"door", "garage_door", "opening", "lock", "gate"})
# Entities of other domains that are a way in or out: a garage door or gate opener (a cover
# people drive through) and a smart lock on a door. Read as contacts of these classes, so
# whether they are this home's entrance is learned like a door's.
COVER_ENTRANCES: Final = {"garage": "garage_door", "gate": "gate", "door": "door"}
CONTROL_DOMAINS: Final = frozenset(
    {
        "light",
        "switch",
        "fan",
        "cover",
        "climate",
        "input_boolean",
        "scene",
        "script",
        "lock",
    }
)
ON_STATES: Final = frozenset({"on", "open", "opening", "unlocked", "playing", "home", "detected"})
MACHINE_ACTORS: Final = frozenset({"automation", "script", "system"})
TRACKER_DOMAINS: Final = frozenset({"person", "device_tracker"})
# A sensor, light or plug coming back from these (a Zigbee link restored, HA restarting at
# night, power back after a cut) reports its state again; nobody did anything.
GONE_STATES: Final = frozenset({"unavailable", "unknown"})


@dataclass(frozen=True, slots=True)
class Signal:
    """One piece of evidence that someone is in an area: a point (t == end) or a held interval."""

    t: float
    end: float
    entity_id: str
    area: str | None
    kind: str  # hold | contact | appliance | control | media | digital
    device_class: str | None
    event_id: int | None
    opens: bool  # the event turned something on/open (a door opening, a sensor tripping)
    # Someone did it from HA's app or dashboard (a user in its context): maybe from afar.
    by_user: bool = False


def epoch(ev: ActivityEvent) -> float:
    return ev.ts.timestamp()


def kind_of(ev: ActivityEvent) -> str | None:
    """Classify an event as home-presence evidence, or None when it says nothing about presence."""
    domain = ev.domain
    if domain in TRACKER_DOMAINS or (ev.kind != "state_changed" and ev.source != "digital"):
        return None
    if ev.actor_kind in MACHINE_ACTORS:
        return None  # an automation toggling a light proves nobody is there
    if ev.source == "digital":
        return "digital" if ev.area else None
    dc = ev.device_class
    if domain == "binary_sensor":
        if dc in HOLD_CLASSES:
            return "hold"
        if dc in CONTACT_CLASSES:
            return "contact"
        if dc in APPLIANCE_CLASSES or dc is None:
            # No device class (a flush, a keys hook a user never classified): its changes are
            # someone doing something; whether its state means more is learned (sensors.py).
            return "appliance"
        return None
    if domain == "media_player":
        return "media" if ev.state in ("playing", "on") or ev.old_state == "playing" else None
    if _entrance_class(ev) is not None:
        return "contact"
    if domain in CONTROL_DOMAINS:
        if dc in APPLIANCE_CLASSES or (domain == "switch" and dc == "outlet"):
            return "appliance"
        return "control"
    return None


def _entrance_class(ev: ActivityEvent) -> str | None:
    """The contact class of a lock, or of a cover that is a garage door, gate or door."""
    if ev.domain == "lock":
        return "lock"
    if ev.domain == "cover":
        return COVER_ENTRANCES.get(ev.device_class or "")
    return None


def signals(
    events: Iterable[ActivityEvent],
    *,
    max_hold_s: float,
    kinds: frozenset[str] | None = None,
    held: frozenset[str] = frozenset({"hold", "media"}),
    caps: Mapping[str, float] | None = None,
    motion_like: frozenset[str] = frozenset(),
) -> list[Signal]:
    """Points for every presence event, and on→off intervals for the ``held`` kinds.

    A held interval still open when the data ends, or longer than ``max_hold_s`` (a stuck sensor),
    is cut at ``max_hold_s``. ``caps`` (per entity, from the sensor's own profile, see
    sensors.py) is the longest interval read as someone there: a longer one is a latch, and only
    its onset counts. ``motion_like``: held sensors whose own data show brief pulses (a mat
    that reports movement): their signals read as motion, whatever their device class.
    An entity coming back from ``unavailable``/``unknown`` is no point of activity (nobody
    moved the door or switched the light: the device reconnected); a held sensor's still opens
    (a mat that comes back while someone lies on it) and closes its interval. A light or
    switch whose state did not change (only its attributes) is no activity either.
    """
    out: list[Signal] = []
    open_since: dict[str, tuple[float, ActivityEvent, str]] = {}
    last_t = 0.0
    for ev in events:
        kind = kind_of(ev)
        if kind is None or (kinds is not None and kind not in kinds) or ev.entity_id is None:
            continue
        entity_id: str = ev.entity_id
        t = epoch(ev)
        last_t = max(last_t, t)
        opens = (ev.state or "").lower() in ON_STATES
        if ev.old_state in GONE_STATES and kind not in held:
            continue
        if kind == "appliance" and not opens and ev.device_class in SELF_ENDING:
            continue
        if kind in ("control", "appliance") and ev.state == ev.old_state:
            # Only its attributes changed (a brightness nudged every few minutes by an adaptive
            # lighting integration, a thermostat's setpoint by its program): a device adjusting
            # itself, not someone switching it.
            continue
        if kind == "contact" and ev.domain in ("lock", "cover"):
            ev = replace(ev, device_class=_entrance_class(ev))
        if kind == "hold" and entity_id in motion_like and ev.device_class != "motion":
            ev = replace(ev, device_class="motion")
        if kind not in held or opens:
            # A motion sensor's "off" is its cool-down timer, not a person; the held interval
            # below already covers it.
            out.append(
                Signal(
                    t, t, entity_id, ev.area, kind, ev.device_class, ev.id, opens,
                    ev.user_initiated,
                )
            )
        if kind in held:
            started = open_since.pop(entity_id, None)
            if started is not None:
                t0, first, k0 = started
                end = min(t, t0 + max_hold_s)
                if caps is not None and t - t0 > caps.get(entity_id, max_hold_s):
                    end = t0
                out.append(
                    Signal(t0, end, entity_id, first.area, k0, first.device_class, first.id, True)
                )
            if opens:
                open_since[entity_id] = (t, ev, kind)
    for entity_id, (t0, first, k0) in open_since.items():
        end = min(max(last_t, t0), t0 + max_hold_s)
        if caps is not None and end - t0 > caps.get(entity_id, max_hold_s):
            end = t0
        out.append(Signal(t0, end, entity_id, first.area, k0, first.device_class, first.id, True))
    out.sort(key=lambda s: (s.t, s.end))
    return out


@dataclass(slots=True)
class Block:
    """A stretch of continuous activity (signals overlapping or closer than the merge gap)."""

    start: float
    end: float
    first: Signal
    last: Signal
    signals: list[Signal] = field(default_factory=list)


def blocks(sigs: Sequence[Signal], merge_gap_s: float = 0.0) -> list[Block]:
    """Merge signals into blocks; the gaps between blocks are silences."""
    out: list[Block] = []
    for sig in sigs:
        if out and sig.t <= out[-1].end + merge_gap_s:
            blk = out[-1]
            blk.signals.append(sig)
            if sig.end >= blk.end:
                blk.end = sig.end
                blk.last = sig
        else:
            out.append(Block(sig.t, sig.end, sig, sig, [sig]))
    return out


@dataclass(slots=True)
class Silence:
    """Nobody did anything between ``start`` and ``end``; ``before``/``after`` frame it."""

    start: float
    end: float
    before: Block
    after: Block

    @property
    def duration(self) -> float:
        return self.end - self.start


def silences(blks: Sequence[Block], min_s: float) -> list[Silence]:
    return [
        Silence(a.end, b.start, a, b)
        for a, b in itertools.pairwise(blks)
        if b.start - a.end >= min_s
    ]


def stirring_signals(
    sigs: Sequence[Signal], window_s: float = 300.0, near: int = 2
) -> list[Signal]:
    """The signals (sorted by time) with at least ``near`` others within ``window_s`` either
    side: someone moving about, not a lone blip (a sensor tripping by itself, a pet, a
    sleeper turning over)."""
    times = [s.t for s in sigs]
    return [
        s
        for s in sigs
        if bisect.bisect_right(times, s.t + window_s) - bisect.bisect_left(times, s.t - window_s)
        > near
    ]


class PointIndex:
    """Sorted times of chosen signals, for "was there a door event within N s of t" queries."""

    def __init__(self, sigs: Iterable[Signal]) -> None:
        self.sigs = sorted(sigs, key=lambda s: s.t)
        self.times = [s.t for s in self.sigs]

    def between(self, lo: float, hi: float) -> list[Signal]:
        i = bisect.bisect_left(self.times, lo)
        j = bisect.bisect_right(self.times, hi)
        return self.sigs[i:j]
