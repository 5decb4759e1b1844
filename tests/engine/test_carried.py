"""A phone's own sensors (screen, charger) go wherever the phone goes: they are the home's
evidence only while the phone is at home."""

from __future__ import annotations

import json
import random
from datetime import timedelta

from galatea_engine.mining.carried import at_home, away_spans, elsewhere
from galatea_engine.mining.episodes import EpisodeOptions, HomeHints, find_episodes
from galatea_engine.mining.presence import signals
from galatea_engine.models import Episode

from .home_builder import Home, minutes

PHONE = "Ana's Pixel"
TRACKER = "device_tracker.ana_pixel"
SCREEN = "binary_sensor.ana_pixel_interactive"
CHARGING = "binary_sensor.ana_pixel_is_charging"
DOOR = "binary_sensor.front_door"


def _home_away(eps: list[Episode]) -> list[Episode]:
    return [e for e in eps if e.kind == "away" and e.detail["scope"] == "home"]


def _working_week(h: Home, *, tracker: bool) -> None:
    """Seven days out 08:00-17:30 by the front door; the phone's screen comes on every 20-60 min
    all day (at work too) and it charges at the office for two hours from about 10:00."""
    rng = random.Random(7)
    if tracker:
        h.add(h.at(0, "06:00"), TRACKER, "home", device=PHONE)
    for day in range(7):
        h.blip("binary_sensor.kitchen_motion", "Kitchen", "motion", h.at(day, "07:30"), 60)
        h.blip("binary_sensor.hall_motion", "Hall", "motion", h.at(day, "07:58"), 30)
        h.blip(DOOR, "Hall", "door", h.at(day, "08:00"), 8)
        if tracker:
            h.add(h.at(day, "08:05"), TRACKER, "not_home", old_state="home", device=PHONE)
            h.add(h.at(day, "17:25"), TRACKER, "home", old_state="not_home", device=PHONE)
        h.blip(DOOR, "Hall", "door", h.at(day, "17:30"), 8)
        h.blip("binary_sensor.hall_motion", "Hall", "motion", h.at(day, "17:31"), 30)
        h.blip("binary_sensor.kitchen_motion", "Kitchen", "motion", h.at(day, "19:00"), 600)
        for k, room in enumerate(("Living room", "Bathroom", "Bedroom", "Office", "Dining")):
            entity = f"binary_sensor.{room.lower().replace(' ', '_')}_motion"
            h.blip(entity, room, "motion", h.at(day, f"{19 + k}:30"), 120)
            h.add(h.at(day, f"{19 + k}:31"), f"light.{entity[14:-7]}", "on", area=room,
                  old_state="off")
        t = h.at(day, "07:00")
        while t < h.at(day, "22:00"):
            h.blip(SCREEN, None, None, t, 90, device=PHONE)  # type: ignore[arg-type]
            t += timedelta(minutes=rng.uniform(20, 60))
        at_work = h.at(day, "10:00") + timedelta(minutes=rng.uniform(-30, 30))
        h.blip(CHARGING, None, "plug", at_work, 7200, device=PHONE)


def test_a_phone_charging_at_work_is_no_one_at_home() -> None:
    h = Home()
    _working_week(h, tracker=True)
    evs = h.build()
    spans = away_spans(evs)
    assert set(spans) == {SCREEN, CHARGING}  # the tracker itself is not a presence signal
    sigs = signals(evs, max_hold_s=18 * 3600)
    kept = {s.entity_id for s in at_home(sigs, spans) if h.at(0, "09:00").timestamp() < s.t
            < h.at(0, "17:00").timestamp()}
    assert not kept & {SCREEN, CHARGING}
    away = _home_away(find_episodes(evs, h.tz))
    assert len(away) == 7
    for day, ep in enumerate(away):
        assert minutes(ep.end, h.at(day, "17:25")) < 6, ep


def test_a_phone_at_home_is_still_someone_at_home() -> None:
    """The same phone, its tracker home all day: its screen every 20-60 min is someone in."""
    rng = random.Random(3)
    h = Home()
    h.add(h.at(0, "06:00"), TRACKER, "home", device=PHONE)
    for day in range(7):
        h.blip("binary_sensor.kitchen_motion", "Kitchen", "motion", h.at(day, "07:30"), 60)
        t = h.at(day, "07:00")
        while t < h.at(day, "22:00"):
            h.blip(SCREEN, None, None, t, 90, device=PHONE)  # type: ignore[arg-type]
            t += timedelta(minutes=rng.uniform(20, 60))
    evs = h.build()
    assert away_spans(evs) == {}
    assert not _home_away(find_episodes(evs, h.tz))


