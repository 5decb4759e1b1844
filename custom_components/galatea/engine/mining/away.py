"""``away`` episodes: nobody home.

Two kinds of evidence, best first:

* person / device_tracker states: the home is empty while every tracked person is not ``home``.
* otherwise the entrance door plus silence: the front door is the last thing that happened before a
  silence of every presence sensor, and the first thing that happened after it (someone came back
  in). A silence that ends with activity inside and no door is someone being quiet at home, not an
  absence; a door-framed silence shorter than ``min_away_min`` is a trip to the bins. Brief
  motion blips in between are a pet; where a pet roams is learned from the home's own nights
  (:func:`pet_areas`), and once known, motion anywhere else means a person is home (someone
  left, someone stayed in and moves about quietly).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, tzinfo

from ..models import ActivityEvent, Episode
from .areas import BATHROOM, BEDROOM, ENTRANCE, GARAGE, AreaRoles, spans_night
from .home_model import ASLEEP, AWAY, HomeModel
from .noise import at_least
from .presence import (
    ENTRANCE_CLASSES,
    Block,
    PointIndex,
    Signal,
    Silence,
    blocks,
    epoch,
    silences,
    stirring_signals,
)


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
    # ... and at least this share of its passages are such leave/return passages.
    learned_door_min_share: float = 0.5
    # Where no door passes that (a couple: most passages are one of two going out), the only
    # door that framed daytime silences at all, at least this many, is the way out, or of
    # several the one framing far more hours per passage than any other (a fridge or a
    # cupboard may frame as many as a front door).
    learned_door_min_framed_alone: int = 4
    # Of several doors in an entrance-named area, those that frame at least this fraction of
    # the best one's hours of daytime silence per passage are the way out. In a home with
    # contacts only, a toilet or bedroom door in the same "Hall" frames many silences too (a
    # shower, someone reading where no sensor sees them), but short ones for how often it is
    # used: house A-like homes, 0.1 h a passage against the front door's 2-3 h.
    named_door_relative_hours: float = 0.25
    # Pets: brief motion-only blips (each at most ``max_blip_min``, together at most
    # ``max_blip_share`` of the time) between leaving and coming back do not mean someone is
    # home; anything else does. A share of 0 disables the tolerance.
    max_blip_min: float = 5.0
    max_blip_share: float = 0.25
    # One resident: between two stretches with someone active inside, the door is passed an
    # even number of times (out and back). A home is taken to have one resident when at most
    # this share of such door sequences is odd (a second person came or went), over at least
    # ``one_resident_min_sequences`` of them; there a door-framed silence right after someone
    # came back is them at home unseen, not another absence.
    one_resident_max_odd: float = 0.25
    one_resident_min_sequences: int = 5
    # Where a pet roams is learned from the nights (everyone in bed): an area whose motion
    # sensor tripped on this many different nights, away from the bedroom/bathroom. During a
    # door-framed absence, motion elsewhere is a person at home, not the pet.
    pet_area_min_nights: int = 2
    # Learning needs some nights to look at; with fewer, blips anywhere are tolerated.
    pet_min_nights_seen: int = 5
    # Only the core of each night is looked at: its last 15 % (an early riser) are people, not
    # the pet, and so may be its first 30 % (someone still up after the first went to bed):
    # there, blips count only from this many minutes after the last sign of someone up (not a
    # brief blip of one motion sensor), so a pet busy soon after its people went to bed is seen.
    pet_night_head: float = 0.3
    pet_night_tail: float = 0.15
    pet_after_up_min: float = 30.0
    # Blips between a visit to the bedroom/bathroom and another within this many minutes each
    # side are someone up in the night (reading in the living room until sleepy), not the pet.
    pet_spell_min: float = 120.0
    # The pet trips several PIRs of one room together when at least this share of its blips
    # in the night's core, in its rooms with several sensors (this many at least), do so: a cat
    # crossing a room under two or three ceiling PIRs trips most of them, a PIR tripping by
    # itself (which a home without a pet learns as one) only itself.
    pet_fill_share: float = 0.25
    pet_fill_min_blips: int = 5
    # A visit is someone walking (another sensor within this many seconds): a lone pulse of
    # a bedroom sensor that trips by itself is nobody getting up.
    pet_visit_pair_s: float = 300.0
    # Nights longer than this (quiet days joined to a night) are not looked at.
    pet_max_night_h: float = 14.0
    # During an absence the pet may make more blips than at night (it is awake), but not so
    # many more that a Poisson count at ``pet_day_factor`` times its night rate (at least
    # ``pet_min_day_rate`` an hour) would see them less often than ``pet_rate_p``: that is
    # someone at home. A floor of one an hour whatever the pet was seen to do let a home whose
    # "pet" is a PIR tripping once a night or two read a quiet evening at home (a blip every
    # quarter of an hour, then a silent night) as an absence from the evening's door to the
    # next morning's: the few-sensor home with PIRs tripping once in 20 hours lost a third of
    # its nights that way. ``pet_min_rate`` is the floor for learning where the pet goes.
    pet_min_rate: float = 1.0
    pet_rate_p: float = 0.01
    pet_day_factor: float = 3.0
    pet_min_day_rate: float = 0.5
    # Where a pet goes when left alone is learned from door-framed silences at least this long
    # with nothing in them but its blips, once seen in this many (pet_day_areas); the
    # entrance's own area in fewer: a dog waits by the door for its people, while a partner
    # at home alone, who moves about much like a dog, seldom lingers there.
    pet_day_min_h: float = 1.0
    pet_day_min_absences: int = 3
    # ... and a room away from the entrance only from silences no busier than a pet at rest
    # (Poisson-tested at this many blips an hour, or its night rate if higher): a partner at
    # home while the other is out, reading in the study, trips its sensor now and then too.
    pet_day_rest_rate: float = 0.5
    pet_by_door_min_absences: int = 2
    # Lone false triggers of motion sensors where no pet goes, about this many an hour in all,
    # do not stop an absence (tested like the pet's blips).
    noise_rate: float = 0.1
    # A presence sensor (a radar, a mat) held on with nothing else anywhere for this long on
    # both sides is nobody: a radar seeing a fan or a curtain, a cat on a mat. A person comes
    # into its room and leaves it past some other sensor, or is seen by it at the door.
    ghost_clear_min: float = 10.0
    # Motion starting this shortly before the door opens is someone inside walking out: the door
    # closing a candidate absence was a departure, so the home was not empty. 0 disables.
    departure_motion_s: float = 90.0
    # Motion starting this soon after the door opened, with none before it, is someone coming
    # in: the silence that follows is someone home, not an absence. 0 disables.
    arrival_motion_s: float = 60.0
    # Trackers lag: activity this soon after everyone "left" or this shortly before someone
    # "arrived" is the leaver or the arriver, not an untracked person at home.
    tracker_lead_min: float = 5.0
    tracker_lag_min: float = 15.0
    # This many separate bursts of real activity while all trackers say away: someone untracked
    # is home, so the home was not empty.
    untracked_drop_blocks: int = 3
    # Someone leaving or coming back moves something (a door, the hallway's motion, a light)
    # within this many minutes of their tracker saying so; a tracker that went "not_home" and
    # back with the home still on both edges lost its location (Wi-Fi asleep at night, a
    # stray GPS fix), nobody went anywhere. Only in homes whose sensors see most of the
    # tracked comings and goings, once there are this many to judge by.
    tracker_edge_min: float = 15.0
    tracker_edge_min_absences: int = 5
    # A door-framed span with activity inside is still an absence when the home model (fitted
    # on this home's own weeks, see home_model.py) puts at least this much of it in "away":
    # the activity came from sensors that fire as much in an empty home (a settling cushion, a
    # latched reed, a noisy PIR).
    model_away_share: float = 0.9
    # ... once the model has seen this many absences confirmed by doors and silence (it
    # cannot know what an empty home looks like from a handful).
    model_min_absences: int = 10
    # ... and only when every sensor active inside fires in this home's empty hours at least
    # this share as often as when someone is up (a settling cushion, a noisy PIR; not a person),
    # and fired in the span no more often than its empty-home rate makes plausible (Poisson,
    # ``pet_rate_p``): a partner at home reading trips the living room's sensor every quarter
    # of an hour, as an empty home never does, however often it tripped in empty hours.
    model_empty_ratio: float = 0.08
    # ... or whose own record over the span is this many times likelier in an empty home than
    # with someone up (a few pulses of a faulty mat across a day nobody sat on it).
    model_empty_odds: float = 20.0
    # ... and a door-framed span over a night (03:00) is no absence when the model puts under
    # ``model_home_away_share`` of it in "away" and at least ``model_home_asleep_share`` in
    # "asleep", and it holds more separate movements than the pet's own night rate makes
    # plausible (Poisson, ``pet_rate_p``; the tests that let it pass allow the pet three
    # times its rate): the resident came home, moved about for an evening whose blips each
    # passed for the pet (or a PIR tripping by itself), and slept; the next morning's door
    # was leaving again. Only over a night: by day a dog left alone can look like a home
    # asleep to the model. A night-shift worker's nights out hold only the pet's or the
    # PIRs' own few blips (where the model, seeing no one, may call them asleep).
    model_home_away_share: float = 0.05
    model_home_asleep_share: float = 0.5


_NOWHERE = frozenset({"", "unknown", "unavailable"})


def _dt(t: float, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(t, tz)


def _tracked(events: Sequence[ActivityEvent], domain: str) -> list[ActivityEvent]:
    """State changes of ``domain``'s entities that were somewhere at least once."""
    rows = [e for e in events if e.domain == domain and e.kind == "state_changed"]
    seen = {e.entity_id for e in rows if (e.state or "").lower() not in _NOWHERE}
    return [e for e in rows if e.entity_id in seen]


