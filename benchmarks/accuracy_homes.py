"""Sleep/away/routine accuracy on simulated homes unlike ours (the held-back real homes' kinds).

Each home variant of ``tests.simulator.simulate.HOUSEHOLDS`` (a single office worker, an
elderly resident with night-time toilet trips and naps, a couple with staggered bedtimes, a
night-shift worker, noisy motion sensors, one motion sensor per floor, a cat, long vacations;
and homes whose sensors behave like real hardware: ``real_sensors``, ``couple_mats``,
``contacts_only``, see simulate_quirks.py)
is simulated for each seed, filtered to a sensor subset (``all sensors``, ``no bed/trackers``,
``motion+doors``: the subsets of benchmarks/accuracy_sim.py, and on request ``contacts``: no
motion, presence or bed sensors and no trackers; a subset that removes nothing from a home is
skipped), run through the HA normaliser, ``find_episodes`` and ``mine_routines``
exactly as benchmarks/accuracy_sim.py does, and scored with the same one-to-one matching
(overlap >= half the shorter interval).

Household-level truth (``simulate.household_truth``), as accuracy_sim.py scores the default
three-person home:

* sleep: every resident asleep or out and at least one asleep, >= 60 min; for a couple that is
  the later bedtime to the earlier getting up (toilet trips do not interrupt it). A night-shift
  worker's day sleep after a shift (~08:00-15:00) is their main sleep and is scored as sleep;
  naps (the elderly resident's afternoon nap, a nap before a shift) are neither required nor
  wrong: a detected sleep lying at least half inside a nap is left out before matching.
* away: every resident out, >= 10 min (a vacation is one long absence).
* routines: each household (no actor) ``wake_up``/``go_to_bed`` routine the engine learns, its
  time against the circular mean of the truth's household wake-ups/bedtimes on the routine's
  days (wake-ups filed on their day, bedtimes on the evening 12 h earlier, as in
  accuracy_ordonez.py); the worst of them is shown.

Targets (issue 4) are marked ``!`` when missed: sleep recall >= 0.95, precision >= 0.90,
median bedtime/wake error <= 10 min; absence recall >= 0.90, precision >= 0.85, median
start/end error <= 10 min; routine times within 15 min. Medians are shown with the p90
(``med/p90``); ``--worst N`` lists the worst episodes per row (matched with the largest error,
missed truth, detections matching no truth).

Real homes come first when their data is found (read in place, never copied): Ordóñez A
(``GALATEA_ORDONEZ_DIR``, default ``shared/data/ordonez_a`` next to the repository or its parent)
and van Kasteren house C (``GALATEA_KASTEREN_C_DIR``, default ``shared/data/kasteren2010_c``),
scored against their labels (``Sleeping``/``go-to-bed`` nights, ``Leaving``/``leave-house``
absences of at least 10 min, as the simulator's truth) with the same matching, only detections
overlapping the labelled span counted, labels ending in the recording's last hour left out (only
finished episodes are reported).

    .venv/bin/python benchmarks/accuracy_homes.py [--days 42] [--seeds 1 2 3]
        [--variants elderly couple] [--subsets "motion+doors"] [--real ordonez_a kasteren_c]
        [--real-window 10] [--worst 3] [--json OUT]

``--real-dir FOLDER...`` (or ``GALATEA_REAL_HOMES``) adds further labelled real homes in either
layout (Ordóñez B, van Kasteren A or B, ...), each found by its files and named after its folder.

``--real-window DAYS`` mines each real home on consecutive windows of that many days on their
own (a new user's first weeks; van Kasteren C has two 10-day windows, Ordóñez A one) and pools
them per row, the worst routine over the windows shown.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy_ordonez import circ_diff, circular_mean_minutes, hhmm

# The repository root, for the simulator (tests/simulator) when run as benchmarks/<name>.py.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accuracy_sim import (
    DEFAULT_VARIANTS as DEFAULT_SUBSETS,
)
from accuracy_sim import (
    VARIANTS as SUBSETS,
)
from accuracy_sim import (
    Scored,
    cap_worst,
    figures,
    match_pairs,
    pooled,
    worst,
    worst_text,
)
from galatea_engine.capture.ha_events import HAEventNormalizer, StaticRegistry
from galatea_engine.mining.days import days_set
from galatea_engine.mining.episodes import find_episodes
from galatea_engine.mining.routines import mine_routines

from tests.simulator.simulate import HOUSEHOLDS, household_areas, household_truth, simulate_home

Span = tuple[datetime, datetime]
REPO = Path(__file__).resolve().parent.parent
REAL = {
    "ordonez_a": ("GALATEA_ORDONEZ_DIR", "ordonez_a"),
    "kasteren_c": ("GALATEA_KASTEREN_C_DIR", "kasteren2010_c"),
}

TARGETS = {
    "sleep": {"recall": 0.95, "precision": 0.90, "median": 10.0},
    "away": {"recall": 0.90, "precision": 0.85, "median": 10.0},
    "routine": 15.0,
}


def _inside(found: Span, spans: Sequence[Span]) -> bool:
    length = (found[1] - found[0]).total_seconds()
    return any(
        (min(found[1], b) - max(found[0], a)).total_seconds() >= 0.5 * max(length, 1.0)
        for a, b in spans
    )


def _label_day(kind: str, t: datetime, tz: tzinfo) -> int:
    return _label_date(kind, t, tz).weekday()


def _label_date(kind: str, t: datetime, tz: tzinfo) -> date:
    local = t.astimezone(tz)
    return (local if kind == "wake_up" else local - timedelta(hours=12)).date()


def _valid_on(routine: Any, day: date) -> bool:
    """The routine held on ``day``: a routine that replaced another after a change in the
    home (valid_from) or was replaced (valid_to) is scored on its own weeks only."""
    bounds = []
    for name in ("valid_from", "valid_to"):
        value = getattr(routine, name, None)
        bounds.append(datetime.fromisoformat(value) if isinstance(value, str) else value)
    lo, hi = bounds
    return (lo is None or day >= lo.date()) and (hi is None or day < hi.date())


def routine_errors(
    routines: Sequence[Any],
    truth_sleep: Sequence[Span],
    tz: tzinfo,
    since: datetime | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Per kind, each household routine's time vs the truth's circular mean on its days (of
    the weeks it held, where a change in the home bounds it); sleeps at most 150 min apart
    are one night (back to bed after a sleepless spell). A night that starts within 10 min
    of ``since`` (the recording's first event) was going on when the recording began: its
    start is the recording's, no bedtime (the engine files none for it either)."""
    out: dict[str, list[dict[str, Any]]] = {"wake_up": [], "go_to_bed": []}
    # A night back in bed after a sleepless spell is one bedtime and one getting up.
    nights: list[list[datetime]] = []
    for s, e in sorted(truth_sleep):
        if nights and s - nights[-1][1] <= timedelta(minutes=150):
            nights[-1][1] = max(nights[-1][1], e)
        else:
            nights.append([s, e])
    for kind in out:
        times = [
            (e if kind == "wake_up" else s)
            for s, e in nights
            if kind == "wake_up" or since is None or s > since + timedelta(minutes=10)
        ]
        for r in routines:
            if r.kind != kind or r.actor is not None:
                continue
            days = set(days_set(r.days))
            same = [
                t
                for t in times
                if _label_day(kind, t, tz) in days and _valid_on(r, _label_date(kind, t, tz))
            ]
            if not same:
                continue
            h, m = map(int, r.time.split(":"))
            want = circular_mean_minutes(same, tz)
            out[kind].append(
                {
                    "days": sorted(days),
                    "time": r.time,
                    "truth": hhmm(want),
                    "support_days": r.support_days,
                    "error": round(circ_diff(h * 60 + m, want), 1),
                }
            )
    return out


