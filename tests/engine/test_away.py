"""Away episodes: person trackers first, otherwise entrance door plus silence."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from galatea_engine.mining.episodes import EpisodeOptions, HomeHints, find_episodes, learn_hints
from galatea_engine.models import Episode

from .home_builder import Home, minutes

DOOR = "binary_sensor.c1"


def _home_away(eps: list[Episode]) -> list[Episode]:
    return [e for e in eps if e.kind == "away" and e.detail["scope"] == "home"]


def _door(h: Home, day: int, hhmm: str, area: str = "Entrada") -> None:
    h.blip(DOOR, area, "door", h.at(day, hhmm), 8)


def _inside(h: Home, day: int, hhmm: str, area: str = "Cocina") -> None:
    h.blip("binary_sensor.k", area, "door", h.at(day, hhmm), 10)


def test_persons_all_not_home_is_away_and_each_person_has_theirs() -> None:
    h = Home()
    h.add(h.at(0, "07:00"), "person.ana", "home", actor="person.ana", actor_kind="person")
    h.add(h.at(0, "07:00"), "person.leo", "home", actor="person.leo", actor_kind="person")
    h.add(h.at(0, "08:00"), "person.ana", "not_home", actor="person.ana", actor_kind="person")
    h.add(h.at(0, "09:00"), "person.leo", "Work", actor="person.leo", actor_kind="person")
    h.add(h.at(0, "17:00"), "person.leo", "home", actor="person.leo", actor_kind="person")
    h.add(h.at(0, "18:30"), "person.ana", "home", actor="person.ana", actor_kind="person")
    eps = find_episodes(h.build(), h.tz)
    (home,) = _home_away(eps)
    assert home.detail["method"] == "tracker"
    assert minutes(home.start, h.at(0, "09:00")) < 1
    assert minutes(home.end, h.at(0, "17:00")) < 1
    people = {e.actor: e for e in eps if e.kind == "away" and e.detail["scope"] == "person"}
    assert minutes(people["person.ana"].start, h.at(0, "08:00")) < 1
    assert minutes(people["person.ana"].end, h.at(0, "18:30")) < 1


def _lagging_phones(h: Home, days: int, leaving: int, back: int) -> None:
    """Ana and Leo leave together through the front door at 08:00 and come back at 17:00 on
    ``days`` days; their phones say so ``leaving`` and ``back`` minutes later."""
    for day in range(days):
        for person in ("person.ana", "person.leo"):
            h.add(h.at(day, "07:00"), person, "home", actor=person, actor_kind="person")
        _inside(h, day, "07:50")
        _door(h, day, "08:00")
        _door(h, day, "17:00")
        _inside(h, day, "17:02")
        for person in ("person.ana", "person.leo"):
            h.add(
                h.at(day, "08:00") + timedelta(minutes=leaving), person, "not_home",
                actor=person, actor_kind="person",
            )
            h.add(
                h.at(day, "17:00") + timedelta(minutes=back), person, "home",
                actor=person, actor_kind="person",
            )


def test_phones_that_notice_late_are_moved_to_the_front_door() -> None:
    """A phone tells HA minutes after its person left (GPS leaving the zone, a router's
    consider_home) and came back: the absence starts and ends at the front door."""
    h = Home()
    _lagging_phones(h, 6, 7, 5)
    eps = find_episodes(h.build(), h.tz)
    homes = _home_away(eps)
    assert len(homes) == 6
    for day, ep in enumerate(homes):
        assert minutes(ep.start, h.at(day, "08:00")) < 1
        assert minutes(ep.end, h.at(day, "17:00")) < 1
        assert ep.detail["at_door"] is True
    ana = [e for e in eps if e.kind == "away" and e.actor == "person.ana"]
    assert len(ana) == 6
    assert all(minutes(e.start, h.at(d, "08:00")) < 1 for d, e in enumerate(ana))


def test_a_door_long_before_the_phone_left_is_someone_else() -> None:
    """A door 20 minutes before the phone said "away", with someone moving in the kitchen
    since, is not its person leaving (the post, a neighbour): the tracker's time stands."""
    h = Home()
    _lagging_phones(h, 6, 20, 0)
    for day in range(6):
        _inside(h, day, "08:15")
    homes = _home_away(find_episodes(h.build(), h.tz))
    assert len(homes) == 6
    for day, ep in enumerate(homes):
        assert minutes(ep.start, h.at(day, "08:20")) < 1
        assert "at_door" not in ep.detail


def test_tracker_flap_shorter_than_threshold_is_ignored() -> None:
    h = Home()
    h.add(h.at(0, "07:00"), "person.ana", "home")
    h.add(h.at(0, "12:00"), "person.ana", "not_home")
    h.add(h.at(0, "12:04"), "person.ana", "home")
    assert not _home_away(find_episodes(h.build(), h.tz))


def test_door_then_silence_then_door_is_away() -> None:
    h = Home()
    _inside(h, 0, "08:50")
    _door(h, 0, "09:00")
    _door(h, 0, "11:00")
    _inside(h, 0, "11:02")
    (ep,) = _home_away(find_episodes(h.build(), h.tz))
    assert ep.detail["method"] == "door"
    assert minutes(ep.start, h.at(0, "09:00")) < 0.1
    assert minutes(ep.end, h.at(0, "11:00")) < 0.1
    assert ep.evidence


def test_someone_stayed_in_after_the_door() -> None:
    """A visitor let out: activity inside right after the door, then quiet."""
    h = Home()
    _door(h, 0, "19:23")
    _inside(h, 0, "19:24")
    _inside(h, 0, "19:28")
    _inside(h, 0, "20:37")
    _door(h, 0, "20:47")
    assert not _home_away(find_episodes(h.build(), h.tz))


def test_short_round_trip_is_not_an_absence() -> None:
    h = Home()
    _inside(h, 0, "08:50")
    _door(h, 0, "09:00")
    _door(h, 0, "09:06")
    _inside(h, 0, "09:07")
    assert not _home_away(find_episodes(h.build(), h.tz))


def test_silence_ended_inside_without_door_is_not_an_absence() -> None:
    h = Home()
    _door(h, 0, "09:00")
    _inside(h, 0, "10:30")  # they never left: quiet, then the kitchen
    _door(h, 0, "12:00")
    _inside(h, 0, "13:30")
    assert not _home_away(find_episodes(h.build(), h.tz))


def test_quiet_without_any_door_is_not_an_absence() -> None:
    h = Home()
    _inside(h, 0, "09:00")
    _inside(h, 0, "09:15")  # 15 min of silence: a short gap, not an absence
    _inside(h, 0, "11:00")  # and a long one without the door either
    assert not _home_away(find_episodes(h.build(), h.tz))


def test_entrance_door_learned_from_behaviour() -> None:
    """No entrance-like area name: the door that frames silences is the entrance; the fridge
    door (used inside) is not."""
    h = Home()
    for day in range(3):
        h.blip("binary_sensor.fridge", "Zone B", "door", h.at(day, "08:30"), 10)
        h.blip(DOOR, "Zone A", "door", h.at(day, "09:00"), 8)
        h.blip(DOOR, "Zone A", "door", h.at(day, "12:00"), 8)
        h.blip("binary_sensor.fridge", "Zone B", "door", h.at(day, "12:05"), 10)
    eps = _home_away(find_episodes(h.build(), h.tz))
    assert len(eps) == 3
    assert all(e.detail["doors"] == [DOOR] for e in eps)


