"""A full disk, a locked file, a database Galatea did not make: clear states, no floods."""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from galatea_engine.models import ActivityEvent
from galatea_engine.store import (
    ActivityStore,
    ForeignDatabaseError,
    SchemaTooNewError,
    StoreSettings,
)
from galatea_engine.store.derived_store import DerivedStore
from galatea_engine.store.schema import schema_changes
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def _ev(i: int) -> ActivityEvent:
    return ActivityEvent(ts=T0 + timedelta(seconds=i), source="ha", kind="state_changed",
                         entity_id=f"sensor.s{i % 50}", state=str(i),
                         summary="x" * 300, data={"i": i, "pad": "p" * 200})


def _wait(cond: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_full_disk_keeps_the_backlog_warns_once_and_resumes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    health: list[str] = []
    store = ActivityStore(path=tmp_path / "g.db",
                          settings=StoreSettings(commit_interval=0.02, max_batch=200),
                          on_health=lambda state, _detail: health.append(state))
    store.start()
    assert store.enqueue_many([_ev(i) for i in range(50)]) == 50
    assert store.flush(10)
    pages = int(store.engine.connect().exec_driver_sql("PRAGMA page_count").scalar() or 0)
    store.set_page_limit(pages)  # no room for anything more: the disk is full
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="galatea_engine"):
        for i in range(50, 3050):  # many batches and retries while full
            assert store.enqueue(_ev(i))
        assert _wait(lambda: store.health[0] == "disk_full")
        time.sleep(1.5)  # several retry rounds
        assert store.count_activity() == 50
        assert store.stats()["queued"] == 3000  # kept, not dropped
        store.set_page_limit(None)  # space returns
        assert _wait(lambda: store.count_activity() == 3050, 15)
        # The writer counts a batch just after its commit is visible: let it finish counting.
        assert store.flush(10)
    assert store.health[0] == "ok"
    assert health == ["disk_full", "ok"]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2, [r.getMessage() for r in warnings]  # one per state change
    assert not any(r.exc_info for r in caplog.records if r.levelno >= logging.WARNING)
    stats = store.stats()
    assert stats["committed"] == 3050 == store.count_activity()
    assert stats["dropped"] == 0
    assert store.stop()
    wal = Path(f"{tmp_path / 'g.db'}-wal")
    assert not wal.exists() or wal.stat().st_size < 64 * 1024 * 1024


def test_backlog_beyond_the_cap_is_counted_while_full(tmp_path: Path) -> None:
    store = ActivityStore(path=tmp_path / "g.db",
                          settings=StoreSettings(commit_interval=0.02, max_backlog=100))
    store.start()
    store.add_events([_ev(0)])
    pages = int(store.engine.connect().exec_driver_sql("PRAGMA page_count").scalar() or 0)
    store.set_page_limit(pages)
    accepted = sum(store.enqueue(_ev(i)) for i in range(1, 151))
    assert accepted == 100
    assert store.stats()["dropped"] == 50
    store.set_page_limit(None)
    assert store.flush(15)
    assert store.count_activity() == 101
    store.stop()


def test_foreign_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
    before = path.read_bytes()
    with pytest.raises(ForeignDatabaseError) as err:
        ActivityStore(path=path)
    assert err.value.tables == ["invoices"]
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                ] == ["invoices"]
    assert path.read_bytes()[:100] == before[:100]


def test_newer_schema_is_refused_with_its_version(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    ActivityStore(path=path).stop()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(schema_changes.insert().values(schema_version=99, changed=T0))
    engine.dispose()
    with pytest.raises(SchemaTooNewError) as err:
        ActivityStore(path=path)
    assert err.value.found == 99


def test_locked_database_fails_fast_at_open(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    ActivityStore(path=path).stop()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(Exception, match="locked"):
            ActivityStore(path=path, settings=StoreSettings(open_timeout=0.5))
        assert time.monotonic() - started < 4
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    store = ActivityStore(path=path, settings=StoreSettings(open_timeout=0.5))  # free again: opens
    store.stop()


def test_full_disk_at_start_up_still_starts_and_catches_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "g.db"
    with ActivityStore(path=path) as first:
        first.add_events([_ev(0)])
    health: list[str] = []
    store = ActivityStore(path=path, settings=StoreSettings(commit_interval=0.02),
                          on_health=lambda state, _detail: health.append(state))
    pages = int(store.engine.connect().exec_driver_sql("PRAGMA page_count").scalar() or 0)
    store.set_page_limit(pages)
    real_set_state = DerivedStore.set_state

    def full(self: DerivedStore, key: str, value: object) -> None:
        raise OperationalError("UPDATE engine_state", {}, sqlite3.OperationalError(
            "database or disk is full"))

    monkeypatch.setattr(DerivedStore, "set_state", full)
    store.start()  # the running marker cannot be written: no exception, a reported state
    monkeypatch.setattr(DerivedStore, "set_state", real_set_state)
    assert health == ["disk_full"]
    assert all(store.enqueue(_ev(i)) for i in range(1, 200))
    time.sleep(0.3)
    assert store.count_activity() == 1
    store.set_page_limit(None)
    assert store.flush(15)
    assert store.count_activity() == 200
    assert health == ["disk_full", "ok"]
    assert store.get_state("store.running") is True
    assert store.stop()


def test_locked_while_running_keeps_the_backlog_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    health: list[str] = []
    settings = StoreSettings(commit_interval=0.02, busy_timeout=0.1, lock_retries=1)
    store = ActivityStore(path=path, settings=settings,
                          on_health=lambda state, _detail: health.append(state))
    store.start()
    store.add_events([_ev(0)])
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        assert all(store.enqueue(_ev(i)) for i in range(1, 50))
        assert _wait(lambda: store.health[0] == "locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.flush(15)
    assert store.count_activity() == 50
    assert health == ["locked", "ok"]
    assert store.stop()


def test_quick_open_checks_integrity_on_the_writer_thread(tmp_path: Path) -> None:
    """After an unclean shutdown the integrity check of a large file would hold HA's start-up:
    with a quick open it runs once the writer has started, and damage is still found."""
    db = tmp_path / "galatea.db"
    store = ActivityStore(path=db, settings=StoreSettings(commit_interval=0.01))
    store.start()
    store.add_events([_ev(i) for i in range(3000)])
    store.checkpoint()
    store.engine.dispose()  # "crash": the writer never marks a clean stop
    store.log.writer.stop(5)  # type: ignore[union-attr]
    raw = bytearray(db.read_bytes())
    for offset in range(len(raw) // 2, len(raw) - 4096, 4096 * 3):  # data pages only
        raw[offset:offset + 2048] = b"\xff" * 2048
    db.write_bytes(bytes(raw))
    seen: list[Path] = []
    again = ActivityStore(path=db, settings=StoreSettings(open_timeout=0.5),
                          on_recovered=seen.append)
    try:
        assert again.recovered_from_corruption is None  # not checked while opening
        again.start()
        assert _wait(lambda: bool(seen))
        assert seen == [again.recovered_from_corruption]
        assert again.enqueue(_ev(0))
        assert again.flush(10)
        assert again.count_activity() == 1
    finally:
        again.stop()
