"""What the engine, the API and the report use of a store: ``ActivityStore`` provides it.

One protocol at the seam (instead of ``Any``), so mypy checks every call the engine loop,
``GalateaAPI`` and the replay report make against the store; the narrower protocols of memory
formation (``MemoryStore``) and naming (``SessionStore``) are parts of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, Unpack

from ..models import ActivityEvent, Episode, Memory, Preference, Routine
from ..models import Sequence as SequenceModel
from .activity import ActivityFilters
from .derived import EpisodeSpan, EpisodeStat, UnitOfWork


class Store(Protocol):
    """The activity log's reads, the derived tables and the engine's small state."""

    # -- the activity log
    def iter_activity(
        self, since_id: int = 0, *, batch: int = 5000, **filters: Unpack[ActivityFilters]
    ) -> Iterator[ActivityEvent]: ...
    def count_activity(self, since_id: int = 0, **filters: Unpack[ActivityFilters]) -> int: ...
    def last_activity_id(self) -> int: ...
    def time_bounds(
        self, floor: datetime, ceiling: datetime, *, max_id: int | None = None
    ) -> tuple[datetime, datetime] | None: ...
    def stats(self) -> dict[str, Any]: ...

    # -- derived tables, written in one transaction per engine run
    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]: ...
    def get_state(self, key: str, default: Any = None) -> Any: ...
    def set_state(self, key: str, value: Any) -> None: ...
    def episodes(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        kind: str | None = None,
        area: str | None = None,
        actor: str | None = None,
        *,
        evidence: bool = True,
        started_from: datetime | None = None,
        sessions_from_min: float | None = None,
    ) -> list[Episode]: ...
    def episode_spans(self) -> list[EpisodeSpan]: ...
    def episode_stats(self, start: datetime | None = None) -> list[EpisodeStat]: ...
    def routines(
        self, include_invalid: bool = False, actor: str | None = None
    ) -> list[Routine]: ...
    def set_routine_status(self, key: str, status: str) -> bool: ...
    def sequences(self) -> list[SequenceModel]: ...
    def preferences(self) -> list[Preference]: ...

    # -- memories
    def memories(
        self,
        type: str | None = None,
        status: str | None = None,
        include_closed: bool = False,
        *,
        valid_since: datetime | None = None,
        without_embedding: bool = False,
        evidence: bool = True,
        ids: Sequence[int] | None = None,
    ) -> list[Memory]: ...
    def memory_evidence(self, ids: Sequence[int]) -> dict[int, list[int]]: ...
    def add_memory(self, memory: Memory) -> int: ...
    def update_memory(self, memory_id: int, **fields: Any) -> bool: ...
    def delete_memory(self, memory_id: int) -> bool: ...
    def embeddings(self) -> dict[int, bytes]: ...
    def set_embeddings(self, vectors: dict[int, bytes | None]) -> None: ...
