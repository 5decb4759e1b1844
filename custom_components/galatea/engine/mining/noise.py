"""Sensors that trip with nobody moving: learned from the home's own quietest hours.

A PIR in sunlight or a draught, a radar that sees a curtain: brief single pulses of one motion
sensor with nothing else going on around them. A sensor that shows such *stray* pulses in the
core of the home's nights, often enough and on many nights, **and also while the home is empty**
is *noisy* (its night rate is kept, per hour, for diagnostics). The empty home is what tells a
sensor tripping by itself from a person: a sleeper turning over under the bedroom sensor, a
partner coming to bed later or a toilet trip seen by one sensor also make stray pulses at night,
but never in an empty home. Silence-based sleep then reads
a short burst made only of a few pulses of noisy sensors as noise: it neither wakes the home nor
marks the moment it went to bed. Anything else (a light, a door, a sensor that stays quiet at
night, more than a few pulses) is still a person.

Nothing about a sensor is assumed: a home whose sensors are still at night learns no noisy
sensor and keeps reading every pulse as a person.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .presence import Block, Signal


@dataclass(frozen=True, slots=True)
class NoiseOptions:
    """Thresholds with their reasons."""

    # A stray pulse has nothing else within this of it (a person walking trips the next
    # sensor within seconds; a PIR's own cool-down is part of its pulse).
    isolation_s: float = 120.0
    # Longer than this is someone moving about, not a pulse.
    max_pulse_s: float = 300.0
    # Stray pulses per hour of the night's core, and the share of nights they show up on,
    # that make a sensor noisy: a person's one trip for water does not, a PIR tripping by
    # itself every few hours does.
    min_rate_h: float = 0.05
    min_night_share: float = 0.2
    # Fewer nights than this teach nothing (None: not known).
    min_nights: int = 5
    # Stray pulses per hour while everyone is out that confirm a sensor trips by itself, over
    # at least this many hours of absences (fewer: nothing is confirmed, no sensor is noisy).
    min_empty_rate_h: float = 0.05
    min_empty_h: float = 12.0
    # A burst of at most this many pulses of noisy sensors may be noise ...
    max_burst_pulses: int = 3
    # ... when that many stray pulses or more in its span are at least this likely at the
    # home's learned noise rate (Poisson): one pulse in a home whose sensors trip a few times an
    # hour is noise; three in eight minutes are a person getting up.
    min_noise_p: float = 0.02
    # A burst of fewer pulses than this is not tested on its own span (two noisy sensors
    # tripping within the same minute happens by chance over weeks of nights): the run's total
    # is (see quiet_nights.quiet_sleep).
    min_burst_test_pulses: int = 3


def _motion(sig: Signal) -> bool:
    return sig.kind == "hold" and sig.device_class == "motion"


def pulses(blk: Block) -> int:
    """How many times the block's sensors tripped (its held on->off intervals)."""
    return sum(1 for s in blk.signals if s.end > s.t) or 1


def _single_pulse(blk: Block, opts: NoiseOptions) -> frozenset[str] | None:
    """The entities of a block that is one short pulse of one room's motion sensors (each
    tripping once: a room with several PIRs sees a passing cat with some of them), else None."""
    if blk.end - blk.start > opts.max_pulse_s:
        return None
    ids = frozenset(s.entity_id for s in blk.signals)
    areas = {s.area for s in blk.signals}
    if len(areas) != 1 or (None in areas and len(ids) != 1):
        return None
    if pulses(blk) > len(ids) or not all(_motion(s) for s in blk.signals):
        return None
    return ids


def stray_pulses(
    spans: Sequence[tuple[float, float]], blks: Sequence[Block], opts: NoiseOptions
) -> tuple[dict[str, int], dict[str, set[int]]]:
    """Per sensor, its stray pulses inside ``spans`` and the indices of the spans they lie in."""
    starts = [b.start for b in blks]
    count: dict[str, int] = {}
    seen: dict[str, set[int]] = {}
    for k, (w0, w1) in enumerate(spans):
        lo = bisect.bisect_left(starts, w0)
        hi = bisect.bisect_left(starts, w1)
        for j in range(lo, hi):
            blk = blks[j]
            entities = _single_pulse(blk, opts)
            if entities is None or blk.end > w1:
                continue
            before = j == 0 or blk.start - blks[j - 1].end >= opts.isolation_s
            after = j + 1 >= len(blks) or blks[j + 1].start - blk.end >= opts.isolation_s
            if before and after:
                for entity in entities:
                    count[entity] = count.get(entity, 0) + 1
                    seen.setdefault(entity, set()).add(k)
    return count, seen


def strip_stray(
    blks: Sequence[Block], noisy: Mapping[str, float], options: NoiseOptions | None = None
) -> tuple[list[Block], list[Block]]:
    """``blks`` without the stray pulses of noisy sensors (each a single short pulse with
    nothing within ``isolation_s`` of it), and those pulses: the home's activity as the people
    made it, if every such pulse was noise. Whether they all can be is for the caller to test
    over the span it reads as quiet (``plausible_noise`` on ``stray_counts``)."""
    opts = options or NoiseOptions()
    kept: list[Block] = []
    stray: list[Block] = []
    for j, blk in enumerate(blks):
        entities = _single_pulse(blk, opts)
        lone = (
            entities is not None
            and all(e in noisy for e in entities)
            and (j == 0 or blk.start - blks[j - 1].end >= opts.isolation_s)
            and (j + 1 >= len(blks) or blks[j + 1].start - blk.end >= opts.isolation_s)
        )
        (stray if lone else kept).append(blk)
    return kept, stray


