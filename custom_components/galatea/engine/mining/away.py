"""``away`` episodes: nobody home.

Two kinds of evidence, best first:

* person / device_tracker states: the home is empty while every tracked person is not ``home``.
* otherwise the entrance door plus silence: the front door is the last thing that happened before a
  silence of every presence sensor, and the first thing that happened after it (someone came back
  in). A silence that ends with activity inside and no door is someone being quiet at home, not an
  absence; a door-framed silence shorter than ``min_away_min`` is a trip to the bins.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from ..models import ActivityEvent, Episode
from .areas import ENTRANCE, GARAGE, AreaRoles
from .presence import ENTRANCE_CLASSES, PointIndex, Signal, Silence, epoch


@dataclass(frozen=True, slots=True)
class AwayOptions:
    """Thresholds, in minutes, with the reasoning behind each default."""

    # A door-framed silence this long is an absence. 10 min: shorter than any errand, longer than
    # taking the rubbish out or signing for a parcel (which also rarely silence every sensor).
    min_away_min: float = 10.0
    # How far the door event may sit from the silence edge: a hallway motion sensor's cool-down
    # or a door that closes a minute after the person passed.
    door_slack_min: float = 3.0
    # Trackers flap at the edge of the home zone; shorter "not_home" spells are ignored.
    min_tracker_away_min: float = 10.0
    # A door with no entrance-like area name counts as an entrance when it framed this many
    # silences on both sides (learned from behaviour).
    learned_door_min_framed: int = 2


def _dt(t: float, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(t, tz)


def tracker_away(
    events: Sequence[ActivityEvent], tz: tzinfo, opts: AwayOptions
) -> list[Episode] | None:
    """Absences from person (or, without persons, device_tracker) states; None if none tracked."""
    people = [e for e in events if e.domain == "person" and e.kind == "state_changed"]
    if not people:
        people = [e for e in events if e.domain == "device_tracker" and e.kind == "state_changed"]
    if not people:
        return None
    state: dict[str, bool] = {}  # entity -> at home
    out: list[Episode] = []
    per_person_since: dict[str, tuple[float, int | None]] = {}
    empty_since: tuple[float, list[int]] | None = None
    min_s = opts.min_tracker_away_min * 60
    all_people = sorted({e.entity_id for e in people if e.entity_id})
    for ev in people:
        assert ev.entity_id is not None
        t = epoch(ev)
        home = (ev.state or "").lower() == "home"
        was_home = state.get(ev.entity_id)
        state[ev.entity_id] = home
        if was_home is not None and was_home and not home:
            per_person_since[ev.entity_id] = (t, ev.id)
        elif not home and was_home is None:
            per_person_since.setdefault(ev.entity_id, (t, ev.id))
        if home and ev.entity_id in per_person_since:
            t0, id0 = per_person_since.pop(ev.entity_id)
            if len(all_people) > 1 and t - t0 >= min_s:
                out.append(
                    Episode(
                        kind="away",
                        start=_dt(t0, tz),
                        end=_dt(t, tz),
                        actor=ev.entity_id,
                        confidence=0.9,
                        evidence=[i for i in (id0, ev.id) if i is not None],
                        detail={"scope": "person", "method": "tracker"},
                    )
                )
        nobody = len(state) == len(all_people) and not any(state.values())
        if nobody and empty_since is None:
            empty_since = (t, [ev.id] if ev.id is not None else [])
        elif not nobody and empty_since is not None:
            t0, ids = empty_since
            empty_since = None
            if t - t0 >= min_s:
                out.append(
                    Episode(
                        kind="away",
                        start=_dt(t0, tz),
                        end=_dt(t, tz),
                        confidence=0.9,
                        evidence=[*ids, *([ev.id] if ev.id is not None else [])],
                        detail={"scope": "home", "method": "tracker", "persons": all_people},
                    )
                )
    return out


def entrance_doors(
    contacts: Sequence[Signal], quiet: Sequence[Silence], roles: AreaRoles, opts: AwayOptions
) -> set[str]:
    """Doors on an entrance/garage area by name; else doors that framed silences (behaviour)."""
    named = {
        s.entity_id
        for s in contacts
        if s.device_class in ENTRANCE_CLASSES and roles.role(s.area) in (ENTRANCE, GARAGE)
    }
    if named:
        return named
    slack = opts.door_slack_min * 60
    index = PointIndex(s for s in contacts if s.device_class in ENTRANCE_CLASSES)
    framed: Counter[str] = Counter()
    for gap in quiet:
        if gap.duration < opts.min_away_min * 60:
            continue
        before = {s.entity_id for s in index.between(gap.start - slack, gap.start)}
        after = {s.entity_id for s in index.between(gap.end, gap.end + slack)}
        framed.update(before & after)
    doors = {d for d, n in framed.items() if n >= opts.learned_door_min_framed}
    for door in doors:
        area = next((s.area for s in contacts if s.entity_id == door and s.area), None)
        if area:
            roles.learn(area, ENTRANCE)
    return doors


def door_away(
    quiet: Sequence[Silence],
    contacts: Sequence[Signal],
    doors: set[str],
    tz: tzinfo,
    opts: AwayOptions,
) -> list[Episode]:
    """Silences framed by an entrance door on both sides."""
    if not doors:
        return []
    slack = opts.door_slack_min * 60
    index = PointIndex(s for s in contacts if s.entity_id in doors)
    out: list[Episode] = []
    for gap in quiet:
        leave = index.between(gap.start - slack, gap.start)
        back = index.between(gap.end, gap.end + slack)
        if not leave or not back:
            continue
        # Leaving = the last opening of the door before the silence; back = its first event after.
        openings = [s for s in leave if s.opens] or leave
        t0 = openings[-1].t
        t1 = back[0].t
        if t1 - t0 < opts.min_away_min * 60:
            continue
        # Anything but the door between leaving and the silence means someone stayed in.
        inside = [s for s in gap.before.signals if s.t > t0 and s.entity_id not in doors]
        if inside:
            continue
        evidence = [s.event_id for s in (*leave, *back) if s.event_id is not None]
        # Longer absences are surer: a 10-minute door-framed silence could be someone napping.
        hours = (t1 - t0) / 3600
        confidence = round(min(0.95, 0.6 + 0.15 * hours), 3)
        out.append(
            Episode(
                kind="away",
                start=_dt(t0, tz),
                end=_dt(t1, tz),
                confidence=confidence,
                evidence=evidence,
                detail={
                    "scope": "home",
                    "method": "door",
                    "doors": sorted({s.entity_id for s in leave + back}),
                },
            )
        )
    return out
