"""``sleep`` episodes: the main night sleep of the home, and of each person with a bed sensor.

Bedtime is the start of the main in-bed (or quiet) period, wake the end of it. ``find_sleep``
is the entry point; it also learns what the nights teach (the usual wake-up and bedtime, the
bedroom sensors that see the bed, whether mornings start in the bedroom).

* With a bed sensor (beds.py: an occupancy/presence binary sensor in a bedroom, e.g. a pressure
  mat, or any occupancy sensor that is held on for hours at night): in-bed intervals are joined
  across short interruptions (toilet trips, a glass of water) and the longest block of each
  night wins. A mat held "on" all night is simply one long interval.
* Without one, or on the nights it did not see: the nights silence tells (quiet_nights.py).
  Confidence rises when the bedroom framed the silence.

A "night" is identified by the local date 14 hours before the block's midpoint, so a sleep from
23:00 to 07:00 and one from 03:00 to 12:30 both belong to the evening before, an afternoon nap
competes with (and loses to) the night before or after it rather than creating a second one, and
a night-shift worker's day sleeps (midpoints around noon) fall on one date each.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta, tzinfo

from ..models import ActivityEvent, Episode
from .areas import BATHROOM, BEDROOM, AreaRoles
from .beds import bed_method, bed_sensors, bed_sleep, sole_sleeper_dark, two_sleepers
from .circular import minute_of_day, robust_center
from .nights import (
    NightBlock,
    SleepOptions,
    night_of,
)
from .noise import (
    plausible_noise,
    stray_counts,
    strip_stray,
)
from .presence import Block, Signal, Silence, epoch, silences
from .quiet_nights import quiet_sleep
from .sensors import SensorProfile


def _episode(
    blk: NightBlock,
    tz: tzinfo,
    *,
    scope: str,
    method: str,
    confidence: float,
    extra: dict[str, object] | None = None,
) -> Episode:
    gaps = [(b0 - a1) for (_, a1), (b0, _) in zip(blk.pieces, blk.pieces[1:], strict=False)]
    detail: dict[str, object] = {
        "scope": scope,
        "method": method,
        "night": night_of(blk.start, blk.end, tz).isoformat(),
        "interruptions": len(gaps),
        "interrupted_min": round(sum(gaps) / 60, 1),
        "duration_h": round((blk.end - blk.start) / 3600, 2),
    }
    if blk.entity:
        detail["entities"] = [blk.entity]
    detail.update(extra or {})
    return Episode(
        kind="sleep",
        start=datetime.fromtimestamp(blk.start, tz),
        end=datetime.fromtimestamp(blk.end, tz),
        area=blk.area,
        actor=blk.actor,
        confidence=round(confidence, 3),
        detail=detail,
        evidence=blk.evidence[:200],
    )


def usual_wake(nights: Sequence[Episode], tz: tzinfo, opts: SleepOptions) -> float | None:
    """The home's usual wake-up (local minute of day): the circular mean of its nights' ends,
    the odd early or late morning left out; None with too few nights."""
    wakes = [
        minute_of_day(e.end, tz)
        for e in nights
        if e.kind == "sleep" and e.detail.get("scope") == "home"
    ]
    if len(wakes) < opts.usual_wake_min_nights:
        return None
    center = robust_center(wakes)[0]
    return None if math.isnan(center) else center


def usual_bed(nights: Sequence[Episode], tz: tzinfo, opts: SleepOptions) -> float | None:
    """The home's usual bedtime (local minute of day), as :func:`usual_wake` for the starts."""
    beds = [
        minute_of_day(e.start, tz)
        for e in nights
        if e.kind == "sleep" and e.detail.get("scope") == "home"
    ]
    if len(beds) < opts.usual_wake_min_nights:
        return None
    center = robust_center(beds)[0]
    return None if math.isnan(center) else center


