"""Routines: things that happen at a usual time of day on usual days.

``wake_up``/``go_to_bed`` come from sleep episodes (per person and for the household),
``leave_home``/``arrive_home`` from person state changes (and household away episodes when a
home has no person entities), and ``habit`` s from people's own actions on devices (user
contexts or physical switches; never automation chains).

For each series of occurrences (one time of day per day):
1. modes on the time-of-day circle (``circular.cluster_times``): a multimodal habit (kettle at
   07:00 and 15:30) becomes several routines;
2. which days: daily, weekdays, weekends or a set of weekdays, chosen by BIC of a Bernoulli
   model "happens on these days with rate p_in, elsewhere with p_out" (a custom day set pays
   for the choice of the set);
3. a mode spanning day groups with different times (bedtime 00:15 before workdays, 01:00 on
   Friday/Saturday nights) is split when a wrapped-normal BIC says so;
4. a change point in time (new job) splits the mode into an old routine that stopped and a new
   one (``changes.link_changes`` marks the old one superseded).

Loose anchors. ``wake_up`` and ``go_to_bed`` happen once a night by construction, so their
time-of-day modes are alternatives for the same day, not separate routines: they stay split
only when a mixture of modes beats one wrapped normal on BIC (``circular.modes_bic``; a shift
worker's 06:00/14:00 wake-ups), otherwise they are one routine, however loose. People expect
Galatea to know when the household usually wakes up even when it is 09:30 one day and 12:30
the next, so these anchors may be as wide as ``anchor_max_spread_min`` (beyond that 95 % of
days span more than a third of the day: a part of the day, not a time), while habits (device
actions, where wide modes are mostly noise) keep ``habit_max_spread_min``.

Confidence is regularity x punctuality: ``rate x support / (support + 3)`` (the share of its
days on which it happens, shrunk for few days; this alone gates ``min_confidence``) times the
probability that one occurrence falls within ``punctual_window_min`` of the usual time under a
normal with the routine's spread (``erf(w / (spread sqrt 2))``: 1.0 at 20 min, 0.73 at 54 min,
0.38 at 2 h). So a loose routine is reported with its honest wide ``spread_min`` and a lower
confidence. Routines looser than ``STRICT_SPREAD_MIN`` are not judged late
(``changes.judged``).
"""

from __future__ import annotations

import bisect
import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import numpy as np

from ..kinds import ROUTINE_KINDS
from ..models import ActivityEvent, DaysSpec, Episode, Routine
from .actions import habit_item, is_person_action
from .changes import STRICT_SPREAD_MIN, link_changes
from .circular import (
    CircularCluster,
    FloatArray,
    circular_mean,
    circular_spread,
    cluster_times,
    day_and_minute,
    deviations_from,
    gaussian_bic,
    hhmm,
    minute_of_day,
    modes_bic,
    robust_center,
    signed_diff,
)
from .days import ALL_DAYS, WEEKDAYS, WEEKENDS
from .order import by_time

# Once-a-night anchors (one occurrence per sleep episode): modes are alternatives, see above.
ONCE_DAILY_KINDS = frozenset(kind.key for kind in ROUTINE_KINDS if kind.once_a_day)
_ACTIVE_STATES = {"media_player": {"playing", "off", "paused"}}


@dataclass(frozen=True, slots=True)
class RoutineOptions:
    """Thresholds; defaults suit a few weeks of history."""

    bandwidth_min: float = 15.0  # kernel width of the time-of-day density
    min_confidence: float = 0.5
    min_support_days: int = 4  # distinct days a routine needs
    min_rate: float = 0.5  # share of its days on which it happens
    max_spread_min: float = STRICT_SPREAD_MIN  # wider than this is not "a usual time"
    habit_max_spread_min: float = 40.0
    anchor_max_spread_min: float = 120.0  # wake_up/go_to_bed: loose, but still a usual time
    punctual_window_min: float = 60.0  # confidence counts occurrences within this of the time
    mode_split_bic: float = 6.0  # "strong" BIC evidence to keep a once-daily series multimodal
    stale_days: int = 4  # expected-but-missing days after which a routine stopped
    change_min_shift: float = 25.0  # a change point must move the time this much
    max_evidence: int = 60
    min_absence_min: float = 10.0  # shorter person "not_home" blips are not leaving
    # The usual time is the mean of the days, leaving out only those farther than this (and 3
    # robust SDs) from the rest: the odd night out at 03:00 goes, a regular later Friday or
    # Monday stays (20 min dropped up to a third of a tight routine's days and pulled its time
    # to the earliest cluster; over the 37 rows of benchmarks/accuracy_homes.py, 5 seeds, 60 min
    # made the worst routine error smaller in 17 and larger in 4, by 1-2 min).
    outlier_floor_min: float = 60.0


@dataclass(slots=True)
class Occurrence:
    """One observation: on local ``day`` at ``minute`` of the day, from activity ``evidence``."""

    day: date
    minute: float
    evidence: list[int] = field(default_factory=list)
    # Seen directly (a bed sensor's night), not inferred from silence: an unusual time is then
    # the person's own (a lie-in), never a misread, and stays in the usual time.
    firm: bool = False
    # A night's length in hours (sleep routines): one of the usual length, however late or
    # early, is a late or early night (both its ends moved), not a misread one (which cuts or
    # stretches it), so it stays in the usual time too.
    hours: float | None = None
    # Wake-ups: for how many minutes before it the home model was sure the home still slept
    # (episodes.py, model_asleep_before_min); None: no model.
    slept_min: float | None = None


def days_spec(days: Iterable[int]) -> DaysSpec:
    s = frozenset(days)
    if s == ALL_DAYS:
        return "daily"
    if s == WEEKDAYS:
        return "weekdays"
    if s == WEEKENDS:
        return "weekends"
    return sorted(s)