def test_pet_motion_while_away_is_tolerated() -> None:
    h = Home()
    _inside(h, 0, "08:50")
    _door(h, 0, "09:00")
    h.blip("binary_sensor.m1", "Salón", "motion", h.at(0, "09:40"), 60)
    h.blip("binary_sensor.m2", "Cocina", "motion", h.at(0, "10:20"), 90)
    _door(h, 0, "11:00")
    _inside(h, 0, "11:02")
    (ep,) = _home_away(find_episodes(h.build(), h.tz))
    assert minutes(ep.end, h.at(0, "11:00")) < 0.1


def test_someone_moving_around_inside_is_home() -> None:
    h = Home()
    _door(h, 0, "09:00")
    for hhmm in ("09:05", "09:20", "09:35", "09:50", "10:05", "10:20", "10:35", "10:50"):
        h.blip("binary_sensor.m1", "Salón", "motion", h.at(0, hhmm), 240)
    _door(h, 0, "11:00")
    assert not _home_away(find_episodes(h.build(), h.tz))


def test_held_seat_means_someone_is_home() -> None:
    h = Home()
    h.hold("binary_sensor.seat", "Living", "occupancy", h.at(0, "08:00"), h.at(0, "12:00"))
    _door(h, 0, "09:00")  # someone else left; the person on the sofa stayed
    _door(h, 0, "11:00")
    assert not _home_away(find_episodes(h.build(), h.tz))


def test_overnight_absence_wraps_midnight() -> None:
    h = Home()
    _inside(h, 0, "20:20")
    _door(h, 0, "20:25")
    _door(h, 0, "24:56")
    _inside(h, 0, "24:58")
    (ep,) = _home_away(find_episodes(h.build(), h.tz))
    assert minutes(ep.start, h.at(0, "20:25")) < 0.1
    assert minutes(ep.end, h.at(1, "00:56")) < 0.1
    assert ep.end.date() > ep.start.date()


def test_hints_from_a_full_run_keep_a_learned_door_in_short_windows() -> None:
    full = Home()
    for day in range(3):
        full.blip(DOOR, "Zone A", "door", full.at(day, "09:00"), 8)
        full.blip(DOOR, "Zone A", "door", full.at(day, "12:00"), 8)
        full.blip("binary_sensor.fridge", "Zone B", "door", full.at(day, "12:05"), 10)
    hints = learn_hints(find_episodes(full.build(), full.tz))
    assert hints.entrance_doors == {DOOR}
    short = Home()  # one absence only: too little to learn the door again
    short.blip(DOOR, "Zone A", "door", short.at(0, "09:00"), 8)
    short.blip(DOOR, "Zone A", "door", short.at(0, "12:00"), 8)
    short.blip("binary_sensor.fridge", "Zone B", "door", short.at(0, "12:05"), 10)
    assert not _home_away(find_episodes(short.build(), short.tz))
    eps = find_episodes(short.build(), short.tz, options=EpisodeOptions(hints=hints))
    assert len(_home_away(eps)) == 1


def test_trackers_away_but_someone_untracked_is_clearly_home() -> None:
    h = Home()
    h.add(h.at(0, "07:00"), "person.ana", "home")
    h.add(h.at(0, "09:00"), "person.ana", "not_home")
    for hhmm in ("09:40", "10:20", "11:00", "11:45"):  # a child without a phone, cooking
        _inside(h, 0, hhmm)
    h.add(h.at(0, "13:00"), "person.ana", "home")
    assert not _home_away(find_episodes(h.build(), h.tz))


@pytest.mark.parametrize(
    ("entity", "dc", "opened", "closed"),
    [
        ("cover.garage_door", "garage", "open", "closed"),
        ("lock.front_door", None, "unlocked", "locked"),
    ],
)
def test_a_garage_door_opener_or_a_smart_lock_is_the_way_out(
    entity: str, dc: str | None, opened: str, closed: str
) -> None:
    """No door contact at all: the household leaves through the garage (a cover) or by a door
    whose smart lock is the only sensor on it. Either frames the day's silences like a door."""
    h = Home()
    for day in range(7):
        _inside(h, day, "07:30")
        for hhmm, state in (
            ("07:45", opened),
            ("07:46", closed),
            ("17:30", opened),
            ("17:31", closed),
        ):
            h.add(h.at(day, hhmm), entity, state, area="Garaje", device_class=dc)
        _inside(h, day, "17:35")
        _inside(h, day, "21:00")
    away = _home_away(find_episodes(h.build(), h.tz))
    assert len(away) == 7
    for day, ep in enumerate(away):
        assert minutes(ep.start, h.at(day, "07:46")) < 2, ep
        assert minutes(ep.end, h.at(day, "17:30")) < 2, ep


def test_a_phone_that_loses_its_location_at_night_is_not_an_absence() -> None:
    """Every real departure moves the front door and the hallway's sensor; twice, at 03:00,
    the phone's location drops out for 20 min while the home sleeps. Those are not absences."""
    h = Home()
    h.add(h.at(0, "07:00"), "person.ana", "home")
    for day in range(7):
        _inside(h, day, "07:40", "Recibidor")
        _door(h, day, "07:45")
        h.add(h.at(day, "07:50"), "person.ana", "not_home", old_state="home")
        h.add(h.at(day, "17:25"), "person.ana", "home", old_state="not_home")
        _door(h, day, "17:30")
        _inside(h, day, "17:32", "Recibidor")
        _inside(h, day, "19:00")
        if day in (2, 5):
            h.add(h.at(day, "27:00"), "person.ana", "not_home", old_state="home")
            h.add(h.at(day, "27:20"), "person.ana", "home", old_state="not_home")
    away = _home_away(find_episodes(h.build(), h.tz))
    assert len(away) == 7
    # The phone said "away" five minutes after the front door: the absence starts at the door.
    assert all(minutes(ep.start, h.at(day, "07:45")) < 1 for day, ep in enumerate(away))


def test_trackers_away_with_a_pet_is_still_away() -> None:
    h = Home()
    h.add(h.at(0, "07:00"), "person.ana", "home")
    h.add(h.at(0, "09:00"), "person.ana", "not_home")
    h.blip("binary_sensor.m", "Salón", "motion", h.at(0, "10:00"), 90)
    h.add(h.at(0, "13:00"), "person.ana", "home")
    (ep,) = _home_away(find_episodes(h.build(), h.tz))
    assert ep.confidence == 0.9


def test_absence_already_going_on_when_data_starts_has_no_start() -> None:
    h = Home()
    h.add(h.at(0, "10:00"), "person.ana", "not_home")  # first thing seen: already away
    h.add(h.at(0, "12:00"), "person.ana", "home", old_state="not_home")
    h.add(h.at(0, "14:00"), "person.ana", "not_home", old_state="home")
    h.add(h.at(0, "15:00"), "person.ana", "home", old_state="not_home")
    (ep,) = _home_away(find_episodes(h.build(), h.tz))
    assert minutes(ep.start, h.at(0, "14:00")) < 0.1


