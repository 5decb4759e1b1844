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
