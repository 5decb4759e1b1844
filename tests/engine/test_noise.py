"""Sensors that trip by themselves (noise.py): learned from the home's quietest hours and its
empty home, and read as noise by silence-based sleep; no real data needed."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from galatea_engine.capture.ha_events import HAEventNormalizer, StaticRegistry
from galatea_engine.mining.circular import circular_mean, signed_diff
from galatea_engine.mining.days import days_set
from galatea_engine.mining.episodes import HomeHints, find_episodes, home_diagnostics
from galatea_engine.mining.noise import (
    NoiseOptions,
    at_least,
    burst_pulses,
    noise_burst,
    noisy_sensors,
    plausible_noise,
    stray_counts,
    strip_stray,
)
from galatea_engine.mining.presence import Block, blocks, signals
from galatea_engine.mining.routines import mine_routines
from galatea_engine.models import ActivityEvent

from tests.simulator.simulate import household_areas, household_truth, simulate_home

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _pulse(
    entity: str, t: datetime, dc: str = "motion", length_s: float = 90, area: str = "Zone"
) -> list[Any]:
    def ev(state: str, at: datetime) -> ActivityEvent:
        return ActivityEvent(
            ts=at,
            source="ha",
            kind="state_changed",
            entity_id=entity,
            area=area,
            state=state,
            device_class=dc,
        )

    return [ev("on", t), ev("off", t + timedelta(seconds=length_s))]


def _blocks(events: list[ActivityEvent]) -> list[Block]:
    return blocks(signals(sorted(events, key=lambda e: e.ts), max_hold_s=18 * 3600))


def _light(t: datetime) -> ActivityEvent:
    return ActivityEvent(
        ts=t, source="ha", kind="state_changed", entity_id="light.hall", area="Zone", state="on"
    )


NOISY = {f"binary_sensor.pir_{k}": 0.25 for k in range(6)}


def test_one_stray_pulse_is_noise_a_light_or_a_quiet_sensor_is_a_person() -> None:
    one = _blocks(_pulse("binary_sensor.pir_0", T0))
    assert noise_burst(one, NOISY)
    assert not noise_burst(one, {})  # a home that learned no noisy sensor
    assert not noise_burst(_blocks(_pulse("binary_sensor.quiet", T0)), NOISY)
    assert not noise_burst(_blocks([*_pulse("binary_sensor.pir_0", T0), _light(T0)]), NOISY)
    # Held on for ten minutes: someone moving about, not a pulse.
    assert not noise_burst(_blocks(_pulse("binary_sensor.pir_0", T0, length_s=600)), NOISY)


def test_three_pulses_in_minutes_are_someone_getting_up_not_noise() -> None:
    walk = [
        *_pulse("binary_sensor.pir_0", T0),
        *_pulse("binary_sensor.pir_1", T0 + timedelta(minutes=3)),
        *_pulse("binary_sensor.pir_2", T0 + timedelta(minutes=5)),
    ]
    assert not noise_burst(_blocks(walk), NOISY)
    # The same three pulses are noise in a home whose sensors trip by themselves far more often.
    assert noise_burst(_blocks(walk), dict.fromkeys(NOISY, 30.0))


def test_two_sensors_tripping_together_are_left_to_the_nights_total() -> None:
    """Two noisy sensors tripping within the same minute happens by chance over weeks of
    nights: such a burst is not judged on its own few minutes (where two pulses look unlikely)
    but by the run's total, as callers do with ``plausible_noise``. Three still are someone."""
    two = [
        *_pulse("binary_sensor.pir_0", T0),
        *_pulse("binary_sensor.pir_1", T0 + timedelta(seconds=20)),
    ]
    assert at_least(2, sum(NOISY.values()) * 7 / 60) < NoiseOptions().min_noise_p
    assert noise_burst(_blocks(two), NOISY)
    assert plausible_noise({"binary_sensor.pir_0": 1, "binary_sensor.pir_1": 1}, 8 * 3600, NOISY)