def test_bedroom_door_in_the_hallway_is_not_the_way_out() -> None:
    """Front, bedroom and toilet doors all sit in "Hall": the bedroom door frames the nights,
    the front door the daytime absences; only the front door makes absences."""
    h = Home()
    for day in range(3):
        h.blip("binary_sensor.bedroom_door", "Hall", "door", h.at(day, "00:30"))
        h.blip("binary_sensor.bedroom_door", "Hall", "door", h.at(day, "08:00"))
        h.blip("binary_sensor.k", "Kitchen", "door", h.at(day, "08:20"))
        h.blip(DOOR, "Hall", "door", h.at(day, "10:00"))
        h.blip(DOOR, "Hall", "door", h.at(day, "12:00"))
        h.blip("binary_sensor.k", "Kitchen", "door", h.at(day, "12:03"))
        h.blip("binary_sensor.toilet_door", "Hall", "door", h.at(day, "15:00"))
        h.blip("binary_sensor.k", "Kitchen", "door", h.at(day, "15:05"))
    eps = _home_away(find_episodes(h.build(), h.tz))
    assert len(eps) == 3
    assert all(e.detail["doors"] == [DOOR] for e in eps)
    assert all(e.start.hour == 10 for e in eps)


def test_motion_just_before_the_closing_door_is_someone_leaving() -> None:
    """A quiet hour between two door passages, but the second passage starts with motion
    inside walking to the door: someone left then, so someone was home all along."""
    h = Home()
    _inside(h, 0, "08:50")
    _door(h, 0, "09:00")
    h.blip("binary_sensor.hall", "Entrada", "motion", h.at(0, "10:29", 30), 90)
    _door(h, 0, "10:30")
    assert not _home_away(find_episodes(h.build(), h.tz))
    h2 = Home()
    _inside(h2, 0, "08:50")
    _door(h2, 0, "09:00")
    _door(h2, 0, "10:30")
    h2.blip("binary_sensor.hall", "Entrada", "motion", h2.at(0, "10:30", 20), 90)  # after: arrival
    assert len(_home_away(find_episodes(h2.build(), h2.tz))) == 1


def _cat_home(days: int) -> Home:
    """Days of a one-person home with a cat that roams the living room and kitchen at night."""
    h = Home()
    for day in range(days):
        h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "07:00"), 60)
        _inside(h, day, "07:30")
        _inside(h, day, "20:30")
        h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "23:30"), 60)
        h.blip("binary_sensor.m1", "Salón", "motion", h.at(day, "26:10"), 60)
        h.blip("binary_sensor.m2", "Cocina", "motion", h.at(day, "28:20"), 60)
    return h


def test_pet_areas_are_learned_from_the_nights() -> None:
    """Sparse pulses in the study while the door said someone left: the cat never goes there at
    night, so someone is home (a visitor left). Pulses where the cat roams do not stop an
    absence."""
    h = _cat_home(8)
    _door(h, 6, "09:00")
    for hhmm in ("09:30", "10:10", "10:40"):
        h.blip("binary_sensor.m3", "Despacho", "motion", h.at(6, hhmm), 60)
    _door(h, 6, "11:00")
    _inside(h, 6, "11:02")
    _door(h, 7, "09:00")
    h.blip("binary_sensor.m1", "Salón", "motion", h.at(7, "09:40"), 60)
    h.blip("binary_sensor.m2", "Cocina", "motion", h.at(7, "10:20"), 90)
    _door(h, 7, "11:00")
    _inside(h, 7, "11:02")
    (ep,) = _home_away(find_episodes(h.build(), h.tz))
    assert minutes(ep.start, h.at(7, "09:00")) < 0.1
    assert minutes(ep.end, h.at(7, "11:00")) < 0.1


def test_pet_areas_need_several_nights() -> None:
    """Too few nights to know where a pet goes: brief blips anywhere are tolerated as before,
    and a single night-time trip to a room does not make it a pet area."""
    from galatea_engine.mining.areas import AreaRoles
    from galatea_engine.mining.away import AwayOptions, pet_areas
    from galatea_engine.mining.presence import blocks, signals

    h = _cat_home(6)
    h.blip("binary_sensor.m3", "Despacho", "motion", h.at(2, "27:00"), 60)
    evs = h.build()
    blks = blocks(signals(evs, max_hold_s=3600))
    roles = AreaRoles({e.area for e in evs if e.area})
    nights = [(h.at(d, "23:31").timestamp(), h.at(d, "31:00").timestamp()) for d in range(6)]
    opts = AwayOptions()
    assert pet_areas(nights[:3], blks, roles, opts) is None
    assert pet_areas(nights, blks, roles, opts) == frozenset({"Salón", "Cocina"})


def test_someone_up_in_the_night_is_no_pet() -> None:
    """A sleeper who gets up on several nights and reads in the living room until sleepy
    (out of the bedroom, living-room blips for an hour, back to the bedroom) teaches no pet
    area; the cat's blips with nobody up between bedroom visits still do."""
    from galatea_engine.mining.areas import AreaRoles
    from galatea_engine.mining.away import AwayOptions, pet_areas
    from galatea_engine.mining.presence import blocks, signals

    def night(cat: bool) -> Home:
        h = Home()
        for day in range(8):
            h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "07:00"), 60)
            _inside(h, day, "07:30")
            _inside(h, day, "20:30")
            h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "23:30"), 60)
            if day % 2:
                h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "26:00"), 60)
                h.blip("binary_sensor.bath", "Baño", "motion", h.at(day, "26:03"), 60)
                for hhmm in ("26:25", "26:50", "27:15"):
                    h.blip("binary_sensor.m1", "Salón", "motion", h.at(day, hhmm), 60)
                h.blip("binary_sensor.bath", "Baño", "motion", h.at(day, "27:36"), 60)
                h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "27:40"), 60)
            if cat:
                h.blip("binary_sensor.m2", "Cocina", "motion", h.at(day, "29:10"), 60)
        return h

    opts = AwayOptions()
    for cat, want in ((False, frozenset()), (True, frozenset({"Cocina"}))):
        h = night(cat)
        evs = h.build()
        blks = blocks(signals(evs, max_hold_s=3600))
        roles = AreaRoles({e.area for e in evs if e.area})
        nights = [(h.at(d, "23:31").timestamp(), h.at(d, "31:00").timestamp()) for d in range(8)]
        assert pet_areas(nights, blks, roles, opts) == want


def test_the_cat_on_the_bed_does_not_cancel_an_absence() -> None:
    """With a cat known to roam at night, a lone blip in the bedroom while everyone is out is
    the cat (whether it goes there cannot be learned from nights, when people are there)."""
    h = _cat_home(8)
    _door(h, 7, "09:00")
    h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(7, "10:15"), 60)
    h.blip("binary_sensor.m1", "Salón", "motion", h.at(7, "11:40"), 60)
    _door(h, 7, "13:00")
    _inside(h, 7, "13:02")
    (ep,) = _home_away(find_episodes(h.build(), h.tz))
    assert minutes(ep.start, h.at(7, "09:00")) < 0.1
    assert minutes(ep.end, h.at(7, "13:00")) < 0.1


