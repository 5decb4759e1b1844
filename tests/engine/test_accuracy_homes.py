"""Household sleep and absences on simulated homes unlike the default one (see
benchmarks/accuracy_homes.py for the full table): the issue's targets, asserted on one seed of
each kind of home that used to fail, with bed mats and trackers removed (motion and doors only).
"""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from galatea_engine.capture.ha_events import HAEventNormalizer, StaticRegistry
from galatea_engine.mining.episodes import HomeHints, find_episodes
from galatea_engine.mining.routines import mine_routines

from tests.simulator.simulate import (
    HOUSEHOLDS,
    HomeSpec,
    household_areas,
    household_truth,
    simulate_home,
)

Span = tuple[datetime, datetime]


def _motion_doors(ev: dict[str, Any]) -> bool:
    data = ev.get("data") or {}
    entity = str(data.get("entity_id") or "")
    if not entity:
        return ev.get("event_type") != "state_changed"
    state = data.get("new_state") or data.get("old_state") or {}
    dc = (state.get("attributes") or {}).get("device_class")
    return entity.startswith("binary_sensor.") and dc in ("motion", "door")


def _no_bed_trackers(ev: dict[str, Any]) -> bool:
    """Every sensor but bed mats, seats and trackers (the benchmark's "no bed/trackers")."""
    data = ev.get("data") or {}
    entity = str(data.get("entity_id") or "")
    if entity.startswith(("person.", "device_tracker.")):
        return False
    state = data.get("new_state") or data.get("old_state") or {}
    dc = (state.get("attributes") or {}).get("device_class")
    return not (entity.startswith("binary_sensor.") and dc in ("occupancy", "plug"))


def _match(truth: list[Span], found: list[Span]) -> tuple[int, list[float], list[float]]:
    """One-to-one by overlap (at least half the shorter), as the benchmarks match."""
    pairs = []
    for i, (a0, a1) in enumerate(truth):
        for j, (b0, b1) in enumerate(found):
            ov = (min(a1, b1) - max(a0, b0)).total_seconds()
            if ov > 0 and ov >= 0.5 * min((a1 - a0).total_seconds(), (b1 - b0).total_seconds()):
                pairs.append((ov, i, j))
    used_i: set[int] = set()
    used_j: set[int] = set()
    starts: list[float] = []
    ends: list[float] = []
    for _, i, j in sorted(pairs, reverse=True):
        if i in used_i or j in used_j:
            continue
        used_i.add(i)
        used_j.add(j)
        starts.append(abs((found[j][0] - truth[i][0]).total_seconds()) / 60)
        ends.append(abs((found[j][1] - truth[i][1]).total_seconds()) / 60)
    return len(used_i), starts, ends


@pytest.mark.parametrize(
    "household", ["elderly", "couple", "night_shift", "cat", "sparse", "few_noisy"]
)
def test_household_sleep_and_absences_meet_the_targets(household: str) -> None:
    """``few_noisy``: three PIRs that each trip by themselves about once in 20 hours, learned
    as a shy pet. An evening at home whose blips each passed for the pet, then the night, then
    the morning's door, once read as one absence, and the night was lost with it: the home
    model, which puts those hours in "asleep", not "away", now rules such a span out."""
    raw, truth = simulate_home(21, 1, household=household)
    kept = raw if household == "sparse" else [e for e in raw if _motion_doors(e)]
    _assert_targets(kept, household_areas(household), truth)


def _zones(areas: dict[str, Any], *, names: bool) -> dict[str, Any]:
    """The areas file with area names that say nothing ("Zone 3"), or with none at all."""
    rooms = sorted({info["area"] for info in areas["entities"].values() if info.get("area")})
    zone = {room: f"Zone {i}" for i, room in enumerate(rooms)}
    entities = {}
    for entity_id, info in areas["entities"].items():
        info = dict(info)
        if info.get("area"):
            info["area"] = zone[info["area"]] if not names else None
        entities[entity_id] = {k: v for k, v in info.items() if v is not None}
    return {**areas, "entities": entities}


