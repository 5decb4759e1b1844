"""``Maintenance``: retention purge, WAL checkpoints, the running marker, health and stats."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DatabaseError, OperationalError

from . import activity as act
from .activity_log import ActivityLog
from .database import RUNNING_KEY, Database
from .derived_store import DerivedStore
from .schema import to_micros
from .settings import StoreSettings
from .writer import HEALTH_OK

_LOGGER = logging.getLogger(__name__)

LAST_PURGE_KEY = "store.last_purge"


class Maintenance:
    """Housekeeping the writer thread runs between commits (``tick``), and what the store
    tells about itself (``health``, ``stats``)."""

    def __init__(
        self,
        database: Database,
        log: ActivityLog,
        state: DerivedStore,
        settings: StoreSettings,
        on_health: Callable[[str, str], None] | None = None,
    ) -> None:
        self._db = database
        self._log = log
        self._state = state
        self._settings = settings
        self.on_health = on_health  # (state, detail) on each change of the writer's health
        self._purge_running = False
        self._mark_running = False  # the running marker could not be written at start
        self._last_checkpoint = time.monotonic()

    # -- the running marker and the writer's health -------------------------------------

    def mark_running(self) -> OperationalError | None:
        """Set the running marker; a full disk (or a lock) is returned, not raised: capture
        still starts, and the marker is written once writes work again."""
        try:
            self._state.set_state(RUNNING_KEY, True)
        except OperationalError as err:
            self._mark_running = True
            return err
        return None

    def mark_stopped(self) -> None:
        """Clear the running marker: a clean stop (a failure is logged)."""
        try:
            self._state.set_state(RUNNING_KEY, False)
        except Exception:
            _LOGGER.exception("Could not mark the Galatea store as cleanly stopped")

    def reopened(self) -> None:
        """A corrupt file was replaced at runtime: a started writer marks the fresh one."""
        if self._log.writer is not None:
            self._state.set_state(RUNNING_KEY, True)

    def health_changed(self, state: str, detail: str) -> None:
        """Writer thread: commits failing or working again. On recovery the WAL is
        checkpointed at once (it grew while the disk was full)."""
        if state == HEALTH_OK and self._mark_running:
            self._mark_running = False
            try:
                self._state.set_state(RUNNING_KEY, True)
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
        writer = self._log.writer
        return (writer.health, writer.health_detail) if writer else (HEALTH_OK, "")

    # -- purge and checkpoint -----------------------------------------------------------

    def tick(self) -> None:
        """Writer-thread housekeeping: nightly retention purge, periodic WAL checkpoint."""
        if self.purge_due():
            now = datetime.now(UTC)
            assert self._settings.retention_days is not None
            self._purge_running = True
            self._state.set_state(LAST_PURGE_KEY, now.isoformat())
            self._purge_step(now - timedelta(days=self._settings.retention_days))
        if time.monotonic() - self._last_checkpoint >= self._settings.checkpoint_interval:
            self.checkpoint()

    def purge_due(self, now: datetime | None = None) -> bool:
        """Is a retention purge due? Right away the first time; then nightly at ``purge_hour``
        (local time) or after a missed night (1.5 x ``purge_interval``); with ``purge_hour``
        None, every ``purge_interval`` seconds."""
        settings = self._settings
        if not settings.retention_days or self._purge_running:
            return False
        now = now or datetime.now(UTC)
        last = self._state.get_state(LAST_PURGE_KEY)
        if last is None:
            return True
        elapsed = (now - datetime.fromisoformat(last)).total_seconds()
        if settings.purge_hour is None:
            return elapsed >= settings.purge_interval
        if elapsed >= 1.5 * settings.purge_interval:
            return True
        return (elapsed >= 0.5 * settings.purge_interval
                and now.astimezone().hour == settings.purge_hour)

    def _purge_step(self, cutoff: datetime) -> None:
        """One bounded purge batch on the writer thread; re-queues itself while rows remain,
        so events queued meanwhile are committed between batches (like the recorder)."""
        try:
            deleted = self.purge(cutoff, max_batches=1)
        except Exception:
            self._purge_running = False
            raise
        writer = self._log.writer
        if deleted >= self._settings.purge_batch and writer is not None and writer.is_alive():
            writer.submit(lambda: self._purge_step(cutoff))
            return
        self._purge_running = False
        self.checkpoint()

    def purge(self, older_than: datetime, *, batch: int | None = None,
              max_batches: int | None = None) -> int:
        """Delete activity before ``older_than`` in transactions of ``batch`` rows (payloads
        and blobs nobody references any more go too). Returns rows deleted."""
        db, blobs = self._db, self._log.blobs
        size = batch or self._settings.purge_batch
        cutoff = to_micros(older_than)
        total = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            def one() -> tuple[int, list[str]]:
                with db.write_lock:
                    with db.begin() as conn:
                        result = act.purge_batch(conn, cutoff, size)
                    if result[0]:
                        db.payloads.clear()
                    return result

            deleted, unused_blobs = db.retry(one)
            batches += 1
            total += deleted
            if blobs is not None:
                for digest in unused_blobs:
                    blobs.delete(digest)
            if deleted < size:
                break
        if total:
            _LOGGER.info("Galatea store purged %s activity rows before %s", total, older_than)
        return total

    def checkpoint(self) -> bool:
        """SQLite: ``PRAGMA wal_checkpoint(TRUNCATE)``; True when the checkpoint completed."""
        db = self._db
        if not db.is_sqlite or db.db_file is None:
            return False

        def run() -> bool:
            with db.write_lock, db.connect() as conn:
                row = conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).first()
                conn.commit()
            return row is not None and int(row[0]) == 0

        ok: bool = db.retry(run)
        self._last_checkpoint = time.monotonic()
        return ok

    # -- stats --------------------------------------------------------------------------

    def _db_size(self) -> int | None:
        """Bytes of the SQLite file and its WAL, or of the PostgreSQL database."""
        db = self._db
        if db.db_file is not None:
            return sum(Path(f"{db.db_file}{x}").stat().st_size
                       for x in ("", "-wal") if Path(f"{db.db_file}{x}").exists())
        if db.engine.dialect.name == "postgresql":
            try:
                with db.connect() as conn:
                    return int(conn.execute(
                        text("SELECT pg_database_size(current_database())")).scalar_one())
            except DatabaseError:
                return None
        return None

    def stats(self) -> dict[str, Any]:
        log, writer = self._log, self._log.writer
        committed = log.committed_sync + (writer.committed if writer else 0)
        last = max(filter(None, [log.last_commit, writer.last_commit if writer else None]),
                   default=None)
        recovered = self._db.recovered_from_corruption
        return {
            "queued": writer.queued if writer else 0,
            "committed": committed,
            "dropped": writer.dropped if writer else 0,
            "batches": writer.batches if writer else 0,
            "rejected": log.rejected,
            "last_commit": datetime.fromtimestamp(last, UTC).isoformat() if last else None,
            "db_size": self._db_size(),
            "schema_version": self._db.schema_version,
            "health": writer.health if writer else "ok",
            "health_detail": writer.health_detail if writer else "",
            "max_backlog": self._settings.max_backlog,
            "backend": self._db.engine.dialect.name,
            "recovered_from_corruption": str(recovered) if recovered else None,
        }
