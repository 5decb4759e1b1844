"""The current database schema (SQLAlchemy Core tables).

Times are stored as integer microseconds since the epoch (UTC) so range queries are exact and
portable between SQLite and PostgreSQL; the activity log also keeps each event's UTC offset so an
event reads back exactly as it was written. Repeated ``data`` payloads live once in
``activity_data`` (like the recorder's ``state_attributes``). Derived rows keep their evidence
(activity ids) in the ``evidence`` link table, keyed by owner table and owner id.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

SCHEMA_VERSION: Final = 6
"""Current database schema version (see ``migrations.py`` for the history)."""

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

# SQLite only aliases rowid for "INTEGER PRIMARY KEY"; PostgreSQL gets a 64-bit identity.
IdType = BigInteger().with_variant(Integer(), "sqlite")


def to_micros(ts: datetime) -> int:
    """Aware datetime -> integer microseconds since the epoch (exact)."""
    delta = ts - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_OFFSETS: dict[int, timezone] = {0: UTC}


def offset_tz(offset_s: int | None) -> timezone:
    """The fixed-offset tzinfo of ``offset_s`` seconds east of UTC (one object per offset)."""
    tz = _OFFSETS.get(offset_s or 0)
    if tz is None:
        tz = _OFFSETS[offset_s or 0] = timezone(timedelta(seconds=offset_s or 0))
    return tz


def from_micros(micros: int, offset_s: int | None = 0) -> datetime:
    """Integer microseconds (+ UTC offset in seconds) -> aware datetime (the offset's local
    time; UTC without one). Exact: whole seconds from the epoch, then the microseconds."""
    secs, us = divmod(int(micros), 1_000_000)
    return datetime.fromtimestamp(secs, offset_tz(offset_s)).replace(microsecond=us)


class UTCMicros(TypeDecorator[datetime]):
    """An aware datetime stored as BigInteger microseconds; reads back in UTC."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times must carry a UTC offset")
        return to_micros(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_micros(int(value))


metadata = MetaData()

schema_changes = Table(
    "schema_changes",
    metadata,
    Column("change_id", Integer, primary_key=True),
    Column("schema_version", Integer, nullable=False),
    Column("changed", UTCMicros, nullable=False),
)

engine_state = Table(
    "engine_state",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
)

activity_data = Table(
    "activity_data",
    metadata,
    Column("data_id", IdType, primary_key=True),
    Column("hash", BigInteger, nullable=False, index=True),
    Column("shared_data", Text, nullable=False),
)

activity = Table(
    "activity",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("ts", BigInteger, nullable=False),  # microseconds since the epoch, UTC
    Column("tz_offset", Integer, nullable=False, default=0),  # seconds east of UTC
    Column("source", String(255), nullable=False),
    Column("kind", String(255), nullable=False),
    Column("entity_id", String(255)),
    Column("area", String(255)),
    Column("floor", String(255)),
    Column("device", String(255)),
    Column("device_class", String(255)),
    Column("actor", String(255)),
    Column("actor_kind", String(255)),
    Column("state", String(255)),
    Column("old_state", String(255)),
    Column("summary", Text),
    Column("context_id", String(255)),
    Column("parent_id", String(255)),
    Column("blob", String(255)),
    Column("v", Integer, nullable=False, default=1),
    Column("data_id", BigInteger),  # -> activity_data.data_id (no FK: purge handles orphans)
    Index("ix_activity_ts", "ts"),
    Index("ix_activity_area", "area"),
    Index("ix_activity_actor", "actor"),  # forgetting a person deletes by actor
    Index("ix_activity_data_id", "data_id"),  # the purge finds orphan payloads by it
    # Schema 5 dropped the source, kind and context_id indexes: each insert paid for them
    # (a quarter of the insert cost), and no frequent query used them (a handful of sources
    # and kinds; every log read is bounded by time or id).
    # Schema 6 dropped (entity_id, ts): a home's entities change in turn, so each insert went
    # to a different page of that index (about 4 of the writer's 20 us per event at 2,000
    # events/s), while log reads page by id within a time range and used it little (an
    # entity's year on 3M rows: 0.23 s with it, 0.49 s without).
    sqlite_autoincrement=True,  # ids never reused, even after a purge empties the table
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", IdType, primary_key=True),
    # episode | routine | sequence | preference | memory
    Column("owner", String(16), nullable=False),
    Column("owner_id", BigInteger, nullable=False),
    Column("activity_id", BigInteger, nullable=False),
    Index("ix_evidence_owner", "owner", "owner_id"),
    Index("ix_evidence_activity", "activity_id"),
)

episodes = Table(
    "episodes",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("kind", String(255), nullable=False),
    Column("start", UTCMicros, nullable=False),
    Column("end", UTCMicros, nullable=False),
    Column("area", String(255)),
    Column("actor", String(255)),
    Column("label", Text),
    Column("confidence", Float, nullable=False, default=1.0),
    Column("detail", Text),
    Index("ix_episodes_start", "start"),
    Index("ix_episodes_kind_start", "kind", "start"),
    Index("ix_episodes_end", "end"),  # schema 4: "episodes ending from T on" (each engine run)
)

routines = Table(
    "routines",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("kind", String(255), nullable=False),
    Column("label", Text, nullable=False),
    Column("days", Text, nullable=False),  # JSON: "daily" | "weekdays" | "weekends" | [0..6]
    Column("time", String(16), nullable=False),
    Column("spread_min", Float, nullable=False),
    Column("support_days", Integer, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("actor", String(255)),
    Column("entities", Text),
    Column("detail", Text),
    Column("status", String(32), nullable=False, default="learned"),
    Column("valid_from", UTCMicros),
    Column("valid_to", UTCMicros),
    Column("updated", UTCMicros),
)

sequences = Table(
    "sequences",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("steps", Text, nullable=False),
    Column("window_min", Float, nullable=False),
    Column("support", Integer, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("lift", Float, nullable=False),
    Column("automated", Boolean, nullable=False, default=False),
    Column("actor", String(255)),
)

preferences = Table(
    "preferences",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("kind", String(255), nullable=False),
    Column("subject", Text, nullable=False),
    Column("value", Text),
    Column("when", String(64)),
    Column("mode", String(255)),
    Column("spread", Float),
    Column("support", Integer, nullable=False, default=0),
    Column("area", String(255)),
    Column("actor", String(255)),
)

memories = Table(
    "memories",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("key", String(255), unique=True),
    Column("type", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("subject", String(255)),
    Column("confidence", Float, nullable=False, default=0.5),
    Column("importance", Float, nullable=False, default=0.5),
    Column("valid_from", UTCMicros),
    Column("valid_to", UTCMicros),
    Column("learned_at", UTCMicros),
    Column("origin", String(32), nullable=False, default="engine"),
    Column("status", String(32), nullable=False, default="active"),
    Column("detail", Text),
    Column("embedding", LargeBinary),  # float32 vector (added in schema 3)
    Index("ix_memories_type_status", "type", "status"),
    Index("ix_memories_type_valid_from", "type", "valid_from"),  # schema 4: recent days' memories
)

DERIVED_TABLES: Final = (evidence, episodes, routines, sequences, preferences, memories)
