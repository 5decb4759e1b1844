"""Devices that act on their own clock: a thermostat's program, blinds on a timer, a plug that
switches the Christmas lights at 17:00, an irrigation valve at 05:00.

Their changes carry no user and no automation (the schedule runs inside the device or its
cloud), so by source they look like someone pressing a switch, and read as activity they would
end a night at 05:00 or break an absence every afternoon. By behaviour they differ: a schedule
fires at the same minute on most days, to within a minute; people do not (an alarm-clock riser
still spreads over several minutes). :func:`clockwork` finds, per light, switch, climate, cover
or appliance, the times of day it keeps that punctually, and :func:`off_the_clock` drops the
presence signals that fall on them. Whatever else the device does (someone turning the heating
up at 21:13) stays activity.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from .circular import day_and_minute
from .presence import Signal

# Kinds of signal a device's own clock can produce (doors and motion sensors are people).
CLOCK_KINDS = frozenset({"control", "appliance"})
Windows = tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class TimerOptions:
    # Days the device must have been seen over before its habits can be called a clock.
    min_days: int = 7
    # A time of day it keeps on at least this share of those days ...
    min_share: float = 0.6
    # ... within this many minutes either side of its own median there ...
    width_min: float = 2.0
    # ... with a median absolute deviation at most this. A person up at 06:45 every day of
    # three weeks with a 4-minute spread never passes (0 of 200 simulated); one with a 2-minute
    # spread every single day does one time in four, and loses that one event as evidence.
    max_mad_min: float = 0.5


def clockwork(
    sigs: Sequence[Signal], tz: tzinfo, options: TimerOptions | None = None
) -> dict[str, Windows]:
    """Per device that keeps a clock: its scheduled times of day, as (from, to) local minutes."""
    opts = options or TimerOptions()
    seen: dict[str, list[tuple[float, int]]] = {}
    for s in sigs:
        if s.kind in CLOCK_KINDS and s.t == s.end:
            day, minute = _local(s.t, tz)
            seen.setdefault(s.entity_id, []).append((minute, day))
    out: dict[str, Windows] = {}
    for entity_id, rows in seen.items():
        days = {d for _, d in rows}
        span = max(days) - min(days) + 1
        if len(days) < opts.min_days:
            continue
        windows = _punctual(sorted(rows), span, opts)
        if windows:
            out[entity_id] = windows
    return out


def off_the_clock(
    sigs: Sequence[Signal], timers: Mapping[str, Windows], tz: tzinfo
) -> list[Signal]:
    """``sigs`` without the signals a device made on its own clock."""
    if not timers:
        return list(sigs)
    out: list[Signal] = []
    for s in sigs:
        windows = timers.get(s.entity_id)
        if windows is not None and s.kind in CLOCK_KINDS:
            minute = _local(s.t, tz)[1]
            if any(_within(minute, lo, hi) for lo, hi in windows):
                continue
        out.append(s)
    return out


def _punctual(rows: list[tuple[float, int]], span: int, opts: TimerOptions) -> Windows:
    """Times of day kept on ``min_share`` of ``span`` days to within ``width_min``."""
    minutes = [m for m, _ in rows]
    found: list[tuple[float, float]] = []
    i = 0
    while i < len(rows):
        # The events within the window starting here (minutes wrap: a 23:59 / 00:01 schedule is
        # rare enough to be read as two).
        j = bisect.bisect_right(minutes, minutes[i] + 2 * opts.width_min)
        group = rows[i:j]
        days = {d for _, d in group}
        if len(days) >= opts.min_share * span:
            values = sorted(m for m, _ in group)
            median = values[len(values) // 2]
            mad = sorted(abs(v - median) for v in values)[len(values) // 2]
            if mad <= opts.max_mad_min:
                found.append((median - opts.width_min, median + opts.width_min))
                i = j
                continue
        i += 1
    return tuple(found)


def _local(t: float, tz: tzinfo) -> tuple[int, float]:
    day, minute = day_and_minute(datetime.fromtimestamp(t, tz), tz)
    return day.toordinal(), minute


def _within(minute: float, lo: float, hi: float) -> bool:
    return lo <= minute <= hi