def test_a_phone_whose_location_is_not_shared_is_known_by_behaviour() -> None:
    """No tracker (the companion app's location disabled): the screen and the charger keep
    changing inside every door-framed silence of the home's own sensors, so they are not of
    the home; the absences are found as if the phone were not there."""
    h = Home()
    _working_week(h, tracker=False)
    evs = h.build()
    sigs = signals(evs, max_hold_s=18 * 3600)
    assert elsewhere(sigs) == {SCREEN, CHARGING}
    away = _home_away(find_episodes(evs, h.tz))
    assert len(away) >= 6
    for ep in away:
        day = (ep.start.date() - h.start).days
        assert minutes(ep.start, h.at(day, "08:00")) < 3, ep
        assert minutes(ep.end, h.at(day, "17:30")) < 3, ep


def test_an_unplaced_sensor_of_the_home_stays() -> None:
    """A coffee machine plug nobody put in an area: used in the evenings at home, never while
    the door-framed absences last. It is the home's."""
    h = Home()
    _working_week(h, tracker=False)
    for day in range(7):
        h.blip("switch.coffee", None, "outlet", h.at(day, "18:00"), 300)  # type: ignore[arg-type]
    sigs = signals(h.build(), max_hold_s=18 * 3600)
    gone = elsewhere(sigs)
    assert "switch.coffee" not in gone
    assert SCREEN in gone


def test_a_home_without_areas_is_not_judged() -> None:
    """Where most entities were never put in an area, the located rest is no picture of the
    home: nothing is called elsewhere."""
    h = Home()
    _working_week(h, tracker=False)
    for day in range(7):
        for k in range(8):
            h.blip(f"switch.plug_{k}", None, "outlet", h.at(day, f"{10 + k}:{7 * k:02d}"), 60)  # type: ignore[arg-type]
    assert elsewhere(signals(h.build(), max_hold_s=18 * 3600)) == frozenset()


def test_what_was_learned_is_kept_for_short_windows() -> None:
    """The phone's sensors found over a week are kept in the hints (and diagnostics); a
    one-day window, too short to judge them again, still leaves them out."""
    h = Home()
    _working_week(h, tracker=False)
    learned: list[HomeHints] = []
    find_episodes(h.build(), h.tz, learned=learned)
    assert learned[-1].elsewhere == {SCREEN, CHARGING}
    hints = HomeHints.from_state(json.loads(json.dumps(learned[-1].to_state())))
    assert hints.elsewhere == {SCREEN, CHARGING}
    day = [e for e in h.build() if e.ts.date() == h.at(2, "12:00").date()]
    assert not _home_away(find_episodes(day, h.tz))
    away = _home_away(find_episodes(day, h.tz, options=EpisodeOptions(hints=hints)))
    assert len(away) == 1

    tracked = Home()
    _working_week(tracked, tracker=True)
    learned = []
    find_episodes(tracked.build(), tracked.tz, learned=learned)
    assert learned[-1].carried == {SCREEN, CHARGING}
    assert HomeHints.from_state(learned[-1].to_state()).carried == {SCREEN, CHARGING}


def test_a_phone_charged_overnight_and_now_and_then_at_work_is_elsewhere() -> None:
    """No tracker. The phone charges by the bed on most nights and at the office on four of ten
    working days: under half of the door-framed absences see it, but a quarter of its changes
    fall in them, where nobody at home moved for hours. It is not of the home."""
    rng = random.Random(11)
    h = Home()
    days = [d for d in range(14) if d % 7 < 5]
    for day in range(14):
        at_work = day in days
        h.blip("binary_sensor.kitchen_motion", "Kitchen", "motion", h.at(day, "07:30"), 60)
        if at_work:
            h.blip("binary_sensor.hall_motion", "Hall", "motion", h.at(day, "07:58"), 30)
            h.blip(DOOR, "Hall", "door", h.at(day, "08:00"), 8)
            h.blip(DOOR, "Hall", "door", h.at(day, "17:30"), 8)
            h.blip("binary_sensor.hall_motion", "Hall", "motion", h.at(day, "17:31"), 30)
        else:
            for hour in range(9, 18):
                h.blip(
                    "binary_sensor.living_room_motion",
                    "Living room",
                    "motion",
                    h.at(day, f"{hour}:{rng.randint(0, 59):02d}"),
                    120,
                )
        h.blip("binary_sensor.kitchen_motion", "Kitchen", "motion", h.at(day, "19:00"), 600)
        h.blip("binary_sensor.bedroom_motion", "Bedroom", "motion", h.at(day, "22:35"), 120)
        if day % 7 != 3:
            h.hold(
                CHARGING,
                None,
                "plug",
                h.at(day, "22:38"),
                h.at(day, "30:50"),  # type: ignore[arg-type]
                device=PHONE,
            )
        if at_work and days.index(day) % 5 in (0, 2):
            h.blip(CHARGING, None, "plug", h.at(day, "10:00"), 5400, device=PHONE)  # type: ignore[arg-type]
    evs = h.build()
    assert elsewhere(signals(evs, max_hold_s=18 * 3600)) == {CHARGING}
    away = _home_away(find_episodes(evs, h.tz))
    assert len(away) == len(days)
    for ep in away:
        day = (ep.start.date() - h.start).days
        assert minutes(ep.start, h.at(day, "08:00")) < 3, ep