def test_stray_pulses_are_told_from_a_person_walking_by() -> None:
    t = T0
    events = [
        *_pulse("binary_sensor.pir_0", t),  # alone: stray
        # a person walking: the hall's sensor trips while the kitchen's is still on
        *_pulse("binary_sensor.pir_1", t + timedelta(minutes=20), area="Kitchen"),
        *_pulse("binary_sensor.pir_2", t + timedelta(minutes=21), area="Hall"),
        *_pulse("binary_sensor.quiet", t + timedelta(minutes=40)),  # not a noisy sensor
        *_pulse("binary_sensor.pir_3", t + timedelta(minutes=60)),  # alone: stray
        *_pulse("binary_sensor.pir_3", t + timedelta(minutes=90)),  # alone: stray
    ]
    kept, stray = strip_stray(_blocks(events), NOISY)
    assert [b.signals[0].entity_id for b in stray] == [
        "binary_sensor.pir_0",
        *["binary_sensor.pir_3"] * 2,
    ]
    assert len(kept) == 2  # the walk and the quiet sensor
    start = T0.timestamp()
    assert stray_counts(stray, start + 30 * 60, start + 2 * 3600) == {"binary_sensor.pir_3": 2}
    assert stray_counts(stray, start, start + 61 * 60) == {
        "binary_sensor.pir_0": 1,
        "binary_sensor.pir_3": 1,
    }


def test_a_rooms_two_pirs_tripping_together_are_one_stray_pulse() -> None:
    """A cat crossing a room under two ceiling PIRs trips both within seconds, with nothing
    else around: one stray pulse of that room, learned and stripped like one sensor's."""
    start = T0.timestamp()
    events: list[ActivityEvent] = []
    nights, empty = [], []
    for day in range(8):
        night = T0 + timedelta(days=day)
        nights.append((night.timestamp(), night.timestamp() + 6 * 3600))
        away = night + timedelta(hours=10)
        empty.append((away.timestamp(), away.timestamp() + 8 * 3600))
        for at in (night + timedelta(hours=2), away + timedelta(hours=3)):
            events += _pulse("binary_sensor.bed_a", at, area="Bedroom")
            events += _pulse("binary_sensor.bed_b", at + timedelta(seconds=10), area="Bedroom")
    events += _pulse("binary_sensor.hall", T0 + timedelta(hours=3), area="Hall")
    events += _pulse("binary_sensor.kitchen", T0 + timedelta(hours=3, seconds=20), area="Kitchen")
    blks = _blocks(events)
    noisy = noisy_sensors(nights, blks, empty)
    assert noisy is not None
    assert set(noisy) == {"binary_sensor.bed_a", "binary_sensor.bed_b"}
    kept, stray = strip_stray(blks, noisy)
    assert len(stray) == 16
    assert [{s.area for s in b.signals} for b in kept] == [{"Hall", "Kitchen"}]
    assert stray_counts(stray, start, start + 6 * 3600) == {
        "binary_sensor.bed_a": 1,
        "binary_sensor.bed_b": 1,
    }


def test_over_a_night_one_sensor_of_several_above_its_rate_is_still_noise() -> None:
    # Six pulses of one sensor in eight hours at 0.2/h: rare for that sensor alone (p 0.005),
    # not for one of the four that tripped more than once that night.
    counts = {"binary_sensor.pir_0": 6, "binary_sensor.pir_1": 2, "binary_sensor.pir_2": 2}
    counts["binary_sensor.pir_3"] = 2
    rates = dict.fromkeys(counts, 0.2)
    assert not plausible_noise(counts, 8 * 3600, rates)
    assert plausible_noise(counts, 8 * 3600, rates, family=True)
    # A person in the living room all evening is not noise either way.
    assert not plausible_noise({"binary_sensor.pir_0": 9}, 3 * 3600, rates, family=True)


def test_pulses_that_add_up_over_an_evening_are_a_person() -> None:
    # One pulse at a time, every one is plausible noise; but the living room tripping five
    # times in an hour and a half is someone sitting there (its own noise: 0.25 an hour),
    # though six sensors together trip about that often by themselves.
    one = burst_pulses(_blocks(_pulse("binary_sensor.pir_0", T0)), NOISY)
    assert one == {"binary_sensor.pir_0": 1}
    hour_and_half = 1.5 * 3600
    assert plausible_noise({"binary_sensor.pir_0": 1}, hour_and_half, NOISY)
    assert not plausible_noise({"binary_sensor.pir_0": 5}, hour_and_half, NOISY)
    spread = {f"binary_sensor.pir_{k}": 1 for k in range(3)}
    assert plausible_noise(spread, hour_and_half, NOISY)
    # Over a whole night the same sensor tripping twice is still its noise.
    assert plausible_noise({"binary_sensor.pir_0": 2}, 8 * 3600, NOISY)
    # Not noise at all: not counted.
    assert burst_pulses(_blocks(_pulse("binary_sensor.quiet", T0)), NOISY) is None