def tracker_away(
    events: Sequence[ActivityEvent], tz: tzinfo, opts: AwayOptions
) -> list[Episode] | None:
    """Absences from person (or, without persons, device_tracker) states; None if none tracked.

    A person who is never anywhere (``unknown`` throughout: an HA user with no tracker) is not
    tracked: their entity says nothing of who is home."""
    people = _tracked(events, "person") or _tracked(events, "device_tracker")
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
        # Before a person's first event, the event's own old state says where they were.
        was_home = state.get(ev.entity_id)
        if was_home is None and ev.old_state not in (None, "unknown", "unavailable"):
            was_home = (ev.old_state or "").lower() == "home"
        state[ev.entity_id] = home
        left = was_home is True and not home  # an absence needs a seen departure
        if left:
            per_person_since[ev.entity_id] = (t, ev.id)
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
        if nobody and empty_since is None and left:
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


class WhoIsHome:
    """Which tracked persons were home at a time, from person (or device_tracker) states."""

    def __init__(self, events: Sequence[ActivityEvent]) -> None:
        people = [e for e in events if e.domain == "person" and e.kind == "state_changed"]
        if not people:
            people = [
                e for e in events if e.domain == "device_tracker" and e.kind == "state_changed"
            ]
        self.times: list[float] = []
        self.home: list[frozenset[str]] = []
        state: dict[str, bool] = {}
        for ev in sorted(people, key=epoch):
            assert ev.entity_id is not None
            state[ev.entity_id] = (ev.state or "").lower() == "home"
            self.times.append(epoch(ev))
            self.home.append(frozenset(p for p, h in state.items() if h))

    def __bool__(self) -> bool:
        return bool(self.times)

    def during(self, t0: float, t1: float) -> frozenset[str]:
        """Persons home for the whole of [t0, t1] (empty when unknown)."""
        i = bisect.bisect_right(self.times, t0) - 1
        if i < 0:
            return frozenset()
        out = self.home[i]
        j = bisect.bisect_left(self.times, t1)
        for k in range(i + 1, j):
            out = out & self.home[k]
        return out


def untracked_activity(
    t0: float,
    t1: float,
    blks: Sequence[Block],
    starts: list[float],
    opts: AwayOptions,
    watched: frozenset[str] = frozenset(),
) -> int:
    """Signs of someone home while every tracked person is away (a child without a phone, a
    guest, a phone left behind): activity other than pet-like motion blips, away from the
    edges where trackers lag behind the door."""
    lo_t = t0 + opts.tracker_lead_min * 60
    hi_t = t1 - opts.tracker_lag_min * 60
    if hi_t <= lo_t:
        return 0
    count = 0
    lo = max(0, bisect.bisect_right(starts, lo_t) - 1)
    hi = bisect.bisect_left(starts, hi_t)
    for j in range(lo, hi):
        blk = blks[j]
        if blk.end <= lo_t:
            continue
        blip = blk.end - blk.start <= opts.max_blip_min * 60 and all(
            s.kind == "hold" and s.device_class == "motion" for s in blk.signals
        )
        # What someone did from the app while every tracker says away is one of them, afar;
        # lights switching by themselves where nobody moved are nobody (a presence simulation).
        if blip or all(s.by_user for s in blk.signals) or _by_itself(blks, j, opts, watched):
            continue
        count += 1
    return count


def check_tracker_away(
    away: list[Episode],
    blks: Sequence[Block],
    opts: AwayOptions,
    watching: frozenset[str] = frozenset(),
) -> list[Episode]:
    """Drop absences no edge of which saw anyone move (see ``tracker_edge_min``) and home
    absences contradicted by clear activity inside; flag weakly contradicted ones. Motion of a
    bedroom sensor that sees the bed (``watching``, sleep.watching_beds) is nobody leaving or
    coming in: a sleeper turning over as the phone loses its location at night."""
    starts = [b.start for b in blks]
    rooms_seen = watched_areas(blks)
    seen = [_edge_seen(ep, blks, starts, opts.tracker_edge_min * 60, watching) for ep in away]
    # Only where this home's sensors do see comings and goings (most tracked ones).
    judge = len(away) >= opts.tracker_edge_min_absences and sum(seen) >= 0.5 * len(away)
    out: list[Episode] = []
    for ep, edge in zip(away, seen, strict=True):
        if judge and not edge:
            continue
        if ep.detail.get("scope") != "home":
            out.append(ep)
            continue
        t0, t1 = ep.start.timestamp(), ep.end.timestamp()
        n = untracked_activity(t0, t1, blks, starts, opts, rooms_seen)
        if n >= opts.untracked_drop_blocks:
            continue
        if n:
            ep.confidence = 0.6
            ep.detail["activity_inside"] = n
        out.append(ep)
    return out


