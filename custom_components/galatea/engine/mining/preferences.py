"""Preferences: the values people choose, by time of day.

- ``climate_setpoint``: target temperatures people set, per thermostat and HVAC mode. A setpoint
  holds until the next change, so ``when`` runs from one usual change time to the next.
- ``light_brightness`` (percent) and ``light_color_temp`` (kelvin): what a light is set to when a
  person turns it on, per time-of-day mode; neighbouring modes with the same value merge.
- ``media``: which app/source a media player plays at a usual time.

Only people's own actions count (user contexts, physical switches), never automations. Times
of day come from circular clustering (no fixed clock bins).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, tzinfo
from functools import partial
from typing import Any

from ..models import ActivityEvent, Preference
from .actions import is_person_action
from .circular import cluster_times, day_and_minute, hhmm, signed_diff
from .order import by_time


@dataclass(frozen=True, slots=True)
class PreferenceOptions:
    bandwidth_min: float = 30.0
    min_support_days: int = 4
    max_evidence: int = 20


@dataclass(slots=True)
class _Obs:
    minute: float
    value: Any
    day: date
    id: int


def _span(obs: Sequence[_Obs], center: float) -> tuple[float, float]:
    """10th-90th percentile of the times around ``center`` (wrapped)."""
    d = sorted(signed_diff(o.minute, center) for o in obs)
    last = len(d) - 1
    return center + d[round(0.1 * last)], center + d[round(0.9 * last)]


Found = dict[tuple[Any, ...], tuple[str | None, list[_Obs], list[Preference]]]
Seen = tuple[str, str, str | None, str | None, Any, _Obs | None] | None
"""What one activity tells the preferences: (its domain, entity_id, state, area, the
setpoint it holds, a person's choice observed in it), or None."""


class PreferenceCache:
    """``mine_preferences``' memo: per thermostat mode, light or player, the observations and
    area its preferences were found from, and those preferences; and what each activity
    tells (by activity id, in one zone)."""

    __slots__ = ("found", "seen", "zone")

    def __init__(self) -> None:
        self.found: Found = {}
        self.seen: dict[int, Seen] = {}
        self.zone: tzinfo | None = None

    def clear(self) -> None:
        self.found.clear()
        self.seen.clear()
        self.zone = None

    def __len__(self) -> int:
        return len(self.found)


def _obs(ev: ActivityEvent, value: Any, tz: tzinfo) -> _Obs:
    day, minute = day_and_minute(ev.ts, tz)
    return _Obs(minute, value, day, ev.id or 0)


def mine_preferences(
    events: Sequence[ActivityEvent],
    tz: tzinfo,
    *,
    options: PreferenceOptions | None = None,
    cache: PreferenceCache | None = None,
) -> list[Preference]:
    """Preferences in ``events`` (pure). ``cache`` (the engine loop keeps one between runs):
    each subject's preferences depend only on its own observations, so a subject whose
    observations are unchanged since the previous call reuses its preferences (copies)."""
    opts = options or PreferenceOptions()
    climate: dict[tuple[str, str], list[_Obs]] = defaultdict(list)
    light: dict[str, list[_Obs]] = defaultdict(list)
    media: dict[str, list[_Obs]] = defaultdict(list)
    setpoint: dict[str, Any] = {}
    areas: dict[str, str | None] = {}
    if cache is not None and cache.zone != tz:
        cache.clear()  # observations are local days and minutes
        cache.zone = tz
    seen = None if cache is None else cache.seen
    kept: dict[int, Seen] = {}
    for ev in by_time(events):
        if seen is None or ev.id is None:
            told = _told(ev, tz)
        else:
            told = seen[ev.id] if ev.id in seen else _told(ev, tz)
            kept[ev.id] = told
        if told is None:
            continue
        domain, entity_id, state, area, value, choice = told
        areas.setdefault(entity_id, area)
        if domain == "climate":
            previous = setpoint.get(entity_id)
            setpoint[entity_id] = value
            if choice is not None and value != previous:
                climate[(entity_id, state or "")].append(choice)
        elif choice is not None:
            (light if domain == "light" else media)[entity_id].append(choice)
    if cache is not None:
        cache.seen = kept
    used: Found = {}

    def found(key: tuple[Any, ...], obs: list[_Obs], area: str | None,
              mine: Callable[[], list[Preference]]) -> list[Preference]:
        cached = cache.found.get((opts, *key)) if cache is not None else None
        if cached is not None and cached[0] == area and cached[1] == obs:
            prefs = cached[2]
        else:
            prefs = [_copy(p) for p in mine()]
        used[(opts, *key)] = (area, obs, prefs)
        return [_copy(p) for p in prefs]

    out: list[Preference] = []
    for (entity_id, mode), obs in climate.items():
        area = areas.get(entity_id)
        out += found(("climate", entity_id, mode), obs, area,
                     partial(_climate, entity_id, mode, obs, area, opts))
    for entity_id, obs in light.items():
        area = areas.get(entity_id)
        out += found(("light", entity_id), obs, area, partial(_light, entity_id, obs, area, opts))
    for entity_id, obs in media.items():
        area = areas.get(entity_id)
        out += found(("media", entity_id), obs, area, partial(_media, entity_id, obs, area, opts))
    if cache is not None:
        cache.found = used
    return out


def _told(ev: ActivityEvent, tz: tzinfo) -> Seen:
    """What ``ev`` tells the preferences (a thermostat's setpoint, even set by an automation,
    is what a person's next change is compared with)."""
    if ev.kind != "state_changed" or ev.entity_id is None:
        return None
    domain = ev.domain or ""
    obs: _Obs | None = None
    if domain == "climate":
        value = ev.data.get("temperature")
        if isinstance(value, int | float) and is_person_action(ev):
            obs = _obs(ev, float(value), tz)
        return domain, ev.entity_id, ev.state, ev.area, value, obs
    if not is_person_action(ev):
        return domain, ev.entity_id, ev.state, ev.area, None, None
    if domain == "light" and ev.state == "on" and ev.old_state != "on":
        obs = _obs(ev, dict(ev.data), tz)
    elif domain == "media_player" and ev.state == "playing" and ev.old_state != "playing":
        app = ev.data.get("app_name") or ev.data.get("source")
        if app:
            obs = _obs(ev, str(app), tz)
    return domain, ev.entity_id, ev.state, ev.area, None, obs


def _copy(p: Preference) -> Preference:
    """A preference nobody else holds (callers set ids on what they get)."""
    return replace(p, evidence=list(p.evidence))


def _modes(obs: Sequence[_Obs], opts: PreferenceOptions) -> list[tuple[float, list[_Obs]]]:
    clusters = cluster_times([o.minute for o in obs], bandwidth_min=opts.bandwidth_min)
    out = []
    for c in clusters:
        members = [obs[i] for i in c.members]
        if len({m.day for m in members}) >= opts.min_support_days:
            out.append((c.mean, members))
    return out


def _evidence(members: Sequence[_Obs], opts: PreferenceOptions) -> list[int]:
    return [m.id for m in members if m.id][-opts.max_evidence :]


def _climate(
    entity_id: str, mode: str, obs: list[_Obs], area: str | None, opts: PreferenceOptions
) -> list[Preference]:
    modes = _modes(obs, opts)
    out = []
    for i, (mean, members) in enumerate(modes):
        values = [float(m.value) for m in members]
        nxt = modes[(i + 1) % len(modes)][0] if len(modes) > 1 else None
        out.append(
            Preference(
                kind="climate_setpoint",
                subject=entity_id,
                value=round(statistics.median(values), 1),
                when=f"{hhmm(mean)}-{hhmm(nxt)}" if nxt is not None else None,
                mode=mode or None,
                spread=round(statistics.pstdev(values), 2),
                support=len({m.day for m in members}),
                area=area,
                evidence=_evidence(members, opts),
            )
        )
    return out


def _scaled(members: Sequence[_Obs], attr: str, scale: float) -> list[float]:
    """The members' numeric ``attr`` values, times ``scale`` (brightness 0-255 as a percent)."""
    return [
        float(m.value[attr]) * scale for m in members if isinstance(m.value.get(attr), int | float)
    ]


def _light(
    entity_id: str, obs: list[_Obs], area: str | None, opts: PreferenceOptions
) -> list[Preference]:
    out: list[Preference] = []
    modes = _modes(obs, opts)
    for attr, kind, scale in (
        ("brightness", "light_brightness", 100 / 255),
        ("color_temp_kelvin", "light_color_temp", 1.0),
    ):
        merged: list[tuple[float, float, float, list[_Obs]]] = []  # (start, end, value, members)
        for mean, members in modes:
            vals = _scaled(members, attr, scale)
            if len(vals) < opts.min_support_days:
                continue
            value = round(statistics.median(vals), 0)
            start, end = _span(members, mean)
            if merged and abs(merged[-1][2] - value) <= (5 if attr == "brightness" else 100):
                s0, _, v0, m0 = merged[-1]
                merged[-1] = (s0, end, v0, m0 + members)
            else:
                merged.append((start, end, value, list(members)))
        for start, end, value, members in merged:
            vals = _scaled(members, attr, scale)
            out.append(
                Preference(
                    kind=kind,
                    subject=entity_id,
                    value=int(value),
                    when=f"{hhmm(start)}-{hhmm(end)}",
                    spread=round(statistics.pstdev(vals), 1),
                    support=len({m.day for m in members}),
                    area=area,
                    evidence=_evidence(members, opts),
                )
            )
    return out


def _media(
    entity_id: str, obs: list[_Obs], area: str | None, opts: PreferenceOptions
) -> list[Preference]:
    out = []
    for mean, members in _modes(obs, opts):
        app, count = Counter(str(m.value) for m in members).most_common(1)[0]
        start, end = _span(members, mean)
        out.append(
            Preference(
                kind="media",
                subject=entity_id,
                value=app,
                when=f"{hhmm(start)}-{hhmm(end)}",
                spread=round(1 - count / len(members), 2),
                support=len({m.day for m in members}),
                area=area,
                evidence=_evidence(members, opts),
            )
        )
    return out
