"""Accuracy on a synthetic Ordóñez-like home (generated here; the real dataset is not shipped).

One person, twelve sparse binary sensors (bed and seat pressure mats, bathroom PIR, toilet flush,
kitchen contacts and plugs, front door), two weeks across the October DST change, with toilet
trips at night, short and long absences (one overnight), visitors at the door while the person
stays in, and day-to-day jitter. Events go through the HA event normaliser like real ones.
The same targets as the real-home benchmark (benchmarks/accuracy_ordonez.py) are asserted.
"""

from __future__ import annotations

import math
import os
import random
import statistics
import sys
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from galatea_engine.capture.ha_events import HAEventNormalizer, StaticRegistry
from galatea_engine.mining.episodes import find_episodes
from galatea_engine.models import Episode

TZ = ZoneInfo("Europe/Madrid")
START = date(2026, 10, 19)  # the DST change (25 Oct) falls inside
DAYS = 14
AREAS = {  # Spanish area names: roles must come from the names' meaning, not English
    "binary_sensor.s01": ("Dormitorio", "occupancy"),
    "binary_sensor.s02": ("Baño", "motion"),
    "binary_sensor.s03": ("Baño", "motion"),
    "binary_sensor.s04": ("Baño", "vibration"),
    "binary_sensor.s05": ("Baño", "door"),
    "binary_sensor.s06": ("Cocina", "door"),
    "binary_sensor.s07": ("Cocina", "door"),
    "binary_sensor.s08": ("Cocina", "plug"),
    "binary_sensor.s09": ("Cocina", "plug"),
    "binary_sensor.s10": ("Cocina", "motion"),
    "binary_sensor.s11": ("Salón", "occupancy"),
    "binary_sensor.s12": ("Recibidor", "door"),
}
BED, BASIN, SHOWER, FLUSH, CABINET = "s01", "s02", "s03", "s04", "s05"
FRIDGE, CUPBOARD, TOASTER, MICROWAVE, COOKTOP, SEAT, DOOR = (
    "s06",
    "s07",
    "s08",
    "s09",
    "s10",
    "s11",
    "s12",
)


