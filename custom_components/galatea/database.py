"""Open, validate and close the activity store, always in the executor (never on the loop).

A SQLite file that is not a database any more (corrupt, truncated, overwritten) is moved
aside and a fresh one started, as HA's recorder does; a repair issue tells the user.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError

from .repairs import async_create_corrupt_database_issue

if TYPE_CHECKING:
    from .data import GalateaConfigEntry, GalateaData, GalateaOptions
    from .engine.store import ActivityStore

STOP_TIMEOUT = 30.0


class DatabaseUnavailable(Exception):
    """The database cannot be opened right now (locked, server down, bad URL)."""


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


def open_store(options: GalateaOptions) -> ActivityStore:
    """Create and start the store (executor). The store itself moves a corrupt SQLite file
    aside and starts a fresh one (``recovered_from_corruption``)."""
    from .engine.store import ActivityStore

    path = sqlite_path(options.db_url)
    if path is not None and not path.parent.is_dir():
        raise DatabaseUnavailable(f"folder {path.parent} does not exist")
    try:
        store = ActivityStore(
            url=options.db_url,
            commit_interval=options.commit_interval,
            retention_days=options.retention_days or None,
        )
        store.start()
    except DatabaseError as err:  # locked for too long, unreachable server, permissions
        raise DatabaseUnavailable(str(err.orig or err)) from err
    return store


async def async_open_store(
    hass: HomeAssistant, entry: GalateaConfigEntry, options: GalateaOptions
) -> ActivityStore:
    """Open the store in the executor; raise a repair issue if a corrupt file was replaced."""
    store = await hass.async_add_executor_job(open_store, options)
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
    if data.extras.get("store_closed"):
        return
    data.extras["store_closed"] = True
    await hass.async_add_executor_job(close_store, data.store)
