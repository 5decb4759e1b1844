"""ActivityStore: activity log API, writer thread, purge, payload dedup (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from galatea_engine.models import ActivityEvent
from galatea_engine.store import SCHEMA_VERSION, ActivityStore, StoreSettings
from galatea_engine.store.schema import activity, activity_data
from sqlalchemy import func, select

from . import store_support
from .store_support import T0, event

db_url = store_support.db_url
make_store = store_support.make_store

StoreFactory = Callable[..., ActivityStore]


def _rows(store: ActivityStore, table: object) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_add_events_round_trip(make_store: StoreFactory) -> None:
    store = make_store()
    plus2 = timezone(timedelta(hours=2))
    evs = [
        event(0, ts=datetime(2026, 1, 5, 8, 0, 0, 123456, tzinfo=plus2), actor="person.anna",
              actor_kind="person", summary="Kitchen light on", context_id="c1"),
        event(1, data={}),
        event(2, source="digital", kind="app_focus", entity_id=None, data={"app": "IDE"}),
    ]
    ids = store.add_events(evs)
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    got = list(store.iter_activity())
    assert got == [ev.with_id(i) for ev, i in zip(evs, ids, strict=True)]
    assert got[0].ts.isoformat() == "2026-01-05T08:00:00.123456+02:00"  # offset kept exactly
    assert store.last_activity_id() == ids[-1]
    assert store.add_events([]) == []


def test_filters_and_paging(make_store: StoreFactory) -> None:
    store = make_store()
    ids = store.add_events([event(i) for i in range(30)])
    assert store.count_activity() == 30
    assert [e.id for e in store.iter_activity(since_id=ids[9], batch=7)] == ids[10:]
    assert store.count_activity(entity_id="light.l1") == 10
    assert store.count_activity(area="Hall", since_id=ids[14]) == 5
    start, end = T0 + timedelta(seconds=5), T0 + timedelta(seconds=8)
    assert [e.id for e in store.iter_activity(start=start, end=end)] == ids[5:8]
    assert store.count_activity(source="digital") == 0
    assert store.count_activity(kind="state_changed", actor=None) == 30
    with pytest.raises(TypeError, match="entity"):  # a misspelt filter is no "no filter"
        store.count_activity(entity="light.l1")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="entity"):
        next(store.iter_activity(entity="light.l1"))  # type: ignore[call-arg]


def test_add_events_is_all_or_nothing(make_store: StoreFactory) -> None:
    store = make_store()
    naive = event(1, ts=datetime(2026, 1, 5, 6, 0))  # no UTC offset
    with pytest.raises(ValueError):
        store.add_events([event(0), naive])
    assert store.count_activity() == 0


def test_payloads_are_stored_once(make_store: StoreFactory) -> None:
    store = make_store()
    store.add_events([event(i) for i in range(100)])  # two distinct payloads
    assert _rows(store, activity_data) == 2
    store.stop()
    again = make_store()  # a new process: the payloads are found by hash, not the cache
    again.add_events([event(i) for i in range(10)] + [event(1, data={"brightness": 7})])
    assert _rows(again, activity_data) == 3
    assert [e.data for e in again.iter_activity(since_id=100)][-1] == {"brightness": 7}


def test_enqueue_batches_and_flush(make_store: StoreFactory) -> None:
    store = make_store(commit_interval=0.2)
    with pytest.raises(RuntimeError):
        store.enqueue(event(0))
    store.start()
    assert store.enqueue_many(event(i) for i in range(500)) == 500
    assert store.flush(10)
    stats = store.stats()
    assert stats["committed"] == 500
    assert stats["queued"] == 0
    assert stats["batches"] <= 3  # timed batches, not one commit per event
    assert store.count_activity() == 500
    assert stats["schema_version"] == SCHEMA_VERSION
    assert stats["last_commit"]


def test_commit_interval_zero_commits_promptly(make_store: StoreFactory) -> None:
    store = make_store(commit_interval=0)
    store.start()
    store.enqueue(event(0))
    deadline = time.monotonic() + 5
    while store.count_activity() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert store.count_activity() == 1


def test_backlog_is_bounded_and_drops_are_counted(
    make_store: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    store = make_store(commit_interval=60, max_backlog=10)
    store.start()
    accepted = [store.enqueue(event(i)) for i in range(25)]
    assert accepted == [True] * 10 + [False] * 15
    stats = store.stats()
    assert stats["dropped"] == 15
    assert stats["queued"] == 10
    assert sum("backlog full" in r.message for r in caplog.records) == 1  # rate-limited
    assert store.stop()
    assert store.count_activity() == 10


def test_stop_flushes_everything_queued(make_store: StoreFactory, db_url: str) -> None:
    store = make_store(commit_interval=30)
    store.start()
    assert store.enqueue_many(event(i) for i in range(2000)) == 2000
    assert store.stop(timeout=20)
    assert not store.enqueue(event(0))  # refused (and counted) after stop
    assert store.stats()["dropped"] == 1
    reopened = make_store()
    assert reopened.count_activity() == 2000
    assert [e.id for e in reopened.iter_activity()] == sorted(e.id or 0 for e in
                                                               reopened.iter_activity())


def test_bad_event_is_rejected_alone(make_store: StoreFactory) -> None:
    store = make_store(commit_interval=0.05)
    store.start()
    store.enqueue(event(0))
    store.enqueue(event(1, ts=datetime(2026, 1, 5, 6, 0)))  # naive: rejected
    store.enqueue(event(2))
    assert store.flush(10)
    assert store.count_activity() == 2
    assert store.stats()["rejected"] == 1


def test_purge_in_batches(make_store: StoreFactory) -> None:
    store = make_store()
    digest = store.put_blob(b"snapshot")
    old = [event(i, ts=T0 - timedelta(days=40, seconds=-i), data={"n": i}, blob=digest)
           for i in range(25)]
    new = [event(i, ts=T0 + timedelta(seconds=i)) for i in range(5)]
    store.add_events(old + new)
    assert store.purge(T0 - timedelta(days=30), batch=10, max_batches=1) == 10
    assert store.count_activity() == 20
    assert store.purge(T0 - timedelta(days=30), batch=10) == 15
    assert store.count_activity() == 5
    assert _rows(store, activity_data) == 2  # the old rows' unique payloads went with them
    assert store.get_blob(digest) is None  # no row references the blob any more
    last = store.last_activity_id()
    assert store.purge(T0 + timedelta(days=1)) == 5
    assert store.add_events([event(99)]) == [last + 1]  # ids are never reused


def test_scheduled_retention_purge(make_store: StoreFactory) -> None:
    now = datetime.now(UTC)
    store = make_store(retention_days=7, maintenance_interval=0.05, commit_interval=0.05,
                       purge_batch=6)  # 4 batches, each its own writer task
    store.add_events([event(i, ts=now - timedelta(days=30)) for i in range(20)]
                     + [event(i, ts=now) for i in range(3)])
    store.start()
    deadline = time.monotonic() + 10
    while store.count_activity() > 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.count_activity() == 3
    assert store.get_state("store.last_purge")
    assert store.enqueue(event(0, ts=now))  # the writer is still fine
    assert store.flush(5)
    assert store.count_activity() == 4


def test_purge_schedule(make_store: StoreFactory) -> None:
    store = make_store(retention_days=10, purge_hour=4)
    local = datetime.now().astimezone().tzinfo
    at = datetime(2026, 1, 10, 4, 30, tzinfo=local)
    assert store.purge_due(at)  # never purged: right away
    store.set_state("store.last_purge", (at - timedelta(hours=23)).isoformat())
    assert store.purge_due(at)  # the nightly slot
    assert not store.purge_due(at + timedelta(hours=3))  # not at 07:30
    store.set_state("store.last_purge", (at - timedelta(hours=2)).isoformat())
    assert not store.purge_due(at)  # already done tonight
    store.set_state("store.last_purge", (at - timedelta(hours=40)).isoformat())
    assert store.purge_due(at + timedelta(hours=8))  # a missed night catches up
    no_retention = make_store()
    assert not no_retention.purge_due(at)


def test_engine_state_round_trip(make_store: StoreFactory) -> None:
    store = make_store()
    assert store.get_state("x") is None
    assert store.get_state("x", 5) == 5
    store.set_state("x", {"a": [1, 2]})
    store.set_state("x", {"a": [3]})
    assert store.get_state("x") == {"a": [3]}


def test_blobs(make_store: StoreFactory) -> None:
    store = make_store()
    digest = store.put_blob(b"\x00jpeg bytes")
    assert store.put_blob(b"\x00jpeg bytes") == digest
    assert store.get_blob(digest) == b"\x00jpeg bytes"
    assert store.blobs is not None
    path = store.blobs.path_for(digest)
    assert path.parent.name == digest[2:4]
    assert path.parent.parent.name == digest[:2]
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp")]
    assert store.get_blob("0" * 64) is None
    assert store.get_blob("../../etc/passwd") is None


def test_stats_shape(make_store: StoreFactory) -> None:
    store = make_store()
    store.add_events([event(0)])
    stats = store.stats()
    assert {"queued", "committed", "dropped", "rejected", "last_commit", "db_size",
            "schema_version"} <= set(stats)
    assert stats["committed"] == 1


def test_in_memory_store_without_url() -> None:
    store = ActivityStore()
    try:
        store.start()
        store.enqueue(ActivityEvent(ts=T0, source="ha", kind="x"))
        assert store.flush(5)
        assert store.count_activity() == 1
        with pytest.raises(RuntimeError):
            store.put_blob(b"x")
    finally:
        store.stop()


def test_ids_ascend_across_writer_and_sync_inserts(make_store: StoreFactory) -> None:
    store = make_store(commit_interval=0.01)
    store.start()
    for i in range(20):
        store.enqueue(event(i))
        store.add_events([event(100 + i)])
    assert store.flush(10)
    ids = [e.id for e in store.iter_activity()]
    assert ids == sorted(ids)
    assert len(ids) == 40


def test_activity_table_keeps_columns(make_store: StoreFactory) -> None:
    store = make_store()
    store.add_events([event(0, device="dev1", floor="Ground", device_class="motion",
                            old_state="off", parent_id="p", blob="b" * 64)])
    (got,) = store.iter_activity()
    assert (got.device, got.floor, got.device_class, got.old_state, got.parent_id, got.blob) == (
        "dev1", "Ground", "motion", "off", "p", "b" * 64)
    assert _rows(store, activity) == 1


def test_failing_commits_are_retried_then_counted_on_stop(make_store: StoreFactory) -> None:
    from sqlalchemy.exc import OperationalError

    store = make_store(commit_interval=0.01)
    store.start()
    writer = store.log.writer
    assert writer is not None
    real_commit, calls = writer._commit, []

    def flaky(batch: object) -> None:
        calls.append(batch)
        if len(calls) <= 2:  # the database is away for a while
            raise OperationalError("INSERT", None, Exception("server closed the connection"))
        real_commit(batch)  # type: ignore[arg-type]

    writer._commit = flaky  # type: ignore[method-assign]
    writer._retry_delay = 0.01
    store.enqueue_many(event(i) for i in range(5))
    deadline = time.monotonic() + 10
    while store.count_activity() < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.count_activity() == 5  # kept and retried, nothing lost

    def down(batch: object) -> None:
        raise OperationalError("INSERT", None, Exception("server closed the connection"))

    writer._commit = down  # type: ignore[method-assign]
    store.enqueue_many(event(i) for i in range(3))
    assert not store.stop(timeout=10)  # gave up after bounded retries
    assert store.stats()["dropped"] == 3


def test_raw_items_are_converted_on_the_writer_thread(make_store: StoreFactory) -> None:
    """``enqueue_raw``: the producer hands over a tuple; its converter runs on the writer
    thread; None is not activity; a converter that raises costs that item only."""
    import threading

    store = make_store()
    store.start()
    threads: list[str] = []

    def convert(item: tuple[object, ...]) -> ActivityEvent | None:
        threads.append(threading.current_thread().name)
        i = item[1]
        assert isinstance(i, int)
        if i == 3:
            raise RuntimeError("a bug in one converter")
        return None if i % 2 else event(i)

    for i in range(6):
        assert store.enqueue_raw((convert, i))
    assert store.flush(10.0)
    assert threads == ["galatea-store-writer"] * 6
    assert store.count_activity() == 3  # 0, 2, 4
    assert store.stats()["queued"] == 0  # what was not activity is not waiting either
    assert store.enqueue_raw((convert, 6))  # the writer is still alive
    assert store.flush(10.0)
    assert store.count_activity() == 4


def test_a_converter_may_hand_over_the_plain_row(make_store: StoreFactory) -> None:
    """A raw item's converter may return the plain row itself (live HA capture does): it is
    stored exactly as the event it stands for, on every database."""
    from galatea_engine.store.activity import from_plain, plain_row

    store = make_store()
    store.start()
    evs = [event(i, data={"brightness": i} if i % 2 else {}) for i in range(6)]
    for ev in evs:
        assert store.enqueue_raw((lambda item: plain_row(item[1]), ev))
    assert store.flush(10.0)
    stored = list(store.iter_activity())
    assert [plain_row(ev) for ev in stored] == [plain_row(ev) for ev in evs]
    assert [from_plain(plain_row(ev)) for ev in evs] == evs


def test_epoch_times_are_stored_as_parsing_them_would() -> None:
    """``epoch_micros`` (the live path, no datetime kept) rounds exactly as ``parse_ts`` +
    ``to_micros`` do, and refuses what they refuse."""
    import random

    from galatea_engine.models import ValidationError, parse_ts
    from galatea_engine.store.activity import epoch_micros
    from galatea_engine.store.schema import to_micros

    rng = random.Random(18)
    values = [rng.uniform(0, 4e9) for _ in range(20_000)]
    values += [1_780_000_000 + k / 1e6 + 5e-7 for k in range(2_000)]  # half-microsecond ties
    values += [0.0, 1e-7, -1.5, -2_208_988_800.0, 32_503_680_000.0 - 1e-7]
    for value in values:
        try:
            want: int | None = to_micros(parse_ts(value))
        except ValidationError:
            want = None
        try:
            got: int | None = epoch_micros(value)
        except ValidationError:
            got = None
        assert got == want, value
    for bad in (float("nan"), float("inf"), 1e20, -1e13):
        with pytest.raises(ValidationError):
            epoch_micros(bad)


def test_queued_events_wait_as_plain_rows_the_collector_does_not_watch(tmp_path: object) -> None:
    """SQLite: what waits for the next commit is a tuple of plain values, which the garbage
    collector stops tracking at its first pass (a second of queued ActivityEvents grew the old
    generation until a full collection paused HA's loop); it is written the same."""
    import gc
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    store = ActivityStore(path=tmp_path / "g.db", settings=StoreSettings(commit_interval=60.0))
    store.start()
    try:
        when = datetime(2026, 1, 5, 7, 0, tzinfo=timezone(timedelta(hours=1)))
        odd = {"brightness": 200, "at": when, "nested": {"a": [1, 2]}}
        for i in range(20):
            assert store.enqueue(event(i, data=odd if i == 0 else {"brightness": i}))
        writer = store.log.writer
        assert writer is not None
        deadline = time.monotonic() + 5
        while len(writer._pending) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        gc.collect()
        assert len(writer._pending) == 20
        assert not any(gc.is_tracked(row) for row in writer._pending)
        assert store.flush(10.0)
        first = next(store.iter_activity())
        assert first.data == {"brightness": 200, "at": str(when), "nested": {"a": [1, 2]}}
        assert store.count_activity() == 20
    finally:
        store.stop()
