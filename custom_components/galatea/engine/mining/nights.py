"""What a night is, whoever saw it: the night's date, its blocks of sleep and how they join.

Shared by the bed sensors' nights (beds.py) and the nights found from silence
(quiet_nights.py). A "night" is identified by the local date ``NIGHT_OFFSET_H`` hours before
the block's midpoint (see sleep.py).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo

from ..models import ActivityEvent
from .areas import AreaRoles
from .presence import Block

# Hours before a sleep's midpoint whose local date names its night (see the module docstring).
NIGHT_OFFSET_H = 14


@dataclass(frozen=True, slots=True)
class SleepOptions:
    """Thresholds with the reasoning behind each default."""

    # Shorter rest is a nap; adult night sleep is rarely under 3 h even when fragmented.
    min_sleep_h: float = 3.0
    # ... but back in bed after a sleepless spell (up in the small hours for up to
    # ``max_spell_min``: tea in the kitchen, a book in the living room) the rest of the night is
    # a sleep of its own however short, from ``min_back_to_bed_min`` (from silence alone only
    # well before the usual wake-up: a quiet morning after getting up looks the same).
    max_spell_min: float = 150.0
    min_back_to_bed_min: float = 60.0
    # Out of bed this long or less and back in: a toilet trip or a glass of water, same night.
    max_interruption_min: float = 45.0
    # From silence: out of the bedroom this long, somewhere past the bathroom, and back, is a
    # sleepless spell however its trips were joined (see _split_spell).
    spell_split_min: float = 30.0
    # ... leaving and coming back walking: the next room within this many seconds.
    spell_walk_s: float = 300.0
    # Without a bed sensor, quiet spells are joined across visits this short to bathroom/bedroom.
    max_quiet_interruption_min: float = 20.0
    # Silence shorter than this does not start a quiet-sleep block.
    min_quiet_piece_min: float = 30.0
    # After a night-time trip, quiet shorter than this in all is the morning, not more sleep (a
    # sleep cycle is about 90 min): up at seven, dressing and reading quietly until eight.
    min_back_to_sleep_min: float = 90.0
    # ... but a trip well before the home's usual wake-up (``early_trip_margin_min`` before
    # it, learned from the nights) is followed by more sleep after half a cycle: a toilet trip
    # at five with the alarm at six.
    min_back_to_sleep_early_min: float = 45.0
    # ... and whenever the quiet after it lies between the bedroom and the bedroom, after this
    # long (see _lay_down_again).
    back_in_bed_min: float = 30.0
    early_trip_margin_min: float = 30.0
    # The usual wake-up is learned once this many nights were seen.
    usual_wake_min_nights: int = 5
    # A night that starts this long before the home's usual bedtime (learned like the usual
    # wake-up), with nobody seen going into the bedroom, while a night-time trip that ends in
    # the bedroom lies within ``bedtime_window_min`` of the usual bedtime: the hours before
    # that trip were a silent evening (television in a room with no sensor, a few toilet
    # visits), and the night starts where the bedroom saw someone go to bed.
    early_evening_min: float = 120.0
    bedtime_window_min: float = 90.0
    # Lulls shorter than a first sleep cycle, each ended by someone out of bed (the bathroom, a
    # door, a light), this many or more in a row at the start of a night: the evening going on
    # between rooms with no sensor (see _after_evening_visits). Over the benchmark homes 60 min
    # and two lulls fixed the evenings taken for nights without moving one real bedtime; one
    # lull moved nights where someone went to the toilet 40 min after going to bed, and 90 min
    # lost Ordóñez A's bedtime routine.
    first_cycle_min: float = 60.0
    # The home model's net time "up" (its "up" minus its "asleep") over the first silences of
    # a quiet night above which they were the evening (see quiet_nights._model_edge).
    model_evening_min: float = 15.0
    model_sure: float = 0.8
    evening_visits: int = 2
    # A home whose mornings start in the bedroom on at least this share of its nights (as many
    # nights as the usual wake-up needs) sees the bedroom at bedtime too: there only the bedroom
    # says someone went to bed, and a bathroom visit alone is the evening going on.
    bedroom_morning_share: float = 0.7
    # Motion-only blips this short elsewhere in the home do not end a quiet night (pets).
    max_blip_min: float = 5.0
    # Bedroom motion on for at most this long in all (two turns in a row of a sensor that
    # holds for 90 s and more), with nothing else around it, is a sleeper turning over;
    # dressing or tidying keeps the sensor on longer.
    max_turn_min: float = 10.0
    # A bedroom motion sensor sees the bed when it trips by itself in the core of at least
    # this share of the home's nights, this often an hour (a sleeper turning over about twice
    # an hour: nine nights in ten and more; a cat now and then in the bedroom: under 0.2).
    watching_night_share: float = 0.5
    watching_min_rate_h: float = 0.3
    # ... and this many times as often as in the daytime: a sensor that trips by itself at any
    # hour (sunlight, a draught, a cat) is noise, not a sleeper.
    watching_night_ratio: float = 4.0
    # ... unless, added up over the night so far, they are far more than a pet makes: a Poisson
    # count at the pet's learned night rate would see as many less often than ``pet_rate_p``
    # (someone in the living room all evening). As away.py. The rate is at least
    # ``pet_night_factor`` times the learned one (the nights' core it is learned from is the
    # pet's calmest), capped at ``pet_min_rate``, and never under ``pet_min_night_rate``: a
    # floor of one an hour whatever the pet did let a shy pet, or PIRs tripping once a night
    # or two, pass a whole evening on the sofa as the night.
    pet_min_rate: float = 1.0
    pet_night_factor: float = 3.0
    pet_min_night_rate: float = 0.5
    pet_rate_p: float = 0.01
    # ... nor crowded into one hour far beyond that rate (someone still up, walking between
    # kitchen, hall and study): tested on their own where a long quiet evening before them
    # would dilute them in the night's total. Stricter, as each hour of each night is a test.
    pet_local_window_min: float = 60.0
    pet_local_p: float = 0.001
    # Where no pet is learned there: one sensor tripping once in the night with half an hour
    # of quiet either side, away from the bedroom and bathroom, is a false trigger while such
    # pulses are no likelier than this many an hour would make them (tested like the pet's).
    lone_trigger_rate: float = 0.1
    # Quiet-based sleep must be centred at night (local hours, wrapping midnight): an afternoon
    # of reading is not sleep. Bed sensors need no window: the bed says it.
    quiet_mid_window: tuple[float, float] = (21.0, 10.0)
    # ... except a long sleep by day framed by the bedroom on both sides (a night-shift worker).
    min_day_sleep_h: float = 4.0
    # Going to bed may lie this far before a silence when only the pet moved since.
    max_settle_lookback_min: float = 60.0
    # Longer quiet after a trip to the bathroom is not sleep but an empty home (see above).
    max_sleep_h: float = 14.0
    # Bed-like by behaviour: fraction of an occupancy sensor's long intervals centred at night.
    bed_night_fraction: float = 0.6
    # With a bed sensor, a night it did not see is still looked for in the home's silence (at
    # lower confidence): mats drop out (a flat battery, a lost Zigbee link) for days, and a
    # night spent elsewhere is an absence, which silence-based sleep already leaves out.
    quiet_with_bed: bool = True
    # A bed that reports movement (not presence): a still sleeper makes no onset for a while,
    # so onsets are joined across quiet up to this long while nothing happens elsewhere.
    max_still_h: float = 4.0
    # ... and a span needs this much movement to be a night in bed (a still sleeper still turns
    # over several times an hour, about 20-60 times a night).
    min_mat_onsets: int = 10
    min_mat_onsets_per_h: float = 2.0
    # Two beds whose nights coincide on fewer than this share of the nights either held are
    # one sleeper's two sides (or a guest bed), not two sleepers whose overlap is the night.
    two_sleepers_share: float = 0.5
    bed_classes: frozenset[str] = field(
        default_factory=lambda: frozenset({"occupancy", "presence"})
    )


@dataclass(slots=True)
class NightBlock:
    """One sleep found, by a bed or from silence: its span and the pieces it was joined from,
    with what it rests on (``evidence``: activity ids) and what else was learned of it."""

    start: float
    end: float
    pieces: list[tuple[float, float]]
    evidence: list[int]
    entity: str | None = None
    area: str | None = None
    actor: str | None = None
    by_day: bool = False  # centred outside the night window (a night-shift worker's sleep)
    # Stray pulses of noisy sensors inside it read as noise, per sensor (its evidence).
    noise_pulses: dict[str, int] = field(default_factory=dict)
    # A quiet night's edges: the activity that framed it (see quiet_sleep).
    framed_by: tuple[Block, Block] | None = None
    # The rest of the night, back to bed after a sleepless spell (see ``back_to_bed``).
    resumed: NightBlock | None = None
    # Long enough for a night, but entered as the rest of one (see ``_back_in_bed``).
    back_in_bed: bool = False
    # Its bed went offline before the sleeper got up: the end is the home's (see _dark_ends).
    end_unseen: bool = False


def night_of(start: float, end: float, tz: tzinfo) -> date:
    mid = (start + end) / 2
    return datetime.fromtimestamp(mid - NIGHT_OFFSET_H * 3600, tz).date()


def local_hour(t: float, tz: tzinfo) -> float:
    d = datetime.fromtimestamp(t, tz)
    return d.hour + d.minute / 60


def in_window(hour: float, window: tuple[float, float]) -> bool:
    lo, hi = window
    return lo <= hour or hour < hi if lo > hi else lo <= hour < hi


def join_intervals(
    intervals: list[tuple[float, float, ActivityEvent]], max_gap_s: float
) -> list[NightBlock]:
    out: list[NightBlock] = []
    for a, b, ev in intervals:
        if out and a - out[-1].end <= max_gap_s:
            blk = out[-1]
            blk.end = max(blk.end, b)
            blk.pieces.append((a, b))
        else:
            out.append(NightBlock(a, b, [(a, b)], [], ev.entity_id, ev.area))
        if ev.id is not None:
            out[-1].evidence.append(ev.id)
    return out


def longest_per_night(blocks: list[NightBlock], tz: tzinfo) -> dict[date, NightBlock]:
    best: dict[date, NightBlock] = {}
    for blk in blocks:
        key = night_of(blk.start, blk.end, tz)
        cur = best.get(key)
        # A night at night beats a day's sleep for the same date, whatever their lengths.
        if cur is None or (not blk.by_day, blk.end - blk.start) > (
            not cur.by_day,
            cur.end - cur.start,
        ):
            best[key] = blk
    return best


def back_to_bed(
    nights: dict[date, NightBlock],
    others: Sequence[NightBlock],
    tz: tzinfo,
    opts: SleepOptions,
    up: Callable[[float, float], bool] | None = None,
) -> None:
    """Pair each night with the sleep on the other side of a sleepless spell: a block of at
    least ``min_back_to_bed_min`` centred at night, at most ``max_spell_min`` after the night
    ended (the rest of it) or before it began (then that was the night's first sleep, and the
    night its rest). ``others``: the blocks that are no night themselves. ``up``: whether
    someone was up elsewhere between two times; where nobody was (a long toilet visit, a
    movement mat's still sleeper, noise) the two are one night, joined."""
    spell = opts.max_spell_min * 60
    for blk in sorted(others, key=lambda b: b.start):
        if blk.end - blk.start < opts.min_back_to_bed_min * 60:
            continue
        if not in_window(local_hour((blk.start + blk.end) / 2, tz), opts.quiet_mid_window):
            continue
        for key, night in nights.items():
            if night.by_day or night.resumed is not None:
                continue
            if 0 < blk.start - night.end <= spell:
                first, rest = night, blk
            elif 0 < night.start - blk.end <= spell:
                first, rest = blk, night
            else:
                continue
            if up is None or up(first.end, rest.start):
                first.resumed = rest
                nights[key] = first
            else:
                nights[key] = _joined(first, rest)
            break


def _joined(first: NightBlock, rest: NightBlock) -> NightBlock:
    """One night of two sleeps with nobody up in between."""
    framed = (
        (first.framed_by[0], rest.framed_by[1])
        if first.framed_by is not None and rest.framed_by is not None
        else None
    )
    return replace(
        first,
        end=rest.end,
        pieces=[*first.pieces, *rest.pieces],
        evidence=[*first.evidence, *rest.evidence],
        framed_by=framed,
    )


def up_elsewhere(
    t0: float,
    t1: float,
    blocks: Sequence[Block],
    starts: list[float],
    roles: AreaRoles,
    opts: SleepOptions,
) -> bool:
    """Between ``t0`` and ``t1`` someone spent a while outside the bedroom and bathroom (more
    than ``max_blip_min`` from the first to the last sign there): up, not a trip to the toilet
    or for a glass of water."""
    night = roles.night_roles()  # an area of unknown role may be someone's bedroom
    lo = max(0, bisect.bisect_right(starts, t0) - 1)
    times = [
        t
        for blk in blocks[lo : bisect.bisect_left(starts, t1)]
        for s in blk.signals
        if roles.role(s.area) not in night
        for t in (max(s.t, t0), min(s.end, t1))
        if t0 <= t <= t1
    ]
    return bool(times) and max(times) - min(times) > opts.max_blip_min * 60
