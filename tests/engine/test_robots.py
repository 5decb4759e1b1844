"""A robot vacuum's runs, and the motion they make."""

from __future__ import annotations

from galatea_engine.mining.presence import Signal
from galatea_engine.mining.robots import robot_runs, without_robot

from .home_builder import Home


def _motion(t: float, kind: str = "hold", dc: str = "motion") -> Signal:
    return Signal(t, t + 90.0, "binary_sensor.m", "Sala", kind, dc, None, True)


def test_runs_last_from_cleaning_until_docked_and_merge_across_robots() -> None:
    h = Home()
    for entity, states in (
        ("vacuum.up", (("10:00", "cleaning"), ("10:40", "returning"), ("10:45", "docked"))),
        ("vacuum.down", (("10:30", "cleaning"), ("11:10", "paused"), ("12:00", "cleaning"))),
    ):
        for hhmm, state in states:
            h.add(h.at(0, hhmm), entity, state, area="Sala")
    h.add(h.at(0, "12:30"), "light.sala", "on", area="Sala")
    runs = robot_runs(h.build())
    t = [h.at(0, x).timestamp() for x in ("10:00", "11:10", "12:00", "12:30")]
    assert runs == [(t[0], t[1]), (t[2], t[3])]  # the second still running as the data ends


def test_motion_that_started_during_a_run_is_the_robot_and_nothing_else_is() -> None:
    runs = [(1_000.0, 4_000.0)]
    before, during = _motion(900.0), _motion(2_000.0)
    late, after = _motion(4_100.0), _motion(4_500.0)
    seat = _motion(2_000.0, dc="occupancy")
    door = Signal(2_500.0, 2_500.0, "binary_sensor.d", "Sala", "contact", "door", None, True)
    kept = without_robot([before, during, seat, door, late, after], runs)
    assert kept == [before, seat, door, after]
