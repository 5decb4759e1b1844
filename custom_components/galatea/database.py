"""Open, validate and close the activity store, always in the executor (never on the loop).

A SQLite file that is not a database any more (corrupt, truncated, overwritten) is moved
aside and a fresh one started, as HA's recorder does; a repair issue tells the user. A database
Galatea did not make (another application's, or a newer Galatea's) is refused with a repair
issue and never written to. Start-up waits at most ``OPEN_TIMEOUT`` seconds on a locked
database (the entry is "not ready" and HA retries in the background). When writes start failing
(disk full, locked) a repair issue says so until they work again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError

from .diagnostics import redact_db_url
from .repairs import (
    ISSUE_DATABASE_FOREIGN,
    ISSUE_DATABASE_TOO_NEW,
    async_create_corrupt_database_issue,
    async_create_database_refused_issue,
    async_database_health_issue,
    async_delete_database_refused_issues,
)

if TYPE_CHECKING:
    from .data import GalateaConfigEntry, GalateaData, GalateaOptions
    from .engine.store import ActivityStore

STOP_TIMEOUT = 30.0
OPEN_TIMEOUT = 2.0  # seconds start-up waits on a locked SQLite file


class DatabaseUnavailable(Exception):
    """The database cannot be opened right now (locked, server down, bad URL)."""


class DatabaseRefused(Exception):
    """The database is not one this Galatea may use; retrying will not help."""

    def __init__(self, issue: str, placeholders: dict[str, str]) -> None:
        super().__init__(f"{issue}: {placeholders}")
        self.issue = issue
        self.placeholders = placeholders


class InvalidDatabaseUrl(DatabaseUnavailable):
    """The URL is not one SQLAlchemy understands."""


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL (None for other backends and in-memory)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def validate_db_url(url: str) -> None:
    """Connect once (executor). Raises InvalidDatabaseUrl / DatabaseUnavailable."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise InvalidDatabaseUrl(str(err)) from err
    path = sqlite_path(url)
    if path is not None and not path.parent.is_dir():
        raise DatabaseUnavailable(f"folder {path.parent} does not exist")
    try:
        engine = create_engine(parsed)
    except (ArgumentError, NoSuchModuleError, ImportError) as err:
        raise InvalidDatabaseUrl(str(err)) from err
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DatabaseError as err:
        raise DatabaseUnavailable(str(err.orig or err)) from err
    finally:
        engine.dispose()


def open_store(
    options: GalateaOptions,
    on_health: Callable[[str, str], None] | None = None,
    on_recovered: Callable[[Path], None] | None = None,
) -> ActivityStore:
    """Create and start the store (executor). The store itself moves a corrupt SQLite file
    aside and starts a fresh one (``recovered_from_corruption``). Raises
    ``DatabaseUnavailable`` (try again later) or ``DatabaseRefused`` (not ours / too new)."""
    from .engine.store import (
        ActivityStore,
        ForeignDatabaseError,
        SchemaTooNewError,
        StoreSettings,
    )

    path = sqlite_path(options.db_url)
    if path is not None and not path.parent.is_dir():
        raise DatabaseUnavailable(f"folder {path.parent} does not exist")
    database = redact_db_url(options.db_url)
    try:
        store = ActivityStore(
            url=options.db_url,
            settings=StoreSettings(
                commit_interval=options.commit_interval,
                retention_days=options.retention_days or None,
                open_timeout=OPEN_TIMEOUT,
            ),
            on_health=on_health,
            on_recovered=on_recovered,
        )
        store.start()
    except ForeignDatabaseError as err:
        raise DatabaseRefused(ISSUE_DATABASE_FOREIGN, {
            "database": database, "tables": ", ".join(err.tables[:8])}) from err
    except SchemaTooNewError as err:
        raise DatabaseRefused(ISSUE_DATABASE_TOO_NEW, {
            "database": database, "found": str(err.found),
            "supported": str(err.supported)}) from err
    except DatabaseError as err:  # locked, unreachable server, permissions, disk full
        raise DatabaseUnavailable(str(err.orig or err)) from err
    return store


async def async_open_store(
    hass: HomeAssistant, entry: GalateaConfigEntry, options: GalateaOptions
) -> ActivityStore:
    """Open the store in the executor; raise a repair issue if a corrupt file was replaced,
    or when the database is refused (then ``DatabaseRefused`` propagates)."""
    database = redact_db_url(options.db_url)

    def on_health(state: str, detail: str) -> None:  # writer thread
        # RuntimeError: HA's loop is closed (shutting down), nothing to tell.
        with contextlib.suppress(RuntimeError):
            hass.loop.call_soon_threadsafe(
                async_database_health_issue, hass, entry, state, detail, database)

    def on_recovered(moved: Path) -> None:  # any thread: damage found after start-up too
        with contextlib.suppress(RuntimeError):
            hass.loop.call_soon_threadsafe(
                async_create_corrupt_database_issue, hass, entry, str(moved))

    try:
        store = await hass.async_add_executor_job(open_store, options, on_health, on_recovered)
    except DatabaseRefused as err:
        async_create_database_refused_issue(hass, entry, err.issue, err.placeholders)
        raise
    async_delete_database_refused_issues(hass, entry)
    async_check_recovery(hass, entry, store)
    return store


@callback
def async_check_recovery(
    hass: HomeAssistant, entry: GalateaConfigEntry, store: ActivityStore
) -> None:
    """Raise the repair issue once for each corrupt file the store moved aside."""
    moved = getattr(store, "recovered_from_corruption", None)
    if moved is not None:
        async_create_corrupt_database_issue(hass, entry, str(moved))


def close_store(store: ActivityStore) -> None:
    """Flush everything queued and stop the writer (executor)."""
    store.stop(timeout=STOP_TIMEOUT)


async def async_close_store(hass: HomeAssistant, data: GalateaData) -> None:
    """Flush and stop the store once, whichever of unload / HA stop comes first."""
    if data.store_closed:
        return
    data.store_closed = True
    await hass.async_add_executor_job(close_store, data.store)
