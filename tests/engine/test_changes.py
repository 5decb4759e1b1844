"""Change: a shifted routine supersedes the old one; deviations say how late today is."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from galatea_engine.mining.changes import changed_routines, deviations
from galatea_engine.mining.circular import parse_hhmm, signed_diff
from galatea_engine.mining.routines import mine_routines
from galatea_engine.models import ActivityEvent, Routine

from .sim_data import TZ, episodes, home


def test_simulated_new_job_supersedes_old_wake_up() -> None:
    acts, truth = home()
    assert truth.change is not None
    change = date.fromisoformat(truth.change["date"])
    routines = mine_routines(acts, episodes(), TZ)
    wake = [
        r
        for r in routines
        if r.kind == "wake_up" and r.actor == "person.anna" and r.days == "weekdays"
    ]
    old = [r for r in wake if r.status == "superseded"]
    new = [r for r in wake if r.valid_to is None]
    assert len(old) == 1
    assert len(new) == 1
    assert abs(signed_diff(parse_hhmm(old[0].time), parse_hhmm(truth.change["old_time"]))) <= 10
    assert abs(signed_diff(parse_hhmm(new[0].time), parse_hhmm(truth.change["new_time"]))) <= 10
    # Old one ends, new one starts, around the change (a weekend may sit in between).
    assert old[0].valid_to is not None
    assert new[0].valid_from is not None
    assert abs((old[0].valid_to.date() - change).days) <= 3
    assert abs((new[0].valid_from.date() - change).days) <= 3
    assert old[0].detail["superseded_by"] == new[0].key
    assert new[0].detail["replaces"] == old[0].key
    assert -70 <= new[0].detail["shift_min"] <= -50
    # The habits that moved with it are linked too (kitchen light, leaving home).
    kitchen = [
        r
        for r in routines
        if r.kind == "habit"
        and r.entities == ["light.kitchen"]
        and r.detail["state"] == "on"
        and r.status == "superseded"
    ]
    assert any(abs(signed_diff(parse_hhmm(r.time), parse_hhmm("06:50"))) <= 10 for r in kitchen)


def _routine(**kw: object) -> Routine:
    base = Routine(
        key="wake_up:person.anna:weekdays:morning",
        kind="wake_up",
        label="Anna wakes up",
        days="weekdays",
        time="06:30",
        spread_min=10.0,
        support_days=20,
        confidence=0.9,
        actor="person.anna",
        entities=["person.anna"],
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def _at(d: date, hh: int, mm: int) -> datetime:
    return datetime(d.year, d.month, d.day, hh, mm, tzinfo=TZ)


MONDAY = date(2026, 3, 2)


def test_deviation_when_expected_routine_did_not_happen() -> None:
    r = _routine()
    devs = deviations([r], [], _at(MONDAY, 7, 30), TZ)
    assert len(devs) == 1
    assert devs[0].late_min == 60
    assert devs[0].sigmas == 6
    assert devs[0].expected == _at(MONDAY, 6, 30)
    assert devs[0].as_dict()["expected"].endswith("+01:00")


def test_no_deviation_when_it_happened_or_not_due() -> None:
    r = _routine()
    woke = ActivityEvent(
        ts=_at(MONDAY, 6, 41),
        source="ha",
        kind="state_changed",
        entity_id="binary_sensor.bed",
        actor="person.anna",
        actor_kind="device",
        state="off",
        old_state="on",
    )
    assert deviations([r], [woke], _at(MONDAY, 7, 30), TZ) == []
    # Within 2 x spread of the usual time: not late yet.
    assert deviations([r], [], _at(MONDAY, 6, 45), TZ) == []
    # Saturday: a weekday routine is not expected.
    assert deviations([r], [], _at(MONDAY + timedelta(days=5), 9, 0), TZ) == []
    # Superseded routines are not expected any more.
    assert deviations([_routine(status="superseded")], [], _at(MONDAY, 9, 0), TZ) == []


def test_habit_deviation_needs_the_person_action() -> None:
    r = _routine(
        key="habit:home:light.kitchen:on:weekdays:morning",
        kind="habit",
        actor=None,
        time="06:50",
        spread_min=5.0,
        entities=["light.kitchen"],
        detail={"entity_id": "light.kitchen", "state": "on"},
    )
    by_automation = ActivityEvent(
        ts=_at(MONDAY, 6, 50),
        source="ha",
        kind="state_changed",
        entity_id="light.kitchen",
        state="on",
        old_state="off",
        actor="automation.x",
        actor_kind="automation",
        parent_id="p",
    )
    devs = deviations([r], [by_automation], _at(MONDAY, 7, 20), TZ)
    assert [d.key for d in devs] == [r.key]
    by_hand = replace(by_automation, actor=None, actor_kind=None, parent_id=None)
    assert deviations([r], [by_hand], _at(MONDAY, 7, 20), TZ) == []


def test_changed_routines_between_runs() -> None:
    before = [_routine()]
    moved = _routine(time="05:30")
    new = _routine(key="habit:x", kind="habit")
    learned, changed = changed_routines(before, [moved, new])
    assert [r.key for r in learned] == ["habit:x"]
    assert [r.key for r in changed] == [moved.key]
    assert changed_routines(before, [_routine(time="06:35")]) == ([], [])


def test_too_loose_routine_is_never_late() -> None:
    # Known (09:30-12:30 wake-ups, SD 70 min) but too loose to call late: 2 x spread would be
    # hours, so no deviation at any time of the day.
    loose = _routine(time="11:00", spread_min=70.0, days="daily")
    for hh in (12, 14, 16, 20, 23):
        assert deviations([loose], [], _at(MONDAY, hh, 0), TZ) == []
    assert deviations([_routine(time="11:00", spread_min=50.0, days="daily")], [],
                      _at(MONDAY, 13, 0), TZ) != []