def days_label(spec: DaysSpec) -> str:
    return spec if isinstance(spec, str) else "d" + "".join(str(d) for d in spec)


def part_of_day(minute: float) -> str:
    """Coarse, stable name for a key (not used for statistics)."""
    h = (minute % 1440) / 60
    if h < 5:
        return "night"
    if h < 12:
        return "morning"
    if h < 17:
        return "afternoon"
    if h < 22:
        return "evening"
    return "late"


# ---------------------------------------------------------------------------------------------
# Fitting one series


def _bernoulli_ll(k: int, n: int) -> float:
    if n == 0:
        return 0.0
    p = min(max(k / n, 1e-6), 1 - 1e-6)
    return k * math.log(p) + (n - k) * math.log(1 - p)


def choose_days(
    hit_days: set[date], observed: Sequence[date], *, min_rate: float
) -> tuple[frozenset[int], float] | None:
    """Which weekdays a routine belongs to, and its rate on them (None: no good day set).

    A day set is the routine's days, not its exceptions: a proper subset must have a higher
    rate than the other days. Between sets whose BIC differs by less than 2 (Kass & Raftery:
    "not worth more than a bare mention") the simpler one wins.
    """
    per_obs = [0] * 7
    for d in observed:
        per_obs[d.weekday()] += 1
    return _choose(_per_weekday(hit_days), per_obs, min_rate)


def _per_weekday(days: Iterable[date]) -> list[int]:
    counts = [0] * 7
    for d in days:
        counts[d.weekday()] += 1
    return counts


class _Weekdays:
    """How many observed days of each weekday lie between two days, by prefix counts."""

    __slots__ = ("_counts", "_days")

    def __init__(self, observed: Sequence[date]) -> None:
        self._days = list(observed)  # sorted
        self._counts = [[0] * 7]
        for d in self._days:
            row = list(self._counts[-1])
            row[d.weekday()] += 1
            self._counts.append(row)

    def between(self, lo: date, hi: date) -> list[int]:
        """Per weekday, the observed days d with lo <= d <= hi."""
        a = bisect.bisect_left(self._days, lo)
        b = bisect.bisect_right(self._days, hi)
        return [y - x for x, y in zip(self._counts[a], self._counts[b], strict=True)]


@functools.lru_cache(maxsize=8)
def _judged(observed_days: tuple[date, ...]) -> tuple[list[date], _Weekdays]:
    """The days a series is judged on, sorted, and their weekdays (the same for every habit
    series of a window). Read-only."""
    observed = sorted(set(observed_days))
    return observed, _Weekdays(observed)


def _choose(
    per_hit: list[int], per_obs: list[int], min_rate: float
) -> tuple[frozenset[int], float] | None:
    """``choose_days`` from per-weekday hit and observed day counts."""
    n = sum(per_obs)
    if n == 0:
        return None
    rates = [per_hit[w] / per_obs[w] if per_obs[w] else 0.0 for w in range(7)]
    if max(rates) < min_rate:
        return None  # a day set's rate is at most its best weekday's: none would do
    candidates: dict[frozenset[int], float] = {ALL_DAYS: 1.0, WEEKDAYS: 2.0, WEEKENDS: 2.0}
    threshold = frozenset(w for w in range(7) if per_obs[w] and rates[w] >= min_rate)
    if threshold and threshold not in candidates:
        # A hand-picked set costs the log of how many sets of that size there are.
        candidates[threshold] = 2.0 + math.log(math.comb(7, len(threshold))) / math.log(max(n, 3))
    fits: list[tuple[float, float, frozenset[int], float]] = []
    for days, k_params in candidates.items():
        k_in = sum(per_hit[w] for w in days)
        n_in = sum(per_obs[w] for w in days)
        if n_in == 0:
            continue
        ll = _bernoulli_ll(k_in, n_in)
        rate = k_in / n_in
        if days != ALL_DAYS:
            k_out, n_out = sum(per_hit) - k_in, n - n_in
            if n_out and k_out / n_out >= rate:
                continue  # happens as often or more on the other days: not its days
            ll += _bernoulli_ll(k_out, n_out)
        bic = -2 * ll + k_params * math.log(n)
        if rate < min_rate:
            continue
        fits.append((bic, k_params, days, rate))
    if not fits:
        return None
    lowest = min(f[0] for f in fits)
    _, _, days, rate = min((f for f in fits if f[0] < lowest + 2.0), key=lambda f: (f[1], f[0]))
    return days, rate


def _split_groups(
    occ: Sequence[Occurrence], memo: ModeMemo | None = None
) -> list[frozenset[int]] | None:
    """Best two-way split of weekdays by time (weekdays/weekends or a data-driven cut);
    ``memo`` remembers it by the weekdays and times."""
    if memo is None:
        return _best_split(occ)
    key = ("split", tuple(o.day.weekday() for o in occ), _minutes(occ))
    found = memo.recall(key)
    if found is None:
        found = (_best_split(occ),)
        memo.keep(key, found)
    return found[0]  # type: ignore[no-any-return]


