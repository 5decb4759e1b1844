"""The engine loop in the add-on: incremental runs every few minutes, a full re-mine nightly,
never two at once, exactly the same ``Engine`` the integration embeds.

By default every run happens in a short-lived child process (``spawn``, one run per process):
the engine's working set (weeks of activity, the mined candidates) is handed back to the OS
when the run ends, so the service idles small. ``isolated=False`` keeps one ``Engine`` in a
thread instead (its in-memory window makes incremental runs cheaper, at the cost of memory).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

LOGGER = logging.getLogger(__name__)

type Publisher = Callable[[Any], Awaitable[None]]

# Sessions younger than NAMING_WINDOW may cost a model call after a run; after the nightly full
# re-mine every session is rewritten, so older ones get their cached name back (no call) within
# FULL_RUN_WINDOW. Sessions that ended less than SETTLE ago may still grow: named next run.
NAMING_WINDOW = timedelta(hours=48)
INCREMENTAL_WINDOW = timedelta(days=7)
FULL_RUN_WINDOW = timedelta(days=3660)
SETTLE = timedelta(minutes=10)


def engine_options(settings: Any) -> Any:
    """``EngineOptions`` for the add-on (the engine's defaults: LLM naming is done here, by the
    worker, and embeddings by the API object)."""
    from galatea_engine.loop import EngineOptions

    del settings
    return EngineOptions()


@dataclass(frozen=True, slots=True)
class ChildConfig:
    """What a child process needs to run the engine once (picklable)."""

    database_url: str
    time_zone: str
    llm_endpoint: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    naming_cache: str | None = None


def make_namer(endpoint: str | None, model: str | None, api_key: str | None,
               cache: str | Path | None) -> Any:
    """Session naming through an OpenAI-compatible endpoint, or None without one."""
    if not endpoint:
        return None
    from galatea_engine.naming import DictCache, FileCache, NamingOptions, SessionNamer

    return SessionNamer(
        NamingOptions(base_url=endpoint, model=model or "gpt-4o-mini", api_key=api_key),
        cache=FileCache(cache) if cache else DictCache(),
    )


def name_sessions(store: Any, namer: Any, *, full: bool = False) -> dict[str, int]:
    """LLM titles/summaries for recent sessions (rules on any failure; see naming.py),
    written back in one transaction; after a full re-mine older sessions get their cached
    names back without a call. Returns the naming report's counters."""
    from galatea_engine.naming import name_recent_sessions

    report = name_recent_sessions(
        store,
        namer,
        datetime.now(UTC),
        FULL_RUN_WINDOW if full else INCREMENTAL_WINDOW,
        ask_window=NAMING_WINDOW,
        settle=SETTLE,
    )
    if report is None:
        return {}
    return {k: int(getattr(report, k, 0) or 0) for k in ("calls", "cache_hits", "fallbacks")}


def run_in_child(config: ChildConfig, full: bool) -> tuple[Any, dict[str, int]]:
    """One engine run in a fresh process: open the store, run, name, close."""
    from galatea_engine.loop import Engine
    from galatea_engine.store import ActivityStore

    store = ActivityStore(config.database_url)
    try:
        summary = Engine(store, ZoneInfo(config.time_zone)).run_once(full=full)
        named: dict[str, int] = {}
        namer = make_namer(config.llm_endpoint, config.llm_model, config.llm_api_key,
                           config.naming_cache)
        if namer is not None:
            try:
                named = name_sessions(store, namer, full=full)
            except Exception:  # names are a nicety: the run itself succeeded
                LOGGER.exception("Naming sessions failed")
        return summary, named
    finally:
        store.stop()


