"""Sleep/away accuracy on the simulated home with sensors removed (homes unlike Ordóñez A).

Many real homes are CASAS-like: motion sensors and door contacts, no bed pressure mat, no
person trackers, sometimes a pet. This runs the simulator (tests.simulator.simulate: three
people, a cat, guests, dropouts) through the HA normaliser and ``find_episodes`` with sensors
filtered out, and scores home-level sleep and away episodes against the ground truth with the
same metrics and matching as benchmarks/accuracy_ordonez.py:

* sleep truth per night: last person to bed -> first person up among those who slept at home;
* away truth: every person out (from the truth's leave/arrive times).

Variants: ``all sensors``; ``no bed/trackers`` (bed mats, phone chargers, person and
device_tracker entities removed); ``motion+doors`` (only motion and door binary sensors).

Besides the medians it prints the p90 and max of the bedtime/wake and absence start/end errors
(medians hide the 60-90 min misses) and the worst episodes per variant: matched ones with the
largest error, truth the engine missed and detections matching no truth, each as
``date truth HH:MM-HH:MM found HH:MM-HH:MM``. ``--json OUT`` writes every figure and those lists.

    .venv/bin/python benchmarks/accuracy_sim.py [--days 42] [--seeds 1 2 3] [--worst 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy_ordonez import Score

# The repository root, for the simulator (tests/simulator) when run as benchmarks/<name>.py.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from galatea_engine.capture.ha_events import HAEventNormalizer, StaticRegistry
from galatea_engine.mining.episodes import find_episodes

from tests.simulator.simulate import GroundTruth, home_areas, simulate_home

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
    if ent.startswith("cover."):  # a garage door or gate opener is a door too
        return _device_class(ev) in ("garage", "gate", "door")
    return ent.startswith("binary_sensor.") and _device_class(ev) in ("motion", "door")


def contacts(ev: dict[str, Any]) -> bool:
    """No motion, presence or bed sensors and no trackers: contacts, flushes, appliances."""
    ent = _entity(ev)
    if ent.startswith(("person.", "device_tracker.")):
        return False
    return not (
        ent.startswith("binary_sensor.")
        and _device_class(ev) in ("motion", "occupancy", "presence", "plug")
    )


VARIANTS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "all sensors": keep_all,
    "no bed/trackers": no_bed_trackers,
    "motion+doors": motion_doors,
    "contacts": contacts,
}
# The subsets run unless others are asked for; ``contacts`` (a home with neither motion nor bed
# sensors, like van Kasteren's house A) is opt-in.
DEFAULT_VARIANTS = ["all sensors", "no bed/trackers", "motion+doors"]


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


@dataclass(slots=True)
class Scored:
    """A ``Score`` plus what it was made of: matched (truth, found) pairs, misses, extras."""

    score: Score
    pairs: list[tuple[Span, Span]] = field(default_factory=list)
    missed: list[Span] = field(default_factory=list)
    extra: list[Span] = field(default_factory=list)


def match_pairs(truth: Sequence[Span], found: Sequence[Span]) -> Scored:
    """``accuracy_ordonez.match`` (one-to-one, overlap >= half the shorter interval, greedy by
    overlap) keeping the pairs, the missed truth and the unmatched detections."""
    cand: list[tuple[float, int, int]] = []
    for i, (a0, a1) in enumerate(truth):
        for j, (b0, b1) in enumerate(found):
            ov = (min(a1, b1) - max(a0, b0)).total_seconds()
            shorter = min((a1 - a0).total_seconds(), (b1 - b0).total_seconds())
            if ov > 0 and ov >= 0.5 * max(shorter, 1.0):
                cand.append((ov, i, j))
    cand.sort(reverse=True)
    used_i: dict[int, int] = {}
    used_j: set[int] = set()
    for _, i, j in cand:
        if i in used_i or j in used_j:
            continue
        used_i[i] = j
        used_j.add(j)
    pairs = [(truth[i], found[j]) for i, j in used_i.items()]
    score = Score(
        len(truth),
        len(found),
        len(used_i),
        [abs((f[0] - t[0]).total_seconds()) / 60 for t, f in pairs],
        [abs((f[1] - t[1]).total_seconds()) / 60 for t, f in pairs],
    )
    return Scored(
        score,
        sorted(pairs),
        [t for i, t in enumerate(truth) if i not in used_i],
        [f for j, f in enumerate(found) if j not in used_j],
    )


def pooled(parts: Sequence[Scored]) -> Scored:
    return Scored(
        Score(
            sum(p.score.labels for p in parts),
            sum(p.score.detected for p in parts),
            sum(p.score.matched for p in parts),
            [x for p in parts for x in p.score.start_err_min],
            [x for p in parts for x in p.score.end_err_min],
        ),
        [x for p in parts for x in p.pairs],
        [x for p in parts for x in p.missed],
        [x for p in parts for x in p.extra],
    )


def pct(xs: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); nan when empty."""
    if not xs:
        return float("nan")
    ordered = sorted(xs)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def figures(s: Scored) -> dict[str, Any]:
    """Every number of a (pooled) score, nan as None, for tables and ``--json``."""

    def num(x: float) -> float | None:
        return None if math.isnan(x) else round(x, 3)

    sc = s.score
    out: dict[str, Any] = {
        "labels": sc.labels,
        "detected": sc.detected,
        "matched": sc.matched,
        "recall": num(sc.recall),
        "precision": num(sc.precision),
    }
    for name, errs in (("start", sc.start_err_min), ("end", sc.end_err_min)):
        out[f"{name}_median"] = num(statistics.median(errs) if errs else float("nan"))
        out[f"{name}_p90"] = num(pct(errs, 90))
        out[f"{name}_max"] = num(max(errs) if errs else float("nan"))
    return out