# Score what ``galatea replay`` reports (the engine's loop: the history in chunks, then the
# last day incrementally) instead of one ``find_episodes`` over the whole span (--replay).
REPLAY = {"on": False}


def _mined(
    raw: list[dict[str, Any]], areas: dict[str, Any], tz: tzinfo
) -> tuple[list[Any], list[Any], datetime]:
    """Episodes, routines and the last activity's time of one home's events."""
    if not REPLAY["on"]:
        normalizer = HAEventNormalizer(registry=StaticRegistry.from_areas_file(areas))
        acts = [a.with_id(i + 1) for i, a in enumerate(normalizer.normalize_many(raw))]
        eps = find_episodes(acts, tz)
        return eps, mine_routines(acts, eps, tz), acts[-1].ts
    from galatea_engine import cli

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with (folder / "events.jsonl").open("w") as f:
            for ev in raw:
                f.write(json.dumps(ev, default=str) + "\n")
        (folder / "areas.json").write_text(json.dumps(areas))
        argv = ["replay", str(folder / "events.jsonl"), "--db", str(folder / "g.db")]
        argv += ["--areas", str(folder / "areas.json"), "--json", str(folder / "out.json")]
        with contextlib.redirect_stdout(io.StringIO()):
            cli.main([*argv, "--tz", str(tz)])
        out = json.loads((folder / "out.json").read_text())

    def when(text: str) -> datetime:
        return datetime.fromisoformat(text)

    eps = [
        SimpleNamespace(**{**e, "start": when(e["start"]), "end": when(e["end"])})
        for e in out["episodes"]
    ]
    routines = [SimpleNamespace(**r) for r in out["routines"]]
    last = max(when(str(e["time_fired"])) for e in raw if e.get("time_fired"))
    return eps, routines, last


