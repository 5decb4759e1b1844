"""``StoreSettings``: how an ``ActivityStore`` writes, retries and keeps its data."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreSettings:
    """Tuning of one store; the defaults suit Home Assistant (tests shorten the intervals)."""

    blob_dir: str | os.PathLike[str] | None = None
    """Blob folder (None: ``galatea_blobs`` beside a SQLite file, no blobs otherwise)."""
    commit_interval: float = 1.0  # seconds between the writer's batch commits
    max_backlog: int = 50_000  # queued events before enqueue drops
    max_batch: int = 5_000  # events in one commit at the most
    retention_days: float | None = None  # activity older than this is purged (None: kept)
    purge_interval: float = 86_400.0  # seconds between purges
    purge_batch: int = 10_000  # rows deleted in one purge transaction
    purge_hour: int | None = 4  # local hour of the nightly purge (None: every interval)
    checkpoint_interval: float = 600.0  # seconds between WAL checkpoints (SQLite)
    maintenance_interval: float = 60.0  # seconds between the writer's maintenance ticks
    busy_timeout: float = 5.0  # seconds SQLite waits on a lock
    lock_retries: int = 6  # attempts of an operation on a locked database
    max_page_count: int | None = None  # SQLite file cap in pages (None: SQLite's)
    open_timeout: float | None = None
    """Start-up must not wait long on a locked database: with a value, the first open tries
    once for that long and raises (the caller retries later)."""
