"""The store's database: opening, integrity checks, corruption recovery, lock retries and
connections, shared by the activity log, the derived tables and maintenance."""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Executable, Row, text
from sqlalchemy.exc import DatabaseError

from . import activity as act
from . import derived
from .db import (
    is_corruption_error,
    is_sqlite,
    make_engine,
    move_away_broken_database,
    retry_locked,
    sqlite_file,
)
from .migrations import migrate
from .settings import StoreSettings

_LOGGER = logging.getLogger(__name__)

RUNNING_KEY = "store.running"
"""Engine state set while the writer runs: found at opening, the last stop was unclean."""


def _quick_check(conn: Connection) -> None:
    """``PRAGMA quick_check``; raises ``DatabaseError`` (malformed) when it finds damage."""
    result = conn.execute(text("PRAGMA quick_check")).scalar()
    if result != "ok":
        raise DatabaseError("PRAGMA quick_check", None, Exception(
            f"database disk image is malformed: {result}"))


class Database:
    """One SQLite or PostgreSQL database, migrated on opening.

    A corrupt SQLite file is moved aside and a fresh one started, at opening or at runtime
    (``on_recovered`` tells; ``on_reopened`` runs after a runtime reopen). Operations retry
    while the database is locked.
    """

    def __init__(
        self,
        url: str,
        settings: StoreSettings,
        *,
        on_recovered: Callable[[Path], None] | None = None,
        on_reopened: Callable[[], None] | None = None,
    ) -> None:
        self.url = url
        self.db_file: Path | None = sqlite_file(url)
        self.is_sqlite = is_sqlite(url)
        self._busy_timeout = settings.busy_timeout
        self._lock_retries = settings.lock_retries
        self.max_page_count = settings.max_page_count
        self.recovered_from_corruption: Path | None = None
        """Where a corrupt database file was moved (the integration raises a repair issue)."""
        self.on_recovered = on_recovered  # also called (any thread) when that happens
        self._on_reopened = on_reopened
        self.write_lock = threading.RLock()  # serialises activity writes: ids commit in order
        self._memory_lock: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if self.is_sqlite and self.db_file is None
            else contextlib.nullcontext()
        )
        # Payload ids of committed rows; cleared whenever rows may have gone.
        self.payloads = act.PayloadCache()
        self.check_later = False  # integrity check after an unclean shutdown, once started
        self.schema_version = 0
        self._opening_timeout = settings.open_timeout
        self.engine: Engine = self._open()
        if self._opening_timeout is not None:
            self._opening_timeout = None
            self.engine.dispose()  # later connections get the normal busy timeout

    # -- opening and corruption ---------------------------------------------------------

    def _open(self) -> Engine:
        recovered = False
        quick = self._opening_timeout
        while True:
            engine = make_engine(self.url, busy_timeout=self._busy_timeout,
                                 max_page_count=lambda: self.max_page_count,
                                 busy=lambda: self._opening_timeout)
            try:
                self.schema_version = retry_locked(
                    functools.partial(self._prepare, engine),
                    attempts=1 if quick is not None else self._lock_retries)
                return engine
            except DatabaseError as err:
                engine.dispose()
                if recovered or self.db_file is None or not is_corruption_error(err):
                    raise
                self._moved_aside(move_away_broken_database(self.db_file))
                recovered = True

    def _prepare(self, engine: Engine) -> int:
        """Migrate, and after an unclean shutdown check SQLite integrity (raises if corrupt)."""
        version = migrate(engine.connect)
        if self.db_file is not None:
            with engine.connect() as conn:
                if derived.get_state(conn, RUNNING_KEY, False):
                    if self._opening_timeout is not None:
                        # A quick open (HA's start-up): the check of a large file takes long,
                        # so it runs on the writer thread once started.
                        self.check_later = True
                    else:
                        _quick_check(conn)
        return version

    def deferred_check(self) -> None:
        """Writer thread: the integrity check an unclean shutdown asks for; a corrupt file is
        moved aside and a fresh one started (``on_recovered`` tells)."""
        try:
            self.read(_quick_check)
        except DatabaseError as err:
            if not self._recover_if_corrupt(err):
                raise

    def _recover_if_corrupt(self, err: BaseException) -> bool:
        """At runtime: move a corrupt file aside and continue on a fresh one."""
        if self.db_file is None or not is_corruption_error(err):
            return False
        with self.write_lock:
            self.engine.dispose()
            self._moved_aside(move_away_broken_database(self.db_file))
            self.engine = self._open()
            if self._on_reopened is not None:
                self._on_reopened()
        return True

    def _moved_aside(self, moved: Path) -> None:
        self.recovered_from_corruption = moved
        self.payloads.clear()
        if self.on_recovered is not None:
            try:
                self.on_recovered(moved)
            except Exception:
                _LOGGER.exception("on_recovered callback failed")

    def set_page_limit(self, pages: int | None) -> None:
        """Cap the SQLite file at ``pages`` pages (None: no cap); applied to new connections
        (the pool is recycled). A full disk in tests."""
        self.max_page_count = pages if pages is not None else 1_073_741_823
        self.engine.dispose()

    # -- connections and retries --------------------------------------------------------

    @contextlib.contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._memory_lock, self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction (committed at the end, rolled back on error)."""
        with self._memory_lock, self.engine.begin() as conn:
            yield conn

    def retry(self, fn: Callable[[], Any]) -> Any:
        """``fn()``, retried while locked; once more on a fresh file after corruption."""
        try:
            return retry_locked(fn, attempts=self._lock_retries)
        except DatabaseError as err:
            if not self._recover_if_corrupt(err):
                raise
            return retry_locked(fn, attempts=self._lock_retries)

    def read(self, fn: Callable[[Connection], Any]) -> Any:
        """``fn(conn)`` on a connection of its own (retried, see ``retry``)."""
        def run() -> Any:
            with self.connect() as conn:
                return fn(conn)

        return self.retry(run)

    def scalar(self, stmt: Executable) -> Any:
        """The first column of the first row of ``stmt`` (None when there is none)."""
        return self.read(lambda conn: conn.execute(stmt).scalar())

    def fetch_all(self, stmt: Executable) -> Sequence[Row[Any]]:
        """Every row of ``stmt``."""
        rows: Sequence[Row[Any]] = self.read(lambda conn: conn.execute(stmt).all())
        return rows
