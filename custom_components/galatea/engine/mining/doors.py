"""Inner doors, told from entrances by behaviour rather than by the area they were put in.

A contact on the bedroom or toilet door is often filed under the hallway ("Hall") with the
front door. By name both look like entrances; by behaviour they differ: an inner door moves
just before or after activity in the room behind it (the bed mat, the bedroom PIR, the toilet
flush), an entrance moves before a silent home or after an empty one. :func:`inner_doors`
finds the doors whose passages are mostly next to bedroom/bathroom activity and the room they
serve; :func:`reassign` files their signals under that room, so the detectors read a night
trip through the bedroom door as a night trip, not as someone leaving.

Which room: the one whose activity is most often next to the door, unless the door itself
frames the home's nights (it moves just before most long night-time silences or just after
them): that is the bedroom's door, whatever sensors the rooms around it have. A home with
contacts only has nothing in its bedroom but that door, and the bathroom next to it would
otherwise claim it.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from .areas import BATHROOM, BEDROOM, ENTRANCE, GARAGE, AreaRoles
from .presence import ENTRANCE_CLASSES, PointIndex, Signal, Silence

# Where a home with no bedroom (bathroom) area files its bedroom (bathroom) door: the name
# gives it the role.
BEDROOM_AREA = "Bedroom"
BATHROOM_AREA = "Bathroom"


@dataclass(frozen=True, slots=True)
class DoorOptions:
    # Activity in the room behind the door this close to a passage counts as "next to" it:
    # three minutes, the walk from the bathroom's last cupboard to the bedroom door at bedtime
    # (house C with contacts only: 56 % of its bedroom door's passages within 90 s, 67 %
    # within 180 s; its front door's 12 % and 17 %).
    near_s: float = 180.0
    # Passages (door events this far apart are one passage).
    passage_gap_s: float = 120.0
    # A door is an inner door when this share of its passages are next to bedroom/bathroom
    # activity, over at least ``min_passages`` passages.
    min_share: float = 0.6
    min_passages: int = 5
    # A night: a silence this long (hours) centred in these local hours (wrapping midnight).
    night_h: float = 3.0
    night_window: tuple[float, float] = (21.0, 10.0)
    # The bedroom's door frames at least this share of the nights (bedtime or morning).
    bedroom_share: float = 0.5
    # A door sharing its area with others (front and bedroom door in one "Hall") that frames
    # the nights is the bedroom's even when fewer of its passages than ``min_share`` are next
    # to bedroom/bathroom activity (a home with contacts only sees the bedroom by its door
    # alone), as long as at least this share are, and every other door there has half its
    # share or less and frames fewer nights: the way out. A night-shift worker's front door
    # frames the nights too, but the bathroom is next to the bedroom door, not to it.
    framing_min_share: float = 0.25
    # ... and in a home with no sensor in its bedroom or bathroom at all (every door in the
    # Hall), nothing is next to any door: there a door that frames at least this share of the
    # nights, while every other door there frames fewer, is the bedroom's. Stricter than
    # ``bedroom_share``: a night-shift worker's front door frames five nights in seven.
    framing_alone_share: float = 0.8
    # A door sharing its area with others whose passages come in pairs (the same door again
    # within ``visit_max_min``, nothing else moving in between: in and out of the room behind
    # it) at least this often, while another door there mostly does not (the way out: leaving,
    # back hours later), is a toilet's or bathroom's: contacts only with every door in the
    # Hall, the toilet door's 0.6-0.7 against the front door's 0.0 and the bedroom door's 0.2-0.3.
    visit_max_min: float = 15.0
    paired_min_share: float = 0.5


def inner_doors(
    sigs: Sequence[Signal],
    roles: AreaRoles,
    options: DoorOptions | None = None,
    quiet: Sequence[Silence] = (),
    tz: tzinfo | None = None,
) -> dict[str, str]:
    """Door contacts that behave like inner doors: entity_id -> area of the room they serve.
    ``quiet``: the home's silences (with ``tz``), to tell the bedroom's door by the nights it
    frames."""
    opts = options or DoorOptions()
    framing = _night_framers(quiet, tz, opts)
    night = [s for s in sigs if roles.role(s.area) in (BEDROOM, BATHROOM)]
    times = [s.t for s in night]
    doors: dict[str, list[Signal]] = {}
    for s in sigs:
        if s.kind == "contact" and s.device_class in ENTRANCE_CLASSES:
            doors.setdefault(s.entity_id, []).append(s)
    per_area = Counter(evs[0].area for evs in doors.values())
    out: dict[str, str] = {}
    # Per door: its share of passages next to bedroom/bathroom activity (for doors with
    # enough passages in a non-bedroom, non-bathroom area).
    shares: dict[str, float] = {}
    for entity_id, evs in doors.items():
        area = evs[0].area
        if roles.role(area) in (BEDROOM, BATHROOM):
            continue  # already filed under the room it serves
        if roles.role(area) in (ENTRANCE, GARAGE) and per_area[area] == 1:
            continue  # the only door of an entrance or garage is the way out, however near
            # the toilet people pass it
        passages: list[list[Signal]] = []
        for s in evs:
            if passages and s.t - passages[-1][-1].t <= opts.passage_gap_s:
                passages[-1].append(s)
            else:
                passages.append([s])
        if len(passages) < opts.min_passages:
            continue
        rooms: Counter[str] = Counter()
        near = 0
        for p in passages:
            lo = bisect.bisect_left(times, p[0].t - opts.near_s)
            hi = bisect.bisect_right(times, p[-1].t + opts.near_s)
            areas = {night[k].area for k in range(lo, hi) if night[k].entity_id != entity_id}
            areas.discard(None)
            if areas:
                near += 1
                rooms.update(a for a in areas if a is not None)
        shares[entity_id] = near / len(passages)
        if near < opts.min_share * len(passages) or not rooms:
            continue
        if framing and framing[1].get(entity_id, 0) >= opts.bedroom_share * framing[0]:
            out[entity_id] = _bedroom_area(roles, rooms)
        else:
            out[entity_id] = rooms.most_common(1)[0][0]
    if framing:
        out.update(_framing_bedroom_door(doors, shares, out, framing, roles, opts, not night))
    out.update(_visited_rooms(doors, sigs, per_area, out, roles, opts))
    return out


def paired_share(door: Sequence[Signal], activity: PointIndex, opts: DoorOptions) -> float:
    """Share of a door's passages that are one of a pair: the same door again within
    ``visit_max_min`` with nothing else moving in between (in and out of a room behind it)."""
    passages: list[list[Signal]] = []
    for s in door:
        if passages and s.t - passages[-1][-1].t <= opts.passage_gap_s:
            passages[-1].append(s)
        else:
            passages.append([s])
    if not passages:
        return 0.0
    entity = passages[0][0].entity_id
    paired: set[int] = set()
    for k in range(len(passages) - 1):
        a, b = passages[k][-1].t, passages[k + 1][0].t
        if b - a <= opts.visit_max_min * 60 and all(
            s.entity_id == entity for s in activity.between(a, b)
        ):
            paired.update((k, k + 1))
    return len(paired) / len(passages)


def _visited_rooms(
    doors: Mapping[str, Sequence[Signal]],
    sigs: Sequence[Signal],
    per_area: Counter[str | None],
    inner: Mapping[str, str],
    roles: AreaRoles,
    opts: DoorOptions,
) -> dict[str, str]:
    """Doors of a shared area opened in pairs, beside one that is not: the bathroom's (see
    ``DoorOptions.paired_min_share``)."""
    shared = {
        d: evs
        for d, evs in doors.items()
        if d not in inner
        and per_area[evs[0].area] > 1
        and roles.role(evs[0].area) not in (BEDROOM, BATHROOM)
    }
    # The way out may have moved only a few times (someone who rarely goes out); the door
    # taken for a bathroom's needs enough passages to show its pairs.
    if len(shared) < 2 or not any(len(e) >= 2 * opts.min_passages for e in shared.values()):
        return {}
    activity = PointIndex(sigs)
    pairs = {d: paired_share(evs, activity, opts) for d, evs in shared.items()}
    out: dict[str, str] = {}
    for d, share in pairs.items():
        area = shared[d][0].area
        others = [o for o in pairs if o != d and shared[o][0].area == area]
        if (
            len(shared[d]) >= 2 * opts.min_passages
            and share >= opts.paired_min_share
            and any(pairs[o] < opts.paired_min_share for o in others)
        ):
            known = sorted(roles.areas_with(BATHROOM))
            out[d] = known[0] if known else BATHROOM_AREA
    return out



def _framing_bedroom_door(
    doors: Mapping[str, Sequence[Signal]],
    shares: Mapping[str, float],
    inner: Mapping[str, str],
    framing: tuple[int, Counter[str]],
    roles: AreaRoles,
    opts: DoorOptions,
    blind: bool = False,
) -> dict[str, str]:
    """The bedroom's door told by the nights it frames (see ``DoorOptions.framing_min_share``)
    among the doors of one area, when the passages alone did not tell it; ``blind``: the home
    has no bedroom or bathroom activity to place doors by (``framing_alone_share``)."""
    nights, framed = framing
    out: dict[str, str] = {}
    need = (opts.framing_alone_share if blind else opts.bedroom_share) * nights
    for entity_id, share in shares.items():
        if entity_id in inner or (share < opts.framing_min_share and not blind):
            continue
        if framed.get(entity_id, 0) < need:
            continue
        area = doors[entity_id][0].area
        others = [d for d, evs in doors.items() if d != entity_id and evs[0].area == area]
        if others and all(
            d not in inner
            and shares.get(d, 0.0) <= share / 2
            and framed.get(d, 0) < framed[entity_id]
            for d in others
        ):
            out[entity_id] = _bedroom_area(roles, Counter())
    return out


def _night_framers(
    quiet: Sequence[Silence], tz: tzinfo | None, opts: DoorOptions
) -> tuple[int, Counter[str]] | None:
    """How many nights the silences hold, and per door contact how many of them it framed
    (moved within ``near_s`` of the night's start or end)."""
    if tz is None:
        return None
    lo, hi = opts.night_window
    nights = 0
    framed: Counter[str] = Counter()
    for gap in quiet:
        if gap.duration < opts.night_h * 3600:
            continue
        mid = datetime.fromtimestamp((gap.start + gap.end) / 2, tz)
        hour = mid.hour + mid.minute / 60
        if not (hour >= lo or hour < hi):
            continue
        nights += 1
        edges = {
            s.entity_id
            for blk, t in ((gap.before, gap.start), (gap.after, gap.end))
            for s in blk.signals
            if s.kind == "contact" and abs(s.t - t) <= opts.near_s
        }
        framed.update(edges)
    return (nights, framed) if nights else None


def _bedroom_area(roles: AreaRoles, rooms: Counter[str]) -> str:
    """The bedroom area the door leads to: the one next to it most often, else any the home
    has, else :data:`BEDROOM_AREA`."""
    near = [a for a, _ in rooms.most_common() if roles.role(a) == BEDROOM]
    if near:
        return near[0]
    known = sorted(roles.areas_with(BEDROOM))
    return known[0] if known else BEDROOM_AREA


def reassign(sigs: Sequence[Signal], doors: Mapping[str, str]) -> list[Signal]:
    """``sigs`` with each inner door's signals filed under the room it serves."""
    if not doors:
        return list(sigs)
    return [replace(s, area=doors[s.entity_id]) if s.entity_id in doors else s for s in sigs]