def in_their_beds(away: list[Episode], nights: Sequence[Episode]) -> list[Episode]:
    """``away`` without the absences a bed sensor contradicts: a person's while their own bed
    (a sleep episode of theirs found by a bed sensor, ``nights``) held them throughout, the
    home's while anyone's did. A phone losing its location at night as someone else gets up
    for the toilet is no one leaving."""
    beds = [
        (e.actor, e.start, e.end)
        for e in nights
        if e.kind == "sleep"
        and e.detail.get("scope") == "person"
        and e.detail.get("method") == "bed"
        and e.actor
    ]
    if not beds:
        return away
    return [
        ep
        for ep in away
        if not any(
            a <= ep.start
            and ep.end <= b
            and (ep.detail.get("scope") == "home" or ep.actor == who)
            for who, a, b in beds
        )
    ]


def everyone_out(away: Sequence[Episode], nights: Sequence[Episode]) -> list[Episode]:
    """Each resident's own absences where the sensors know only the home's: while the home is
    empty, everyone who lives there is out. A resident is known by nights of their own
    (``nights``: a bed sensor with an owner); one whose person entity is tracked keeps the
    tracker's absences. Each copy is marked ``detail["from"] == "home"`` (why it is known:
    the home was empty, not this person seen leaving)."""
    tracked = {e.actor for e in away if e.detail.get("scope") == "person"}
    residents = sorted(
        {e.actor for e in nights if e.detail.get("scope") == "person" and e.actor} - tracked
    )
    return [
        replace(
            ep,
            actor=who,
            detail={**ep.detail, "scope": "person", "from": "home"},
            evidence=list(ep.evidence),
        )
        for ep in away
        if ep.detail.get("scope") == "home"
        for who in residents
    ]


def _edge_seen(
    ep: Episode,
    blks: Sequence[Block],
    starts: list[float],
    slack: float,
    watching: frozenset[str] = frozenset(),
) -> bool:
    """Something switched on or off within ``slack`` of the absence's start or of its end (a
    bed mat held all night across it is someone staying, not someone moving; the sensors that
    see the bed, ``watching``, a sleeper turning over)."""
    for t in (ep.start.timestamp(), ep.end.timestamp()):
        i = bisect.bisect_left(starts, t - slack) - 1
        for blk in blks[max(0, i) : bisect.bisect_right(starts, t + slack)]:
            if any(
                (abs(s.t - t) <= slack or abs(s.end - t) <= slack)
                and s.entity_id not in watching
                for s in blk.signals
            ):
                return True
    return False


def _framing(
    doors: Sequence[Signal],
    quiet: Sequence[Silence],
    tz: tzinfo,
    opts: AwayOptions,
    hours: dict[str, float] | None = None,
) -> tuple[Counter[str], Counter[str]]:
    """Per door: daytime silences it framed on both sides, and how many passages it had;
    ``hours``, when given, gets the hours of silence it framed."""
    slack = opts.door_slack_min * 60
    index = PointIndex(doors)
    framed: Counter[str] = Counter()
    used: Counter[str] = Counter()
    for door in {s.entity_id for s in doors}:
        used[door] = len(_door_clusters(PointIndex(s for s in doors if s.entity_id == door), slack))
    for gap in quiet:
        if gap.duration < opts.min_away_min * 60 or spans_night(gap.start, gap.end, tz):
            continue
        before = {s.entity_id for s in index.between(gap.start - slack, gap.start)}
        after = {s.entity_id for s in index.between(gap.end, gap.end + slack)}
        framed.update(before & after)
        if hours is not None:
            for door in before & after:
                hours[door] = hours.get(door, 0.0) + gap.duration / 3600
    return framed, used


def _bedside(
    doors: Sequence[Signal], quiet: Sequence[Silence], tz: tzinfo, opts: AwayOptions
) -> set[str]:
    """Doors that are the last sign before, or the first after, at least half the nights (a
    silence of three hours or more across 03:00, shorter than a day)."""
    slack = opts.door_slack_min * 60
    index = PointIndex(doors)
    nights = [
        g
        for g in quiet
        if 3 * 3600 <= g.duration < 86400 and spans_night(g.start, g.end, tz)
    ]
    edges: Counter[str] = Counter()
    for gap in nights:
        near = index.between(gap.start - slack, gap.start) + index.between(gap.end, gap.end + slack)
        edges.update({s.entity_id for s in near})
    return {d for d, n in edges.items() if 2 * n >= len(nights)}


def entrance_doors(
    contacts: Sequence[Signal],
    quiet: Sequence[Silence],
    roles: AreaRoles,
    tz: tzinfo,
    opts: AwayOptions,
    sigs: Sequence[Signal] | None = None,
) -> set[str]:
    """Doors on an entrance/garage area by name; else doors learned from behaviour, from
    ``quiet`` or, where that finds none, from the silences between ``sigs`` (every signal, by
    time) without their lone blips.

    A learned entrance is a door in an area whose name says nothing else (a door in a named
    kitchen is a fridge or a cupboard) that framed daytime silences on both sides at least
    ``learned_door_min_framed`` times, and for which framing silences is most of what it does
    (an entrance door is used to leave and come back; a cupboard is used all day). Where none
    is (in a couple's home most passages are one going out while the other stays), the only
    door that framed such silences at all is, or the one framing far more hours of them per
    passage than any other. Silences over the night are left out: whatever was used last
    before bed frames those.

    When a hallway holds several doors (front, bedroom, toilet), or several learned doors pass
    (contacts only: the bathroom door frames the silences of a room with no sensor), the ones
    that frame hours per passage like the way out are kept.
    """
    entrance_like = [s for s in contacts if s.device_class in ENTRANCE_CLASSES]
    named = {s.entity_id for s in entrance_like if roles.role(s.area) in (ENTRANCE, GARAGE)}
    if len(named) == 1:
        return named
    if named:
        hours: dict[str, float] = {}
        framed, used = _framing(
            [s for s in entrance_like if s.entity_id in named], quiet, tz, opts, hours
        )
        top = max(framed.values(), default=0)
        if top == 0:
            return named
        per_use = {d: hours.get(d, 0.0) / max(1, used[d]) for d in named if framed[d]}
        best = max(per_use.values())
        return {d for d, x in per_use.items() if x >= opts.named_door_relative_hours * best}
    # A role learned from behaviour does not rule a door out: "the first place after the
    # night" may be a whole ground floor, front door and all.
    candidates = [
        s
        for s in entrance_like
        if not roles.named(s.area) or roles.role(s.area) in (ENTRANCE, GARAGE)
    ]
    doors = _learned_doors(candidates, quiet, tz, opts)
    if not doors and sigs:
        # Motion sensors that trip by themselves break the daytime silences a door frames
        # (an absence with a blip in it is two silences, neither framed): without lone blips.
        calm = silences(blocks(stirring_signals(sigs)), min_s=opts.min_away_min * 60)
        doors = _learned_doors(candidates, calm, tz, opts)
    for door in doors:
        area = next((s.area for s in contacts if s.entity_id == door and s.area), None)
        if area:
            roles.learn(area, ENTRANCE)
    return doors


