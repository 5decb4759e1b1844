"""Hostile input, the long run: at least ten thousand generated inputs through every door.

Usage: ``python benchmarks/hostile.py [--per-door 2600] [--seed 13]``

The same strategies and checks as the property tests (``tests/hostile_inputs.py``), with many
more inputs: digital bodies (the webhook / ``record_activity`` validation), the
``galatea/activity`` MQTT topic, Frigate messages and replay lines, into one real SQLite store
with its writer thread, after forty ordinary rows. Then a full engine run on what was stored.
Each input must end as a rejection that names the field, stored rows (all of them written), or
Frigate state held until the object ends; the forty earlier rows must come back unchanged and
the writer's counters must equal the rows. Prints the counts per door and outcome, the most
common rejection fields, and the time each part took.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from galatea_engine.loop import Engine, EngineOptions
from galatea_engine.mining.episodes import EpisodeOptions
from galatea_engine.store import ActivityStore, StoreSettings
from hypothesis import strategies as st

from tests.hostile_inputs import (
    Doors,
    baseline_events,
    digital_body,
    digital_topic,
    examples,
    frigate_message,
    replay_line,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-door", type=int, default=2600, help="inputs per door")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    n = args.per_door

    t0 = time.perf_counter()
    inputs = {
        "webhook": examples(digital_body, n, seed=args.seed),
        "mqtt": examples(st.tuples(digital_topic, digital_body), n, seed=args.seed + 1),
        "frigate": examples(frigate_message(), n, seed=args.seed + 2),
        "replay": examples(replay_line(), n, seed=args.seed + 3),
    }
    generated = time.perf_counter() - t0
    total = sum(len(v) for v in inputs.values())
    print(f"generated {total} inputs in {generated:.1f} s "
          + ", ".join(f"{door}={len(v)}" for door, v in inputs.items()))

    with tempfile.TemporaryDirectory() as tmp:
        store = ActivityStore(path=Path(tmp) / "galatea.db",
                              settings=StoreSettings(commit_interval=0.2))
        store.add_events(baseline_events())
        baseline = list(store.iter_activity())
        store.start()
        doors = Doors(store, Path(tmp))
        timings: dict[str, float] = {}

        start = time.perf_counter()
        for body in inputs["webhook"]:
            doors.digital(body)
        timings["webhook"] = time.perf_counter() - start
        start = time.perf_counter()
        for topic, body in inputs["mqtt"]:
            doors.mqtt_digital(topic, body)
        timings["mqtt"] = time.perf_counter() - start
        start = time.perf_counter()
        for i, (topic, payload) in enumerate(inputs["frigate"]):
            doors.frigate_message(topic, payload, i * 0.5)
        for ev in doors.frigate.flush():
            assert store.enqueue(ev)
            doors.tally.rows += 1
        timings["frigate"] = time.perf_counter() - start
        start = time.perf_counter()
        lines = inputs["replay"]
        for chunk_start in range(0, len(lines), 500):
            doors.replay(lines[chunk_start:chunk_start + 500])
        timings["replay"] = time.perf_counter() - start

        doors.check_store(baseline)
        stats = store.stats()
        start = time.perf_counter()
        options = EngineOptions(episodes=EpisodeOptions(kinds=frozenset({"sleep", "away"})))
        summary = Engine(store, ZoneInfo("Europe/Berlin"), options).run_once(full=True)
        timings["engine full run"] = time.perf_counter() - start
        assert list(store.iter_activity())[: len(baseline)] == baseline
        assert store.stop()

    print("\noutcomes (per input; replay:stored counts rows)")
    for key, count in sorted(doors.tally.outcomes.items()):
        print(f"  {key:28} {count:6}")
    print("\nmost common rejection fields")
    for key, count in doors.tally.reasons.most_common(12):
        print(f"  {key:28} {count:6}")
    print("\nFrigate tracker: " + ", ".join(
        f"{k}={v}" for k, v in sorted(doors.frigate.rejected.items())) + f"; open objects "
        f"{doors.frigate.open_objects}, evicted {doors.frigate.stats['evicted']}")
    print(f"re-timed to arrival (wrong clocks): webhook {doors.clock.retimed}, mqtt "
          f"{doors.mqtt.clock.retimed}, frigate {doors.frigate.stats['retimed']}")
    print(f"\nstore: {stats['committed']} rows committed "
          f"= {len(baseline)} before + {doors.tally.rows} accepted; rejected at write "
          f"{stats['rejected']}, dropped {stats['dropped']}; earlier rows unchanged")
    print(f"engine: full run over {summary.cursor} rows, {summary.episodes} episodes, "
          f"{summary.routines} routines")
    print("\ntimings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    per_input = sum(timings[d] for d in ("webhook", "mqtt", "frigate", "replay")) / total
    print(f"          {per_input * 1e6:.0f} µs per input through the doors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