def watching_beds(
    windows: Sequence[tuple[float, float]],
    blocks: Sequence[Block],
    roles: AreaRoles,
    tz: tzinfo,
    opts: SleepOptions,
) -> frozenset[str] | None:
    """Bedroom motion sensors that see the bed, learned from the core of the home's nights
    (``windows``, see away.quietest_windows): on at least ``watching_night_share`` of them they
    trip by themselves (bedroom motion and nothing else around it, on briefly), at least
    ``watching_min_rate_h`` times an hour and ``watching_night_ratio`` times as often as in
    the daytime (10:00-18:00). Their brief trips in the night are a sleeper turning over, not
    someone up. A bedroom sensor that sees only the door is quiet all night and keeps saying
    someone got up; one that trips by itself at any hour (sunlight, a draught, the cat) is
    noise, read as such (noise.py). None: too few nights to tell."""
    if len(windows) < opts.usual_wake_min_nights:
        return None
    first = datetime.fromtimestamp(windows[0][0], tz).date()
    days = [
        (
            datetime.combine(first + timedelta(days=k), time(10), tz).timestamp(),
            datetime.combine(first + timedelta(days=k), time(18), tz).timestamp(),
        )
        for k in range(-1, len(windows) + 1)
    ]
    night, nights = _lone_bedroom_trips(windows, blocks, roles, opts)
    day, _ = _lone_bedroom_trips(days, blocks, roles, opts)
    night_h = sum(b - a for a, b in windows) / 3600
    day_h = sum(b - a for a, b in days) / 3600
    return frozenset(
        e
        for e, n in nights.items()
        if n >= opts.watching_night_share * len(windows)
        and night[e] / night_h >= opts.watching_min_rate_h
        and night[e] / night_h >= opts.watching_night_ratio * day[e] / day_h
    )


def _lone_bedroom_trips(
    spans: Sequence[tuple[float, float]],
    blocks: Sequence[Block],
    roles: AreaRoles,
    opts: SleepOptions,
) -> tuple[Counter[str], Counter[str]]:
    """Per bedroom motion sensor, its brief trips with nothing else switching around them
    in ``spans``, and in how many of the spans it tripped so."""
    starts = [b.start for b in blocks]
    trips: Counter[str] = Counter()
    seen_in: Counter[str] = Counter()
    turn_s = opts.max_turn_min * 60

    def bedroom_motion(sig: Signal) -> bool:
        motion = sig.kind == "hold" and sig.device_class == "motion"
        return motion and roles.role(sig.area) == BEDROOM

    for w0, w1 in spans:
        seen: set[str] = set()
        lo = max(0, bisect.bisect_left(starts, w0) - 1)
        for blk in blocks[lo : bisect.bisect_left(starts, w1)]:
            # A bed held all night joins everything into one block: judge each trip on its own,
            # with nothing else (but a bed held for hours) switching around it.
            sigs = [
                s
                for s in blk.signals
                if w0 <= s.t < w1
                and not (s.kind == "hold" and s.device_class != "motion" and s.end - s.t > 3600)
            ]
            for s in sigs:
                if not bedroom_motion(s) or s.end - s.t > turn_s:
                    continue
                if any(
                    not bedroom_motion(o) and o.t - 120 <= s.end and s.t <= o.end + 120
                    for o in sigs
                ):
                    continue
                seen.add(s.entity_id)
                trips[s.entity_id] += 1
        seen_in.update(seen)
    return trips, seen_in


def bedroom_evenings(
    nights: Sequence[Episode], roles: AreaRoles, opts: SleepOptions
) -> bool | None:
    """Whether the home's nights start in the bedroom (the last activity before most quiet
    nights is there, a bedroom door or motion): then a night entered from elsewhere before the
    usual bedtime was the evening. None with too few nights."""
    lasts = [
        roles.role(e.detail.get("last_area"))
        for e in nights
        if e.kind == "sleep" and e.detail.get("method") == "quiet"
    ]
    if len(lasts) < opts.usual_wake_min_nights:
        return None
    return sum(r == BEDROOM for r in lasts) >= opts.bedroom_morning_share * len(lasts)


def bedroom_mornings(
    nights: Sequence[Episode], roles: AreaRoles, opts: SleepOptions
) -> bool | None:
    """Whether the home's mornings start in the bedroom (the first activity after most quiet
    nights is there): then the bedroom is seen at bedtime too. None with too few nights."""
    firsts = [
        roles.role(e.detail.get("first_area"))
        for e in nights
        if e.kind == "sleep" and e.detail.get("method") == "quiet"
    ]
    if len(firsts) < opts.usual_wake_min_nights:
        return None
    return sum(r == BEDROOM for r in firsts) >= opts.bedroom_morning_share * len(firsts)


