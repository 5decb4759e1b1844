"""``ActivityStore``: the one object the rest of Galatea talks to for persistence."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Unpack

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import DatabaseError, OperationalError

from ..models import (
    ActivityEvent,
    Episode,
    Memory,
    Preference,
    Routine,
    ValidationError,
    check_event_time,
)
from ..models import Sequence as SequenceModel
from . import activity as act
from . import derived, privacy
from .admission import admit
from .blobs import BlobStore
from .db import (
    is_corruption_error,
    is_sqlite,
    make_engine,
    move_away_broken_database,
    resolve_url,
    retry_locked,
    sqlite_file,
)
from .migrations import migrate
from .schema import activity, from_micros, to_micros
from .settings import StoreSettings
from .writer import HEALTH_OK, PartialCommit, WriterThread

_LOGGER = logging.getLogger(__name__)

RUNNING_KEY = "store.running"
LAST_PURGE_KEY = "store.last_purge"


def _quick_check(conn: Connection) -> None:
    """``PRAGMA quick_check``; raises ``DatabaseError`` (malformed) when it finds damage."""
    result = conn.execute(text("PRAGMA quick_check")).scalar()
    if result != "ok":
        raise DatabaseError("PRAGMA quick_check", None, Exception(
            f"database disk image is malformed: {result}"))


class ActivityStore:
    """Append-only activity log + derived tables + blob folder (SQLite or PostgreSQL).

    Live capture calls ``enqueue`` (never blocks; a writer thread commits in timed batches after
    ``start()``); replay/backfill call ``add_events`` (synchronous, all-or-nothing). Derived data is
    written through ``unit_of_work()`` in one transaction.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        settings: StoreSettings | None = None,
        on_recovered: Callable[[Path], None] | None = None,
        on_health: Callable[[str, str], None] | None = None,
    ) -> None:
        """Open (and migrate) the database at ``url`` or the SQLite file ``path`` (neither: a
        private in-memory one). ``on_recovered`` is told where a corrupt file was moved,
        ``on_health`` each change of the writer's health (both from any thread)."""
        self.settings = settings = settings or StoreSettings()
        self.url = resolve_url(url, path)
        self.db_file: Path | None = sqlite_file(self.url)
        self.is_sqlite = is_sqlite(self.url)
        blob_dir = settings.blob_dir
        if blob_dir is None and self.db_file is not None:
            blob_dir = self.db_file.parent / "galatea_blobs"
        self.blobs: BlobStore | None = BlobStore(blob_dir) if blob_dir is not None else None
        self.commit_interval = settings.commit_interval
        self.max_backlog = settings.max_backlog
        self.retention_days = settings.retention_days
        self.max_batch = settings.max_batch
        self.busy_timeout = settings.busy_timeout
        self.checkpoint_interval = settings.checkpoint_interval
        self.purge_interval = settings.purge_interval
        self.purge_batch = settings.purge_batch
        self.purge_hour = settings.purge_hour
        self._purge_running = False
        self.maintenance_interval = settings.maintenance_interval
        self.lock_retries = settings.lock_retries
        self.recovered_from_corruption: Path | None = None
        """Where a corrupt database file was moved (the integration raises a repair issue)."""
        self.on_recovered = on_recovered  # also called (any thread) when that happens
        self.on_health = on_health  # (state, detail) on each change of the writer's health
        self.max_page_count = settings.max_page_count
        self.rejected = 0
        self._committed_sync = 0
        self._last_commit: float | None = None
        self._write_lock = threading.RLock()  # serialises activity inserts: ids commit in order
        self._memory_lock: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if self.is_sqlite and self.db_file is None
            else contextlib.nullcontext()
        )
        self._payloads = act.PayloadCache()
        self._writer: WriterThread | None = None
        self._mark_running = False  # the running marker could not be written at start
        self._check_later = False  # integrity check after an unclean shutdown, once started
        self._last_checkpoint = time.monotonic()
        self._closed = False
        self.schema_version = 0
        self._opening_timeout = settings.open_timeout  # None after the first open
        self.engine: Engine = self._open()
        if self._opening_timeout is not None:
            self._opening_timeout = None
            self.engine.dispose()  # later connections get the normal busy timeout

    # -- opening, corruption, locking ---------------------------------------------------

    def _open(self) -> Engine:
        recovered = False
        quick = self._opening_timeout
        while True:
            engine = make_engine(self.url, busy_timeout=self.busy_timeout,
                                 max_page_count=lambda: self.max_page_count,
                                 busy=lambda: self._opening_timeout)
            try:
                self.schema_version = retry_locked(
                    functools.partial(self._prepare, engine),
                    attempts=1 if quick is not None else self.lock_retries)
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
                        self._check_later = True
                    else:
                        _quick_check(conn)
        return version

    def _deferred_check(self) -> None:
        """Writer thread: the integrity check an unclean shutdown asks for; a corrupt file is
        moved aside and a fresh one started (``on_recovered`` tells)."""
        def check(conn: Connection) -> None:
            _quick_check(conn)

        try:
            self._read(check)
        except DatabaseError as err:
            if not self._recover_if_corrupt(err):
                raise

    def _recover_if_corrupt(self, err: BaseException) -> bool:
        """At runtime: move a corrupt file aside and continue on a fresh one."""
        if self.db_file is None or not is_corruption_error(err):
            return False
        with self._write_lock:
            self.engine.dispose()
            self._moved_aside(move_away_broken_database(self.db_file))
            self.engine = self._open()
            if self._writer is not None:
                self.set_state(RUNNING_KEY, True)
        return True

    def _moved_aside(self, moved: Path) -> None:
        self.recovered_from_corruption = moved
        self._payloads.clear()
        if self.on_recovered is not None:
            try:
                self.on_recovered(moved)
            except Exception:
                _LOGGER.exception("on_recovered callback failed")

    @contextlib.contextmanager
    def _conn(self) -> Iterator[Connection]:
        with self._memory_lock, self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._memory_lock, self.engine.begin() as conn:
            yield conn

    def _retry(self, fn: Any) -> Any:
        try:
            return retry_locked(fn, attempts=self.lock_retries)
        except DatabaseError as err:
            if not self._recover_if_corrupt(err):
                raise
            return retry_locked(fn, attempts=self.lock_retries)

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread (needed for ``enqueue``)."""
        if self._writer is not None and self._writer.is_alive():
            return
        failure: OperationalError | None = None
        try:
            self.set_state(RUNNING_KEY, True)
        except OperationalError as err:
            # A full disk (or a lock) at start-up: capture still starts; the writer keeps what
            # arrives and reports its health, and the marker is written once writes work.
            failure = err
            self._mark_running = True
        self._writer = WriterThread(
            self._commit_batch, self._maintenance, commit_interval=self.commit_interval,
            compact=act.plain_row if self.engine.dialect.name == "sqlite" else None,
            max_backlog=self.max_backlog, max_batch=self.max_batch,
            maintenance_interval=self.maintenance_interval, on_health=self._health_changed,
        )
        if failure is not None:
            self._writer.report_failure(failure)
        self._writer.start()
        if self._check_later:
            self._check_later = False
            self._writer.submit(self._deferred_check)

    def _health_changed(self, state: str, detail: str) -> None:
        """Writer thread: commits failing or working again. On recovery the WAL is
        checkpointed at once (it grew while the disk was full)."""
        if state == HEALTH_OK and self._mark_running:
            self._mark_running = False
            try:
                self.set_state(RUNNING_KEY, True)
            except OperationalError:
                self._mark_running = True
        if state == HEALTH_OK:
            try:
                self.checkpoint()
            except Exception:  # the next maintenance tries again
                _LOGGER.debug("Checkpoint after recovery failed", exc_info=True)
        if self.on_health is not None:
            self.on_health(state, detail)

    @property
    def health(self) -> tuple[str, str]:
        """The writer's state (``ok``, ``disk_full``, ``locked``, ``error``) and detail."""
        writer = self._writer
        return (writer.health, writer.health_detail) if writer else (HEALTH_OK, "")

    def set_page_limit(self, pages: int | None) -> None:
        """Cap the SQLite file at ``pages`` pages (None: no cap); applied to new connections
        (the pool is recycled). A full disk in tests."""
        self.max_page_count = pages if pages is not None else 1_073_741_823
        self.engine.dispose()

    def stop(self, timeout: float = 10.0) -> bool:
        """Commit everything queued, stop the writer and close connections.

        Returns True when nothing queued was lost."""
        ok = True
        if self._writer is not None:
            ok = self._writer.stop(timeout)
            try:
                self.set_state(RUNNING_KEY, False)
            except Exception:
                _LOGGER.exception("Could not mark the Galatea store as cleanly stopped")
        self.engine.dispose()
        self._closed = True
        return ok

    close = stop

    def __enter__(self) -> ActivityStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until everything enqueued so far is committed."""
        if self._writer is None:
            return True
        return self._writer.flush(timeout)

    # -- writing activity ---------------------------------------------------------------

    def enqueue(self, ev: ActivityEvent) -> bool:
        """Queue one event for the writer thread (never blocks: HA's loop calls it); False
        (and counted) when dropped, or when its time cannot be stored (``rejected``). What is
        queued is written: a batch the database refuses for its content is repaired on the
        writer thread (``admission.admit``) instead of being lost."""
        writer = self._writer
        if writer is None:
            raise RuntimeError("ActivityStore.start() has not been called")
        try:
            check_event_time(ev)
        except ValidationError as err:
            self._reject(ev, err)
            return False
        return writer.enqueue(ev)  # after stop(): refused and counted as dropped

    def enqueue_raw(self, item: tuple[Any, ...]) -> bool:
        """Queue a raw tuple for the writer thread, which calls ``item[0](item)`` to get the
        ActivityEvent to write (None: not activity; the converter checks the time). Never
        blocks; False (and counted) when dropped."""
        writer = self._writer
        if writer is None:
            raise RuntimeError("ActivityStore.start() has not been called")
        return writer.enqueue_raw(item)

    def enqueue_many(self, evs: Iterable[ActivityEvent]) -> int:
        """Queue a batch, all of it or nothing (a full backlog refuses the whole batch);
        returns how many were queued (0 or all)."""
        writer = self._writer
        if writer is None:
            raise RuntimeError("ActivityStore.start() has not been called")
        batch = list(evs)
        try:
            for ev in batch:
                check_event_time(ev)
        except ValidationError as err:
            self.rejected += len(batch)
            _LOGGER.debug("Galatea store refused a batch of %s: %s", len(batch), err)
            return 0
        return len(batch) if writer.enqueue_many(batch) else 0

    def _reject(self, ev: ActivityEvent, err: ValidationError) -> None:
        self.rejected += 1
        _LOGGER.debug("Galatea store refused an event (%s): %s", ev.kind, err)

    def add_events(self, evs: Sequence[ActivityEvent]) -> list[int]:
        """Insert synchronously in one transaction (all or nothing); returns the new ids.
        Raises ``ValidationError`` (nothing stored) when an event's time cannot be stored."""
        for ev in evs:
            check_event_time(ev)
        ids = self._insert_repairing(evs)
        self._committed_sync += len(ids)
        return ids

    def _insert_repairing(self, evs: Sequence[ActivityEvent | act.PlainRow]) -> list[int]:
        """Insert; when the database refuses the content (text it cannot encode, a payload it
        cannot serialise), insert the repaired events instead. Transient errors propagate."""
        try:
            return self._insert(evs)
        except OperationalError:
            raise
        except (DatabaseError, ValueError, TypeError):
            _LOGGER.debug("Galatea store repairs a batch of %s event(s)", len(evs))
            return self._insert([admit(_event(ev)) for ev in evs])

    def _insert(self, evs: Sequence[ActivityEvent | act.PlainRow]) -> list[int]:
        evs = list(evs)
        if not evs:
            return []

        def write() -> list[int]:
            with self._write_lock:
                new: dict[str, int] = {}
                with self._tx() as conn:
                    ids = act.insert_events(conn, evs, self._payloads, new)
                self._payloads.update(new)
                return ids

        ids: list[int] = self._retry(write)
        self._last_commit = time.time()
        return ids

    def _commit_batch(self, batch: Sequence[ActivityEvent | act.PlainRow]) -> int:
        """Writer-thread commit; returns rows stored. A transient failure (disk full, locked)
        is raised: the writer keeps the batch and retries. Content the database refuses is
        repaired (``_insert_repairing``); only if that fails too is it tried row by row."""
        try:
            return len(self._insert_repairing(batch))
        except OperationalError:
            raise  # transient (locked, disk full, connection lost): retried later
        except (DatabaseError, ValueError, TypeError):
            return self._commit_one_by_one(batch)

    def _commit_one_by_one(self, batch: Sequence[ActivityEvent | act.PlainRow]) -> int:
        stored = 0
        for done, item in enumerate(batch):
            ev = _event(item)
            try:
                stored += len(self._insert([admit(ev)]))
            except OperationalError as err:
                if done:  # the rows before are committed: only the rest is retried
                    raise PartialCommit(done, stored, err) from err
                raise
            except (ValueError, TypeError, DatabaseError) as err:
                self.rejected += 1
                _LOGGER.warning("Galatea store rejected an event (%s): %s", ev.kind, err)
        return stored

    # -- reading activity ---------------------------------------------------------------

    def iter_activity(
        self, since_id: int = 0, *, batch: int = 5000, **filters: Unpack[act.ActivityFilters]
    ) -> Iterator[ActivityEvent]:
        """Events with id > ``since_id`` in ascending id order, read in pages of ``batch``."""
        where = act.activity_filters(filters)
        start, end = filters.get("start"), filters.get("end")
        last = since_id
        if start is not None or end is not None:
            # Pages go by id, and SQLite answers "ts in range, by id" by walking ids from the
            # cursor on (to the end of the table): bound the walk by the range's ids, read
            # from the ts index (a time chunk of a year's log: ~25x less to walk).
            span = act.id_span(start, end)
            bounds = self._read(lambda conn: conn.execute(span).first())
            if bounds is None or bounds[0] is None:
                return
            last = max(last, int(bounds[0]) - 1)
            where.append(activity.c.id <= int(bounds[1]))
        decode = act.RowDecoder()
        while True:
            stmt = act.activity_select(last, where, batch)
            rows: list[Any] = self._read(lambda conn, stmt=stmt: conn.execute(stmt).all())
            for row in rows:
                yield decode(row)
            if len(rows) < batch:
                return
            last = int(rows[-1][act.ID_INDEX])

    def count_activity(self, since_id: int = 0, **filters: Unpack[act.ActivityFilters]) -> int:
        where = act.activity_filters(filters)
        stmt = select(func.count()).select_from(activity).where(activity.c.id > since_id, *where)
        return int(self._read(lambda conn: conn.execute(stmt).scalar()) or 0)

    def last_activity_id(self) -> int:
        stmt = select(func.max(activity.c.id))
        return int(self._read(lambda conn: conn.execute(stmt).scalar()) or 0)

    def time_bounds(
        self, floor: datetime, ceiling: datetime, *, max_id: int | None = None
    ) -> tuple[datetime, datetime] | None:
        """Earliest and latest activity time within [floor, ceiling] (by time, not by id:
        a row with a wrong clock is never "the latest"); None when there is none."""
        c = activity.c
        base = select(c.ts).where(c.ts >= to_micros(floor), c.ts <= to_micros(ceiling))
        if max_id is not None:
            base = base.where(c.id <= max_id)
        # Two walks of the ts index from either end (one min/max query would scan the range).
        first_stmt = base.order_by(c.ts).limit(1)
        last_stmt = base.order_by(c.ts.desc()).limit(1)
        first = self._read(lambda conn: conn.execute(first_stmt).scalar())
        if first is None:
            return None
        last = self._read(lambda conn: conn.execute(last_stmt).scalar())
        return from_micros(int(first)), from_micros(int(last))

    # -- blobs ----------------------------------------------------------------------------

    def put_blob(self, data: bytes) -> str:
        if self.blobs is None:
            raise RuntimeError("no blob_dir configured for this store")
        return self.blobs.put(data)

    def get_blob(self, digest: str) -> bytes | None:
        return self.blobs.get(digest) if self.blobs is not None else None

    # -- maintenance ----------------------------------------------------------------------

    def purge(self, older_than: datetime, *, batch: int | None = None,
              max_batches: int | None = None) -> int:
        """Delete activity before ``older_than`` in transactions of ``batch`` rows (payloads
        and blobs nobody references any more go too). Returns rows deleted."""
        size = batch or self.purge_batch
        cutoff = to_micros(older_than)
        total = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            def one() -> tuple[int, list[str]]:
                with self._write_lock:
                    with self._tx() as conn:
                        result = act.purge_batch(conn, cutoff, size)
                    if result[0]:
                        self._payloads.clear()
                    return result

            deleted, unused_blobs = self._retry(one)
            batches += 1
            total += deleted
            if self.blobs is not None:
                for digest in unused_blobs:
                    self.blobs.delete(digest)
            if deleted < size:
                break
        if total:
            _LOGGER.info("Galatea store purged %s activity rows before %s", total, older_than)
        return total

    def checkpoint(self) -> bool:
        """SQLite: ``PRAGMA wal_checkpoint(TRUNCATE)``; True when the checkpoint completed."""
        if not self.is_sqlite or self.db_file is None:
            return False

        def run() -> bool:
            with self._write_lock, self._conn() as conn:
                row = conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).first()
                conn.commit()
            return row is not None and int(row[0]) == 0

        ok: bool = self._retry(run)
        self._last_checkpoint = time.monotonic()
        return ok

    def purge_due(self, now: datetime | None = None) -> bool:
        """Is a retention purge due? Right away the first time; then nightly at ``purge_hour``
        (local time) or after a missed night (1.5 x ``purge_interval``); with ``purge_hour``
        None, every ``purge_interval`` seconds."""
        if not self.retention_days or self._purge_running:
            return False
        now = now or datetime.now(UTC)
        last = self.get_state(LAST_PURGE_KEY)
        if last is None:
            return True
        elapsed = (now - datetime.fromisoformat(last)).total_seconds()
        if self.purge_hour is None:
            return elapsed >= self.purge_interval
        if elapsed >= 1.5 * self.purge_interval:
            return True
        return elapsed >= 0.5 * self.purge_interval and now.astimezone().hour == self.purge_hour

    def _maintenance(self) -> None:
        """Writer-thread housekeeping: nightly retention purge, periodic WAL checkpoint."""
        if self.purge_due():
            now = datetime.now(UTC)
            assert self.retention_days is not None
            self._purge_running = True
            self.set_state(LAST_PURGE_KEY, now.isoformat())
            self._purge_step(now - timedelta(days=self.retention_days))
        if time.monotonic() - self._last_checkpoint >= self.checkpoint_interval:
            self.checkpoint()

    def _purge_step(self, cutoff: datetime) -> None:
        """One bounded purge batch on the writer thread; re-queues itself while rows remain,
        so events queued meanwhile are committed between batches (like the recorder)."""
        try:
            deleted = self.purge(cutoff, max_batches=1)
        except Exception:
            self._purge_running = False
            raise
        writer = self._writer
        if deleted >= self.purge_batch and writer is not None and writer.is_alive():
            writer.submit(lambda: self._purge_step(cutoff))
            return
        self._purge_running = False
        self.checkpoint()

    def stats(self) -> dict[str, Any]:
        writer = self._writer
        committed = self._committed_sync + (writer.committed if writer else 0)
        last = max(filter(None, [self._last_commit, writer.last_commit if writer else None]),
                   default=None)
        db_size: int | None = None
        if self.db_file is not None:
            db_size = sum(Path(f"{self.db_file}{x}").stat().st_size
                          for x in ("", "-wal") if Path(f"{self.db_file}{x}").exists())
        elif self.engine.dialect.name == "postgresql":
            try:
                with self._conn() as conn:
                    db_size = int(conn.execute(
                        text("SELECT pg_database_size(current_database())")).scalar_one())
            except DatabaseError:
                db_size = None
        return {
            "queued": writer.queued if writer else 0,
            "committed": committed,
            "dropped": writer.dropped if writer else 0,
            "batches": writer.batches if writer else 0,
            "rejected": self.rejected,
            "last_commit": datetime.fromtimestamp(last, UTC).isoformat() if last else None,
            "db_size": db_size,
            "schema_version": self.schema_version,
            "health": writer.health if writer else "ok",
            "health_detail": writer.health_detail if writer else "",
            "max_backlog": self.max_backlog,
            "backend": self.engine.dialect.name,
            "recovered_from_corruption": str(self.recovered_from_corruption)
            if self.recovered_from_corruption else None,
        }

    # -- derived data ---------------------------------------------------------------------

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[derived.UnitOfWork]:
        """One transaction for an engine run's cursor + results (rolled back on error)."""
        with self._tx() as conn:
            yield derived.UnitOfWork(conn)

    def _write(self, fn: Any) -> Any:
        def run() -> Any:
            with self._tx() as conn:
                return fn(derived.UnitOfWork(conn))

        return self._retry(run)

    def _read(self, fn: Any) -> Any:
        def run() -> Any:
            with self._conn() as conn:
                return fn(conn)

        return self._retry(run)

    def get_state(self, key: str, default: Any = None) -> Any:
        return self._read(lambda conn: derived.get_state(conn, key, default))

    def set_state(self, key: str, value: Any) -> None:
        self._write(lambda uow: uow.set_state(key, value))

    def episodes(self, start: datetime | None = None, end: datetime | None = None,
                 kind: str | None = None, area: str | None = None,
                 actor: str | None = None, *, evidence: bool = True) -> list[Episode]:
        result: list[Episode] = self._read(lambda conn: derived.read_episodes(
            conn, start=start, end=end, kind=kind, area=area, actor=actor, evidence=evidence))
        return result

    def episode_stats(self, start: datetime | None = None) -> list[derived.EpisodeStat]:
        """Counts and duration sums of the episodes ending at or after ``start``, per
        (kind, label, area, actor): statistics without loading every episode."""
        result: list[derived.EpisodeStat] = self._read(
            lambda conn: derived.read_episode_stats(conn, start=start))
        return result

    def routines(self, include_invalid: bool = False, actor: str | None = None) -> list[Routine]:
        result: list[Routine] = self._read(lambda conn: derived.read_routines(
            conn, include_invalid=include_invalid, actor=actor))
        return result

    def sequences(self) -> list[SequenceModel]:
        result: list[SequenceModel] = self._read(derived.read_sequences)
        return result

    def preferences(self) -> list[Preference]:
        result: list[Preference] = self._read(derived.read_preferences)
        return result

    def memories(self, type: str | None = None, status: str | None = None,
                 include_closed: bool = False, *, valid_since: datetime | None = None,
                 without_embedding: bool = False, evidence: bool = True,
                 ids: Sequence[int] | None = None) -> list[Memory]:
        """Memories (see ``derived.read_memories``); ``evidence=False`` skips their evidence
        lists (``memory_evidence`` reads them for the few that need them), ``ids`` only these."""
        result: list[Memory] = self._read(lambda conn: derived.read_memories(
            conn, type=type, status=status, include_closed=include_closed,
            valid_since=valid_since, without_embedding=without_embedding, evidence=evidence,
            ids=ids))
        return result

    def memory_evidence(self, ids: Sequence[int]) -> dict[int, list[int]]:
        """Evidence (activity ids) of these memories; those without any are left out."""
        result: dict[int, list[int]] = self._read(
            lambda conn: derived.read_memory_evidence(conn, ids))
        return result

    def add_memory(self, memory: Memory) -> int:
        result: int = self._write(lambda uow: uow.add_memory(memory))
        return result

    def update_memory(self, memory_id: int, **fields: Any) -> bool:
        result: bool = self._write(lambda uow: uow.update_memory(memory_id, fields))
        return result

    def delete_memory(self, memory_id: int) -> bool:
        """Forget a memory for real: the row, its evidence links and every activity row that
        contains its text; then the WAL is checkpointed (``secure_delete`` overwrites the
        freed pages), so its bytes are gone from the files."""
        result = self._forget(
            lambda conn, blobs: privacy.forget_memory(conn, memory_id, blobs))
        return result is not None

    def forget_text(self, text: str) -> int:
        """Remove every activity row containing ``text``; returns how many."""
        result: int = self._forget(lambda conn, blobs: privacy.forget_text(conn, text, blobs))
        return result

    def forget_person(self, person: str, names: Sequence[str] = ()) -> dict[str, int]:
        """Delete everything about ``person`` (activity, episodes, routines, sequences,
        preferences, memories); counts per kind."""
        result: dict[str, int] = self._forget(
            lambda conn, blobs: privacy.forget_person(conn, person, names, blobs))
        return result

    def export_person(self, person: str, names: Sequence[str] = ()) -> dict[str, Any]:
        """Everything about ``person`` as JSON-ready data (a privacy request)."""
        result: dict[str, Any] = self._read(
            lambda conn: privacy.person_data(conn, person, names))
        return result

    def _forget(self, fn: Callable[[Connection, list[str]], Any]) -> Any:
        unused: list[str] = []

        def run() -> Any:
            unused.clear()
            with self._write_lock:
                with self._tx() as conn:
                    result = fn(conn, unused)
                self._payloads.clear()  # payload ids may be gone
                return result

        result = self._retry(run)
        if self.blobs is not None:
            for digest in unused:  # snapshots of forgotten activity
                self.blobs.delete(digest)
        try:
            self.checkpoint()
        except DatabaseError:
            _LOGGER.warning("Galatea could not checkpoint the database after forgetting; "
                            "the next checkpoint will")
        return result

    def set_routine_status(self, key: str, status: str) -> bool:
        result: bool = self._write(lambda uow: uow.set_routine_status(key, status))
        return result

    def set_embeddings(self, vectors: dict[int, bytes | None]) -> None:
        self._write(lambda uow: uow.set_embeddings(vectors))

    def embeddings(self) -> dict[int, bytes]:
        result: dict[int, bytes] = self._read(derived.read_embeddings)
        return result

    def __repr__(self) -> str:
        return f"ActivityStore({self.engine.url.render_as_string(hide_password=True)!r})"


def _event(item: ActivityEvent | act.PlainRow) -> ActivityEvent:
    """A queued item as an event (the writer may hold SQLite's plain rows)."""
    return act.from_plain(item) if isinstance(item, tuple) else item
