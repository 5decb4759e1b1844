"""Mining speed: a simulated home of 300 entities over 30, 90 and 365 days.

For each size a child process (so peak memory is per size) streams the simulated home through
the HA normaliser into a fresh SQLite store, runs the engine end to end (``run_once(full=True)``:
all episodes, routines, sequences, preferences, one transaction), then folds the last two
hours of that day in (``run_once()``: a run between two of the same day, as every few minutes
in a live home) and then one more day (``run_once()``: the first run of a new day, the
heavier one). Printed per size: HA events, activity rows, ingest time, mining wall and CPU
time, peak RSS of the child, same-day and new-day incremental times with CPU per stage; then
growth ratios between sizes (time ratio / size ratio: 1.0 is linear).

Targets (issue 18, on 2 cores): a new day < 1 s CPU at 2,000 entities; 365 days x 2,000
entities < 60 s wall and < 1 GB; 3 years x 300 entities < 60 s; near-linear growth.

    .venv/bin/python benchmarks/mining.py [--sizes 30 90 365] [--entities 300]
        [--db-url postgresql+psycopg://...]

``--db-url``: a PostgreSQL database instead of a SQLite file (EMPTIED first, for each size:
use a throwaway one, ``scripts/services/postgres.sh start``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

# The repository root, for the simulator (tests/simulator) when run as benchmarks/mining.py.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TZ = "Europe/Berlin"
START = date(2026, 1, 5)


def _instrument() -> dict[str, float]:
    """CPU seconds per stage of the next engine runs (wraps the loop's collaborators)."""
    from galatea_engine import loop
    from galatea_engine.store import UnitOfWork

    spent: dict[str, float] = {}

    def wrap(owner: object, name: str, label: str) -> None:
        fn = getattr(owner, name)

        def timed(*args: object, **kwargs: object) -> object:
            t = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - t

        setattr(owner, name, timed)

    for name in ("find_episodes", "mine_routines", "mine_sequences", "mine_preferences"):
        wrap(loop, name, name)
    wrap(loop.Engine, "_incremental", "read new activity + episodes")
    wrap(loop.Engine, "_full_scan", "read log + episodes")
    wrap(loop.Engine, "_form_memories", "memory formation")
    for name in ("replace_episodes", "upsert_routines", "replace_sequences", "replace_preferences"):
        wrap(UnitOfWork, name, "store writes")
    return spent


def _reset(url: str) -> None:
    """Empty a PostgreSQL database (drop and recreate its public schema)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def child(
    days: int, entities: int, sessions: bool, memories: bool = True, db_url: str | None = None
) -> dict[str, float]:
    from galatea_engine.capture.ha_events import HAEventNormalizer, StaticRegistry
    from galatea_engine.loop import Engine, EngineOptions
    from galatea_engine.mining.episodes import EpisodeOptions
    from galatea_engine.store import ActivityStore, StoreSettings

    from tests.simulator.simulate import home_areas, iter_home_events

    tz = ZoneInfo(TZ)
    normalizer = HAEventNormalizer(registry=StaticRegistry.from_areas_file(home_areas(entities)))
    last_day = START + timedelta(days=days)  # held back: the incremental day
    # ... and the last two hours before it (a same-day incremental run)
    tail_from = datetime.combine(last_day, dtime(0), tzinfo=tz) - timedelta(hours=2)
    tmp = tempfile.mkdtemp(prefix="galatea-bench-")
    if db_url:
        _reset(db_url)
        store = ActivityStore(db_url, settings=StoreSettings(blob_dir=Path(tmp) / "blobs"))
    else:
        store = ActivityStore(path=Path(tmp) / "galatea.db")
    raw = stored = 0
    held: list = []
    tail: list = []
    batch: list = []
    t0 = time.perf_counter()
    for event in iter_home_events(days + 1, 7, start=START, tz=TZ, n_entities=entities):
        raw += 1
        act = normalizer.normalize(event)
        if act is None:
            continue
        if act.ts.astimezone(tz).date() >= last_day:
            held.append(act)
            continue
        if act.ts >= tail_from:
            tail.append(act)
            continue
        batch.append(act)
        if len(batch) >= 20_000:
            stored += len(store.add_events(batch))
            batch = []
    stored += len(store.add_events(batch))
    ingest_s = time.perf_counter() - t0

    kinds = frozenset({"sleep", "away", "session"} if sessions else {"sleep", "away"})
    # The simulated year may run past today: trust its times (the engine ignores rows from
    # the future by default), so the figures do not depend on the day the benchmark runs.
    engine = Engine(store, tz, EngineOptions(
        episodes=EpisodeOptions(kinds=kinds), form_memories=memories,
        trust_until=datetime.max.replace(tzinfo=UTC)))
    breakdown = _instrument()
    w0, c0 = time.perf_counter(), time.process_time()
    summary = engine.run_once(full=True)
    full_breakdown = dict(breakdown)
    breakdown.clear()
    mine_wall, mine_cpu = time.perf_counter() - w0, time.process_time() - c0
    rss_after_mining = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    store.add_events(tail)
    w1, c1 = time.perf_counter(), time.process_time()
    same = engine.run_once()
    same_wall, same_cpu = time.perf_counter() - w1, time.process_time() - c1
    same_breakdown = dict(breakdown)
    breakdown.clear()

    store.add_events(held)
    w1, c1 = time.perf_counter(), time.process_time()
    inc = engine.run_once()
    inc_wall, inc_cpu = time.perf_counter() - w1, time.process_time() - c1
    store.stop()
    return {
        "days": days,
        "raw_events": raw,
        "activities": stored,
        "ingest_s": ingest_s,
        "mine_wall_s": mine_wall,
        "mine_cpu_s": mine_cpu,
        "episodes": summary.episodes,
        "routines": summary.routines,
        "sequences": summary.sequences,
        "preferences": summary.preferences,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_mining_mb": rss_after_mining,
        "inc_events": inc.new_activity,
        "inc_wall_s": inc_wall,
        "inc_cpu_s": inc_cpu,
        "inc_breakdown": {k: round(v, 3) for k, v in breakdown.items()},
        "same_events": same.new_activity,
        "same_wall_s": same_wall,
        "same_cpu_s": same_cpu,
        "same_breakdown": {k: round(v, 3) for k, v in same_breakdown.items()},
        "full_breakdown": {k: round(v, 3) for k, v in full_breakdown.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 90, 365])
    parser.add_argument("--entities", type=int, default=300)
    parser.add_argument(
        "--no-sessions",
        action="store_true",
        help="leave activity sessions out (sleep/away episodes only)",
    )
    parser.add_argument(
        "--no-memories", action="store_true", help="leave memory formation (after each commit) out"
    )
    parser.add_argument(
        "--db-url", help="a PostgreSQL URL to mine in instead of SQLite (the database is emptied)"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(
            json.dumps(
                child(
                    args.child, args.entities, not args.no_sessions, not args.no_memories,
                    args.db_url,
                )
            )
        )
        return 0
    rows = []
    print(f"database: {'PostgreSQL' if args.db_url else 'SQLite'}, {args.entities} entities")
    for days in args.sizes:
        cmd = [sys.executable, __file__, "--child", str(days), "--entities", str(args.entities)]
        if args.no_sessions:
            cmd.append("--no-sessions")
        if args.no_memories:
            cmd.append("--no-memories")
        if args.db_url:
            cmd += ["--db-url", args.db_url]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return 1
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{days:>4} days: {row['raw_events']:>9,} HA events"
            f" -> {row['activities']:>8,} activities"
            f" | ingest {row['ingest_s']:6.1f} s | mine {row['mine_wall_s']:6.1f} s wall"
            f" {row['mine_cpu_s']:6.1f} s CPU | peak {row['peak_rss_mb']:6.0f} MB"
            f" | +2 h same day ({row['same_events']} events) {row['same_wall_s']:.2f} s wall"
            f" {row['same_cpu_s']:.2f} s CPU"
            f" | +1 day ({row['inc_events']} events) {row['inc_wall_s']:.2f} s wall"
            f" {row['inc_cpu_s']:.2f} s CPU"
            f" | {row['episodes']} episodes, {row['routines']} routines,"
            f" {row['sequences']} sequences, {row['preferences']} preferences",
            flush=True,
        )
        if row.get("full_breakdown"):
            parts = ", ".join(f"{k} {v:.2f}" for k, v in row["full_breakdown"].items())
            print(f"      full run CPU by stage (s): {parts}", flush=True)
        if row.get("same_breakdown"):
            parts = ", ".join(f"{k} {v:.2f}" for k, v in row["same_breakdown"].items())
            print(f"      +2 h same day CPU by stage (s): {parts}", flush=True)
        if row.get("inc_breakdown"):
            parts = ", ".join(f"{k} {v:.2f}" for k, v in row["inc_breakdown"].items())
            print(f"      +1 day CPU by stage (s): {parts}", flush=True)
    for a, b in pairwise(rows):
        size = b["activities"] / a["activities"]
        cpu = b["mine_cpu_s"] / max(a["mine_cpu_s"], 1e-9)
        mem = b["peak_rss_mb"] / max(a["peak_rss_mb"], 1e-9)
        print(
            f"growth {a['days']} -> {b['days']} days: activities x{size:.2f}, mining CPU x{cpu:.2f}"
            f" (x{cpu / size:.2f} per activity), peak memory x{mem:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