def _two_pirs_a_room(days: int, cat_trips_both: bool) -> Home:
    """The cat home with two ceiling PIRs in each room: people trip both, and so does the cat
    crossing a room at night (``cat_trips_both``), or it trips one at a time."""
    h = Home()
    for day in range(days):
        for hhmm in ("07:00", "23:30"):
            h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, hhmm), 60)
            h.blip("binary_sensor.room_2", "Dormitorio", "motion", h.at(day, hhmm, 8), 60)
        _inside(h, day, "07:30")
        _inside(h, day, "20:30")
        for entity, area, hhmm in (("m1", "Salón", "26:10"), ("m2", "Cocina", "28:20")):
            h.blip(f"binary_sensor.{entity}", area, "motion", h.at(day, hhmm), 60)
            if cat_trips_both:
                h.blip(f"binary_sensor.{entity}_2", area, "motion", h.at(day, hhmm, 12), 50)
            else:
                h.blip(f"binary_sensor.{entity}_2", area, "motion", h.at(day, "27:15"), 50)
    _door(h, 7, "09:00")
    h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(7, "10:15"), 60)
    h.blip("binary_sensor.room_2", "Dormitorio", "motion", h.at(7, "10:15", 10), 60)
    h.blip("binary_sensor.m1", "Salón", "motion", h.at(7, "11:40"), 60)
    h.blip("binary_sensor.m1_2", "Salón", "motion", h.at(7, "11:40", 5), 60)
    _door(h, 7, "13:00")
    _inside(h, 7, "13:02")
    return h


def test_a_cat_under_two_pirs_a_room_does_not_cancel_an_absence() -> None:
    """Rooms with two ceiling PIRs: the cat trips both as it crosses a room at night, and does
    so on the bed while everyone is out. Learned from its nights, that is the cat; where the
    pet trips one sensor at a time, two at once in the bedroom are someone home."""
    h = _two_pirs_a_room(8, cat_trips_both=True)
    (ep,) = _home_away(find_episodes(h.build(), h.tz))
    assert minutes(ep.start, h.at(7, "09:00")) < 0.1
    assert minutes(ep.end, h.at(7, "13:00")) < 0.1
    h = _two_pirs_a_room(8, cat_trips_both=False)
    assert not _home_away(find_episodes(h.build(), h.tz))


def test_a_quiet_evening_at_home_is_no_absence_where_the_pet_is_rarely_seen() -> None:
    """A home whose nights show a blip in the kitchen or living room every third night (a shy
    pet, or PIRs tripping by themselves): its evenings at home, a blip every quarter of an
    hour in those rooms and none anywhere after bedtime, are someone home, not an absence
    from the evening's door to the next morning's. By day the pet is allowed three times its
    night rate, at least one blip in two hours, not one an hour whatever it was seen to do."""
    h = Home()
    for day in range(14):
        h.blip("binary_sensor.bath", "Baño", "motion", h.at(day, "07:00"), 120)
        h.blip("binary_sensor.m2", "Cocina", "motion", h.at(day, "07:10"), 90)
        _door(h, day, "07:40")
        _door(h, day, "18:00")
        t, k = h.at(day, "18:06"), 0
        while t < h.at(day, "22:50"):
            room = ("binary_sensor.m1", "Salón") if k % 3 else ("binary_sensor.m2", "Cocina")
            h.blip(*room, "motion", t, 60)
            t += timedelta(minutes=13 + 5 * (k % 4))
            k += 1
        h.blip("binary_sensor.bath", "Baño", "motion", h.at(day, "22:55"), 120)
        if day % 6 == 0:
            h.blip("binary_sensor.m2", "Cocina", "motion", h.at(day, "27:10"), 40)
        elif day % 6 == 3:
            h.blip("binary_sensor.m1", "Salón", "motion", h.at(day, "26:20"), 40)
    away = _home_away(find_episodes(h.build(), h.tz))
    assert len(away) == 14
    for day, ep in enumerate(away):
        assert minutes(ep.start, h.at(day, "07:40")) < 0.1, ep
        assert minutes(ep.end, h.at(day, "18:00")) < 0.1, ep


def test_far_more_blips_than_the_pet_makes_is_someone_home() -> None:
    """Blips where the cat roams, but one every few minutes for an hour: someone is home."""
    h = _cat_home(8)
    _door(h, 7, "09:00")
    for k in range(9):
        room = ("binary_sensor.m1", "Salón") if k % 2 else ("binary_sensor.m2", "Cocina")
        h.blip(*room, "motion", h.at(7, "09:15") + timedelta(minutes=7 * k), 40)
    _door(h, 7, "10:30")
    _inside(h, 7, "10:32")
    assert not _home_away(find_episodes(h.build(), h.tz))


def test_a_door_then_motion_inside_is_someone_coming_in() -> None:
    """The door opens and the hallway sees someone 30 s later with nobody walking to the door
    before: an arrival. The quiet hour after it is someone at home, not an absence."""
    h = Home()
    _inside(h, 0, "08:50")
    _door(h, 0, "09:00")
    _door(h, 0, "11:00")
    h.blip("binary_sensor.hall", "Entrada", "motion", h.at(0, "11:00", 30), 60)
    _door(h, 0, "12:10")
    _inside(h, 0, "12:12")
    eps = _home_away(find_episodes(h.build(), h.tz))
    assert len(eps) == 1  # 09:00-11:00 only
    assert minutes(eps[0].start, h.at(0, "09:00")) < 0.1
    assert minutes(eps[0].end, h.at(0, "11:00")) < 0.1


def test_a_lone_false_trigger_does_not_stop_an_absence() -> None:
    """No pet: one motion sensor tripping once in eight hours, nothing around it, is a false
    trigger; the absence stands. Three in two hours in the study is someone at home."""
    h = Home()
    for day in range(7):
        h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "07:00"), 60)
        _inside(h, day, "07:30")
        _inside(h, day, "20:30")
        h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "23:30"), 60)
    _door(h, 6, "08:00")
    h.blip("binary_sensor.m3", "Despacho", "motion", h.at(6, "12:40"), 40)
    _door(h, 6, "16:00")
    _inside(h, 6, "16:02")
    (ep,) = _home_away(find_episodes(h.build(), h.tz))
    assert minutes(ep.start, h.at(6, "08:00")) < 0.1
    assert minutes(ep.end, h.at(6, "16:00")) < 0.1


def _radar_week(ghost_at: str | None, *, walked_in: bool = False) -> Home:
    """A week out 08:00-17:30; the living room's presence radar sees people sitting there in
    the evening and, on day 3, something else: a ghost from ``ghost_at`` for two hours."""
    h = Home()
    radar = "binary_sensor.sala_presence"
    for day in range(7):
        h.blip("binary_sensor.cocina_motion", "Cocina", "motion", h.at(day, "07:30"), 60)
        h.blip("binary_sensor.recibidor_motion", "Recibidor", "motion", h.at(day, "07:58"), 30)
        _door(h, day, "08:00")
        _door(h, day, "17:30")
        h.blip("binary_sensor.recibidor_motion", "Recibidor", "motion", h.at(day, "17:31"), 30)
        h.blip("binary_sensor.sala_motion", "Sala", "motion", h.at(day, "19:00"), 60)
        h.hold(radar, "Sala", "presence", h.at(day, "19:01"), h.at(day, "21:30"))
        h.blip("binary_sensor.sala_motion", "Sala", "motion", h.at(day, "21:30"), 60)
    if ghost_at is not None:
        start = h.at(3, ghost_at)
        if walked_in:
            h.blip("binary_sensor.recibidor_motion", "Recibidor", "motion", start, 30)
        h.hold(radar, "Sala", "presence", start + timedelta(seconds=40), start + timedelta(hours=2))
    return h