def _learned_doors(
    candidates: Sequence[Signal], quiet: Sequence[Silence], tz: tzinfo, opts: AwayOptions
) -> set[str]:
    """The doors among ``candidates`` that behave like the way out (see entrance_doors)."""
    framed_h: dict[str, float] = {}
    framed, used = _framing(candidates, quiet, tz, opts, framed_h)
    doors = {
        d
        for d, n in framed.items()
        if n >= opts.learned_door_min_framed and 2 * n >= opts.learned_door_min_share * used[d]
    }
    per_use = {d: framed_h.get(d, 0.0) / max(1, used[d]) for d, n in framed.items() if n > 0}
    if not doors and per_use:
        # The one door that framed such silences (at least four), or the one whose passages
        # frame by far the most hours each: a fridge may frame as many as a front door, and
        # then neither is sure. A door at the edge of most nights is the bedroom's (in the
        # same hall; it frames an afternoon's nap or reading too), not a rival.
        bedside = _bedside(candidates, quiet, tz, opts)
        rivals = {d: x for d, x in per_use.items() if d not in bedside} or per_use
        way_out = max(rivals, key=lambda d: rivals[d])
        rest = [x for d, x in rivals.items() if d != way_out]
        if framed[way_out] >= opts.learned_door_min_framed_alone and all(
            x < opts.named_door_relative_hours * per_use[way_out] for x in rest
        ):
            doors = {way_out}
    if len(doors) > 1:
        # Where nothing but doors is seen (contacts only), the bathroom door and the fridge
        # frame every silence in a room with no sensor too, but short ones: the way out is
        # the door whose passages frame hours, as for the doors of a named hallway.
        best_x = max(per_use[d] for d in doors)
        doors = {d for d in doors if per_use[d] >= opts.named_door_relative_hours * best_x}
    return doors


def _door_clusters(index: PointIndex, slack: float) -> list[list[Signal]]:
    """Entrance door events grouped into passages (open, close, a second try within ``slack``)."""
    out: list[list[Signal]] = []
    for sig in index.sigs:
        if out and sig.t - out[-1][-1].t <= slack:
            out[-1].append(sig)
        else:
            out.append([sig])
    return out


def _waited(
    blks: Sequence[Block],
    starts: list[float],
    t0: float,
    t1: float,
    doors: set[str],
    opts: AwayOptions,
) -> set[str | None]:
    """Areas of the brief motion blips still on at ``t0`` or started from then until the door
    opened at ``t1``."""
    brief = opts.max_blip_min * 60
    return {
        s.area
        for b in blks[bisect.bisect_left(starts, t0 - brief) : bisect.bisect_left(starts, t1)]
        for s in b.signals
        if s.entity_id not in doors
        and s.end >= t0
        and s.t < t1
        and s.kind == "hold"
        and s.device_class == "motion"
        and s.end - s.t <= brief
    }


def pet_day_areas(
    blks: Sequence[Block],
    contacts: Sequence[Signal],
    doors: set[str],
    pets: frozenset[str],
    pet_rate: float | None,
    tz: tzinfo,
    opts: AwayOptions,
    night_areas: frozenset[str] = frozenset(),
) -> frozenset[str]:
    """Where the pet also goes when left alone: a dog that sleeps in the living room at night
    waits by the front door by day. ``pets``: the areas it roams at night (pet_areas).

    In a door-framed silence of at least ``pet_day_min_h`` by day (an evening and night at
    home can look the same: someone sitting still, then asleep), begun by someone going out
    (nothing new moving inside just after the door) and ended by someone coming in (something
    new moving inside just after it), in which nothing happened but brief motion blips, some
    where the pet roams at night (or none but its waiting by the door: a dog asleep all day
    where no sensor sees it), and no more of them than the pet makes (the rate test of
    :func:`_nobody_between`), the other blips' areas are the pet's
    too, once seen so in ``pet_day_min_absences`` such silences. Bedrooms and bathrooms
    (``night_areas``) are not learned here: a lone blip there is tolerated already. A home
    with no pet learned at night learns none: motion in its empty home stays someone."""
    if not pets or not doors:
        return frozenset()
    slack = opts.door_slack_min * 60
    clusters = _door_clusters(PointIndex(s for s in contacts if s.entity_id in doors), slack)
    starts = [b.start for b in blks]
    inside_starts = sorted(s.t for b in blks for s in b.signals if s.entity_id not in doors)

    def moved_after(t: float) -> bool:
        j = bisect.bisect_right(inside_starts, t)
        return j < len(inside_starts) and inside_starts[j] <= t + opts.arrival_motion_s

    by_door = {s.area for s in contacts if s.entity_id in doors}
    seen: dict[str, int] = {}
    for leave, back in itertools.pairwise(clusters):
        t0, t1 = leave[-1].t + slack, back[0].t - slack
        if t1 - t0 < opts.pet_day_min_h * 3600 or spans_night(t0, t1, tz):
            continue
        if moved_after(leave[-1].t) or not moved_after(back[0].t):
            continue  # not someone going out, then someone coming in
        inside = [
            b
            for b in blks[bisect.bisect_right(starts, t0) : bisect.bisect_left(starts, t1)]
            if b.end < t1
        ]
        if not all(_pet_blip(b, opts) for b in inside):
            continue
        areas = {s.area for b in inside for s in b.signals}
        # ... and where it waited in the minutes before someone came in (by the door).
        waited = _waited(blks, starts, t1, back[0].t, doors, opts)
        if None in areas or areas & night_areas:
            continue  # a person at home goes to the bathroom now and then; a dog hardly
        if not areas & pets and not (waited and areas | waited <= by_door):
            continue  # nothing of the pet's (the dog waiting by the door, at most)
        areas |= waited
        expected = max(pet_rate or 0.0, opts.pet_min_rate) * (t1 - t0) / 3600
        spans = [(b.start, b.end) for b in inside]
        n = _clusters(spans, opts.max_blip_min * 60)
        if at_least(n, expected) < opts.pet_rate_p:
            continue
        resting = max(pet_rate or 0.0, opts.pet_day_rest_rate) * (t1 - t0) / 3600
        calm = at_least(n, resting) >= opts.pet_rate_p
        for area in areas - pets - night_areas:
            if area is not None and (calm or area in by_door):
                seen[area] = seen.get(area, 0) + 1
    return frozenset(
        a
        for a, n in seen.items()
        if n >= (opts.pet_by_door_min_absences if a in by_door else opts.pet_day_min_absences)
    )


