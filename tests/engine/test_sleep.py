"""Sleep episodes on sparse binary sensors: bed mats, toilet trips, no bed sensor, DST."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from galatea_engine.mining.episodes import EpisodeOptions, HomeHints, find_episodes
from galatea_engine.mining.routines import mine_routines
from galatea_engine.models import Episode

from .home_builder import Home, minutes

BED = "binary_sensor.mat"  # ids are deliberately meaningless: semantics come from class + area


def _home_sleep(eps: list[Episode]) -> list[Episode]:
    return [e for e in eps if e.kind == "sleep" and e.detail["scope"] == "home"]


def _daytime(h: Home, day: int, bathroom: str = "Baño", kitchen: str = "Cocina") -> None:
    """Some daytime life so that the night is framed by activity."""
    h.blip("binary_sensor.a", bathroom, "motion", h.at(day, "08:10"), 300)
    h.blip("binary_sensor.b", kitchen, "door", h.at(day, "08:30"))
    h.blip("binary_sensor.c", "Salón", "motion", h.at(day, "12:00"), 120)
    h.blip("binary_sensor.b", kitchen, "door", h.at(day, "20:30"))
    h.blip("binary_sensor.c", "Salón", "motion", h.at(day, "22:40"), 120)


def test_held_on_bed_sensor_gives_one_night_each() -> None:
    h = Home()
    for day in range(3):
        _daytime(h, day)
        h.hold(BED, "Dormitorio", "occupancy", h.at(day, "23:15"), h.at(day, "31:05"))
    _daytime(h, 3)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 3
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:15")) < 1
        assert minutes(ep.end, h.at(day, "31:05")) < 1
        assert ep.detail["method"] == "bed"
        assert ep.evidence


def test_toilet_trips_do_not_split_the_night() -> None:
    h = Home()
    _daytime(h, 0)
    h.hold(BED, "Master Bedroom", "occupancy", h.at(0, "23:30"), h.at(0, "27:02"))
    h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(0, "27:03"), 180)
    h.blip("binary_sensor.flush", "Bathroom", "vibration", h.at(0, "27:05"))
    h.hold(BED, "Master Bedroom", "occupancy", h.at(0, "27:08"), h.at(0, "29:40"))
    h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(0, "29:41"), 120)
    h.hold(BED, "Master Bedroom", "occupancy", h.at(0, "29:45"), h.at(0, "31:00"))
    _daytime(h, 1)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 1
    ep = eps[0]
    assert minutes(ep.start, h.at(0, "23:30")) < 1
    assert minutes(ep.end, h.at(0, "31:00")) < 1
    assert ep.detail["interruptions"] == 2
    # The bathroom visits are sessions; the bed itself is not repeated as a session.
    sessions = [e for e in find_episodes(h.build(), h.tz) if e.kind == "session"]
    assert not any(s.area == "Master Bedroom" for s in sessions)


def test_no_bed_sensor_uses_quiet_night_with_bedroom_last() -> None:
    h = Home()
    for day in range(2):
        _daytime(h, day)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "23:50"), 60)
        # a toilet trip in the middle of the night
        h.blip("binary_sensor.bath", "Badezimmer", "motion", h.at(day, "27:30"), 240)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "31:20"), 60)
    _daytime(h, 2)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 2
    for day, ep in enumerate(eps):
        assert ep.detail["method"] == "quiet"
        assert minutes(ep.start, h.at(day, "23:51")) < 2
        assert minutes(ep.end, h.at(day, "31:20")) < 2
        assert ep.confidence >= 0.7  # the bedroom framed the silence


def test_afternoon_quiet_is_not_sleep() -> None:
    h = Home()
    h.blip("binary_sensor.c", "Living room", "motion", h.at(0, "13:00"))
    h.blip("binary_sensor.c", "Living room", "motion", h.at(0, "17:30"))
    assert not _home_sleep(find_episodes(h.build(), h.tz))


def test_night_still_in_bed_is_not_reported() -> None:
    h = Home()
    _daytime(h, 0)
    h.add(h.at(0, "23:30"), BED, "on", area="Bedroom", device_class="occupancy")
    h.blip("binary_sensor.c", "Living room", "motion", h.at(0, "26:00"))  # someone else up
    assert not _home_sleep(find_episodes(h.build(), h.tz))


def test_woke_up_moments_ago_is_not_final() -> None:
    """Until the bed stayed empty longer than a toilet trip, the night may go on."""
    h = Home()
    h.hold(BED, "Bedroom", "occupancy", h.at(0, "23:00"), h.at(0, "30:00"))
    h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(0, "30:05"))
    assert not _home_sleep(find_episodes(h.build(), h.tz))
    h.blip("binary_sensor.k", "Kitchen", "door", h.at(0, "31:30"))
    assert len(_home_sleep(find_episodes(h.build(), h.tz))) == 1


def test_two_beds_two_persons_and_the_home_night() -> None:
    h = Home()
    _daytime(h, 0)
    h.hold(
        "binary_sensor.s1",
        "Bedroom",
        "occupancy",
        h.at(0, "22:30"),
        h.at(0, "30:15"),
        actor="person.ana",
        actor_kind="device",
    )
    h.hold(
        "binary_sensor.s2",
        "Kids room",
        "occupancy",
        h.at(0, "23:45"),
        h.at(0, "31:30"),
        actor="person.leo",
        actor_kind="device",
    )
    _daytime(h, 1)
    eps = [e for e in find_episodes(h.build(), h.tz) if e.kind == "sleep"]
    people = {e.actor: e for e in eps if e.detail["scope"] == "person"}
    assert set(people) == {"person.ana", "person.leo"}
    assert minutes(people["person.leo"].start, h.at(0, "23:45")) < 1
    (home,) = _home_sleep(eps)
    # The home is asleep from the last to bed to the first up.
    assert minutes(home.start, h.at(0, "23:45")) < 1
    assert minutes(home.end, h.at(0, "30:15")) < 1


def test_bed_found_by_behaviour_in_an_unnamed_area() -> None:
    h = Home()
    for day in range(3):
        _daytime(h, day)
        h.hold(
            BED, "Zone 7", "occupancy", h.at(day, "00:30" if day else "23:59"), h.at(day, "32:00")
        )
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) >= 2
    assert all(e.detail["method"] == "bed" for e in eps)


def test_sofa_in_a_named_living_room_is_not_a_bed() -> None:
    h = Home()
    for day in range(3):
        h.hold(
            "binary_sensor.sofa", "Living room", "occupancy", h.at(day, "15:00"), h.at(day, "23:30")
        )
        h.blip("binary_sensor.k", "Kitchen", "door", h.at(day, "23:35"))
        h.blip("binary_sensor.k", "Kitchen", "door", h.at(day, "31:00"))
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert all(e.detail["method"] == "quiet" for e in eps)
    assert all(minutes(e.start, h.at(i, "23:35")) < 1 for i, e in enumerate(eps))


def test_dst_spring_forward_night_madrid() -> None:
    """2026-03-29 02:00 CET -> 03:00 CEST: a 23:00-07:00 night lasts 7 real hours."""
    h = Home(start=date(2026, 3, 28))
    _daytime(h, 0)
    h.hold(BED, "Bedroom", "occupancy", h.at(0, "23:00"), h.at(1, "07:00"))
    _daytime(h, 1)
    (ep,) = _home_sleep(find_episodes(h.build(), h.tz))
    assert ep.detail["duration_h"] == 7.0
    assert ep.detail["night"] == "2026-03-28"
    assert ep.start.utcoffset() == timedelta(hours=1)
    assert ep.end.utcoffset() == timedelta(hours=2)
    assert ep.end.hour == 7


def test_dst_fall_back_night_madrid_quiet() -> None:
    """2026-10-25 03:00 CEST -> 02:00 CET: a 23:00-07:00 quiet night lasts 9 real hours."""
    h = Home(start=date(2026, 10, 24))
    _daytime(h, 0)
    h.blip("binary_sensor.room", "Bedroom", "motion", h.at(0, "23:00"), 0)
    h.blip("binary_sensor.room", "Bedroom", "motion", h.at(1, "07:00"), 60)
    _daytime(h, 1)
    (ep,) = _home_sleep(find_episodes(h.build(), h.tz))
    assert ep.detail["duration_h"] == 9.0
    assert (ep.start.hour, ep.end.hour) == (23, 7)


def test_bedroom_occupancy_that_times_out_falls_back_to_quiet_nights() -> None:
    """A motion-derived occupancy sensor goes off while the sleeper lies still: it never holds
    a night, so it is no bed, and the quiet night is used."""
    h = Home()
    for day in range(2):
        _daytime(h, day)
        h.hold("binary_sensor.occ", "Bedroom", "occupancy", h.at(day, "23:45"), h.at(day, "24:00"))
        h.hold("binary_sensor.occ", "Bedroom", "occupancy", h.at(day, "31:10"), h.at(day, "31:20"))
    _daytime(h, 2)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 2
    assert all(e.detail["method"] == "quiet" for e in eps)
    assert all(minutes(e.start, h.at(i, "24:00")) < 1 for i, e in enumerate(eps))
    assert all(minutes(e.end, h.at(i, "31:10")) < 1 for i, e in enumerate(eps))


def test_home_night_equal_to_one_persons_night() -> None:
    """Last to bed and first up is the same person: the home night equals theirs exactly."""
    h = Home()
    _daytime(h, 0)
    h.hold(
        "binary_sensor.s1",
        "Bedroom",
        "occupancy",
        h.at(0, "22:30"),
        h.at(0, "31:15"),
        actor="person.ana",
        actor_kind="device",
    )
    h.hold(
        "binary_sensor.s2",
        "Kids room",
        "occupancy",
        h.at(0, "23:45"),
        h.at(0, "30:30"),
        actor="person.leo",
        actor_kind="device",
    )
    h.blip("binary_sensor.s3", "Kids room", "motion", h.at(0, "30:31"), 60)
    _daytime(h, 1)
    eps = find_episodes(h.build(), h.tz)
    (home,) = _home_sleep(eps)
    assert minutes(home.start, h.at(0, "23:45")) < 1
    assert minutes(home.end, h.at(0, "30:30")) < 1


def test_isolated_pet_pulses_do_not_end_or_delay_the_night() -> None:
    """No bed sensor, a cat: right after going to bed it trips the hallway sensor (so the
    bedroom is not the last room used), then single pulses elsewhere during the night. Each
    isolated pulse (one sensor, once, silence on both sides) is a pet: the night starts at
    bedtime and ends at the morning's real activity."""
    h = Home()
    for day in range(3):
        _daytime(h, day)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "23:50"), 60)
        h.blip("binary_sensor.hall", "Flur", "motion", h.at(day, "23:56"), 90)
        h.blip("binary_sensor.c", "Salón", "motion", h.at(day, "24:20"), 60)
        h.blip("binary_sensor.k", "Cocina", "motion", h.at(day, "27:35"), 60)
        h.blip("binary_sensor.c", "Salón", "motion", h.at(day, "28:50"), 90)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "30:40"), 60)
    _daytime(h, 3)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 3
    for day, ep in enumerate(eps):
        assert ep.detail["method"] == "quiet"
        assert minutes(ep.start, h.at(day, "23:51")) <= 10
        assert minutes(ep.end, h.at(day, "30:40")) < 2


