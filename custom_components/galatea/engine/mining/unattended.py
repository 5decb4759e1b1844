"""A television or speaker left playing is nobody watching it.

A media player's "playing"/"on" interval counts as someone there (:func:`.presence.signals`):
someone switched it on and sits in front of it, often so still that no motion sensor sees them.
But a TV left on for the night switches itself off hours later (a sleep timer, the four-hour
auto power-off EU rules require of TVs), and a stream left on for the dog ends by itself in an
empty home. Nobody is around such an end: no other sensor anywhere moves within
``attended_min`` of it, where someone switching it off with the remote gets up and walks to bed
or to the kitchen. Only then is the interval cut back to the last other activity inside it: it
says someone was there as long as something else said so too.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import replace

from .presence import Signal

# Kinds of signal that switch off by themselves: a media player's held interval.
SELF_TIMED = frozenset({"media"})
# Someone switching the TV off is seen this close to it (before: reaching for the remote after
# moving about; after: walking away). A person dozing in front of it is not, and then neither
# is the dozing: the interval ends where they were last seen.
ATTENDED_MIN = 10.0


def unattended(
    sigs: Sequence[Signal], data_end: float, attended_min: float = ATTENDED_MIN
) -> list[Signal]:
    """``sigs`` with each media interval that ended with nobody around cut back to where
    someone was last seen inside it (:func:`_last_seen`). An interval still open when the data
    ends is left alone: whether someone is still watching is not known yet."""
    others = sorted((s for s in sigs if s.kind not in SELF_TIMED), key=lambda s: s.t)
    if len(others) == len(sigs):
        return list(sigs)
    starts = [s.t for s in others]
    # The latest end among others[:i+1], to find whatever was still going on at a time.
    reach: list[float] = []
    for s in others:
        reach.append(max(s.end, reach[-1]) if reach else s.end)
    slack = attended_min * 60
    out: list[Signal] = []
    for sig in sigs:
        if sig.kind not in SELF_TIMED or sig.end <= sig.t or sig.end >= data_end:
            out.append(sig)
            continue
        hi = bisect.bisect_right(starts, sig.end + slack)
        lo = bisect.bisect_left(starts, sig.end - slack)
        near = lo < hi or (hi > 0 and reach[hi - 1] >= sig.end - slack)
        if near:
            out.append(sig)
            continue
        out.append(replace(sig, end=min(sig.end, _last_seen(sig, others, starts))))
    return out


def _last_seen(sig: Signal, others: Sequence[Signal], starts: Sequence[float]) -> float:
    """Where the last other activity inside ``sig`` began: in its own room if anything there
    moved (a toilet trip in the night is not someone back in front of the TV), else
    anywhere; its start if nothing moved. A hold of its own (a seat still pressed) keeps the
    rest of its time."""
    last = bisect.bisect_right(starts, sig.end) - 1
    anywhere: float | None = None
    for k in range(last, -1, -1):
        other = others[k]
        if other.t <= sig.t:
            break
        if anywhere is None:
            anywhere = other.t
        if sig.area is not None and other.area == sig.area:
            return other.t
    return sig.t if anywhere is None else anywhere