def quiet_confidence(blk: NightBlock, last_role: str | None, first_role: str | None) -> float:
    """Without a bed sensor, the bedroom (or bathroom) framing the silence makes sleep likelier."""
    conf = 0.5
    if last_role == BEDROOM or first_role == BEDROOM:
        conf = 0.75
    elif BATHROOM in (last_role, first_role):
        conf = 0.6
    hours = (blk.end - blk.start) / 3600
    return min(0.9, conf + 0.02 * max(0.0, hours - 5))


def find_sleep(
    events: Sequence[ActivityEvent],
    quiet: Sequence[Silence],
    blocks: Sequence[Block],
    roles: AreaRoles,
    tz: tzinfo,
    opts: SleepOptions,
    *,
    away: Sequence[tuple[float, float]] = (),
    known_beds: frozenset[str] = frozenset(),
    pets: frozenset[str] | None = None,
    wake: float | None = None,
    profiles: Mapping[str, SensorProfile] | None = None,
    noisy: Mapping[str, float] | None = None,
    bedroom_only: bool = False,
    bedroom_evenings: bool = False,
    pet_rate: float | None = None,
    quiet_min_s: float = 600.0,
    asleep: Callable[[float, float], float] | None = None,
    bed: float | None = None,
    watching: frozenset[str] = frozenset(),
) -> list[Episode]:
    """Sleep episodes: per bed (scope person/bed) when there are several beds, and one per night
    for the home (scope home): with several beds, the time everyone with a bed sensor was in bed
    (last to bed -> first up), falling back to the longest sleeper when those do not overlap.
    Beds that rarely hold a night together (one sleeper's two sides, a guest bed) are not two
    sleepers: the home's night is then their longest block."""
    beds = bed_sensors(events, tz, roles, opts, known_beds, profiles, blocks)
    data_end = max((epoch(e) for e in events), default=0.0)
    unseen: dict[date, NightBlock] = {}
    max_interruption = opts.max_quiet_interruption_min * 60
    per_bed = bed_sleep(beds, tz, opts, data_end, profiles, blocks, unseen, roles)
    sleepers = two_sleepers(per_bed, opts)
    out: list[Episode] = []
    nights: dict[date, list[NightBlock]] = {}
    for per_night in per_bed.values():
        for night, blk in per_night.items():
            nights.setdefault(night, []).append(blk)
            if len(per_bed) > 1:
                scope = "person" if blk.actor else "bed"
                method, seen = bed_method(blk)
                out.append(
                    _episode(blk, tz, scope=scope, method=method, confidence=0.9, extra=seen)
                )
                out.extend(_rest_of_night(blk, data_end, tz, opts, scope, "bed", 0.8))
    home: dict[date, NightBlock] = {}
    for night, blks in nights.items():
        start, end = max(b.start for b in blks), min(b.end for b in blks)
        if len(blks) == 1:
            home[night] = blks[0]
        elif not sleepers:
            home[night] = max(blks, key=lambda b: b.end - b.start)
        elif end - start >= opts.min_sleep_h * 3600:
            areas = {b.area for b in blks}
            actors = {b.actor for b in blks}
            home[night] = NightBlock(
                start,
                end,
                [(start, end)],
                [i for b in blks for i in b.evidence],
                None,
                areas.pop() if len(areas) == 1 else None,
                actors.pop() if len(actors) == 1 else None,
            )
        else:
            home[night] = max(blks, key=lambda b: b.end - b.start)
        method, seen = bed_method(home[night])
        out.append(
            _episode(
                home[night],
                tz,
                scope="home",
                method=method,
                confidence=0.9 if len(blks) == 1 else 0.85,
                extra={"beds": len(blks), **seen},
            )
        )
        out.extend(_rest_of_night(home[night], data_end, tz, opts, "home", "bed", 0.8))
    for night, resumed in unseen.items():
        # A bed that came back in the night (see bed_sleep) saw the rest of it; the home's
        # silence until it came back saw the bedtime.
        before = _silence_before(quiet, resumed.start, max_interruption)
        if night in home or before is None or before.duration < opts.min_quiet_piece_min * 60:
            continue
        blk = NightBlock(
            before.start,
            resumed.end,
            [(before.start, before.end), (resumed.start, resumed.end)],
            [i for i in (before.before.last.event_id,) if i is not None] + resumed.evidence,
            resumed.entity,
            resumed.area,
            resumed.actor,
        )
        home[night] = blk
        extra: dict[str, object] = {"last_area": before.before.last.area, "bed_came_back": True}
        if len(per_bed) > 1:
            scope = "person" if blk.actor else "bed"
            out.append(_episode(blk, tz, scope=scope, method="quiet", confidence=0.7, extra=extra))
        out.append(_episode(blk, tz, scope="home", method="quiet", confidence=0.75, extra=extra))
    covered = [(b.start, b.end) for b in home.values()]
    covered += [(b.resumed.start, b.resumed.end) for b in home.values() if b.resumed]
    # A "bed" that never held a night (a bedroom occupancy sensor that times out while the
    # sleeper lies still) is no witness: fall back to quiet nights then.
    witnesses = any(per_bed.values())
    if witnesses and not opts.quiet_with_bed:
        out.sort(key=lambda e: e.start)
        return out

    def nights_in(quiet: Sequence[Silence], blocks: Sequence[Block]) -> dict[date, NightBlock]:
        return quiet_sleep(
            quiet,
            blocks,
            roles,
            tz,
            opts,
            exclude=[*away, *covered],
            pets=pets,
            usual_wake=wake,
            noisy=noisy,
            bedroom_only=bedroom_only,
            bedroom_evenings=bedroom_evenings,
            pet_rate=pet_rate,
            usual_bed=bed,
            watching=watching,
            model_asleep=asleep,
        )

    quiet_nights = nights_in(quiet, blocks)
    if noisy:
        # The nights again with every stray pulse of a noisy sensor left out: by chance a few
        # of them cluster on some nights (three in twenty minutes) and split the night there.
        # A night so found stands where its pulses are, together, as likely as noise.
        kept, stray = strip_stray(blocks, noisy)
        if stray:
            clean = nights_in(silences(kept, quiet_min_s), kept)
            long_s = opts.max_quiet_interruption_min * 60
            _prefer_denoised(quiet_nights, clean, stray, noisy, asleep, long_s)
            # Every night keeps the stray pulses inside it as its evidence, however found.
            for blk in quiet_nights.values():
                if not blk.noise_pulses:
                    blk.noise_pulses = stray_counts(stray, blk.start, blk.end)
    # One sleeper's beds all offline through a night (a flat battery, a lost link): the home's
    # night is theirs too, where their beds' own nights are listed per person.
    sole = sole_sleeper_dark(beds) if len(per_bed) > 1 else None
    for night, blk in quiet_nights.items():
        if night in home or data_end - blk.end <= opts.max_quiet_interruption_min * 60:
            continue  # a bed said otherwise, or the night may not be over
        if blk.framed_by is not None:
            last_area, first_area = blk.framed_by[0].last.area, blk.framed_by[1].first.area
        else:
            last_area = gap_area(quiet, blk.start, before=True)
            first_area = gap_area(quiet, blk.end, before=False)
        conf = quiet_confidence(blk, roles.role(last_area), roles.role(first_area))
        if witnesses:
            conf -= 0.15  # a bed sensor exists and said nothing: likelier a dropout or a guest bed
        framed: dict[str, object] = {"last_area": last_area, "first_area": first_area}
        if blk.noise_pulses:
            framed["noise_pulses"] = dict(blk.noise_pulses)
        out.append(_episode(blk, tz, scope="home", method="quiet", confidence=conf, extra=framed))
        out.extend(_rest_of_night(blk, data_end, tz, opts, "home", "quiet", conf - 0.1))
        if sole is not None and all(
            any(a <= blk.start and blk.end <= b for a, b in spans) for spans in sole[1]
        ):
            rest = None if blk.resumed is None else replace(blk.resumed, actor=sole[0])
            theirs = replace(blk, actor=sole[0], resumed=rest)
            extra = {**framed, "beds_offline": True}
            out.append(
                _episode(theirs, tz, scope="person", method="quiet", confidence=conf, extra=extra)
            )
            out.extend(_rest_of_night(theirs, data_end, tz, opts, "person", "quiet", conf - 0.1))
    out.sort(key=lambda e: e.start)
    return out


