"""Devices on their own clock (timers.py): told from people by their punctuality."""

from __future__ import annotations

import random
from datetime import timedelta

from galatea_engine.mining.episodes import HomeHints, find_episodes
from galatea_engine.mining.presence import signals
from galatea_engine.mining.timers import clockwork, off_the_clock

from .home_builder import Home, minutes


def _boiler_and_a_punctual_person(h: Home, days: int) -> None:
    rng = random.Random(7)
    for day in range(days):
        # The boiler's program: on at 05:30 and off at 08:30, to within seconds.
        h.add(h.at(day, "05:30", rng.randint(0, 20)), "switch.boiler", "on", area="Kitchen")
        h.add(h.at(day, "08:30", rng.randint(0, 20)), "switch.boiler", "off", area="Kitchen")
        # An alarm-clock riser: the kitchen light at 06:45 give or take a few minutes.
        on = h.at(day, "06:45") + timedelta(minutes=rng.gauss(0, 4))
        h.add(on, "light.kitchen", "on", area="Kitchen")
        h.add(on + timedelta(minutes=30), "light.kitchen", "off", area="Kitchen")


def test_a_device_that_keeps_the_minute_is_a_clock_and_a_person_is_not() -> None:
    h = Home()
    _boiler_and_a_punctual_person(h, 14)
    # Someone turning the boiler on by hand one evening.
    h.add(h.at(5, "21:13"), "switch.boiler", "on", area="Kitchen")
    sigs = signals(h.build(), max_hold_s=3600)
    timers = clockwork(sigs, h.tz)
    assert set(timers) == {"switch.boiler"}
    assert len(timers["switch.boiler"]) == 2  # 05:30 and 08:30
    kept = off_the_clock(sigs, timers, h.tz)
    boiler = [s for s in kept if s.entity_id == "switch.boiler"]
    assert len(boiler) == 1
    assert boiler[0].t == h.at(5, "21:13").timestamp()
    assert sum(s.entity_id == "light.kitchen" for s in kept) == 28


def test_a_boiler_on_a_timer_does_not_end_the_night() -> None:
    """No bed sensor: the night is the bedroom's silence, 23:00 to 07:00. The boiler's program
    switches it on at 05:30 every morning; it is the clock, not someone up."""
    h = Home()
    for day in range(10):
        h.add(h.at(day, "05:30", day), "switch.boiler", "on", area="Kitchen")
        h.add(h.at(day, "08:30", day), "switch.boiler", "off", area="Kitchen")
        h.blip("binary_sensor.bed_pir", "Bedroom", "motion", h.at(day, "07:00"), 60)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "07:03"), 300)
        h.blip("binary_sensor.kitchen", "Kitchen", "motion", h.at(day, "07:20"), 600)
        h.blip("binary_sensor.kitchen", "Kitchen", "motion", h.at(day, "19:00"), 600)
        h.blip("binary_sensor.sofa", "Living Room", "motion", h.at(day, "21:30"), 300)
        h.blip("binary_sensor.bath", "Bathroom", "motion", h.at(day, "22:50"), 300)
        h.blip("binary_sensor.bed_pir", "Bedroom", "motion", h.at(day, "23:00"), 60)
    h.blip("binary_sensor.bed_pir", "Bedroom", "motion", h.at(10, "07:00"), 60)
    h.blip("binary_sensor.kitchen", "Kitchen", "motion", h.at(10, "07:20"), 600)
    learned: list[HomeHints] = []
    eps = find_episodes(h.build(), h.tz, learned=learned)
    nights = [e for e in eps if e.kind == "sleep" and e.detail["scope"] == "home"]
    assert len(nights) == 10
    for day, ep in enumerate(nights):
        assert minutes(ep.end, h.at(day + 1, "07:00")) < 2, ep
    assert set(learned[-1].timers) == {"switch.boiler"}
    assert HomeHints.from_state(learned[-1].to_state()).timers == learned[-1].timers


def test_a_person_up_at_the_same_time_every_day_is_not_a_clock() -> None:
    """Three weeks of the kitchen light at 06:45 with a 4-minute spread, every day, in 20
    homes: none is taken for a timer."""
    for seed in range(20):
        rng = random.Random(seed)
        h = Home()
        for day in range(21):
            on = h.at(day, "06:45") + timedelta(minutes=rng.gauss(0, 4))
            h.add(on, "light.kitchen", "on", area="Kitchen")
            h.add(on + timedelta(minutes=30), "light.kitchen", "off", area="Kitchen")
        assert clockwork(signals(h.build(), max_hold_s=3600), h.tz) == {}, seed
