"""The writer thread: one consumer of a ``queue.SimpleQueue``, timed batched commits.

Modelled on HA's recorder: producers never block (``enqueue`` only appends, or drops and counts
when the backlog is full), the thread commits whatever arrived every ``commit_interval`` seconds
(or at ``max_batch`` events), runs maintenance (purge, WAL checkpoint) between batches, and on stop
commits everything queued before it exits.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..models import ActivityEvent

_LOGGER = logging.getLogger(__name__)

DROP_LOG_INTERVAL = 60.0

HEALTH_OK = "ok"


def failure_reason(err: BaseException) -> str:
    """A short name for why a commit failed: ``disk_full``, ``locked`` or ``error``."""
    text = str(getattr(err, "orig", None) or err).lower()
    if "disk is full" in text or "database or disk is full" in text or "no space" in text:
        return "disk_full"
    if "locked" in text or "busy" in text:
        return "locked"
    return "error"


class PartialCommit(Exception):
    """The first ``done`` events of a batch were committed (``stored`` rows), then the rest
    failed with ``cause``: those are not retried, the rest is."""

    def __init__(self, done: int, stored: int, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.done = done
        self.stored = stored
        self.cause = cause


@dataclass(slots=True)
class _Barrier:
    """Flush/stop marker: set once everything queued before it is committed (or given up)."""

    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = True


class _Stop(_Barrier):
    pass


@dataclass(frozen=True, slots=True)
class _Group:
    """Events queued together (a webhook batch): committed in the same transaction."""

    events: tuple[ActivityEvent, ...]


@dataclass(slots=True)
class _Task:
    fn: Callable[[], object]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class WriterThread(threading.Thread):
    """Owns the queue; ``commit(batch)`` persists a batch (returns how many rows it stored)
    or raises, and the batch is kept and retried with a back-off (disk full, locked): one
    warning when commits start failing and one when they work again, never one per retry.
    ``on_health(state, detail)`` hears each change (``ok``, ``disk_full``, ``locked``,
    ``error``)."""

    def __init__(
        self,
        commit: Callable[[Sequence[Any]], int | None],
        maintenance: Callable[[], None],
        *,
        compact: Callable[[ActivityEvent], Any] | None = None,
        commit_interval: float = 1.0,
        max_backlog: int = 50_000,
        max_batch: int = 5_000,
        maintenance_interval: float = 60.0,
        retry_delay: float = 0.5,
        max_retry_delay: float = 5.0,
        on_health: Callable[[str, str], None] | None = None,
    ) -> None:
        super().__init__(name="galatea-store-writer", daemon=True)
        self._commit = commit
        self._maintenance = maintenance
        self.commit_interval = max(0.0, commit_interval)
        self.max_backlog = max(1, max_backlog)
        self.max_batch = max(1, max_batch)
        self.maintenance_interval = maintenance_interval
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        # What waits for the next commit: events, or what ``compact`` made of them (plain
        # tuples the garbage collector soon stops watching; see activity.plain_row).
        self._compact = compact
        self._pending: list[Any] = []
        # _joined[i]: event i and event i + 1 belong to one group (never split between commits)
        self._joined: list[bool] = []
        self._lock = threading.Lock()
        self._outstanding = 0  # accepted, not yet committed or dropped
        self._stopping = False
        self.dropped = 0
        self.committed = 0
        self.failed_commits = 0
        self.batches = 0
        self.last_commit: float | None = None  # time.time() of the last successful commit
        self._last_drop_log = 0.0
        self._drops_since_log = 0
        self.health = HEALTH_OK
        self.health_detail = ""
        self._on_health = on_health
        self._retry_at: float | None = None  # no commit before this while failing

    # -- producer side (any thread, never blocks) ---------------------------------------

    @property
    def queued(self) -> int:
        """Events accepted but not committed (or dropped) yet."""
        return self._outstanding

    def enqueue(self, ev: ActivityEvent) -> bool:
        return self._put(ev)

    def enqueue_raw(self, item: tuple[Any, ...]) -> bool:
        """Queue a raw tuple whose first element converts it, on this thread, to the
        ActivityEvent to write, or straight to its plain row (``activity.PlainRow``), or None
        (not activity). Lets HA's event loop hand over one tuple of values it already holds
        and nothing else."""
        return self._put(item)

    def _put(self, item: object) -> bool:
        """One item into the queue, or a counted drop when stopping or the backlog is full."""
        with self._lock:
            accept = not self._stopping and self._outstanding < self.max_backlog
            if accept:
                self._outstanding += 1
                self._queue.put(item)
        if not accept:
            self._count_drop(1, accepted=False)
        return accept

    def enqueue_many(self, evs: Sequence[ActivityEvent]) -> bool:
        """All of ``evs`` or none (a batch is never split by a full backlog)."""
        with self._lock:
            accept = (not self._stopping
                      and self._outstanding + len(evs) <= self.max_backlog)
            if accept and evs:
                self._outstanding += len(evs)
                self._queue.put(_Group(tuple(evs)))
        if not accept:
            self._count_drop(len(evs), accepted=False)
        return accept

    def _count_drop(self, n: int, *, accepted: bool = True) -> None:
        with self._lock:
            if accepted:
                self._outstanding -= n
            self.dropped += n
            self._drops_since_log += n
            now = time.monotonic()
            if now - self._last_drop_log < DROP_LOG_INTERVAL and self._last_drop_log:
                return
            count, self._drops_since_log = self._drops_since_log, 0
            self._last_drop_log = now
        _LOGGER.warning("Galatea store backlog full (%s events): dropped %s event(s) "
                        "(%s in total)", self.max_backlog, count, self.dropped)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before this call is committed."""
        if not self.is_alive():
            return self.queued == 0
        barrier = _Barrier()
        self._queue.put(barrier)
        return barrier.done.wait(timeout) and barrier.ok

    def call(self, fn: Callable[[], object], timeout: float | None = None) -> None:
        """Run ``fn`` on the writer thread (between batches) and wait for it."""
        if not self.is_alive():
            fn()
            return
        task = _Task(fn)
        self._queue.put(task)
        if not task.done.wait(timeout):
            raise TimeoutError("writer task timed out")
        if task.error is not None:
            raise task.error

    def submit(self, fn: Callable[[], object]) -> None:
        """Queue ``fn`` to run on the writer thread after what is queued now (no waiting)."""

        def logged() -> None:
            try:
                fn()
            except Exception:
                _LOGGER.exception("Galatea store background task failed")

        self._queue.put(_Task(logged))

    def stop(self, timeout: float | None = 10.0) -> bool:
        """Commit everything queued, then end the thread. True when nothing was lost."""
        if not self.is_alive():
            return self.queued == 0
        marker = _Stop()
        with self._lock:
            self._stopping = True  # later enqueues are refused (and counted)
            self._queue.put(marker)
        ok = marker.done.wait(timeout)
        self.join(5.0 if timeout is None else max(0.1, timeout))
        return ok and marker.ok

    # -- consumer side ------------------------------------------------------------------

    def run(self) -> None:
        deadline: float | None = None
        next_maintenance = time.monotonic() + self.maintenance_interval
        while True:
            now = time.monotonic()
            wait = next_maintenance - now
            if self._pending and deadline is not None:
                wait = min(wait, deadline - now)
            try:
                item = self._queue.get(timeout=max(0.0, wait))
            except queue.Empty:
                item = None
            if isinstance(item, ActivityEvent | _Group | tuple):
                self._take(item)
                if deadline is None:
                    deadline = time.monotonic() + self.commit_interval
                # Take whatever else is already waiting without sleeping.
                while len(self._pending) < self.max_batch:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if isinstance(nxt, ActivityEvent | _Group | tuple):
                        self._take(nxt)
                    else:
                        item = nxt
                        break
            if isinstance(item, _Task):
                self._commit_pending(final=False)
                deadline = None
                try:
                    item.fn()
                except BaseException as err:  # handed to the caller
                    item.error = err
                    _LOGGER.debug("Writer task failed", exc_info=True)
                item.done.set()
            elif isinstance(item, _Barrier):
                item.ok = self._commit_pending(final=isinstance(item, _Stop))
                deadline = None if not self._pending else time.monotonic() + self._retry_delay
                item.done.set()
                if isinstance(item, _Stop):
                    return
            now = time.monotonic()
            waiting = self._retry_at is not None and now < self._retry_at
            if self._pending and not waiting and (
                    len(self._pending) >= self.max_batch
                    or (deadline is not None and now >= deadline)):
                if self._commit_pending(final=False):
                    deadline = None
                    self._retry_at = None
                else:
                    # Back off (also with a full batch waiting): the backlog is kept, bounded.
                    self._retry_at = deadline = time.monotonic() + min(
                        self._max_retry_delay, self._retry_delay * 2 ** min(self.failed_commits, 6))
            if now >= next_maintenance:
                next_maintenance = now + self.maintenance_interval
                try:
                    self._maintenance()
                except Exception as err:
                    if self.health != HEALTH_OK or failure_reason(err) != "error":
                        # Disk full or locked: the commit path reports that state once.
                        _LOGGER.debug("Galatea store maintenance failed: %s", err)
                    else:
                        _LOGGER.exception("Galatea store maintenance failed")

    def _take(self, item: ActivityEvent | _Group | tuple[Any, ...]) -> None:
        if isinstance(item, tuple):
            try:
                ev = item[0](item)
            except Exception:  # a converter's bug must not stop the writer
                _LOGGER.exception("Galatea could not convert a captured event")
                ev = None
            if isinstance(ev, ActivityEvent):
                self._pending.append(self._compacted(ev))
            elif isinstance(ev, tuple):  # already the plain row the store writes
                self._pending.append(ev)
            else:
                with self._lock:
                    self._outstanding -= 1  # not activity: nothing to write
                return
            self._joined.append(False)
            return
        events = item.events if isinstance(item, _Group) else (item,)
        self._pending.extend(self._compacted(ev) for ev in events)
        self._joined.extend([True] * (len(events) - 1) + [False])

    def _compacted(self, ev: ActivityEvent) -> Any:
        if self._compact is None:
            return ev
        try:
            return self._compact(ev)
        except ValueError:
            return ev  # the commit path repairs or rejects it

    def _chunk(self) -> int:
        """Events in the next commit: ``max_batch``, or more to finish a group."""
        size = min(self.max_batch, len(self._pending))
        while size < len(self._pending) and self._joined[size - 1]:
            size += 1
        return size

    def _commit_pending(self, *, final: bool) -> bool:
        """Commit all pending events in ``max_batch`` chunks (a group is never split); False
        when a commit failed."""
        attempts = 0
        while self._pending:
            batch = self._pending[: self._chunk()]
            try:
                stored = self._commit(batch)
            except Exception as err:
                cause: BaseException = err
                if isinstance(err, PartialCommit):  # never write the committed part twice
                    self._done(err.done, err.stored)
                    cause = err.cause
                self.failed_commits += 1
                attempts += 1
                self._set_health(failure_reason(cause),
                                 f"{type(cause).__name__}: {cause}"[:300])
                if not final or attempts >= 3:  # final: bounded, HA is shutting down
                    if final:
                        _LOGGER.warning("Galatea store stopped with %s event(s) it could not "
                                        "write (%s)", len(self._pending), self.health)
                        self._count_drop(len(self._pending))
                        self._pending.clear()
                        self._joined.clear()
                    return False
                time.sleep(min(self._max_retry_delay, self._retry_delay * 2 ** attempts))
                continue
            self._done(len(batch), len(batch) if stored is None else stored)
            self.batches += 1
            self.failed_commits = 0
            self.last_commit = time.time()
            self._set_health(HEALTH_OK, "")
        return True

    def _done(self, events: int, stored: int) -> None:
        """The first ``events`` pending events are written (``stored`` rows of them)."""
        del self._pending[:events]
        del self._joined[:events]
        with self._lock:
            self._outstanding -= events
        self.committed += stored

    def report_failure(self, err: BaseException) -> None:
        """A write outside the writer failed (the start-up marker): same state handling."""
        self._set_health(failure_reason(err), f"{type(err).__name__}: {err}"[:300])

    def _set_health(self, state: str, detail: str) -> None:
        """Log and report a change of state once (not every retry)."""
        if state == self.health:
            self.health_detail = detail or self.health_detail
            return
        before, self.health, self.health_detail = self.health, state, detail
        if state == HEALTH_OK:
            _LOGGER.warning("Galatea store writes again (after %s); %s event(s) waiting",
                            before, len(self._pending))
        else:
            _LOGGER.warning("Galatea store cannot write (%s): %s; keeping up to %s events "
                            "queued and retrying", state, detail, self.max_backlog)
        if self._on_health is not None:
            try:
                self._on_health(state, detail)
            except Exception:
                _LOGGER.exception("Galatea store health callback failed")
