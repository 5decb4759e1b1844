"""Database connection set-up: URLs, SQLite pragmas, corruption and lock handling."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.pool import StaticPool

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

SQLITE_POSTFIXES = ("", "-wal", "-shm")
_CORRUPT_MARKERS = ("not a database", "malformed", "corrupt")
_LOCKED_MARKERS = ("database is locked", "database table is locked", "busy")


def resolve_url(url: str | None, path: str | os.PathLike[str] | None) -> str:
    """``path`` wins over ``url``; neither means a private in-memory SQLite database."""
    if path is not None:
        return f"sqlite:///{Path(path).expanduser().resolve()}"
    if url:
        return url
    return "sqlite://"


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other back-ends and in-memory)."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


WAL_SIZE_LIMIT = 64 * 1024 * 1024  # bytes the WAL file is truncated to after a checkpoint


def make_engine(
    url: str, *, busy_timeout: float = 5.0,
    max_page_count: Callable[[], int | None] | None = None,
    busy: Callable[[], float | None] | None = None,
) -> Engine:
    """An Engine with the recorder's SQLite settings (WAL, synchronous=NORMAL, busy_timeout),
    ``secure_delete`` (deleted rows are overwritten: forgetting is for real) and a bounded WAL.
    ``max_page_count`` caps the file (tests simulate a full disk with it); ``busy`` overrides
    the busy timeout of new connections while it returns a number (a quick first open)."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    memory = sqlite_file(url) is None
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": busy_timeout},
    }
    if memory:
        kwargs["poolclass"] = StaticPool
    else:
        path = sqlite_file(url)
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        cur = dbapi_conn.cursor()
        try:
            override = busy() if busy is not None else None
            timeout = busy_timeout if override is None else override
            cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            if not memory and _ours_or_empty(cur):  # never switch another app's file to WAL
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA cache_size=-16384")
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            pages = max_page_count() if max_page_count is not None else None
            if pages is not None:
                cur.execute(f"PRAGMA max_page_count={int(pages)}")
        finally:
            cur.close()

    return engine


def _ours_or_empty(cur: sqlite3.Cursor) -> bool:
    """True for an empty SQLite file or one with Galatea's ``schema_changes`` table."""
    names = {str(r[0]) for r in cur.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    return not names or "schema_changes" in names


def _message(err: BaseException) -> str:
    orig = getattr(err, "orig", None)
    return str(orig if orig is not None else err).lower()


def is_corruption_error(err: BaseException) -> bool:
    """SQLite says the file is not a (sane) database."""
    if not isinstance(err, DatabaseError | sqlite3.DatabaseError):
        return False
    msg = _message(err)
    return any(marker in msg for marker in _CORRUPT_MARKERS)


def is_locked_error(err: BaseException) -> bool:
    if not isinstance(err, OperationalError | sqlite3.OperationalError):
        return False
    msg = _message(err)
    return any(marker in msg for marker in _LOCKED_MARKERS)


def retry_locked[T](
    fn: Callable[[], T], *, attempts: int = 6, base_delay: float = 0.2, max_delay: float = 5.0
) -> T:
    """Run ``fn``; on "database is locked" retry with exponential backoff, then re-raise."""
    delay = base_delay
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except (OperationalError, sqlite3.OperationalError) as err:
            if not is_locked_error(err) or attempt == attempts:
                raise
            _LOGGER.debug("Database locked (attempt %s/%s), retrying in %.1fs",
                            attempt, attempts, delay)
            time.sleep(delay)
            delay = min(delay * 2, max_delay)
    raise AssertionError("unreachable")


def move_away_broken_database(dbfile: Path) -> Path:
    """Rename a corrupt SQLite file (and its -wal/-shm) to ``<file>.corrupt.<timestamp>``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    postfix = f".corrupt.{stamp}"
    _LOGGER.error("Galatea database %s is corrupt or unreadable; moving it to %s and starting "
                  "a fresh one", dbfile, f"{dbfile}{postfix}")
    for extra in SQLITE_POSTFIXES:
        path = Path(f"{dbfile}{extra}")
        if path.exists():
            os.replace(path, Path(f"{path}{postfix}"))
    return Path(f"{dbfile}{postfix}")
