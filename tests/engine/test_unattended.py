"""A media player's held interval is someone there only while something else says so too."""

from __future__ import annotations

from galatea_engine.mining.presence import Signal
from galatea_engine.mining.unattended import unattended


def _sig(t: float, end: float, entity_id: str, kind: str) -> Signal:
    return Signal(t, end, entity_id, "Living Room", kind, None, None, True)


def _tv(end: float) -> Signal:
    return _sig(0.0, end, "media_player.tv", "media")


def _motion(t: float) -> Signal:
    return _sig(t, t + 90.0, "binary_sensor.motion", "hold")


def test_a_tv_switched_off_with_someone_moving_after_keeps_its_evening() -> None:
    sigs = [_tv(10_000.0), _motion(3_000.0), _motion(10_100.0)]
    assert unattended(sigs, data_end=50_000.0)[0].end == 10_000.0


def test_someone_moving_just_before_it_went_off_is_someone_switching_it_off() -> None:
    sigs = [_tv(10_000.0), _motion(9_700.0)]
    assert unattended(sigs, data_end=50_000.0)[0].end == 10_000.0


def test_a_tv_going_off_with_nobody_around_ends_where_someone_was_last_seen() -> None:
    sigs = [_tv(20_000.0), _motion(3_000.0), _motion(5_000.0), _motion(30_000.0)]
    out = unattended(sigs, data_end=50_000.0)
    assert out[0].end == 5_000.0
    assert out[1:] == sigs[1:]


def test_with_nothing_else_inside_it_the_tv_is_only_its_switching_on() -> None:
    assert unattended([_tv(20_000.0), _motion(30_000.0)], data_end=50_000.0)[0].end == 0.0


def test_a_tv_still_playing_as_the_data_ends_is_left_alone() -> None:
    sigs = [_tv(20_000.0), _motion(3_000.0)]
    assert unattended(sigs, data_end=20_000.0)[0].end == 20_000.0


def test_a_seat_held_past_the_tv_going_off_is_someone_there() -> None:
    sigs = [_tv(20_000.0), _sig(1_000.0, 19_900.0, "binary_sensor.sofa", "hold")]
    assert unattended(sigs, data_end=50_000.0)[0].end == 20_000.0


def test_a_toilet_trip_in_the_night_is_not_someone_back_in_front_of_the_tv() -> None:
    bathroom = Signal(15_000.0, 15_100.0, "binary_sensor.b", "Bathroom", "hold", None, None, True)
    sigs = [_tv(20_000.0), _motion(5_000.0), bathroom, _motion(30_000.0)]
    assert unattended(sigs, data_end=50_000.0)[0].end == 5_000.0
