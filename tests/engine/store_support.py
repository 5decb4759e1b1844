"""Shared helpers for the store tests: a database URL per back-end, events, a store factory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from galatea_engine.models import ActivityEvent
from galatea_engine.store import ActivityStore, StoreSettings
from sqlalchemy import create_engine, text

BACKENDS = ["sqlite", "postgres"]
T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def pg_url() -> str | None:
    """The test server's URL; skip without one locally, fail in CI (it must be there)."""
    url = os.environ.get("GALATEA_TEST_PG_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("GALATEA_TEST_PG_URL is not set in CI: PostgreSQL tests cannot run")
    pytest.skip("GALATEA_TEST_PG_URL not set (scripts/services/postgres.sh start)")
    return None


def reset_pg(url: str) -> None:
    """Empty the test database (drop and recreate the public schema)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database: a SQLite file in tmp_path, or the emptied PostgreSQL test db."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'galatea.db'}"
    url = pg_url()
    assert url is not None
    reset_pg(url)
    return url


@pytest.fixture
def make_store(db_url: str, tmp_path: Path) -> Iterator[Callable[..., ActivityStore]]:
    """Open stores on ``db_url`` with these settings (blobs in tmp_path); all are stopped after
    the test."""
    stores: list[ActivityStore] = []

    def factory(**settings: Any) -> ActivityStore:
        settings.setdefault("blob_dir", tmp_path / "blobs")
        store = ActivityStore(db_url, settings=StoreSettings(**settings))
        stores.append(store)
        return store

    yield factory
    for store in stores:
        store.stop()


def event(i: int, *, ts: datetime | None = None, **fields: Any) -> ActivityEvent:
    base: dict[str, Any] = {
        "ts": ts or T0 + timedelta(seconds=i),
        "source": "ha",
        "kind": "state_changed",
        "entity_id": f"light.l{i % 3}",
        "area": ["Kitchen", "Hall", "Bedroom"][i % 3],
        "state": "on" if i % 2 else "off",
        "data": {"brightness": 100 + i % 2},
    }
    base.update(fields)
    return ActivityEvent(**base)
