"""``ActivityStore``: the one object the rest of Galatea talks to for persistence.

A facade over the store's parts: ``Database`` (opening, corruption, locks), ``ActivityLog``
(the activity log, its writer thread and blobs), ``DerivedStore`` (derived tables, engine
state, forgetting) and ``Maintenance`` (purge, checkpoints, health, stats).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Unpack

from sqlalchemy import Engine

from ..models import ActivityEvent, Episode, Memory, Preference, Routine
from ..models import Sequence as SequenceModel
from . import derived
from .activity import ActivityFilters
from .activity_log import ActivityLog
from .database import Database
from .db import resolve_url
from .derived_store import DerivedStore
from .maintenance import Maintenance
from .settings import StoreSettings


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
        self.settings = settings or StoreSettings()
        self.database = Database(resolve_url(url, path), self.settings,
                                 on_recovered=on_recovered, on_reopened=self._reopened)
        self.log = ActivityLog(self.database, self.settings)
        self.blobs = self.log.blobs
        self.derived = DerivedStore(self.database, self.blobs, self.checkpoint)
        self.maintenance = Maintenance(self.database, self.log, self.derived, self.settings,
                                       on_health)

    def _reopened(self) -> None:
        self.maintenance.reopened()

    @property
    def engine(self) -> Engine:
        return self.database.engine

    @property
    def schema_version(self) -> int:
        return self.database.schema_version

    @property
    def recovered_from_corruption(self) -> Path | None:
        """Where a corrupt database file was moved (the integration raises a repair issue)."""
        return self.database.recovered_from_corruption

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread (needed for ``enqueue``)."""
        if self.log.writer is not None and self.log.writer.is_alive():
            return
        failure = self.maintenance.mark_running()
        writer = self.log.new_writer(self.maintenance.tick, self.maintenance.health_changed)
        if failure is not None:
            writer.report_failure(failure)  # the writer keeps what arrives and reports it
        writer.start()
        if self.database.check_later:
            self.database.check_later = False
            writer.submit(self.database.deferred_check)

    def stop(self, timeout: float = 10.0) -> bool:
        """Commit everything queued, stop the writer and close connections.

        Returns True when nothing queued was lost."""
        ok = True
        if self.log.writer is not None:
            ok = self.log.writer.stop(timeout)
            self.maintenance.mark_stopped()
        self.engine.dispose()
        return ok

    close = stop

    def __enter__(self) -> ActivityStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until everything enqueued so far is committed."""
        return self.log.flush(timeout)

    def __repr__(self) -> str:
        return f"ActivityStore({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- the activity log (see ActivityLog) ---------------------------------------------

    def enqueue(self, ev: ActivityEvent) -> bool:
        return self.log.enqueue(ev)

    def enqueue_raw(self, item: tuple[Any, ...]) -> bool:
        return self.log.enqueue_raw(item)

    def enqueue_many(self, evs: Iterable[ActivityEvent]) -> int:
        return self.log.enqueue_many(evs)

    def add_events(self, evs: Sequence[ActivityEvent]) -> list[int]:
        return self.log.add_events(evs)

    def iter_activity(
        self, since_id: int = 0, *, batch: int = 5000, **filters: Unpack[ActivityFilters]
    ) -> Iterator[ActivityEvent]:
        return self.log.iter_activity(since_id, batch=batch, **filters)

    def count_activity(self, since_id: int = 0, **filters: Unpack[ActivityFilters]) -> int:
        return self.log.count_activity(since_id, **filters)

    def last_activity_id(self) -> int:
        return self.log.last_activity_id()

    def time_bounds(
        self, floor: datetime, ceiling: datetime, *, max_id: int | None = None
    ) -> tuple[datetime, datetime] | None:
        return self.log.time_bounds(floor, ceiling, max_id=max_id)

    def put_blob(self, data: bytes) -> str:
        return self.log.put_blob(data)

    def get_blob(self, digest: str) -> bytes | None:
        return self.log.get_blob(digest)

    # -- derived tables and engine state (see DerivedStore) -----------------------------

    def unit_of_work(self) -> contextlib.AbstractContextManager[derived.UnitOfWork]:
        return self.derived.unit_of_work()

    def get_state(self, key: str, default: Any = None) -> Any:
        return self.derived.get_state(key, default)

    def set_state(self, key: str, value: Any) -> None:
        self.derived.set_state(key, value)

    def episodes(self, start: datetime | None = None, end: datetime | None = None,
                 kind: str | None = None, area: str | None = None,
                 actor: str | None = None, *, evidence: bool = True,
                 started_from: datetime | None = None,
                 sessions_from_min: float | None = None) -> list[Episode]:
        return self.derived.episodes(start, end, kind, area, actor, evidence=evidence,
                                     started_from=started_from,
                                     sessions_from_min=sessions_from_min)

    def episode_spans(self) -> list[derived.EpisodeSpan]:
        return self.derived.episode_spans()

    def episode_stats(self, start: datetime | None = None) -> list[derived.EpisodeStat]:
        return self.derived.episode_stats(start)

    def routines(self, include_invalid: bool = False, actor: str | None = None) -> list[Routine]:
        return self.derived.routines(include_invalid, actor)

    def sequences(self) -> list[SequenceModel]:
        return self.derived.sequences()

    def preferences(self) -> list[Preference]:
        return self.derived.preferences()

    def memories(self, type: str | None = None, status: str | None = None,
                 include_closed: bool = False, *, valid_since: datetime | None = None,
                 without_embedding: bool = False, evidence: bool = True,
                 ids: Sequence[int] | None = None) -> list[Memory]:
        return self.derived.memories(type, status, include_closed, valid_since=valid_since,
                                     without_embedding=without_embedding, evidence=evidence,
                                     ids=ids)

    def memory_evidence(self, ids: Sequence[int]) -> dict[int, list[int]]:
        return self.derived.memory_evidence(ids)

    def embeddings(self) -> dict[int, bytes]:
        return self.derived.embeddings()

    def export_person(self, person: str, names: Sequence[str] = ()) -> dict[str, Any]:
        return self.derived.export_person(person, names)

    def add_memory(self, memory: Memory) -> int:
        return self.derived.add_memory(memory)

    def update_memory(self, memory_id: int, **fields: Any) -> bool:
        return self.derived.update_memory(memory_id, **fields)

    def set_routine_status(self, key: str, status: str) -> bool:
        return self.derived.set_routine_status(key, status)

    def set_embeddings(self, vectors: dict[int, bytes | None]) -> None:
        self.derived.set_embeddings(vectors)

    def delete_memory(self, memory_id: int) -> bool:
        return self.derived.delete_memory(memory_id)

    def forget_text(self, text: str) -> int:
        return self.derived.forget_text(text)

    def forget_person(self, person: str, names: Sequence[str] = ()) -> dict[str, int]:
        return self.derived.forget_person(person, names)

    # -- maintenance (see Maintenance) --------------------------------------------------

    @property
    def health(self) -> tuple[str, str]:
        return self.maintenance.health

    def stats(self) -> dict[str, Any]:
        return self.maintenance.stats()

    def purge(self, older_than: datetime, *, batch: int | None = None,
              max_batches: int | None = None) -> int:
        return self.maintenance.purge(older_than, batch=batch, max_batches=max_batches)

    def purge_due(self, now: datetime | None = None) -> bool:
        return self.maintenance.purge_due(now)

    def checkpoint(self) -> bool:
        return self.maintenance.checkpoint()

    def set_page_limit(self, pages: int | None) -> None:
        self.database.set_page_limit(pages)
