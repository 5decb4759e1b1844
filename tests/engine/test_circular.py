"""Circular statistics: midnight wraps, spreads in minutes, modes without clock bins."""

from __future__ import annotations

import math

import numpy as np
import pytest
from galatea_engine.mining.circular import (
    circular_mean,
    circular_spread,
    cluster_times,
    gaussian_bic,
    hhmm,
    parse_hhmm,
    robust_center,
    signed_diff,
)


def test_mean_wraps_midnight() -> None:
    assert hhmm(circular_mean([1430, 10])) == "00:00"
    assert circular_spread([1430, 10]) == pytest.approx(10.0, abs=0.1)
    # A linear mean would say noon.
    assert abs(signed_diff(circular_mean([1380, 60]), 0)) < 1


def test_signed_diff_and_hhmm() -> None:
    assert signed_diff(5, 1435) == pytest.approx(10)
    assert signed_diff(1435, 5) == pytest.approx(-10)
    assert hhmm(parse_hhmm("06:50")) == "06:50"
    assert hhmm(1440 + 15) == "00:15"


def test_spread_of_uniform_times_is_large() -> None:
    assert circular_spread(np.linspace(0, 1440, 100, endpoint=False)) > 500
    assert math.isnan(circular_mean([]))


def test_two_modes_are_found_and_noise_stays_apart() -> None:
    rng = np.random.default_rng(3)
    times = np.concatenate(
        [rng.normal(420, 8, 40), rng.normal(930, 10, 40), rng.uniform(0, 1440, 6)]
    )
    big = [c for c in cluster_times(times) if len(c.members) >= 10]
    assert len(big) == 2
    assert abs(big[0].mean - 420) < 6
    assert abs(big[1].mean - 930) < 6
    assert all(c.spread < 15 for c in big)


def test_cluster_straddling_midnight_is_one_mode() -> None:
    rng = np.random.default_rng(4)
    times = np.mod(rng.normal(1440, 12, 50), 1440)
    clusters = cluster_times(times)
    assert len(clusters) == 1
    assert abs(signed_diff(clusters[0].mean, 0)) < 6


def test_robust_center_ignores_a_late_night() -> None:
    times = [15.0, 10, 20, 12, 18, 14, 16, 105]  # one late night at 01:45
    mean, spread, kept = robust_center(times)
    assert kept == 7
    assert mean == pytest.approx(15, abs=2)
    assert spread < 5


def test_bic_prefers_split_only_when_groups_differ() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(390, 8, 20), rng.normal(450, 8, 20)
    assert gaussian_bic([a, b]) < gaussian_bic([np.concatenate([a, b])]) - 10
    c, d = rng.normal(390, 8, 20), rng.normal(391, 8, 20)
    assert gaussian_bic([c, d]) > gaussian_bic([np.concatenate([c, d])])


def _reference_modes(
    minutes: list[float], bandwidth_min: float
) -> list[tuple[float, float, list[int]]]:
    """``cluster_times`` as first written: pointer-doubling hill climb, valleys by slices,
    each mode's statistics from its own points."""
    from galatea_engine.mining.circular import density

    m = np.asarray(minutes, dtype=np.float64)
    grid = 1440
    dens = density(m, bandwidth_min, grid)
    left, right = np.roll(dens, 1), np.roll(dens, -1)
    step = np.where(right > dens, 1, np.where(left > dens, -1, 0))
    step = np.where((right > dens) & (left > right), -1, step)
    jump = (np.arange(grid) + step) % grid
    for _ in range(12):
        jump = jump[jump]
    bins = (np.mod(m, 1440.0) * grid / 1440.0).astype(np.int64) % grid
    peaks = sorted({int(p) for p in np.unique(jump[bins])})
    parent = {p: p for p in peaks}

    def find(p: int) -> int:
        while parent[p] != p:
            p = parent[p]
        return p

    if len(peaks) > 1:
        for i, p in enumerate(peaks):
            q = peaks[(i + 1) % len(peaks)]
            idx = (p + np.arange((q - p) % grid + 1)) % grid
            if float(dens[idx].min()) >= 0.75 * min(float(dens[p]), float(dens[q])):
                rp, rq = find(p), find(q)
                if rp != rq:
                    parent[rq] = rp
    groups: dict[int, list[int]] = {}
    for i, b in enumerate(bins):
        groups.setdefault(find(int(jump[b])), []).append(i)
    out = [(circular_mean(m[g]), circular_spread(m[g]), g) for g in groups.values()]
    return sorted(out, key=lambda c: c[0])


def test_modes_equal_the_first_written_clustering() -> None:
    """The faster climb (first flat point in the climbing direction) and the statistics from
    sums taken once give exactly the modes the first version did, wraps and ties included."""
    rng = np.random.default_rng(7)
    for trial in range(300):
        n = int(rng.integers(1, 70))
        if trial % 3 == 0:
            minutes = rng.uniform(0, 1440, n)
        elif trial % 3 == 1:
            minutes = np.mod(rng.normal(rng.choice([3.0, 420.0, 1437.0]), 20.0, n), 1440.0)
        else:
            minutes = rng.choice([0.0, 30.0, 719.5, 720.0, 1439.9], n)
        bandwidth = float(rng.choice([15.0, 20.0, 30.0]))
        got = cluster_times(list(minutes), bandwidth_min=bandwidth)
        want = _reference_modes(list(minutes), bandwidth)
        assert [(c.mean, c.spread, c.members) for c in got] == want, (trial, list(minutes))
        big = cluster_times(list(minutes), bandwidth_min=bandwidth, min_members=4)
        assert [(c.mean, c.spread, c.members) for c in big] == [w for w in want if len(w[2]) >= 4]
