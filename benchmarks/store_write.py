"""Store write path: Galatea's batched writer vs a naive commit-per-event SQLite baseline.

    python benchmarks/store_write.py [--events 50000] [--pg postgresql+psycopg://...]

Prints events/s, CPU seconds per 10k events and database bytes per event for: the writer thread
(enqueue -> timed batched commits -> flush), synchronous ``add_events`` batches, and a baseline
measured in the same run (plain sqlite3, same pragmas, one INSERT + COMMIT per event, payload
stored inline), with the ratios.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from galatea_engine.models import ActivityEvent
from galatea_engine.store import ActivityStore, StoreSettings


def make_events(n: int) -> list[ActivityEvent]:
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    return [
        ActivityEvent(
            ts=t0 + timedelta(seconds=i), source="ha", kind="state_changed",
            entity_id=f"light.l{i % 50}", area=f"Room {i % 8}", device_class=None,
            actor="person.anna" if i % 3 == 0 else None, state="on" if i % 2 else "off",
            old_state="off" if i % 2 else "on",
            data={"brightness": (i % 10) * 25, "color_temp_kelvin": 2700, "color_mode": "ct"},
            summary=f"Light {i % 50}: off → on", context_id=f"01J{i:023d}",
        )
        for i in range(n)
    ]


def measure(fn: object) -> tuple[float, float]:
    assert callable(fn)
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def writer_run(
    url: str | None, path: Path | None, events: list[ActivityEvent]
) -> tuple[float, float]:
    settings = StoreSettings(commit_interval=1.0, max_backlog=len(events) + 1)
    store = ActivityStore(url, path=path, settings=settings)
    store.start()

    def go() -> None:
        for ev in events:
            store.enqueue(ev)
        assert store.flush(600)

    wall, cpu = measure(go)
    assert store.stats()["dropped"] == 0
    store.stop()
    return wall, cpu


def sync_run(
    url: str | None, path: Path | None, events: list[ActivityEvent]
) -> tuple[float, float]:
    store = ActivityStore(url, path=path)

    def go() -> None:
        for start in range(0, len(events), 5000):
            store.add_events(events[start:start + 5000])

    wall, cpu = measure(go)
    store.stop()
    return wall, cpu


def baseline_run(path: Path, events: list[ActivityEvent]) -> tuple[float, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, ts TEXT, source TEXT, kind TEXT, "
                 "entity_id TEXT, area TEXT, actor TEXT, state TEXT, old_state TEXT, "
                 "summary TEXT, context_id TEXT, data TEXT)")
    conn.execute("CREATE INDEX a_ts ON a (ts)")

    def go() -> None:
        for ev in events:
            conn.execute("BEGIN")
            conn.execute("INSERT INTO a VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?)", (
                ev.ts.isoformat(), ev.source, ev.kind, ev.entity_id, ev.area, ev.actor, ev.state,
                ev.old_state, ev.summary, ev.context_id, json.dumps(dict(ev.data))))
            conn.execute("COMMIT")

    result = measure(go)
    conn.close()
    return result


def line(name: str, n: int, wall: float, cpu: float, size: int | None) -> str:
    per = f", {size / n:6.0f} B/event" if size else ""
    return f"{name:<34} {n / wall:9.0f} ev/s  {cpu / n * 1e4:6.3f} CPU-s/10k{per}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--pg", help="also measure this PostgreSQL URL (its tables are created)")
    args = parser.parse_args()
    events = make_events(args.events)
    n = len(events)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        b_wall, b_cpu = baseline_run(d / "baseline.db", events)
        w_wall, w_cpu = writer_run(None, d / "writer.db", events)
        s_wall, s_cpu = sync_run(None, d / "sync.db", events)
        print(f"{n} events")
        print(line("baseline (commit per event)", n, b_wall, b_cpu, db_bytes(d / "baseline.db")))
        print(line("galatea writer thread (SQLite)", n, w_wall, w_cpu, db_bytes(d / "writer.db")))
        print(line("galatea add_events (SQLite)", n, s_wall, s_cpu, db_bytes(d / "sync.db")))
        print(f"writer vs baseline: {b_cpu / w_cpu:.1f}x less CPU per event, "
              f"{(n / w_wall) / (n / b_wall):.1f}x the throughput")
        if args.pg:
            pw_wall, pw_cpu = writer_run(args.pg, None, events)
            print(line("galatea writer thread (PostgreSQL)", n, pw_wall, pw_cpu, None))


if __name__ == "__main__":
    main()