def test_person_still_up_is_not_a_pet_pulse() -> None:
    """Someone up late moving between two rooms (two sensors in one burst) is not a pet: the
    night starts when they go to bed, not at the first lull of the evening."""
    h = Home()
    for day in range(2):
        _daytime(h, day)
        h.blip("binary_sensor.c", "Salón", "motion", h.at(day, "22:50"), 60)
        for hhmm in ("23:10", "23:35", "24:00"):
            h.blip("binary_sensor.c", "Salón", "motion", h.at(day, hhmm), 60)
            h.blip("binary_sensor.k", "Cocina", "motion", h.at(day, hhmm, 50), 60)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "24:30"), 60)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "31:00"), 60)
    _daytime(h, 2)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 2
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "24:31")) < 2
        assert minutes(ep.end, h.at(day, "31:00")) < 2


def test_a_pet_wandering_between_rooms_does_not_split_the_night() -> None:
    """After going to bed, a cat trips three downstairs sensors over half an hour, pausing less
    than a silence between them. The burst spans longer than a toilet trip may, but the sensors
    were on for only minutes: still one night."""
    h = Home()
    for day in range(2):
        _daytime(h, day)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "23:30"), 60)
        h.blip("binary_sensor.c", "Salón", "motion", h.at(day, "26:30"), 90)
        h.blip("binary_sensor.k", "Cocina", "motion", h.at(day, "26:39"), 60)
        h.blip("binary_sensor.c", "Salón", "motion", h.at(day, "26:48"), 60)
        h.blip("binary_sensor.k", "Cocina", "motion", h.at(day, "26:57"), 60)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "30:45"), 60)
    _daytime(h, 2)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 2
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:31")) < 2
        assert minutes(ep.end, h.at(day, "30:45")) < 2


def test_sparse_motion_in_an_unknown_room_at_dawn_is_someone_up() -> None:
    """Pulses in a room whose role is unknown (it may be someone's bedroom) are not a pet: the
    night ends there."""
    h = Home()
    for day in range(2):
        _daytime(h, day)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "23:30"), 60)
        h.blip("binary_sensor.z", "Zone 7", "motion", h.at(day, "29:40"), 60)
        h.blip("binary_sensor.z", "Zone 7", "motion", h.at(day, "29:55"), 60)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "31:30"), 60)
    _daytime(h, 2)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 2
    for day, ep in enumerate(eps):
        assert minutes(ep.end, h.at(day, "29:40")) < 2


def test_a_short_lull_after_a_toilet_trip_does_not_end_the_night() -> None:
    """Two hours into the night, back from the bathroom, the first quiet spell is short (a cat
    trips the kitchen once), then the night goes on: the trip is not the wake-up, since a sleep
    cycle of quiet follows it in all. Bedtime stays at going to bed."""
    h = Home()
    for day in range(2):
        _daytime(h, day)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "23:30"), 60)
        h.blip("binary_sensor.bath", "Badezimmer", "motion", h.at(day, "25:30"), 180)
        h.blip("binary_sensor.k", "Cocina", "motion", h.at(day, "25:52"), 60)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "30:45"), 60)
    _daytime(h, 2)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 2
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:31")) < 2
        assert minutes(ep.end, h.at(day, "30:45")) < 2


def test_a_short_trip_back_to_quiet_in_the_morning_is_still_the_wake_up() -> None:
    """A bathroom visit followed by less than a sleep cycle of quiet (even in several lulls
    joined across a pet pulse) before the day starts is the wake-up."""
    h = Home()
    for day in range(2):
        _daytime(h, day)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "23:30"), 60)
        h.blip("binary_sensor.bath", "Badezimmer", "motion", h.at(day, "30:00"), 180)
        h.blip("binary_sensor.k", "Cocina", "motion", h.at(day, "30:25"), 60)
        h.blip("binary_sensor.b", "Cocina", "door", h.at(day, "31:10"))  # breakfast
        h.blip("binary_sensor.k", "Cocina", "motion", h.at(day, "31:11"), 60)
    _daytime(h, 2)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 2
    for day, ep in enumerate(eps):
        assert minutes(ep.end, h.at(day, "30:00")) < 2


def test_a_bathroom_trip_through_the_kitchen_does_not_split_the_night() -> None:
    """The walk to the bathroom trips the kitchen's motion sensor in the same burst as the
    bathroom's sensor and light: still a night-time trip, not someone starting the day."""
    h = Home()
    for day in range(2):
        _daytime(h, day)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "23:30"), 60)
        h.blip("binary_sensor.k", "Cocina", "motion", h.at(day, "26:00"), 90)
        h.blip("binary_sensor.bath", "Badezimmer", "motion", h.at(day, "26:01"), 180)
        h.add(h.at(day, "26:01", 30), "light.bath", "on", area="Badezimmer", old_state="off")
        h.add(h.at(day, "26:04"), "light.bath", "off", area="Badezimmer", old_state="on")
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "30:45"), 60)
    _daytime(h, 2)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 2
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:31")) < 2
        assert minutes(ep.end, h.at(day, "30:45")) < 2
        assert ep.detail["interruptions"] >= 1


def test_lights_switched_off_after_the_bedroom_still_mean_going_to_bed() -> None:
    """The bedroom is used, then the living-room light goes off (the last one up putting the
    house to sleep): the silence after it is the night, so a later pet pulse and a toilet trip
    do not move bedtime to after the trip."""
    h = Home()
    for day in range(2):
        _daytime(h, day)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "23:50"), 60)
        h.add(h.at(day, "23:55"), "light.room", "off", area="Schlafzimmer", old_state="on")
        h.add(h.at(day, "24:00"), "light.salon", "off", area="Salón", old_state="on")
        h.blip("binary_sensor.k", "Cocina", "motion", h.at(day, "25:30"), 60)
        h.blip("binary_sensor.k", "Cocina", "motion", h.at(day, "25:33"), 60)
        h.blip("binary_sensor.bath", "Badezimmer", "motion", h.at(day, "27:00"), 180)
        h.blip("binary_sensor.room", "Schlafzimmer", "motion", h.at(day, "31:00"), 60)
    _daytime(h, 2)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 2
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "24:00")) < 2
        assert minutes(ep.end, h.at(day, "31:00")) < 2


def _evening(h: Home, day: int, until: str = "22:20") -> None:
    """Two people up in the evening: kitchen and living room motion every ~10 minutes."""
    t = h.at(day, "19:00")
    stop = h.at(day, until)
    rooms = (("binary_sensor.k", "Kitchen"), ("binary_sensor.l", "Living Room"))
    n = 0
    while t < stop:
        entity, area = rooms[n % 2]
        h.blip(entity, area, "motion", t, 90)
        t += timedelta(minutes=11)
        n += 1


def _cat(h: Home, day: int, *hhmm: str) -> None:
    for when in hhmm:
        h.blip("binary_sensor.l", "Living Room", "motion", h.at(day, when), 40)


def test_the_last_one_up_is_not_taken_for_the_cat() -> None:
    """She goes to bed at 22:30; he stays in the study until midnight, tripping its sensor now
    and then, and goes to bed at 00:05. The cat roams the living room all night (learned from
    the quietest hours), never the study: the home's night starts when he goes to bed."""
    h = Home()
    for day in range(8):
        _evening(h, day)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "22:28"), 60)
        for when in ("22:50", "23:02", "23:21", "23:37", "23:49"):
            h.blip("binary_sensor.s", "Study", "motion", h.at(day, when), 60)
        h.blip("binary_sensor.h", "Hallway", "motion", h.at(day, "24:02"), 40)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "24:04"), 60)
        _cat(h, day, "25:40", "27:10", "28:30")
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "30:30"), 60)
        h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "30:32"), 240)
        for when in ("30:40", "30:52", "31:05", "31:20", "31:31"):
            h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, when), 120)
    _evening(h, 8)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 8
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "24:05")) < 3, ep
        assert minutes(ep.end, h.at(day, "30:30")) < 2, ep


