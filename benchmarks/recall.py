"""Recall latency over 100k memories, and Assist answer latency in-process.

Usage: ``python benchmarks/recall.py [--memories 100000] [--queries 200] [--assist 30]``

1. ``--memories`` synthetic memories (episodes, habits, preferences, facts about a 40-room home
   with people, entities and times) are written to a real SQLite store.
2. *Built-in* recall: ``GalateaAPI.recall`` (hybrid BM25 + hashed n-gram embeddings + recency +
   importance over a numpy matrix cached in memory). The first call builds the index (embeds
   every memory, stores the vectors); p50/p95 are measured over ``--queries`` further calls.
3. *Baseline*, same run, same memories and same vectors: a brute-force pure-Python ranking
   (term overlap + cosine in Python loops over every memory), on a subset of the queries
   because it is slow; the ratio compares medians.
4. *Assist*: a Home Assistant core in-process with Galatea on a store replayed from the simulated
   home (plus the same 100k memories); each English sentence goes through
   ``conversation.async_converse`` ``--assist`` times; p50/p95 per sentence and overall.

Targets: recall p95 < 25 ms, Assist p95 < 200 ms (2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from galatea_engine.api import GalateaAPI  # noqa: E402
from galatea_engine.memory.embedding import from_bytes, tokens  # noqa: E402
from galatea_engine.memory.recall import index_text, query_terms  # noqa: E402
from galatea_engine.models import Memory  # noqa: E402
from galatea_engine.store import ActivityStore  # noqa: E402
from galatea_engine.store.derived import memory_row  # noqa: E402
from galatea_engine.store.schema import memories as memories_table  # noqa: E402

AREAS = ["kitchen", "living room", "bedroom", "bathroom", "hallway", "office", "garage",
         "garden", "attic", "cellar"] + [f"room {i}" for i in range(30)]
PEOPLE = ["Anna", "Ben", "Grandma", "Carla", "David"]
THINGS = ["light", "radio", "kettle", "TV", "thermostat", "blinds", "fan", "coffee machine",
          "window", "door", "speaker", "vacuum", "dishwasher", "washing machine", "oven"]
LABELS = ["cooking", "watching TV", "working", "reading", "resting", "personal care",
          "cleaning", "playing", "gardening", "laundry"]
QUERIES = ["kitchen", "what happened in the garage", "Anna cooking", "front door opened at night",
           "when does Ben usually leave", "thermostat living room evening", "coffee machine",
           "who was in the garden", "Grandma radio morning", "spare key", "laundry on sunday",
           "bathroom fan", "office working late", "TV in the bedroom", "room 17 light"]
ASSIST = ["when do I usually wake up", "when do I usually go to bed", "when do I usually get home",
          "when do I usually leave", "what are my routines", "when did I last leave home",
          "when was someone last at the front door", "what happened yesterday evening",
          "what do you remember about the kitchen"]


def synthetic_memories(n: int, now: datetime, seed: int = 7) -> list[Memory]:
    rng = random.Random(seed)
    out: list[Memory] = []
    for i in range(n):
        area, person = rng.choice(AREAS), rng.choice(PEOPLE)
        thing, label = rng.choice(THINGS), rng.choice(LABELS)
        day = now - timedelta(days=rng.randint(0, 720), minutes=rng.randint(0, 1439))
        hhmm = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
        kind = i % 4
        if kind == 0:
            mem = Memory(type="episodic", text=f"{label.capitalize()} in the {area} on "
                         f"{day:%a %d %b} {hhmm} ({person})", subject=area,
                         detail={"area": area, "person": f"person.{person.lower()}"})
        elif kind == 1:
            mem = Memory(type="procedural", text=f"{person} usually turns on the {area} "
                         f"{thing} at {hhmm} on weekdays", subject=f"person.{person.lower()}",
                         detail={"entities": [f"switch.{area.replace(' ', '_')}_{thing}"]})
        elif kind == 2:
            mem = Memory(type="semantic", text=f"The household keeps the {area} {thing} at "
                         f"{rng.randint(15, 25)} in the evening", subject=area,
                         detail={"area": area})
        else:
            mem = Memory(type="semantic", text=f"{person} said the {thing} in the {area} "
                         f"needs {rng.choice(['a new bulb', 'cleaning', 'repair', 'batteries'])}",
                         subject=area, origin="user", status="confirmed")
        mem.key = f"bench:{i}"
        mem.confidence = round(rng.uniform(0.3, 1.0), 2)
        mem.importance = round(rng.uniform(0.1, 0.9), 2)
        mem.valid_from = mem.learned_at = day
        out.append(mem)
    return out


def write_memories(store: ActivityStore, mems: list[Memory]) -> None:
    rows = [memory_row(m) for m in mems]
    with store.engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(memories_table.insert(), rows[i:i + 5000])
    store.set_state("memory_revision", int(time.time()))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pct(values: list[float], q: float) -> float:
    data = sorted(values)
    return data[min(len(data) - 1, max(0, math.ceil(q * len(data)) - 1))]


def brute_force(query: str, mems: list[tuple[int, list[str], list[float], float, float]],
                qvec: list[float], limit: int = 5) -> list[int]:
    """Pure-Python hybrid ranking over every memory: term overlap + cosine + importance."""
    terms = set(query_terms(query))
    scored: list[tuple[float, int]] = []
    for mid, toks, vec, importance, confidence in mems:
        overlap = sum(1 for t in toks if t in terms) / (1 + len(toks)) if terms else 0.0
        cos = 0.0
        for a, b in zip(vec, qvec, strict=True):
            cos += a * b
        scored.append(((0.45 * overlap + 0.3 * max(cos, 0.0) + 0.15 * importance)
                       * (0.5 + 0.5 * confidence), mid))
    scored.sort(reverse=True)
    return [mid for _, mid in scored[:limit]]


def bench_recall(db: Path, n: int, queries: int, baseline_queries: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    store = ActivityStore(path=db)
    t0 = time.perf_counter()
    mems = synthetic_memories(n, now)
    write_memories(store, mems)
    write_s = time.perf_counter() - t0
    api = GalateaAPI(store, UTC)
    t0 = time.perf_counter()
    api.recall("warm up")  # builds the index: loads, embeds and stores every vector
    build_s = time.perf_counter() - t0
    rng = random.Random(3)
    qs = [rng.choice(QUERIES) for _ in range(queries)]
    lat: list[float] = []
    for q in qs:
        t = time.perf_counter()
        api.recall(q, 5)
        lat.append((time.perf_counter() - t) * 1000)
    index = api._memory_index()
    core: list[float] = []
    for q in qs:
        t = time.perf_counter()
        index.search(q, limit=5, now=now)
        core.append((time.perf_counter() - t) * 1000)
    # baseline on the same vectors (as Python lists) and tokens
    vectors = {mid: from_bytes(v).tolist() for mid, v in store.embeddings().items()}
    rows = [(m.id or 0, tokens(index_text(m)), vectors[m.id or 0], m.importance, m.confidence)
            for m in index.memories]
    base: list[float] = []
    for q in qs[:baseline_queries]:
        t = time.perf_counter()
        qvec = api.embedder.embed([q])[0].tolist()
        brute_force(q, rows, qvec)
        base.append((time.perf_counter() - t) * 1000)
    store.stop()
    return {
        "memories": n, "write_s": round(write_s, 2), "index_build_s": round(build_s, 2),
        "recall_api_ms": {"p50": round(pct(lat, 0.5), 2), "p95": round(pct(lat, 0.95), 2),
                          "n": len(lat)},
        "recall_index_ms": {"p50": round(pct(core, 0.5), 2), "p95": round(pct(core, 0.95), 2)},
        "baseline_ms": {"p50": round(pct(base, 0.5), 1), "p95": round(pct(base, 0.95), 1),
                        "n": len(base)},
        "speedup_p50": round(pct(base, 0.5) / pct(lat, 0.5), 1),
        "matrix_mb": round(index.matrix.nbytes / 1e6, 1),
    }


async def bench_assist(folder: Path, extra: list[Memory], repeat: int) -> dict[str, Any]:
    """Assist answers through a real HA core (in-process) with Galatea set up."""
    from homeassistant import loader
    from homeassistant.auth import auth_manager_from_config
    from homeassistant.bootstrap import async_load_base_functionality
    from homeassistant.components import conversation
    from homeassistant.config_entries import ConfigEntries
    from homeassistant.core import Context, HomeAssistant
    from homeassistant.setup import async_setup_component

    from tests.integration.memory_support import NOW, TZ_NAME, build_simulated_store

    sim = folder / "sim"
    sim.mkdir()
    db, _truth = await asyncio.to_thread(build_simulated_store, sim)
    config = folder / "config"
    config.mkdir()
    shutil.copy(db, config / "galatea.db")
    store = ActivityStore(path=config / "galatea.db")
    await asyncio.to_thread(write_memories, store, extra)
    store.stop()

    hass = HomeAssistant(str(config))
    hass.config.skip_pip = True
    loader.async_setup(hass)
    hass.config_entries = ConfigEntries(hass, {})
    await async_load_base_functionality(hass)
    await hass.config.async_set_time_zone(TZ_NAME)
    await hass.async_start()
    hass.auth = await auth_manager_from_config(hass, [], [])
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "http", {"http": {
        "server_host": "127.0.0.1", "server_port": free_port()}})
    assert await async_setup_component(hass, "conversation", {})
    result = await hass.config_entries.flow.async_init(
        "galatea", context={"source": "user"},
        data={"db_url": str(config / "galatea.db"), "backfill": False})
    entry = result["result"]
    await hass.async_block_till_done(wait_background_tasks=True)
    api = entry.runtime_data.extras["api"]
    api.clock = lambda: NOW
    api.invalidate()
    hass.states.async_set("person.anna", "home", {"user_id": "bench-user"})
    ctx = Context(user_id="bench-user")
    per: dict[str, list[float]] = {}
    answers: dict[str, str] = {}
    for sentence in ASSIST:  # first call per sentence warms caches (index, intents)
        res = await conversation.async_converse(hass, sentence, None, ctx, language="en")
        answers[sentence] = res.response.speech["plain"]["speech"]
    for _ in range(repeat):
        for sentence in ASSIST:
            t = time.perf_counter()
            await conversation.async_converse(hass, sentence, None, ctx, language="en")
            per.setdefault(sentence, []).append((time.perf_counter() - t) * 1000)
    await hass.async_stop()
    every = [v for vals in per.values() for v in vals]
    return {
        "sentences": {s: {"p50": round(pct(v, 0.5), 1), "p95": round(pct(v, 0.95), 1)}
                      for s, v in per.items()},
        "all_ms": {"p50": round(pct(every, 0.5), 1), "p95": round(pct(every, 0.95), 1),
                   "n": len(every)},
        "answers": answers,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline-queries", type=int, default=10)
    parser.add_argument("--assist", type=int, default=30, help="repeats per sentence (0: skip)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        recall = bench_recall(folder / "recall.db", args.memories, args.queries,
                              args.baseline_queries)
        assist = None
        if args.assist:
            extra = synthetic_memories(args.memories, datetime.now(UTC), seed=11)
            assist = asyncio.run(bench_assist(folder, extra, args.assist))
    out = {"recall": recall, "assist": assist}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    r = recall
    print(f"memories: {r['memories']:,}  (write {r['write_s']} s, first recall builds the index "
          f"in {r['index_build_s']} s, matrix {r['matrix_mb']} MB)")
    print(f"recall via GalateaAPI : p50 {r['recall_api_ms']['p50']} ms  "
          f"p95 {r['recall_api_ms']['p95']} ms  (n={r['recall_api_ms']['n']}, target p95 < 25)")
    print(f"  index search only   : p50 {r['recall_index_ms']['p50']} ms  "
          f"p95 {r['recall_index_ms']['p95']} ms")
    print(f"brute-force pure Python: p50 {r['baseline_ms']['p50']} ms  "
          f"p95 {r['baseline_ms']['p95']} ms  (n={r['baseline_ms']['n']})")
    print(f"speed-up (p50): x{r['speedup_p50']}")
    if assist:
        print(f"Assist in-process (default agent, {assist['all_ms']['n']} answers): "
              f"p50 {assist['all_ms']['p50']} ms  p95 {assist['all_ms']['p95']} ms  "
              "(target p95 < 200)")
        for sentence, v in assist["sentences"].items():
            print(f"  {v['p50']:>7} / {v['p95']:>7} ms  {sentence!r}: "
                  f"{assist['answers'][sentence][:90]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
