"""``DerivedStore``: the derived tables (episodes, routines, sequences, preferences, memories,
embeddings), the engine's key-value state, and forgetting. The SQL is in ``derived`` and
``privacy``; this class runs it on the store's database."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DatabaseError

from ..models import Episode, Memory, Preference, Routine
from ..models import Sequence as SequenceModel
from . import derived, privacy
from .blobs import BlobStore
from .database import Database

_LOGGER = logging.getLogger(__name__)


class DerivedStore:
    """Reads and writes of the derived tables; an engine run writes through ``unit_of_work()``
    in one transaction. ``checkpoint`` runs after forgetting, so the bytes leave the files."""

    def __init__(
        self, database: Database, blobs: BlobStore | None, checkpoint: Callable[[], object]
    ) -> None:
        self._db = database
        self._blobs = blobs
        self._checkpoint = checkpoint

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[derived.UnitOfWork]:
        """One transaction for an engine run's cursor + results (rolled back on error)."""
        with self._db.begin() as conn:
            yield derived.UnitOfWork(conn)

    def _write(self, fn: Callable[[derived.UnitOfWork], Any]) -> Any:
        def run() -> Any:
            with self._db.begin() as conn:
                return fn(derived.UnitOfWork(conn))

        return self._db.retry(run)

    # -- engine state -------------------------------------------------------------------

    def get_state(self, key: str, default: Any = None) -> Any:
        return self._db.read(lambda conn: derived.get_state(conn, key, default))

    def set_state(self, key: str, value: Any) -> None:
        self._write(lambda uow: uow.set_state(key, value))

    # -- reading ------------------------------------------------------------------------

    def episodes(self, start: datetime | None = None, end: datetime | None = None,
                 kind: str | None = None, area: str | None = None,
                 actor: str | None = None, *, evidence: bool = True,
                 started_from: datetime | None = None,
                 sessions_from_min: float | None = None) -> list[Episode]:
        result: list[Episode] = self._db.read(lambda conn: derived.read_episodes(
            conn, start=start, end=end, kind=kind, area=area, actor=actor, evidence=evidence,
            started_from=started_from, sessions_from_min=sessions_from_min))
        return result

    def episode_spans(self) -> list[derived.EpisodeSpan]:
        """Kind, label, area, actor, start and end of every episode, by start."""
        result: list[derived.EpisodeSpan] = self._db.read(derived.read_episode_spans)
        return result

    def episode_stats(self, start: datetime | None = None) -> list[derived.EpisodeStat]:
        """Counts and duration sums of the episodes ending at or after ``start``, per
        (kind, label, area, actor): statistics without loading every episode."""
        result: list[derived.EpisodeStat] = self._db.read(
            lambda conn: derived.read_episode_stats(conn, start=start))
        return result

    def routines(self, include_invalid: bool = False, actor: str | None = None) -> list[Routine]:
        result: list[Routine] = self._db.read(lambda conn: derived.read_routines(
            conn, include_invalid=include_invalid, actor=actor))
        return result

    def sequences(self) -> list[SequenceModel]:
        result: list[SequenceModel] = self._db.read(derived.read_sequences)
        return result

    def preferences(self) -> list[Preference]:
        result: list[Preference] = self._db.read(derived.read_preferences)
        return result

    def memories(self, type: str | None = None, status: str | None = None,
                 include_closed: bool = False, *, valid_since: datetime | None = None,
                 without_embedding: bool = False, evidence: bool = True,
                 ids: Sequence[int] | None = None) -> list[Memory]:
        """Memories (see ``derived.read_memories``); ``evidence=False`` skips their evidence
        lists (``memory_evidence`` reads them for the few that need them), ``ids`` only these."""
        result: list[Memory] = self._db.read(lambda conn: derived.read_memories(
            conn, type=type, status=status, include_closed=include_closed,
            valid_since=valid_since, without_embedding=without_embedding, evidence=evidence,
            ids=ids))
        return result

    def memory_evidence(self, ids: Sequence[int]) -> dict[int, list[int]]:
        """Evidence (activity ids) of these memories; those without any are left out."""
        result: dict[int, list[int]] = self._db.read(
            lambda conn: derived.read_memory_evidence(conn, ids))
        return result

    def embeddings(self) -> dict[int, bytes]:
        result: dict[int, bytes] = self._db.read(derived.read_embeddings)
        return result

    def export_person(self, person: str, names: Sequence[str] = ()) -> dict[str, Any]:
        """Everything about ``person`` as JSON-ready data (a privacy request)."""
        result: dict[str, Any] = self._db.read(
            lambda conn: privacy.person_data(conn, person, names))
        return result

    # -- writing ------------------------------------------------------------------------

    def add_memory(self, memory: Memory) -> int:
        result: int = self._write(lambda uow: uow.add_memory(memory))
        return result

    def update_memory(self, memory_id: int, **fields: Any) -> bool:
        result: bool = self._write(lambda uow: uow.update_memory(memory_id, fields))
        return result

    def set_routine_status(self, key: str, status: str) -> bool:
        result: bool = self._write(lambda uow: uow.set_routine_status(key, status))
        return result

    def set_embeddings(self, vectors: dict[int, bytes | None]) -> None:
        self._write(lambda uow: uow.set_embeddings(vectors))

    # -- forgetting ---------------------------------------------------------------------

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

    def _forget(self, fn: Callable[[Connection, list[str]], Any]) -> Any:
        db = self._db
        unused: list[str] = []

        def run() -> Any:
            unused.clear()
            with db.write_lock:
                with db.begin() as conn:
                    result = fn(conn, unused)
                db.payloads.clear()  # payload ids may be gone
                return result

        result = db.retry(run)
        if self._blobs is not None:
            for digest in unused:  # snapshots of forgotten activity
                self._blobs.delete(digest)
        try:
            self._checkpoint()
        except DatabaseError:
            _LOGGER.warning("Galatea could not checkpoint the database after forgetting; "
                            "the next checkpoint will")
        return result