def _rest_of_night(
    blk: NightBlock,
    data_end: float,
    tz: tzinfo,
    opts: SleepOptions,
    scope: str,
    method: str,
    confidence: float,
) -> list[Episode]:
    """The sleep ``blk``'s night went back to after a sleepless spell, if any and over."""
    rest = blk.resumed
    if rest is None or data_end - rest.end <= opts.max_interruption_min * 60:
        return []
    up = round((rest.start - blk.end) / 60, 1)
    extra: dict[str, object] = {"back_to_bed": True, "up_min": up}
    if rest.framed_by is not None:
        extra["last_area"] = rest.framed_by[0].last.area
        extra["first_area"] = rest.framed_by[1].first.area
    return [_episode(rest, tz, scope=scope, method=method, confidence=confidence, extra=extra)]


def _prefer_denoised(
    nights: dict[date, NightBlock],
    clean: Mapping[date, NightBlock],
    stray: Sequence[Block],
    noisy: Mapping[str, float],
    asleep: Callable[[float, float], float] | None,
    long_s: float,
) -> None:
    """Take each night found without stray pulses (``clean``) over the one found with them
    where those pulses are plausible noise: over the whole night, and over each stretch it adds
    to the night found with them (the evening it starts earlier, the morning it ends later),
    so pulses that crowd the evening (someone still up, tripping the living room's sensor) keep
    the later bedtime. A stretch added that is longer than ``long_s`` must also be mostly
    "asleep" to the home model (``asleep``: its share of a span, when fitted): a person
    sitting still in the evening trips one sensor now and then, as noise would, but at the
    hours this home is up."""

    def noise_only(a: float, b: float, added: bool) -> bool:
        return plausible_noise(stray_counts(stray, a, b), b - a, noisy, family=True) and (
            not added or asleep is None or b - a <= long_s or asleep(a, b) >= 0.5
        )

    for night, blk in clean.items():
        old = nights.get(night)
        if old is None:
            if noise_only(blk.start, blk.end, False):
                blk.noise_pulses = stray_counts(stray, blk.start, blk.end)
                nights[night] = blk
            continue
        if blk.start > old.start or blk.end < old.end:
            continue  # not the same night grown: the one found with every pulse stands
        # Edges moved by less than an interruption stay: the pulse that frames a silence is
        # someone going to bed or getting up, even from a noisy sensor.
        start = blk.start if old.start - blk.start > long_s else old.start
        end = blk.end if blk.end - old.end > long_s else old.end
        if (start, end) == (old.start, old.end):
            continue
        added = [(a, b) for a, b in ((start, old.start), (old.end, end)) if b > a]
        if not noise_only(start, end, False) or not all(noise_only(a, b, True) for a, b in added):
            continue
        pieces = [
            (max(a, start), min(b, end)) for a, b in blk.pieces if min(b, end) > max(a, start)
        ]
        grown = NightBlock(
            start,
            end,
            pieces,
            list(dict.fromkeys([*old.evidence, *blk.evidence])),
            area=blk.area if start < old.start else old.area,
            by_day=old.by_day,
        )
        grown.noise_pulses = stray_counts(stray, start, end)
        nights[night] = grown


def _silence_before(quiet: Sequence[Silence], t: float, slack: float) -> Silence | None:
    """The silence that ended at most ``slack`` before ``t`` (or just after it)."""
    i = bisect.bisect_right(quiet, t + slack, key=lambda g: g.end) - 1
    return quiet[i] if i >= 0 and quiet[i].end >= t - slack else None


def gap_area(quiet: Sequence[Silence], t: float, *, before: bool) -> str | None:
    """Area of the last activity before (or first after) the silence edge at ``t``."""
    for gap in quiet:
        if before and gap.start == t:
            return gap.before.last.area
        if not before and gap.end == t:
            return gap.after.first.area
    return None