def _nobody_between(
    t0: float,
    t1: float,
    blks: Sequence[Block],
    starts: list[float],
    doors: set[str],
    opts: AwayOptions,
    pet_areas: frozenset[str] | None = None,
    pet_rate: float | None = None,
    night_areas: frozenset[str] = frozenset(),
    watched: frozenset[str] = frozenset(),
    stray: frozenset[str] = frozenset(),
    pet_fills_rooms: bool = False,
) -> bool:
    """True when the home was empty between leaving (``t0``) and coming back (``t1``).

    Empty means: fully silent for at least ``min_away_min`` at some point, and otherwise nothing
    but brief motion blips (a pet). A motion sensor still cooling down from the person walking out
    is ignored; anything else (a seat, a cupboard, a light, long movement) means someone was home.
    With ``pet_areas`` learned (see :func:`pet_areas`), blips must be where the pet roams, and
    with its ``pet_rate`` (blips an hour, see :func:`pet_rate`) there must not be many more of
    them than the pet makes: someone back home unheard, pottering from room to room. Lights
    switching by themselves in ``watched`` rooms (see :func:`_by_itself`) are nobody.
    ``stray``: the sensors known to trip by themselves (noise.py).
    """
    slack = opts.door_slack_min * 60
    moving: list[tuple[float, float]] = []
    noise = 0
    lo = max(0, bisect.bisect_right(starts, t0) - 1)
    hi = bisect.bisect_left(starts, t1)
    for j in range(lo, hi):
        blk = blks[j]
        if blk.end <= t0:
            continue
        if (
            pet_areas
            and t0 + slack < blk.start
            and _pet_wander(
                blks, j, pet_areas | night_areas, opts, (t0 + slack, t1 - slack),
                night_areas, stray, fills_rooms=pet_fills_rooms,
            )
        ):
            # A home with a pet: a brief trip of one sensor with nothing around it but the pet's
            # own blips is the pet, where it roams at night and in the bedroom/bathroom (cats
            # sleep on beds; whether it goes there cannot be learned from nights, when people
            # do); a person at home moves on to rooms the pet does not roam, trips something
            # else, or makes far more blips than the pet does (the rate test below).
            moving.append((blk.start, min(blk.end, t1)))
            continue
        if (
            pet_areas is not None
            and t0 + slack < blk.start
            and blk.end < t1 - slack
            and _lone_trigger(blks, j, opts)
        ):
            # Where no pet goes: one sensor tripping once, nothing else for minutes on either
            # side, is a false trigger (sunlight, heating) as long as there are few of them.
            noise += 1
            moving.append((blk.start, blk.end))
            continue
        if (
            t0 + slack < blk.start
            and blk.end < t1 - slack
            and (
                _ghost_hold(blks, j, opts)
                or _from_afar(blks, j, opts)
                or _by_itself(blks, j, opts, watched)
            )
        ):
            continue
        for sig in blk.signals:
            if sig.entity_id in doors or sig.end <= t0 or sig.t >= t1:
                continue
            motion = sig.kind == "hold" and sig.device_class == "motion"
            if (motion or sig.kind == "media") and sig.t < t0 and sig.end <= t0 + slack:
                # The leaver's own motion cooling down, or the radio they left on (a stream
                # that stopped by itself, cut back to them leaving: unattended.py).
                continue
            if not motion or opts.max_blip_share <= 0:
                return False
            if pet_areas is not None and sig.area not in pet_areas and t0 + slack < sig.t:
                return False  # motion where no pet goes at night: someone is home
            a, b = max(sig.t, t0), min(sig.end, t1)
            if b - a > opts.max_blip_min * 60:
                return False
            moving.append((a, b))
    if sum(b - a for a, b in moving) > opts.max_blip_share * (t1 - t0):
        return False
    if pet_rate is not None and moving:
        day_rate = max(pet_rate * opts.pet_day_factor, opts.pet_min_day_rate)
        expected = day_rate * (t1 - t0) / 3600
        if at_least(_clusters(moving, opts.max_blip_min * 60), expected) < opts.pet_rate_p:
            return False
    if noise and at_least(noise, opts.noise_rate * (t1 - t0) / 3600) < opts.pet_rate_p:
        return False
    longest, cursor = 0.0, t0
    for a, b in sorted(moving):
        longest = max(longest, a - cursor)
        cursor = max(cursor, b)
    longest = max(longest, t1 - cursor)
    return longest >= opts.min_away_min * 60


def _inside(
    t0: float, t1: float, blks: Sequence[Block], starts: list[float], doors: set[str]
) -> list[Signal]:
    """Signals (other than the doors') that started between ``t0`` and ``t1``."""
    lo = max(0, bisect.bisect_right(starts, t0) - 1)
    hi = bisect.bisect_left(starts, t1)
    return [
        s
        for blk in blks[lo:hi]
        for s in blk.signals
        if t0 < s.t < t1 and s.entity_id not in doors
    ]


def _active_inside(
    t0: float, t1: float, blks: Sequence[Block], starts: list[float], doors: set[str]
) -> set[str]:
    """Sensors (other than the doors) that started activity between ``t0`` and ``t1``."""
    return {s.entity_id for s in _inside(t0, t1, blks, starts, doors)}


def _lone_trigger(blks: Sequence[Block], j: int, opts: AwayOptions) -> bool:
    """Block ``j`` is one motion sensor tripping once, briefly, with ``min_away_min`` of
    nothing on both sides."""
    blk = blks[j]
    clear = opts.min_away_min * 60
    return (
        len({s.entity_id for s in blk.signals}) == 1
        and len([s for s in blk.signals if s.end > s.t]) <= 1
        and _pet_blip(blk, opts)
        and (j == 0 or blk.start - blks[j - 1].end >= clear)
        and (j + 1 == len(blks) or blks[j + 1].start - blk.end >= clear)
    )


def _ghost_hold(blks: Sequence[Block], j: int, opts: AwayOptions) -> bool:
    """Block ``j`` is one presence sensor (not a motion sensor) held on, with
    ``ghost_clear_min`` of nothing at all on both sides: nobody walked in or out of its room."""
    blk = blks[j]
    clear = opts.ghost_clear_min * 60
    return (
        len({s.entity_id for s in blk.signals}) == 1
        and all(s.kind == "hold" and s.device_class != "motion" for s in blk.signals)
        and any(s.end > s.t for s in blk.signals)
        and (j == 0 or blk.start - blks[j - 1].end >= clear)
        and (j + 1 == len(blks) or blks[j + 1].start - blk.end >= clear)
    )


def _from_afar(blks: Sequence[Block], j: int, opts: AwayOptions) -> bool:
    """Block ``j`` is only what someone did from HA's app or dashboard (the heating or a light
    switched on for the way home), with ``ghost_clear_min`` of nothing on both sides: nobody
    walked to a switch, so it may have come from anywhere."""
    blk = blks[j]
    clear = opts.ghost_clear_min * 60
    return (
        all(s.by_user for s in blk.signals)
        and (j == 0 or blk.start - blks[j - 1].end >= clear)
        and (j + 1 == len(blks) or blks[j + 1].start - blk.end >= clear)
    )


def watched_areas(blks: Sequence[Block]) -> frozenset[str]:
    """Areas with a motion sensor: someone switching a light there at the wall is seen."""
    return frozenset(
        s.area
        for b in blks
        for s in b.signals
        if s.area and s.kind == "hold" and s.device_class == "motion"
    )


def _switches_only(blk: Block, watched: frozenset[str]) -> bool:
    return all(s.kind == "control" and s.area in watched for s in blk.signals)


