"""Circular statistics on minutes of the day.

Times of day live on a circle: 23:50 and 00:10 are 20 minutes apart, and their mean is 00:00,
not noon. Everything here maps minutes to angles, so nothing needs clock bins and midnight
wraps for free. Clustering finds the peaks of a von Mises kernel density on the circle (the
circular analogue of a Gaussian KDE); each point belongs to the peak its density hill climbs to.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

import numpy as np
import numpy.typing as npt

DAY_MIN = 1440.0
_TWO_PI = 2.0 * math.pi
FloatArray = npt.NDArray[np.float64]


def minute_of_day(ts: datetime, tz: tzinfo) -> float:
    """Local minutes after midnight (seconds as a fraction)."""
    local = ts.astimezone(tz)
    return local.hour * 60 + local.minute + local.second / 60.0


def day_and_minute(ts: datetime, tz: tzinfo) -> tuple[date, float]:
    """The local day of ``ts`` and its ``minute_of_day``, converting once."""
    local = ts.astimezone(tz)
    return local.date(), local.hour * 60 + local.minute + local.second / 60.0


def _angles(minutes: Sequence[float] | FloatArray) -> FloatArray:
    return np.asarray(minutes, dtype=np.float64) * (_TWO_PI / DAY_MIN)


def circular_mean(
    minutes: Sequence[float] | FloatArray, weights: Sequence[float] | None = None
) -> float:
    """Mean time of day in [0, 1440); NaN for no data or perfectly opposed times."""
    a = _angles(minutes)
    if a.size == 0:
        return math.nan
    if weights is None:
        s, c = float(np.sin(a).sum()), float(np.cos(a).sum())
    else:
        w = np.asarray(weights, dtype=np.float64)
        s, c = float(np.sum(w * np.sin(a))), float(np.sum(w * np.cos(a)))
    if abs(s) < 1e-12 and abs(c) < 1e-12:
        return math.nan
    return (math.atan2(s, c) % _TWO_PI) * DAY_MIN / _TWO_PI


def resultant_length(minutes: Sequence[float] | FloatArray) -> float:
    """Mean resultant length R in [0, 1]: 1 = always the same time, 0 = no preferred time."""
    a = _angles(minutes)
    if a.size == 0:
        return 0.0
    return float(math.hypot(float(np.mean(np.sin(a))), float(np.mean(np.cos(a)))))


def circular_spread(minutes: Sequence[float] | FloatArray) -> float:
    """Circular standard deviation in minutes, sqrt(-2 ln R); about the SD for tight data."""
    r = resultant_length(minutes)
    if r <= 1e-12:
        return DAY_MIN / 2
    return math.sqrt(max(0.0, -2.0 * math.log(r))) * DAY_MIN / _TWO_PI


def signed_diff(a: float, b: float) -> float:
    """a - b in minutes, wrapped to (-720, 720]."""
    d = (a - b) % DAY_MIN
    return d - DAY_MIN if d > DAY_MIN / 2 else d


def deviations_from(minutes: Sequence[float] | FloatArray, center: float) -> FloatArray:
    """Signed minute differences of each point from ``center`` (wrapped)."""
    m = np.asarray(minutes, dtype=np.float64)
    d = np.mod(m - center, DAY_MIN)
    return np.where(d > DAY_MIN / 2, d - DAY_MIN, d)


def robust_center(
    minutes: Sequence[float] | FloatArray,
    *,
    k: float = 3.0,
    floor: float = 20.0,
    firm: Sequence[bool] | None = None,
) -> tuple[float, float, int]:
    """(circular mean, circular SD, inliers) after dropping points more than ``k`` robust SDs
    (MAD, at least ``floor`` minutes) away: the odd misread night must not move the usual
    time. Points flagged in ``firm`` are never dropped (seen directly, so real)."""
    m = np.asarray(minutes, dtype=np.float64)
    center = circular_mean(m)
    if m.size < 4 or math.isnan(center):
        return center, circular_spread(m), int(m.size)
    d = deviations_from(m, center)
    values: list[float] = d.tolist()
    med = _median(values)  # as np.median, without its overhead on a few values
    mad = _median([abs(x - med) for x in values]) * 1.4826
    keep = np.abs(d - med) <= max(floor, k * mad)
    if firm is not None:
        keep |= np.asarray(firm, dtype=bool)
    inliers = m[keep]
    return circular_mean(inliers), circular_spread(inliers), int(inliers.size)


def hhmm(minute: float) -> str:
    m = round(minute) % int(DAY_MIN)
    return f"{m // 60:02d}:{m % 60:02d}"


def parse_hhmm(text: str) -> float:
    h, m = text.split(":", 1)
    return int(h) * 60 + int(m)


@dataclass(slots=True)
class CircularCluster:
    """One mode of a time-of-day distribution."""

    mean: float  # minutes, [0, 1440)
    spread: float  # circular SD, minutes
    members: list[int]  # indices into the input


@functools.lru_cache(maxsize=16)
def _kernel_fft(bandwidth_min: float, grid: int) -> npt.NDArray[np.complex128]:
    """FFT of the von Mises kernel (the same for every series of one bandwidth; read-only)."""
    sigma = bandwidth_min / DAY_MIN * _TWO_PI
    kappa = 1.0 / (sigma * sigma)
    theta = np.arange(grid) * (_TWO_PI / grid)
    kernel = np.exp(kappa * (np.cos(theta) - 1.0))
    out: npt.NDArray[np.complex128] = np.fft.fft(kernel)
    out.flags.writeable = False
    return out


def density(
    minutes: Sequence[float] | FloatArray, bandwidth_min: float = 20.0, grid: int = 1440
) -> FloatArray:
    """Von Mises kernel density on a ``grid``-point circle (sums to 1), by FFT convolution."""
    m = np.asarray(minutes, dtype=np.float64)
    hist = np.bincount(
        (np.mod(m, DAY_MIN) * grid / DAY_MIN).astype(np.int64) % grid, minlength=grid
    ).astype(np.float64)
    dens: FloatArray = np.maximum(
        np.real(np.fft.ifft(np.fft.fft(hist) * _kernel_fft(bandwidth_min, grid))), 0.0
    ).astype(np.float64)
    total = float(dens.sum())
    return (dens / total).astype(np.float64) if total > 0 else dens


def cluster_times(
    minutes: Sequence[float] | FloatArray,
    *,
    bandwidth_min: float = 20.0,
    merge_ratio: float = 0.75,
    min_members: int = 1,
) -> list[CircularCluster]:
    """Split times of day into modes (multimodal habits) without fixed bins.

    Peaks of the kernel density are modes; two neighbouring peaks whose valley is higher than
    ``merge_ratio`` times the lower peak are one mode (a shoulder, not a separate habit).
    """
    m = np.asarray(minutes, dtype=np.float64)
    if m.size == 0:
        return []
    grid = 1440
    dens = density(m, bandwidth_min, grid)
    # Hill-climb every grid point to its peak (basins of attraction).
    left = np.concatenate((dens[-1:], dens[:-1]))
    right = np.concatenate((dens[1:], dens[:1]))
    step = np.where(right > dens, 1, np.where(left > dens, -1, 0))
    step = np.where((right > dens) & (left > right), -1, step)
    # Climbing never turns back (a step up to the right is never followed by one to the
    # left), so each point's peak is the first flat point (step 0) in its direction.
    flat = np.flatnonzero(step == 0)
    bins = (np.mod(m, DAY_MIN) * grid / DAY_MIN).astype(np.int64) % grid
    way = step[bins]
    up = flat[np.searchsorted(flat, bins) % flat.size]
    down = flat[np.searchsorted(flat, bins, side="right") - 1]
    targets: list[int] = np.where(way > 0, up, np.where(way < 0, down, bins)).tolist()
    peaks = sorted(set(targets))
    # Merge peaks separated by a shallow valley.
    parent = {p: p for p in peaks}

    def find(p: int) -> int:
        while parent[p] != p:
            p = parent[p]
        return p

    if len(peaks) > 1:
        # The lowest point from each peak up to the next one (past midnight for the last).
        doubled = np.concatenate((dens, dens))
        lows: list[float] = np.minimum.reduceat(doubled, [*peaks, peaks[0] + grid]).tolist()
        height: list[float] = dens[peaks].tolist()
        for i, p in enumerate(peaks):
            j = (i + 1) % len(peaks)
            q = peaks[j]
            valley = min(lows[i], height[j])
            if valley >= merge_ratio * min(height[i], height[j]):
                rp, rq = find(p), find(q)
                if rp != rq:
                    parent[rq] = rp
    root = {p: find(p) for p in peaks}
    groups: dict[int, list[int]] = {}
    for i, t in enumerate(targets):
        groups.setdefault(root[t], []).append(i)
    # Each mode's mean and spread from sums of sines and cosines taken once for all points.
    ang = m * (_TWO_PI / DAY_MIN)
    sines, cosines = np.sin(ang), np.cos(ang)
    out = []
    for members in groups.values():
        if len(members) < min_members:
            continue
        idx = np.asarray(members, dtype=np.int64)
        s, c = float(sines[idx].sum()), float(cosines[idx].sum())
        out.append(CircularCluster(_mean_of(s, c), _spread_of(s, c, len(members)), members))
    out.sort(key=lambda c: c.mean)
    return out


def _mean_of(s: float, c: float) -> float:
    """``circular_mean`` from the sums of the sines and cosines."""
    if abs(s) < 1e-12 and abs(c) < 1e-12:
        return math.nan
    return (math.atan2(s, c) % _TWO_PI) * DAY_MIN / _TWO_PI


def _spread_of(s: float, c: float, n: int) -> float:
    """``circular_spread`` from the sums of the sines and cosines of ``n`` points."""
    r = math.hypot(s / n, c / n)
    if r <= 1e-12:
        return DAY_MIN / 2
    return math.sqrt(max(0.0, -2.0 * math.log(r))) * DAY_MIN / _TWO_PI


def _median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def gaussian_bic(
    groups: Sequence[Sequence[float] | FloatArray], extra_params: float = 0.0
) -> float:
    """BIC of modelling each group as its own wrapped normal around its circular mean.

    Used to decide whether splitting times (weekdays vs weekends, before vs after a change)
    explains them better than one routine, with a penalty per extra parameter. Deviations are
    taken from the group median and clipped (robust to the odd late night). Plain Python: the
    groups are small and this runs for every candidate split.
    """
    n = sum(len(g) for g in groups)
    if n == 0:
        return 0.0
    sse = 0.0
    k = extra_params
    for g in groups:
        if len(g) == 0:
            continue
        values = [float(x) for x in g]
        center = circular_mean(values)
        if math.isnan(center):
            center = 0.0
        d = [signed_diff(x, center) for x in values]
        med = _median(d)
        # Huber-style clipping: a rare late night must not hide a real weekday/weekend split.
        limit = max(15.0, 2.5 * 1.4826 * _median([abs(x - med) for x in d]))
        sse += sum(min(max(x - med, -limit), limit) ** 2 for x in d)
        k += 2  # mean and variance
    var = max(sse / n, 4.0)  # floor: 2-minute resolution, keeps exact data finite
    return n * math.log(var) + k * math.log(n)


def modes_bic(groups: Sequence[Sequence[float] | FloatArray], *, floor_min: float = 5.0) -> float:
    """BIC of a mixture of wrapped normals, one per group (hard assignment).

    -2 log L is sum over groups of ``n_g ln var_g`` (each group around its own circular mean,
    SD at least ``floor_min``, about clock jitter, so identical times stay finite) minus
    ``2 n_g ln(n_g / n)`` for the mixing weights: cutting one bell curve into slices shrinks
    each slice's variance, but the weights pay it back, so only real, separated modes win.
    Parameters: mean and variance per group plus the weights (3g - 1).
    """
    sizes = [len(g) for g in groups if len(g)]
    n = sum(sizes)
    if n == 0:
        return 0.0
    ll2 = 0.0
    for g in groups:
        if len(g) == 0:
            continue
        sd = max(circular_spread(g), floor_min)
        ll2 += len(g) * math.log(sd * sd) - 2 * len(g) * math.log(len(g) / n)
    return ll2 + (3 * len(sizes) - 1) * math.log(n)
