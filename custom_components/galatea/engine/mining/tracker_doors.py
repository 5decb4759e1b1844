"""Tracked absences moved to the door their people went through.

A phone tells HA late that its person left: the companion app's GPS notices the home zone left
a few hundred metres down the road, a router-based tracker waits out its ``consider_home``
(three minutes by default, often set to five or more). Coming back it may be early (the zone
entered while parking) or late (a phone waking up). The entrance door knows to the second. An
absence's start moves to the last opening of an entrance door in the ``tracker_lag_min`` before
its tracker said "away", its end to the opening nearest the tracker's "home" from
``tracker_lag_min`` before it to ``tracker_lead_min`` after. A tracker within ``door_slack_min`` of
such a door is taken as it is (the two agree), and an edge with no door near it stays where the
tracker put it (a garden gate, a back door HA has no sensor on).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from ..models import Episode
from .away import AwayOptions
from .presence import Signal


def at_the_door(
    away: Sequence[Episode],
    contacts: Sequence[Signal],
    doors: set[str],
    opts: AwayOptions,
) -> list[Episode]:
    """``away`` (tracker absences) with each edge moved to its entrance door's opening;
    ``doors``: the entrance doors (entrance_doors)."""
    openings = sorted((s.t, s.event_id) for s in contacts if s.entity_id in doors and s.opens)
    if not openings or not away:
        return list(away)
    times = [t for t, _ in openings]
    lag = opts.tracker_lag_min * 60
    lead = opts.tracker_lead_min * 60
    agree = opts.door_slack_min * 60
    out: list[Episode] = []
    for ep in away:
        t0, t1 = ep.start.timestamp(), ep.end.timestamp()
        # Leaving: the last opening before the tracker noticed.
        i = bisect.bisect_right(times, t0) - 1
        left = openings[i] if i >= 0 and t0 - times[i] <= lag else None
        # Back: the opening nearest the tracker's "home" (another may be someone at home
        # stepping out).
        lo, hi = bisect.bisect_left(times, t1 - lag), bisect.bisect_right(times, t1 + lead)
        back = min(openings[lo:hi], key=lambda o: abs(o[0] - t1), default=None)
        new0 = left[0] if left is not None and t0 - left[0] > agree else t0
        new1 = back[0] if back is not None and abs(back[0] - t1) > agree else t1
        if (new0, new1) == (t0, t1) or new1 - new0 < opts.min_tracker_away_min * 60:
            out.append(ep)
            continue
        ids = [x[1] for x in (left, back) if x is not None and x[1] is not None]
        out.append(
            replace(
                ep,
                start=datetime.fromtimestamp(new0, ep.start.tzinfo),
                end=datetime.fromtimestamp(new1, ep.end.tzinfo),
                evidence=[*ep.evidence, *(i for i in ids if i not in ep.evidence)],
                detail={**ep.detail, "at_door": True},
            )
        )
    return out
