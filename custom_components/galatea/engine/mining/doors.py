"""Inner doors, told from entrances by behaviour rather than by the area they were put in.

A contact on the bedroom or toilet door is often filed under the hallway ("Hall") with the
front door. By name both look like entrances; by behaviour they differ: an inner door moves
just before or after activity in the room behind it (the bed mat, the bedroom PIR, the toilet
flush), an entrance moves before a silent home or after an empty one. :func:`inner_doors`
finds the doors whose passages are mostly next to bedroom/bathroom activity and the room they
serve; :func:`reassign` files their signals under that room, so the detectors read a night
trip through the bedroom door as a night trip, not as someone leaving.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from .areas import BATHROOM, BEDROOM, AreaRoles
from .presence import ENTRANCE_CLASSES, Signal


@dataclass(frozen=True, slots=True)
class DoorOptions:
    # Activity in the room behind the door this close to a passage counts as "next to" it.
    near_s: float = 90.0
    # Passages (door events this far apart are one passage).
    passage_gap_s: float = 120.0
    # A door is an inner door when this share of its passages are next to bedroom/bathroom
    # activity, over at least ``min_passages`` passages.
    min_share: float = 0.6
    min_passages: int = 5


def inner_doors(
    sigs: Sequence[Signal], roles: AreaRoles, options: DoorOptions | None = None
) -> dict[str, str]:
    """Door contacts that behave like inner doors: entity_id -> area of the room they serve."""
    opts = options or DoorOptions()
    night = [s for s in sigs if roles.role(s.area) in (BEDROOM, BATHROOM)]
    times = [s.t for s in night]
    doors: dict[str, list[Signal]] = {}
    for s in sigs:
        if s.kind == "contact" and s.device_class in ENTRANCE_CLASSES:
            doors.setdefault(s.entity_id, []).append(s)
    out: dict[str, str] = {}
    for entity_id, evs in doors.items():
        if roles.role(evs[0].area) in (BEDROOM, BATHROOM):
            continue  # already filed under the room it serves
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
        if near >= opts.min_share * len(passages) and rooms:
            out[entity_id] = rooms.most_common(1)[0][0]
    return out


def reassign(sigs: Sequence[Signal], doors: Mapping[str, str]) -> list[Signal]:
    """``sigs`` with each inner door's signals filed under the room it serves."""
    if not doors:
        return list(sigs)
    return [replace(s, area=doors[s.entity_id]) if s.entity_id in doors else s for s in sigs]