@pytest.mark.parametrize("household", ["couple", "elderly"])
@pytest.mark.parametrize("names", [False, True])
def test_a_home_whose_areas_say_nothing_is_read_from_behaviour_or_names(
    household: str, names: bool
) -> None:
    """Motion and doors only. With area names that say nothing ("Zone 3"), the bedroom is
    where the nights start and end, the bathroom the first place after it, the entrance the
    one door that frames daytime silences (a couple's front door: most passages are one of two
    going out). With no areas at all, entities are placed where their names say."""
    raw, truth = simulate_home(21, 1, household=household)
    kept = [e for e in raw if _motion_doors(e)]
    areas = _zones(household_areas(household), names=names)
    learned = _assert_targets(kept, areas, truth)
    if not names:
        # The bedroom's zone is the one its motion sensor is in; shown in diagnostics.
        zone = areas["entities"]["binary_sensor.bedroom_motion"]["area"]
        assert learned.roles_learned.get(zone) == "bedroom", learned.roles_learned
        assert HomeHints.from_state(learned.to_state()).roles_learned == learned.roles_learned


@pytest.mark.parametrize(
    ("household", "sensors"),
    [
        ("contacts_only", "all"),
        ("couple_mats", "all"),
        ("couple_mats", "motion+doors"),
        ("noisy", "motion+doors"),
        ("cat", "motion+doors"),
        ("dog", "motion+doors"),
        ("restless_elderly", "no bed"),
        ("restless", "motion+doors"),
        ("outdoor", "all"),
    ],
)
def test_a_home_whose_areas_say_nothing_with_contacts_mats_noise_pets_or_broken_nights(
    household: str, sensors: str
) -> None:
    """Area names that say nothing. With contacts only, the bathroom door and the fridge
    frame silences too (someone in a room with no sensor), but short ones for how often they
    are used: the front door is the way out. A couple's mats that report movement are beds by
    what they do: in use from the first onset until the sleeper is seen elsewhere, for hours,
    at night. Without the mats, the couple's bedroom door in the hall frames afternoons in
    bed, but it is at the edge of most nights: the front door is the way out. Motion sensors
    that trip by themselves, a cat or a dog put lone blips in the nights and absences: the
    bedroom is where someone moving about goes quiet and stirs again, the front door frames
    silences once lone blips are left out, and with the bedroom learned, the pet roams the
    other unnamed rooms. Someone up in the night in another unnamed room is up (the bedroom is
    known: that room is not a second one), and the bathroom is where the night's short trips
    go, however broken the nights. A bed mat held all night makes its room the bedroom from
    the start, and no longer folds the night's blips into one long block: a garden sensor and
    a driveway camera in unnamed areas are learned as where a pet roams, not someone home."""
    raw, truth = simulate_home(21, 1, household=household)
    keep = {"all": lambda e: True, "motion+doors": _motion_doors, "no bed": _no_bed_trackers}
    kept = [e for e in raw if keep[sensors](e)]
    areas = _zones(household_areas(household), names=False)
    learned = _assert_targets(kept, areas, truth)
    if household.startswith("restless"):
        zone = areas["entities"]["binary_sensor.bathroom_motion"]["area"]
        assert learned.roles_learned.get(zone) == "bathroom", learned.roles_learned
    if household == "couple_mats" and sensors == "all":
        zone = areas["entities"]["binary_sensor.bed_left"]["area"]
        assert learned.roles_learned.get(zone) == "bedroom", learned.roles_learned