def test_a_presence_radar_seeing_a_fan_in_the_empty_home_is_nobody() -> None:
    """On day 3 the radar holds "on" for two hours at noon with nothing else anywhere near
    it: nobody walked into the room. The absence stands."""
    h = _radar_week("12:00")
    away = _home_away(find_episodes(h.build(), h.tz))
    assert len(away) == 7
    assert minutes(away[3].start, h.at(3, "08:00")) < 1
    assert minutes(away[3].end, h.at(3, "17:30")) < 1


def test_a_presence_radar_that_someone_walked_into_is_someone() -> None:
    """The same hold, but the hallway saw someone just before it began: someone came home
    unheard by the door (or never left). Day 3 is no absence."""
    h = _radar_week("12:00", walked_in=True)
    away = _home_away(find_episodes(h.build(), h.tz))
    assert len(away) == 6
    assert all(ep.start.date() != h.at(3, "08:00").date() for ep in away)


def _week_out(light_at: str | None, *, from_app: bool, walked: bool = True) -> Home:
    """A week out 08:00-17:30 by the front door; on day 2 the living room light is switched
    on at ``light_at``, from the app (a user in its context) or at the wall (nobody known; the
    living room's motion sensor sees whoever walks to the switch unless ``walked`` is false)."""
    h = Home()
    for day in range(7):
        h.blip("binary_sensor.cocina_motion", "Cocina", "motion", h.at(day, "07:30"), 60)
        _door(h, day, "08:00")
        _door(h, day, "17:30")
        h.blip("binary_sensor.recibidor_motion", "Recibidor", "motion", h.at(day, "17:31"), 30)
        h.blip("binary_sensor.sala_motion", "Sala", "motion", h.at(day, "19:00"), 60)
    if light_at is not None:
        who = {"actor": "person.ana", "actor_kind": "person"} if from_app else {}
        h.add(h.at(2, light_at), "light.sala", "on", area="Sala", old_state="off", **who)
        if walked and not from_app:
            h.blip("binary_sensor.sala_motion", "Sala", "motion", h.at(2, light_at), 90)
    return h


def test_a_light_switched_on_from_the_app_on_the_way_home_is_no_one_home() -> None:
    h = _week_out("16:55", from_app=True)
    away = _home_away(find_episodes(h.build(), h.tz))
    assert len(away) == 7
    assert minutes(away[2].end, h.at(2, "17:30")) < 1


def test_a_light_switched_on_at_the_wall_is_someone_home() -> None:
    h = _week_out("16:55", from_app=False)
    away = _home_away(find_episodes(h.build(), h.tz))
    assert len(away) == 6
    assert all(ep.start.date() != h.at(2, "08:00").date() for ep in away)


def test_a_light_switching_where_its_motion_sensor_saw_nobody_is_no_one_home() -> None:
    """The light's own app (or a presence simulation) switches it in the empty home: nobody
    walked to the switch, so the room's motion sensor saw nothing."""
    h = _week_out("16:55", from_app=False, walked=False)
    assert len(_home_away(find_episodes(h.build(), h.tz))) == 7


def _holiday(*, trackers: bool, lights: bool) -> Home:
    """Five days at work (kitchen and living room motion, lights, the front door), then away
    from the morning of day 5 to noon on day 11, while (``lights``) the living room light goes
    on at 19:10 and off at 23:05 each evening (and on the first two the kitchen's too, for a
    quarter of an hour) with no user or automation behind it: a presence simulation."""
    h = Home()
    for day in range(12):
        if day <= 5:
            h.blip("binary_sensor.cocina_motion", "Cocina", "motion", h.at(day, "07:30"), 60)
        if day < 5:  # a day at work
            _door(h, day, "08:30")
            _door(h, day, "17:00")
            h.blip("binary_sensor.recibidor_motion", "Recibidor", "motion", h.at(day, "17:01"), 30)
        if day < 5 or day == 11:  # an evening at home
            h.blip("binary_sensor.sala_motion", "Sala", "motion", h.at(day, "19:00"), 60)
            h.add(h.at(day, "19:01"), "light.sala", "on", area="Sala", old_state="off")
            h.blip("binary_sensor.cocina_motion", "Cocina", "motion", h.at(day, "20:00"), 60)
            h.add(h.at(day, "22:59"), "light.sala", "off", area="Sala", old_state="on")
            h.blip("binary_sensor.sala_motion", "Sala", "motion", h.at(day, "23:00"), 60)
        elif lights and day < 11:
            h.add(h.at(day, "19:10"), "light.sala", "on", area="Sala", old_state="off")
            h.add(h.at(day, "23:05"), "light.sala", "off", area="Sala", old_state="on")
            if day < 7:
                h.add(h.at(day, "19:20"), "light.k", "on", area="Cocina", old_state="off")
                h.add(h.at(day, "19:35"), "light.k", "off", area="Cocina", old_state="on")
    h.blip("binary_sensor.recibidor_motion", "Recibidor", "motion", h.at(5, "08:58"), 30)
    _door(h, 5, "09:00")
    _door(h, 11, "12:00")
    h.blip("binary_sensor.recibidor_motion", "Recibidor", "motion", h.at(11, "12:01"), 30)
    if trackers:
        h.add(h.at(0, "07:00"), "person.ana", "home")
        h.add(h.at(5, "09:01"), "person.ana", "not_home")
        h.add(h.at(11, "11:59"), "person.ana", "home")
    return h


@pytest.mark.parametrize("trackers", [True, False])
def test_lights_pretending_someone_is_home_do_not_end_the_holiday(trackers: bool) -> None:
    h = _holiday(trackers=trackers, lights=True)
    eps = find_episodes(h.build(), h.tz)
    (away,) = [e for e in _home_away(eps) if e.end - e.start > timedelta(days=1)]
    assert minutes(away.start, h.at(5, "09:00")) < 2
    assert minutes(away.end, h.at(11, "12:00")) < 2
    assert not [e for e in eps if e.kind == "sleep" and h.at(6, "00:00") < e.start < away.end]


