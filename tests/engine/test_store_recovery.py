"""SQLite robustness: corrupt files moved aside, locked databases retried, WAL checkpoints."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from galatea_engine.store import ActivityStore, StoreSettings
from sqlalchemy.exc import OperationalError

from .store_support import event


def test_garbage_file_is_moved_aside(tmp_path: Path) -> None:
    db = tmp_path / "galatea.db"
    db.write_bytes(b"this is not a database" * 500)
    seen: list[Path] = []
    store = ActivityStore(path=db, on_recovered=seen.append)
    try:
        moved = store.recovered_from_corruption
        assert moved is not None
        assert seen == [moved]
        assert moved.name.startswith("galatea.db.corrupt.")
        assert moved.read_bytes().startswith(b"this is not a database")
        assert store.add_events([event(0)]) == [1]
        assert store.stats()["recovered_from_corruption"] == str(moved)
    finally:
        store.stop()


def test_damaged_pages_found_after_unclean_shutdown(tmp_path: Path) -> None:
    db = tmp_path / "galatea.db"
    store = ActivityStore(path=db, settings=StoreSettings(commit_interval=0.01))
    store.start()
    store.add_events([event(i, data={"n": i, "pad": "x" * 200}) for i in range(3000)])
    store.checkpoint()
    store.engine.dispose()  # "crash": the writer never marks a clean stop
    store.log.writer.stop(5)  # type: ignore[union-attr]
    # Scribble over pages in the middle of the file (keep the header readable).
    raw = bytearray(db.read_bytes())
    for offset in range(8192, len(raw) - 4096, 4096 * 3):
        raw[offset:offset + 2048] = b"\xff" * 2048
    db.write_bytes(bytes(raw))
    again = ActivityStore(path=db)
    try:
        assert again.recovered_from_corruption is not None
        assert again.count_activity() == 0
        again.add_events([event(0)])
    finally:
        again.stop()


def test_clean_reopen_is_not_moved(tmp_path: Path) -> None:
    db = tmp_path / "galatea.db"
    store = ActivityStore(path=db)
    store.start()
    store.add_events([event(0)])
    store.stop()
    again = ActivityStore(path=db)
    try:
        assert again.recovered_from_corruption is None
        assert again.count_activity() == 1
    finally:
        again.stop()


def _hold_lock(db: Path, seconds: float, ready: threading.Event) -> None:
    conn = sqlite3.connect(db, timeout=0)
    conn.isolation_level = None
    conn.execute("BEGIN EXCLUSIVE")
    ready.set()
    threading.Event().wait(seconds)
    conn.execute("COMMIT")
    conn.close()


def test_locked_database_is_retried(tmp_path: Path) -> None:
    db = tmp_path / "galatea.db"
    store = ActivityStore(path=db, settings=StoreSettings(busy_timeout=0.05))
    try:
        ready = threading.Event()
        holder = threading.Thread(target=_hold_lock, args=(db, 0.8, ready))
        holder.start()
        ready.wait(5)
        assert store.add_events([event(0)]) == [1]  # waited out the lock with backoff
        holder.join()
    finally:
        store.stop()


def test_locked_for_too_long_raises(tmp_path: Path) -> None:
    db = tmp_path / "galatea.db"
    store = ActivityStore(path=db, settings=StoreSettings(busy_timeout=0.02, lock_retries=2))
    try:
        ready = threading.Event()
        holder = threading.Thread(target=_hold_lock, args=(db, 1.0, ready))
        holder.start()
        ready.wait(5)
        with pytest.raises(OperationalError):
            store.add_events([event(0)])
        holder.join()
    finally:
        store.stop()


def test_writer_survives_a_lock(tmp_path: Path) -> None:
    db = tmp_path / "galatea.db"
    settings = StoreSettings(busy_timeout=0.02, lock_retries=1, commit_interval=0.02)
    store = ActivityStore(path=db, settings=settings)
    store.start()
    try:
        ready = threading.Event()
        holder = threading.Thread(target=_hold_lock, args=(db, 0.5, ready))
        holder.start()
        ready.wait(5)
        assert store.enqueue_many(event(i) for i in range(50)) == 50
        holder.join()
        assert store.flush(20)
        assert store.count_activity() == 50
    finally:
        store.stop()


def test_wal_checkpoint_truncates(tmp_path: Path) -> None:
    db = tmp_path / "galatea.db"
    store = ActivityStore(path=db)
    try:
        store.add_events([event(i) for i in range(500)])
        wal = Path(f"{db}-wal")
        assert wal.exists()
        assert wal.stat().st_size > 0
        assert store.checkpoint()
        assert wal.stat().st_size == 0
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()
        with store.engine.connect() as own:  # the store's own connections
            assert own.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert own.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        store.stop()


def test_periodic_checkpoint_from_writer(tmp_path: Path) -> None:
    db = tmp_path / "galatea.db"
    settings = StoreSettings(checkpoint_interval=0.05, maintenance_interval=0.05)
    store = ActivityStore(path=db, settings=settings)
    store.start()
    try:
        store.add_events([event(i) for i in range(300)])
        wal = Path(f"{db}-wal")
        deadline = threading.Event()
        for _ in range(100):
            if wal.stat().st_size == 0:
                break
            deadline.wait(0.05)
        assert wal.stat().st_size == 0
    finally:
        store.stop()


def test_corruption_found_at_runtime_is_recovered(tmp_path: Path) -> None:
    db = tmp_path / "galatea.db"
    seen: list[Path] = []
    store = ActivityStore(path=db, on_recovered=seen.append)
    try:
        store.add_events([event(i) for i in range(10)])
        store.checkpoint()
        store.engine.dispose()  # drop pooled connections, then the file goes bad under us
        db.write_bytes(b"\x00garbage" * 4096)
        Path(f"{db}-wal").unlink(missing_ok=True)
        assert store.add_events([event(99)]) == [1]  # moved aside, fresh file, write retried
        assert len(seen) == 1
        assert seen[0] == store.recovered_from_corruption
        assert seen[0].exists()
        assert store.count_activity() == 1
    finally:
        store.stop()