def _by_itself(blks: Sequence[Block], j: int, opts: AwayOptions, watched: frozenset[str]) -> bool:
    """Block ``j`` is only lights or switches changing, in rooms whose motion sensors saw
    nobody, with nothing but such changes within ``ghost_clear_min`` on both sides: nobody
    walked to a switch. A presence simulation (the lights' own app "away" mode, an integration
    replaying the evenings) switching the empty home's lights on and off, with no user or
    automation in its context."""
    if not _switches_only(blks[j], watched):
        return False
    clear = opts.ghost_clear_min * 60
    k = j - 1
    while k >= 0 and blks[k + 1].start - blks[k].end < clear:
        if not _switches_only(blks[k], watched):
            return False
        k -= 1
    k = j + 1
    while k < len(blks) and blks[k].start - blks[k - 1].end < clear:
        if not _switches_only(blks[k], watched):
            return False
        k += 1
    return True


def _clusters(spans: list[tuple[float, float]], gap_s: float) -> int:
    """How many separate movements: spans closer than ``gap_s`` count as one."""
    count, last = 0, -math.inf
    for a, b in sorted(spans):
        if a - last > gap_s:
            count += 1
        last = max(last, b)
    return count


def _pet_blip(blk: Block, opts: AwayOptions) -> bool:
    """Brief motion only (a pet crossing from one room to the next may trip two sensors)."""
    return blk.end - blk.start <= opts.max_blip_min * 60 and all(
        s.kind == "hold" and s.device_class == "motion" for s in blk.signals
    )


def _pet_wander(
    blks: Sequence[Block],
    j: int,
    pets: frozenset[str],
    opts: AwayOptions,
    span: tuple[float, float],
    night: frozenset[str] = frozenset(),
    stray: frozenset[str] = frozenset(),
    *,
    fills_rooms: bool = False,
) -> bool:
    """Block ``j`` is brief motion where the pet may be (``pets``: its areas plus the bedrooms
    and bathrooms), and whatever moved within ``max_blip_min`` of it inside ``span`` (the
    absence; the leaver and the one coming back are outside it) was the same.
    ``fills_rooms``: the pet trips several sensors of one room together (see
    :func:`pet_fills_rooms`); else two sensors at once are two rooms."""
    blk = blks[j]
    if not _pet_blip(blk, opts) or any(s.area not in pets for s in blk.signals):
        return False
    # Two rooms at once is someone walking through them, unless both are where the pet roams
    # at night (``night`` rooms are only the pet's when it is alone there) or every sensor of
    # them is one that trips by itself (``stray``: two false triggers can fall together).
    several = len({s.area for s in blk.signals}) > 1 or (
        not fills_rooms and len({s.entity_id for s in blk.signals}) > 1
    )
    if (
        several
        and any(s.area in night for s in blk.signals)
        and not all(s.entity_id in stray for s in blk.signals)
    ):
        return False
    clear = opts.max_blip_min * 60
    for k in (j - 1, j + 1):
        if not 0 <= k < len(blks):
            continue
        other = blks[k]
        if other.end <= span[0] or other.start >= span[1]:
            continue
        near = blks[j].start - other.end < clear if k < j else other.start - blks[j].end < clear
        if near and not (_pet_blip(other, opts) and all(s.area in pets for s in other.signals)):
            return False
    return True


def _came_in(t: float, motion_starts: list[float], opts: AwayOptions) -> bool:
    """The door at ``t`` let someone in: motion started just after it opened and none in the
    ``departure_motion_s`` before (a leaver walks to the door first; the door is the last
    thing the sensors see of them)."""
    if opts.departure_motion_s <= 0 or opts.arrival_motion_s <= 0:
        return False
    i = bisect.bisect_left(motion_starts, t - opts.departure_motion_s)
    if i < len(motion_starts) and motion_starts[i] < t:
        return False
    j = bisect.bisect_right(motion_starts, t)
    return j < len(motion_starts) and motion_starts[j] <= t + opts.arrival_motion_s


def _pet_waiting(
    t: float,
    motion: Sequence[Signal],
    inside: Sequence[float],
    pets: frozenset[str],
    opts: AwayOptions,
    within_s: float,
) -> bool:
    """The motion just before the door opened at ``t`` (``motion``: by the door, by start)
    was the pet waiting for whoever came in: brief and where the pet goes, and then someone
    came in: something (``inside``: sorted starts) started after it within ``within_s`` of the
    door. Someone walking to the door to leave an empty home leaves nothing going on."""
    starts = [s.t for s in motion]
    lo = bisect.bisect_left(starts, t - opts.departure_motion_s)
    before = motion[lo : bisect.bisect_left(starts, t)]
    brief = opts.max_blip_min * 60
    if not before or any(s.area not in pets or s.end - s.t > brief for s in before):
        return False
    after = max(t, *(s.end for s in before))
    j = bisect.bisect_right(inside, after)
    return j < len(inside) and inside[j] <= t + within_s


def _walked_to_door(t: float, motion_starts: list[float], opts: AwayOptions) -> bool:
    """Motion that started just before a door opened: a person inside walking to it (leaving).
    Someone coming home trips the motion sensors after the door, not before."""
    if opts.departure_motion_s <= 0:
        return False
    i = bisect.bisect_left(motion_starts, t - opts.departure_motion_s)
    return i < len(motion_starts) and motion_starts[i] < t