def _assert_targets(
    kept: list[dict[str, Any]], areas: dict[str, Any], truth: Any
) -> HomeHints:
    tz = ZoneInfo(truth.tz)
    normalizer = HAEventNormalizer(registry=StaticRegistry.from_areas_file(areas))
    acts = [a.with_id(i + 1) for i, a in enumerate(normalizer.normalize_many(kept))]
    learned: list[HomeHints] = []
    eps = find_episodes(acts, tz, learned=learned)
    home = [e for e in eps if e.detail.get("scope") == "home"]
    want = household_truth(truth)

    naps = want["nap"]
    sleep = [
        (e.start, e.end)
        for e in home
        if e.kind == "sleep"
        and not any(
            (min(b, e.end) - max(a, e.start)).total_seconds()
            >= 0.5 * (e.end - e.start).total_seconds()
            for a, b in naps
        )
    ]
    matched, starts, ends = _match(want["sleep"], sleep)
    assert matched >= 0.95 * len(want["sleep"]), (matched, len(want["sleep"]))
    assert matched >= 0.90 * len(sleep), (matched, len(sleep))
    assert statistics.median(starts) <= 10, starts
    assert statistics.median(ends) <= 10, ends

    away = [(e.start, e.end) for e in home if e.kind == "away"]
    matched, starts, ends = _match(want["away"], away)
    assert matched >= 0.90 * len(want["away"]), (matched, len(want["away"]))
    assert matched >= 0.85 * len(away), (matched, len(away))
    assert statistics.median(starts) <= 10, starts
    assert statistics.median(ends) <= 10, ends
    return learned[-1]


def _no_trackers(ev: dict[str, Any]) -> bool:
    entity = str((ev.get("data") or {}).get("entity_id") or "")
    return not entity.startswith(("person.", "device_tracker."))


@pytest.mark.parametrize("trackers", [True, False])
def test_a_phone_that_reports_wherever_it_is_breaks_no_absence(trackers: bool) -> None:
    """The companion app's screen and charger go on at work too: with the phone's tracker they
    count only while it is home; without it they are known by behaviour (carried.py)."""
    raw, truth = simulate_home(21, 1, household="phone_app")
    tz = ZoneInfo(truth.tz)
    normalizer = HAEventNormalizer(
        registry=StaticRegistry.from_areas_file(household_areas("phone_app"))
    )
    kept = raw if trackers else [e for e in raw if _no_trackers(e)]
    acts = [a.with_id(i + 1) for i, a in enumerate(normalizer.normalize_many(kept))]
    assert any(a.entity_id == "binary_sensor.anna_phone_interactive" for a in acts)
    home = [e for e in find_episodes(acts, tz) if e.detail.get("scope") == "home"]
    away = [(e.start, e.end) for e in home if e.kind == "away"]
    want = household_truth(truth)["away"]
    matched, starts, ends = _match(want, away)
    assert matched >= 0.90 * len(want), (matched, len(want))
    assert matched >= 0.85 * len(away), (matched, len(away))
    assert statistics.median(starts) <= 10, starts
    assert statistics.median(ends) <= 10, ends


def test_the_home_model_sets_the_edges_of_nights_whose_blips_passed_one_by_one() -> None:
    """The few-sensor home whose PIRs trip by themselves (learned as a shy pet): a quiet
    evening's blips each pass for the pet, and a morning's too once she was in the bathroom,
    so silence alone starts some nights hours early and ends some late. The home model,
    fitted on the home's own weeks, is sure she was up then: the night starts at the silence
    after the evening and ends when she left the bathroom for the kitchen. Without it, 7 of 21
    bedtimes and 4 wake-ups were more than 30 min off."""
    _, eps, truth, _ = _found("few_noisy", 21, 2, _motion_doors)
    matched, starts, ends = _match(household_truth(truth)["sleep"], _home_spans(eps, "sleep"))
    assert matched == 21
    assert sum(1 for m in starts if m > 30) <= 4, sorted(starts)
    assert sum(1 for m in ends if m > 30) <= 1, sorted(ends)