def _hm(t: datetime, tz: tzinfo) -> str:
    return t.astimezone(tz).strftime("%a %m-%d %H:%M")


def span_text(span: Span | None, tz: tzinfo) -> str:
    return "-" if span is None else f"{_hm(span[0], tz)} -> {_hm(span[1], tz)}"


def worst(s: Scored, tz: tzinfo, n: int) -> list[dict[str, Any]]:
    """The ``n`` worst matched episodes (largest start or end error) and every miss and extra,
    capped at ``n`` each: ``{"what", "date", "truth", "found", "start_err", "end_err"}`` with
    signed errors (found minus truth, minutes)."""
    rows: list[dict[str, Any]] = []

    def row(what: str, t: Span | None, f: Span | None) -> dict[str, Any]:
        anchor = (t or f or (datetime.now(tz), datetime.now(tz)))[0]
        out: dict[str, Any] = {
            "what": what,
            "date": anchor.astimezone(tz).date().isoformat(),
            "truth": span_text(t, tz),
            "found": span_text(f, tz),
        }
        if t is not None and f is not None:
            out["start_err"] = round((f[0] - t[0]).total_seconds() / 60, 1)
            out["end_err"] = round((f[1] - t[1]).total_seconds() / 60, 1)
        return out

    def err(p: tuple[Span, Span]) -> float:
        t, f = p
        return max(abs((f[0] - t[0]).total_seconds()), abs((f[1] - t[1]).total_seconds()))

    bad = sorted(s.pairs, key=err, reverse=True)[:n]
    rows += [row("error", t, f) for t, f in bad if err((t, f)) >= 600]
    for t in s.missed[:n]:  # a detection overlapping the missed truth (too short / too long)
        near = [f for f in s.extra if f[1] > t[0] and f[0] < t[1]]
        rows.append(row("missed", t, near[0] if near else None))
    rows += [row("extra", None, f) for f in s.extra[:n]]
    return rows