def _shift_day(h: Home, day: int) -> None:
    """Home from the night shift at 07:30, in bed 07:50-15:00, out again at 21:30."""
    h.blip("binary_sensor.door", "Hallway", "door", h.at(day, "07:30"), 30)
    h.blip("binary_sensor.h", "Hallway", "motion", h.at(day, "07:31"), 60)
    h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "07:35"), 120)
    h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "07:40"), 90)
    h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "07:48"), 90)
    h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "15:03"), 90)
    h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "15:06"), 120)
    for when in ("15:15", "15:40", "16:10", "17:00", "18:20", "19:30", "20:40", "21:20"):
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, when), 120)
    h.blip("binary_sensor.h", "Hallway", "motion", h.at(day, "21:29"), 60)
    h.blip("binary_sensor.door", "Hallway", "door", h.at(day, "21:30"), 30)


def test_a_night_shift_workers_day_sleep_is_their_sleep() -> None:
    h = Home()
    for day in range(6):
        _shift_day(h, day)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 6  # one per day: two day sleeps never share a night
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "07:49")) < 2, ep
        assert minutes(ep.end, h.at(day, "15:03")) < 1, ep
    assert len({e.detail["night"] for e in eps}) == 6


@pytest.mark.parametrize(("back_to", "woke"), [("Bedroom", "15:03"), ("Kitchen", "12:50")])
def test_a_toilet_trip_in_a_day_sleep_then_back_in_bed_is_more_sleep(
    back_to: str, woke: str
) -> None:
    """The night-shift worker's last day sleep has a toilet trip at 12:50 that ends with motion
    in the bedroom, and quiet until motion there at 15:03: they lay down again, the sleep ends
    at 15:03. Ended in the kitchen instead (up, then silent in a room with no sensor), the
    trip was getting up."""
    h = Home()
    for day in range(6):
        _shift_day(h, day)
    h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(5, "12:50"), 60)
    h.blip("binary_sensor.b", "Bathroom", "motion", h.at(5, "12:51"), 120)
    if back_to == "Bedroom":
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(5, "12:55"), 60)
    else:
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(5, "12:55"), 60)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 6
    assert minutes(eps[-1].start, h.at(5, "07:49")) < 2, eps[-1]
    assert minutes(eps[-1].end, h.at(5, woke)) < 2, eps[-1]


def test_a_quiet_day_framed_by_lone_triggers_is_not_sleep() -> None:
    """Out by a door without a sensor: lone triggers of a noisy bedroom and bathroom sensor
    do not make the empty day a sleep."""
    h = Home()
    for day in range(6):
        _evening(h, day)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "22:40"), 60)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "30:30"), 60)
        h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "30:33"), 240)
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "30:45"), 300)
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "31:05"), 60)
        # Day day+1: gone at 07:10 unseen; the bedroom and bathroom sensors trip once each.
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "32:40"), 30)
        h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "39:00"), 30)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert eps
    assert all(e.detail["night"] != e.start.date().isoformat() or e.start.hour >= 20 for e in eps)
    assert not [e for e in eps if 9 <= e.start.hour < 20], eps


def test_a_toilet_trip_an_hour_before_the_usual_wake_up_is_not_the_wake_up() -> None:
    """Up at 06:50 every day; on the last night a trip at 05:41 is followed by 66 min of quiet.
    Before the usual wake-up (learned from the nights), that quiet is more sleep."""
    h = Home()
    for day in range(7):
        _evening(h, day, until="21:00")
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "21:10"), 60)
        h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "25:30"), 120)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "25:34"), 60)
        if day == 6:
            h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "29:41"), 60)
            h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "29:42"), 120)
            h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "29:46"), 60)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "30:50"), 60)
        h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "30:53"), 300)
        for when in ("31:00", "31:12", "31:25", "31:40", "32:00"):
            h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, when), 120)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 7
    assert minutes(eps[-1].end, h.at(6, "30:50")) < 2, eps[-1]



def _breakfast(h: Home, day: int) -> None:
    """The next morning in the kitchen, 07:00-08:00."""
    for when in ("31:00", "31:12", "31:25", "31:40", "32:00"):
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, when), 120)


def _last_of_seven_nights_ends(h: Home, woke: str) -> None:
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 7
    assert minutes(eps[-1].end, h.at(6, woke)) < 2, eps[-1]

@pytest.mark.parametrize(("back_to", "woke"), [("Bedroom", "30:50"), ("Kitchen", "30:05")])
def test_back_in_bed_after_a_dawn_trip_is_more_sleep_however_near_the_morning(
    back_to: str, woke: str
) -> None:
    """Up at 06:50 every day; on the last night a toilet trip at 06:05 ends back in the bedroom
    and 40 min of quiet follow until someone comes out of the bedroom again: they lay down
    again, the night ends at 06:50. The same quiet ended by the kitchen (reading on the couch
    until breakfast) is the morning: the trip was the wake-up."""
    h = Home()
    for day in range(7):
        _evening(h, day, until="21:00")
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "21:10"), 60)
        if day == 6:
            h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "30:05"), 60)
            h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "30:06"), 120)
            h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "30:09"), 60)
        if back_to == "Kitchen" and day == 6:
            h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "30:50"), 120)
        else:
            h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "30:50"), 60)
            h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "30:53"), 300)
        _breakfast(h, day)
    _last_of_seven_nights_ends(h, woke)



@pytest.mark.parametrize(("came_in", "woke"), [(False, "30:50"), (True, "30:05")])
def test_a_bedroom_door_closed_from_inside_after_a_dawn_trip_is_more_sleep(
    came_in: bool, woke: str
) -> None:
    """The bedroom door stays open all night. On the last night a toilet trip at 06:05 ends
    with the bedroom door closing, and 40 min of quiet follow until motion in the bedroom:
    nobody opened the door to come back in, so whoever closed it was inside and lay down
    again; the night ends at 06:50. Had the door opened first, it was closed from the hall
    on the way out: the trip was the wake-up."""
    h = Home()
    door = "binary_sensor.bed_door"
    for day in range(7):
        _evening(h, day, until="21:00")
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "21:10"), 60)
        if day == 6:
            h.hold(door, "Bedroom", "door", h.at(day, "21:12"), h.at(day, "30:09"))
            h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "30:06"), 120)
            if came_in:
                h.blip(door, "Bedroom", "door", h.at(day, "30:49"), 5)
        else:
            h.hold(door, "Bedroom", "door", h.at(day, "21:12"), h.at(day, "30:52"))
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "30:50"), 60)
        h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "30:53"), 300)
        _breakfast(h, day)
    _last_of_seven_nights_ends(h, woke)


def _contacts_day(h: Home, day: int, *, evening_baths: tuple[str, ...]) -> None:
    """Contacts only: fridge and front door by day, the bathroom door in the evening while the
    living room (no sensor) stays silent, the bedroom door at bedtime and on getting up."""
    h.blip("binary_sensor.bath_door", "Bathroom", "door", h.at(day, "07:02"), 8)
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "07:20"), 12)
    h.blip("binary_sensor.front", "Hallway", "door", h.at(day, "07:45"), 20)
    h.blip("binary_sensor.front", "Hallway", "door", h.at(day, "17:30"), 20)
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "17:40"), 12)
    for when in evening_baths:
        h.blip("binary_sensor.bath_door", "Bathroom", "door", h.at(day, when), 8)
    h.blip("binary_sensor.bed_door", "Bedroom", "door", h.at(day, "23:05"), 8)
    h.blip("binary_sensor.bed_door", "Bedroom", "door", h.at(day, "30:55"), 8)


@pytest.mark.parametrize("evenings", [True, False])
def test_in_a_home_whose_nights_start_in_the_bedroom_a_quiet_evening_is_not_bedtime(
    evenings: bool
) -> None:
    """Every night starts in the bedroom (the bathroom at 22:55, the bedroom at 23:00), every
    morning in the bathroom at 07:00. On the last evening the living room goes quiet after a
    bathroom visit at 21:40 (reading on the sofa, out of the sensors' view) until the bathroom
    and bedroom at 23:00: the night starts in the bedroom, not at 21:42, though 80 minutes is
    no more than a quiet evening elsewhere. Where nights start anywhere (the bedroom is not
    seen going to bed), that quiet stays the night."""
    h = Home()
    last = 8
    for day in range(last + 1):
        for when in ("07:10", "07:30", "07:50", "08:30", "10:00", "12:30", "16:00"):
            h.blip("binary_sensor.kitchen", "Kitchen", "motion", h.at(day, when), 120)
        evening = ("18:00", "19:10", "20:20", "21:30", "22:40")
        for when in evening[:-1] if day == last else evening:
            h.blip("binary_sensor.living", "Living room", "motion", h.at(day, when), 120)
        if day == last:
            h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "21:40"), 90)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "22:55"), 90)
        if evenings or day == last:
            h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "23:00"), 60)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "31:00"), 300)
    for when in ("07:10", "07:30", "07:50", "08:30", "12:00"):
        h.blip("binary_sensor.kitchen", "Kitchen", "motion", h.at(last + 1, when), 120)
    learned: list[HomeHints] = []
    eps = _home_sleep(find_episodes(h.build(), h.tz, learned=learned))
    assert learned[-1].bedroom_evenings is evenings
    assert HomeHints.from_state(learned[-1].to_state()).bedroom_evenings is evenings
    assert len(eps) == last + 1
    assert minutes(eps[-1].start, h.at(last, "23:01" if evenings else "21:42")) < 3, eps[-1]
    assert minutes(eps[-1].end, h.at(last, "31:00")) < 2, eps[-1]


