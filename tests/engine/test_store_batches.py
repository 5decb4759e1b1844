"""Store fast paths: time-ranged reads bounded by ids, batched memory upserts and embeddings.

Each fast path must give exactly what the simple one-by-one path gave (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from galatea_engine.models import ActivityEvent, Episode, Memory
from galatea_engine.store import ActivityStore

from . import store_support
from .store_support import T0, event

db_url = store_support.db_url
make_store = store_support.make_store

StoreFactory = Callable[..., ActivityStore]


def test_time_range_reads_with_backfilled_ids(make_store: StoreFactory) -> None:
    """Ids follow arrival, not time: a backfill adds old events with high ids. A time range
    still returns every event inside it, in id order, with offsets and payloads intact."""
    store = make_store()
    plus2 = timezone(timedelta(hours=2))
    live = [event(i, ts=T0 + timedelta(minutes=i)) for i in range(40)]
    live[3] = ActivityEvent(ts=(T0 + timedelta(minutes=3)).astimezone(plus2), source="ha",
                            kind="state_changed", entity_id="light.x", data={"brightness": 3})
    live[4] = ActivityEvent(ts=T0 + timedelta(minutes=4), source="ha", kind="state_changed",
                            entity_id="light.x", data={"brightness": 3})
    store.add_events(live)
    # the same times as live ones, new ids
    backfill = [event(i, ts=T0 + timedelta(minutes=i)) for i in (5, 17, 30)]
    store.add_events(backfill)
    everything = list(store.iter_activity())
    assert len(everything) == 43
    assert everything[3].ts.utcoffset() == timedelta(hours=2)
    assert everything[3].data == {"brightness": 3}
    assert everything[4].data == {"brightness": 3}
    assert everything[3].data is not everything[4].data  # each event its own dict
    for start, end in [(5, 18), (0, 3), (30, 31), (39, 100), (100, 200), (-10, 0)]:
        lo, hi = T0 + timedelta(minutes=start), T0 + timedelta(minutes=end)
        want = [e for e in everything if lo <= e.ts < hi]
        assert list(store.iter_activity(start=lo, end=hi, batch=4)) == want
        assert list(store.iter_activity(start=lo, batch=3)) == [e for e in everything
                                                                 if e.ts >= lo]
        assert list(store.iter_activity(end=hi, batch=5)) == [e for e in everything
                                                               if e.ts < hi]
    since = everything[10].id or 0
    lo, hi = T0 + timedelta(minutes=5), T0 + timedelta(minutes=35)
    assert list(store.iter_activity(since, start=lo, end=hi, batch=2)) == [
        e for e in everything if lo <= e.ts < hi and (e.id or 0) > since]


def _memory_rows(store: ActivityStore, prefix: str) -> list[tuple[object, ...]]:
    return sorted((m.key.removeprefix(prefix), m.type, m.text, m.status, m.confidence,
                   m.learned_at == datetime(2026, 1, 1, tzinfo=UTC), tuple(m.evidence),
                   m.detail.get("n"))
                  for m in store.memories(include_closed=True)
                  if m.key is not None and m.key.startswith(prefix))


def _batch(p: str) -> list[Memory]:
    return [
        Memory(type="episodic", text="new one", key=f"{p}day:1", evidence=[1, 2],
               detail={"n": 1}),
        Memory(type="procedural", text="updated", key=f"{p}routine:a", evidence=[7, 7, 8],
               detail={"n": 2}),
        Memory(type="procedural", text="first of two", key=f"{p}routine:b", evidence=[3],
               detail={"n": 3}),
        Memory(type="procedural", text="second of two", key=f"{p}routine:b", evidence=[5],
               detail={"n": 5}),
        Memory(type="procedural", text="kept rejected", key=f"{p}routine:c", evidence=[],
               detail={"n": 6}),
    ]


def _seed(store: ActivityStore, p: str) -> None:
    learned = datetime(2026, 1, 1, tzinfo=UTC)
    with store.unit_of_work() as uow:
        uow.upsert_memories([
            Memory(type="procedural", text="old", key=f"{p}routine:a", evidence=[1],
                   learned_at=learned),
            Memory(type="procedural", text="old c", key=f"{p}routine:c", evidence=[2],
                   learned_at=learned),
        ])
    rejected = next(m for m in store.memories() if m.key == f"{p}routine:c")
    store.update_memory(rejected.id or 0, status="rejected")


def test_batched_memory_upsert_equals_one_by_one(make_store: StoreFactory) -> None:
    store = make_store()
    _seed(store, "one:")
    one_by_one = _batch("one:")
    for m in one_by_one:
        with store.unit_of_work() as uow:
            uow.upsert_memories([m])
    _seed(store, "all:")
    mems = _batch("all:")
    unkeyed = Memory(type="semantic", text="no key", evidence=[4])
    with store.unit_of_work() as uow:
        uow.upsert_memories([*mems[:3], unkeyed, *mems[3:]])
    assert _memory_rows(store, "all:") == _memory_rows(store, "one:")
    assert mems[2].id == mems[3].id  # same key: same row
    assert unkeyed.id is not None
    assert mems[4].status == "rejected"  # the user's word is kept (and told to the caller)
    got = {m.key: m for m in store.memories(include_closed=True)}
    assert got["all:routine:a"].learned_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert got["all:routine:a"].evidence == [7, 8]
    assert got["all:routine:b"].text == "second of two"
    assert got["all:routine:b"].evidence == [5]
    assert got["all:routine:c"].evidence == []
    assert [m.evidence for m in store.memories(type="semantic")] == [[4]]


def test_batched_embeddings(make_store: StoreFactory) -> None:
    store = make_store()
    mems = [Memory(type="semantic", text=f"m{i}", key=f"k{i}") for i in range(700)]
    with store.unit_of_work() as uow:
        uow.upsert_memories(mems)
    vectors: dict[int, bytes | None] = {m.id or 0: bytes([i % 256]) * 4
                                        for i, m in enumerate(mems)}
    vectors[mems[0].id or 0] = None
    store.set_embeddings(vectors)
    got = store.embeddings()
    assert len(got) == 699
    assert (mems[0].id or 0) not in got
    assert got[mems[5].id or 0] == b"\x05" * 4
    assert [m.key for m in store.memories(without_embedding=True)] == ["k0"]


def test_many_derived_rows_get_their_own_ids(make_store: StoreFactory) -> None:
    """Episodes written many at once (SQLite: one driver executemany, ids counted back from
    max(id)) read back with the ids, values and evidence they were written with, also after
    the newest ones were replaced (their ids freed) and other tables were written meanwhile."""
    store = make_store()
    plus1 = timezone(timedelta(hours=1))

    def eps(first: int, n: int) -> list[Episode]:
        return [Episode(kind="session", start=(T0 + timedelta(hours=i)).astimezone(plus1),
                        end=T0 + timedelta(hours=i, minutes=30), area=f"A{i % 3}",
                        label=f"s{i}", confidence=0.5 + i / 1000, detail={"i": i},
                        evidence=[i, i + 1000]) for i in range(first, first + n)]

    kept = eps(0, 700)
    with store.unit_of_work() as uow:
        uow.replace_episodes(kept)
        uow.upsert_memories([Memory(type="semantic", text=f"m{i}", key=f"m{i}")
                             for i in range(50)])
    later = eps(600, 300)
    with store.unit_of_work() as uow:  # from 600 on: 100 deleted (the highest ids), 300 new
        uow.replace_episodes(later, since=T0 + timedelta(hours=600))
    written = kept[:600] + later
    got = store.episodes()
    assert got == sorted(written, key=lambda e: (e.start, e.id or 0))
    assert len({e.id for e in got}) == 900
    assert got[5].start.utcoffset() == timedelta(0)  # read back in UTC, the same instant