def stray_counts(stray: Sequence[Block], t0: float, t1: float) -> dict[str, int]:
    """Per sensor, the stray pulses (``strip_stray``) that started in ``[t0, t1)``."""
    lo = bisect.bisect_left(stray, t0, key=lambda b: b.start)
    hi = bisect.bisect_left(stray, t1, key=lambda b: b.start)
    counts: dict[str, int] = {}
    for blk in stray[lo:hi]:
        for entity in {s.entity_id for s in blk.signals}:
            counts[entity] = counts.get(entity, 0) + 1
    return counts


def noisy_sensors(
    windows: Sequence[tuple[float, float]],
    blks: Sequence[Block],
    empty: Sequence[tuple[float, float]],
    options: NoiseOptions | None = None,
) -> dict[str, float] | None:
    """Noisy sensors and their stray pulses per hour in ``windows`` (the core of the home's
    nights, see away.quietest_windows), confirmed in ``empty`` (the home's absences); None when
    there are too few windows to tell."""
    opts = options or NoiseOptions()
    if len(windows) < opts.min_nights:
        return None
    empty_h = sum(b - a for a, b in empty) / 3600
    if empty_h < opts.min_empty_h:
        return {}
    count, nights = stray_pulses(windows, blks, opts)
    when_empty, _ = stray_pulses(empty, blks, opts)
    hours = sum(w1 - w0 for w0, w1 in windows) / 3600
    return {
        entity: round(n / hours, 3)
        for entity, n in sorted(count.items())
        if n / hours >= opts.min_rate_h
        and len(nights[entity]) >= opts.min_night_share * len(windows)
        and when_empty.get(entity, 0) / empty_h >= opts.min_empty_rate_h
    }


def burst_pulses(
    burst: Sequence[Block], noisy: Mapping[str, float], options: NoiseOptions | None = None
) -> dict[str, int] | None:
    """Pulses per sensor of ``burst`` (the activity between two silences) when it is nothing
    but a few short pulses of noisy motion sensors, each on its own (a person walking from room
    to room trips the next sensor while the last one is still on, so their pulses join into
    one block); else None."""
    opts = options or NoiseOptions()
    if not burst or not noisy:
        return None
    counts: dict[str, int] = {}
    for blk in burst:
        if blk.end - blk.start > opts.max_pulse_s:
            return None
        if not all(_motion(s) and s.entity_id in noisy for s in blk.signals):
            return None
        tripped = [s.entity_id for s in blk.signals if s.end > s.t] or [blk.signals[0].entity_id]
        for entity in tripped:
            counts[entity] = counts.get(entity, 0) + 1
    if sum(counts.values()) > opts.max_burst_pulses:
        return None
    return counts


def plausible_noise(
    counts: Mapping[str, int],
    span_s: float,
    noisy: Mapping[str, float],
    options: NoiseOptions | None = None,
    *,
    family: bool = False,
) -> bool:
    """``counts`` pulses per sensor in ``span_s`` seconds are likely enough as noise: all
    together at the home's learned rate, and each sensor that tripped more than once at its
    own. Per sensor matters over a long stretch: a person sitting in the living room trips that
    one sensor every quarter of an hour, more than its noise would, though the home's sensors
    together trip about as often by themselves."""
    opts = options or NoiseOptions()
    hours = span_s / 3600
    # Over a whole night one of several sensors tripping more than its rate is not rare:
    # ``family`` asks that of the sensors together (Bonferroni over those tested).
    tested = sum(1 for k in counts.values() if k > 1) if family else 1
    for entity, k in counts.items():
        if k > 1 and tested * at_least(k, noisy.get(entity, 0.0) * hours) < opts.min_noise_p:
            return False
    total = sum(counts.values())
    return at_least(total, sum(noisy.values()) * hours) >= opts.min_noise_p


def merge_counts(*parts: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in parts:
        for entity, k in part.items():
            out[entity] = out.get(entity, 0) + k
    return out


def noise_burst(
    burst: Sequence[Block], noisy: Mapping[str, float], options: NoiseOptions | None = None
) -> bool:
    """``burst`` is a few pulses of noisy sensors (``burst_pulses``), as likely as noise in its
    own span (``plausible_noise``)."""
    opts = options or NoiseOptions()
    counts = burst_pulses(burst, noisy, opts)
    if counts is None:
        return False
    if sum(counts.values()) < opts.min_burst_test_pulses:
        return True  # two sensors' pulses coinciding: the night's total decides (callers)
    span = burst[-1].end - burst[0].start + opts.max_pulse_s
    return plausible_noise(counts, span, noisy, opts)


def at_least(k: int, mu: float) -> float:
    """P(N >= k) for N ~ Poisson(mu)."""
    term = math.exp(-mu)
    below = 0.0
    for i in range(k):
        below += term
        term *= mu / (i + 1)
    return max(0.0, 1.0 - below)