def test_in_a_home_whose_mornings_start_in_the_bedroom_a_bathroom_visit_is_not_bedtime() -> None:
    """Every morning starts at the bedroom door, so the bedroom is seen at bedtime too: the
    evening's visits to the bathroom, up to five hours of silence apart (nobody on the sofa is
    seen), are the evening going on, and the night starts at the bedroom door at 23:05."""
    h = Home()
    for day in range(8):
        baths = ("18:00", "21:15", "22:55") if day % 2 else ("17:55", "22:50")
        _contacts_day(h, day, evening_baths=baths)
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(8, "07:20"), 12)
    learned: list[HomeHints] = []
    eps = _home_sleep(find_episodes(h.build(), h.tz, learned=learned))
    # What was learned is kept for short incremental windows.
    assert learned[-1].bedroom_mornings is True
    assert HomeHints.from_state(learned[-1].to_state()).bedroom_mornings is True
    assert len(eps) == 8
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:05")) < 2, ep
        assert minutes(ep.end, h.at(day, "30:55")) < 2, ep


def test_devices_coming_back_from_unavailable_in_the_night_are_nobody() -> None:
    """HA restarts at 03:10 every night (an update, a backup): the fridge and front door
    contacts and the hall light report their states again as they come back. Nobody moved
    them, so the nights are not split there."""
    h = Home()
    for day in range(7):
        _contacts_day(h, day, evening_baths=("18:00", "22:50"))
        restart = h.at(day, "27:10")
        for k, (entity, area, dc) in enumerate(
            (
                ("binary_sensor.fridge", "Kitchen", "door"),
                ("binary_sensor.front", "Hallway", "door"),
                ("light.hall", "Hallway", None),
            )
        ):
            h.add(
                restart + timedelta(seconds=20 * k),
                entity,
                "off",
                area=area,
                device_class=dc,
                old_state="unavailable",
            )
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(7, "07:20"), 12)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 7
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:05")) < 2, ep
        assert minutes(ep.end, h.at(day, "30:55")) < 2, ep


def test_a_night_light_nudged_by_adaptive_lighting_is_nobody() -> None:
    """The bedroom's night light stays on all night and an adaptive lighting integration
    nudges its brightness every three minutes (no user behind it). Only switching it is
    someone; the night is the bedroom's 23:05 to 06:55 as on the other nights."""
    h = Home()
    for day in range(7):
        _contacts_day(h, day, evening_baths=("18:00", "22:50"))
        t = h.at(day, "23:06")
        h.add(t, "light.night", "on", area="Bedroom", old_state="off", data={"brightness": 40})
        while t < h.at(day, "30:50"):
            t += timedelta(minutes=3)
            h.add(t, "light.night", "on", area="Bedroom", old_state="on", data={"brightness": 30})
        h.add(h.at(day, "30:56"), "light.night", "off", area="Bedroom", old_state="on")
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(7, "07:20"), 12)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 7
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:06")) < 2, ep
        assert minutes(ep.end, h.at(day, "30:55")) < 2, ep


def test_a_washing_machine_finishing_in_the_night_is_nobody() -> None:
    """The washing machine is started at 22:45 on alternate evenings and finishes at 01:40 or
    02:30: its "running" sensor going off is the cycle ending, not someone up."""
    h = Home()
    for day in range(8):
        _contacts_day(h, day, evening_baths=("18:00", "22:50"))
        if day % 2:
            end = h.at(day, "25:40" if day % 4 == 1 else "26:30")
            for t, state, old in ((h.at(day, "22:45"), "on", "off"), (end, "off", "on")):
                h.add(
                    t,
                    "binary_sensor.washer",
                    state,
                    area="Utility",
                    device_class="running",
                    old_state=old,
                )
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(8, "07:20"), 12)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 8
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:05")) < 2, ep
        assert minutes(ep.end, h.at(day, "30:55")) < 2, ep


def test_a_silent_evening_far_before_the_usual_bedtime_is_not_the_night() -> None:
    """Contacts only; the bedroom door is left open on half the mornings, so the bedroom is
    not known to see every bedtime. Most evenings the kitchen is busy until bed at 23:05; on
    three, the resident watches TV in a room with no sensor from 18:00, seen only at the
    bathroom door. Bed is still at the bedroom door at 23:05, the home's usual bedtime: the
    five hours before it are the evening, not the night."""
    h = Home()
    silent = {2, 5, 8}
    for day in range(10):
        if day % 2 == 0:
            h.blip("binary_sensor.bed_door", "Bedroom", "door", h.at(day, "06:55"), 8)
        h.blip("binary_sensor.bath_door", "Bathroom", "door", h.at(day, "07:02"), 8)
        h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "07:20"), 12)
        h.blip("binary_sensor.front", "Hallway", "door", h.at(day, "07:45"), 20)
        h.blip("binary_sensor.front", "Hallway", "door", h.at(day, "17:30"), 20)
        h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "17:40"), 12)
        if day in silent:
            evening = ("18:00", "20:10", "22:55")
            for when in evening:
                h.blip("binary_sensor.bath_door", "Bathroom", "door", h.at(day, when), 8)
        else:
            for k in range(10):
                t = h.at(day, "18:00") + timedelta(minutes=30 * k)
                h.blip("binary_sensor.fridge", "Kitchen", "door", t, 12)
            h.blip("binary_sensor.bath_door", "Bathroom", "door", h.at(day, "22:55"), 8)
        h.blip("binary_sensor.bed_door", "Bedroom", "door", h.at(day, "23:05"), 8)
    for when in ("07:02", "07:20", "07:30", "07:40"):
        h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(10, when), 12)
    learned: list[HomeHints] = []
    eps = _home_sleep(find_episodes(h.build(), h.tz, learned=learned))
    assert learned[-1].bedroom_mornings is False
    assert learned[-1].usual_bed is not None
    assert HomeHints.from_state(learned[-1].to_state()).usual_bed == learned[-1].usual_bed
    assert len(eps) == 10
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:05")) < 2, (day, ep)


def test_where_the_bedroom_sees_the_mornings_a_late_bathroom_visit_is_not_more_sleep() -> None:
    """Up at the bedroom door at 06:55 on weekdays; on Sunday at 08:30, then the bathroom
    three times and nothing until lunch at noon. Well after the usual wake-up, a trip that does
    not go back through the bedroom is the morning, not more sleep."""
    h = Home()
    for day in range(9):
        _contacts_day(h, day, evening_baths=("18:00", "22:50"))
    sunday = 6  # 2026-01-18
    h.blip("binary_sensor.bed_door", "Bedroom", "door", h.at(sunday, "08:30"), 8)
    for when in ("08:37", "09:17", "10:04"):
        h.blip("binary_sensor.bath_door", "Bathroom", "door", h.at(sunday, when), 8)
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(sunday, "12:00"), 12)
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(9, "07:20"), 12)
    events = [
        e for e in h.build()
        if not (h.at(sunday, "00:00") < e.ts < h.at(sunday, "08:00") and e.area == "Bedroom")
        and not (h.at(sunday, "06:00") < e.ts < h.at(sunday, "08:00"))
    ]
    eps = _home_sleep(find_episodes(events, h.tz))
    saturday = next(e for e in eps if e.start.date() == h.at(sunday - 1, "12:00").date())
    assert minutes(saturday.end, h.at(sunday, "08:30")) < 2, saturday


def test_blips_that_add_up_over_an_evening_are_someone_up_not_a_pet() -> None:
    """The cat roams the living room at night (learned earlier: 0.3 blips an hour). A stop in
    the bedroom at 18:10 (changing after work), then the living room's sensor trips briefly
    twice every 40 min all evening, with half-hour lulls: each blip alone could be the cat,
    but thirteen in four hours are far more than it makes: someone is on the sofa. Bed is at
    23:00. (The day is silent, out with no entrance sensor: those hours of quiet are no night,
    so the bedroom visit at 18:10 is not a toilet trip out of them.)"""
    h = Home()
    for day in range(4):
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "07:10"), 120)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "18:10"), 90)
        for k in range(13):  # pairs of blips 8 min apart, half an hour of quiet between pairs
            offset = timedelta(minutes=40 * (k // 2) + 8 * (k % 2))
            h.blip("binary_sensor.sofa", "Living Room", "motion", h.at(day, "18:45") + offset, 60)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "22:52"), 120)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "23:00"), 60)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "30:50"), 60)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "30:53"), 240)
    h.blip("binary_sensor.k", "Kitchen", "motion", h.at(4, "07:10"), 120)
    cat = HomeHints(pets=frozenset({"Living Room"}), pet_rate=0.3)
    eps = _home_sleep(find_episodes(h.build(), h.tz, options=EpisodeOptions(hints=cat)))
    assert len(eps) == 4
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:01")) < 3, ep
        assert minutes(ep.end, h.at(day, "30:50")) < 2, ep


