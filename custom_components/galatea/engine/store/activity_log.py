"""``ActivityLog``: writing and reading the append-only activity log and its blob folder."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Unpack

from sqlalchemy import func, select
from sqlalchemy.exc import DatabaseError, OperationalError

from ..models import ActivityEvent, ValidationError, check_event_time
from . import activity as act
from .admission import admit
from .blobs import BlobStore
from .database import Database
from .schema import activity, from_micros, to_micros
from .settings import StoreSettings
from .writer import PartialCommit, WriterThread

_LOGGER = logging.getLogger(__name__)


class ActivityLog:
    """Live capture queues events for a writer thread (``enqueue``, never blocking) that
    commits them in timed batches; replay and backfill insert synchronously (``add_events``,
    all or nothing). Content the database refuses is repaired, not lost."""

    def __init__(self, database: Database, settings: StoreSettings) -> None:
        self._db = database
        self._settings = settings
        blob_dir = settings.blob_dir
        if blob_dir is None and database.db_file is not None:
            blob_dir = database.db_file.parent / "galatea_blobs"
        self.blobs: BlobStore | None = BlobStore(blob_dir) if blob_dir is not None else None
        self.writer: WriterThread | None = None
        self.rejected = 0  # events refused for their content
        self.committed_sync = 0  # events stored by ``add_events``
        self.last_commit: float | None = None  # time.time() of the last synchronous commit

    def new_writer(
        self, maintenance: Callable[[], None], on_health: Callable[[str, str], None]
    ) -> WriterThread:
        """The writer thread ``enqueue`` hands events to (not started yet); it runs
        ``maintenance`` between commits and reports its health changes."""
        settings = self._settings
        self.writer = WriterThread(
            self._commit_batch, maintenance, commit_interval=settings.commit_interval,
            compact=act.plain_row if self._db.engine.dialect.name == "sqlite" else None,
            max_backlog=settings.max_backlog, max_batch=settings.max_batch,
            maintenance_interval=settings.maintenance_interval, on_health=on_health,
        )
        return self.writer

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until everything enqueued so far is committed."""
        if self.writer is None:
            return True
        return self.writer.flush(timeout)

    # -- writing ------------------------------------------------------------------------

    def _started_writer(self) -> WriterThread:
        if self.writer is None:
            raise RuntimeError("ActivityStore.start() has not been called")
        return self.writer

    def enqueue(self, ev: ActivityEvent) -> bool:
        """Queue one event for the writer thread (never blocks: HA's loop calls it); False
        (and counted) when dropped, or when its time cannot be stored (``rejected``). What is
        queued is written: a batch the database refuses for its content is repaired on the
        writer thread (``admission.admit``) instead of being lost."""
        writer = self._started_writer()
        try:
            check_event_time(ev)
        except ValidationError as err:
            self.rejected += 1
            _LOGGER.debug("Galatea store refused an event (%s): %s", ev.kind, err)
            return False
        return writer.enqueue(ev)  # after stop(): refused and counted as dropped

    def enqueue_raw(self, item: tuple[Any, ...]) -> bool:
        """Queue a raw tuple for the writer thread, which calls ``item[0](item)`` to get the
        ActivityEvent to write, or its plain row (``activity.PlainRow``: what ``plain_row``
        makes, built directly), or None (not activity); the converter checks the time. Never
        blocks; False (and counted) when dropped."""
        return self._started_writer().enqueue_raw(item)

    def enqueue_many(self, evs: Iterable[ActivityEvent]) -> int:
        """Queue a batch, all of it or nothing (a full backlog refuses the whole batch);
        returns how many were queued (0 or all)."""
        writer = self._started_writer()
        batch = list(evs)
        try:
            for ev in batch:
                check_event_time(ev)
        except ValidationError as err:
            self.rejected += len(batch)
            _LOGGER.debug("Galatea store refused a batch of %s: %s", len(batch), err)
            return 0
        return len(batch) if writer.enqueue_many(batch) else 0

    def add_events(self, evs: Sequence[ActivityEvent]) -> list[int]:
        """Insert synchronously in one transaction (all or nothing); returns the new ids.
        Raises ``ValidationError`` (nothing stored) when an event's time cannot be stored."""
        for ev in evs:
            check_event_time(ev)
        ids = self._insert_repairing(evs)
        self.committed_sync += len(ids)
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
        db = self._db

        def write() -> list[int]:
            with db.write_lock:
                new: dict[str, int] = {}
                with db.begin() as conn:
                    ids = act.insert_events(conn, evs, db.payloads, new)
                db.payloads.update(new)  # only ids that are committed
                return ids

        ids: list[int] = db.retry(write)
        self.last_commit = time.time()
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

    # -- reading ------------------------------------------------------------------------

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
            bounds = self._db.read(lambda conn: conn.execute(span).first())
            if bounds is None or bounds[0] is None:
                return
            last = max(last, int(bounds[0]) - 1)
            where.append(activity.c.id <= int(bounds[1]))
        decode = act.RowDecoder()
        while True:
            stmt = act.activity_select(last, where, batch)
            rows = self._db.fetch_all(stmt)
            for row in rows:
                yield decode(row)
            if len(rows) < batch:
                return
            last = int(rows[-1][act.ID_INDEX])

    def count_activity(self, since_id: int = 0, **filters: Unpack[act.ActivityFilters]) -> int:
        where = act.activity_filters(filters)
        stmt = select(func.count()).select_from(activity).where(activity.c.id > since_id, *where)
        return int(self._db.scalar(stmt) or 0)

    def last_activity_id(self) -> int:
        return int(self._db.scalar(select(func.max(activity.c.id))) or 0)

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
        first = self._db.scalar(base.order_by(c.ts).limit(1))
        if first is None:
            return None
        last = self._db.scalar(base.order_by(c.ts.desc()).limit(1))
        return from_micros(int(first)), from_micros(int(last))

    # -- blobs --------------------------------------------------------------------------

    def put_blob(self, data: bytes) -> str:
        if self.blobs is None:
            raise RuntimeError("no blob_dir configured for this store")
        return self.blobs.put(data)

    def get_blob(self, digest: str) -> bytes | None:
        return self.blobs.get(digest) if self.blobs is not None else None


def _event(item: ActivityEvent | act.PlainRow) -> ActivityEvent:
    """A queued item as an event (the writer may hold SQLite's plain rows)."""
    return act.from_plain(item) if isinstance(item, tuple) else item