def _nights(days: int, entity: str, every_h: float, start_h: float = 1.0) -> list[Any]:
    out: list[Any] = []
    for d in range(days):
        t = T0 + timedelta(days=d, hours=start_h)
        while t < T0 + timedelta(days=d, hours=start_h + 5):
            out += _pulse(entity, t)
            t += timedelta(hours=every_h)
    return out


def _span(day: int, h0: float, h1: float) -> tuple[float, float]:
    base = T0 + timedelta(days=day)
    return (base + timedelta(hours=h0)).timestamp(), (base + timedelta(hours=h1)).timestamp()


def test_a_sensor_tripping_alone_at_night_and_in_the_empty_home_is_noisy() -> None:
    days = 10
    windows = [
        (
            (T0 + timedelta(days=d, hours=0)).timestamp(),
            (T0 + timedelta(days=d, hours=6)).timestamp(),
        )
        for d in range(days)
    ]
    empty = [
        (
            (T0 + timedelta(days=d, hours=9)).timestamp(),
            (T0 + timedelta(days=d, hours=17)).timestamp(),
        )
        for d in range(days)
    ]
    evs = _nights(days, "binary_sensor.sunlit", 2.0) + _nights(
        days, "binary_sensor.sunlit", 3.0, 9.5
    )
    # The bedroom sensor sees the sleeper turn over every night, never the empty home.
    evs += _nights(days, "binary_sensor.bedroom", 2.0, 1.5)
    blks = _blocks(evs)
    found = noisy_sensors(windows, blks, empty)
    assert found is not None
    assert set(found) == {"binary_sensor.sunlit"}
    assert found["binary_sensor.sunlit"] == pytest.approx(3 / 6, abs=0.05)
    # Too few nights: not known; too few hours of an empty home: nothing confirmed.
    assert noisy_sensors(windows[:3], blks, empty) is None
    assert noisy_sensors(windows, blks, empty[:1]) == {}
    assert noisy_sensors(windows, blks, []) == {}
    # A rate below the threshold is no noise.
    assert noisy_sensors(windows, blks, empty, NoiseOptions(min_rate_h=1.0)) == {}


def circular_minute(t: datetime) -> float:
    return t.hour * 60 + t.minute + t.second / 60


def _not_bed_or_tracker(ev: dict[str, Any]) -> bool:
    data = ev.get("data") or {}
    entity = str(data.get("entity_id") or "")
    state = data.get("new_state") or data.get("old_state") or {}
    dc = (state.get("attributes") or {}).get("device_class")
    if entity.startswith(("person.", "device_tracker.")):
        return False
    return not (entity.startswith("binary_sensor.") and dc in ("occupancy", "plug"))


def _home(
    name: str, motion_doors: bool, seed: int = 3, days: int = 28, lights: bool = True
) -> tuple[list[ActivityEvent], Any]:
    raw, truth = simulate_home(days, seed, household=name)
    if not lights:  # no bed sensors, plugs or trackers: motion, doors and lights
        raw = [ev for ev in raw if _not_bed_or_tracker(ev)]
    if motion_doors:
        keep = []
        for ev in raw:
            data = ev.get("data") or {}
            entity = str(data.get("entity_id") or "")
            state = data.get("new_state") or data.get("old_state") or {}
            dc = (state.get("attributes") or {}).get("device_class")
            if not entity or (entity.startswith("binary_sensor.") and dc in ("motion", "door")):
                keep.append(ev)
        raw = keep
    norm = HAEventNormalizer(registry=StaticRegistry.from_areas_file(household_areas(name)))
    return [a.with_id(i + 1) for i, a in enumerate(norm.normalize_many(raw))], truth


