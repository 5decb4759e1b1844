"""How well the engine recovers the simulated home's ground truth (several seeds).

Per seed: the simulated home goes through the HA normaliser and the pure miners (episodes,
routines, sequences, preferences). Printed: per-day wake/bed/leave/arrive recall and median
absolute error against the truth, the error of each current routine's time against the truth
routine, whether the truth's habits, sequences, preferences and the routine change were found.

    .venv/bin/python benchmarks/sim_recovery.py [--days 42] [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

# The repository root, for the simulator (tests/simulator) when run as benchmarks/<name>.py.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from galatea_engine.capture.ha_events import HAEventNormalizer, StaticRegistry
from galatea_engine.mining.circular import parse_hhmm, signed_diff
from galatea_engine.mining.days import days_set
from galatea_engine.mining.episodes import find_episodes
from galatea_engine.mining.preferences import mine_preferences
from galatea_engine.mining.routines import mine_routines
from galatea_engine.mining.sequences import mine_sequences

from tests.simulator.simulate import home_areas, simulate_home


def one(days: int, seed: int) -> dict[str, object]:
    events, truth = simulate_home(days, seed)
    tz = ZoneInfo(truth.tz)
    normalizer = HAEventNormalizer(registry=StaticRegistry.from_areas_file(home_areas()))
    acts = [a.with_id(i + 1) for i, a in enumerate(normalizer.normalize_many(events))]
    eps = find_episodes(acts, tz)
    routines = mine_routines(acts, eps, tz)
    seqs = mine_sequences(acts, tz)
    prefs = mine_preferences(acts, tz)

    # Per-day episode times vs truth.
    found: dict[tuple[str, str, str], datetime] = {}
    for e in eps:
        if e.kind == "sleep" and e.actor:
            found[("wake", e.actor, e.end.astimezone(tz).date().isoformat())] = e.end
            evening = (e.start.astimezone(tz) - timedelta(hours=12)).date().isoformat()
            found[("bed", e.actor, evening)] = e.start
    person_changes = [a for a in acts if a.domain == "person" and a.state != a.old_state]
    errors: dict[str, list[float]] = {"wake": [], "bed": [], "leave": [], "arrive": []}
    missed = dict.fromkeys(errors, 0)
    for rec in truth.daily:
        for kind in ("wake", "bed"):
            if rec[kind]:
                got = found.get((kind, rec["person"], rec["date"]))
                if got is None:
                    missed[kind] += 1
                else:
                    errors[kind].append(
                        abs((got - datetime.fromisoformat(rec[kind])).total_seconds()) / 60
                    )
        for kind, state in (("leave", "not_home"), ("arrive", "home")):
            for t in rec[kind]:
                want = datetime.fromisoformat(t)
                near = [
                    abs((a.ts - want).total_seconds()) / 60
                    for a in person_changes
                    if a.entity_id == rec["person"] and a.state == state
                ]
                best = min(near, default=None)
                if best is None or best > 30:
                    missed[kind] += 1
                else:
                    errors[kind].append(best)
    # Routines vs truth routines (current and superseded ones).
    routine_err = []
    routine_missed = 0
    for t in truth.routines:
        superseded = bool(t.get("valid_to"))
        cands = [
            r
            for r in routines
            if r.kind == t["kind"]
            and r.actor == t["person"]
            and days_set(r.days) & days_set(t["days"])
            and (r.status == "superseded") == superseded
        ]
        errs = [abs(signed_diff(parse_hhmm(r.time), parse_hhmm(t["time"]))) for r in cands]
        if errs and min(errs) <= 15:
            routine_err.append(min(errs))
        else:
            routine_missed += 1
    habits_found = sum(
        any(
            r.kind == "habit"
            and r.entities == [h["entity_id"]]
            and r.detail.get("state") == h["state"]
            and abs(signed_diff(parse_hhmm(r.time), parse_hhmm(h["time"]))) <= 15
            for r in routines
        )
        for h in truth.habits
    )
    seq_found = sum(
        any(s.steps == t["steps"] and s.automated == t["automated"] for s in seqs)
        for t in truth.sequences
    )
    pref_found = sum(
        any(
            p.kind == t["kind"] and p.subject == t["subject"] and p.value == t["value"]
            for p in prefs
        )
        for t in truth.preferences
    )
    change_ok = False
    if truth.change:
        change_ok = any(
            r.kind == truth.change["kind"]
            and r.actor == truth.change["person"]
            and r.status == "superseded"
            and r.valid_to is not None
            and abs((r.valid_to.date() - datetime.fromisoformat(truth.change["date"]).date()).days)
            <= 3
            for r in routines
        )
    return {
        "errors": errors,
        "missed": missed,
        "routine_err": routine_err,
        "routine_missed": routine_missed,
        "routines_truth": len(truth.routines),
        "habits": (habits_found, len(truth.habits)),
        "sequences": (seq_found, len(truth.sequences)),
        "preferences": (pref_found, len(truth.preferences)),
        "change": change_ok,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    for seed in args.seeds:
        r = one(args.days, seed)
        errors, missed = r["errors"], r["missed"]
        assert isinstance(errors, dict)
        assert isinstance(missed, dict)
        parts = []
        for kind, errs in errors.items():
            n = len(errs) + missed[kind]
            med = statistics.median(errs) if errs else float("nan")
            parts.append(f"{kind} {len(errs)}/{n} med {med:.1f} min")
        rerr = r["routine_err"]
        assert isinstance(rerr, list)
        print(
            f"seed {seed} ({args.days} days): "
            + ", ".join(parts)
            + f" | routines {len(rerr)}/{r['routines_truth']} within 15 min"
            f" (median {statistics.median(rerr) if rerr else float('nan'):.1f} min,"
            f" max {max(rerr) if rerr else float('nan'):.1f})"
            f" | habits {r['habits'][0]}/{r['habits'][1]}"  # type: ignore[index]
            f" | sequences {r['sequences'][0]}/{r['sequences'][1]}"  # type: ignore[index]
            f" | preferences {r['preferences'][0]}/{r['preferences'][1]}"  # type: ignore[index]
            f" | change detected {r['change']}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