def _best_split(occ: Sequence[Occurrence]) -> list[frozenset[int]] | None:
    ml = [o.minute for o in occ]
    wd = [o.day.weekday() for o in occ]
    minutes = np.array(ml)
    base = gaussian_bic([ml])
    best: tuple[float, list[frozenset[int]]] | None = None
    # Each weekday's usual time robustly: one misread night must not reorder the days.
    by_day: dict[int, list[float]] = {}
    for m, w in zip(ml, wd, strict=True):
        by_day.setdefault(w, []).append(m)
    per_day_mean = {w: robust_center(by_day[w])[0] for w in range(7) if w in by_day}
    center = circular_mean(minutes)
    order = sorted(per_day_mean, key=lambda w: signed_diff(per_day_mean[w], center))
    cuts: list[tuple[frozenset[int], float]] = [(WEEKDAYS, 0.0)]
    for i in range(1, len(order)):
        cut = frozenset(order[:i])
        if cut not in (WEEKDAYS, WEEKENDS, ALL_DAYS):
            cuts.append((cut, math.log(math.comb(7, len(cut)))))
    for cut, extra in cuts:
        rest = ALL_DAYS - cut
        a = [m for m, w in zip(ml, wd, strict=True) if w in cut]
        b = [m for m, w in zip(ml, wd, strict=True) if w in rest]
        if len(a) < 3 or len(b) < 3:
            continue
        bic = gaussian_bic([a, b], extra_params=extra)
        if bic < base - 6.0 and (best is None or bic < best[0]):  # 6: "strong" BIC evidence
            best = (bic, [cut, rest])
    return None if best is None else best[1]


def _weekly_residuals(
    occ: Sequence[Occurrence], minutes: FloatArray, memo: ModeMemo | None = None
) -> FloatArray:
    """Minutes with each weekday group's own usual time taken out (weekends later, say).

    A change point compares the time before and after; without this, a stretch that happens
    to hold more weekend days (a series starting on a Friday) looks like a shifted routine.
    """
    groups = _split_groups(occ, memo)
    if groups is None:
        return minutes
    wd = np.array([o.day.weekday() for o in occ])
    center = circular_mean(minutes)
    out = minutes.copy()
    for g in groups:
        mask = np.isin(wd, list(g))
        out[mask] = center + np.array(
            [signed_diff(float(m), circular_mean(minutes[mask])) for m in minutes[mask]]
        )
    return out


def change_point(
    occ: Sequence[Occurrence], *, min_side: int, min_shift: float, min_span_days: int = 7,
    memo: ModeMemo | None = None,
) -> int | None:
    """Index splitting time-ordered occurrences into before/after a shift of the usual time.

    Times are compared net of the week's shape (``_weekly_residuals``), and each side must
    span a whole week (``min_span_days``) so both see every kind of day. The candidate split
    maximises a CUSUM-like statistic |shift| x sqrt(k(n-k)/n) (computed for all k at once from
    cumulative sines/cosines); it is kept when the two-segment model wins on BIC by a clear
    margin and the shift is at least ``min_shift`` minutes.
    """
    n = len(occ)
    if n < 2 * min_side:
        return None
    first, last = occ[0].day, occ[-1].day
    k = np.array(
        [
            i
            for i in range(min_side, n - min_side + 1)
            if (occ[i - 1].day - first).days >= min_span_days - 1
            and (last - occ[i].day).days >= min_span_days - 1
        ],
        dtype=np.int64,
    )
    if k.size == 0:
        return None
    minutes = _weekly_residuals(occ, np.array([o.minute for o in occ], dtype=np.float64), memo)
    ang = minutes * (2 * math.pi / 1440.0)
    cs, cc = np.cumsum(np.sin(ang)), np.cumsum(np.cos(ang))
    mean_a = np.arctan2(cs[k - 1], cc[k - 1])
    mean_b = np.arctan2(cs[-1] - cs[k - 1], cc[-1] - cc[k - 1])
    shift = np.angle(np.exp(1j * (mean_b - mean_a))) * 1440.0 / (2 * math.pi)
    score = np.abs(shift) * np.sqrt(k * (n - k) / n)
    best = int(np.argmax(score))
    if abs(float(shift[best])) < min_shift:
        return None
    split = int(k[best])
    base = gaussian_bic([minutes])
    if gaussian_bic([minutes[:split], minutes[split:]], extra_params=1.0) < base - 10.0:
        return split
    return None


def fit_series(
    occurrences: Sequence[Occurrence],
    observed_days: Sequence[date],
    *,
    kind: str,
    key_base: str,
    label: str,
    actor: str | None,
    entities: Sequence[str],
    tz: tzinfo,
    options: RoutineOptions,
    max_spread: float | None = None,
    detail: dict[str, Any] | None = None,
    once_daily: bool = False,
    memo: ModeMemo | None = None,
) -> list[Routine]:
    """Routines of one series (one kind/actor/entity-state) over the observed days.

    ``once_daily``: the series has one occurrence per day by nature (wake-up, bedtime), so its
    time-of-day modes are merged unless they are clearly separate (``once_daily_modes``).
    ``memo``: change points and empty pieces of earlier calls (``ModeMemo``); same result.
    """
    max_spread = options.max_spread_min if max_spread is None else max_spread
    if len({o.day for o in occurrences}) < options.min_support_days:
        return []
    observed, weekdays = _judged(tuple(observed_days))
    minutes = [o.minute for o in occurrences]
    # Modes of fewer occurrences than a routine's days are left out (but not before merging
    # a once-a-day series' modes).
    clusters = cluster_times(
        minutes, bandwidth_min=options.bandwidth_min,
        min_members=1 if once_daily else options.min_support_days,
    )
    if once_daily:
        clusters = once_daily_modes(minutes, clusters, options)
    pieces: list[list[Occurrence]] = []
    for cl in clusters:
        if len(cl.members) < options.min_support_days:
            continue  # fewer days still, once one a day is kept
        members = sorted((occurrences[i] for i in cl.members), key=lambda o: (o.day, o.minute))
        # One occurrence per day in a mode: the one closest to the mode's centre.
        per_day: dict[date, Occurrence] = {}
        for o in members:
            cur = per_day.get(o.day)
            d_new = abs(signed_diff(o.minute, cl.mean))
            if cur is None or d_new < abs(signed_diff(cur.minute, cl.mean)):
                per_day[o.day] = o
        series = [per_day[d] for d in sorted(per_day)]
        if len(series) < options.min_support_days:
            continue
        # Cheap first: a mode that is not regular on any day set is noise (most of them).
        lo, hi = series[0].day, series[-1].day + timedelta(days=6)
        per_obs = weekdays.between(lo, hi)
        if _choose(_per_weekday(per_day), per_obs, options.min_rate) is None:
            continue
        k = _change_point(series, options, memo)
        if k is not None:
            pieces += [series[:k], series[k:]]
        else:
            pieces.append(series)
    out: list[Routine] = []
    for series in pieces:
        empty = _empty_key(series, observed, options, max_spread) if memo is not None else None
        if empty is not None and memo is not None and memo.recall(empty) is not None:
            continue  # found empty before, from the very days its emptiness depends on
        fitted = _fit_piece(
            series,
            observed,
            kind=kind,
            key_base=key_base,
            label=label,
            actor=actor,
            entities=entities,
            tz=tz,
            options=options,
            max_spread=max_spread,
            detail=detail or {},
            memo=memo,
        )
        if empty is not None and memo is not None and not fitted:
            memo.keep(empty, True)
        out += fitted
    return _unique_keys(link_changes(out, tz, stale_days=options.stale_days))