def test_what_a_tracked_person_does_from_the_app_while_away_is_not_someone_home() -> None:
    """Ana is out (her tracker says so) and switches the heating, then two lights, from the app:
    three separate changes inside, which from someone untracked at home would end the
    absence."""
    h = Home()
    h.add(h.at(0, "07:00"), "person.ana", "home")
    h.blip("binary_sensor.cocina_motion", "Cocina", "motion", h.at(0, "08:55"), 60)
    h.add(h.at(0, "09:00"), "person.ana", "not_home", old_state="home")
    app = {"actor": "person.ana", "actor_kind": "person", "area": "Sala"}
    h.add(h.at(0, "11:00"), "climate.sala", "heat", old_state="off", **app)
    h.add(h.at(0, "13:00"), "light.sala", "on", old_state="off", **app)
    h.add(h.at(0, "15:00"), "light.entrada", "on", old_state="off", **app)
    h.add(h.at(0, "17:00"), "person.ana", "home", old_state="not_home")
    h.blip("binary_sensor.cocina_motion", "Cocina", "motion", h.at(0, "17:05"), 60)
    (ep,) = _home_away(find_episodes(h.build(), h.tz))
    assert minutes(ep.start, h.at(0, "09:00")) < 1
    assert "activity_inside" not in ep.detail


def _sofa_evenings(h: Home, persons: int) -> None:
    """Out 08:00-17:00 every day; back home the kitchen is used at once, except on days 3
    and 7: home at 17:00 and silent on the sofa (no sensor there) until the front door is
    opened at 19:00 for the bins, then the kitchen. ``persons``: person entities HA knows of
    (no trackers)."""
    for day in range(11):
        _inside(h, day, "07:00")
        _inside(h, day, "07:30", "Baño")
        _door(h, day, "08:00")
        _door(h, day, "17:00")
        if day in (3, 7):
            _door(h, day, "19:00")
            _inside(h, day, "19:05")
        else:
            _inside(h, day, "17:05")
        _inside(h, day, "21:00")
    _inside(h, 11, "07:00")
    for k in range(persons):
        h.add(h.at(0, "06:00"), f"person.p{k}", "unknown", old_state="unknown")


@pytest.mark.parametrize("persons", [0, 2])
def test_one_resident_back_home_and_silent_is_not_out_again(persons: int) -> None:
    """One resident: each passage through the front door is going out or coming back in
    turn, so the silent evening after coming home at 17:00 is not another absence (17:00 to
    the bins at 19:00). With two people HA knows of, a passage may be either one's: both
    silences stay absences."""
    h = Home()
    _sofa_evenings(h, persons)
    away = _home_away(find_episodes(h.build(), h.tz))
    evenings = [a for a in away if a.start.hour == 17]
    assert len([a for a in away if a.start.hour == 8]) == 11
    assert len(evenings) == (0 if persons == 0 else 2), evenings


def test_a_sleeper_turning_over_as_the_phone_loses_its_location_is_not_leaving() -> None:
    """As above, with a bedroom sensor that sees the bed: it trips a couple of times an hour
    all night, also right as the phone's location drops out and comes back. Turning over is
    nobody leaving or coming in; those are still not absences."""
    h = Home()
    h.add(h.at(0, "07:00"), "person.ana", "home")
    for day in range(7):
        _inside(h, day, "07:40", "Recibidor")
        _door(h, day, "07:45")
        h.add(h.at(day, "07:50"), "person.ana", "not_home", old_state="home")
        h.add(h.at(day, "17:25"), "person.ana", "home", old_state="not_home")
        _door(h, day, "17:30")
        _inside(h, day, "17:32", "Recibidor")
        _inside(h, day, "19:00")
        h.blip("binary_sensor.m", "Dormitorio", "motion", h.at(day, "23:00"), 60)
        for hhmm in ("24:10", "25:00", "25:40", "26:30", "26:58", "27:22", "28:10", "29:30"):
            h.blip("binary_sensor.m", "Dormitorio", "motion", h.at(day, hhmm), 60)
        if day in (2, 5):
            h.add(h.at(day, "27:00"), "person.ana", "not_home", old_state="home")
            h.add(h.at(day, "27:20"), "person.ana", "home", old_state="not_home")
    away = _home_away(find_episodes(h.build(), h.tz))
    assert len(away) == 7
    # The phone said "away" five minutes after the front door: the absence starts at the door.
    assert all(minutes(ep.start, h.at(day, "07:45")) < 1 for day, ep in enumerate(away))


def test_music_left_playing_for_the_dog_does_not_hide_the_absence() -> None:
    """A speaker left streaming as the resident goes out stops by itself at noon, with nobody
    around: the home was empty all the same. Switched off by someone walking about, it is
    someone home."""
    h = Home()
    for day in range(2):
        _inside(h, day, "08:45")
        h.add(h.at(day, "08:50"), "media_player.radio", "playing", area="Cocina", old_state="off")
        _door(h, day, "09:00")
        _door(h, day, "17:00")
        _inside(h, day, "17:02")
    h.add(h.at(0, "12:00"), "media_player.radio", "off", area="Cocina", old_state="playing")
    h.add(h.at(1, "12:00"), "media_player.radio", "off", area="Cocina", old_state="playing")
    h.blip("binary_sensor.m", "Cocina", "motion", h.at(1, "12:01"), 60)
    (away,) = _home_away(find_episodes(h.build(), h.tz))
    assert minutes(away.start, h.at(0, "09:00")) < 0.1
    assert minutes(away.end, h.at(0, "17:00")) < 0.1


def _vacuum_week(*, recorded: bool) -> Home:
    """A week out 08:00-17:30 by the front door; an automation starts the robot vacuum at
    08:20 and it cleans the kitchen, living room and hall until 09:25 (their motion sensors
    see it), then docks. ``recorded``: HA records the vacuum entity's states."""
    h = Home()
    rooms = (
        ("binary_sensor.m1", "Cocina"),
        ("binary_sensor.m2", "Sala"),
        ("binary_sensor.m3", "Recibidor"),
    )
    run = (("08:20", "cleaning", "docked"), ("09:25", "returning", "cleaning"))
    for day in range(7):
        h.blip("binary_sensor.m1", "Cocina", "motion", h.at(day, "07:30"), 60)
        _door(h, day, "08:00")
        for k, (entity, area) in enumerate(rooms):
            for minute in range(0, 20, 4):
                at = h.at(day, "08:20") + timedelta(minutes=22 * k + minute)
                h.blip(entity, area, "motion", at, 90)
        if recorded:
            for hhmm, state, old in (*run, ("09:28", "docked", "returning")):
                h.add(h.at(day, hhmm), "vacuum.robot", state, area="Sala", old_state=old)
        _door(h, day, "17:30")
        h.blip("binary_sensor.m3", "Recibidor", "motion", h.at(day, "17:31"), 30)
        h.blip("binary_sensor.m2", "Sala", "motion", h.at(day, "19:00"), 60)
    return h


def test_a_robot_vacuum_cleaning_the_empty_home_is_nobody() -> None:
    away = _home_away(find_episodes(_vacuum_week(recorded=True).build(), Home().tz))
    assert len(away) == 7
    h = Home()
    for day, ep in enumerate(away):
        assert minutes(ep.start, h.at(day, "08:00")) < 1
        assert minutes(ep.end, h.at(day, "17:30")) < 1


def test_without_the_vacuum_recorded_its_motion_is_someone_home() -> None:
    """The rules alone cannot tell the robot from someone who stayed in (README, Limits)."""
    assert not _home_away(find_episodes(_vacuum_week(recorded=False).build(), Home().tz))