def _as_motion(ev: dict[str, Any]) -> dict[str, Any]:
    """``ev`` as a motion sensor's, when it is a PIR (``*_motion``) reporting occupancy."""
    data = ev.get("data") or {}
    if not str(data.get("entity_id", "")).endswith("_motion"):
        return ev
    states = {
        k: {**st, "attributes": {**(st.get("attributes") or {}), "device_class": "motion"}}
        for k in ("new_state", "old_state")
        if isinstance(st := data.get(k), dict)
    }
    return {**ev, "data": {**data, **states}}


def run(variant: str, subset: str, days: int, seed: int) -> dict[str, Any] | None:
    """One home, one seed, one sensor subset; ``None`` when the subset removes nothing."""
    raw, truth = simulate_home(days, seed, household=variant)
    tz = ZoneInfo(truth.tz)
    keep = SUBSETS[subset]
    if "occupancy_pirs" in HOUSEHOLDS[variant].quirks:
        # The subsets pick sensors by what they are: this home's PIRs report "occupancy".
        kept = [e for e in raw if keep(_as_motion(e))]
    else:
        kept = [e for e in raw if keep(e)]
    if subset != "all sensors" and len(kept) == len(raw):
        return None
    eps, routines, _last = _mined(kept, household_areas(variant), tz)
    home = [e for e in eps if e.detail.get("scope") == "home"]
    ht = household_truth(truth)
    sleep = [(e.start, e.end) for e in home if e.kind == "sleep"]
    sleep = [s for s in sleep if not _inside(s, ht["nap"])]
    away = [(e.start, e.end) for e in home if e.kind == "away"]
    persons: dict[str, dict[str, Scored]] = {}
    for person in (truth.household or {}).get("residents", []):
        mine = [e for e in eps if e.detail.get("scope") == "person" and e.actor == person]
        if not mine:
            continue  # the engine cannot tell people apart with these sensors
        naps = [
            (datetime.fromisoformat(x["start"]), datetime.fromisoformat(x["end"]))
            for x in truth.sleeps
            if x["person"] == person and x["kind"] in ("nap", "pre")
        ]
        want_sleep = [
            (datetime.fromisoformat(x["start"]), datetime.fromisoformat(x["end"]))
            for x in truth.sleeps
            if x["person"] == person and x["kind"] in ("main", "day")
        ]
        want_away = [
            (datetime.fromisoformat(x["start"]), datetime.fromisoformat(x["end"]))
            for x in truth.absences
            if x["person"] == person
        ]
        got_sleep = [(e.start, e.end) for e in mine if e.kind == "sleep"]
        persons[person] = {
            "sleep": match_pairs(want_sleep, [x for x in got_sleep if not _inside(x, naps)]),
            "away": match_pairs(want_away, [(e.start, e.end) for e in mine if e.kind == "away"]),
        }
    return {
        "tz": tz,
        "sleep": match_pairs(ht["sleep"], sleep),
        "away": match_pairs(ht["away"], away),
        "routines": routine_errors(routines, ht["sleep"], tz, _fired(kept[0])),
        "persons": persons,
    }


