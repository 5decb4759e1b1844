"""Schema migrations: every earlier version's schema migrates forward to the current one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from galatea_engine.models import Memory
from galatea_engine.store import SCHEMA_VERSION, ActivityStore, SchemaTooNewError
from galatea_engine.store.migrations import MIGRATIONS, legacy_metadata
from galatea_engine.store.schema import activity, schema_changes
from sqlalchemy import create_engine, inspect, select

from . import store_support

db_url = store_support.db_url


def _build(url: str, version: int) -> None:
    """Create schema ``version`` as that release did, with one activity row in it."""
    engine = create_engine(url)
    try:
        md = legacy_metadata(version)
        with engine.begin() as conn:
            md.create_all(conn)
            conn.execute(md.tables["schema_changes"].insert().values(
                schema_version=version, changed=datetime(2026, 1, 1, tzinfo=UTC)))
            conn.execute(md.tables["activity"].insert().values(
                ts=1_767_600_000_000_000, tz_offset=3600, source="ha", kind="state_changed",
                entity_id="light.kitchen", state="on", v=1))
    finally:
        engine.dispose()


def test_every_version_has_a_migration() -> None:
    assert sorted(MIGRATIONS) == list(range(2, SCHEMA_VERSION + 1))


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_migrate_from_earlier_version(db_url: str, version: int) -> None:
    _build(db_url, version)
    store = ActivityStore(db_url)
    try:
        assert store.schema_version == SCHEMA_VERSION
        (old,) = store.iter_activity()
        assert old.entity_id == "light.kitchen"
        assert old.ts.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
        insp = inspect(store.engine)
        assert "embedding" in {c["name"] for c in insp.get_columns("memories")}
        # The migrated log has exactly the current indexes (schema 5 dropped three, 6 one).
        assert {i["name"] for i in insp.get_indexes("activity")} == {
            i.name for i in activity.indexes
        }
        mid = store.add_memory(Memory(type="semantic", text="migrated", evidence=[1]))
        store.set_embeddings({mid: b"1234"})
        assert store.embeddings() == {mid: b"1234"}
        with store.engine.connect() as conn:
            versions = [r[0] for r in conn.execute(
                select(schema_changes.c.schema_version).order_by(schema_changes.c.change_id))]
        assert versions == list(range(version, SCHEMA_VERSION + 1))
        assert store.add_events([old])[0] == 2
    finally:
        store.stop()
    reopened = ActivityStore(db_url)  # idempotent: nothing more to do
    try:
        assert reopened.schema_version == SCHEMA_VERSION
        assert reopened.count_activity() == 2
    finally:
        reopened.stop()


def test_fresh_schema_matches_current_metadata(db_url: str) -> None:
    store = ActivityStore(db_url)
    try:
        insp = inspect(store.engine)
        for table in legacy_metadata(SCHEMA_VERSION).sorted_tables:
            assert insp.has_table(table.name)
        assert {i["name"] for i in insp.get_indexes("activity")} >= {
            i.name for i in activity.indexes}
    finally:
        store.stop()


def test_newer_schema_is_refused(db_url: str) -> None:
    ActivityStore(db_url).stop()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(schema_changes.insert().values(
            schema_version=SCHEMA_VERSION + 1, changed=datetime.now(UTC)))
    engine.dispose()
    with pytest.raises(SchemaTooNewError):
        ActivityStore(db_url)


def test_schema_6_drops_the_entity_index(db_url: str) -> None:
    """Schema 5 had the (entity_id, ts) index; migrating to 6 drops it and entity reads still
    answer (from the time index)."""
    index = "ix_activity_entity_ts"
    assert index in {i.name for i in legacy_metadata(5).tables["activity"].indexes}
    assert index not in {i.name for i in activity.indexes}
    _build(db_url, 5)
    engine = create_engine(db_url)
    try:
        assert index in {i["name"] for i in inspect(engine).get_indexes("activity")}
    finally:
        engine.dispose()
    store = ActivityStore(db_url)
    try:
        assert store.schema_version == 6
        names = {i["name"] for i in inspect(store.engine).get_indexes("activity")}
        assert index not in names
        assert [ev.state for ev in store.iter_activity(entity_id="light.kitchen")] == ["on"]
        assert store.count_activity(entity_id="light.kitchen") == 1
    finally:
        store.stop()
