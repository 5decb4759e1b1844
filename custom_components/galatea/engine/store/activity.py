"""The activity log: rows <-> ActivityEvent, payloads stored once, inserts, filters, purge."""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, TypedDict

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    and_,
    delete,
    exists,
    func,
    select,
    text,
)

from ..models import MAX_STORABLE_YEAR, MIN_STORABLE_YEAR, ActivityEvent, ValidationError
from .schema import activity, activity_data, from_micros, to_micros

_YIELD_EVERY = 50  # events between voluntary GIL hand-backs while building a batch

_EVENT_COLUMNS = (
    "source", "kind", "entity_id", "area", "floor", "device", "device_class", "actor",
    "actor_kind", "state", "old_state", "summary", "context_id", "parent_id", "blob",
)


_INSERT_COLUMNS = ("ts", "tz_offset", *_EVENT_COLUMNS, "v", "data_id")
_PLAIN_COLUMNS = _INSERT_COLUMNS[:-1]  # a plain row's columns before its payload's JSON
# SQLite: a plain row inserted as it is, its payload's JSON (last) turned into the payload's
# id through this connection's temporary table of the batch's payload ids.
_PAYLOAD_IDS_TABLE = ("CREATE TEMP TABLE IF NOT EXISTS galatea_payload_ids "
                      "(shared_data TEXT PRIMARY KEY, data_id INTEGER NOT NULL) WITHOUT ROWID")
_PAYLOAD_IDS_CLEAR = "DELETE FROM temp.galatea_payload_ids"
_PAYLOAD_IDS_INSERT = "INSERT INTO temp.galatea_payload_ids (shared_data, data_id) VALUES (?, ?)"
_SQLITE_INSERT_ROWS = (
    f"INSERT INTO activity ({', '.join(_INSERT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _PLAIN_COLUMNS)}, "
    "(SELECT data_id FROM temp.galatea_payload_ids WHERE shared_data = ?))"
)


# A queued event as plain values: the SQLite insert's columns with the payload's JSON in place
# of its data_id. A tuple of atomic values is dropped from the garbage collector's watch at its
# first young collection, so a second of queued events never grows the old generation (whose
# growth sets off a full collection that pauses HA's event loop); an ActivityEvent would.
PlainRow = tuple[Any, ...]


# What ``json.dumps(data, sort_keys=True, separators=(",", ":"), default=str,
# ensure_ascii=False)`` builds per call, built once (its construction cost more than encoding a
# small payload).
_PAYLOAD_ENCODER: Final = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False
)


def payload_json(data: Mapping[str, Any]) -> str | None:
    """Canonical JSON of a ``data`` payload (None when empty)."""
    if not data:
        return None
    return _PAYLOAD_ENCODER.encode(data)


class PayloadTexts:
    """``payload_json`` of flat payloads (scalar values), remembered: a home repeats a few
    payloads (a light on at one of its brightness levels) and the writer thread encodes each
    once. Keyed by names, values and the values' types (``True``, ``1`` and ``1.0`` are equal
    keys in Python but different JSON). Bounded: cleared when full. One thread only."""

    __slots__ = ("_size", "_texts")

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._texts: dict[tuple[Any, ...], str] = {}

    def __call__(self, data: Mapping[str, Any]) -> str | None:
        if not data:
            return None
        values = data.values()
        try:
            key = (*data, *values, *map(type, values))
            text = self._texts.get(key)
        except TypeError:  # an unhashable value: not cached
            return payload_json(data)
        if text is None:
            text = _PAYLOAD_ENCODER.encode(data)
            if len(self._texts) >= self._size:
                self._texts.clear()
            self._texts[key] = text
        return text


