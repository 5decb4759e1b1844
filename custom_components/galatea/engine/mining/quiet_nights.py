"""Nights from silence: the longest night-centred quiet of every presence sensor.

Joined across short bathroom/bedroom visits once someone was seen going to bed (before that,
such a visit *is* going to bed), and across brief motion-only blips (pets). An isolated pulse
(one motion sensor tripping once, silence on both sides, in an area known to be neither bedroom
nor bathroom) is a pet at any point of the night, even before anyone was seen going to bed (a
cat following its owner to bed), and does not delay bedtime either. A burst of such blips
interrupts the night only for the time the sensors were on, not for the cat's pauses between
rooms. Someone "went to bed" when the bedroom/bathroom was used in the last minutes before the
silence, looking past lights switched off after it. A trip may cross the hallway or kitchen
(motion only there) and may be followed by short lulls: only when less than a sleep cycle of
quiet follows the last trip in all is that trip the wake-up. ``quiet_sleep`` is the entry point
(sleep.find_sleep calls it).
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import date, tzinfo

from .areas import BATHROOM, BEDROOM, AreaRoles
from .circular import signed_diff
from .nights import (
    NightBlock,
    SleepOptions,
    back_to_bed,
    in_window,
    local_hour,
    longest_per_night,
    up_elsewhere,
)
from .noise import (
    at_least,
    burst_pulses,
    merge_counts,
    noise_burst,
    plausible_noise,
)
from .presence import Block, Signal, Silence


def _isolated_pulse(burst: Sequence[Block], opts: SleepOptions) -> bool:
    """One motion sensor tripping once, briefly, with nothing else around it (the silences on
    both sides frame it): what a pet crossing a room looks like. A person still up moves on to
    another room, switches something or trips the sensor again before the next silence."""
    if len(burst) != 1 or len({s.entity_id for s in burst[0].signals}) != 1:
        return False
    blk = burst[0]
    # The sensor's trip shows up as its opening point plus its on->off interval.
    return (
        len([s for s in blk.signals if s.end > s.t]) <= 1
        and all(s.kind == "hold" and s.device_class == "motion" for s in blk.signals)
        and blk.end - blk.start <= opts.max_blip_min * 60
    )



def _lone_trigger(
    blocks: Sequence[Block], starts: list[float], blk: Block, opts: SleepOptions
) -> bool:
    """``blk`` is one sensor tripping once with quiet of ``min_quiet_piece_min`` before and
    after it: a noisy sensor or a pet, not someone going to bed or getting up."""
    if not _isolated_pulse([blk], opts):
        return False
    i = bisect.bisect_left(starts, blk.start)
    while i < len(blocks) and blocks[i] is not blk:
        i += 1
    quiet = opts.min_quiet_piece_min * 60
    before = i == 0 or blk.start - blocks[i - 1].end >= quiet
    after = i + 1 >= len(blocks) or blocks[i + 1].start - blk.end >= quiet
    return before and after



def _is_pet_pulse(
    burst: Sequence[Block],
    roles: AreaRoles,
    opts: SleepOptions,
    pets: frozenset[str] | None = None,
) -> bool:
    """An isolated motion pulse in an area known to be neither bedroom nor bathroom (those are
    people getting up; an area of unknown role may be someone's bedroom) and, once learned,
    where the pet roams at night (``pets``): in a home whose nights are still, a lone pulse in
    the living room is someone sitting there."""
    if not _isolated_pulse(burst, opts):
        return False
    area = burst[0].signals[0].area
    if pets is not None:
        return area in pets  # learned away from the bedroom and bathroom (away.pet_areas)
    return roles.role(area) not in roles.night_roles()



def _burst(blocks: Sequence[Block], starts: list[float], t0: float, t1: float) -> list[Block]:
    """Activity blocks between two silences (``starts``: the blocks' start times)."""
    lo = bisect.bisect_left(starts, t0)
    hi = bisect.bisect_right(starts, t1)
    return [b for b in blocks[lo:hi] if b.end <= t1]



def _busy_s(
    burst: Sequence[Block],
    t0: float,
    t1: float,
    roles: AreaRoles,
    opts: SleepOptions,
    in_bed: bool = False,
    watching: frozenset[str] = frozenset(),
) -> float:
    """How long the interruption between two silences kept someone up: its whole span, except
    when it is nothing but brief motion-only blips in areas known to be neither bedroom nor
    bathroom (a pet wandering about), where only the time the sensors were on counts: a cat's
    pauses between rooms are not someone awake. Once someone is in bed (``in_bed``), a sleeper
    turning over in view of one of ``watching`` (:func:`_turning_over`) is no time up at all."""
    if not burst:
        return t1 - t0
    if in_bed and watching:
        # Turning over is sleep, before getting up and after lying down again too.
        up = [k for k, blk in enumerate(burst) if not _turning_over(blk, watching, opts)]
        if not up:
            return 0.0
        if up[0] > 0 or up[-1] < len(burst) - 1:
            inner = burst[up[0] : up[-1] + 1]
            a = t0 if up[0] == 0 else inner[0].start
            b = t1 if up[-1] == len(burst) - 1 else inner[-1].end
            return _busy_s(inner, a, b, roles, opts)
    if not all(_pet_blip(blk, roles, opts) for blk in burst):
        return t1 - t0
    return sum(blk.end - blk.start for blk in burst)



def _into_bed(
    blocks: Sequence[Block], starts: list[float], first: Silence, watching: frozenset[str],
    opts: SleepOptions,
) -> tuple[float, Block]:
    """When the night's first silence follows brief motion in the bedroom alone, and before
    that more of it, a lull shorter than a silence apart: the sleeper was in bed from the first
    of them (a sensor that sees the bed trips as they settle and turn over)."""
    i = bisect.bisect_left(starts, first.before.start)
    if i >= len(blocks) or blocks[i] is not first.before:
        return first.start, first.before
    t = first.start
    lull = opts.min_quiet_piece_min * 60
    while (
        i > 0
        and _turning_over(blocks[i], watching, opts)
        and _turning_over(blocks[i - 1], watching, opts)
        and blocks[i].start - blocks[i - 1].end < lull
    ):
        i -= 1
        t = blocks[i].end
    return t, blocks[i]



def _out_of_bed(
    blocks: Sequence[Block], starts: list[float], last: Silence, watching: frozenset[str],
    opts: SleepOptions,
) -> tuple[float, Block]:
    """The night's last silence ended in a sleeper turning over, followed by more of it a lull
    shorter than a silence apart: they got up with the last of those (lying awake in bed
    before getting up is still the night)."""
    i = bisect.bisect_left(starts, last.after.start)
    if i >= len(blocks) or blocks[i] is not last.after:
        return last.end, last.after
    t = last.end
    lull = opts.min_quiet_piece_min * 60
    while (
        i + 1 < len(blocks)
        and _turning_over(blocks[i], watching, opts)
        and _turning_over(blocks[i + 1], watching, opts)
        and blocks[i + 1].start - blocks[i].end < lull
    ):
        i += 1
        t = blocks[i].start
    return t, blocks[i]



def _turning_over(blk: Block, watching: frozenset[str], opts: SleepOptions) -> bool:
    """Motion of bedroom sensors that see the bed (``watching``, see :func:`watching_beds`)
    alone, on for a few minutes at most: a sleeper (or two) turning over in view of them. A
    person up moves on to the bathroom, a light or another room, or keeps the sensor on
    (dressing, tidying)."""
    on_s = sum(s.end - s.t for s in blk.signals)
    return on_s <= opts.max_turn_min * 60 and all(
        s.kind == "hold" and s.device_class == "motion" and s.entity_id in watching
        for s in blk.signals
    )



def _sleep_compatible(
    burst: Sequence[Block],
    roles: AreaRoles,
    opts: SleepOptions,
    *,
    blips: bool,
    pets: frozenset[str] | None = None,
) -> tuple[bool, bool]:
    """(compatible, someone got up): activity that does not end a night is a bathroom/bedroom
    visit (someone got up), an isolated motion pulse (a pet) or, when ``blips``, brief
    motion-only blips elsewhere (a pet, once someone was seen going to bed).

    With the pet's areas learned (``pets``), blips elsewhere are a person still up (the last
    one to bed, in the study) unless the same burst visits the bedroom/bathroom (a trip for a
    glass of water); a home with no pet learns no area, so there any motion is a person."""
    if _is_pet_pulse(burst, roles, opts, pets):
        return True, False
    got_up = False
    night = {BATHROOM, BEDROOM}
    trip = any({roles.role(s.area) for s in blk.signals} & night for blk in burst)
    for blk in burst:
        blk_roles = {roles.role(s.area) for s in blk.signals}
        if blk_roles <= night:
            got_up = True
            continue
        # A trip to the bathroom through the hallway or kitchen (or with the cat moving there
        # meanwhile): bedroom/bathroom activity plus nothing but motion in known areas.
        if (
            blk_roles & night
            and not (None in blk_roles and roles.unknown_may_be_bedroom())
            and all(
                s.kind == "hold" and s.device_class == "motion"
                for s in blk.signals
                if roles.role(s.area) not in night
            )
        ):
            got_up = True
            continue
        motion_only = all(s.kind == "hold" and s.device_class == "motion" for s in blk.signals)
        # An area of unknown role may be someone's bedroom: motion there is someone up.
        unknown = roles.unknown_may_be_bedroom() and any(
            roles.role(s.area) is None for s in blk.signals
        )
        if not blips or not motion_only or unknown or blk.end - blk.start > opts.max_blip_min * 60:
            return False, got_up
        if pets is not None and not trip and any(s.area not in pets for s in blk.signals):
            return False, got_up
    return True, got_up



def _left_bed(burst: Sequence[Block], roles: AreaRoles, noise: Mapping[str, float]) -> bool:
    """Someone surely got out of bed: the bathroom, a door, a light or an appliance (motion in
    the bedroom alone may be a sleeper turning over, or the cat; a sensor that trips by itself
    is nobody)."""
    return any(
        (roles.role(s.area) == BATHROOM or s.kind in ("contact", "control", "appliance"))
        and s.entity_id not in noise
        for blk in burst
        for s in blk.signals
    )



def _elsewhere(burst: Sequence[Block], roles: AreaRoles) -> int:
    """How many of ``burst``'s blocks lie outside the bedroom and bathroom."""
    night = {BATHROOM, BEDROOM}
    return sum(1 for blk in burst if not {roles.role(s.area) for s in blk.signals} & night)



def _in_pet_areas(blk: Block, pets: frozenset[str]) -> bool:
    return all(s.area in pets for s in blk.signals)



def _pet_blip(blk: Block, roles: AreaRoles, opts: SleepOptions) -> bool:
    """A brief motion-only block in areas known to be neither bedroom nor bathroom."""
    return (
        blk.end - blk.start <= opts.max_blip_min * 60
        and all(s.kind == "hold" and s.device_class == "motion" for s in blk.signals)
        and not {roles.role(s.area) for s in blk.signals} & roles.night_roles()
    )



def _went_to_bed(
    blocks: Sequence[Block],
    starts: list[float],
    before: Block,
    roles: AreaRoles,
    opts: SleepOptions,
    pets: frozenset[str] | None = None,
    noisy: Mapping[str, float] | None = None,
    bedroom_only: bool = False,
) -> bool:
    """The people's activity just before a silence ended in the bedroom/bathroom: someone went
    to bed. With ``bedroom_only`` (the home's mornings start in the bedroom, see
    :func:`bedroom_mornings`) only the bedroom counts: a bathroom visit is the evening.

    Not only the very last signal: a bedroom light switched off while a motion sensor's
    cool-down elsewhere outlasts it still means going to bed (any bedroom/bathroom signal in the
    last ``max_blip_min`` of the block counts), and lights switched off after it (the last one
    up putting the living room to sleep) are skipped, looking back at most
    ``max_quiet_interruption_min``, and so is a device with no area (a phone's screen going
    off in bed says nothing of where). Motion elsewhere after it is skipped only where the pet is
    known to roam at night (``pets``): otherwise a person still up looks like a pet. Each pet
    blip skipped lets the look-back go on from it (the cat's rounds after bedtime), up to
    ``max_settle_lookback_min`` in all. Pulses of noisy sensors (``noisy``, see noise.py) are
    skipped like the pet's."""
    i = bisect.bisect_right(starts, before.start) - 1
    while i >= 0 and blocks[i] is not before:
        i -= 1
    window = opts.max_quiet_interruption_min * 60
    floor = before.end - opts.max_settle_lookback_min * 60
    limit = before.end - window
    bed_roles = (BEDROOM,) if bedroom_only else (BATHROOM, BEDROOM)
    while i >= 0 and blocks[i].end >= limit:
        blk = blocks[i]
        horizon = blk.end - opts.max_blip_min * 60
        if any(s.end >= horizon and roles.role(s.area) in bed_roles for s in blk.signals):
            return True
        pet = (pets is not None and _pet_blip(blk, roles, opts) and _in_pet_areas(blk, pets)) or (
            bool(noisy) and noise_burst([blk], noisy or {})
        )
        unplaced = all(s.area is None and s.kind in ("appliance", "media") for s in blk.signals)
        if (
            not pet
            and not unplaced
            and not all(s.kind == "control" and not s.opens for s in blk.signals)
        ):
            return False
        if pet:
            limit = max(floor, min(limit, blk.start - window))
        i -= 1
    return False



def quiet_sleep(
    quiet: Sequence[Silence],
    blocks: Sequence[Block],
    roles: AreaRoles,
    tz: tzinfo,
    opts: SleepOptions,
    *,
    exclude: Sequence[tuple[float, float]] = (),
    pets: frozenset[str] | None = None,
    usual_wake: float | None = None,
    noisy: Mapping[str, float] | None = None,
    bedroom_only: bool = False,
    pet_rate: float | None = None,
    usual_bed: float | None = None,
    watching: frozenset[str] = frozenset(),
    bedroom_evenings: bool = False,
    model_asleep: Callable[[float, float], float] | None = None,
) -> dict[date, NightBlock]:
    """Longest night-centred quiet stretch per night: silences joined across short visits to the
    bathroom/bedroom and brief motion blips, starting with a silence of ``min_quiet_piece_min``.
    ``pets``: the areas a pet roams at night, once learned (None: unknown); ``usual_wake``: the
    home's usual wake-up, local minute of day (see :func:`usual_wake`); ``noisy``: sensors that
    trip by themselves at night (noise.py), whose few short pulses neither end a night nor
    start one; ``bedroom_only``: only the bedroom says someone went to bed (see
    :func:`bedroom_mornings`); ``pet_rate``: the pet's blips an hour at night (away.pet_rate);
    ``usual_bed``: the home's usual bedtime, local minute of day (see :func:`usual_bed`);
    ``watching``: bedroom motion sensors that see the bed (:func:`watching_beds`), whose brief
    trips once someone is in bed are a sleeper turning over; ``bedroom_evenings``: the home's
    nights start in the bedroom (sleep.bedroom_evenings), see :func:`_bedroom_bedtime`;
    ``model_asleep``: the home model's share of "asleep" over a span, once fitted (see
    :func:`_model_edge`)."""
    noise = noisy or {}
    pieces = [g for g in quiet if not any(g.start < b and a < g.end for a, b in exclude)]
    joined: list[list[Silence]] = []
    max_burst = opts.max_quiet_interruption_min * 60
    starts = [b.start for b in blocks]
    # Motion blips elsewhere could be a pet or a person still up. Once the bedroom/bathroom was
    # the last place used (someone went to bed) they are a pet; homes without sensors there
    # cannot tell, and tolerate them throughout.
    has_night_rooms = bool(roles.areas_with(BEDROOM) | roles.areas_with(BATHROOM))
    bedroom_seen = bool(roles.areas_with(BEDROOM))
    settled: list[bool] = []
    after_trip: list[list[bool]] = []
    # Per run, the noise pulses skipped before each of its silences: together they must still
    # be as likely as noise over the run (a quiet evening's pulses, each alone plausible, are
    # a person once they add up).
    skipped: list[list[dict[str, int]]] = []
    # Per run, the blips tolerated elsewhere in the home: they too must add up to a pet.
    blips_in: list[int] = []
    # ... and when they came, for the hour just before each new interruption.
    blip_times: list[list[tuple[float, int]]] = []
    # ... and the lone false triggers let pass (see below).
    lone_in: list[int] = []
    local_s = opts.pet_local_window_min * 60
    rate = pet_rate or 0.0
    floor = max(min(rate * opts.pet_night_factor, opts.pet_min_rate), opts.pet_min_night_rate)
    blip_rate = max(rate, floor) / 3600
    min_piece_s = opts.min_quiet_piece_min * 60
    # How long the quiet from each piece on lasts, through a sleeper turning over.
    quiet_to = [g.end for g in pieces]
    for k in range(len(pieces) - 2, -1, -1):
        a, b = pieces[k], pieces[k + 1]
        between = _burst(blocks, starts, a.end, b.start)
        if (
            between
            and all(_turning_over(blk, watching, opts) for blk in between)
            and _busy_s(between, a.end, b.start, roles, opts, True, watching) <= max_burst
        ):
            quiet_to[k] = quiet_to[k + 1]
    for k, gap in enumerate(pieces):
        if joined:
            prev = joined[-1][-1]
            between = _burst(blocks, starts, prev.end, gap.start)
            counts = (
                burst_pulses(between, noise)
                if gap.start - prev.end <= max_burst and noise_burst(between, noise)
                else None
            )
            if counts is not None and plausible_noise(
                merge_counts(*skipped[-1], counts), gap.start - joined[-1][0].start, noise
            ):
                joined[-1].append(gap)
                after_trip[-1].append(False)
                skipped[-1].append(counts)
                continue
            blips = settled[-1] or not has_night_rooms
            # Hours of unbroken quiet just before: a bathroom visit now is a toilet trip in the
            # night even when nobody was seen going to bed (no sensor in the bedroom; where the
            # bedroom sees the mornings it sees bedtime too, and quiet before it is the evening).
            # Only night-centred quiet: a silent day (out with no entrance sensor) is no sleep.
            # Not where the visit ends in the bedroom it did not start from, and a whole night's
            # quiet follows: that was going to bed, and the quiet before it the evening.
            asleep = (
                not bedroom_only
                and prev.duration >= opts.min_sleep_h * 3600
                and in_window(local_hour((prev.start + prev.end) / 2, tz), opts.quiet_mid_window)
                and not (
                    _into_bedroom(between, roles)
                    and quiet_to[k] - gap.start >= opts.min_sleep_h * 3600
                )
            )
            in_bed = settled[-1] or asleep
            if (
                in_bed
                and between
                and all(_turning_over(blk, watching, opts) for blk in between)
                and _busy_s(between, prev.end, gap.start, roles, opts, in_bed, watching)
                <= max_burst
            ):
                # A sleeper turning over: the silence goes on through it.
                joined[-1][-1] = Silence(prev.start, gap.end, prev.before, gap.after)
                continue
            ok, got_up = _sleep_compatible(between, roles, opts, blips=blips, pets=pets)
            elsewhere = 0 if got_up else _elsewhere(between, roles)
            if elsewhere and (
                at_least(blips_in[-1] + elsewhere, blip_rate * (gap.start - joined[-1][0].start))
                < opts.pet_rate_p
                or at_least(
                    elsewhere + sum(k for t, k in blip_times[-1] if t >= gap.start - local_s),
                    blip_rate * local_s,
                )
                < opts.pet_local_p
            ):
                ok = False
            lone = 0
            if (
                not ok
                and in_bed
                and bedroom_seen
                and _between_bed_and_wake(prev.end, tz, usual_bed, usual_wake)
                and (
                    (
                        prev.duration >= min_piece_s
                        and gap.duration >= min_piece_s
                        and _isolated_pulse(between, opts)
                        and roles.role(between[0].signals[0].area)
                        not in (None, BEDROOM, BATHROOM)
                    )
                    or (
                        settled[-1]
                        and model_asleep is not None
                        and all(_pet_blip(blk, roles, opts) for blk in between)
                        and model_asleep(prev.start, gap.end) >= opts.model_sure
                        and model_asleep(between[0].start, between[-1].end) >= opts.model_sure
                    )
                )
                and at_least(
                    lone_in[-1] + len(between),
                    opts.lone_trigger_rate * (gap.start - joined[-1][0].start) / 3600,
                )
                >= opts.pet_rate_p
            ):
                # One sensor tripping once between the home's usual bedtime and wake-up, half an
                # hour of quiet either side, in a room known to be neither bedroom nor bathroom,
                # in a home that sees its bedroom (someone getting up passes through it; a room
                # of unknown role may be a bedroom): a false trigger (or a pet not learned yet),
                # while they stay as rare as one. Closer together, brief blips elsewhere after
                # someone was seen going to bed are false triggers too where the home model
                # (every sensor's rates at night, the home's rhythm) is sure the home slept
                # through them, as rare as lone ones.
                ok, lone = True, len(between)
            # A bedroom/bathroom visit interrupts a night only once someone was seen going to
            # bed; before that it is going to bed, and the night starts after it. After a trip
            # only a real silence is more sleep, unless a sleep cycle of quiet came before it
            # (the night was established: a short lull, a pet, then more silence is still the
            # night); whether the quiet after the last trip is the morning is decided below.
            slept = sum(g.duration for g in joined[-1]) >= opts.min_back_to_sleep_min * 60
            if (
                ok
                and _busy_s(between, prev.end, gap.start, roles, opts, in_bed, watching)
                <= max_burst
                and (not got_up or quiet_to[k] - gap.start >= min_piece_s or slept)
                and (not got_up or settled[-1] or not has_night_rooms or asleep)
                # Where the bedroom is seen (bedroom_only), back to sleep in the morning is seen
                # there too: a trip around the usual wake-up that ends elsewhere was getting up.
                and (
                    not got_up
                    or not bedroom_only
                    or _before_usual_wake(prev.end, tz, opts, usual_wake)
                    or _went_to_bed(blocks, starts, gap.before, roles, opts, pets, noise, True)
                )
                # Up elsewhere after less than a first sleep cycle of quiet, then into the
                # bedroom for a whole night: that was going to bed, the quiet before it the
                # evening (a visit to the bathroom, then the living room again).
                and not (
                    got_up
                    and sum(g.duration for g in joined[-1]) < opts.first_cycle_min * 60
                    and _into_bedroom(between, roles)
                    and not {roles.role(s.area) for s in between[0].signals} & {BATHROOM, BEDROOM}
                    and quiet_to[k] - gap.start >= opts.min_sleep_h * 3600
                )
            ):
                joined[-1].append(gap)
                after_trip[-1].append(got_up)
                skipped[-1].append({})
                settled[-1] = settled[-1] or got_up
                blips_in[-1] += elsewhere - lone
                lone_in[-1] += lone
                if elsewhere - lone:
                    blip_times[-1].append((gap.start, elsewhere - lone))
                continue
        joined.append([gap])
        after_trip.append([False])
        skipped.append([{}])
        blips_in.append(0)
        blip_times.append([])
        lone_in.append(0)
        settled.append(
            _went_to_bed(blocks, starts, gap.before, roles, opts, pets, noise, bedroom_only)
        )
    for run, trips, noise_in in zip(joined, after_trip, skipped, strict=True):
        # After the last trip, less than a sleep cycle of quiet in all (its lulls joined across
        # pet blips) is the morning, not more sleep: the trip was the wake-up.
        while len(run) > 1:
            last_trip = max(k for k, trip in enumerate(trips) if trip or k == 0)
            if last_trip == 0:
                break
            after = sum(g.duration for g in run[last_trip:])
            # ... and nobody sleeps on for half a day: a trip followed by a longer quiet than
            # any night lasts was getting up, and the home went empty unseen.
            too_long = run[-1].end - run[0].start > opts.max_sleep_h * 3600
            if too_long and _a_night(run[last_trip].start, run[-1].end, tz, opts):
                # ... unless what follows the last trip is a whole night by itself: then the
                # quiet before the first trip was a silent evening (television in a room with
                # no sensor, the bathroom visited now and then), not sleep.
                first_trip = min(k for k, trip in enumerate(trips) if trip and k > 0)
                del run[:first_trip]
                del trips[:first_trip]
                del noise_in[:first_trip]
                trips[0] = False
                continue
            if not too_long and (
                after >= _back_to_sleep_s(run[last_trip].start, tz, opts, usual_wake)
                or _lay_down_again(run[last_trip:], roles, opts)
                # ... or the home model is sure the home slept on through the trip and the
                # quiet after it, a first sleep cycle at least (a cat crossing from the bed to
                # the living room at 07:30, then an hour of silence in every room).
                or (
                    model_asleep is not None
                    and after >= opts.first_cycle_min * 60
                    and model_asleep(run[last_trip - 1].end, run[-1].end) >= opts.model_sure
                )
            ):
                break
            del run[last_trip:]
            del trips[last_trip:]
            del noise_in[last_trip:]
    out: list[NightBlock] = []
    shorter: list[NightBlock] = []  # maybe back in bed after a sleepless spell (_back_in_bed)
    min_piece = opts.min_quiet_piece_min * 60
    for run, noise_in, trips in zip(joined, skipped, after_trip, strict=True):
        # Bedtime is the first real silence: short lulls before it are the evening winding down.
        first_long = next((k for k, g in enumerate(run) if g.duration >= min_piece), None)
        if first_long is None:
            continue
        # ... unless only a pet or noise interrupted them: the lull before an isolated pulse
        # is the night already (noise only while all the noise from there on is plausible).
        while first_long > 0:
            burst = _burst(blocks, starts, run[first_long - 1].end, run[first_long].start)
            if not _is_pet_pulse(burst, roles, opts, pets):
                counts = burst_pulses(burst, noise) if noise_burst(burst, noise) else None
                if counts is None or not plausible_noise(
                    merge_counts(*noise_in[first_long + 1 :], counts),
                    run[-1].end - run[first_long - 1].start,
                    noise,
                ):
                    break
            first_long -= 1
        first_long = _after_evening_visits(
            run, trips, first_long, blocks, starts, roles, opts, noise
        )
        gaps = run[first_long:]
        later = _bedroom_bedtime(
            gaps,
            trips[first_long:],
            blocks,
            starts,
            roles,
            tz,
            opts,
            usual_bed,
            pets,
            noise,
            bedroom_evenings,
        )
        gaps = gaps[later:]
        if model_asleep is not None:
            # The home model's view of the night's edges, where its blips passed one by one:
            # not where the bedroom was the last place used (a false trigger after it is no
            # evening); looking past blips to a bedroom, those may be someone still up.
            if not _went_to_bed(blocks, starts, gaps[0].before, roles, opts, None, None, True):
                evening = _model_edge(
                    gaps, model_asleep, opts, blocks, starts, roles, morning=False
                )
                later += evening
                gaps = gaps[evening:]
            woke = _model_edge(gaps, model_asleep, opts, blocks, starts, roles, morning=True)
            gaps = gaps[: woke + 1]
        start, before = _into_bed(blocks, starts, gaps[0], watching, opts)
        end, up = _out_of_bed(blocks, starts, gaps[-1], watching, opts)
        if end - start < opts.min_sleep_h * 3600:
            if _back_in_bed(start, end, before, tz, opts, roles, usual_wake):
                ids = [i for i in (before.last.event_id, up.first.event_id) if i is not None]
                rest = NightBlock(start, end, [(g.start, g.end) for g in gaps], ids)
                rest.framed_by = (before, up)
                shorter.append(rest)
            continue
        by_day = not in_window(local_hour((start + end) / 2, tz), opts.quiet_mid_window)
        if by_day:
            kept = _day_sleep(
                gaps, trips[first_long + later :], blocks, starts, roles, opts, pets
            )
            if kept is None:
                continue
            gaps = list(kept)
            end, up = gaps[-1].end, gaps[-1].after
        last = before.last
        first = up.first
        evidence = [i for i in (last.event_id, first.event_id) if i is not None]
        blk = NightBlock(start, end, [(g.start, g.end) for g in gaps], evidence, by_day=by_day)
        blk.area = last.area if roles.role(last.area) == BEDROOM else None
        blk.framed_by = (before, up)
        if not by_day and _back_in_bed(start, end, before, tz, opts, roles, usual_wake):
            blk.back_in_bed = True
        out.append(blk)
    # Only a rest too short for a night: a longer one that is not the night's longest may be
    # the night after an evening dozing on the couch, which silence cannot tell from a sleep
    # (on van Kasteren C it moved the weekday wake-up routine 3 -> 28 min from the labels).
    nights = longest_per_night(out, tz)
    if has_night_rooms:
        _evening_first(nights, out, roles, opts)
    chosen = {id(b) for b in nights.values()}
    shorter += [b for b in out if id(b) not in chosen and b.back_in_bed]
    awake = functools.partial(
        up_elsewhere, blocks=blocks, starts=starts, roles=roles, opts=opts
    )
    back_to_bed(nights, shorter, tz, opts, awake)
    for blk in nights.values():
        _split_spell(blk, blocks, starts, roles, opts, pets or frozenset(), noise)
    return nights



def _split_spell(
    blk: NightBlock,
    blocks: Sequence[Block],
    starts: list[float],
    roles: AreaRoles,
    opts: SleepOptions,
    pets: frozenset[str] = frozenset(),
    noise: Mapping[str, float] | None = None,
) -> None:
    """Split a quiet night at a sleepless spell its silences were joined across: someone seen
    leaving the bedroom (motion there, then elsewhere), up for at least ``spell_split_min``
    with no sign in the bedroom and some outside the bedroom and bathroom (the kitchen, the
    sofa), then seen coming back (motion in the bedroom again). Leaving and coming back are
    walking: another room within ``spell_walk_s``. The pet's blips where it roams and noisy
    sensors' pulses (``pets``, ``noise``) are nobody. Each toilet trip or glass of water on
    its own joins the night; together they were an hour awake. The rest of the night becomes
    ``resumed`` when both sleeps last ``min_back_to_bed_min``."""
    if blk.by_day or blk.resumed is not None or len(blk.pieces) < 2:
        return
    pieces = blk.pieces
    bursts = [_burst(blocks, starts, a[1], b[0]) for a, b in itertools.pairwise(pieces)]

    def in_bedroom(sig: Signal) -> bool:
        motion = sig.kind == "hold" and sig.device_class == "motion"
        return motion and roles.role(sig.area) == BEDROOM

    def signals(burst: Sequence[Block]) -> list[Signal]:
        return sorted((s for b in burst for s in b.signals), key=lambda s: s.t)

    noisy = noise or {}
    seq = [
        (k, sig)
        for k, burst in enumerate(bursts)
        for sig in signals(burst)
        if sig.entity_id not in noisy
        and not (sig.area in pets and sig.kind == "hold" and sig.device_class == "motion")
    ]
    walk = opts.spell_walk_s
    least = opts.min_back_to_bed_min * 60
    out = 0
    while out < len(seq) - 2:
        k, left = seq[out]
        back = next(
            (r for r in range(out + 1, len(seq)) if roles.role(seq[r][1].area) == BEDROOM), None
        )
        if back is None:
            return
        between = [sig for _, sig in seq[out + 1 : back]]
        j, came = seq[back]
        if (
            in_bedroom(left)
            and in_bedroom(came)
            and between
            and between[0].t - left.t <= walk
            and came.t - between[-1].t <= walk
            and any(roles.role(sig.area) not in (BEDROOM, BATHROOM) for sig in between)
            and came.t - left.t >= opts.spell_split_min * 60
        ):
            first_end, rest_start = pieces[k][1], pieces[j + 1][0]
            if first_end - blk.start >= least and blk.end - rest_start >= least:
                rest = NightBlock(
                    rest_start,
                    blk.end,
                    pieces[j + 1 :],
                    [i for i in (bursts[j][-1].last.event_id, *blk.evidence[-1:]) if i is not None],
                    area=blk.area,
                )
                if blk.framed_by is not None:
                    rest.framed_by = (bursts[j][-1], blk.framed_by[1])
                    blk.framed_by = (blk.framed_by[0], bursts[k][0])
                blk.end, blk.pieces, blk.resumed = first_end, pieces[: k + 1], rest
                return
        out = back



def _into_bedroom(burst: Sequence[Block], roles: AreaRoles) -> bool:
    """The burst ends in the bedroom and did not start there: someone went (back) to bed."""
    return (
        bool(burst)
        and roles.role(burst[-1].last.area) == BEDROOM
        and roles.role(burst[0].first.area) != BEDROOM
    )



def _entered_from_bed_rooms(blk: NightBlock, roles: AreaRoles) -> bool | None:
    """Whether the quiet began after the bedroom or bathroom was used (None: unknown)."""
    if blk.framed_by is None:
        return None
    return roles.role(blk.framed_by[0].last.area) in (BEDROOM, BATHROOM)



def _evening_first(
    nights: dict[date, NightBlock],
    blocks: Sequence[NightBlock],
    roles: AreaRoles,
    opts: SleepOptions,
) -> None:
    """A whole night entered from the bedroom or bathroom, at most ``max_spell_min`` after a
    longer quiet that was entered from elsewhere (the kitchen, the living room): that quiet
    was the evening, dozing on the couch, and the night is the later one."""
    spell = opts.max_spell_min * 60
    for key, night in nights.items():
        if night.by_day or _entered_from_bed_rooms(night, roles) is not False:
            continue
        later = [
            b
            for b in blocks
            if not b.by_day
            and 0 < b.start - night.end <= spell
            and _entered_from_bed_rooms(b, roles)
        ]
        if later:
            nights[key] = later[0]



def _back_in_bed(
    start: float,
    end: float,
    before: Block,
    tz: tzinfo,
    opts: SleepOptions,
    roles: AreaRoles,
    usual_wake: float | None,
) -> bool:
    """A silence too short for a night is the rest of one after a sleepless spell only where
    silence alone can tell it from a quiet morning: it begins two hours or more before the
    home's usual wake-up and ends within two hours of it, and whoever went quiet was last seen
    in a bedroom or bathroom (going back to bed)."""
    if usual_wake is None or end - start < opts.min_back_to_bed_min * 60:
        return False
    if roles.role(before.last.area) not in (BEDROOM, BATHROOM):
        return False
    lead = signed_diff(local_hour(start, tz) * 60, usual_wake)
    return lead <= -120 and abs(signed_diff(local_hour(end, tz) * 60, usual_wake)) <= 120



def _day_sleep(
    gaps: Sequence[Silence],
    trips: Sequence[bool],
    blocks: Sequence[Block],
    starts: list[float],
    roles: AreaRoles,
    opts: SleepOptions,
    pets: frozenset[str] | None,
) -> Sequence[Silence] | None:
    """The quiet of a sleep by day (after a night shift), or None: only when the bedroom says
    so on both sides, with someone up and about around it (not a lone trigger): an empty home
    whose door went unseen is quiet by day too, and a noisy sensor may trip anywhere. Where
    the quiet goes on after a visit to the bathroom or bedroom (someone up and silent in a
    room with no sensor all afternoon), the sleep ends at the first such visit after
    ``min_day_sleep_h``, unless they lay down again after it (:func:`_lay_down_again`)."""
    if not _went_to_bed(blocks, starts, gaps[0].before, roles, opts, pets) or _lone_trigger(
        blocks, starts, gaps[0].before, opts
    ):
        return None
    for k in range(1, len(gaps) + 1):
        if k < len(gaps) and not trips[k]:
            continue  # the sleep may end only where someone got up
        if k < len(gaps) and _lay_down_again(gaps[k : k + 1], roles, opts):
            continue  # ... and lay down again (the bedroom seen at both ends of the quiet)
        kept = gaps[:k]
        if kept[-1].end - kept[0].start < opts.min_day_sleep_h * 3600:
            continue
        if roles.role(kept[-1].after.first.area) in (BEDROOM, BATHROOM) and not _lone_trigger(
            blocks, starts, kept[-1].after, opts
        ):
            return kept
    return None



def _after_evening_visits(
    run: Sequence[Silence],
    trips: Sequence[bool],
    first: int,
    blocks: Sequence[Block],
    starts: list[float],
    roles: AreaRoles,
    opts: SleepOptions,
    noise: Mapping[str, float],
) -> int:
    """Index of the silence the night starts with, from ``first`` on: past a series of
    ``evening_visits`` or more lulls, each shorter than a first sleep cycle
    (``first_cycle_min``) and ended by someone surely out of bed (the bathroom, a door, a
    light): the evening going on between rooms with no sensor, not a night of toilet trips.
    One such lull stays the night (a last visit to the toilet soon after going to bed)."""
    k, short = first, 0
    cycle = opts.first_cycle_min * 60
    while True:
        nxt = next((j for j in range(k + 1, len(run)) if trips[j]), None)
        if nxt is None or run[nxt - 1].end - run[k].start >= cycle:
            # The lulls must end in a first sleep cycle of quiet (not more of the same all
            # night: a bathroom sensor that trips by itself).
            return k if short >= opts.evening_visits else first
        if not _left_bed(_burst(blocks, starts, run[nxt - 1].end, run[nxt].start), roles, noise):
            return first
        if run[-1].end - run[nxt].start < opts.min_sleep_h * 3600:
            return first
        k, short = nxt, short + 1



def _bedroom_bedtime(
    gaps: Sequence[Silence],
    trips: Sequence[bool],
    blocks: Sequence[Block],
    starts: list[float],
    roles: AreaRoles,
    tz: tzinfo,
    opts: SleepOptions,
    usual_bed: float | None,
    pets: frozenset[str] | None,
    noise: Mapping[str, float],
    evenings: bool = False,
) -> int:
    """Index of the silence the night really starts with: 0, unless it started far before the
    home's usual bedtime with nobody seen going into the bedroom, and a trip that ends in the
    bedroom near the usual bedtime comes later (see ``SleepOptions.early_evening_min``). In a
    home whose nights start in the bedroom (``evenings``), any start before the usual bedtime
    not seen there is the evening: the bedroom would have seen them go to bed."""
    if usual_bed is None or len(gaps) < 2:
        return 0
    early = 0.0 if evenings else opts.early_evening_min
    if signed_diff(local_hour(gaps[0].start, tz) * 60, usual_bed) >= -early:
        return 0
    if _went_to_bed(blocks, starts, gaps[0].before, roles, opts, pets, noise, True):
        return 0
    for k in range(1, len(gaps)):
        if gaps[-1].end - gaps[k].start < opts.min_sleep_h * 3600:
            break
        near = abs(signed_diff(local_hour(gaps[k].start, tz) * 60, usual_bed))
        if (
            trips[k]
            and near <= opts.bedtime_window_min
            and _went_to_bed(blocks, starts, gaps[k].before, roles, opts, pets, noise, True)
        ):
            return k
    return 0



def _model_edge(
    gaps: Sequence[Silence],
    asleep: Callable[[float, float], float],
    opts: SleepOptions,
    blocks: Sequence[Block],
    starts: list[float],
    roles: AreaRoles,
    *,
    morning: bool,
) -> int:
    """Index of the silence the night starts with (ends with, ``morning``) by the home model.

    Silence lets a quiet evening's blips (a morning's) pass one by one for a pet or a false
    trigger; the model, fitted on the home's own weeks, weighs every sensor's rates and the
    home's rhythm together. The night starts (ends) at the silence of at least
    ``min_quiet_piece_min`` that leaves out the most time the model gives to "up" minus the
    time it gives to "asleep", if over ``model_evening_min``, where the model is sure
    (``model_sure``) the home slept through what is kept and a whole night's sleep is kept. A
    model that cannot tell up from asleep (a home of door contacts, whose posterior stays near
    one half) moves nothing. An evening is left out only past motion outside the bedroom and
    bathroom (a visit there and back to bed soon after going to bed is a toilet trip, at
    whatever hour the home is often still up); a morning only where it starts with someone
    leaving bed (:func:`_up_and_about`)."""

    def allowed(k: int) -> bool:
        if not morning:
            return _motion_elsewhere(_burst(blocks, starts, gaps[0].end, gaps[k].start), roles)
        first = _burst(blocks, starts, gaps[k].end, gaps[k + 1].start)
        return _up_and_about(first, _burst(blocks, starts, gaps[k].end, gaps[-1].end), roles)

    last = len(gaps) - 1
    best = last if morning else 0
    gain, balance = opts.model_evening_min * 60, 0.0
    for k in range(last - 1, -1, -1) if morning else range(1, last + 1):
        kept = (gaps[0].start, gaps[k].end) if morning else (gaps[k].start, gaps[-1].end)
        if kept[1] - kept[0] < opts.min_sleep_h * 3600:
            break
        a, b = (gaps[k].end, gaps[k + 1].end) if morning else (gaps[k - 1].start, gaps[k].start)
        balance += (1.0 - 2.0 * asleep(a, b)) * (b - a)
        if (
            balance > gain
            and gaps[k].duration >= opts.min_quiet_piece_min * 60
            and asleep(*kept) >= opts.model_sure
            and allowed(k)
        ):
            best, gain = k, balance
    return best


def _up_and_about(first: Sequence[Block], rest: Sequence[Block], roles: AreaRoles) -> bool:
    """Someone left bed and stayed up: the activity after a night's silence (``first``) starts
    in the bedroom (in the bathroom where no sensor sees a bedroom) and does not end back in
    the bedroom, and motion elsewhere follows (in ``rest``, all the activity from there to
    the night's end). A trip back to bed late in the morning is more sleep, and a blip
    elsewhere first, or in the bathroom where the bedroom would have seen someone get up, may
    be the pet or a false trigger, whatever the hour makes the home model expect."""
    night = (BATHROOM, BEDROOM)
    out_of = (BEDROOM,) if roles.areas_with(BEDROOM) else night
    if not first or not any(roles.role(s.area) in out_of for s in first[0].signals):
        return False
    if roles.role(first[-1].last.area) == BEDROOM:
        return False
    return _motion_elsewhere(rest, roles)


def _motion_elsewhere(burst: Sequence[Block], roles: AreaRoles) -> bool:
    """Motion in ``burst`` outside the bedroom and bathroom."""
    return any(
        roles.role(s.area) not in (BATHROOM, BEDROOM)
        and s.kind == "hold"
        and s.device_class == "motion"
        for blk in burst
        for s in blk.signals
    )


def _between_bed_and_wake(
    t: float, tz: tzinfo, usual_bed: float | None, usual_wake: float | None
) -> bool:
    """``t`` lies between the home's usual bedtime and its usual wake-up (both known)."""
    if usual_bed is None or usual_wake is None:
        return False
    minute = local_hour(t, tz) * 60
    return signed_diff(minute, usual_bed) >= 0 and signed_diff(minute, usual_wake) < 0


def _before_usual_wake(t: float, tz: tzinfo, opts: SleepOptions, usual_wake: float | None) -> bool:
    """``t`` lies well before the home's usual wake-up (unknown: assume so)."""
    if usual_wake is None:
        return True
    return signed_diff(local_hour(t, tz) * 60, usual_wake) < -opts.early_trip_margin_min



def _lay_down_again(after: Sequence[Silence], roles: AreaRoles, opts: SleepOptions) -> bool:
    """The quiet after a trip is more sleep, however near the morning: one silence of at least
    ``back_in_bed_min`` from motion in the bedroom to motion in the bedroom (a toilet trip at
    06:25, back in bed, up at 07:10). Nobody dresses there unseen that long, and reading
    quietly until eight happens elsewhere: there the morning starts outside the bedroom."""
    if len(after) != 1 or after[0].duration < opts.back_in_bed_min * 60:
        return False
    last, first = after[0].before.last, after[0].after.first
    # Seen moving in the bedroom at both ends. A bedroom door may be closed from the hall on
    # the way out, long after someone left the room through it; but then motion inside comes
    # only after the door opened again. Closed, then motion inside first: closed from inside.
    return _moving_in_bedroom(first, roles) and (
        _moving_in_bedroom(last, roles)
        or (last.kind == "contact" and not last.opens and roles.role(last.area) == BEDROOM)
    )


def _moving_in_bedroom(s: Signal, roles: AreaRoles) -> bool:
    return roles.role(s.area) == BEDROOM and s.kind == "hold" and s.device_class == "motion"



def _a_night(start: float, end: float, tz: tzinfo, opts: SleepOptions) -> bool:
    """Quiet from ``start`` to ``end`` is a night's sleep by itself: long enough and centred at
    night (an empty home by day is centred at midday)."""
    return end - start >= opts.min_sleep_h * 3600 and in_window(
        local_hour((start + end) / 2, tz), opts.quiet_mid_window
    )



def _back_to_sleep_s(
    trip_end: float, tz: tzinfo, opts: SleepOptions, usual_wake: float | None
) -> float:
    """Quiet needed after a night-time trip for it to be more sleep rather than the morning."""
    if usual_wake is not None:
        local = local_hour(trip_end, tz) * 60
        if signed_diff(local, usual_wake) < -opts.early_trip_margin_min:
            return opts.min_back_to_sleep_early_min * 60
    return opts.min_back_to_sleep_min * 60
