"""Nights seen by bed sensors: which sensors are beds, and each bed's nights.

A bed is an occupancy or presence sensor in a bedroom, or one held on for hours at night. Its
in-bed intervals are read through its profile (sensors.py): a mat that reports movement from its
onsets (the sleeper stays in bed until seen elsewhere), a held interval beyond the bed's hold cap
(a stuck or latched mat) is no night, and a bed that was offline at the start or the end of a
night leaves that edge to the home (read from silence, quiet_nights.py).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, tzinfo

from ..models import ActivityEvent
from .areas import BEDROOM, AreaRoles
from .nights import (
    NightBlock,
    SleepOptions,
    back_to_bed,
    in_window,
    join_intervals,
    local_hour,
    longest_per_night,
    up_elsewhere,
)
from .presence import Block, epoch
from .sensors import SensorProfile


def _bed_intervals(
    events: Sequence[ActivityEvent],
) -> tuple[list[tuple[float, float, ActivityEvent]], float | None]:
    """Closed on→off intervals of one sensor, and the start of one still open (no wake yet)."""
    out: list[tuple[float, float, ActivityEvent]] = []
    since: tuple[float, ActivityEvent] | None = None
    for ev in events:
        on = (ev.state or "").lower() in ("on", "detected", "home")
        if on and since is None:
            since = (epoch(ev), ev)
        elif not on and since is not None:
            out.append((since[0], epoch(ev), since[1]))
            since = None
    return out, since[0] if since else None


def _movement_intervals(
    events: Sequence[ActivityEvent], others: Sequence[float], opts: SleepOptions
) -> list[tuple[float, float, ActivityEvent]]:
    """In-bed spans of a bed that reports movement rather than presence.

    Each on-interval counts until it ends, until something happens elsewhere in the home
    (``others``: sorted times of activity outside the bed's area), or for ``max_still_h`` at
    most, whichever comes first: a mat held on through the morning does not outlast the
    sleeper's first step in the bathroom. Consecutive pieces are joined while nothing happened
    elsewhere between them (a still sleeper's silence), up to ``max_still_h`` apart, and a span
    lasts until the sleeper is seen elsewhere (within ``max_still_h``)."""
    closed, open_since = _bed_intervals(events)
    pieces = [(a, b, ev) for a, b, ev in closed]
    if open_since is not None:
        ev = next(e for e in reversed(events) if epoch(e) == open_since)
        pieces.append((open_since, open_since, ev))
    max_still = opts.max_still_h * 3600

    def first_other(t: float) -> float:
        i = bisect.bisect_right(others, t)
        return others[i] if i < len(others) else math.inf

    out: list[tuple[float, float, ActivityEvent]] = []
    onsets: list[int] = []
    for a, b, ev in pieces:
        end = max(a, min(b, first_other(a), a + max_still))
        if out and a - out[-1][1] <= max_still and first_other(out[-1][1]) >= a:
            last = out[-1]
            out[-1] = (last[0], max(last[1], end), last[2])
            onsets[-1] += 1
            continue
        out.append((a, end, ev))
        onsets.append(1)
    # A still sleeper stays in bed until seen elsewhere (when that is soon enough): the quiet
    # after the last movement is sleep, not an empty bed. A span with hardly any movement (a
    # mat pressed now and then, a second mat on the sleeper's bed) is no night in bed.
    # Back in bed after a trip (within an interruption of a night's span), the rest of the
    # night is judged with it: a still sleeper's last hours may hold only a few onsets.
    closed_out: list[tuple[float, float, ActivityEvent]] = []
    max_trip = opts.max_interruption_min * 60
    for (a, b, ev), n in zip(out, onsets, strict=True):
        nxt = first_other(b)
        end = nxt if nxt - b <= max_still else b
        back = bool(closed_out) and a - closed_out[-1][1] <= max_trip
        if back or n >= max(opts.min_mat_onsets, opts.min_mat_onsets_per_h * (end - a) / 3600):
            closed_out.append((a, end, ev))
    return closed_out


def bed_sensors(
    events: Sequence[ActivityEvent],
    tz: tzinfo,
    roles: AreaRoles,
    opts: SleepOptions,
    known: frozenset[str] = frozenset(),
    profiles: Mapping[str, SensorProfile] | None = None,
    blocks: Sequence[Block] = (),
) -> dict[str, list[ActivityEvent]]:
    """Occupancy sensors that are beds: in a bedroom, or held on for hours at night (a mat
    that reports movement, by its ``profiles`` entry: in bed from its first onset until the
    sleeper is seen elsewhere in ``blocks``, as bed_sleep reads it)."""
    per_entity: dict[str, list[ActivityEvent]] = {}
    for ev in events:
        if (
            ev.domain == "binary_sensor"
            and ev.kind == "state_changed"
            and ev.device_class in opts.bed_classes
            and ev.entity_id
        ):
            per_entity.setdefault(ev.entity_id, []).append(ev)
    beds: dict[str, list[ActivityEvent]] = {}
    min_s = opts.min_sleep_h * 3600
    for entity_id, evs in per_entity.items():
        area = next((e.area for e in evs if e.area), None)
        role = roles.role(area)
        if role == BEDROOM or entity_id in known:
            beds[entity_id] = evs
            continue
        if role is not None and roles.named(area):
            continue  # a sofa in a named living room is not a bed, however long the film
        prof = profiles.get(entity_id) if profiles else None
        if prof is not None and prof.role != "presence":
            others = _elsewhere(blocks, area)
            spans = [(a, b) for a, b, _ in _movement_intervals(evs, others, opts)]
        else:
            spans = [(a, b) for a, b, _ in _bed_intervals(evs)[0]]
        long_ = [(a, b) for a, b in spans if b - a >= min_s]
        at_night = [1 for a, b in long_ if in_window(local_hour((a + b) / 2, tz), (22.0, 10.0))]
        if len(long_) >= 2 and len(at_night) >= opts.bed_night_fraction * len(long_):
            beds[entity_id] = evs
            if area:
                roles.learn(area, BEDROOM)
    return beds


def _elsewhere(blocks: Sequence[Block], area: str | None) -> list[float]:
    """Sorted times something switched on or off outside ``area``."""
    return sorted(
        t
        for b in blocks
        for sig in b.signals
        if sig.area != area
        for t in ((sig.t,) if sig.end == sig.t else (sig.t, sig.end))
    )


def bed_sleep(
    beds: dict[str, list[ActivityEvent]],
    tz: tzinfo,
    opts: SleepOptions,
    data_end: float,
    profiles: Mapping[str, SensorProfile] | None = None,
    blocks: Sequence[Block] = (),
    unseen: dict[date, NightBlock] | None = None,
    roles: AreaRoles | None = None,
) -> dict[str, dict[date, NightBlock]]:
    """Per bed sensor: the main in-bed block of each night. A block that starts as the sensor
    comes back from unavailable did not see the bedtime: it is left out, and put in ``unseen``
    (when given, per night) for the home's silence to supply the start.

    A block is final only once the sensor has stayed off longer than an interruption may last
    (and no open interval continues it): until then the person may be on a toilet trip.
    With the bed's profile (sensors.py): a bed that reports movement is read from its onsets
    (see :func:`_movement_intervals`), and a held interval beyond the bed's hold cap (a stuck
    or latched mat) is no night.
    """
    out: dict[str, dict[date, NightBlock]] = {}
    max_gap = opts.max_interruption_min * 60
    block_starts = [b.start for b in blocks]
    elsewhere: dict[str | None, list[float]] = {}  # per bed area, activity outside it
    moving: dict[str, list[tuple[float, float, ActivityEvent]]] = {}
    owners: dict[str, str | None] = {}
    for entity_id, evs in beds.items():
        owners[entity_id] = _owner(evs)
        prof = profiles.get(entity_id) if profiles else None
        if prof is not None and prof.role != "presence":
            area = prof.area
            if area not in elsewhere:
                elsewhere[area] = _elsewhere(blocks, area)
            moving[entity_id] = _movement_intervals(evs, elsewhere[area], opts)
    # Two sleepers' movement mats: activity elsewhere while the other is not in bed may be the
    # other one still up (a later bedtime) or already up; only what happens while every other
    # sleeper is in bed is surely this one (seen elsewhere).
    sleepers = {e: o for e, o in owners.items() if e in moving and o is not None}
    if len(set(sleepers.values())) > 1:
        first_pass = dict(moving)
        for entity_id, owner in sleepers.items():
            others = [first_pass[e] for e, o in sleepers.items() if o != owner]
            area = profiles[entity_id].area if profiles else None
            seen = [t for t in elsewhere[area] if all(_covered(t, spans) for spans in others)]
            moving[entity_id] = _movement_intervals(beds[entity_id], seen, opts)
    for entity_id, evs in beds.items():
        closed, open_since = _bed_intervals(evs)
        prof = profiles.get(entity_id) if profiles else None
        went_dark: set[float] = set()
        if entity_id in moving:
            area = profiles[entity_id].area if profiles else None
            closed, went_dark = _dark_ends(moving[entity_id], evs, elsewhere[area], opts)
            open_since = None
        elif prof is not None:
            closed = [c for c in closed if c[1] - c[0] <= prof.hold_cap_s]
        final = [
            b
            for b in join_intervals(closed, max_gap)
            if data_end - b.end > max_gap and (open_since is None or open_since - b.end > max_gap)
        ]
        if roles is not None and entity_id not in moving:
            final = [_trim_up(b, blocks, block_starts, roles, opts) for b in final]
        # A block that begins as the sensor comes back did not see the bedtime: that night is
        # left to the home's silence (quiet_sleep), which saw it.
        comebacks = _comebacks(evs)
        long_ = [b for b in final if b.end - b.start >= opts.min_sleep_h * 3600]
        shorter = [b for b in final if b.end - b.start < opts.min_sleep_h * 3600]
        for blk in final:
            blk.actor = owners[entity_id]
            blk.end_unseen = blk.end in went_dark
        witnessed = [
            b
            for b in long_
            if not _unseen_start(b.start, comebacks, max_gap, entity_id, blocks, block_starts)
        ]
        out[entity_id] = longest_per_night(witnessed, tz)
        chosen = {id(b) for b in out[entity_id].values()}
        spare = [b for b in (*witnessed, *shorter) if id(b) not in chosen]
        awake = (
            None
            if roles is None
            else functools.partial(
                up_elsewhere, blocks=blocks, starts=block_starts, roles=roles, opts=opts
            )
        )
        back_to_bed(out[entity_id], spare, tz, opts, awake)
        if unseen is not None:
            for night, blk in longest_per_night(
                [b for b in long_ if b not in witnessed], tz
            ).items():
                unseen.setdefault(night, blk)
    return out


def _trim_up(
    blk: NightBlock,
    blocks: Sequence[Block],
    starts: list[float],
    roles: AreaRoles,
    opts: SleepOptions,
) -> NightBlock:
    """``blk`` without its first pieces before, or its last pieces after, someone was up
    elsewhere in between: a presence sensor that sees the whole bedroom (a radar) is also on
    for an evening visit to the bedroom before the living room, or for dressing there after
    breakfast. A piece of ``min_quiet_piece_min`` or more is kept: someone back in bed after
    breakfast for a lie-in, a night-time read on the sofa and more sleep, is one night."""
    pieces = list(blk.pieces)
    while (
        len(pieces) > 1
        and pieces[0][1] - pieces[0][0] < opts.min_quiet_piece_min * 60
        and up_elsewhere(pieces[0][1], pieces[1][0], blocks, starts, roles, opts)
    ):
        pieces.pop(0)
    while (
        len(pieces) > 1
        and pieces[-1][1] - pieces[-1][0] < opts.min_quiet_piece_min * 60
        and up_elsewhere(pieces[-2][1], pieces[-1][0], blocks, starts, roles, opts)
    ):
        pieces.pop()
    if len(pieces) == len(blk.pieces):
        return blk
    return replace(blk, start=pieces[0][0], end=pieces[-1][1], pieces=pieces)


def bed_method(blk: NightBlock) -> tuple[str, dict[str, object]]:
    """How a bed's night was seen: by the bed, or its end by the home once the bed went dark
    (then it is no firmer than a night from silence, see routines.Occurrence.firm)."""
    return ("quiet", {"bed_went_dark": True}) if blk.end_unseen else ("bed", {})


def _dark_ends(
    spans: list[tuple[float, float, ActivityEvent]],
    events: Sequence[ActivityEvent],
    others: Sequence[float],
    opts: SleepOptions,
) -> tuple[list[tuple[float, float, ActivityEvent]], set[float]]:
    """A movement mat's in-bed spans, those that end with the mat's last report before it went
    offline (a flat battery in the night) carried on to the sleeper's first sign elsewhere
    (``others``: sorted times), within a night's length: its last pulse was not getting up.
    Returns the spans and the ends so found."""
    dark = {round(a) for a, _ in _dark(events)}
    if not dark:
        return spans, set()
    out: list[tuple[float, float, ActivityEvent]] = []
    ends: set[float] = set()
    for a, b, ev in spans:
        i = bisect.bisect_right(others, b)
        nxt = others[i] if i < len(others) else math.inf
        if round(b) in dark and nxt - a <= opts.max_sleep_h * 3600:
            out.append((a, nxt, ev))
            ends.add(nxt)
        else:
            out.append((a, b, ev))
    return out, ends


def _owner(events: Sequence[ActivityEvent]) -> str | None:
    """The person a bed sensor belongs to (the registry's device owner), or None."""
    actors = Counter(e.actor for e in events if e.actor and e.actor_kind in ("device", "person"))
    return actors.most_common(1)[0][0] if actors else None


def _dark(events: Sequence[ActivityEvent]) -> list[tuple[float, float]]:
    """Spans a sensor saw nothing because it was offline: from its last report to its coming
    back from unavailable or unknown (going offline itself is not recorded)."""
    out: list[tuple[float, float]] = []
    for prev, ev in itertools.pairwise(events):
        if (ev.old_state or "").lower() in ("unavailable", "unknown"):
            out.append((epoch(prev), epoch(ev)))
    return out


def sole_sleeper_dark(
    beds: Mapping[str, Sequence[ActivityEvent]],
) -> tuple[str, list[list[tuple[float, float]]]] | None:
    """The one person the home's bed sensors belong to, and each of their beds' dark spans;
    None when the beds belong to nobody or to several people."""
    owners = {entity_id: _owner(evs) for entity_id, evs in beds.items()}
    people = {o for o in owners.values() if o is not None}
    if len(people) != 1:
        return None
    person = people.pop()
    return person, [_dark(beds[e]) for e, o in owners.items() if o == person]


def _comebacks(events: Sequence[ActivityEvent]) -> list[float]:
    """When the sensor came back from unavailable or unknown (a flat battery replaced, a lost
    link restored, HA restarted): it saw nothing for a while before. Going offline is not
    recorded (it is not activity), coming back is: the first state carries the old one."""
    return [
        epoch(ev) for ev in events if (ev.old_state or "").lower() in ("unavailable", "unknown")
    ]


def _unseen_start(
    start: float,
    comebacks: Sequence[float],
    slack: float,
    entity_id: str,
    blocks: Sequence[Block],
    starts: Sequence[float],
) -> bool:
    """The span starts within ``slack`` after the sensor came back, with nobody seen elsewhere
    in between: it did not see the person go to bed, only its own return. (Someone up after it
    came back went to bed under its eyes.)"""
    i = bisect.bisect_right(comebacks, start) - 1
    if i < 0 or start - comebacks[i] > slack:
        return False
    lo = bisect.bisect_right(starts, comebacks[i])
    hi = bisect.bisect_left(starts, start)
    return not any(s.entity_id != entity_id for blk in blocks[lo:hi] for s in blk.signals)


def _covered(t: float, spans: Sequence[tuple[float, float, ActivityEvent]]) -> bool:
    """``t`` lies inside one of ``spans`` (sorted by start)."""
    i = bisect.bisect_right(spans, t, key=lambda s: s[0]) - 1
    return i >= 0 and spans[i][0] <= t <= spans[i][1]


def two_sleepers(per_bed: Mapping[str, Mapping[date, NightBlock]], opts: SleepOptions) -> bool:
    """Several beds hold nights together often enough to be several sleepers."""
    if len(per_bed) < 2:
        return False
    any_night: set[date] = set()
    counts: Counter[date] = Counter()
    for nights in per_bed.values():
        any_night.update(nights)
        counts.update(nights.keys())
    together = sum(1 for n in any_night if counts[n] >= 2)
    return bool(any_night) and together >= opts.two_sleepers_share * len(any_night)