def test_a_shy_pets_rate_bounds_the_blips_of_an_evening() -> None:
    """The pet was seen at night about once in ten hours (0.1 blips an hour): a blip in the
    living room every half hour all evening after a stop in the bedroom, eight in four hours,
    is someone on the sofa, not the pet. At night the pet may blip three times its learned
    rate, at least once in two hours; one an hour whatever it did let these evenings pass."""
    h = Home()
    for day in range(4):
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "07:10"), 120)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "18:10"), 90)
        for k in range(8):
            at = h.at(day, "18:45") + timedelta(minutes=30 * k)
            h.blip("binary_sensor.sofa", "Living Room", "motion", at, 60)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "22:52"), 120)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "23:00"), 60)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "30:50"), 60)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "30:53"), 240)
    h.blip("binary_sensor.k", "Kitchen", "motion", h.at(4, "07:10"), 120)
    shy = HomeHints(pets=frozenset({"Living Room"}), pet_rate=0.1)
    eps = _home_sleep(find_episodes(h.build(), h.tz, options=EpisodeOptions(hints=shy)))
    assert len(eps) == 4
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:01")) < 3, ep
        assert minutes(ep.end, h.at(day, "30:50")) < 2, ep


def test_a_lone_false_trigger_in_the_night_does_not_end_it() -> None:
    """Toilet trips through the bedroom at 22:25 and 01:35, and on most nights the living
    room's PIR trips once by itself (00:30) or the hall's (05:10), half an hour of quiet
    either side: nobody got up there (the bedroom saw no one leave), the night goes on. Where
    the living room trips four times in two hours, someone is up after all."""
    h = Home()
    for day in range(14):
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "07:10"), 120)
        h.blip("binary_sensor.lr", "Living Room", "motion", h.at(day, "19:30"), 120)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "21:05"), 120)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "21:10"), 60)
        for trip in ("22:25", "25:35"):
            at = h.at(day, trip)
            h.blip("binary_sensor.bed_m", "Bedroom", "motion", at, 40)
            h.blip("binary_sensor.bath", "Bathroom", "motion", at + timedelta(seconds=40), 150)
            h.blip("binary_sensor.bed_m", "Bedroom", "motion", at + timedelta(minutes=5), 40)
        if day % 3 == 0:
            h.blip("binary_sensor.lr", "Living Room", "motion", h.at(day, "24:30"), 30)
        elif day % 3 == 1:
            h.blip("binary_sensor.hall", "Hallway", "motion", h.at(day, "29:10"), 30)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "30:40"), 60)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "30:43"), 240)
    h.blip("binary_sensor.k", "Kitchen", "motion", h.at(14, "07:10"), 120)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 14
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "21:11")) < 3, ep
        assert minutes(ep.end, h.at(day, "30:40")) < 2, ep

    up = Home()
    for day in range(14):
        up.blip("binary_sensor.k", "Kitchen", "motion", up.at(day, "07:10"), 120)
        up.blip("binary_sensor.bath", "Bathroom", "motion", up.at(day, "21:05"), 120)
        up.blip("binary_sensor.bed_m", "Bedroom", "motion", up.at(day, "21:10"), 60)
        if day == 6:
            for hhmm in ("24:30", "25:05", "25:40", "26:15"):
                up.blip("binary_sensor.lr", "Living Room", "motion", up.at(day, hhmm), 30)
        up.blip("binary_sensor.bed_m", "Bedroom", "motion", up.at(day, "30:40"), 60)
        up.blip("binary_sensor.bath", "Bathroom", "motion", up.at(day, "30:43"), 240)
    up.blip("binary_sensor.k", "Kitchen", "motion", up.at(14, "07:10"), 120)
    whole = (up.at(6, "21:30").timestamp(), up.at(6, "30:30").timestamp())
    for ep in _home_sleep(find_episodes(up.build(), up.tz)):
        assert not ep.start.timestamp() <= whole[0] < whole[1] <= ep.end.timestamp(), ep


def test_blips_crowded_into_one_hour_are_someone_up_however_long_the_quiet_before() -> None:
    """A cat roams kitchen, hall and study (learned: one blip an hour). After a bathroom stop
    at 17:30 the home is silent for four hours (reading, no sensor sees it), then seven blips
    in half an hour between kitchen, hall and study: over the whole evening so far that many
    could be the cat, but not in one hour. Someone is up; bed is at 22:55."""
    h = Home()
    rooms = (
        ("binary_sensor.k", "Kitchen"),
        ("binary_sensor.h", "Hall"),
        ("binary_sensor.s", "Study"),
    )
    for day in range(4):
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "07:10"), 120)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "17:30"), 120)
        for k in range(7):
            entity, area = rooms[k % 3]
            h.blip(entity, area, "motion", h.at(day, "21:40") + timedelta(minutes=5 * k), 60)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "22:50"), 120)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "22:55"), 60)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "30:50"), 60)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "30:53"), 240)
    h.blip("binary_sensor.k", "Kitchen", "motion", h.at(4, "07:10"), 120)
    cat = HomeHints(pets=frozenset({"Kitchen", "Hall", "Study"}), pet_rate=1.0)
    eps = _home_sleep(find_episodes(h.build(), h.tz, options=EpisodeOptions(hints=cat)))
    assert len(eps) == 4
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "22:56")) < 3, ep
        assert minutes(ep.end, h.at(day, "30:50")) < 2, ep


def test_a_bed_sensor_back_from_unavailable_in_the_night_did_not_see_the_bedtime() -> None:
    """The mat's battery was replaced in the afternoon of day 2 but its link only came back at
    01:10 that night (its first state says it was unavailable): the night's bedtime is the
    home's (the bedroom at 23:00, then silence), and the mat gives the rest of the night. On
    day 3 the mat came back at 21:30 while the sleeper was still up: it saw them go to bed."""
    h = Home()
    for day in range(5):
        _daytime(h, day, bathroom="Bathroom", kitchen="Kitchen")
        h.blip("binary_sensor.room", "Bedroom", "motion", h.at(day, "22:55"), 60)
        bed_from = h.at(day, "23:00")
        if day == 2:
            h.add(h.at(day, "25:10"), BED, "off", area="Bedroom", device_class="occupancy",
                  old_state="unavailable")
            bed_from = h.at(day, "25:11")
        if day == 3:
            h.add(h.at(day, "21:30"), BED, "off", area="Bedroom", device_class="occupancy",
                  old_state="unavailable")
        h.hold(BED, "Bedroom", "occupancy", bed_from, h.at(day, "31:00"))
        h.blip("binary_sensor.room", "Bedroom", "motion", h.at(day, "31:01"), 60)
    _daytime(h, 5, bathroom="Bathroom", kitchen="Kitchen")
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 5
    for day, ep in enumerate(eps):
        # Day 2's bedtime is the silence after the bedroom at 22:56, four minutes early.
        assert minutes(ep.start, h.at(day, "23:00")) < (5 if day == 2 else 2), (day, ep)
        assert minutes(ep.end, h.at(day, "31:00")) < 2, (day, ep)
    assert eps[2].detail["bed_came_back"] is True
    assert eps[3].detail["method"] == "bed"


@pytest.mark.parametrize("offline", [True, False])
def test_the_homes_night_is_the_sleepers_while_their_beds_are_offline(offline: bool) -> None:
    """Ana's mat (hers in the registry) and a second mat on the same bed hold her nights. On
    nights 3 and 4 both are offline (their first state on day 5 says they were unavailable):
    the home's night, found from silence, is hers too. Mats that were online and saw nothing
    (she slept elsewhere; someone else's night) give her no night."""
    h = Home()
    for day in range(7):
        _daytime(h, day, bathroom="Bathroom", kitchen="Kitchen")
        h.blip("binary_sensor.room", "Bedroom", "motion", h.at(day, "22:55"), 60)
        if day not in (3, 4):
            for mat, who in (("binary_sensor.m1", "person.ana"), ("binary_sensor.m2", None)):
                h.hold(mat, "Bedroom", "occupancy", h.at(day, "23:00"), h.at(day, "31:00"),
                       actor=who, actor_kind="device" if who else None)
        h.blip("binary_sensor.room", "Bedroom", "motion", h.at(day, "31:01"), 60)
    if offline:
        for mat, who in (("binary_sensor.m1", "person.ana"), ("binary_sensor.m2", None)):
            h.add(h.at(5, "20:00"), mat, "off", area="Bedroom", device_class="occupancy",
                  old_state="unavailable", actor=who, actor_kind="device" if who else None)
    _daytime(h, 7, bathroom="Bathroom", kitchen="Kitchen")
    eps = find_episodes(h.build(), h.tz)
    assert len(_home_sleep(eps)) == 7
    hers = [e for e in eps if e.kind == "sleep" and e.actor == "person.ana"]
    assert all(e.detail["scope"] == "person" for e in hers)
    filled = [e for e in hers if e.detail.get("beds_offline")]
    assert len(hers) == (7 if offline else 5)
    nights = (3, 4) if offline else ()
    assert [e.detail["night"] for e in filled] == [
        (h.start + timedelta(days=d)).isoformat() for d in nights
    ]
    for day, ep in zip(nights, filled, strict=True):
        assert minutes(ep.start, h.at(day, "22:56")) < 2, ep
        assert minutes(ep.end, h.at(day, "31:01")) < 2, ep


