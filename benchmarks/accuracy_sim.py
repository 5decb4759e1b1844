"""Sleep/away accuracy on the simulated home with sensors removed (homes unlike Ordóñez A).

Many real homes are CASAS-like: motion sensors and door contacts, no bed pressure mat, no
person trackers, sometimes a pet. This runs the simulator (galatea_engine.simulate: three
people, a cat, guests, dropouts) through the HA normaliser and ``find_episodes`` with sensors
filtered out, and scores home-level sleep and away episodes against the ground truth with the
same metrics and matching as benchmarks/accuracy_ordonez.py:

* sleep truth per night: last person to bed -> first person up among those who slept at home;
* away truth: every person out (from the truth's leave/arrive times).

Variants: ``all sensors``; ``no bed/trackers`` (bed mats, phone chargers, person and
device_tracker entities removed); ``motion+doors`` (only motion and door binary sensors).

    .venv/bin/python benchmarks/accuracy_sim.py [--days 42] [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy_ordonez import Score, match
from galatea_engine.capture.ha_events import HAEventNormalizer, StaticRegistry
from galatea_engine.mining.episodes import find_episodes
from galatea_engine.simulate import GroundTruth, home_areas, simulate_home

Span = tuple[datetime, datetime]


def _entity(ev: dict[str, Any]) -> str:
    data = ev.get("data") or {}
    return str(data.get("entity_id") or "")


def _device_class(ev: dict[str, Any]) -> str:
    data = ev.get("data") or {}
    for key in ("new_state", "old_state"):
        st = data.get(key) or {}
        dc = (st.get("attributes") or {}).get("device_class")
        if dc:
            return str(dc)
    return ""


def keep_all(ev: dict[str, Any]) -> bool:
    return True


def no_bed_trackers(ev: dict[str, Any]) -> bool:
    ent = _entity(ev)
    if ent.startswith(("person.", "device_tracker.")):
        return False
    return not (ent.startswith("binary_sensor.") and _device_class(ev) in ("occupancy", "plug"))


def motion_doors(ev: dict[str, Any]) -> bool:
    ent = _entity(ev)
    if not ent:
        return ev.get("event_type") != "state_changed"
    return ent.startswith("binary_sensor.") and _device_class(ev) in ("motion", "door")


VARIANTS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "all sensors": keep_all,
    "no bed/trackers": no_bed_trackers,
    "motion+doors": motion_doors,
}


def truth_sleep(truth: GroundTruth) -> list[Span]:
    by_date: dict[str, list[dict[str, Any]]] = {}
    for rec in truth.daily:
        by_date.setdefault(rec["date"], []).append(rec)
    out: list[Span] = []
    for d, recs in sorted(by_date.items()):
        nxt = (date.fromisoformat(d) + timedelta(days=1)).isoformat()
        wakes = {r["person"]: r["wake"] for r in by_date.get(nxt, []) if r["wake"]}
        sleepers = [r for r in recs if r["bed"] and r["person"] in wakes]
        if not sleepers:
            continue
        start = max(datetime.fromisoformat(r["bed"]) for r in sleepers)
        end = min(datetime.fromisoformat(wakes[r["person"]]) for r in sleepers)
        if end > start:
            out.append((start, end))
    return out


def truth_away(truth: GroundTruth) -> list[Span]:
    moves: list[tuple[datetime, str, bool]] = []
    people = {r["person"] for r in truth.daily}
    for rec in truth.daily:
        moves += [(datetime.fromisoformat(t), rec["person"], False) for t in rec["leave"]]
        moves += [(datetime.fromisoformat(t), rec["person"], True) for t in rec["arrive"]]
    moves.sort()
    home = dict.fromkeys(people, True)
    out: list[Span] = []
    since: datetime | None = None
    for t, person, back in moves:
        home[person] = back
        if not any(home.values()) and since is None:
            since = t
        elif any(home.values()) and since is not None:
            if t - since >= timedelta(minutes=10):
                out.append((since, t))
            since = None
    return out


def run(days: int, seed: int, keep: Callable[[dict[str, Any]], bool]) -> tuple[Score, Score]:
    raw, truth = simulate_home(days, seed)
    tz = ZoneInfo(truth.tz)
    normalizer = HAEventNormalizer(registry=StaticRegistry.from_areas_file(home_areas()))
    kept = [e for e in raw if keep(e)]
    acts = [a.with_id(i + 1) for i, a in enumerate(normalizer.normalize_many(kept))]
    eps = find_episodes(acts, tz)
    home = [e for e in eps if e.detail.get("scope") == "home"]
    sleep = [(e.start, e.end) for e in home if e.kind == "sleep"]
    away = [(e.start, e.end) for e in home if e.kind == "away"]
    return match(truth_sleep(truth), sleep), match(truth_away(truth), away)


def _fmt(name: str, s: Score) -> str:
    return (
        f"{name} recall {s.matched}/{s.labels} {s.recall:.3f}"
        f" precision {s.matched}/{s.detected} {s.precision:.3f}"
        f" median start {s.start_med:.1f} end {s.end_med:.1f} min"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    args = parser.parse_args()
    for variant in args.variants:
        totals: dict[str, list[Score]] = {"sleep": [], "away": []}
        for seed in args.seeds:
            sleep, away = run(args.days, seed, VARIANTS[variant])
            totals["sleep"].append(sleep)
            totals["away"].append(away)
            print(f"{variant} seed {seed}: {_fmt('sleep', sleep)} | {_fmt('away', away)}")
        for kind, scores in totals.items():
            pooled = Score(
                sum(s.labels for s in scores),
                sum(s.detected for s in scores),
                sum(s.matched for s in scores),
                [x for s in scores for x in s.start_err_min],
                [x for s in scores for x in s.end_err_min],
            )
            print(f"{variant} ALL {_fmt(kind, pooled)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