class ModeMemo:
    """What ``fit_series`` found for single modes in the previous call, by its inputs: each
    mode's change point (a function of its days and times alone) and the pieces that gave no
    routine. Between two runs most modes of most series are unchanged even when their series
    got a new day. Only what the current call used is kept for the next one (``turn``),
    including what the series whose whole fit was reused had used (``carry``)."""

    __slots__ = ("_new", "_old", "_used")

    def __init__(self) -> None:
        self._old: dict[tuple[Any, ...], Any] = {}
        self._new: dict[tuple[Any, ...], Any] = {}
        self._used: list[tuple[Any, ...]] = []  # keys used since ``used`` was last asked

    def recall(self, key: tuple[Any, ...]) -> Any:
        """The value kept under ``key`` (None: none), kept again for the next call."""
        found = self._new.get(key)
        if found is None:
            found = self._old.get(key)
            if found is not None:
                self._new[key] = found
        if found is not None:
            self._used.append(key)
        return found

    def keep(self, key: tuple[Any, ...], value: Any) -> None:
        self._new[key] = value
        self._used.append(key)

    def used(self) -> tuple[tuple[Any, ...], ...]:
        """The keys recalled or kept since the last call of this (one series' fit)."""
        out, self._used = tuple(self._used), []
        return out

    def carry(self, keys: Iterable[tuple[Any, ...]]) -> None:
        """Keep ``keys`` for the next call too (a series fit reused whole used them)."""
        for key in keys:
            found = self._old.get(key)
            if found is not None:
                self._new.setdefault(key, found)

    def turn(self) -> None:
        """End of a call: what it used is what the next one may reuse."""
        self._old, self._new, self._used = self._new, {}, []

    def clear(self) -> None:
        self._old.clear()
        self._new.clear()
        self._used.clear()

    def __len__(self) -> int:
        return len(self._old)


def _change_point(
    series: Sequence[Occurrence], options: RoutineOptions, memo: ModeMemo | None
) -> int | None:
    """``change_point`` of one mode's days, remembered by its days and times."""
    if memo is None:
        return change_point(
            series, min_side=options.min_support_days, min_shift=options.change_min_shift
        )
    key = ("change", options.min_support_days, options.change_min_shift,
           _days(series), _minutes(series))
    found = memo.recall(key)
    if found is None:
        k = change_point(
            series, min_side=options.min_support_days, min_shift=options.change_min_shift,
            memo=memo,
        )
        found = -1 if k is None else k
        memo.keep(key, found)
    return None if found < 0 else int(found)


# Memo keys hold flat tuples (a few per mode, not one per occurrence): fewer objects made per
# run, so fewer garbage collections over the engine's whole heap.


def _days(series: Sequence[Occurrence]) -> tuple[date, ...]:
    return tuple(o.day for o in series)


def _minutes(series: Sequence[Occurrence]) -> tuple[float, ...]:
    return tuple(o.minute for o in series)


def _empty_key(
    series: Sequence[Occurrence], observed: Sequence[date], options: RoutineOptions,
    max_spread: float,
) -> tuple[Any, ...] | None:
    """What decides that ``_fit_piece`` finds no routine in a piece: its days, times, firm
    flags, lengths and the model's certainty, and the observed days from its first occurrence
    to a week after its last (every test it can fail looks no further; later days only shape
    a routine it does find). None when an occurrence day is not among the observed days (then
    more days could matter)."""
    first, last = series[0].day, series[-1].day
    until = last + timedelta(days=6)
    days = tuple(d for d in observed if first <= d <= until)
    if not {o.day for o in series} <= set(days):
        return None
    return ("empty", options, max_spread, days,
            _days(series), _minutes(series), tuple(o.firm for o in series),
            tuple(o.hours for o in series), tuple(o.slept_min for o in series))


def once_daily_modes(
    minutes: Sequence[float], clusters: list[CircularCluster], options: RoutineOptions
) -> list[CircularCluster]:
    """Modes of a once-a-day series, merged until only clearly separate ones are left.

    Starting from the density's modes (``cluster_times``, which splits a loose series at
    chance dips), neighbouring modes are merged, cheapest first, while keeping them apart is
    not better by ``mode_split_bic`` on the BIC of a mixture of wrapped normals
    (``circular.modes_bic``). A loose but single wake-up becomes one mode; weekday 06:30 vs
    weekend 08:30-09:30 wake-ups stay two (the weekend's two halves merge into one).
    """
    if len(clusters) <= 1:
        return clusters
    m = np.asarray(minutes, dtype=np.float64)
    groups = [sorted(c.members) for c in sorted(clusters, key=lambda c: c.mean)]

    def bic(parts: list[list[int]]) -> float:
        return modes_bic([m[p] for p in parts])

    current = bic(groups)
    while len(groups) > 1:
        best: tuple[float, list[list[int]]] | None = None
        pairs = [(i, (i + 1) % len(groups)) for i in range(len(groups))]
        for i, j in pairs[: 1 if len(groups) == 2 else None]:
            merged = [g for k, g in enumerate(groups) if k not in (i, j)]
            merged.append(sorted(groups[i] + groups[j]))
            value = bic(merged)
            if best is None or value < best[0]:
                best = (value, merged)
        assert best is not None
        if best[0] >= current + options.mode_split_bic:
            break  # every remaining split is strongly supported
        current, groups = best
    out = [CircularCluster(circular_mean(m[g]), circular_spread(m[g]), g) for g in groups]
    return sorted(out, key=lambda c: c.mean)