def test_back_in_bed_after_a_dawn_trip_a_still_sleeper_sleeps_on() -> None:
    """A mat that reports movement (short pulses): on the last morning a toilet trip at 06:28,
    then back in bed, lying still (five turns in an hour and a half) until the kitchen at 08:25.
    The night does not end at the trip: back within an interruption, the rest of the night is
    judged with it, not on its own few onsets."""
    h = Home()
    days = 6
    for day in range(days):
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "12:00"), 120)
        h.blip("binary_sensor.room", "Bedroom", "motion", h.at(day, "22:55"), 60)
        t = h.at(day, "23:00")
        end = h.at(day, "30:25") if day == days - 1 else h.at(day, "30:55")
        while t < end:
            h.blip(BED, "Bedroom", "occupancy", t, 2)
            t += timedelta(minutes=4)
        if day < days - 1:
            h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "31:05"), 120)
    last_day = days - 1
    h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(last_day, "30:29"), 120)
    for when in ("30:40", "31:00", "31:25", "31:50", "32:15"):
        h.blip(BED, "Bedroom", "occupancy", h.at(last_day, when), 2)
    h.blip("binary_sensor.k", "Kitchen", "motion", h.at(last_day, "32:25"), 120)
    h.blip("binary_sensor.k", "Kitchen", "motion", h.at(days, "12:00"), 120)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == days
    for day, ep in enumerate(eps):
        assert ep.detail["method"] == "bed", ep
        assert minutes(ep.start, h.at(day, "23:00")) < 2, ep
        wake = "32:25" if day == last_day else "31:05"
        assert minutes(ep.end, h.at(day, wake)) < 2, (day, ep)


@pytest.mark.parametrize("dark", [True, False])
def test_a_movement_mat_going_offline_in_the_night_did_not_see_the_getting_up(
    dark: bool
) -> None:
    """A mat that reports movement, every night 23:00-06:55, up to the kitchen at 07:05. On
    the fifth night its battery dies at 02:33 (its next state, two days later, says it was
    unavailable): its last pulse is not getting up, the night ends at the kitchen at 07:05,
    its end seen by the home. A mat that stays online and quiet from 02:33 (sleeping on
    elsewhere, a movement mat's still sleeper beyond its limit) keeps its own end."""
    h = Home()
    days = 7
    for day in range(days):
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "12:00"), 120)
        h.blip("binary_sensor.room", "Bedroom", "motion", h.at(day, "22:55"), 60)
        t = h.at(day, "23:00")
        end = h.at(day, "26:33") if day == 4 else h.at(day, "30:55")
        if day == 5 and dark:
            t = end  # still offline
        while t < end:
            h.blip(BED, "Bedroom", "occupancy", t, 2)
            t += timedelta(minutes=4)
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "31:05"), 120)
    if dark:
        h.add(h.at(6, "20:00"), BED, "off", area="Bedroom", device_class="occupancy",
              old_state="unavailable")
    h.blip("binary_sensor.k", "Kitchen", "motion", h.at(days, "12:00"), 120)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    (fifth,) = [e for e in eps if minutes(e.start, h.at(4, "23:00")) < 2]
    if dark:
        assert minutes(fifth.end, h.at(4, "31:05")) < 2, fifth
        assert fifth.detail["method"] == "quiet"
        assert fifth.detail["bed_went_dark"] is True
    else:
        assert minutes(fifth.end, h.at(4, "26:33")) < 2, fifth
        assert fifth.detail["method"] == "bed"


def test_a_bedroom_radar_is_not_in_bed_for_a_visit_or_for_dressing() -> None:
    """A presence radar sees the whole bedroom: on for five minutes at 22:20 (fetching a
    jumper) before half an hour on the sofa, all night from 23:00 with a toilet trip, and for
    twenty minutes of dressing after breakfast. The night is 23:00 to 06:40."""
    h = Home()
    radar = "binary_sensor.dormitorio_presence"
    for day in range(3):
        _daytime(h, day)
        h.hold(radar, "Dormitorio", "presence", h.at(day, "22:20"), h.at(day, "22:25"))
        h.hold("binary_sensor.sofa", "Salón", "presence", h.at(day, "22:26"), h.at(day, "22:55"))
        h.hold(radar, "Dormitorio", "presence", h.at(day, "23:00"), h.at(day, "27:00"))
        h.blip("binary_sensor.bath", "Baño", "motion", h.at(day, "27:01"), 180)
        h.hold(radar, "Dormitorio", "presence", h.at(day, "27:05"), h.at(day, "30:40"))
        h.blip("binary_sensor.k", "Cocina", "motion", h.at(day, "30:42"), 60)
        h.add(h.at(day, "30:43"), "light.cocina", "on", area="Cocina", old_state="off")
        h.blip("binary_sensor.k", "Cocina", "motion", h.at(day, "30:55"), 60)
        h.add(h.at(day, "30:58"), "light.cocina", "off", area="Cocina", old_state="on")
        h.hold(radar, "Dormitorio", "presence", h.at(day, "31:00"), h.at(day, "31:20"))
    _daytime(h, 3)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 3
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:00")) < 1, ep
        assert minutes(ep.end, h.at(day, "30:40")) < 1, ep
        assert ep.detail["interruptions"] == 1


def test_a_night_owls_silent_evening_is_not_taken_for_the_night() -> None:
    """No sensor where the evening is spent (television from the kitchen at 19:30 on), the
    bathroom visited at 23:50, 01:15 and 02:05, then nothing until the morning at 10:30:
    quiet from 19:30 to 10:30 is longer than any night. The ten hours after the last visit
    are a night by themselves, so the quiet before the first visit was the evening: the night
    ends in the morning, not at the last visit (which would leave the real night unfound)."""
    h = Home()
    for day in range(6):
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "10:30"), 240)
        h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "10:45"), 12)
        h.blip("binary_sensor.front", "Hall", "door", h.at(day, "13:00"), 8)
        h.blip("binary_sensor.front", "Hall", "door", h.at(day, "13:40"), 8)
        h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "15:00"), 12)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "17:10"), 120)
        h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "19:30"), 12)
        for when in ("23:50", "25:15", "26:05"):
            h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, when), 150)
    h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(6, "10:30"), 240)
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(6, "10:45"), 12)
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(6, "15:00"), 12)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 6
    for day, ep in enumerate(eps):
        assert minutes(ep.end, h.at(day + 1, "10:30")) < 2, (day, ep)
        assert ep.start >= h.at(day, "23:50"), (day, ep)


def _visits_evening(h: Home, day: int, *, evening: bool) -> None:
    """Contacts only. Out by day; back at 17:30. On ``evening`` days the bedroom door at 20:50,
    then the bathroom every half hour until bed at the bedroom door at 23:35; on the others
    bed at 23:00 and one more toilet visit at 23:40."""
    h.blip("binary_sensor.bed_door", "Bedroom", "door", h.at(day, "07:00"), 8)
    h.blip("binary_sensor.bath_door", "Bathroom", "door", h.at(day, "07:05"), 8)
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "07:20"), 12)
    h.blip("binary_sensor.front", "Hall", "door", h.at(day, "08:00"), 20)
    h.blip("binary_sensor.front", "Hall", "door", h.at(day, "17:30"), 20)
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "18:10"), 12)
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "20:40"), 12)
    if evening:
        h.blip("binary_sensor.bed_door", "Bedroom", "door", h.at(day, "20:50"), 8)
        for when in ("21:25", "22:00", "22:35", "23:05"):
            h.blip("binary_sensor.bath_door", "Bathroom", "door", h.at(day, when), 8)
        h.blip("binary_sensor.bed_door", "Bedroom", "door", h.at(day, "23:35"), 8)
    else:
        h.blip("binary_sensor.bath_door", "Bathroom", "door", h.at(day, "22:50"), 8)
        h.blip("binary_sensor.bed_door", "Bedroom", "door", h.at(day, "23:00"), 8)
        h.blip("binary_sensor.bath_door", "Bathroom", "door", h.at(day, "23:40"), 8)
        h.blip("binary_sensor.bed_door", "Bedroom", "door", h.at(day, "23:45"), 8)


def test_an_evening_of_bathroom_visits_is_not_the_night_one_late_visit_is() -> None:
    """Going into the bedroom at 20:50 and then to the bathroom every half hour is the evening
    going on (in a room with no sensor): the night starts at the bedroom door at 23:35. A
    single toilet visit 40 min after going to bed is the night's, not the evening's."""
    h = Home()
    evenings = {1, 3, 5}
    for day in range(8):
        _visits_evening(h, day, evening=day in evenings)
    h.blip("binary_sensor.bed_door", "Bedroom", "door", h.at(8, "07:00"), 8)
    h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(8, "07:20"), 12)
    h.blip("binary_sensor.front", "Hall", "door", h.at(8, "08:00"), 20)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 8
    for day, ep in enumerate(eps):
        bed = "23:35" if day in evenings else "23:00"
        assert minutes(ep.start, h.at(day, bed)) < 2, (day, ep)
        assert minutes(ep.end, h.at(day + 1, "07:00")) < 2, (day, ep)


def _light(h: Home, entity_id: str, area: str, on: datetime, off: datetime) -> None:
    h.add(on, entity_id, "on", area=area, old_state="off")
    h.add(off, entity_id, "off", area=area, old_state="on")


