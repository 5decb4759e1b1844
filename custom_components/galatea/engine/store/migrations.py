"""Schema versions and forward migrations (recorder style: ``schema_changes`` records each step).

History:
  1. activity log only: ``schema_changes``, ``engine_state``, ``activity_data``, ``activity``.
  2. derived tables: ``evidence``, ``episodes``, ``routines``, ``sequences``, ``preferences``,
     ``memories`` (without an embedding column).
  3. ``memories.embedding`` (float32 bytes) and an index on ``activity.context_id``.
  4. indexes ``ix_episodes_end`` and ``ix_memories_type_valid_from``: each engine run reads the
     episodes ending and the memories valid from a recent time on, without scanning a year.
  5. drops the activity indexes on ``source``, ``kind`` and ``context_id`` (insert cost).
  6. drops the activity index on ``(entity_id, ts)`` (insert cost, see ``schema.py``).

``legacy_metadata(v)`` rebuilds the DDL of an earlier version so tests can create it and migrate.
A database newer than this code is refused (never downgraded).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    Index,
    LargeBinary,
    MetaData,
    Table,
    inspect,
    select,
    text,
)

from . import schema as s

_LOGGER = logging.getLogger(__name__)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer Galatea."""

    def __init__(self, found: int, supported: int) -> None:
        super().__init__(f"database schema {found} is newer than this Galatea ({supported})")
        self.found = found
        self.supported = supported


class ForeignDatabaseError(RuntimeError):
    """The database holds tables Galatea did not make (another application's file)."""

    def __init__(self, tables: list[str]) -> None:
        super().__init__(f"not a Galatea database (tables: {', '.join(tables[:8])})")
        self.tables = tables


def _copy_table(
    md: MetaData,
    table: Table,
    *,
    drop_columns: Iterable[str] = (),
    drop_indexes: Iterable[str] = (),
) -> Table:
    dropped = set(drop_columns)
    skipped = set(drop_indexes)
    cols = [c._copy() for c in table.columns if c.name not in dropped]
    new = Table(table.name, md, *cols, **table.kwargs)
    have = {i.name for i in new.indexes}  # column-level index=True ones come with the copy
    for index in table.indexes:
        names = [c.name for c in index.columns]
        if index.name in skipped or index.name in have or dropped.intersection(names):
            continue
        Index(index.name, *(new.c[n] for n in names), unique=bool(index.unique))
    return new


def legacy_metadata(version: int) -> MetaData:
    """The tables exactly as schema ``version`` created them (for migration tests)."""
    md = MetaData()
    if version == s.SCHEMA_VERSION:
        return s.metadata
    if version not in range(1, s.SCHEMA_VERSION):
        raise ValueError(f"no schema version {version}")
    for table in (s.schema_changes, s.engine_state, s.activity_data):
        _copy_table(md, table)
    act = _copy_table(md, s.activity)
    for name, columns, since, until in _DROPPED_INDEXES:
        if since <= version < until:
            Index(name, *(act.c[c] for c in columns))
    if version == 1:
        return md
    for table in s.DERIVED_TABLES:
        _copy_table(
            md,
            table,
            drop_columns=["embedding"] if table is s.memories and version == 2 else (),
            drop_indexes=_V4_INDEXES if version < 4 else (),
        )
    return md


def _to_2(conn: Connection) -> None:
    s.metadata.create_all(
        conn, tables=[t for t in s.DERIVED_TABLES if t is not s.memories], checkfirst=True
    )
    # Version 2's memories table, without the embedding column version 3 adds.
    _copy_table(MetaData(), s.memories, drop_columns=["embedding"]).create(conn, checkfirst=True)


def _to_3(conn: Connection) -> None:
    cols = {c["name"] for c in inspect(conn).get_columns("memories")}
    if "embedding" not in cols:
        col = Column("embedding", LargeBinary)
        col_type = col.type.compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE memories ADD COLUMN embedding {col_type}"))
    indexes = {i["name"] for i in inspect(conn).get_indexes("activity")}
    if "ix_activity_context_id" not in indexes:  # dropped again by schema 5
        conn.execute(text("CREATE INDEX ix_activity_context_id ON activity (context_id)"))


_V4_INDEXES = ("ix_episodes_end", "ix_memories_type_valid_from")


def _to_4(conn: Connection) -> None:
    for table in (s.episodes, s.memories):
        have = {i["name"] for i in inspect(conn).get_indexes(table.name)}
        for index in table.indexes:
            if index.name in _V4_INDEXES and index.name not in have:
                index.create(conn)


# Activity indexes later versions dropped (see schema.py): (name, columns, first version that
# had it, version that dropped it).
_DROPPED_INDEXES = (
    ("ix_activity_source", ("source",), 1, 5),
    ("ix_activity_kind", ("kind",), 1, 5),
    ("ix_activity_context_id", ("context_id",), 3, 5),
    ("ix_activity_entity_ts", ("entity_id", "ts"), 1, 6),
)


def _drop_indexes(conn: Connection, version: int) -> None:
    for name, _columns, _since, until in _DROPPED_INDEXES:
        if until == version:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))


def _to_5(conn: Connection) -> None:
    _drop_indexes(conn, 5)


def _to_6(conn: Connection) -> None:
    _drop_indexes(conn, 6)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    2: _to_2,
    3: _to_3,
    4: _to_4,
    5: _to_5,
    6: _to_6,
}


def current_version(conn: Connection) -> int | None:
    """Schema version of the connected database, or None for an empty one."""
    if not inspect(conn).has_table("schema_changes"):
        return None
    version = conn.execute(select(s.schema_changes.c.schema_version).order_by(
        s.schema_changes.c.change_id.desc()).limit(1)).scalar()
    return int(version) if version is not None else None


def _record(conn: Connection, version: int) -> None:
    conn.execute(s.schema_changes.insert().values(schema_version=version,
                                                  changed=datetime.now(UTC)))


def migrate(connect: Callable[[], Connection]) -> int:
    """Create a fresh schema or step an older one forward; each step is its own transaction.

    ``connect`` returns a new connection (used as ``with connect() as conn``). Returns the
    version the database ends at (``schema.SCHEMA_VERSION``).
    """
    with connect() as conn, conn.begin():
        version = current_version(conn)
        if version is None:
            tables = sorted(inspect(conn).get_table_names())
            ours = set(s.metadata.tables)
            # Never write into another application's database: a SQLite file with any table,
            # or a server database already holding a table of ours without our history.
            if tables and (conn.dialect.name == "sqlite" or ours.intersection(tables)):
                raise ForeignDatabaseError(tables)
            s.metadata.create_all(conn, checkfirst=True)
            _record(conn, s.SCHEMA_VERSION)
            return s.SCHEMA_VERSION
    if version > s.SCHEMA_VERSION:
        raise SchemaTooNewError(version, s.SCHEMA_VERSION)
    for target in range(version + 1, s.SCHEMA_VERSION + 1):
        _LOGGER.warning("Upgrading Galatea database schema %s -> %s", target - 1, target)
        with connect() as conn, conn.begin():
            MIGRATIONS[target](conn)
            _record(conn, target)
    return s.SCHEMA_VERSION