def _tracked_nights(h: Home, nights: int = 7) -> None:
    """A tracked phone at home all week, no bed sensor: evenings in the living room, to bed
    through the bathroom at about 22:40, up at about 06:45."""
    h.add(h.at(0, "06:00"), TRACKER, "home", device=PHONE)
    for day in range(nights):
        h.blip("binary_sensor.kitchen_motion", "Kitchen", "motion", h.at(day, "19:00"), 600)
        for k in range(6):
            h.blip(
                "binary_sensor.living_room_motion",
                "Living room",
                "motion",
                h.at(day, f"{20 + k // 2}:{(k % 2) * 30 + 5:02d}"),
                90,
            )
        h.blip("binary_sensor.bathroom_motion", "Bathroom", "motion", h.at(day, "22:35"), 120)
        h.blip("binary_sensor.bedroom_motion", "Bedroom", "motion", h.at(day, "22:39"), 90)
        h.add(h.at(day, "22:40"), "light.bedroom", "off", area="Bedroom", old_state="on")
        h.blip("binary_sensor.bedroom_motion", "Bedroom", "motion", h.at(day, "30:45"), 90)
        h.blip("binary_sensor.bathroom_motion", "Bathroom", "motion", h.at(day, "30:48"), 300)
        h.blip("binary_sensor.kitchen_motion", "Kitchen", "motion", h.at(day, "31:05"), 600)


def _nights(eps: list[Episode]) -> list[Episode]:
    return [e for e in eps if e.kind == "sleep" and e.detail["scope"] == "home"]


def test_a_glance_at_the_phone_in_the_night_does_not_end_it() -> None:
    """The screen lit for a minute at 05:00 on a weekend, or at 01:00 after the phone was
    plugged in by the bed, nothing else moving about the home: its owner checking the time in
    bed. The night goes on (its phone's tracker home all along)."""
    h = Home()
    _tracked_nights(h, 14)
    for day in range(14):
        if day % 7 in (5, 6):
            h.blip(SCREEN, None, None, h.at(day, "29:02"), 60, device=PHONE)  # type: ignore[arg-type]
        if day % 7 in (1, 3):
            h.blip(CHARGING, None, "plug", h.at(day, "22:45"), 8 * 3600, device=PHONE)  # type: ignore[arg-type]
            h.blip(SCREEN, None, None, h.at(day, "25:04"), 50, device=PHONE)  # type: ignore[arg-type]
    nights = _nights(find_episodes(h.build(), h.tz))
    assert len(nights) == 14
    for day, ep in enumerate(nights):
        assert minutes(ep.start, h.at(day, "22:41")) <= 5, ep
        assert minutes(ep.end, h.at(day, "30:45")) < 1, ep


def test_a_phone_put_down_after_the_bedroom_light_went_off() -> None:
    """The screen on from the bathroom and off a minute after the bedroom light, a toilet trip
    two hours later: the last thing before the night has no area, and she went to bed then."""
    h = Home()
    _tracked_nights(h, 14)
    for day in range(1, 14, 3):
        h.hold(SCREEN, None, None, h.at(day, "22:33"), h.at(day, "22:41", 30), device=PHONE)  # type: ignore[arg-type]
        h.blip("binary_sensor.bedroom_motion", "Bedroom", "motion", h.at(day, "24:26"), 100)
        h.blip("binary_sensor.bathroom_motion", "Bathroom", "motion", h.at(day, "24:27"), 100)
        h.blip("binary_sensor.bedroom_motion", "Bedroom", "motion", h.at(day, "24:31"), 90)
    nights = _nights(find_episodes(h.build(), h.tz))
    assert len(nights) == 14
    for day, ep in enumerate(nights):
        assert minutes(ep.start, h.at(day, "22:41")) < 2, ep