def door_away(
    blks: Sequence[Block],
    contacts: Sequence[Signal],
    doors: set[str],
    tz: tzinfo,
    opts: AwayOptions,
    pets: frozenset[str] | None = None,
    pet_rate: float | None = None,
    night_areas: frozenset[str] = frozenset(),
    model: HomeModel | None = None,
    persons: int = 0,
    stray: frozenset[str] = frozenset(),
    pet_fills_rooms: bool = False,
) -> list[Episode]:
    """Absences between two passages through an entrance door with nobody active in between.
    ``pets``: the areas a pet roams (None when unknown: brief blips anywhere are tolerated);
    ``pet_rate``: its blips an hour at night; ``night_areas``: bedrooms and bathrooms.
    ``model``: the home model; activity in between does not rule an absence out when the model
    puts the span in "away" (``model_away_share``) and every sensor active inside is one it
    knows to fire in an empty home (``model_empty_ratio``), as often as it does there, or whose
    own record over the span says "empty" (``model_empty_odds``: the learned empty-home rates
    come from the absences the rules found, so a sensor that fires in an empty home, and got
    those rejected, is learned as never doing so; a few pulses over a long span where someone
    up would have tripped it far more still weigh for nobody). Each absence carries the
    model's share as evidence. ``persons``: the people HA knows of (person entities, tracked
    or not); with two or more the passages are never read as one resident's (see
    ``_one_way``). ``stray``: the sensors known to trip by themselves (noise.py).
    ``pet_fills_rooms``: see :func:`pet_fills_rooms`."""
    if not doors:
        return []
    slack = opts.door_slack_min * 60
    index = PointIndex(s for s in contacts if s.entity_id in doors)
    starts = [b.start for b in blks]
    out: list[Episode] = []
    clusters = _door_clusters(index, slack)
    motion = [s for b in blks for s in b.signals if s.kind == "hold" and s.device_class == "motion"]
    watched = watched_areas(blks)
    # Someone walking to or in from the door is seen where the door is, when a motion sensor
    # is there: motion elsewhere just before it may be the pet.
    door_areas = {s.area for s in contacts if s.entity_id in doors and s.area}
    at_door = [s.t for s in motion if s.area in door_areas]
    door_motion = sorted(
        (s for s in motion if s.area in door_areas) if at_door else motion, key=lambda s: s.t
    )
    motion_starts = [s.t for s in door_motion]
    inside = sorted(s.t for b in blks for s in b.signals if s.entity_id not in doors)
    found: list[int] = []  # the gap between passages each absence in ``out`` is

    def moves(a: float, b: float) -> int:
        """Separate movements inside (a, b), see :func:`_clusters`."""
        inside = _inside(a, b, blks, starts, doors)
        return _clusters([(s.t, max(s.t, s.end)) for s in inside], opts.max_blip_min * 60)

    for k, (leave, back) in enumerate(itertools.pairwise(clusters)):
        # Leaving = the last opening of the door; back = the first door event of the return.
        openings = [s for s in leave if s.opens] or leave
        t0 = openings[-1].t
        t1 = back[0].t
        if t1 - t0 < opts.min_away_min * 60:
            continue
        share = None if model is None else round(model.share(t0, t1, AWAY), 3)
        trusted = (
            share is not None
            and model is not None
            and model.absences_seen >= opts.model_min_absences
            and share >= opts.model_away_share
            and all(
                (
                    model.empty_ratio(e) >= opts.model_empty_ratio
                    and at_least(*model.empty_count(e, t0, t1)) >= opts.pet_rate_p
                )
                or model.empty_odds(e, t0, t1) >= math.log(opts.model_empty_odds)
                for e in _active_inside(t0 + slack, t1 - slack, blks, starts, doors)
            )
        )
        if (
            share is not None
            and model is not None
            and model.absences_seen >= opts.model_min_absences
            and share < opts.model_home_away_share
            and spans_night(t0, t1, tz)
            and model.share(t0, t1, ASLEEP) >= opts.model_home_asleep_share
            and pet_rate is not None
            and at_least(moves(t0 + slack, t1 - slack), pet_rate * (t1 - t0) / 3600)
            < opts.pet_rate_p
        ):
            continue
        if not trusted and not _nobody_between(
            t0, t1, blks, starts, doors, opts, pets, pet_rate, night_areas, watched, stray,
            pet_fills_rooms,
        ):
            continue
        if _walked_to_door(t1, motion_starts, opts) and not (
            pets and _pet_waiting(t1, door_motion, inside, pets, opts, opts.ghost_clear_min * 60)
        ):
            continue  # motion inside just before the door: someone leaving, so someone was home
        if _came_in(t0, motion_starts, opts) or (
            pets
            and _pet_waiting(t0, door_motion, motion_starts, pets, opts, opts.arrival_motion_s)
        ):
            continue  # nobody (but the pet) by the door, someone walked in from it: an arrival
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
                    "doors": sorted({s.entity_id for s in (*leave, *back)}),
                    **({} if share is None else {"model_away": share}),
                },
            )
        )
        found.append(k)
    if persons >= 2:
        return out
    return _one_way(out, found, clusters, blks, starts, doors, opts)


def _one_way(
    absences: list[Episode],
    gaps: list[int],
    clusters: Sequence[Sequence[Signal]],
    blks: Sequence[Block],
    starts: list[float],
    doors: set[str],
    opts: AwayOptions,
) -> list[Episode]:
    """In a home of one resident (see ``AwayOptions.one_resident_max_odd``) each passage is
    someone going out or coming back, in turn: a door-framed silence an even number of
    passages after someone was last active inside is that person back home and unseen (on
    the sofa with no sensor), not an absence. ``gaps``: the gap between passages (``k``:
    between ``clusters[k]`` and ``clusters[k + 1]``) of each absence."""
    if len(absences) < 2:
        return absences
    slack = opts.door_slack_min * 60
    # A passage is told by the door opening once; a gap too short for an absence with nobody
    # active may be someone stepping out and back (the post, the bins): either leaves the
    # count of passages unknown.
    counted = [sum(1 for s in c if s.opens) == 1 for c in clusters]
    last: list[int | None] = []  # per gap, the last gap before it with someone active inside
    odd = sequences = 0
    prev: int | None = None
    for k in range(len(clusters) - 1):
        last.append(prev)
        t0 = clusters[k][-1].t
        t1 = clusters[k + 1][0].t
        if not _active_inside(t0 + slack, t1 - slack, blks, starts, doors):
            if t1 - t0 < opts.min_away_min * 60:
                counted[k + 1] = False
            continue
        if prev is not None and all(counted[prev + 1 : k + 1]):
            sequences += 1
            odd += (k - prev) % 2
        prev = k
    if sequences < opts.one_resident_min_sequences or odd > opts.one_resident_max_odd * sequences:
        return absences
    out = []
    for ep, k in zip(absences, gaps, strict=True):
        a = last[k]
        if a is not None and (k - a) % 2 == 0 and all(counted[a + 1 : k + 1]):
            continue  # back home, not out again
        out.append(ep)
    return out


def quietest_windows(
    blks: Sequence[Block],
    tz: tzinfo,
    opts: AwayOptions,
    hours: int = 6,
    roles: AreaRoles | None = None,
) -> list[tuple[float, float]]:
    """The home's quietest ``hours`` of the night, as one window per day of data: the core of
    its nights, found without knowing when anyone sleeps.

    Quietest = fewest activity blocks over all days on the local clock, for windows starting
    between 21:00 and 03:00 (the quietest hours of the whole day may be an empty home at noon).
    Brief motion-only blips are not counted: they may be the very pet being looked for; nor is
    motion in the bedroom alone (with ``roles``): a sleeper turning over in view of its sensor
    all night must not push the window into the morning."""
    if not blks:
        return []
    per_hour = [0] * 24
    for blk in blks:
        motion = all(s.kind == "hold" and s.device_class == "motion" for s in blk.signals)
        if motion and (
            blk.end - blk.start <= opts.max_blip_min * 60
            or (roles is not None and all(roles.role(s.area) == BEDROOM for s in blk.signals))
        ):
            continue
        per_hour[datetime.fromtimestamp(blk.start, tz).hour] += 1
    start = min(
        (0, 1, 23, 2, 22, 3, 21),  # ties go to the window nearest the middle of most nights
        key=lambda h: sum(per_hour[(h + k) % 24] for k in range(hours)),
    )
    first = datetime.fromtimestamp(blks[0].start, tz).date()
    last = datetime.fromtimestamp(blks[-1].end, tz).date()
    out: list[tuple[float, float]] = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        t0 = datetime.combine(day, time(start), tz).timestamp()
        t1 = t0 + hours * 3600
        if blks[0].start <= t0 and t1 <= blks[-1].end:
            out.append((t0, t1))
    return out


