"""Each sensor characterised from its own data: what its "on" means in this home.

A binary sensor's state can mean very different things in different homes: a pressure mat held
on all night (a body lies there), a mat or PIR that pulses on each movement, a reed switch that
sits "on" most of the day (a latch: its state says nothing, its changes do), a PIR that latches
on for hours after one trigger, a sensor stuck on for days. HA's device_class is a hint, not an
answer. :func:`characterise` reads every on/off sensor's own history and returns a
:class:`SensorProfile` per entity: duty cycle, on-time statistics, onset rate, a role and flags.

Roles:

* ``presence``: typical on-times of many minutes and mostly off (a mat held while someone sits
  or lies on it, a presence radar). Its held intervals count as someone there.
* ``movement``: short pulses (a PIR, a mat that reports movement). Its onsets are activity; an
  on-interval far longer than its own typical ones is a latch, not a body.
* ``latch``: on most of the time (duty cycle above ``latch_duty``): only its changes are
  activity.
* ``point``: no duration to speak of (flush, button, keys hook): each change is activity.

Flags: ``latched`` (a large share of its on-time is in intervals beyond its hold cap), ``stuck``
(a single on-interval of a day or more), ``silent_when_empty`` is left to the home model.

``hold_cap_s`` is what the episode detectors use: a held interval longer than this is read as
its onset only. The profiles are plain data (``as_dict``) for the integration's diagnostics.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np

from ..models import ActivityEvent

ON: Final = frozenset({"on", "open", "opening", "detected", "home", "unlocked", "playing"})
OFF: Final = frozenset({"off", "closed", "closing", "clear", "not_home", "locked", "idle"})


@dataclass(frozen=True, slots=True)
class SensorOptions:
    """Thresholds with the reasoning behind each default."""

    # On more than this share of the time: the state is a latch, only changes are activity.
    latch_duty: float = 0.5
    # Typical (median) on-time at least this long and not a latch: "on" means a body is there.
    presence_median_s: float = 600.0
    # A movement sensor's on-interval beyond this many times its own p90 on-time (and beyond
    # ``min_cap_s``) is a latch, not a person moving for that long.
    cap_factor: float = 10.0
    min_cap_s: float = 1800.0
    # Presence sensors: nobody lies on a mat for longer than this (a stuck mat).
    presence_cap_s: float = 16 * 3600.0
    # One on-interval this long: the sensor is stuck (or latched for good).
    stuck_s: float = 24 * 3600.0
    # Share of on-time beyond the cap that makes a sensor "latched".
    latched_share: float = 0.5
    # Fewer on-intervals than this say too little to call a sensor a latch from its duty
    # cycle (one seat held through a short recording is a seat, not a latch).
    min_intervals: int = 3


@dataclass(frozen=True, slots=True)
class SensorProfile:
    """What one sensor's data says about it (see the module docstring)."""

    entity_id: str
    area: str | None
    device_class: str | None
    role: str
    changes: int
    onsets: int
    onsets_per_day: float
    duty_cycle: float
    median_on_s: float
    p90_on_s: float
    hold_cap_s: float
    latched: bool
    stuck: bool

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _on(state: str | None) -> bool | None:
    s = (state or "").lower()
    if s in ON:
        return True
    if s in OFF:
        return False
    return None


def characterise(
    events: Iterable[ActivityEvent], options: SensorOptions | None = None
) -> dict[str, SensorProfile]:
    """Profiles of every binary (on/off) sensor in ``events`` (time order not required)."""
    opts = options or SensorOptions()
    per: dict[str, list[tuple[float, bool, ActivityEvent]]] = {}
    t_lo, t_hi = float("inf"), float("-inf")
    for ev in events:
        if ev.domain != "binary_sensor" or ev.kind != "state_changed" or not ev.entity_id:
            continue
        on = _on(ev.state)
        if on is None:
            continue
        t = ev.ts.timestamp()
        per.setdefault(ev.entity_id, []).append((t, on, ev))
        t_lo, t_hi = min(t_lo, t), max(t_hi, t)
    span = max(t_hi - t_lo, 1.0)
    out: dict[str, SensorProfile] = {}
    for entity_id, rows in per.items():
        rows.sort(key=lambda r: r[0])
        durations: list[float] = []
        since: float | None = None
        onsets = 0
        for t, on, _ev in rows:
            if on:
                if since is None:
                    since = t
                    onsets += 1
            elif since is not None:
                durations.append(t - since)
                since = None
        if since is not None:
            durations.append(t_hi - since)
        evs = [rows[0][2]]
        out[entity_id] = _profile(entity_id, evs[0], len(rows), onsets, durations, span, opts)
    return out


def _profile(
    entity_id: str,
    first: ActivityEvent,
    changes: int,
    onsets: int,
    durations: list[float],
    span: float,
    opts: SensorOptions,
) -> SensorProfile:
    d = np.asarray(durations, dtype=float) if durations else np.zeros(1)
    duty = float(min(1.0, d.sum() / span))
    median = float(np.median(d))
    p90 = float(np.percentile(d, 90))
    if duty >= opts.latch_duty and len(durations) >= opts.min_intervals:
        role = "latch"
    elif median >= opts.presence_median_s:
        role = "presence"
    elif p90 < 1.0 and median < 1.0:
        role = "point"
    else:
        role = "movement"
    if role == "presence":
        cap = opts.presence_cap_s
    else:
        # The typical on-time is read from the short intervals: a latch's hours do not count.
        short = d[d < opts.min_cap_s]
        typical = float(np.percentile(short, 90)) if short.size else 0.0
        cap = max(opts.min_cap_s, opts.cap_factor * typical)
    beyond = float(d[d > cap].sum())
    latched = role == "latch" or (d.sum() > 0 and beyond / float(d.sum()) >= opts.latched_share)
    stuck = bool((d >= opts.stuck_s).any())
    return SensorProfile(
        entity_id=entity_id,
        area=first.area,
        device_class=first.device_class,
        role=role,
        changes=changes,
        onsets=onsets,
        onsets_per_day=round(onsets / (span / 86400), 3),
        duty_cycle=duty,
        median_on_s=median,
        p90_on_s=p90,
        hold_cap_s=cap,
        latched=latched,
        stuck=stuck,
    )


def hold_caps(profiles: Mapping[str, SensorProfile]) -> dict[str, float]:
    """Per entity, the longest on-interval read as someone there (see ``hold_cap_s``)."""
    return {e: p.hold_cap_s for e, p in profiles.items()}


def motion_like(profiles: Mapping[str, SensorProfile]) -> frozenset[str]:
    """Sensors that behave like motion sensors (brief pulses), whatever their device class."""
    return frozenset(e for e, p in profiles.items() if p.role == "movement")


def diagnostics(profiles: Mapping[str, SensorProfile]) -> dict[str, dict[str, Any]]:
    """The profiles as plain JSON-able dicts, for the integration's diagnostics."""
    return {e: p.as_dict() for e, p in sorted(profiles.items())}
