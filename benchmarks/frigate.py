"""Frigate capture throughput: MQTT messages folded into activities per second.

Feeds N tracked-object lives (new/update/end, Frigate 0.16 payloads from tests/fixtures) plus a
review per 10 objects through ``FrigateTracker`` and prints messages/s, activities and the ratio
to a baseline measured in the same run (``json.loads`` of the same payloads: the least any
consumer must do). Usage: ``python benchmarks/frigate.py [--objects 5000]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from galatea_engine.capture.frigate import FrigateOptions, FrigateTracker

from tests.frigate_fixtures import object_life, review_life


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=5000)
    args = parser.parse_args()
    messages: list[tuple[str, str]] = []
    for i in range(args.objects):
        messages += object_life("0.16", obj_id=f"obj-{i}", camera=f"cam{i % 4}")
        if i % 10 == 0:
            messages += [(t, p.replace("fqk5ka", f"r{i}")) for t, p in review_life()]
    t0 = datetime(2026, 11, 21, tzinfo=UTC)

    start = time.perf_counter()
    for _topic, payload in messages:
        json.loads(payload)
    baseline = time.perf_counter() - start

    tracker = FrigateTracker(FrigateOptions(people={"John Smith": "person.john"}))
    start = time.perf_counter()
    produced = 0
    for i, (topic, payload) in enumerate(messages):
        produced += len(tracker.handle(topic, payload, t0 + timedelta(milliseconds=10 * i)))
    elapsed = time.perf_counter() - start

    print(f"messages: {len(messages)}  activities: {produced}  "
          f"({len(messages) / max(produced, 1):.1f} messages per activity)")
    per_msg = elapsed * 1e6 / len(messages)
    per_msg = elapsed * 1e6 / len(messages)
    print(f"tracker: {len(messages) / elapsed:,.0f} msg/s ({per_msg:.0f} µs/msg)")
    print(f"baseline json.loads: {len(messages) / baseline:,.0f} msg/s")
    print(f"ratio tracker/baseline time: {elapsed / baseline:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
