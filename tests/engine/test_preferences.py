"""Preferences: setpoints, light levels and media by time of day, from people only."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from galatea_engine.mining.circular import parse_hhmm, signed_diff
from galatea_engine.mining.preferences import PreferenceCache, mine_preferences
from galatea_engine.models import Preference

from .sim_data import TZ, home


@pytest.fixture(scope="module")
def prefs() -> list[Preference]:
    acts, _ = home()
    return mine_preferences(acts, TZ)


def _of(prefs: list[Preference], kind: str, subject: str) -> list[Preference]:
    return [p for p in prefs if p.kind == kind and p.subject == subject]


def _start(p: Preference) -> float:
    assert p.when is not None
    return parse_hhmm(p.when.split("-")[0])


def test_climate_setpoints_by_time_of_day(prefs: list[Preference]) -> None:
    living = _of(prefs, "climate_setpoint", "climate.living_room")
    assert sorted(p.value for p in living) == [18.0, 21.5]
    assert {p.mode for p in living} == {"heat"}
    night = next(p for p in living if p.value == 18.0)
    assert abs(signed_diff(_start(night), parse_hhmm("23:50"))) <= 15
    assert night.area == "Living Room"


def test_light_brightness_and_colour_by_time_of_day(prefs: list[Preference]) -> None:
    bright = {p.value: p for p in _of(prefs, "light_brightness", "light.kitchen")}
    assert set(bright) == {100, 60}
    assert _start(bright[100]) < 12 * 60 < _start(bright[60])
    kelvin = {p.value for p in _of(prefs, "light_color_temp", "light.kitchen")}
    assert kelvin == {4000, 2700}


def test_media_habits(prefs: list[Preference]) -> None:
    tv = _of(prefs, "media", "media_player.grandma_tv")
    assert len(tv) == 1
    assert tv[0].value == "Live TV"
    assert abs(signed_diff(_start(tv[0]), 20 * 60)) <= 15
    assert _of(prefs, "media", "media_player.living_room_tv")[0].value == "Netflix"


def test_automation_settings_are_not_preferences(prefs: list[Preference]) -> None:
    assert _of(prefs, "light_brightness", "light.porch") == []


def test_cached_preferences_equal_fresh_ones() -> None:
    """The engine keeps each subject's preferences between runs: windows that move on give
    what a fresh pass does, and what callers do with theirs does not reach the cache."""
    acts, _ = home()
    cache = PreferenceCache()
    start, end = acts[0].ts, acts[0].ts + timedelta(days=10)
    while end <= acts[-1].ts + timedelta(hours=6):
        window = [a for a in acts if start <= a.ts < end]
        cached = mine_preferences(window, TZ, cache=cache)
        assert cached == mine_preferences(window, TZ)
        for p in cached:
            p.id = 99
            p.evidence.append(-1)
        assert mine_preferences(window, TZ, cache=cache) == mine_preferences(window, TZ)
        end += timedelta(hours=17)
        start += timedelta(hours=11)


def test_cached_observations_follow_the_zone() -> None:
    """Each activity's observation is kept by activity id in one zone: another zone's local
    times are found afresh."""
    acts = [a.with_id(i + 1) for i, a in enumerate(home()[0])]  # as stored
    cache = PreferenceCache()
    mine_preferences(acts, TZ, cache=cache)
    assert cache.seen  # kept for the next call
    other = ZoneInfo("America/New_York")
    assert mine_preferences(acts, other, cache=cache) == mine_preferences(acts, other)