def test_a_night_shift_day_sleep_ends_at_the_bathroom_not_in_a_silent_afternoon() -> None:
    """Only the front door and the lights: home from the night shift at 07:30, the bathroom
    and bedroom lights, asleep 07:52-15:25, the bathroom light, then nothing until the living
    room light at 18:35 (up and silent in a room with no sensor). The day sleep ends at the
    bathroom, where the bedroom side frames it, not at the living room three hours later
    (which, framed by no bedroom or bathroom, left the day sleep unfound)."""
    h = Home()
    for day in range(6):
        h.blip("binary_sensor.door", "Hallway", "door", h.at(day, "07:30"), 30)
        _light(h, "light.bath", "Bathroom", h.at(day, "07:44"), h.at(day, "07:47"))
        _light(h, "light.bed", "Bedroom", h.at(day, "07:48"), h.at(day, "07:52"))
        _light(h, "light.bath", "Bathroom", h.at(day, "15:25"), h.at(day, "15:29"))
        _light(h, "light.living", "Living room", h.at(day, "18:35"), h.at(day, "21:20"))
        h.blip("binary_sensor.door", "Hallway", "door", h.at(day, "21:30"), 30)
    h.blip("binary_sensor.door", "Hallway", "door", h.at(6, "07:30"), 30)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 6
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "07:52")) < 2, ep
        assert minutes(ep.end, h.at(day, "15:25")) < 2, ep


def _turning(h: Home, day: int, *hhmm: str, hold_s: float = 90) -> None:
    for t in hhmm:
        h.blip("binary_sensor.room", "Bedroom", "motion", h.at(day, t), hold_s)


def test_a_sleeper_turning_over_in_view_of_the_bedroom_sensor_sleeps_on() -> None:
    """No bed sensor; the bedroom's PIR sees the bed and trips whenever the sleeper turns over,
    a couple of times an hour, often less than a silence apart. The night runs from the last
    activity before bed to getting up (the last of the turning, then the bathroom), across a
    toilet trip and the turning after it."""
    h = Home()
    for day in range(6):
        _daytime(h, day)
        _turning(h, day, "23:30")  # going to bed
        _turning(h, day, "23:41", "23:58", "24:06", "24:40", "24:47", "25:20", "25:52")
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "26:30"), 180)
        _turning(h, day, "26:36", "26:44", "26:51", "27:30", "28:02", "28:09", "28:50")
        _turning(h, day, "29:31", "30:05", "30:14", "30:40", "30:52", "31:01")
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "31:04"), 240)  # up
        h.blip("binary_sensor.b", "Cocina", "door", h.at(day, "31:20"))
        h.blip("binary_sensor.c", "Salón", "motion", h.at(day, "31:35"), 120)
    _daytime(h, 6)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 6
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:31")) < 2
        assert minutes(ep.end, h.at(day, "31:01")) < 2


def test_turning_over_before_anyone_went_to_bed_is_someone_up() -> None:
    """Brief motion of a bedroom sensor that sees the bed only counts as a sleeper once someone
    was seen going to bed: a silent evening broken by a visit to the bedroom is still the
    evening, and the night starts after the bathroom, in the bedroom."""
    h = Home()
    for day in range(6):
        _daytime(h, day)
        h.blip("binary_sensor.c", "Salón", "motion", h.at(day, "19:30"), 120)
        _turning(h, day, "20:40")  # fetching a jumper, then back to a silent sofa
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "23:20"), 120)
        _turning(h, day, "23:25", "24:20", "25:05", "25:50", "26:40", "27:30", "28:15", "29:10")
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "31:00"), 180)
    _daytime(h, 6)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 6
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "23:26")) < 3


def _restless_week(h: Home, *, sees_bed: bool) -> None:
    for day in range(7):
        _daytime(h, day)
        _turning(h, day, "23:30")
        if sees_bed:
            _turning(h, day, "24:20", "25:05", "25:50", "26:40", "27:30", "28:15", "29:10")
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "31:04"), 240)
    _daytime(h, 7)


def test_a_bedroom_sensor_that_trips_all_night_is_learned_to_see_the_bed() -> None:
    """Which bedroom sensor sees the sleeper is learned from the core of the nights, kept with
    the hints for short windows, and a bedroom sensor that only sees the door is not one."""
    for sees_bed in (True, False):
        h = Home()
        _restless_week(h, sees_bed=sees_bed)
        learned: list[HomeHints] = []
        find_episodes(h.build(), h.tz, learned=learned)
        want = frozenset({"binary_sensor.room"}) if sees_bed else frozenset()
        assert learned[0].watching == want
        assert HomeHints.from_state(learned[0].to_state()).watching == want


TV = "media_player.tele"


def _tv_evenings(h: Home, *, left_on: frozenset[int], still_until: str | None = None) -> None:
    """A week of evenings in front of the TV (switched on with its own remote, no context),
    motion sensors in the kitchen and living room, bed at 22:50 through the bathroom, up at
    07:00. On the ``left_on`` nights the TV plays on after bedtime and switches itself off four
    hours after the remote was last touched (02:45). ``still_until``: on night 0 the viewer sits
    still in front of it until then, switches it off with the remote and walks to bed."""
    for day in range(7):
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "07:00"), 90)
        h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "07:40"), 90)
        _evening(h, day, until="22:40")
        h.add(h.at(day, "20:30"), TV, "playing", area="Living Room", old_state="off")
        bed = still_until if day == 0 and still_until else "22:50"
        off = "26:45" if day in left_on else bed
        h.add(h.at(day, off), TV, "off", area="Living Room", old_state="playing")
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, bed, 30), 120)
        h.blip("binary_sensor.bed", "Bedroom", "motion", h.at(day, bed) + timedelta(minutes=3), 60)


def test_a_tv_left_on_for_the_night_is_nobody_watching() -> None:
    """Left on at bedtime, the TV switches itself off at 02:45 with nobody around: the night
    starts when its viewer went to bed, not when it went off, nor at a toilet trip after
    midnight."""
    h = Home()
    _tv_evenings(h, left_on=frozenset({1, 3, 4}))
    h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(3, "24:40"), 120)
    h.blip("binary_sensor.bed", "Bedroom", "motion", h.at(3, "24:44"), 60)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 6
    for day, ep in enumerate(eps):
        assert minutes(ep.start, h.at(day, "22:54")) < 3, ep
        assert minutes(ep.end, h.at(day, "31:00")) < 2, ep


def test_a_tv_switched_off_by_its_still_viewer_is_someone_up() -> None:
    """Someone sitting still in front of the TV until 00:30 (no motion sensor sees them) who
    switches it off with the remote and walks to bed was up until then."""
    h = Home()
    _tv_evenings(h, left_on=frozenset({3}), still_until="24:30")
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert minutes(eps[0].start, h.at(0, "24:34")) < 3, eps[0]
    assert minutes(eps[3].start, h.at(3, "22:54")) < 3, eps[3]


def _sleepless_spell(h: Home, day: int, *, mat: bool) -> None:
    """Bed at 23:15 (a mat; a bedroom motion sensor at the bedside: 22:15); up at 02:10 for an
    hour (the bathroom, tea in the kitchen, the living room); back to bed at 03:20 through the
    bathroom, up for the day at 07:05."""
    if mat:
        h.hold(BED, "Dormitorio", "occupancy", h.at(day, "23:15"), h.at(day, "26:10"))
        h.hold(BED, "Dormitorio", "occupancy", h.at(day, "27:20"), h.at(day, "31:05"))
    else:
        for hhmm in ("22:12", "26:10", "27:19", "31:05"):
            h.blip("binary_sensor.bed_pir", "Dormitorio", "motion", h.at(day, hhmm), 60)
    h.blip("binary_sensor.a", "Baño", "motion", h.at(day, "26:12"), 120)
    for hhmm in ("26:20", "26:35", "26:50", "27:05"):
        h.blip("binary_sensor.k", "Cocina", "motion", h.at(day, hhmm), 90)
        h.blip("binary_sensor.c", "Salón", "motion", h.at(day, hhmm) + timedelta(minutes=6), 90)
    h.blip("binary_sensor.a", "Baño", "motion", h.at(day, "27:15"), 120)


@pytest.mark.parametrize("mat", [True])
def test_back_to_bed_after_a_sleepless_spell_is_the_rest_of_the_night(mat: bool) -> None:
    """An hour up in the small hours splits the night in two sleeps, the second however short;
    the usual wake-up is still 07:05 (getting up for the day), not 02:10. (Without a bed
    sensor the quiet before the spell here reads as a silent evening, README Limits.)"""
    h = Home()
    for day in range(8):
        _daytime(h, day)
        h.blip("binary_sensor.k", "Cocina", "motion", h.at(day + 1, "07:10"), 90)
        if day == 6:
            _sleepless_spell(h, day, mat=mat)
        elif mat:
            h.hold(BED, "Dormitorio", "occupancy", h.at(day, "23:15"), h.at(day, "31:05"))
        else:
            h.blip("binary_sensor.bed_pir", "Dormitorio", "motion", h.at(day, "22:12"), 60)
            h.blip("binary_sensor.bed_pir", "Dormitorio", "motion", h.at(day, "31:05"), 60)
    _daytime(h, 8)
    evs = h.build()
    eps = _home_sleep(find_episodes(evs, h.tz))
    spell = [e for e in eps if h.at(6, "20:00") < e.start < h.at(7, "08:00")]
    assert len(spell) == 2, spell
    first, rest = spell
    assert minutes(first.end, h.at(6, "26:10")) < 3, first
    assert minutes(rest.start, h.at(6, "27:20")) < 3, rest
    assert minutes(rest.end, h.at(6, "31:05")) < 3, rest
    assert rest.detail["back_to_bed"] is True
    wake = [r for r in mine_routines(evs, eps, h.tz) if r.kind == "wake_up"]
    assert [r.time for r in wake] == ["07:05"]