def punctuality(spread: float, window: float) -> float:
    """P(|x - usual time| <= window) for x ~ normal(usual time, spread)."""
    if spread <= 0:
        return 1.0
    return math.erf(window / (spread * math.sqrt(2.0)))


MOVED_NIGHT_MIN = 60.0


def _firm(
    occ: Sequence[Occurrence], minutes: Sequence[float], floor: float, *, by_weekday: bool
) -> list[bool]:
    """Which occurrences stay in the usual time however far off: the firm ones, nights that
    moved whole, and times that repeat on their weekday.

    A night that was only cut or stretched (a misread one, or a lie-in we cannot tell from
    it) changed its length by as much as its time; one that moved whole (a late night, both
    ends later) kept its length: it changed by under half as much, and by under
    ``MOVED_NIGHT_MIN`` (nights vary that much anyway; where bedtimes are misread the lengths
    are too, and a cut night could pass for a moved one).

    With ``by_weekday`` (getting up), a time at least ``floor`` off also stays when its
    weekday is about as far off the same way (within half that) in at least two weeks and
    more than half of them: that weekday's own habit (the night-shift worker's early
    Saturdays). A misread morning is a trip read as getting up, near the usual time on any
    day (two Sundays of four read at the weekday time are not enough). Bedtimes are not
    judged so: a quiet evening read as the night repeats with the week (home from a weekly
    evening out, then an hour of quiet before bed: the noisy-PIR home's Tuesdays at 42 days,
    bedtime routine 14 -> 18 min). Nearer times are kept anyway."""
    if len(occ) < 5:
        return [o.firm for o in occ]
    center = robust_center(minutes)[0]
    shift = deviations_from(minutes, center).tolist()
    firm = [o.firm for o in occ]
    hours = [o.hours for o in occ if o.hours is not None]
    if len(hours) >= 5:
        usual_h = float(np.median(hours))
        for i, (o, d) in enumerate(zip(occ, shift, strict=True)):
            if o.hours is not None and abs(o.hours - usual_h) * 60 < min(
                abs(d) / 2, MOVED_NIGHT_MIN
            ):
                firm[i] = True
    if not by_weekday:
        return firm
    for i, (o, d) in enumerate(zip(occ, shift, strict=True)):
        # A late wake-up through whose extra time the home model (fitted on this home's own
        # weeks) was sure the home still slept is a lie-in. Where it doubts (it has learned
        # that someone up here is often silent), it may be a morning up unseen.
        if d > 0 and o.slept_min is not None and o.slept_min >= d:
            firm[i] = True
    per_weekday: dict[int, list[float]] = {}
    for o, d in zip(occ, shift, strict=True):
        per_weekday.setdefault(o.day.weekday(), []).append(d)
    for i, (o, d) in enumerate(zip(occ, shift, strict=True)):
        if firm[i] or abs(d) < floor:
            continue  # kept anyway
        same = per_weekday[o.day.weekday()]
        alike = sum(1 for d2 in same if d * d2 > 0 and abs(d - d2) <= min(abs(d), abs(d2)) / 2)
        firm[i] = alike >= 2 and 2 * alike > len(same)
    return firm


def _fit_piece(
    series: list[Occurrence],
    observed: list[date],
    *,
    kind: str,
    key_base: str,
    label: str,
    actor: str | None,
    entities: Sequence[str],
    tz: tzinfo,
    options: RoutineOptions,
    max_spread: float,
    detail: dict[str, Any],
    memo: ModeMemo | None = None,
) -> list[Routine]:
    first, last = series[0].day, series[-1].day
    # The routine's lifetime: from its first day (if it started inside the window) to the end.
    life = [d for d in observed if d >= first]
    # Days are judged up to a week past the last occurrence: enough to see which weekdays it
    # skips, without counting a stopped routine's absence against it for long.
    week_after = last + timedelta(days=6)
    chosen = choose_days(
        {o.day for o in series}, [d for d in life if d <= week_after], min_rate=options.min_rate
    )
    if chosen is None:
        return []
    days, _ = chosen
    in_days = [o for o in series if o.day.weekday() in days]
    groups: list[tuple[frozenset[int], list[Occurrence]]] = [(days, in_days)]
    split = _split_groups(in_days, memo) if len(days) > 1 else None
    if split is not None:
        groups = [(days & g, [o for o in in_days if o.day.weekday() in g]) for g in split]
    out: list[Routine] = []
    for gdays, occ in groups:
        if len({o.day for o in occ}) < options.min_support_days or not gdays:
            continue
        minutes = [o.minute for o in occ]
        floor = options.outlier_floor_min
        firm = _firm(occ, minutes, floor, by_weekday=kind == "wake_up")
        mean, spread, _ = robust_center(minutes, floor=floor, firm=firm)
        if math.isnan(mean) or spread > max_spread:
            continue
        glife = [d for d in life if d.weekday() in gdays]
        # Expected days: from the first occurrence, on the routine's weekdays, up to its last
        # occurrence (a routine that stopped is judged on its own span, see changes.py).
        span = [d for d in glife if d <= last] or glife
        hit = {o.day for o in occ}
        rate = len(hit) / max(1, len(span))
        support = len(hit)
        regularity = min(1.0, rate) * support / (support + 3)
        if rate < options.min_rate or regularity < options.min_confidence:
            continue
        confidence = regularity * punctuality(spread, options.punctual_window_min)
        spec = days_spec(gdays)
        last_hit, missing_after = _stopped(glife, hit, options.stale_days)
        evidence: list[int] = []
        for o in occ:
            evidence.extend(o.evidence[:1])  # one activity per occurrence day is enough
        started_inside = bool(observed) and (first - observed[0]).days >= 7
        out.append(
            Routine(
                key=f"{key_base}:{days_label(spec)}:{part_of_day(mean)}",
                kind=kind,
                label=label,
                days=spec,
                time=hhmm(mean),
                spread_min=round(spread, 1),
                support_days=support,
                confidence=round(confidence, 3),
                actor=actor,
                entities=list(entities),
                evidence=evidence[-options.max_evidence :],
                detail={
                    **detail,
                    "first_day": min(hit).isoformat(),
                    "last_day": last_hit.isoformat(),
                    "rate": round(rate, 3),
                    "missing_after": missing_after,
                    "mean_min": round(mean, 1),
                    "regularity": round(regularity, 3),
                },
                valid_from=_midnight(min(hit), tz) if started_inside else None,
            )
        )
    return out