@dataclass
class Truth:
    sleep: list[tuple[datetime, datetime]]
    away: list[tuple[datetime, datetime]]


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.intervals: list[tuple[datetime, datetime, str]] = []
        self.truth = Truth([], [])

    def local(self, day: int, minute: float) -> datetime:
        """Wall-clock time (people keep the clock, whatever DST does)."""
        naive = datetime.combine(START + timedelta(days=day), datetime.min.time())
        return (naive + timedelta(minutes=minute)).replace(tzinfo=TZ)

    def on(self, sensor: str, start: datetime, seconds: float) -> datetime:
        end = start + timedelta(seconds=max(2.0, seconds))
        self.intervals.append((start, end, sensor))
        return end

    def j(self, sd: float) -> float:
        return self.rng.gauss(0, sd)

    # -- pieces of a day ---------------------------------------------------------------------
    def bathroom(self, t: datetime, minutes: float, shower: bool = False) -> datetime:
        t = self.on(BASIN, t, 60 * minutes * 0.4) + timedelta(seconds=20)
        if shower:
            t = self.on(SHOWER, t, 60 * minutes * 0.6)
        t = self.on(FLUSH, t, 25)
        return t + timedelta(seconds=30)

    def kitchen(self, t: datetime, minutes: float, appliance: str | None) -> datetime:
        end = t + timedelta(minutes=minutes)
        self.on(FRIDGE, t, 15)
        self.on(CUPBOARD, t + timedelta(minutes=1), 10)
        if appliance:
            self.on(appliance, t + timedelta(minutes=2), 60 * min(minutes - 3, 8))
        self.on(COOKTOP, t + timedelta(minutes=minutes / 2), 60 * minutes / 4)
        self.on(FRIDGE, end - timedelta(minutes=1), 10)
        return end + timedelta(seconds=30)

    def seat(self, t: datetime, until: datetime) -> datetime:
        """Sitting, with a break every hour or two (toilet or snack)."""
        while t < until - timedelta(minutes=20):
            stand = min(until, t + timedelta(minutes=self.rng.uniform(50, 130)))
            self.on(SEAT, t, (stand - t).total_seconds())
            t = stand + timedelta(seconds=30)
            if t >= until - timedelta(minutes=10):
                break
            if self.rng.random() < 0.5:
                t = self.bathroom(t, self.rng.uniform(1, 4))
            else:
                t = self.kitchen(t, self.rng.uniform(2, 5), None)
        return t

    def absence(self, t: datetime, minutes: float) -> datetime:
        leave = t
        self.on(DOOR, leave, self.rng.uniform(4, 25))
        back = leave + timedelta(minutes=minutes)
        self.on(DOOR, back, self.rng.uniform(4, 10))
        self.truth.away.append((leave, back))
        return back + timedelta(minutes=self.rng.uniform(1, 6))

    def visitor(self, t: datetime) -> None:
        """The door opens while the person keeps sitting: not an absence."""
        self.on(DOOR, t, 15)
        self.on(DOOR, t + timedelta(minutes=self.rng.uniform(12, 40)), 10)

    def night(self, bed: datetime, wake: datetime) -> None:
        self.truth.sleep.append((bed, wake))
        t = bed
        if self.rng.random() < 0.6:  # a toilet trip
            trip = bed + (wake - bed) * self.rng.uniform(0.3, 0.7)
            self.on(BED, t, (trip - t).total_seconds())
            back = self.bathroom(trip + timedelta(seconds=40), self.rng.uniform(1, 4))
            t = back + timedelta(seconds=40)
        self.on(BED, t, (wake - t).total_seconds())

    def run(self) -> None:
        bed = self.local(0, 60 + self.j(30))
        for day in range(DAYS):
            wake = self.local(day, 10 * 60 + self.j(40))
            self.night(bed, wake)
            t = self.bathroom(wake + timedelta(minutes=2), self.rng.uniform(8, 15), shower=True)
            t = self.kitchen(t + timedelta(minutes=3), self.rng.uniform(8, 15), TOASTER)
            overnight = day == 9
            next_bed = self.local(day, 24 * 60 + 45 + self.j(35) + (90 if overnight else 0))
            n_out = self.rng.choice([1, 1, 2]) if not overnight else 1
            slots = sorted(self.rng.uniform(12 * 60, 18 * 60) for _ in range(n_out))
            for k, start_min in enumerate(slots):
                leave = max(t + timedelta(minutes=20), self.local(day, start_min))
                t = self.seat(t, leave)
                minutes = self.rng.choice([self.rng.uniform(13, 25), self.rng.uniform(40, 240)])
                if k == 0 and day % 3 == 1:
                    self.visitor(leave - timedelta(minutes=50))
                t = self.absence(leave, minutes)
                t = self.kitchen(t, self.rng.uniform(5, 30), MICROWAVE)
            if overnight:
                leave = max(t + timedelta(minutes=20), self.local(day, 20 * 60 + 30))
                t = self.seat(t, leave)
                t = self.absence(leave, (next_bed - leave).total_seconds() / 60 - 30)
            t = self.seat(t, next_bed - timedelta(minutes=8))
            self.bathroom(t, 4)
            bed = next_bed

    def ha_events(self, *, drop: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
        timeline: list[tuple[datetime, int, str, str]] = []
        for start, end, sensor in self.intervals:
            if sensor in drop:
                continue
            timeline.append((start, 0, sensor, "on"))
            timeline.append((end, 1, sensor, "off"))
        timeline.sort(key=lambda r: (r[0].timestamp(), r[1]))
        state: dict[str, str] = {}
        out = []
        for ts, _, sensor, value in timeline:
            entity = f"binary_sensor.{sensor}"
            if state.get(entity) == value:
                continue
            old = state.get(entity, "off")
            state[entity] = value
            ctx = {"id": uuid.uuid4().hex, "parent_id": None, "user_id": None}
            attrs = {"device_class": AREAS[entity][1]}
            iso = ts.isoformat()

            def st(
                v: str,
                entity: str = entity,
                attrs: dict[str, str] = attrs,
                iso: str = iso,
                ctx: dict[str, Any] = ctx,
            ) -> dict[str, Any]:
                return {
                    "entity_id": entity,
                    "state": v,
                    "attributes": attrs,
                    "last_changed": iso,
                    "last_updated": iso,
                    "context": ctx,
                }

            out.append(
                {
                    "event_type": "state_changed",
                    "origin": "LOCAL",
                    "time_fired": iso,
                    "context": ctx,
                    "data": {"entity_id": entity, "old_state": st(old), "new_state": st(value)},
                }
            )
        return out


def _run(gen: Generator, drop: frozenset[str] = frozenset()) -> list[Episode]:
    registry = StaticRegistry.from_areas_file({e: a for e, (a, _) in AREAS.items()})
    events = HAEventNormalizer(registry=registry).normalize_many(gen.ha_events(drop=drop))
    return find_episodes([e.with_id(i + 1) for i, e in enumerate(events)], TZ)


@dataclass
class Score:
    recall: float
    precision: float
    start_med: float
    end_med: float


def score(truth: list[tuple[datetime, datetime]], found: list[tuple[datetime, datetime]]) -> Score:
    pairs = []
    for i, (a0, a1) in enumerate(truth):
        for k, (b0, b1) in enumerate(found):
            ov = (min(a1, b1) - max(a0, b0)).total_seconds()
            shorter = min((a1 - a0).total_seconds(), (b1 - b0).total_seconds())
            if ov > 0 and ov >= 0.5 * shorter:
                pairs.append((ov, i, k))
    used_i: set[int] = set()
    used_k: set[int] = set()
    starts, ends = [], []
    for _, i, k in sorted(pairs, reverse=True):
        if i in used_i or k in used_k:
            continue
        used_i.add(i)
        used_k.add(k)
        starts.append(abs((found[k][0] - truth[i][0]).total_seconds()) / 60)
        ends.append(abs((found[k][1] - truth[i][1]).total_seconds()) / 60)
    return Score(
        len(used_i) / len(truth),
        len(used_k) / max(len(found), 1),
        statistics.median(starts) if starts else math.inf,
        statistics.median(ends) if ends else math.inf,
    )


def _circular_minutes(times: list[datetime]) -> float:
    angles = [
        2 * math.pi * (t.astimezone(TZ).hour * 60 + t.astimezone(TZ).minute) / 1440 for t in times
    ]
    mean = math.atan2(sum(map(math.sin, angles)), sum(map(math.cos, angles)))
    return (mean % (2 * math.pi)) * 1440 / (2 * math.pi)


def _circ_diff(a: float, b: float) -> float:
    d = abs(a - b) % 1440
    return min(d, 1440 - d)


def _kind(eps: list[Episode], kind: str) -> list[tuple[datetime, datetime]]:
    return [(e.start, e.end) for e in eps if e.kind == kind and e.detail["scope"] == "home"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sleep_and_absences_meet_targets(seed: int) -> None:
    gen = Generator(seed)
    gen.run()
    eps = _run(gen)
    sleep = score(gen.truth.sleep, _kind(eps, "sleep"))
    assert sleep.recall >= 0.95
    assert sleep.precision >= 0.90
    assert sleep.start_med <= 10
    assert sleep.end_med <= 10
    away = score(gen.truth.away, _kind(eps, "away"))
    assert away.recall >= 0.90
    assert away.precision >= 0.85
    assert away.start_med <= 10
    assert away.end_med <= 10
    found = [e for e in eps if e.kind == "sleep" and e.detail["scope"] == "home"]
    truth_wake = _circular_minutes([w for _, w in gen.truth.sleep])
    truth_bed = _circular_minutes([b for b, _ in gen.truth.sleep])
    assert _circ_diff(_circular_minutes([e.end for e in found]), truth_wake) <= 15
    assert _circ_diff(_circular_minutes([e.start for e in found]), truth_bed) <= 15


@pytest.mark.parametrize("seed", [1, 2])
def test_without_bed_sensor_quiet_nights_are_close(seed: int) -> None:
    """The fallback for homes with no bed sensor: looser, but still useful."""
    gen = Generator(seed)
    gen.run()
    eps = _run(gen, drop=frozenset({BED}))
    sleep = score(gen.truth.sleep, _kind(eps, "sleep"))
    assert sleep.recall >= 0.9
    assert sleep.precision >= 0.9
    assert sleep.start_med <= 15
    assert sleep.end_med <= 15


ORDONEZ = os.environ.get("GALATEA_ORDONEZ_DIR")


@pytest.mark.skipif(not ORDONEZ, reason="GALATEA_ORDONEZ_DIR not set (the dataset is not shipped)")
def test_real_ordonez_home_meets_targets() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from accuracy_ordonez import evaluate
    from ordonez import load_labels

    folder = Path(str(ORDONEZ))
    rows = evaluate(folder, load_labels(folder), "all sensors")
    # Routine rows measure ENGINE-LOOP's routine miner (tested there); episodes are ours.
    failed = [name for name, _v, _t, ok in rows if ok is False and " routine" not in name]
    assert not failed, failed