def test_false_triggers_soon_after_bedtime_do_not_move_it_to_a_toilet_trip() -> None:
    """The elderly resident's flat whose PIRs trip by themselves (no bed sensor): she switches
    the bedroom light off at 21:50, the hallway's PIR trips at 23:06 and again at 23:31, her
    first toilet trip is at 00:35. The two pulses are too close together for a lone false
    trigger, but the home model, fitted on her weeks, is sure the home slept through them:
    the night starts at 21:50. Before, four of 21 nights started at such a trip and a second
    bedtime routine "at 00:05 on Wednesdays, Thursdays and Sundays" was learned from them."""
    acts, eps, truth, tz = _found("elderly_noisy", 21, 2, _no_bed_trackers)
    matched, starts, _ = _match(household_truth(truth)["sleep"], _home_spans(eps, "sleep"))
    assert matched == 21
    assert sum(1 for m in starts if m > 30) <= 2, sorted(starts)
    bedtimes = [r.time for r in mine_routines(acts, eps, tz) if r.kind == "go_to_bed"]
    assert bedtimes, "no bedtime routine"
    for hhmm in bedtimes:
        h, m = map(int, hhmm.split(":"))
        assert abs(h * 60 + m - (21 * 60 + 30)) <= 15, bedtimes


def test_a_partner_at_home_in_the_study_is_no_absence_the_model_vouches_for() -> None:
    """A couple on motion and doors. She leaves at 19:28; he stays in the study, whose PIR
    trips three times in two and a half hours (and the bedroom's twice). The home model
    puts the span in "away" (for a quiet hour the whole household's rates say nobody is
    there), and the study's sensor fires in empty hours too, now and then. It does not fire
    five times in 30 slots there: the model no longer vouches for that span as an absence."""
    _, eps, truth, _ = _found("couple", 28, 5, _motion_doors)
    away = _home_spans(eps, "away")
    want = household_truth(truth)["away"]
    matched, _, _ = _match(want, away)
    assert matched == len(away) == len(want), (matched, len(away), len(want))


def test_a_night_shift_workers_nights_out_stay_absences_where_pirs_trip_by_themselves() -> None:
    """A night-shift worker whose PIRs trip by themselves once in 20 hours, no bed sensor, no
    tracker: the home model, seeing no one at night, calls the nights out "asleep". A span
    over a night is ruled out as an absence by the model only when it holds more movements
    than the pet's (here: the PIRs') own night rate makes plausible: these hold two or three
    false triggers, and stay absences. (When the model alone ruled, 2 of 15 were left; the
    four still missed hold two false triggers of one PIR minutes apart, which the rules take
    for someone home.)"""
    spec = replace(HOUSEHOLDS["night_shift"], name="night_shift_noisy", pir_noise_per_hour=0.05)
    _, eps, truth, _ = _found(spec, 21, 1, _no_bed_trackers)
    matched, _, _ = _match(household_truth(truth)["away"], _home_spans(eps, "away"))
    assert matched >= 11, matched


def test_a_cat_from_the_bed_to_the_living_room_at_dawn_is_not_getting_up() -> None:
    """Two or three PIRs a room and a cat, no bed sensor, no tracker. On a Saturday at 07:33
    the cat crosses from the bedroom to the living room (four sensors in two minutes), then
    nothing until she gets up at 08:47. That crossing looked like a trip followed by too
    short a quiet for more sleep at that hour; the home model, with every sensor of the home
    silent for 71 minutes, is sure the home slept on: the night ends at 08:47."""
    _, eps, truth, _ = _found("dense_cat", 14, 4, _no_bed_trackers)
    matched, _, ends = _match(household_truth(truth)["sleep"], _home_spans(eps, "sleep"))
    assert matched == 14
    assert max(ends) <= 15, sorted(ends)


def _found(
    household: str | HomeSpec, days: int, seed: int, keep: Any
) -> tuple[list[Any], list[Any], Any, ZoneInfo]:
    """One simulated home on the sensors ``keep`` keeps: its activity, episodes and truth."""
    raw, truth = simulate_home(days, seed, household=household)
    areas = household_areas(household)
    normalizer = HAEventNormalizer(registry=StaticRegistry.from_areas_file(areas))
    kept = [e for e in raw if keep(e)]
    acts = [a.with_id(i + 1) for i, a in enumerate(normalizer.normalize_many(kept))]
    tz = ZoneInfo(truth.tz)
    return acts, find_episodes(acts, tz), truth, tz


def _home_spans(eps: list[Any], kind: str) -> list[Span]:
    return [(e.start, e.end) for e in eps if e.kind == kind and e.detail.get("scope") == "home"]