class EngineWorker:
    """Runs ``Engine.run_once`` on its own thread and keeps what the health page shows."""

    def __init__(
        self,
        store: Any,
        tz: tzinfo,
        *,
        interval_s: float,
        nightly_hour: int,
        options: Any = None,
        publish: Publisher | None = None,
        namer: Any = None,
        child: ChildConfig | None = None,
    ) -> None:
        self._store = store
        self._tz = tz
        self._options = options
        self._engine: Any = None
        self._interval_s = interval_s
        self._nightly_hour = nightly_hour
        self._publish = publish
        self._namer = namer  # in-thread mode: galatea_engine.naming.SessionNamer or None
        self._child = child  # set: every run in a fresh child process
        self._naming_on = namer is not None or bool(child and child.llm_endpoint)
        self.named = {"calls": 0, "cache_hits": 0, "fallbacks": 0}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="galatea-engine")
        self._processes: Executor | None = None
        self._cursor_name = getattr(options, "cursor_name", "engine")
        self._cursor = 0
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.runs = 0
        self.full_runs = 0
        self.last_run: datetime | None = None
        self.last_full_run_date: str | None = None
        self.last_duration_s: float | None = None
        self.last_new_activity = 0
        self.last_error: str | None = None
        self.processed_upto = 0
        self.next_run: datetime | None = None

    def status(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "full_runs": self.full_runs,
            "running": self._lock.locked(),
            "last_run": self.last_run.isoformat() if self.last_run else None,
            "last_duration_s": self.last_duration_s,
            "last_new_activity": self.last_new_activity,
            "last_error": self.last_error,
            "next_run": self.next_run.isoformat() if self.next_run else None,
            "processed_upto": self.processed_upto,
            "interval_s": self._interval_s,
            "naming": dict(self.named) if self._naming_on else None,
            "isolated": self._child is not None,
            "nightly_hour": self._nightly_hour,
        }

    async def run(self, *, full: bool = False) -> Any:
        """One engine run (waits for a run in progress instead of overlapping it)."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            started = time.monotonic()
            upto = await loop.run_in_executor(self._executor, self._store.last_activity_id)
            try:
                if self._child is not None and not full and await loop.run_in_executor(
                        self._executor, self._nothing_new):
                    # Same early return as Engine.run_once, without starting a process.
                    summary, named = self._idle_summary(), dict[str, int]()
                elif self._child is not None:
                    summary, named = await loop.run_in_executor(
                        self._process_pool(), run_in_child, self._child, full)
                else:
                    summary, named = await loop.run_in_executor(
                        self._executor, self._run_once, full)
                for key, value in named.items():
                    self.named[key] = self.named.get(key, 0) + value
            except Exception as err:  # keep serving; the error shows on the health page
                self.last_error = f"{type(err).__name__}: {err}"
                LOGGER.exception("Engine run failed")
                return None
            self.runs += 1
            self.full_runs += int(full)
            self.last_run = datetime.now(UTC)
            self.last_duration_s = round(time.monotonic() - started, 3)
            self.last_new_activity = int(getattr(summary, "new_activity", 0) or 0)
            self.last_error = None
            # The engine's cursor (the same one the embedded runner uses: switching modes
            # resumes exactly where the other engine stopped).
            cursor = getattr(summary, "cursor", None)
            self.processed_upto = int(cursor) if cursor is not None else int(upto or 0)
            LOGGER.info(
                "Engine %s run: %d new activities, %d learned, %d changed in %.2f s",
                "full" if full else "incremental", self.last_new_activity,
                len(getattr(summary, "learned", ()) or ()),
                len(getattr(summary, "changed", ()) or ()), self.last_duration_s,
            )
        if self._publish is not None:
            try:
                await self._publish(summary)
            except Exception:
                LOGGER.exception("Publishing the engine's results failed")
        return summary

    def _nothing_new(self) -> bool:
        """True when the engine's cursor already covers the activity log (and it has run)."""
        with self._store.unit_of_work() as uow:
            cursor = uow.get_cursor(self._cursor_name)
        self._cursor = cursor
        return bool(cursor) and self._store.last_activity_id() <= cursor

    def _idle_summary(self) -> Any:
        from galatea_engine.loop import RunSummary

        return RunSummary(0, [], [], 0.0, cursor=self._cursor)

    def _process_pool(self) -> Executor:
        if self._processes is None:
            # spawn: no copy of the server's memory; one task per child: the OS gets the
            # engine's working set back after every run.
            self._processes = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=1,
            )
        return self._processes

    def _run_once(self, full: bool) -> tuple[Any, dict[str, int]]:
        if self._engine is None:
            from galatea_engine.loop import Engine

            self._engine = Engine(self._store, self._tz, self._options)
        summary = self._engine.run_once(full=full)
        named: dict[str, int] = {}
        if self._namer is not None:
            try:
                named = name_sessions(self._store, self._namer, full=full)
            except Exception:  # names are a nicety: the run itself succeeded
                LOGGER.exception("Naming sessions failed")
        return summary, named

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._schedule(), name="engine loop")

    async def _schedule(self) -> None:
        while True:
            now_local = datetime.now(self._tz)
            today = now_local.date().isoformat()
            full = (
                now_local.hour == self._nightly_hour
                and self.last_full_run_date != today
                and self.runs > 0
            )
            await self.run(full=full)
            if full:
                self.last_full_run_date = today
            self.next_run = datetime.fromtimestamp(time.time() + self._interval_s, UTC)
            await asyncio.sleep(self._interval_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async with self._lock:  # let a run in progress finish (it commits in one transaction)
            pass
        self._executor.shutdown(wait=True)
        if self._processes is not None:
            self._processes.shutdown(wait=True)