def real_folder(name: str) -> Path | None:
    """Where a real home's data is: its environment variable, else ``shared/data`` found next
    to the repository or one level up; None when absent."""
    env, sub = REAL[name]
    if os.environ.get(env):
        folder = Path(os.environ[env])
        return folder if folder.is_dir() else None
    for base in (REPO.parent, REPO.parent.parent):
        folder = base / "shared" / "data" / sub
        if folder.is_dir():
            return folder
    return None


def _fired(ev: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(ev["time_fired"]))


def real_windows(name: str, folder: Path, days: int) -> list[tuple[datetime, datetime]]:
    """The real home's recording cut into consecutive ``days``-day windows (a shorter rest is
    left out): the first weeks of homes like it, each as a new user's home would be mined."""
    raw, _ = _loader(name, folder).load_sensors(folder)
    first, last = _fired(raw[0]), _fired(raw[-1])
    out: list[tuple[datetime, datetime]] = []
    while first + timedelta(days=days) <= last + timedelta(hours=1):
        out.append((first, first + timedelta(days=days)))
        first += timedelta(days=days)
    return out


def _loader(name: str, folder: Path | None = None) -> Any:
    """The reader of a real home's files: Ordóñez's layout or van Kasteren's, by its files."""
    import kasteren
    import ordonez

    if folder is not None:
        return kasteren if kasteren.is_house(folder) else ordonez
    return ordonez if name == "ordonez_a" else kasteren


def extra_real_homes(paths: Sequence[str]) -> list[tuple[str, Path]]:
    """Further real homes (``--real-dir`` or ``GALATEA_REAL_HOMES``, separated by the path
    separator), each a folder in Ordóñez's or van Kasteren's layout, named after the folder."""
    out: list[tuple[str, Path]] = []
    for text in paths:
        folder = Path(text)
        if folder.is_dir():
            out.append((folder.name, folder))
        else:
            print(f"{text}: not a folder")
    return out


def run_real(
    name: str,
    folder: Path,
    subset: str = "all sensors",
    window: tuple[datetime, datetime] | None = None,
) -> dict[str, Any]:
    """One real home scored against its labels (see the module docstring), on the sensors
    ``subset`` keeps (the sensor sets of other real homes, from the same labelled life); with
    ``window``, only its events, labels and episodes between those times."""
    loader = _loader(name, folder)
    if loader.__name__ == "ordonez":
        sleep_label, away_label = "Sleeping", "Leaving"
        tz: tzinfo = ZoneInfo("Europe/Madrid")
    else:
        sleep_label, away_label = "go-to-bed", "leave-house"
        tz = ZoneInfo("Europe/Amsterdam")
    raw, areas = loader.load_sensors(folder)
    raw = [e for e in raw if SUBSETS[subset](e)]
    labels = loader.load_labels(folder)
    if window is not None:
        raw = [e for e in raw if window[0] <= _fired(e) < window[1]]
        labels = [lab for lab in labels if lab.start >= window[0] and lab.end <= window[1]]
    eps, routines, last = _mined(raw, areas, tz)
    lo, hi = labels[0].start, max(lab.end for lab in labels)
    # Only finished episodes are reported: a label still going on an hour before the data ends
    # (the last night, when the recording stopped at the wake-up) cannot be matched.
    data_end = last - timedelta(hours=1)
    labels = [lab for lab in labels if lab.end <= data_end]
    home = [e for e in eps if e.detail.get("scope") == "home" and e.end > lo and e.start < hi]
    truth_sleep = [(lab.start, lab.end) for lab in labels if lab.activity == sleep_label]
    # Absences as the simulator's truth defines them: at least 10 min (a resident stepping out
    # for a minute is not an absence the targets ask for).
    truth_away = [
        (lab.start, lab.end)
        for lab in labels
        if lab.activity == away_label and lab.end - lab.start >= timedelta(minutes=10)
    ]
    return {
        "tz": tz,
        "sleep": match_pairs(truth_sleep, [(e.start, e.end) for e in home if e.kind == "sleep"]),
        "away": match_pairs(truth_away, [(e.start, e.end) for e in home if e.kind == "away"]),
        "routines": routine_errors(routines, truth_sleep, tz, _fired(raw[0])),
        "persons": {},
    }


