"""A robot vacuum's run is the robot, not someone at home.

A robot vacuum started by an automation as the home empties, or by its own app's schedule,
trips the motion sensors of the rooms it cleans for the best part of an hour. Read as someone
moving about, that cancelled the absence. HA knows when it runs: the ``vacuum`` entity is
``cleaning``, then ``returning`` to its dock. Motion that starts while a vacuum runs, or within
``AFTER_MIN`` of it docking, is the robot's. Anything else meanwhile (a light, a door, the TV)
still says someone is there. A vacuum HA does not record (or one with no integration) leaves
the home model alone to vouch for such absences (home_model.py).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from ..models import ActivityEvent
from .presence import Signal

RUNNING = frozenset({"cleaning", "returning"})
# A PIR's hold outlasts the robot passing by; an integration polling the robot reports it
# docked a minute or two late.
AFTER_MIN = 3.0


def robot_runs(events: Iterable[ActivityEvent]) -> list[tuple[float, float]]:
    """When any robot vacuum was running (cleaning or returning), as merged epoch spans; a run
    still going as the data ends lasts to the data's end."""
    since: dict[str, float] = {}
    spans: list[tuple[float, float]] = []
    last = 0.0
    for ev in events:
        t = ev.ts.timestamp()
        last = max(last, t)
        if ev.domain != "vacuum" or ev.entity_id is None or ev.kind != "state_changed":
            continue
        running = (ev.state or "") in RUNNING
        started = since.get(ev.entity_id)
        if running and started is None:
            since[ev.entity_id] = t
        elif not running and started is not None:
            spans.append((started, t))
            del since[ev.entity_id]
    spans.extend((t, last) for t in since.values())
    merged: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def without_robot(
    sigs: Sequence[Signal], runs: Sequence[tuple[float, float]], after_min: float = AFTER_MIN
) -> list[Signal]:
    """``sigs`` without the motion that started while a robot vacuum ran."""
    if not runs:
        return list(sigs)
    starts = [a for a, _ in runs]
    after = after_min * 60

    def robots(sig: Signal) -> bool:
        if sig.kind != "hold" or sig.device_class != "motion":
            return False
        k = bisect.bisect_right(starts, sig.t) - 1
        return k >= 0 and sig.t <= runs[k][1] + after

    return [s for s in sigs if not robots(s)]