def test_the_noisy_home_learns_its_sensors_and_a_couple_learns_none() -> None:
    acts, truth = _home("noisy", motion_doors=True)
    learned: list[HomeHints] = []
    find_episodes(acts, ZoneInfo(truth.tz), learned=learned)
    noisy = learned[-1].noisy
    assert noisy is not None
    assert {"binary_sensor.kitchen_motion", "binary_sensor.hallway_motion"} <= set(noisy)
    assert all(0.1 <= rate <= 0.4 for rate in noisy.values())  # the simulator's 0.25/h
    assert HomeHints.from_state(learned[-1].to_state()).noisy == noisy

    # Two people's staggered bedtimes also make stray pulses at night, but never while the
    # home is empty: no sensor of theirs is noise.
    acts, truth = _home("couple", motion_doors=True)
    learned = []
    find_episodes(acts, ZoneInfo(truth.tz), learned=learned)
    assert learned[-1].noisy == {}


def test_the_noisy_home_sleeps_and_keeps_its_routines() -> None:
    """Motion sensors and doors only, every one tripping by itself 0.25 times an hour: without
    the noise learned, bedtimes are off by 20+ min and routines by 30+ on most seeds."""
    acts, truth = _home("noisy", motion_doors=True)
    tz = ZoneInfo(truth.tz)
    eps = find_episodes(acts, tz)
    nights = [
        (e.start, e.end) for e in eps if e.kind == "sleep" and e.detail.get("scope") == "home"
    ]
    want = household_truth(truth)["sleep"]
    bed, wake = [], []
    for a, b in want:
        hit = [n for n in nights if min(n[1], b) > max(n[0], a)]
        if hit:
            bed.append(abs((hit[0][0] - a).total_seconds()) / 60)
            wake.append(abs((hit[0][1] - b).total_seconds()) / 60)
    assert len(bed) >= 0.95 * len(want)
    assert statistics.median(bed) <= 10
    assert statistics.median(wake) <= 10
    # Each household wake-up / bedtime routine lies within 15 min of the truth on its days.
    routines = [r for r in mine_routines(acts, eps, tz) if r.actor is None]
    assert {"wake_up", "go_to_bed"} <= {r.kind for r in routines}
    for r in routines:
        if r.kind not in ("wake_up", "go_to_bed"):
            continue
        days = days_set(r.days)
        times = []
        for a, b in want:
            t = (b if r.kind == "wake_up" else a).astimezone(tz)
            day = t if r.kind == "wake_up" else t - timedelta(hours=12)
            if day.weekday() in days:
                times.append(circular_minute(t))
        h, m = map(int, r.time.split(":"))
        assert abs(signed_diff(h * 60 + m, circular_mean(times))) <= 15, (r.kind, r.days, r.time)


def test_diagnostics_list_the_noisy_sensors() -> None:
    acts, truth = _home("noisy", motion_doors=True)
    diag = home_diagnostics(acts, ZoneInfo(truth.tz))
    assert "binary_sensor.kitchen_motion" in diag["noisy_sensors"]


def test_a_cluster_of_noise_does_not_split_a_night() -> None:
    """Three weeks of the noisy home (motion sensors, doors and lights): on some nights a few
    stray pulses cluster by chance (one sensor three times in twelve minutes, at 03:45). The
    night is still the whole night, and keeps the pulses it read as noise as its evidence."""
    acts, truth = _home("noisy", motion_doors=False, seed=1, days=21, lights=False)
    tz = ZoneInfo(truth.tz)
    nights = [e for e in find_episodes(acts, tz) if e.kind == "sleep"]
    nights = [e for e in nights if e.detail.get("scope") == "home"]
    want = household_truth(truth)["sleep"]
    bed, wake = [], []
    for a, b in want:
        hit = [e for e in nights if min(e.end, b) > max(e.start, a)]
        assert hit, a
        bed.append(abs((hit[0].start - a).total_seconds()) / 60)
        wake.append(abs((hit[0].end - b).total_seconds()) / 60)
    # Before: two nights began 4 h late or ended 1 h early (a cluster read as someone up).
    assert max(bed) <= 15
    assert max(wake) <= 15
    night = next(e for e in nights if e.detail["night"] == "2026-01-23")
    start = night.start.astimezone(tz)
    assert (start.hour, start.minute // 10) == (23, 4)  # bedtime 23:46, not 04:09
    pulses = night.detail["noise_pulses"]
    assert isinstance(pulses, dict)
    assert pulses["binary_sensor.hallway_motion"] >= 3