@pytest.mark.parametrize(("kitchen", "split"), [(True, True), (False, False)])
def test_a_quiet_sleepless_spell_joined_across_its_trips_splits_the_night(
    kitchen: bool, split: bool
) -> None:
    """No bed sensor. At 02:04 out of the bedroom, the bathroom, the kitchen 20 min later, the
    bathroom again, back in the bedroom at 02:42: each trip alone joins the night, but 38 min
    out of the bedroom with the kitchen in between were a sleepless spell. The same trips
    without the kitchen (a long time in the bathroom) stay one night."""
    h = Home()
    for day in range(8):
        _evening(h, day, until="21:00")
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "21:10"), 60)
        if day == 6:
            h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "26:04"), 60)
            h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "26:07"), 120)
            if kitchen:
                h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, "26:24"), 60)
            h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "26:38"), 120)
            h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "26:42"), 60)
        h.blip("binary_sensor.bed_m", "Bedroom", "motion", h.at(day, "30:50"), 60)
        h.blip("binary_sensor.b", "Bathroom", "motion", h.at(day, "30:53"), 300)
        for when in ("31:00", "31:12", "31:25", "31:40", "32:00"):
            h.blip("binary_sensor.k", "Kitchen", "motion", h.at(day, when), 120)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    night = [e for e in eps if h.at(6, "20:00") < e.end < h.at(7, "08:00")]
    if not split:
        (one,) = night
        assert minutes(one.end, h.at(6, "30:50")) < 2, one
        return
    first, rest = night
    assert minutes(first.start, h.at(6, "21:11")) < 2, first
    assert minutes(first.end, h.at(6, "26:04")) < 2, first
    assert minutes(rest.start, h.at(6, "26:43")) < 2, rest
    assert minutes(rest.end, h.at(6, "30:50")) < 2, rest
    assert rest.detail["back_to_bed"] is True


def test_only_quiet_well_before_the_usual_wake_up_may_be_back_in_bed() -> None:
    from galatea_engine.mining.areas import AreaRoles
    from galatea_engine.mining.nights import SleepOptions
    from galatea_engine.mining.presence import Block, Signal
    from galatea_engine.mining.quiet_nights import _back_in_bed

    h = Home()
    roles = AreaRoles({"Dormitorio", "Cocina"})
    opts = SleepOptions()

    def seen(area: str) -> Block:
        sig = Signal(0.0, 0.0, "binary_sensor.x", area, "hold", "motion", None, True)
        return Block(0.0, 0.0, sig, sig, [sig])

    def rest(a: str, b: str, area: str = "Dormitorio") -> bool:
        start, end = h.at(0, a).timestamp(), h.at(0, b).timestamp()
        return _back_in_bed(start, end, seen(area), h.tz, opts, roles, 7 * 60 + 5)

    assert rest("27:20", "31:05")  # back in bed at 03:20, up at 07:05
    assert not rest("27:20", "31:05", "Cocina")  # last seen in the kitchen: not to bed
    assert not rest("30:10", "31:05")  # quiet from 06:10: the morning
    assert not rest("27:20", "34:05")  # up at 10:05: no night's rest of the usual one
    assert not rest("27:20", "28:00")  # 40 min: too short


def test_a_long_spell_in_the_bathroom_is_no_sleepless_spell_the_night_goes_on() -> None:
    """Out of bed for 70 minutes at 04:00 with only the bathroom to show for it, then back to
    bed until 07:05: one night, not a night that ended at 04:00."""
    h = Home()
    for day in range(4):
        _daytime(h, day)
        if day == 2:
            h.hold(BED, "Dormitorio", "occupancy", h.at(day, "23:15"), h.at(day, "28:00"))
            for hhmm in ("28:02", "28:30", "29:00"):
                h.blip("binary_sensor.a", "Baño", "motion", h.at(day, hhmm), 120)
            h.hold(BED, "Dormitorio", "occupancy", h.at(day, "29:10"), h.at(day, "31:05"))
        else:
            h.hold(BED, "Dormitorio", "occupancy", h.at(day, "23:15"), h.at(day, "31:05"))
    _daytime(h, 4)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    night = [e for e in eps if h.at(2, "20:00") < e.start < h.at(3, "08:00")]
    assert len(night) == 1, night
    assert minutes(night[0].start, h.at(2, "23:15")) < 2
    assert minutes(night[0].end, h.at(2, "31:05")) < 2


def _evenings_on_the_couch(
    h: Home, days: int, couch: dict[int, tuple[str | None, str, str | None]]
) -> None:
    """Bed at 23:00 through the bathroom and the bedroom; mornings start in the bathroom at
    07:00. On a ``couch`` day the evening is spent dozing where no sensor sees (the kitchen
    last at 20:30); then (kitchen, bathroom, bedroom) at the times given, and bed until
    07:00."""
    for day in range(days + 1):
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "07:00"), 180)
        h.blip("binary_sensor.bed_pir", "Bedroom", "motion", h.at(day, "07:10"), 120)
        h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "07:30"), 12)
        h.blip("binary_sensor.front", "Hall", "door", h.at(day, "08:00"), 10)
        h.blip("binary_sensor.front", "Hall", "door", h.at(day, "17:00"), 10)
        h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "18:30"), 12)
        if day == days:
            break
        if day in couch:
            kitchen, bathroom, bedroom = couch[day]
            h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "20:30"), 12)
            if kitchen is not None:
                h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, kitchen), 12)
            h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, bathroom), 150)
            if bedroom is not None:
                h.blip("binary_sensor.bed_pir", "Bedroom", "motion", h.at(day, bedroom), 60)
        else:
            h.blip("binary_sensor.fridge", "Kitchen", "door", h.at(day, "22:30"), 12)
            h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "22:55"), 150)
            h.blip("binary_sensor.bed_pir", "Bedroom", "motion", h.at(day, "23:00"), 60)


def test_dozing_on_the_couch_until_the_small_hours_is_the_evening_not_the_night() -> None:
    """Hours of quiet entered from the kitchen, then up (a drink in the kitchen, the bathroom;
    or the bathroom and the bedroom) and a whole night's quiet: the night starts after that
    (02:53; 03:05), not at 20:30 on the couch, and it ends at 07:00. Without a bed sensor
    silence alone cannot tell dozing from sleep; where the night was entered from tells."""
    h = Home()
    couch = {3: ("26:45", "26:50", None), 5: (None, "27:00", "27:04")}
    _evenings_on_the_couch(h, 8, couch)
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 8, eps
    for day, ep in enumerate(eps):
        bed = {3: "26:53", 5: "27:05"}.get(day, "23:01")
        assert minutes(ep.start, h.at(day, bed)) < 3, (day, ep)
        assert minutes(ep.end, h.at(day + 1, "07:00")) < 2, (day, ep)


def test_a_toilet_trip_after_going_to_bed_unseen_does_not_split_the_night() -> None:
    """The same home, but quiet entered from the kitchen and then only the bathroom at 02:50:
    that is a toilet trip in the night (whoever went to bed passed no sensor), not dozing on
    the couch: one night from 20:30."""
    h = Home()
    _evenings_on_the_couch(h, 8, {3: (None, "26:50", None)})
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 8, eps
    assert minutes(eps[3].start, h.at(3, "20:30")) < 2, eps[3]
    assert minutes(eps[3].end, h.at(4, "07:00")) < 2, eps[3]



def test_back_to_the_living_room_after_the_bathroom_the_evening_went_on() -> None:
    """Motion sensors only; the mornings start in the bathroom, bedtime is the bathroom at
    22:45 and then nothing. Some evenings three quarters of an hour of sitting still follow it
    in the living room, which sees them get up at 23:30; the bathroom again and the bedroom at
    23:44 for the night: that is bedtime, and the quiet after the first visit the evening. A
    toilet trip that soon after going to bed starts in the bathroom and stays the night's."""
    h = Home()
    evenings, trip = {1, 3, 5}, 6

    def blip(day: int, entity: str, area: str, hhmm: str) -> None:
        h.blip(f"binary_sensor.{entity}", area, "motion", h.at(day, hhmm), 60)

    for day in range(9):
        blip(day, "bath", "Bathroom", "07:00")
        blip(day, "kitchen", "Kitchen", "07:20")
        for hhmm in ("18:00", "19:00", "20:00", "21:00", "21:40", "22:20"):
            blip(day, "living", "Living room", hhmm)
        if day == 8:
            break
        blip(day, "bath", "Bathroom", "22:45")
        if day in evenings:
            for hhmm in ("23:30", "23:33"):
                blip(day, "living", "Living room", hhmm)
        if day in evenings or day == trip:
            blip(day, "bath", "Bathroom", "23:40")
            blip(day, "bed", "Bedroom", "23:44")
    eps = _home_sleep(find_episodes(h.build(), h.tz))
    assert len(eps) == 8, eps
    for day, ep in enumerate(eps):
        bed = "23:45" if day in evenings else "22:46"
        assert minutes(ep.start, h.at(day, bed)) < 2, (day, ep)
        assert minutes(ep.end, h.at(day + 1, "07:00")) < 2, (day, ep)