def _stopped(expected: list[date], hit: set[date], stale_days: int) -> tuple[date, int]:
    """(last real occurrence, expected days missed since).

    A routine stopped at the expected day where "regular before, rare after" is sharpest:
    the tail after it (at least ``stale_days`` long, to the end of the window) has at most
    one hit in five, and the rate in the ten expected days before it minus the tail's rate is
    highest. So one stray day near the old time (a very late morning after a new job started)
    does not keep an old routine alive, nor does a short gap end a living one.
    """
    last = max(hit)
    n = len(expected)
    flags = [d in hit for d in expected]
    suffix = [0] * (n + 1)
    for k in range(n - 1, -1, -1):
        suffix[k] = suffix[k + 1] + flags[k]
    best: tuple[float, date, int] | None = None
    for k in range(1, n - stale_days + 1):
        if not flags[k - 1]:
            continue
        size = n - k
        tail_rate = suffix[k] / size
        if tail_rate > 0.2:
            continue
        before = flags[max(0, k - 10):k]
        score = sum(before) / len(before) - tail_rate
        if best is None or score > best[0]:
            best = (score, expected[k - 1], size)
    if best is not None and best[0] >= 0.5:
        return best[1], best[2]
    return last, sum(1 for d in expected if d > last)


def _unique_keys(routines: list[Routine]) -> list[Routine]:
    seen: dict[str, int] = defaultdict(int)
    for r in sorted(routines, key=lambda r: (r.key, r.detail.get("first_day", ""))):
        seen[r.key] += 1
        if seen[r.key] > 1:
            r.key = f"{r.key}:{seen[r.key]}"
    return routines


def _midnight(d: date, tz: tzinfo) -> datetime:
    return datetime.combine(d, time(0), tzinfo=tz)


# ---------------------------------------------------------------------------------------------
# Series from episodes and activity


def _name(actor: str | None) -> str:
    """Display name of a person entity (display only; meaning comes from the domain)."""
    if not actor:
        return "Someone"
    return actor.split(".", 1)[-1].replace("_", " ").title()


# Sleeps this close are one night: back in bed after a sleepless spell (SleepOptions'
# ``max_spell_min``, nights.py).
SPELL_MIN = 150.0


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def sleep_series(
    episodes: Iterable[Episode], tz: tzinfo, first_day: date | None = None
) -> dict[tuple[str, str | None], list[Occurrence]]:
    """(wake_up|go_to_bed, actor) -> occurrences; household sleep has actor None. A night
    that went back to bed after a sleepless spell (sleeps at most ``SPELL_MIN`` apart) is one
    bedtime, its first sleep's, and one wake-up, its last's: getting up for the day. A night
    whose evening came before ``first_day`` (the first day with data) was already going on
    when the record began: it starts where the data start, which is no bedtime."""
    out: dict[tuple[str, str | None], list[Occurrence]] = defaultdict(list)
    nights: dict[str | None, list[list[Episode]]] = defaultdict(list)
    for ep in sorted((e for e in episodes if e.kind == "sleep"), key=lambda e: e.start):
        scope = ep.detail.get("scope", "person" if ep.actor else "home")
        if scope not in ("home", "person"):
            continue
        actor = ep.actor if scope == "person" else None
        chain = nights[actor]
        if chain and (ep.start - chain[-1][-1].end).total_seconds() <= SPELL_MIN * 60:
            chain[-1].append(ep)
        else:
            chain.append([ep])
    for actor, chain in nights.items():
        for night in chain:
            first, last = night[0], night[-1]
            firm = any(ep.detail.get("method") == "bed" for ep in night)
            hours = (last.end - first.start).total_seconds() / 3600
            out[("wake_up", actor)].append(
                Occurrence(
                    last.end.astimezone(tz).date(),
                    minute_of_day(last.end, tz),
                    last.evidence[-3:],
                    firm,
                    hours,
                    _number(last.detail.get("model_asleep_before_min")),
                )
            )
            evening = (first.start.astimezone(tz) - timedelta(hours=12)).date()
            if first_day is not None and evening < first_day:
                continue
            out[("go_to_bed", actor)].append(
                Occurrence(
                    evening, minute_of_day(first.start, tz), first.evidence[:3], firm, hours
                )
            )
    return out