def _cell(value: float | None, fmt: str, bad: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return fmt.format(value) + ("!" if bad else " ")


def _med_p90(fig: dict[str, Any], name: str, target: float) -> str:
    med, p90 = fig[f"{name}_median"], fig[f"{name}_p90"]
    if med is None:
        return "n/a"
    return f"{med:.0f}/{p90:.0f}" + ("!" if med > target else " ")


def row_text(label: str, entry: dict[str, Any], width: int = 34) -> str:
    """One table row: ``label`` then the sleep, away and (if any) routine cells."""
    s, a = entry["sleep"], entry["away"]
    ts, ta = TARGETS["sleep"], TARGETS["away"]
    cells = [
        _cell(s["recall"], "{:.2f}", (s["recall"] or 0) < ts["recall"]),
        _cell(s["precision"], "{:.2f}", (s["precision"] or 0) < ts["precision"]),
        _med_p90(s, "start", ts["median"]),
        _med_p90(s, "end", ts["median"]),
        f"{s['matched']}/{s['labels']}/{s['detected']}",
        _cell(a["recall"], "{:.2f}", (a["recall"] or 0) < ta["recall"]),
        _cell(a["precision"], "{:.2f}", (a["precision"] or 0) < ta["precision"]),
        _med_p90(a, "start", ta["median"]),
        _med_p90(a, "end", ta["median"]),
        f"{a['matched']}/{a['labels']}/{a['detected']}",
    ]
    for kind in ("wake_up", "go_to_bed"):
        if kind not in entry["routine_worst"]:
            continue
        worst_err = entry["routine_worst"][kind]
        cells.append("none!" if worst_err is None else _cell(worst_err, "{:.0f}", worst_err > 15))
    return f"{label:<{width}}" + "".join(c.rjust(w) for c, w in zip(cells, WIDTHS, strict=False))


WIDTHS = (6, 6, 9, 10, 12, 6, 6, 9, 9, 12, 6, 6)
COLUMNS = (
    "sl.R",
    "sl.P",
    "bed m/90",
    "wake m/90",
    "m/truth/det",
    "aw.R",
    "aw.P",
    "beg m/90",
    "end m/90",
    "m/truth/det",
    "rt.wk",
    "rt.bd",
)


def header(label: str, width: int = 34, routines: bool = True) -> str:
    n = len(COLUMNS) if routines else len(COLUMNS) - 2
    return f"{label:<{width}}" + "".join(
        c.rjust(w) for c, w in zip(COLUMNS[:n], WIDTHS, strict=False)
    )


def engine_state() -> str:
    """The engine measured: HEAD and any uncommitted change to the miners (others edit them)."""
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--short", "--", "custom_components/galatea/engine"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    changed = [Path(x).name for x in dirty if x.endswith(".py")]
    return head + (f" + uncommitted {', '.join(changed)}" if changed else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--variants", nargs="+", default=list(HOUSEHOLDS), choices=HOUSEHOLDS)
    parser.add_argument(
        "--subsets", nargs="+", default=DEFAULT_SUBSETS, choices=SUBSETS
    )
    parser.add_argument("--real", nargs="*", default=list(REAL), choices=REAL)
    parser.add_argument(
        "--real-subsets",
        nargs="+",
        default=["all sensors"],
        choices=SUBSETS,
        help="sensor subsets the real homes also run on (their other homes' sensor sets)",
    )
    parser.add_argument(
        "--real-window",
        type=int,
        default=0,
        metavar="DAYS",
        help="score the real homes on consecutive windows of DAYS days, each mined on its own"
        " (a new user's first weeks), pooled per row; 0: the whole recording",
    )
    parser.add_argument(
        "--real-dir",
        nargs="*",
        default=[p for p in os.environ.get("GALATEA_REAL_HOMES", "").split(os.pathsep) if p],
        metavar="FOLDER",
        help="further real homes in Ordóñez's or van Kasteren's layout (default:"
        " GALATEA_REAL_HOMES, separated by the path separator)",
    )
    parser.add_argument("--worst", type=int, default=3, help="worst episodes listed per row")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument(
        "--replay",
        action="store_true",
        help="score what `galatea replay` reports (slower): the engine's loop, as users and"
        " the held-back homes run it",
    )
    args = parser.parse_args(argv)
    REPLAY["on"] = args.replay
    t0 = time.perf_counter()
    state = engine_state()
    report: dict[str, Any] = {
        "days": args.days,
        "seeds": args.seeds,
        "real_window": args.real_window,
        "engine": state,
        "rows": [],
    }
    windows = f"; real homes in {args.real_window}-day windows" if args.real_window else ""
    print(f"engine {state}; {args.days} days x seeds {args.seeds}{windows}")
    print(header("variant / sensors"), flush=True)
    homes: list[tuple[str, str]] = []
    for name in args.real:
        folder = real_folder(name)
        if folder is None:
            print(f"{name}: data not found (set {REAL[name][0]})")
        else:
            homes += [(f"real:{name}", f"{sub}@{folder}") for sub in args.real_subsets]
    for name, folder in extra_real_homes(args.real_dir):
        homes += [(f"real:{name}", f"{sub}@{folder}") for sub in args.real_subsets]
    homes += [(variant, subset) for variant in args.variants for subset in args.subsets]
    for variant, subset in homes:
        if variant.startswith("real:"):
            subset, folder_text = subset.split("@", 1)
            name, folder = variant[5:], Path(folder_text)
            if args.real_window:
                windows = real_windows(name, folder, args.real_window)
                runs = [(k, run_real(name, folder, subset, w)) for k, w in enumerate(windows)]
            else:
                runs = [(0, run_real(name, folder, subset))]
        else:
            runs = [(seed, run(variant, subset, args.days, seed)) for seed in args.seeds]
        done = [(seed, r) for seed, r in runs if r is not None]
        if not done:
            continue
        entry: dict[str, Any] = {"variant": variant, "subset": subset, "per_seed": []}
        worst_rows: dict[str, list[dict[str, Any]]] = {"sleep": [], "away": []}
        routine_all: dict[str, list[dict[str, Any]]] = {"wake_up": [], "go_to_bed": []}
        for seed, r in done:
            entry["per_seed"].append(
                {
                    "seed": seed,
                    "sleep": figures(r["sleep"]),
                    "away": figures(r["away"]),
                    "routines": r["routines"],
                }
            )
            for kind in ("sleep", "away"):
                worst_rows[kind] += [
                    {"seed": seed, **w} for w in worst(r[kind], r["tz"], args.worst)
                ]
            for kind, rs in r["routines"].items():
                routine_all[kind] += [{"seed": seed, **x} for x in rs]
        for kind in ("sleep", "away"):
            both: list[Scored] = [r[kind] for _, r in done]
            entry[kind] = figures(pooled(both))
            entry[f"{kind}_worst"] = cap_worst(worst_rows[kind], args.worst)
        entry["routines"] = routine_all
        people = sorted({p for _, r in done for p in r["persons"]})
        entry["persons"] = {
            p: {
                kind: figures(pooled([r["persons"][p][kind] for _, r in done if p in r["persons"]]))
                for kind in ("sleep", "away")
            }
            for p in people
        }
        entry["routine_worst"] = {
            kind: max((x["error"] for x in rs), default=None) for kind, rs in routine_all.items()
        }
        entry["routine_median"] = {
            kind: statistics.median([x["error"] for x in rs]) if rs else None
            for kind, rs in routine_all.items()
        }
        report["rows"].append(entry)
        print(row_text(f"{variant} / {subset}", entry), flush=True)
    print(f"\n({time.perf_counter() - t0:.0f} s; sl = household sleep, aw = everyone away;")
    print(" m/90 = median/p90 abs error in min; m/truth/det = matched/truth/detected;")
    print(" rt.wk/rt.bd = worst household wake_up/go_to_bed routine error, min; ! = target missed)")
    person_rows = [
        (entry, p, fig) for entry in report["rows"] for p, fig in entry["persons"].items()
    ]
    if person_rows:
        print("\nPer person (the engine's person-scoped episodes vs that person's own truth):")
        print(header("variant / sensors / person", 40, routines=False))
        for entry, p, fig in person_rows:
            name = f"{entry['variant']} / {entry['subset']} / {p.split('.', 1)[1]}"
            print(row_text(name, {**fig, "routine_worst": {}}, 40))
    if args.worst:
        print("\nWorst episodes (seed, truth vs found, signed errors found - truth):")
        for entry in report["rows"]:
            for kind in ("sleep", "away"):
                rows = entry[f"{kind}_worst"]
                if not rows:
                    continue
                print(f"{entry['variant']} / {entry['subset']} / {kind}:")
                for w, text in zip(rows, worst_text(rows), strict=True):
                    print(f"  s{w['seed']}{text}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