def _dog_home(
    days: int,
    *,
    waits: bool = True,
    study: bool = False,
    midday_hall: bool = True,
    roams: bool = True,
) -> Home:
    """A one-person home with a dog that changes place at night (living room, kitchen) and,
    left alone by day, pads through the living room and the hallway by the front door; it
    waits there (``waits``) in the minute before its person comes home at 17:00. With
    ``study`` its person spends the evenings sitting still in the study (a blip an hour).
    Without ``midday_hall`` the dog goes to the hallway only to wait; without ``roams`` it
    sleeps through the day where no sensor sees it."""
    h = _cat_home(days + 1)
    for day in range(days):
        if study:
            for hhmm in ("19:00", "20:00", "21:00", "22:00"):
                h.blip("binary_sensor.m3", "Despacho", "motion", h.at(day, hhmm), 60)
        _door(h, day, "08:00")
        if roams:
            h.blip("binary_sensor.m1", "Salón", "motion", h.at(day, "10:00"), 30)
        if midday_hall:
            h.blip("binary_sensor.hall", "Entrada", "motion", h.at(day, "12:30"), 30)
        if roams:
            h.blip("binary_sensor.m2", "Cocina", "motion", h.at(day, "12:32"), 20)
        if waits:
            h.blip("binary_sensor.hall", "Entrada", "motion", h.at(day, "16:59"), 40)
        _door(h, day, "17:00")
        h.blip("binary_sensor.hall", "Entrada", "motion", h.at(day, "17:00", 50), 90)
        _inside(h, day, "17:05")
    return h


@pytest.mark.parametrize("waits", [True, False])
def test_a_dog_left_at_home_does_not_cancel_the_absences(waits: bool) -> None:
    """Where the dog goes by day (the hallway) is learned from the empty home's own silences,
    once the nights have shown there is a pet: its blips there are no one home, nor is its
    waiting by the door the minute before someone walks in."""
    h = _dog_home(8, waits=waits)
    eps = _home_away(find_episodes(h.build(), h.tz))
    assert len(eps) == 8, eps
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "08:00")) < 0.2, (day, ep)
        assert minutes(ep.end, h.at(day, "17:00")) < 0.2, (day, ep)


@pytest.mark.parametrize("roams", [True, False])
def test_a_dog_that_only_waits_by_the_door_teaches_where_it_goes(roams: bool) -> None:
    """The dog goes to the hallway only in the minutes before its person walks in: where it
    waited is learned as its daytime room all the same, and no absence is lost. So too when
    it sleeps through the day where no sensor sees it (not ``roams``) and is seen only
    waiting: that is no one walking to the door to leave."""
    h = _dog_home(8, midday_hall=False, roams=roams)
    learned: list[HomeHints] = []
    eps = _home_away(find_episodes(h.build(), h.tz, learned=learned))
    assert learned[-1].pets_by_day == frozenset({"Entrada"})
    assert len(eps) == 8, eps
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "08:00")) < 0.2, (day, ep)
        assert minutes(ep.end, h.at(day, "17:00")) < 0.2, (day, ep)


def test_with_a_dog_someone_walking_to_the_door_and_out_was_still_home() -> None:
    """The hallway is where the dog goes by day, but motion there just before the door opens
    with nothing going on after it is someone leaving: they were home before."""
    h = _dog_home(8)
    _inside(h, 8, "08:50")
    _door(h, 8, "09:00")
    h.blip("binary_sensor.hall", "Entrada", "motion", h.at(8, "11:59"), 40)
    _door(h, 8, "12:00")
    eps = _home_away(find_episodes(h.build(), h.tz))
    assert not [e for e in eps if e.start > h.at(8, "00:00")], eps


def test_where_the_dog_goes_by_day_is_kept_for_short_windows() -> None:
    """Learned over a week, the dog's daytime rooms are kept in the hints (and survive the
    store's JSON): a one-day window, too short to learn them again, still finds the absence."""
    import json
    from dataclasses import replace

    h = _dog_home(8)
    evs = h.build()
    learned: list[HomeHints] = []
    find_episodes(evs, h.tz, learned=learned)
    assert learned[-1].pets_by_day == frozenset({"Entrada"})
    hints = HomeHints.from_state(json.loads(json.dumps(learned[-1].to_state())))
    assert hints.pets_by_day == frozenset({"Entrada"})
    day = [e for e in evs if h.at(6, "00:00") <= e.ts < h.at(7, "00:00")]
    opts = EpisodeOptions(hints=hints)
    (ep,) = _home_away(find_episodes(day, h.tz, options=opts))
    assert minutes(ep.end, h.at(6, "17:00")) < 0.2
    forgot = EpisodeOptions(hints=replace(hints, pets_by_day=None))
    assert not _home_away(find_episodes(day, h.tz, options=forgot))


def test_an_evening_sitting_still_at_home_does_not_teach_where_the_dog_goes() -> None:
    """Evenings in the study, a blip an hour, then asleep: from the door at 17:00 to the next
    morning's nothing but brief blips, like the dog's empty home. Someone came in, and a
    night lies in between: that is no empty home to learn the dog's rooms from."""
    h = _dog_home(8, study=True)
    evs = [e for e in h.build() if e.entity_id != "binary_sensor.k"]  # motion and the door only
    learned: list[HomeHints] = []
    eps = _home_away(find_episodes(evs, h.tz, learned=learned))
    assert learned[-1].pets_by_day == frozenset({"Entrada"})
    assert len(eps) == 8, eps
    assert all(e.end.hour == 17 for e in eps), eps


def _person(h: Home, ts: datetime, who: str, state: str) -> None:
    h.add(ts, who, state, actor=who, actor_kind="person")


def test_a_phone_losing_its_location_while_its_owner_is_in_bed_is_no_absence() -> None:
    """A couple, each with a bed mat of their own and a phone. Twice Ana's phone loses its
    location at 03:20 for 25 min while her mat holds her, and Leo gets up for the toilet just
    before it comes back: someone moved at the edge, but Ana's own bed says she stayed. Her
    real days out stay absences."""
    h = Home()
    for who in ("person.ana", "person.leo"):
        _person(h, h.at(0, "06:00"), who, "home")
    for day in range(7):
        for mat, who, bed, up in (
            ("s1", "person.ana", "22:30", "30:45"),
            ("s2", "person.leo", "23:40", "31:30"),
        ):
            h.hold(
                f"binary_sensor.{mat}",
                "Dormitorio",
                "occupancy",
                h.at(day, bed),
                h.at(day, up),
                actor=who,
                actor_kind="device",
            )
        _inside(h, day, "07:40", "Recibidor")
        _door(h, day, "07:45")
        _person(h, h.at(day, "07:50"), "person.ana", "not_home")
        _person(h, h.at(day, "17:25"), "person.ana", "home")
        _door(h, day, "17:30")
        _inside(h, day, "17:32", "Recibidor")
        if day in (2, 5):
            _person(h, h.at(day, "27:20"), "person.ana", "not_home")
            h.blip("binary_sensor.bath", "Baño", "motion", h.at(day, "27:36"), 90)
            h.blip("binary_sensor.bed_pir", "Dormitorio", "motion", h.at(day, "27:38"), 60)
            _person(h, h.at(day, "27:45"), "person.ana", "home")
    eps = find_episodes(h.build(), h.tz)
    ana = [e for e in eps if e.kind == "away" and e.actor == "person.ana"]
    assert len(ana) == 7, ana
    assert all(e.start.hour == 7 for e in ana), ana