def presence_series(
    events: Iterable[ActivityEvent],
    episodes: Iterable[Episode],
    tz: tzinfo,
    options: RoutineOptions,
) -> dict[tuple[str, str | None], list[Occurrence]]:
    """(leave_home|arrive_home, actor) from person state changes; household ones from away
    episodes (scope home) when the home has no person entities."""
    out: dict[tuple[str, str | None], list[Occurrence]] = defaultdict(list)
    last_leave: dict[str, ActivityEvent] = {}
    for ev in events:
        if ev.domain != "person" or ev.kind != "state_changed" or ev.entity_id is None:
            continue
        if ev.state == ev.old_state:
            continue
        person = ev.entity_id
        if ev.state != "home" and ev.old_state in ("home", None):
            last_leave[person] = ev
        elif ev.state == "home" and ev.old_state not in (None, "home"):
            left = last_leave.pop(person, None)
            if (
                left is not None
                and (ev.ts - left.ts).total_seconds() < options.min_absence_min * 60
            ):
                continue
            if left is not None:
                out[("leave_home", person)].append(
                    Occurrence(
                        left.ts.astimezone(tz).date(),
                        minute_of_day(left.ts, tz),
                        [left.id] if left.id else [],
                    )
                )
            out[("arrive_home", person)].append(
                Occurrence(
                    ev.ts.astimezone(tz).date(), minute_of_day(ev.ts, tz), [ev.id] if ev.id else []
                )
            )
    if not out:
        for ep in episodes:
            if ep.kind != "away" or ep.detail.get("scope", "home") != "home":
                continue
            out[("leave_home", None)].append(
                Occurrence(
                    ep.start.astimezone(tz).date(), minute_of_day(ep.start, tz), ep.evidence[:3]
                )
            )
            out[("arrive_home", None)].append(
                Occurrence(
                    ep.end.astimezone(tz).date(), minute_of_day(ep.end, tz), ep.evidence[-3:]
                )
            )
    return out


HabitKey = tuple[str, str, str | None]
"""A habit series: (entity_id, state, actor)."""
Action = tuple[HabitKey, Occurrence, tuple[Any, ...]] | None
"""What one activity adds to the habit series: its series, occurrence and the occurrence's
signature (day, minute, evidence), or None."""


def _action(ev: ActivityEvent, tz: tzinfo) -> Action:
    item = habit_item(ev)
    if item is None or ev.entity_id is None or not is_person_action(ev):
        return None
    actor = ev.actor if ev.actor_kind == "person" else None
    day, minute = day_and_minute(ev.ts, tz)
    evidence = [ev.id] if ev.id else []
    return (ev.entity_id, item, actor), Occurrence(day, minute, evidence), (
        day, minute, tuple(evidence))


def habit_series(
    events: Iterable[ActivityEvent], tz: tzinfo
) -> dict[tuple[str, str, str | None], list[Occurrence]]:
    """(entity_id, state, actor) -> occurrences of people's own actions."""
    return _habits(events, tz, None)[0]


def _habits(
    events: Iterable[ActivityEvent], tz: tzinfo, seen: dict[int, Action] | None
) -> tuple[dict[HabitKey, list[Occurrence]], dict[HabitKey, list[tuple[Any, ...]]]]:
    """``habit_series`` and each occurrence's signature; ``seen``: each activity's part from
    the previous call, by activity id (activity rows never change), replaced by this call's."""
    out: dict[HabitKey, list[Occurrence]] = defaultdict(list)
    sigs: dict[HabitKey, list[tuple[Any, ...]]] = defaultdict(list)
    kept: dict[int, Action] = {}
    for ev in events:
        if seen is None or ev.id is None:
            action = _action(ev, tz)
        else:
            action = seen[ev.id] if ev.id in seen else _action(ev, tz)
            kept[ev.id] = action
        if action is not None:
            out[action[0]].append(action[1])
            sigs[action[0]].append(action[2])
    if seen is not None:
        seen.clear()
        seen.update(kept)
    return out, sigs


_VERB = {
    "on": "turned on",
    "off": "turned off",
    "playing": "starts playing",
    "set": "set",
    "open": "opened",
    "closed": "closed",
    "locked": "locked",
    "unlocked": "unlocked",
}
_KIND_LABEL = {kind.key: kind.verb for kind in ROUTINE_KINDS}


def _at_home_days(
    observed_days: Sequence[date], episodes: Sequence[Episode], tz: tzinfo
) -> list[date]:
    """The observed days minus those the whole household spent away, midnight to midnight:
    a presence simulation switching the lights of the empty home, a neighbour watering the
    plants, make activity, but nobody of the home could wake up, leave or come home there."""
    day_s = 86400.0
    gone = sorted(
        (e.start.timestamp(), e.end.timestamp())
        for e in episodes
        if e.kind == "away"
        and e.detail.get("scope") == "home"
        and (e.end - e.start).total_seconds() >= day_s
    )
    if not gone:
        return list(observed_days)
    starts = [a for a, _ in gone]
    out: list[date] = []
    for d in observed_days:
        t0 = datetime.combine(d, time.min, tzinfo=tz).timestamp()
        t1 = datetime.combine(d + timedelta(days=1), time.min, tzinfo=tz).timestamp()
        k = bisect.bisect_right(starts, t0) - 1
        # Absences of a home do not overlap: the one starting last before midnight decides.
        if not (k >= 0 and gone[k][1] >= t1):
            out.append(d)
    return out


def _closed_nights(
    observed_days: Sequence[date], episodes: Sequence[Episode], tz: tzinfo
) -> dict[str, list[date]]:
    """Days on which a wake-up / bedtime could have been seen yet.

    A sleep episode exists only once the detector has closed it (the morning after), so the
    days after the last closed night are not evidence that a sleep routine stopped: wake-ups
    are judged up to the last night's wake-up day, bedtimes up to the evening before it (a
    bedtime is filed under its evening). Without this, tonight's not-yet-seen bedtime and a
    couple of late nights would end a living routine.
    """
    ends = [ep.end.astimezone(tz).date() for ep in episodes if ep.kind == "sleep"]
    if not ends:
        return {}
    last = max(ends)
    return {
        "wake_up": [d for d in observed_days if d <= last],
        "go_to_bed": [d for d in observed_days if d < last],
    }


