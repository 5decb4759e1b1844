"""Routines: day splits, multimodal habits, person vs automation, recovery of the simulator."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from galatea_engine.mining.circular import circular_mean, parse_hhmm, signed_diff
from galatea_engine.mining.days import days_set
from galatea_engine.mining.routines import mine_routines
from galatea_engine.models import ActivityEvent, Episode, Routine

from .sim_data import TZ, episodes, home

START = date(2026, 3, 2)  # a Monday


def _at(d: date, minute: float, tz: ZoneInfo = TZ) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=tz) + timedelta(minutes=minute)


def _sleep(person: str, days: int, wake: dict[str, float], bed: dict[str, float]) -> list[Episode]:
    """Hand-made sleep episodes; jitter is deterministic (+-7 min)."""
    out = []
    for i in range(days):
        d = START + timedelta(days=i)
        nxt = d + timedelta(days=1)
        jitter = ((i * 7) % 15) - 7
        bed_min = bed["weekend" if nxt.weekday() >= 5 else "weekday"] + jitter
        wake_next = wake["weekend" if nxt.weekday() >= 5 else "weekday"] - jitter
        out.append(
            Episode(
                "sleep",
                _at(d, bed_min),
                _at(nxt, wake_next),
                actor=person,
                detail={"scope": "person"},
                evidence=[i],
            )
        )
    return out


def _find(
    routines: list[Routine], kind: str, actor: str | None, days: object = None
) -> list[Routine]:
    return [
        r
        for r in routines
        if r.kind == kind
        and r.actor == actor
        and r.valid_to is None
        and (days is None or r.days == days)
    ]


def test_weekday_and_weekend_wake_up_from_episodes() -> None:
    eps = _sleep(
        "person.ana", 35, {"weekday": 390, "weekend": 510}, {"weekday": 1365, "weekend": 1365}
    )
    routines = mine_routines([], eps, TZ)
    wd = _find(routines, "wake_up", "person.ana", "weekdays")
    we = _find(routines, "wake_up", "person.ana", "weekends")
    assert len(wd) == 1
    assert len(we) == 1
    assert abs(signed_diff(parse_hhmm(wd[0].time), 390)) <= 3
    assert abs(signed_diff(parse_hhmm(we[0].time), 510)) <= 3
    assert wd[0].support_days >= 20
    assert wd[0].confidence > 0.8
    assert wd[0].spread_min < 10
    assert wd[0].key == "wake_up:person.ana:weekdays:morning"


def test_bedtime_around_midnight_wraps() -> None:
    eps = _sleep(
        "person.ben", 28, {"weekday": 450, "weekend": 450}, {"weekday": 1440, "weekend": 1440}
    )
    bed = _find(mine_routines([], eps, TZ), "go_to_bed", "person.ben")
    assert len(bed) == 1
    assert bed[0].days == "daily"
    assert abs(signed_diff(parse_hhmm(bed[0].time), 0)) <= 3
    assert bed[0].spread_min < 10


def _person_event(person: str, ts: datetime, state: str, old: str, i: int) -> ActivityEvent:
    return ActivityEvent(
        ts=ts,
        source="ha",
        kind="state_changed",
        entity_id=person,
        actor=person,
        actor_kind="person",
        state=state,
        old_state=old,
        id=i,
    )


def test_specific_weekdays_for_leaving_home() -> None:
    events = []
    for i in range(42):
        d = START + timedelta(days=i)
        if d.weekday() in (0, 2, 4):
            events.append(
                _person_event("person.ben", _at(d, 1080 + i % 5), "not_home", "home", 2 * i)
            )
            events.append(
                _person_event("person.ben", _at(d, 1170 + i % 7), "home", "not_home", 2 * i + 1)
            )
        else:  # some other activity so the day is observed
            events.append(
                ActivityEvent(
                    ts=_at(d, 600),
                    source="ha",
                    kind="state_changed",
                    entity_id="light.x",
                    state="on",
                    old_state="off",
                    actor_kind="automation",
                    actor="automation.a",
                    id=1000 + i,
                )
            )
    routines = mine_routines(events, [], TZ)
    leave = _find(routines, "leave_home", "person.ben")
    arrive = _find(routines, "arrive_home", "person.ben")
    assert [r.days for r in leave] == [[0, 2, 4]]
    assert [r.days for r in arrive] == [[0, 2, 4]]
    assert abs(signed_diff(parse_hhmm(leave[0].time), 1082)) <= 3


def _light(ts: datetime, i: int, *, automation: bool) -> ActivityEvent:
    return ActivityEvent(
        ts=ts,
        source="ha",
        kind="state_changed",
        entity_id="light.kitchen",
        area="Kitchen",
        state="on",
        old_state="off",
        id=i,
        actor="automation.morning" if automation else None,
        actor_kind="automation" if automation else None,
        context_id=f"c{i}",
        parent_id="p" if automation else None,
    )


def test_automation_caused_actions_are_not_habits() -> None:
    auto = [_light(_at(START + timedelta(days=i), 420), i, automation=True) for i in range(30)]
    assert [r for r in mine_routines(auto, [], TZ) if r.kind == "habit"] == []
    own = [
        _light(_at(START + timedelta(days=i), 420 + i % 9), i, automation=False) for i in range(30)
    ]
    habits = [r for r in mine_routines(own, [], TZ) if r.kind == "habit"]
    assert len(habits) == 1
    assert habits[0].days == "daily"
    assert habits[0].entities == ["light.kitchen"]
    assert habits[0].label == "Kitchen light turned on"


# -- the simulated home ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mined() -> list[Routine]:
    acts, _ = home()
    return mine_routines(acts, episodes(), TZ)


def test_simulator_person_routines_recovered(mined: list[Routine]) -> None:
    """Every current wake/bed/leave/arrive routine of the ground truth is found within 15 min."""
    _, truth = home()
    misses = []
    for t in truth.routines:
        if t.get("valid_to"):
            continue
        want = days_set(t["days"])
        cands = [
            r
            for r in mined
            if r.kind == t["kind"]
            and r.actor == t["person"]
            and r.valid_to is None
            and days_set(r.days) & want
        ]
        errors = [abs(signed_diff(parse_hhmm(r.time), parse_hhmm(t["time"]))) for r in cands]
        if not errors or min(errors) > 15:
            misses.append((t, [(r.days, r.time) for r in cands]))
    assert misses == []


def test_simulator_daily_truth_matches_routine_times(mined: list[Routine]) -> None:
    """Mean daily truth (wake) per person vs the mined routine: within 15 minutes."""
    _, truth = home()
    for person, kind in (("person.grandma", "wake"), ("person.ben", "wake")):
        days = [
            r
            for r in truth.daily
            if r["person"] == person and r[kind] and date.fromisoformat(r["date"]).weekday() < 5
        ]
        minutes = [
            datetime.fromisoformat(r[kind]).hour * 60 + datetime.fromisoformat(r[kind]).minute
            for r in days
        ]
        mean = sum(minutes) / len(minutes)
        routine = [r for r in _find(mined, "wake_up", person) if 0 in days_set(r.days)]
        assert routine, person
        assert abs(signed_diff(parse_hhmm(routine[0].time), mean)) <= 15


def test_simulator_weekday_habit(mined: list[Routine]) -> None:
    office = [
        r
        for r in mined
        if r.kind == "habit" and r.entities == ["light.office"] and r.detail["state"] == "on"
    ]
    assert len(office) == 1
    assert office[0].days == "weekdays"
    assert office[0].actor == "person.ben"
    assert abs(signed_diff(parse_hhmm(office[0].time), 510)) <= 10


def test_simulator_multimodal_habit(mined: list[Routine]) -> None:
    kettle = sorted(
        (
            r
            for r in mined
            if r.kind == "habit" and r.entities == ["switch.kettle"] and r.detail["state"] == "on"
        ),
        key=lambda r: r.time,
    )
    assert [r.days for r in kettle] == ["daily", "daily"]
    assert abs(signed_diff(parse_hhmm(kettle[0].time), 420)) <= 10
    assert abs(signed_diff(parse_hhmm(kettle[1].time), 930)) <= 10
    assert len({r.key for r in kettle}) == 2


def test_simulator_no_habit_from_automations(mined: list[Routine]) -> None:
    entities = {e for r in mined if r.kind == "habit" for e in r.entities}
    assert "switch.coffee_machine" not in entities  # time-triggered automation
    assert "light.porch" not in entities  # welcome automation


# A real household's loose wake-up: 09:30 to 12:30 over two weeks, in no weekday order
# (Ordonez A wakes between 09:26 and 12:37). 14 distinct times, 13-14 minutes apart.
LOOSE_WAKE = [570 + (i * 5 % 14) * 180 / 13 for i in range(14)]


def _household_sleep(wakes: list[float], bed: float = 90.0) -> list[Episode]:
    out = []
    for i, wake in enumerate(wakes):
        d = START + timedelta(days=i)
        out.append(
            Episode(
                "sleep",
                _at(d, bed),
                _at(d, wake),
                detail={"scope": "home"},
                evidence=[i],
            )
        )
    return out


def test_loose_but_real_wake_up_is_one_wide_routine() -> None:
    from galatea_engine.mining.circular import circular_mean

    routines = mine_routines([], _household_sleep(LOOSE_WAKE), TZ)
    wake = _find(routines, "wake_up", None)
    assert len(wake) == 1  # not split at chance gaps, not rejected for being loose
    assert wake[0].days == "daily"
    assert abs(signed_diff(parse_hhmm(wake[0].time), circular_mean(LOOSE_WAKE))) <= 5
    assert 40 <= wake[0].spread_min <= 60  # honest: uniform over 3 h has an SD of 52 min
    assert wake[0].support_days == 14
    # Lower confidence than the tight bedtime of the same nights (the first night, going on
    # when the record began, files no bedtime: 13 bedtimes, 14 wake-ups).
    bed = _find(routines, "go_to_bed", None)
    assert len(bed) == 1
    assert bed[0].support_days == 13
    assert wake[0].confidence < bed[0].confidence - 0.15
    assert abs(wake[0].detail["regularity"] - bed[0].detail["regularity"]) < 0.02


def test_very_loose_wake_up_is_reported_but_a_loose_habit_is_not() -> None:
    wide = [480 + (i * 5 % 14) * 300 / 13 for i in range(14)]  # 08:00-13:00: SD ~87 min
    routines = mine_routines([], _household_sleep(wide), TZ)
    wake = _find(routines, "wake_up", None)
    assert len(wake) == 1
    assert wake[0].spread_min > 60
    assert wake[0].confidence < 0.6
    # The same spread of times as a device action is noise, not a habit.
    events = [
        ActivityEvent(
            ts=_at(START + timedelta(days=i), m),
            source="ha",
            kind="state_changed",
            entity_id="light.kitchen",
            state="on",
            old_state="off",
            id=i + 1,
        )
        for i, m in enumerate(LOOSE_WAKE)
    ]
    assert [r for r in mine_routines(events, [], TZ) if r.kind == "habit"] == []


def test_separate_wake_up_modes_stay_apart() -> None:
    # Weekdays 06:30 (+-7 min), weekends 09:00: clearly two routines, not one loose one.
    eps = _sleep(
        "person.ana", 28, {"weekday": 390, "weekend": 540}, {"weekday": 1380, "weekend": 1380}
    )
    wake = _find(mine_routines([], eps, TZ), "wake_up", "person.ana")
    assert sorted(str(r.days) for r in wake) == ["weekdays", "weekends"]
    assert all(r.spread_min < 15 for r in wake)


def test_day_set_is_where_it_happens_not_its_exceptions() -> None:
    from galatea_engine.mining.routines import ALL_DAYS, choose_days

    observed = [START + timedelta(days=i) for i in range(5, 18)]  # Saturday to Thursday
    # Every weekend day and 6 of 9 weekdays: daily. The weekdays are not "its days" at a
    # lower rate, and weekends alone are not clearly (BIC by 2) better.
    hits = {d for d in observed if d.weekday() >= 5 or d.day not in (12, 17, 18)}
    assert choose_days(hits, observed, min_rate=0.5) == (ALL_DAYS, len(hits) / 13)


def test_no_day_set_when_no_weekday_reaches_the_rate() -> None:
    from galatea_engine.mining.routines import choose_days

    observed = [START + timedelta(days=i) for i in range(28)]  # four of each weekday
    mondays = [d for d in observed if d.weekday() == 0]
    # One Monday in four, one Tuesday in four: no weekday, so no set of them, is regular.
    rare = {mondays[0], next(d for d in observed if d.weekday() == 1)}
    assert choose_days(rare, observed, min_rate=0.5) is None
    # Two Mondays in four: Mondays are its days, at exactly the rate needed.
    assert choose_days(set(mondays[:2]), observed, min_rate=0.5) == (frozenset({0}), 0.5)


def test_tonights_bedtime_not_seen_yet_does_not_end_the_routine() -> None:
    # Bedtime 21:30 with late nights on the last two evenings before the data ends (like
    # a live home at noon): the unseen evenings after the last closed night are not misses.
    wakes = {"weekday": 360.0, "weekend": 360.0}
    eps = _sleep("person.gran", 14, wakes, {"weekday": 1290, "weekend": 1290})
    for i in (11, 12):
        eps[i] = replace(eps[i], start=eps[i].start + timedelta(minutes=95))
    last_day = START + timedelta(days=15)  # activity today, after the last night closed
    noon = ActivityEvent(ts=_at(last_day, 720), source="ha", kind="state_changed",
                         entity_id="binary_sensor.x", state="on", old_state="off", id=1)
    bed = _find(mine_routines([noon], eps, TZ), "go_to_bed", "person.gran")
    assert len(bed) == 1
    assert abs(signed_diff(parse_hhmm(bed[0].time), 1290)) <= 5




def test_a_long_weekend_at_the_start_is_not_a_changed_routine() -> None:
    # A loose sleeper (weekdays 06:00-08:20, weekends 07:20-09:40: one mode of wake-ups) whose
    # 18 nights start on a Thursday before a long weekend: Thursday and Friday are late. Four
    # late days, two of them weekend days, are the week's shape plus two odd days, not a
    # routine that moved on the Monday: nothing is superseded, the weekday time keeps them.
    weekdays = iter([573, 682, 449, 417, 493, 414, 432, 503, 423, 361, 418, 420])
    weekends = iter([577, 567, 441, 534, 510, 577])
    first = date(2026, 3, 5)  # a Thursday
    eps: list[Episode] = []
    for i in range(18):
        d = first + timedelta(days=i)
        wake = next(weekends) if d.weekday() >= 5 else next(weekdays)
        eps.append(
            Episode("sleep", _at(d, -60), _at(d, wake), detail={"scope": "home"}, evidence=[i])
        )
    wake_ups = [r for r in mine_routines([], eps, TZ) if r.kind == "wake_up"]
    assert [r for r in wake_ups if r.status == "superseded"] == []
    (on_weekdays,) = [r for r in wake_ups if r.days == "weekdays"]
    assert on_weekdays.valid_from is None
    assert on_weekdays.support_days == 12



@pytest.mark.parametrize("method", ["bed", "quiet"])
def test_a_lie_in_seen_by_the_bed_counts_a_misread_silence_does_not(method: str) -> None:
    # A loose sleeper's weekday wake-ups (06:00-08:20) with two lie-ins (09:33, 11:22). Seen by
    # a bed sensor they are the person's own and belong in the usual time (the mean of the
    # days); inferred from silence alone they may be misread nights and are left out.
    weekdays = iter([449, 417, 573, 414, 432, 503, 682, 423, 361, 418, 420, 436, 405, 470, 431])
    weekends = iter([577, 567, 441, 534, 510, 577])
    eps: list[Episode] = []
    for i in range(21):
        d = START + timedelta(days=i)
        wake = next(weekends) if d.weekday() >= 5 else next(weekdays)
        eps.append(
            Episode(
                "sleep",
                _at(d, -60),
                _at(d, wake),
                detail={"scope": "home", "method": method},
                evidence=[i],
            )
        )
    (wd,) = _find(mine_routines([], eps, TZ), "wake_up", None, "weekdays")
    with_lie_ins = 453.0  # circular mean of all 15 weekdays, 07:33
    without = 429.1  # the 13 others, 07:09
    want = with_lie_ins if method == "bed" else without
    assert abs(signed_diff(parse_hhmm(wd.time), want)) <= 1


def test_a_late_night_from_silence_counts_a_cut_one_does_not() -> None:
    # Nights of 8 h found from silence alone. Two are late nights, both ends 85 min later
    # and the same length: the person's own, so in the usual time. Two end 2.5 h early after
    # the usual bedtime (a toilet trip read as getting up): misread, left out.
    wakes = [400, 445, 418, 505, 430, 395, 441, 452, 270, 510, 438, 420, 409, 405, 426]
    wakes += [387, 419, 424, 280, 431, 415]
    cut = {8: 330, 18: 340}
    eps: list[Episode] = []
    for i, wake in enumerate(wakes):
        d = START + timedelta(days=i)
        eps.append(
            Episode(
                "sleep",
                _at(d, wake - cut.get(i, 480)),
                _at(d, wake),
                detail={"scope": "home", "method": "quiet"},
                evidence=[i],
            )
        )
    (daily,) = _find(mine_routines([], eps, TZ), "wake_up", None, "daily")
    kept = [w for i, w in enumerate(wakes) if i not in cut]
    assert abs(signed_diff(parse_hhmm(daily.time), sum(kept) / len(kept))) <= 1


@pytest.mark.parametrize(("second", "left_out"), [(315, ()), (421, (330,)), (260, (260,))])
def test_a_far_off_time_that_repeats_on_its_weekday_counts(
    second: int, left_out: tuple[int, ...]
) -> None:
    # Two weeks of nights from silence alone, up at about 07:00. Both Saturdays are 100 min
    # earlier and 2 h shorter (not a late night moved whole): the same far-off time on the
    # same weekday of two weeks is that weekday's own, in the usual time. One early Saturday
    # next to a usual one, or two early ones far apart (05:30 and 04:20), may be misread: the
    # farthest is left out.
    wakes = [425, 395, 450, 410, 440, 330, 428, 400, 412, 455, 416, 442, second, 419]
    eps: list[Episode] = []
    for i, wake in enumerate(wakes):
        d = START + timedelta(days=i)
        length = 360 if wake < 380 else 480
        eps.append(
            Episode(
                "sleep",
                _at(d, wake - length),
                _at(d, wake),
                detail={"scope": "home", "method": "quiet"},
                evidence=[i],
            )
        )
    assert all((START + timedelta(days=i)).weekday() == 5 for i in (5, 12))
    (daily,) = _find(mine_routines([], eps, TZ), "wake_up", None, "daily")
    kept = [w for w in wakes if w not in left_out]
    assert abs(signed_diff(parse_hhmm(daily.time), sum(kept) / len(kept))) <= 1



@pytest.mark.parametrize(("slept_min", "kept"), [(270, True), (30, False), (None, False)])
def test_a_lie_in_the_home_model_slept_through_counts(
    slept_min: int | None, kept: bool
) -> None:
    # Two weeks of nights from silence alone, up at about 07:00 after 7 h; one Friday's
    # silence runs to 11:20 (a night stretched by four hours, as a morning up unseen would
    # be). The home model, sure the home slept through the four hours before 11:20, makes it
    # a lie-in in the usual time; where it was sure for only 30 min, or there is no model,
    # it may be misread and is left out.
    wakes = [425, 395, 520, 410, 440, 470, 400, 412, 680, 416, 490, 530, 431, 505]
    eps: list[Episode] = []
    for i, wake in enumerate(wakes):
        d = START + timedelta(days=i)
        detail: dict[str, object] = {"scope": "home", "method": "quiet"}
        if wake == 680 and slept_min is not None:
            detail["model_asleep_before_min"] = slept_min
        elif slept_min is not None:
            detail["model_asleep_before_min"] = 60
        eps.append(
            Episode("sleep", _at(d, wake - 420 - (255 if wake == 680 else 0)), _at(d, wake),
                    detail=detail, evidence=[i])
        )
    (daily,) = _find(mine_routines([], eps, TZ), "wake_up", None, "daily")
    used = wakes if kept else [w for w in wakes if w != 680]
    assert abs(signed_diff(parse_hhmm(daily.time), circular_mean(used))) <= 1


def test_days_the_whole_household_was_away_do_not_count_against_its_routines() -> None:
    """Two weeks at home, then ten days away while a presence simulation switched the lights
    every evening (activity on each of those days): nobody could wake up at home then, so
    the daily wake-up stays a routine."""
    eps = [
        Episode(
            "sleep", _at(START + timedelta(days=i), -60), _at(START + timedelta(days=i), 420),
            detail={"scope": "home"}, evidence=[i],
        )
        for i in range(1, 15)
    ]
    gone = _at(START + timedelta(days=14), 540)
    back = _at(START + timedelta(days=25), 720)
    eps.append(Episode("away", gone, back, detail={"scope": "home"}, evidence=[99]))
    eps.append(
        Episode(
            "sleep", _at(START + timedelta(days=26), -60), _at(START + timedelta(days=26), 425),
            detail={"scope": "home"}, evidence=[100],
        )
    )
    observed = [START + timedelta(days=i) for i in range(27)]
    mined = mine_routines([], eps, TZ, observed_days=observed)
    (usual,) = [r for r in mined if r.kind == "wake_up" and r.valid_to is None]
    assert usual.days == "daily"
    assert abs(signed_diff(parse_hhmm(usual.time), 420)) <= 5


def test_the_night_going_on_when_the_record_began_files_no_bedtime() -> None:
    """The record begins at 00:10 on a Monday with its resident (in bed at 23:50 most nights)
    asleep: that night "starts" where the data start, which is no bedtime (it would be
    Sunday's). Its getting up is real and counts."""
    eps = _sleep(
        "person.ben", 21, {"weekday": 420, "weekend": 420}, {"weekday": 1430, "weekend": 1430}
    )
    first = Episode(
        "sleep", _at(START, 10), _at(START, 420), actor="person.ben",
        detail={"scope": "person"}, evidence=[99],
    )
    routines = mine_routines([], [first, *eps], TZ)
    (bed,) = _find(routines, "go_to_bed", "person.ben")
    assert bed.detail["first_day"] == START.isoformat()
    assert abs(signed_diff(parse_hhmm(bed.time), 1430)) <= 3
    (wake,) = _find(routines, "wake_up", "person.ben")
    assert wake.detail["first_day"] == START.isoformat()
    assert wake.support_days == 22