def payload_hash(shared: str) -> int:
    """Signed 64-bit hash of a payload's JSON (collisions are resolved by comparing text)."""
    digest = hashlib.blake2b(shared.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PayloadCache:
    """LRU of payload JSON -> ``activity_data.data_id`` (only committed ids go in)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._ids: OrderedDict[str, int] = OrderedDict()

    def get(self, shared: str) -> int | None:
        data_id = self._ids.get(shared)
        if data_id is not None:
            self._ids.move_to_end(shared)
        return data_id

    def update(self, found: Mapping[str, int]) -> None:
        for shared, data_id in found.items():
            self._ids[shared] = data_id
            self._ids.move_to_end(shared)
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)

    def clear(self) -> None:
        self._ids.clear()


def event_row(ev: ActivityEvent) -> dict[str, Any]:
    """Columns of one event (without ``data_id``). Raises ValueError for a naive ts."""
    offset = ev.ts.utcoffset()
    if offset is None:
        raise ValueError("ts must carry a UTC offset")
    row: dict[str, Any] = {key: getattr(ev, key) for key in _EVENT_COLUMNS}
    row["ts"] = to_micros(ev.ts)
    row["tz_offset"] = int(offset.total_seconds())
    row["v"] = ev.v
    return row


_READ_COLUMNS = ("ts", "tz_offset", *_EVENT_COLUMNS, "id", "v")
ID_INDEX: Final = _READ_COLUMNS.index("id")  # where a row of ``activity_select`` has its id
class RowDecoder:
    """Rows of ``activity_select`` -> ActivityEvent, cheaply (the engine reads the whole log).

    Same result as ``row_event``: columns by position, one ``tzinfo`` per UTC offset, each
    distinct payload parsed once (every event still gets its own dict).
    """

    def __init__(self) -> None:
        self._payloads: dict[str, dict[str, Any]] = {}

    def __call__(self, r: Sequence[Any]) -> ActivityEvent:
        ts = from_micros(r[0], r[1])
        shared = r[19]
        if shared:
            parsed = self._payloads.get(shared)
            if parsed is None:
                parsed = json.loads(shared)
                if len(self._payloads) < 4096:
                    self._payloads[shared] = parsed
            data: dict[str, Any] = dict(parsed)
        else:
            data = {}
        # ActivityEvent's field order: ts, source .. old_state, data, summary .. blob, id, v
        return ActivityEvent(ts, r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                             r[12], data, r[13], r[14], r[15], r[16], int(r[17]), int(r[18]))


def row_event(row: Row[Any] | Mapping[str, Any]) -> ActivityEvent:
    m: Mapping[str, Any] = row._mapping if isinstance(row, Row) else row  # type: ignore[assignment]
    shared = m.get("shared_data")
    return ActivityEvent(
        ts=from_micros(int(m["ts"]), m["tz_offset"]),
        data=json.loads(shared) if shared else {},
        id=int(m["id"]),
        v=int(m["v"]),
        **{key: m[key] for key in _EVENT_COLUMNS},
    )


def _data_ids(
    conn: Connection, payloads: Iterable[str], cache: PayloadCache, new: dict[str, int]
) -> dict[str, int]:
    """Ids for each payload: cache, then the table (by hash), else insert once."""
    out: dict[str, int] = {}
    missing: dict[int, list[str]] = {}
    for shared in set(payloads):
        data_id = new.get(shared) or cache.get(shared)
        if data_id is not None:
            out[shared] = data_id
        else:
            missing.setdefault(payload_hash(shared), []).append(shared)
    if not missing:
        return out
    _lookup(conn, missing, out, new)
    to_insert = [sh for group in missing.values() for sh in group if sh not in out]
    if to_insert:
        conn.execute(activity_data.insert(),
                     [{"hash": payload_hash(sh), "shared_data": sh} for sh in to_insert])
        _lookup(conn, {payload_hash(sh): [sh] for sh in to_insert}, out, new)
    return out


def _lookup(
    conn: Connection, wanted: Mapping[int, list[str]], out: dict[str, int], new: dict[str, int]
) -> None:
    """Find stored payloads by hash (then exact text) and record their ids."""
    hashes = list(wanted)
    for start in range(0, len(hashes), 500):
        rows = conn.execute(select(activity_data.c.data_id, activity_data.c.shared_data)
                            .where(activity_data.c.hash.in_(hashes[start:start + 500])))
        for raw_id, shared in rows:
            if shared not in out and shared in wanted.get(payload_hash(shared), ()):
                out[shared] = new[shared] = int(raw_id)


def insert_events(
    conn: Connection,
    items: Sequence[ActivityEvent | PlainRow],
    cache: PayloadCache,
    new: dict[str, int],
) -> list[int]:
    """Insert ``items`` (events, or their plain rows) in order inside the caller's transaction;
    returns their ids.

    Payload ids created here go to ``new``; the caller moves them into ``cache`` after commit.
    """
    if not items:
        return []
    if conn.dialect.name == "sqlite":
        return _insert_sqlite(conn, items, cache, new)
    rows: list[dict[str, Any]] = []
    payloads: list[str | None] = []
    for n, ev in enumerate(items, 1):
        if isinstance(ev, tuple):  # a plain row: its columns, then the payload's JSON
            rows.append(dict(zip(_PLAIN_COLUMNS, ev, strict=False)))
            payloads.append(ev[-1])
        else:
            rows.append(event_row(ev))
            payloads.append(payload_json(ev.data))
        if n % _YIELD_EVERY == 0:
            # Hand the GIL back now and then: HA's event loop would otherwise wait up to the
            # interpreter's switch interval (5 ms) behind a large batch (benchmarks/ingest.py).
            time.sleep(0)
    ids = _data_ids(conn, [p for p in payloads if p is not None], cache, new)
    for row, shared in zip(rows, payloads, strict=True):
        row["data_id"] = ids[shared] if shared is not None else None
    if conn.dialect.name == "postgresql":
        # Take the ids from the sequence first, then insert them explicitly (batched
        # multi-row INSERTs; RETURNING with a guaranteed order would be far slower).
        new_ids = sorted(int(r[0]) for r in conn.execute(
            text("SELECT nextval(pg_get_serial_sequence('activity', 'id')) "
                 "FROM generate_series(1, :n)"), {"n": len(rows)}))
        for row, new_id in zip(rows, new_ids, strict=True):
            row["id"] = new_id
        conn.execute(activity.insert(), rows)
        return new_ids
    result = conn.execute(activity.insert().returning(activity.c.id, sort_by_parameter_order=True),
                          rows)
    return [int(r[0]) for r in result.all()]


def plain_row(ev: ActivityEvent) -> PlainRow:
    """``ev`` as the plain tuple the SQLite insert writes (payload as JSON). Raises ValueError
    for a naive time."""
    offset = ev.ts.utcoffset()
    if offset is None:
        raise ValueError("ts must carry a UTC offset")
    return (
        to_micros(ev.ts), int(offset.total_seconds()), ev.source, ev.kind, ev.entity_id,
        ev.area, ev.floor, ev.device, ev.device_class, ev.actor, ev.actor_kind, ev.state,
        ev.old_state, ev.summary, ev.context_id, ev.parent_id, ev.blob, ev.v,
        payload_json(ev.data) if ev.data else None,
    )


_MIN_MICROS: Final = to_micros(datetime(MIN_STORABLE_YEAR, 1, 1, tzinfo=UTC))
_MAX_MICROS: Final = to_micros(datetime(MAX_STORABLE_YEAR + 1, 1, 1, tzinfo=UTC))


def epoch_micros(ts: float, field_name: str = "ts") -> int:
    """An epoch time in seconds as the stored microseconds: exactly what ``parse_ts`` and
    ``to_micros`` make of it (the same rounding), without keeping a datetime. Raises
    ``ValidationError`` as ``parse_ts`` does for a time the store cannot hold."""
    try:
        micros = to_micros(datetime.fromtimestamp(ts, UTC))
    except (OverflowError, OSError, ValueError, TypeError) as err:
        raise ValidationError(field_name, "is out of range") from err
    if not _MIN_MICROS <= micros < _MAX_MICROS:
        raise ValidationError(field_name, "is out of range")
    return micros


def from_plain(row: PlainRow) -> ActivityEvent:
    """The ActivityEvent a plain row was made from (for the repair path and other databases)."""
    return ActivityEvent(
        ts=from_micros(row[0], row[1]), source=row[2], kind=row[3], entity_id=row[4],
        area=row[5], floor=row[6], device=row[7], device_class=row[8], actor=row[9],
        actor_kind=row[10], state=row[11], old_state=row[12], summary=row[13],
        context_id=row[14], parent_id=row[15], blob=row[16], v=row[17],
        data=json.loads(row[18]) if row[18] else {},
    )


def _insert_sqlite(
    conn: Connection,
    events: Sequence[ActivityEvent | PlainRow],
    cache: PayloadCache,
    new: dict[str, int],
) -> list[int]:
    """SQLite: rows as the driver's tuples (no dict per row), inserted with one executemany
    without RETURNING (SQLite would run one statement per row). The caller holds the write lock
    and SQLite's own write lock is held from the first insert to the commit, so this
    transaction's rows got the consecutive ids ending at max(id)."""
    if all(isinstance(ev, tuple) for ev in events):
        rows: Sequence[PlainRow] = events  # type: ignore[assignment]
    else:
        rows = []
        for n, ev in enumerate(events, 1):
            rows.append(ev if isinstance(ev, tuple) else plain_row(ev))
            if n % _YIELD_EVERY == 0:
                time.sleep(0)  # hand the GIL back now and then (see insert_events)
    ids = _data_ids(conn, [r[-1] for r in rows if r[-1] is not None], cache, new)
    # The rows go to the driver as they are (SQLAlchemy's per-row parameter processing costs
    # more than SQLite's insert itself), their payload's JSON looked up by SQLite in a table
    # of this batch's payload ids: no second tuple per row for the garbage collector to count.
    conn.exec_driver_sql(_PAYLOAD_IDS_TABLE)
    conn.exec_driver_sql(_PAYLOAD_IDS_CLEAR)
    if ids:
        conn.exec_driver_sql(_PAYLOAD_IDS_INSERT, list(ids.items()))
    conn.exec_driver_sql(_SQLITE_INSERT_ROWS, rows)
    last = int(conn.execute(select(func.max(activity.c.id))).scalar_one())
    return list(range(last - len(rows) + 1, last + 1))


class ActivityFilters(TypedDict, total=False):
    """The filters of an activity read (each left out or None: no filter)."""

    start: datetime | None  # ts >= start
    end: datetime | None  # ts < end
    source: str | None
    kind: str | None
    entity_id: str | None
    area: str | None
    actor: str | None


def activity_filters(filters: ActivityFilters) -> list[ColumnElement[bool]]:
    """WHERE clauses for ``filters`` (``end`` is exclusive)."""
    if unknown := filters.keys() - ActivityFilters.__optional_keys__:
        raise TypeError(f"unexpected activity filter(s): {', '.join(sorted(unknown))}")
    c = activity.c
    out: list[ColumnElement[bool]] = []
    start, end = filters.get("start"), filters.get("end")
    if start is not None:
        out.append(c.ts >= to_micros(start))
    if end is not None:
        out.append(c.ts < to_micros(end))
    for col, value in ((c.source, filters.get("source")), (c.kind, filters.get("kind")),
                       (c.entity_id, filters.get("entity_id")), (c.area, filters.get("area")),
                       (c.actor, filters.get("actor"))):
        if value is not None:
            out.append(col == value)
    return out


_NO_END = 2**62  # microseconds: far past any real time (keeps the ts index in use)


def id_span(start: datetime | None, end: datetime | None) -> Select[Any]:
    """Smallest and largest id of the events in [start, end), from the ts index alone."""
    c = activity.c
    lo = to_micros(start) if start is not None else -_NO_END
    hi = to_micros(end) if end is not None else _NO_END
    return select(func.min(c.id), func.max(c.id)).where(c.ts >= lo, c.ts < hi)


def activity_select(since_id: int, filters: list[ColumnElement[bool]], limit: int) -> Select[Any]:
    """Columns in ``_READ_COLUMNS`` order, then ``shared_data`` (what ``RowDecoder`` expects)."""
    return (
        select(*(activity.c[name] for name in _READ_COLUMNS), activity_data.c.shared_data)
        .outerjoin(activity_data, activity.c.data_id == activity_data.c.data_id)
        .where(and_(activity.c.id > since_id, *filters))
        .order_by(activity.c.id)
        .limit(limit)
    )


def purge_batch(conn: Connection, cutoff_micros: int, batch: int) -> tuple[int, list[str]]:
    """Delete up to ``batch`` oldest rows before the cutoff and payloads nobody uses any more.

    Returns (rows deleted, blob hashes the deleted rows referenced).
    """
    rows = conn.execute(
        select(activity.c.id, activity.c.data_id, activity.c.blob)
        .where(activity.c.ts < cutoff_micros).order_by(activity.c.id).limit(batch)
    ).all()
    if not rows:
        return 0, []
    ids = [r[0] for r in rows]
    data_ids = sorted({r[1] for r in rows if r[1] is not None})
    blobs = sorted({r[2] for r in rows if r[2]})
    for start in range(0, len(ids), 500):
        conn.execute(delete(activity).where(activity.c.id.in_(ids[start:start + 500])))
    for start in range(0, len(data_ids), 500):
        chunk = data_ids[start:start + 500]
        still_used = exists().where(activity.c.data_id == activity_data.c.data_id)
        conn.execute(delete(activity_data).where(activity_data.c.data_id.in_(chunk), ~still_used))
    unused = []
    for digest in blobs:
        used = select(activity.c.id).where(activity.c.blob == digest).limit(1)
        if conn.execute(used).first() is None:
            unused.append(digest)
    return len(ids), unused