class FitCache:
    """``mine_routines``' memo between calls: series fits keyed by everything a fit depends
    on, each activity's habit occurrence (by activity id, in one zone) and the modes'
    change points and empty pieces (``ModeMemo``)."""

    __slots__ = ("actions", "fits", "modes", "zone")

    def __init__(self) -> None:
        # each series' routines and the mode memo's keys its fit used
        self.fits: dict[tuple[Any, ...], tuple[list[Routine], tuple[Any, ...]]] = {}
        self.actions: dict[int, Action] = {}
        self.modes = ModeMemo()
        self.zone: tzinfo | None = None

    def clear(self) -> None:
        self.fits.clear()
        self.actions.clear()
        self.modes.clear()
        self.zone = None

    def __len__(self) -> int:
        """How many series fits are kept (those of the last call)."""
        return len(self.fits)


def _copy(r: Routine) -> Routine:
    """A routine nobody else holds (callers set ids and statuses on what they get)."""
    return replace(r, days=list(r.days) if isinstance(r.days, list) else r.days,
                   entities=list(r.entities), evidence=list(r.evidence), detail=dict(r.detail))


def mine_routines(
    events: Sequence[ActivityEvent],
    episodes: Sequence[Episode],
    tz: tzinfo,
    *,
    observed_days: Sequence[date] | None = None,
    options: RoutineOptions | None = None,
    cache: FitCache | None = None,
) -> list[Routine]:
    """All routines in a window of activity and episodes (pure).

    ``cache`` (the engine loop keeps one between runs): each series' fit is a pure function
    of its occurrences (days, times, evidence), the days it is judged on, its names and the
    options, so a series whose inputs are all unchanged since the previous call (between
    two runs of a day most series got no new occurrence) reuses that call's routines
    (copies). The cache keeps only the fits of the last call.
    """
    opts = options or RoutineOptions()
    used: dict[tuple[Any, ...], tuple[list[Routine], tuple[Any, ...]]] = {}
    judged_on: dict[int, tuple[date, ...]] = {}
    if cache is not None and cache.zone != tz:
        cache.clear()  # occurrences are local days and minutes
        cache.zone = tz

    def fit(
        occ: list[Occurrence], days: Sequence[date], sigs: list[tuple[Any, ...]] | None = None,
        **kw: Any,
    ) -> list[Routine]:
        if cache is None:
            return fit_series(occ, days, tz=tz, options=opts, **kw)
        on = judged_on.get(id(days))
        if on is None:
            on = judged_on[id(days)] = tuple(days)
        detail = kw.get("detail")
        key = (
            tz, opts, on, kw["kind"], kw["key_base"], kw["label"], kw["actor"],
            tuple(kw["entities"]), kw.get("max_spread"), kw.get("once_daily", False),
            tuple(sorted(detail.items())) if detail else None,
            tuple(sigs) if sigs is not None
            else tuple((o.day, o.minute, tuple(o.evidence)) for o in occ),
        )
        hit = cache.fits.get(key)  # most series fit to nothing: [] is a hit too
        if hit is None:
            cache.modes.used()
            fitted = [
                _copy(r)
                for r in fit_series(occ, days, tz=tz, options=opts, memo=cache.modes, **kw)
            ]
            hit = (fitted, cache.modes.used())
        else:
            cache.modes.carry(hit[1])  # for when this series changes again
        used[key] = hit
        return [_copy(r) for r in hit[0]]

    if observed_days is None:
        observed_days = sorted(
            {e.ts.astimezone(tz).date() for e in events}
            | {e.end.astimezone(tz).date() for e in episodes}
        )
    first_day = observed_days[0] if observed_days else None
    observed_days = _at_home_days(observed_days, episodes, tz)
    events = by_time(events)
    areas = {e.entity_id: e.area for e in events if e.entity_id and e.area}
    nights = _closed_nights(observed_days, episodes, tz)
    out: list[Routine] = []
    for (kind, actor), occ in {
        **sleep_series(episodes, tz, first_day),
        **presence_series(events, episodes, tz, opts),
    }.items():
        who = _name(actor) if actor else "The household"
        anchor = kind in ONCE_DAILY_KINDS
        out += fit(
            occ,
            nights.get(kind, observed_days),
            kind=kind,
            key_base=f"{kind}:{actor or 'home'}",
            label=f"{who} {_KIND_LABEL[kind]}",
            actor=actor,
            entities=[actor] if actor else [],
            max_spread=opts.anchor_max_spread_min if anchor else None,
            once_daily=anchor,
        )
    habits, signatures = _habits(events, tz, None if cache is None else cache.actions)
    for (entity_id, state, actor), occ in habits.items():
        domain = entity_id.split(".", 1)[0]
        area = areas.get(entity_id)
        thing = f"{area} {domain.replace('_', ' ')}" if area else entity_id
        label = f"{thing} {_VERB.get(state, state)}"
        if actor:
            label = f"{_name(actor)}: {label}"
        out += fit(
            occ,
            observed_days,
            signatures[(entity_id, state, actor)],
            kind="habit",
            key_base=f"habit:{actor or 'home'}:{entity_id}:{state}",
            label=label,
            actor=actor,
            entities=[entity_id],
            max_spread=opts.habit_max_spread_min,
            detail={"entity_id": entity_id, "state": state, "area": area},
        )
    if cache is not None:
        cache.fits = used
        cache.modes.turn()
    return out
