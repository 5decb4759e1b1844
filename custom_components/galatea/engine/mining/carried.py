"""Devices people carry: a phone with the companion app, a watch, a tablet that tracks itself.

Such a device reports more than its location: whether it is charging, whether its screen is
on, its alarm. It reports them wherever it is, so a phone plugged in at the office or unlocked
on the train would read as someone at home and break the absence. In HA's registry the device
also holds the ``device_tracker`` that says where it is. :func:`away_spans` finds, per entity
of a device with a tracker, the spans in which that tracker put the device away from home;
:func:`at_home` drops the presence signals that fall in them. While the tracker says home (or
says nothing), the phone's screen coming on is someone at home and awake, and stays. A phone
whose location HA is not told (its tracker disabled) is known by behaviour instead:
:func:`elsewhere`. At night, a screen lit for a moment with nothing else in the home moving is
its owner checking the time in bed: :func:`glances` keeps it from ending the night.

Devices are matched by the name HA's registry gives them (recorded with each activity). Two
phones with one name (two unnamed "Pixel 7") are one device here: a span counts as away only
while every tracker of that name is away.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from ..models import ActivityEvent
from .presence import GONE_STATES, Signal, blocks, silences

HOME = "home"
# Kinds of signal a carried device or a cloud service can give (motion sensors, doors and
# lights are fixtures of the home, placed in an area or not).
UNPLACED_KINDS = frozenset({"appliance", "media"})
Spans = list[tuple[float, float]]


def away_spans(events: Iterable[ActivityEvent]) -> dict[str, Spans]:
    """Entity id -> the sorted spans in which the device it is part of was away from home.

    Only entities that share a device with a ``device_tracker`` are listed; the tracker itself
    is not (trackers are never presence signals)."""
    trackers: dict[str, dict[str, list[tuple[float, str]]]] = defaultdict(dict)
    members: dict[str, set[str]] = defaultdict(set)
    for ev in events:
        if ev.device is None or ev.entity_id is None:
            continue
        if ev.domain == "device_tracker":
            trackers[ev.device].setdefault(ev.entity_id, []).append(
                (ev.ts.timestamp(), ev.state or "")
            )
        else:
            members[ev.device].add(ev.entity_id)
    out: dict[str, Spans] = {}
    for device, entities in members.items():
        per_tracker = [_away(changes) for changes in trackers.get(device, {}).values()]
        if not per_tracker:
            continue
        spans = per_tracker[0]
        for other in per_tracker[1:]:
            spans = _intersect(spans, other)
        if spans:
            for entity_id in entities:
                out[entity_id] = spans
    return out


def carried_entities(events: Iterable[ActivityEvent]) -> frozenset[str]:
    """The entities (trackers aside) of every device that has a ``device_tracker``."""
    tracked: set[str] = set()
    members: dict[str, set[str]] = defaultdict(set)
    for ev in events:
        if ev.device is None or ev.entity_id is None:
            continue
        if ev.domain == "device_tracker":
            tracked.add(ev.device)
        else:
            members[ev.device].add(ev.entity_id)
    return frozenset(e for device in tracked for e in members.get(device, ()))


def at_home(sigs: Sequence[Signal], away: Mapping[str, Spans]) -> list[Signal]:
    """``sigs`` without those of carried devices while their device was away from home."""
    if not away:
        return list(sigs)
    starts = {e: [a for a, _ in spans] for e, spans in away.items()}
    out: list[Signal] = []
    for sig in sigs:
        spans = away.get(sig.entity_id)
        if spans is not None:
            i = bisect.bisect_right(starts[sig.entity_id], sig.t) - 1
            if i >= 0 and sig.t < spans[i][1]:
                continue
        out.append(sig)
    return out


def glances(
    sigs: Sequence[Signal],
    carried: Iterable[str],
    bed_rooms: frozenset[str] = frozenset(),
    *,
    max_s: float = 300.0,
    clear_s: float = 600.0,
) -> list[Signal]:
    """``sigs`` without the glances at carried devices (``carried``: their entities): a run of
    one device's signals with no area, over within ``max_s``, with no other signal within
    ``clear_s`` either side but in the bedroom and bathroom (``bed_rooms``: their areas).
    Nobody walked about the home: its owner looked at the phone in bed or on a night-time trip
    (the time, a message), or plugged it in by the bed. For sleep only: the screen still says
    someone at home is awake."""
    mine = set(carried)
    candidates = [s for s in sigs if s.entity_id in mine and s.area is None]
    if not candidates:
        return list(sigs)
    by_entity: dict[str, list[Signal]] = defaultdict(list)
    for sig in candidates:
        by_entity[sig.entity_id].append(sig)
    dropped: set[int] = set()
    for entity_id, own in by_entity.items():
        others = sorted(
            (s.t, s.end)
            for s in sigs
            if s.entity_id != entity_id and (s.area is None or s.area not in bed_rooms)
        )
        starts = [a for a, _ in others]
        reach: list[float] = []  # latest end among the others started so far
        for _, b in others:
            reach.append(max(b, reach[-1]) if reach else b)
        runs: list[list[Signal]] = []
        for sig in sorted(own, key=lambda s: s.t):
            if runs and sig.t - runs[-1][-1].end <= max_s:
                runs[-1].append(sig)
            else:
                runs.append([sig])
        for run in runs:
            a, b = run[0].t, max(s.end for s in run)
            if b - a > max_s:
                continue
            i = bisect.bisect_right(starts, b + clear_s)
            if i and reach[i - 1] >= a - clear_s:
                continue  # someone moved about the home near it
            dropped.update(id(s) for s in run)
    return [s for s in sigs if id(s) not in dropped]


def _away(changes: list[tuple[float, str]]) -> Spans:
    """Spans a tracker's states put it away (not ``home``; an unknown or unavailable state
    ends what was known, it starts nothing)."""
    out: Spans = []
    since: float | None = None
    for t, state in sorted(changes):
        if state == HOME or state in GONE_STATES:
            if since is not None:
                out.append((since, t))
            since = None
        elif since is None:
            since = t
    if since is not None:
        out.append((since, float("inf")))
    return out


def _intersect(a: Spans, b: Spans) -> Spans:
    out: Spans = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def elsewhere(
    sigs: Sequence[Signal],
    *,
    min_quiet_s: float = 2 * 3600.0,
    frame_s: float = 300.0,
    min_spans: int = 4,
    min_share: float = 0.5,
    max_unplaced_share: float = 0.25,
    min_own_share: float = 0.25,
) -> frozenset[str]:
    """Entities with no area that keep going while the home is empty: a phone's screen or
    charger whose location HA is not told, a music service playing on the phone at work.

    The home is taken to be empty in its located sensors' silences of ``min_quiet_s`` or
    more that a door framed at both ends (within ``frame_s``): someone went out and came back.
    An area-less appliance or player that changes inside at least ``min_share`` of those
    spans (and ``min_spans`` of them) is somewhere else, and says nothing of the home; so is one
    that changes in ``min_spans`` of them with ``min_own_share`` of all its changes there (a
    phone charged overnight, and now and then at work). A fixture of the home that changes
    that often in its empty spans (a washer left to finish) is nobody there either. A sensor
    of the home only does so when someone is in after all, which a door rarely frames. Motion
    sensors are never judged so: one with no area in the office of someone working from home
    moves in every span a partner's leaving and coming back frames. Nothing is judged where
    more than ``max_unplaced_share`` of the entities have no area.
    """
    unplaced = {s.entity_id for s in sigs if s.area is None and s.kind in UNPLACED_KINDS}
    everything = {s.entity_id for s in sigs}
    if not unplaced or len(unplaced) > max_unplaced_share * len(everything):
        # Where areas were never given, the located rest is no picture of the home.
        return frozenset()
    located = [s for s in sigs if s.entity_id not in unplaced]
    doors = sorted(s.t for s in located if s.kind == "contact")
    if not doors:
        return frozenset()

    def framed(t: float) -> bool:
        i = bisect.bisect_left(doors, t - frame_s)
        return i < len(doors) and doors[i] <= t + frame_s

    spans = [
        (q.start, q.end)
        for q in silences(blocks(located), min_quiet_s)
        if framed(q.start) and framed(q.end)
    ]
    if len(spans) < min_spans:
        return frozenset()
    starts = [a for a, _ in spans]
    inside: dict[str, set[int]] = defaultdict(set)
    own: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # [inside, all] of its signals
    for sig in sigs:
        if sig.entity_id in unplaced:
            i = bisect.bisect_right(starts, sig.t) - 1
            counts = own[sig.entity_id]
            counts[1] += 1
            if i >= 0 and sig.t < spans[i][1]:
                inside[sig.entity_id].add(i)
                counts[0] += 1
    need = max(min_spans, min_share * len(spans))
    return frozenset(
        e
        for e, seen in inside.items()
        if len(seen) >= need or (len(seen) >= min_spans and own[e][0] >= min_own_share * own[e][1])
    )