def test_someone_working_quietly_at_home_does_not_teach_where_the_dog_goes() -> None:
    """Four more days on which one of two goes out while the other works in the study: a
    brief blip there now and then, the kitchen, the bathroom. Between the door going out and
    the door coming in that looks like the dog's empty home, but for the bathroom: the study is
    no dog's room, and those days are no absences."""
    h = _dog_home(8)
    for day in range(8, 12):
        _door(h, day, "08:00")
        for hhmm in ("09:00", "10:00", "11:00", "12:00", "14:00", "15:30"):
            h.blip("binary_sensor.m3", "Despacho", "motion", h.at(day, hhmm), 60)
        h.blip("binary_sensor.bath", "Baño", "motion", h.at(day, "10:30"), 90)
        h.blip("binary_sensor.m2", "Cocina", "motion", h.at(day, "12:30"), 60)
        _door(h, day, "17:00")
        h.blip("binary_sensor.hall", "Entrada", "motion", h.at(day, "17:00", 50), 90)
    learned: list[HomeHints] = []
    eps = _home_away(find_episodes(h.build(), h.tz, learned=learned))
    assert learned[-1].pets_by_day == frozenset({"Entrada"})
    assert not [e for e in eps if e.start >= h.at(8, "00:00")], eps


def test_a_partner_reading_in_the_study_does_not_teach_where_the_dog_goes() -> None:
    """On four evenings one of two goes out from 18:00 to 19:30 while the other reads in the
    study: a blip there every quarter of an hour, once the living room. Each evening alone
    could be the dog, but not a dog at rest, which is all a room away from the door is learned
    from: the study stays nobody's but people's, and those evenings are no absences."""
    h = _dog_home(12)
    for day in range(8, 12):
        _door(h, day, "18:00")
        for hhmm, entity, area in (
            ("18:15", "binary_sensor.m3", "Despacho"),
            ("18:30", "binary_sensor.m3", "Despacho"),
            ("18:45", "binary_sensor.m1", "Salón"),
            ("19:00", "binary_sensor.m3", "Despacho"),
            ("19:15", "binary_sensor.m3", "Despacho"),
        ):
            h.blip(entity, area, "motion", h.at(day, hhmm), 60)
        _door(h, day, "19:30")
        h.blip("binary_sensor.hall", "Entrada", "motion", h.at(day, "19:30", 50), 90)
    learned: list[HomeHints] = []
    eps = _home_away(find_episodes(h.build(), h.tz, learned=learned))
    assert learned[-1].pets_by_day == frozenset({"Entrada"})
    assert not [e for e in eps if e.start.hour == 18], eps
    assert len(eps) == 12, eps


@pytest.mark.parametrize("extra_in", ["Entrada", "Despacho"])
def test_the_dog_by_the_front_door_is_learned_from_fewer_absences(extra_in: str) -> None:
    """Eight days out; on two of them a brief blip at 12:30 in one more room. By the front
    door (the entrance's own area) that is where the dog waits for its people: learned from
    two absences, so the days it goes there are absences. In the study it takes three: a
    partner at home alone moves about much like a dog, but seldom lingers by the door."""
    h = _dog_home(8, waits=False, midday_hall=False)
    entity = "binary_sensor.hall" if extra_in == "Entrada" else "binary_sensor.m3"
    for day in (2, 5):
        h.blip(entity, extra_in, "motion", h.at(day, "12:30"), 30)
    learned: list[HomeHints] = []
    eps = _home_away(find_episodes(h.build(), h.tz, learned=learned))
    if extra_in == "Entrada":
        assert learned[-1].pets_by_day == frozenset({"Entrada"})
        assert len(eps) == 8, eps
    else:
        assert not learned[-1].pets_by_day
        assert len(eps) == 6, eps


@pytest.mark.parametrize("bedroom_strays", [True, False])
def test_two_false_triggers_falling_together_do_not_end_an_absence(bedroom_strays: bool) -> None:
    """A home whose PIRs trip by themselves, the bedroom's too (at night and while everyone is
    out): the bedroom's and the living room's false triggers falling within a minute of each
    other are not someone walking from room to room, and the absence stands. Where the bedroom
    sensor never trips by itself, the same two are someone at home."""
    h = Home()
    days = 9  # fewer absences than the home model needs to vouch for one by itself
    for day in range(days):
        h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "07:00"), 60)
        _inside(h, day, "07:30")
        _door(h, day, "08:00")
        h.blip("binary_sensor.m1", "Salón", "motion", h.at(day, "10:10"), 40)
        if bedroom_strays:
            h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "11:20"), 40)
        _door(h, day, "17:00")
        _inside(h, day, "17:02")
        _inside(h, day, "20:30")
        h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "23:30"), 60)
        h.blip("binary_sensor.m1", "Salón", "motion", h.at(day, "26:10"), 40)
        if bedroom_strays:
            h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "27:40"), 40)
    last = days - 1
    h.blip("binary_sensor.m1", "Salón", "motion", h.at(last, "13:30"), 40)
    h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(last, "13:30", 30), 40)
    found = [
        ep for ep in _home_away(find_episodes(h.build(), h.tz))
        if ep.start.date() == h.at(last, "08:00").date()
    ]
    if bedroom_strays:
        (ep,) = found
        assert minutes(ep.start, h.at(last, "08:00")) < 0.1
        assert minutes(ep.end, h.at(last, "17:00")) < 0.1
    else:
        assert not found


@pytest.mark.parametrize("up_late", [False, True])
def test_a_pet_active_soon_after_everyone_is_in_bed_is_learned(up_late: bool) -> None:
    """A dog that roams the living room and kitchen in the first hours after its people went
    to bed (never in the small hours): where nobody was up, those hours teach where it goes.
    Where someone was still up at the cupboard until 00:55 every night, its blips right after
    may be that person, and nothing is learned from them."""
    from galatea_engine.mining.areas import AreaRoles
    from galatea_engine.mining.away import AwayOptions, pet_areas
    from galatea_engine.mining.presence import blocks, signals

    h = Home()
    for day in range(6):
        h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "07:00"), 60)
        _inside(h, day, "07:30")
        if up_late:
            _inside(h, day, "24:55")
        h.blip("binary_sensor.room", "Dormitorio", "motion", h.at(day, "23:30"), 60)
        salon = "25:05" if up_late else "24:45"
        h.blip("binary_sensor.m1", "Salón", "motion", h.at(day, salon), 60)
        h.blip("binary_sensor.m2", "Cocina", "motion", h.at(day, "25:15"), 60)
    evs = h.build()
    blks = blocks(signals(evs, max_hold_s=3600))
    roles = AreaRoles({e.area for e in evs if e.area})
    # The home's quietest six hours: midnight to six.
    nights = [(h.at(d, "24:00").timestamp(), h.at(d, "30:00").timestamp()) for d in range(5)]
    found = pet_areas(nights, blks, roles, AwayOptions())
    assert found == (frozenset() if up_late else frozenset({"Salón", "Cocina"}))