def cap_worst(rows: Sequence[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """At most ``n`` rows of each kind (error, missed, extra), the largest errors first."""
    out: list[dict[str, Any]] = []
    for what in ("error", "missed", "extra"):
        group = [r for r in rows if r["what"] == what]
        if what == "error":
            group.sort(key=lambda r: -max(abs(r["start_err"]), abs(r["end_err"])))
        out += group[:n]
    return out


def worst_text(rows: Sequence[dict[str, Any]]) -> list[str]:
    out = []
    for r in rows:
        errs = (
            f"  (start {r['start_err']:+.0f}, end {r['end_err']:+.0f} min)"
            if "start_err" in r
            else ""
        )
        out.append(f"  {r['what']:<6} truth {r['truth']:<31} found {r['found']}{errs}")
    return out


def run_scored(
    days: int, seed: int, keep: Callable[[dict[str, Any]], bool]
) -> tuple[Scored, Scored, tzinfo]:
    raw, truth = simulate_home(days, seed)
    tz = ZoneInfo(truth.tz)
    normalizer = HAEventNormalizer(registry=StaticRegistry.from_areas_file(home_areas()))
    kept = [e for e in raw if keep(e)]
    acts = [a.with_id(i + 1) for i, a in enumerate(normalizer.normalize_many(kept))]
    eps = find_episodes(acts, tz)
    home = [e for e in eps if e.detail.get("scope") == "home"]
    sleep = [(e.start, e.end) for e in home if e.kind == "sleep"]
    away = [(e.start, e.end) for e in home if e.kind == "away"]
    return match_pairs(truth_sleep(truth), sleep), match_pairs(truth_away(truth), away), tz


def run(days: int, seed: int, keep: Callable[[dict[str, Any]], bool]) -> tuple[Score, Score]:
    sleep, away, _ = run_scored(days, seed, keep)
    return sleep.score, away.score


def _fmt(name: str, s: Score) -> str:
    return (
        f"{name} recall {s.matched}/{s.labels} {s.recall:.3f}"
        f" precision {s.matched}/{s.detected} {s.precision:.3f}"
        f" median start {s.start_med:.1f} end {s.end_med:.1f} min"
    )


def _tails(s: Score) -> str:
    return (
        f"    p90 start {pct(s.start_err_min, 90):.1f} end {pct(s.end_err_min, 90):.1f} min,"
        f" max start {max(s.start_err_min, default=float('nan')):.1f}"
        f" end {max(s.end_err_min, default=float('nan')):.1f} min"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument(
        "--variants", nargs="+", default=DEFAULT_VARIANTS, choices=list(VARIANTS)
    )
    parser.add_argument("--worst", type=int, default=5, help="worst episodes listed per kind")
    parser.add_argument("--json", type=Path, help="write all figures here")
    args = parser.parse_args()
    report: dict[str, Any] = {"days": args.days, "seeds": args.seeds, "variants": {}}
    for variant in args.variants:
        totals: dict[str, list[Scored]] = {"sleep": [], "away": []}
        worst_rows: dict[str, list[dict[str, Any]]] = {"sleep": [], "away": []}
        per_seed: list[dict[str, Any]] = []
        for seed in args.seeds:
            sleep, away, tz = run_scored(args.days, seed, VARIANTS[variant])
            totals["sleep"].append(sleep)
            totals["away"].append(away)
            per_seed.append({"seed": seed, "sleep": figures(sleep), "away": figures(away)})
            for kind, sc in (("sleep", sleep), ("away", away)):
                for r in worst(sc, tz, args.worst):
                    worst_rows[kind].append({"seed": seed, **r})
            print(
                f"{variant} seed {seed}: {_fmt('sleep', sleep.score)} | {_fmt('away', away.score)}"
            )
        entry: dict[str, Any] = {"per_seed": per_seed}
        for kind, scores in totals.items():
            all_ = pooled(scores)
            entry[kind] = figures(all_)
            print(f"{variant} ALL {_fmt(kind, all_.score)}", flush=True)
            print(_tails(all_.score))
            rows = cap_worst(worst_rows[kind], args.worst)
            entry[f"{kind}_worst"] = rows
            if rows:
                print(f"  worst {kind} (seed, truth vs found):")
                for r, line in zip(rows, worst_text(rows), strict=True):
                    print(f"  s{r['seed']}{line}")
        report["variants"][variant] = entry
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