def pet_fills_rooms(
    nights: Sequence[tuple[float, float]],
    blks: Sequence[Block],
    pets: frozenset[str],
    opts: AwayOptions,
) -> bool | None:
    """Whether the pet trips several motion sensors of a room together (a room with two or
    three ceiling PIRs sees a cat crossing it with most of them), learned from its brief
    blips in the core of the home's nights, in its rooms that have several sensors; None
    when it made fewer than ``pet_fill_min_blips`` there. A pet seen by one sensor at a time
    (or PIRs that trip by themselves, learned as a pet) leaves two sensors of one room at once
    to a person."""
    sensors: dict[str, set[str]] = {}
    for blk in blks:
        for s in blk.signals:
            if s.area in pets and s.kind == "hold" and s.device_class == "motion":
                sensors.setdefault(s.area, set()).add(s.entity_id)
    crowded = {a for a, ids in sensors.items() if len(ids) > 1}
    if not crowded:
        return None
    starts = [b.start for b in blks]
    seen = together = 0
    for n0, n1 in nights:
        a = n0 + opts.pet_night_head * (n1 - n0)
        b = n1 - opts.pet_night_tail * (n1 - n0)
        for blk in blks[bisect.bisect_left(starts, a) : bisect.bisect_left(starts, b)]:
            areas = {s.area for s in blk.signals}
            if blk.end > b or not _pet_blip(blk, opts) or len(areas) != 1 or not areas <= crowded:
                continue
            seen += 1
            together += len({s.entity_id for s in blk.signals}) > 1
    if seen < opts.pet_fill_min_blips:
        return None
    return together >= opts.pet_fill_share * seen


def pet_rate(
    windows: Sequence[tuple[float, float]],
    blks: Sequence[Block],
    roles: AreaRoles,
    opts: AwayOptions,
) -> float | None:
    """How many brief motion blips an hour the pet (or a noisy sensor) makes while everyone
    sleeps, over the same window cores :func:`pet_areas` looks at; None with too few."""
    windows = [(a, b) for a, b in windows if b - a <= opts.pet_max_night_h * 3600]
    if len(windows) < opts.pet_min_nights_seen:
        return None
    edge = opts.min_away_min * 60
    starts = [b.start for b in blks]
    count, hours = 0, 0.0
    for n0, n1 in windows:
        lo_t = n0 + max(edge, opts.pet_night_head * (n1 - n0))
        hi_t = n1 - max(edge, opts.pet_night_tail * (n1 - n0))
        hours += (hi_t - lo_t) / 3600
        spans = [
            (b.start, b.end)
            for b in blks[bisect.bisect_left(starts, lo_t) : bisect.bisect_left(starts, hi_t)]
            if b.end <= hi_t
            and b.end - b.start <= opts.max_blip_min * 60
            and all(s.kind == "hold" and s.device_class == "motion" for s in b.signals)
            and all(roles.role(s.area) not in (BATHROOM, BEDROOM) for s in b.signals)
        ]
        count += _clusters(spans, opts.max_blip_min * 60)
    return count / hours if hours > 0 else None


def _got_up(sig: Signal, roles: AreaRoles, still: frozenset[str]) -> bool:
    """``sig`` says someone is out of bed: the bathroom, or the bedroom's door or motion (not
    a bed sensor, nor a motion sensor in ``still`` that sees the sleeper turn over)."""
    role = roles.role(sig.area)
    if role == BATHROOM:
        return True
    return (
        role == BEDROOM
        and sig.entity_id not in still
        and (sig.kind == "contact" or (sig.kind == "hold" and sig.device_class == "motion"))
    )


def pet_areas(
    nights: Sequence[tuple[float, float]],
    blks: Sequence[Block],
    roles: AreaRoles,
    opts: AwayOptions,
    still: frozenset[str] = frozenset(),
) -> frozenset[str] | None:
    """Areas a pet roams, learned from the home's own nights; None when there are too few nights.

    While everyone sleeps, brief motion-only blips away from the bedroom and bathroom (whose
    visits are people getting up) and in the core of the night (not its first 30 % or last
    15 %: people going to bed late or getting up early) and not within ``min_away_min`` of a
    bedroom/bathroom visit (a trip through the hallway) are the pet. An area counts once it
    saw such blips on ``pet_area_min_nights`` nights: a person's one trip to the kitchen for
    water does not make it a pet area. A home whose nights are still (no pet) learns no area,
    so motion during an absence always means someone is home. Blips between two getting-up
    visits (see ``_got_up``, with another sensor within ``pet_visit_pair_s``; ``still``:
    bedroom sensors that see a sleeper turn over) at most
    ``pet_spell_min`` each side are someone up in the night, not the pet.
    """
    # A "night" longer than anyone sleeps swallowed a day of someone's activity: no witness.
    nights = [(a, b) for a, b in nights if b - a <= opts.pet_max_night_h * 3600]
    if len(nights) < opts.pet_min_nights_seen:
        return None
    edge = opts.min_away_min * 60
    spell = opts.pet_spell_min * 60
    starts = [b.start for b in blks]
    seen: dict[str, set[int]] = {}
    night_rooms = (BATHROOM, BEDROOM)
    pair = opts.pet_visit_pair_s
    visits = [
        b
        for k, b in enumerate(blks)
        if any(_got_up(s, roles, still) for s in b.signals)
        and (
            len({s.entity_id for s in b.signals}) > 1
            or (k > 0 and b.start - blks[k - 1].end <= pair)
            or (k + 1 < len(blks) and blks[k + 1].start - b.end <= pair)
        )
    ]
    visit_starts = [b.start for b in visits]
    # An area whose name says nothing may be someone's bedroom, unless the bedroom is itself
    # learned from where the nights start and end (a home whose areas all say nothing).
    people_rooms = roles.night_roles()

    def in_spell(blk: Block) -> bool:
        """Someone got up before ``blk`` and went back after it, both within a spell."""
        k = bisect.bisect_left(visit_starts, blk.start)
        return (
            k > 0
            and visits[k - 1].end >= blk.start - spell
            and k < len(visits)
            and visits[k].start <= blk.end + spell
        )

    for k, (n0, n1) in enumerate(nights):
        # The core of the night: a household's night starts when its first person goes to bed,
        # and the last one up (working late in the study) must not teach us a pet lives there.
        head = n0 + opts.pet_night_head * (n1 - n0)
        up = [
            b.end + opts.pet_after_up_min * 60
            for b in blks[bisect.bisect_left(starts, n0) : bisect.bisect_left(starts, head)]
            if not _pet_blip(b, opts) or len({s.entity_id for s in b.signals}) > 1
        ]
        lo_t = max([n0 + edge, *up])
        hi_t = n1 - max(edge, opts.pet_night_tail * (n1 - n0))
        lo = bisect.bisect_left(starts, lo_t)
        hi = bisect.bisect_left(starts, hi_t)
        for j in range(lo, hi):
            blk = blks[j]
            if blk.end > hi_t or blk.end - blk.start > opts.max_blip_min * 60:
                continue
            # Part of a trip to the bathroom (through the hallway): a person, not the pet.
            near = [
                b
                for b in blks[max(0, j - 3) : j + 4]
                if b.start - edge <= blk.end and blk.start <= b.end + edge
            ]
            if any(roles.role(s.area) in night_rooms for b in near for s in b.signals):
                continue
            if in_spell(blk):
                continue
            if not all(s.kind == "hold" and s.device_class == "motion" for s in blk.signals):
                continue
            for sig in blk.signals:
                if sig.area and roles.role(sig.area) not in people_rooms:
                    seen.setdefault(sig.area, set()).add(k)
    return frozenset(a for a, ks in seen.items() if len(ks) >= opts.pet_area_min_nights)
