"""Derived data (episodes, routines, sequences, preferences, memories) and the engine's kv state.

All writes of one engine run go through a ``UnitOfWork`` bound to one transaction, so a crash
leaves either the old results and cursor or the new ones, never a mix.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

from sqlalchemy import (
    BigInteger,
    Connection,
    Float,
    Select,
    Table,
    and_,
    bindparam,
    cast,
    delete,
    func,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from ..models import Episode, Memory, Preference, Routine
from ..models import Sequence as SequenceModel
from .schema import engine_state, episodes, evidence, memories, preferences, routines, sequences

USER_ROUTINE_STATUSES: Final = frozenset({"confirmed", "rejected"})
USER_MEMORY_STATUSES: Final = frozenset({"confirmed", "rejected"})
CURSOR_PREFIX: Final = "cursor:"
MEMORY_FIELDS: Final = frozenset(Memory.__dataclass_fields__) - {"id"}


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"), ensure_ascii=False)


def _loads(text: str | None, default: Any) -> Any:
    return json.loads(text) if text else default


# -- engine_state ---------------------------------------------------------------------------


def get_state(conn: Connection, key: str, default: Any = None) -> Any:
    raw = conn.execute(select(engine_state.c.value).where(engine_state.c.key == key)).scalar()
    return default if raw is None else json.loads(raw)


def set_state(conn: Connection, key: str, value: Any) -> None:
    text = _dumps(value)
    done = conn.execute(update(engine_state).where(engine_state.c.key == key).values(value=text))
    if done.rowcount == 0:
        conn.execute(engine_state.insert().values(key=key, value=text))


# -- evidence -------------------------------------------------------------------------------


def _set_evidence(conn: Connection, owner: str, pairs: Iterable[tuple[int, Sequence[int]]]) -> None:
    if conn.dialect.name == "sqlite":  # straight to the driver: a nightly pass writes ~10^5
        values = [(owner, oid, int(a)) for oid, ids in pairs for a in dict.fromkeys(ids)]
        if values:
            conn.exec_driver_sql(_SQLITE_EVIDENCE, values)
        return
    rows = [{"owner": owner, "owner_id": oid, "activity_id": int(a)}
            for oid, ids in pairs for a in dict.fromkeys(ids)]
    if rows:
        conn.execute(evidence.insert(), rows)


_SQLITE_EVIDENCE: Final = "INSERT INTO evidence (owner, owner_id, activity_id) VALUES (?, ?, ?)"


def _drop_evidence(conn: Connection, owner: str, owner_ids: Sequence[int] | None) -> None:
    if owner_ids is None:
        conn.execute(delete(evidence).where(evidence.c.owner == owner))
        return
    for start in range(0, len(owner_ids), 500):
        conn.execute(delete(evidence).where(
            evidence.c.owner == owner, evidence.c.owner_id.in_(owner_ids[start:start + 500])))


def _load_evidence(conn: Connection, owner: str, owner_ids: Sequence[int], *,
                   by_id: bool = False) -> dict[int, list[int]]:
    """Evidence lists of these owners; ``by_id``: look them up by id however many (a part of
    a table far larger than them)."""
    out: dict[int, list[int]] = {}
    if not owner_ids:
        return out
    stmt = select(evidence.c.owner_id, evidence.c.activity_id).where(evidence.c.owner == owner)
    if by_id or len(owner_ids) <= _EVIDENCE_BY_ID:
        # by id (the owner index), in chunks: a few thousand owners out of many more
        for start in range(0, len(owner_ids), 500):
            chunk = stmt.where(evidence.c.owner_id.in_(owner_ids[start:start + 500]))
            for oid, aid in conn.execute(chunk.order_by(evidence.c.id)):
                out.setdefault(int(oid), []).append(int(aid))
        return out
    wanted = set(owner_ids)
    for oid, aid in conn.execute(stmt.order_by(evidence.c.id)):
        if oid in wanted:
            out.setdefault(int(oid), []).append(int(aid))
    return out


_EVIDENCE_BY_ID = 5000
"""Up to this many owners evidence is looked up by id; more: one scan of the owner's rows."""


def _rows(conn: Connection, stmt: Select[Any]) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r._mapping.items()} for r in conn.execute(stmt)]


def _insert_returning_ids(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    if conn.dialect.name == "sqlite" and len(rows) > 1:
        return _sqlite_insert(conn, table, rows)
    result = conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows)
    return [int(r[0]) for r in result.all()]


def _sqlite_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Many rows into a SQLite table in one driver executemany; their ids.

    As for the activity log (``activity.insert_events``): SQLite's write lock is held from the
    first insert of this transaction to its commit and none of these rows names its id, so
    each gets the largest rowid + 1: the ids are the consecutive ones ending at max(id).
    Binding goes through each column type's own bind processor (UTC microseconds etc.), as
    SQLAlchemy's executemany would.
    """
    names = list(rows[0])
    dialect = conn.dialect
    procs = [table.c[name].type.bind_processor(dialect) for name in names]
    values = [
        tuple(row[name] if proc is None or row[name] is None else proc(row[name])
              for name, proc in zip(names, procs, strict=True))
        for row in rows
    ]
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    marks = ", ".join("?" for _ in names)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({quoted}) VALUES ({marks})", values)
    last = int(conn.execute(select(func.max(table.c.id))).scalar_one())
    return list(range(last - len(rows) + 1, last + 1))


class EpisodeStat(NamedTuple):
    """Aggregate of the episodes of one (kind, label, area, actor)."""

    kind: str
    label: str | None
    area: str | None
    actor: str | None
    number: int
    minutes: float
    minutes_sq: float
    first: datetime
    last: datetime


# -- rows <-> dataclasses -------------------------------------------------------------------


EpisodeRow = tuple[str, datetime, datetime, str | None, str | None, str | None, float, str,
                   tuple[int, ...]]
"""An episode as the store writes it: kind, start, end, area, actor, label, confidence, detail
as JSON, evidence. A full re-mine holds years of episodes until its commit; as tuples of plain
values the garbage collector stops walking them (an ``Episode`` is half a dozen containers)."""


def episode_row(e: Episode) -> EpisodeRow:
    """``e`` as the plain tuple ``replace_episodes`` writes."""
    return (e.kind, e.start, e.end, e.area, e.actor, e.label, e.confidence, _dumps(e.detail),
            tuple(e.evidence))


_EPISODE_COLUMNS: Final = ("kind", "start", "end", "area", "actor", "label", "confidence",
                           "detail")


def _episode_dict(row: EpisodeRow) -> dict[str, Any]:
    return dict(zip(_EPISODE_COLUMNS, row, strict=False))


def _routine_row(r: Routine) -> dict[str, Any]:
    return {"key": r.key, "kind": r.kind, "label": r.label, "days": _dumps(r.days),
            "time": r.time, "spread_min": r.spread_min, "support_days": r.support_days,
            "confidence": r.confidence, "actor": r.actor, "entities": _dumps(r.entities),
            "detail": _dumps(r.detail), "status": r.status, "valid_from": r.valid_from,
            "valid_to": r.valid_to, "updated": datetime.now(UTC)}


def _sequence_row(q: SequenceModel) -> dict[str, Any]:
    return {"steps": _dumps(q.steps), "window_min": q.window_min, "support": q.support,
            "confidence": q.confidence, "lift": q.lift, "automated": q.automated, "actor": q.actor}


def _preference_row(p: Preference) -> dict[str, Any]:
    return {"kind": p.kind, "subject": p.subject, "value": _dumps(p.value), "when": p.when,
            "mode": p.mode, "spread": p.spread, "support": p.support, "area": p.area,
            "actor": p.actor}


def memory_row(m: Memory) -> dict[str, Any]:
    return {"key": m.key, "type": m.type, "text": m.text, "subject": m.subject,
            "confidence": m.confidence, "importance": m.importance, "valid_from": m.valid_from,
            "valid_to": m.valid_to, "learned_at": m.learned_at or datetime.now(UTC),
            "origin": m.origin, "status": m.status, "detail": _dumps(m.detail)}


def _row_routine(m: Mapping[str, Any], ev: list[int]) -> Routine:
    return Routine(key=m["key"], kind=m["kind"], label=m["label"], days=_loads(m["days"], "daily"),
                   time=m["time"], spread_min=m["spread_min"], support_days=m["support_days"],
                   confidence=m["confidence"], actor=m["actor"],
                   entities=_loads(m["entities"], []), evidence=ev,
                   detail=_loads(m["detail"], {}), status=m["status"],
                   valid_from=m["valid_from"], valid_to=m["valid_to"], id=int(m["id"]))


def _row_sequence(m: Mapping[str, Any], ev: list[int]) -> SequenceModel:
    return SequenceModel(steps=_loads(m["steps"], []), window_min=m["window_min"],
                         support=m["support"], confidence=m["confidence"], lift=m["lift"],
                         automated=bool(m["automated"]), actor=m["actor"], evidence=ev,
                         id=int(m["id"]))


def _row_preference(m: Mapping[str, Any], ev: list[int]) -> Preference:
    return Preference(kind=m["kind"], subject=m["subject"], value=_loads(m["value"], None),
                      when=m["when"], mode=m["mode"], spread=m["spread"], support=m["support"],
                      area=m["area"], actor=m["actor"], evidence=ev, id=int(m["id"]))


# -- unit of work ---------------------------------------------------------------------------


class UnitOfWork:
    """Writes of one engine run, all in the transaction of ``conn`` (committed on exit)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_cursor(self, name: str) -> int:
        return int(get_state(self.conn, CURSOR_PREFIX + name, 0))

    def set_cursor(self, name: str, activity_id: int) -> None:
        set_state(self.conn, CURSOR_PREFIX + name, int(activity_id))

    def get_state(self, key: str, default: Any = None) -> Any:
        return get_state(self.conn, key, default)

    def set_state(self, key: str, value: Any) -> None:
        set_state(self.conn, key, value)

    def replace_episodes(
        self,
        new: Sequence[Episode | EpisodeRow],
        *,
        since: datetime | None = None,
        kinds: set[str] | None = None,
    ) -> None:
        """Delete episodes starting at/after ``since`` (all when None) of ``kinds`` (all when
        None), then insert ``new``, episodes or their plain rows (``episode_row``), in order
        (ids are written back into the episodes)."""
        cond: list[ColumnElement[bool]] = []
        if since is not None:
            cond.append(episodes.c.start >= since)
        if kinds is not None:
            cond.append(episodes.c.kind.in_(sorted(kinds)))
        old = [int(r[0]) for r in self.conn.execute(select(episodes.c.id).where(and_(*cond)))]
        if since is None and kinds is None:
            self.conn.execute(delete(episodes))
            _drop_evidence(self.conn, "episode", None)
        else:
            for start in range(0, len(old), 500):
                self.conn.execute(delete(episodes).where(episodes.c.id.in_(old[start:start + 500])))
            _drop_evidence(self.conn, "episode", old)
        rows = [e if isinstance(e, tuple) else episode_row(e) for e in new]
        ids = _insert_returning_ids(self.conn, episodes, [_episode_dict(r) for r in rows])
        for e, eid in zip(new, ids, strict=True):
            if isinstance(e, Episode):
                e.id = eid
        _set_evidence(self.conn, "episode", zip(ids, (r[8] for r in rows), strict=True))

    def upsert_routines(self, new: Sequence[Routine]) -> None:
        """Insert or update by ``key``; a user's confirmed/rejected status is kept (one
        executemany for the updates; a key twice in ``new``: the last one wins)."""
        if not new:
            return
        keys = list(dict.fromkeys(r.key for r in new))
        existing: dict[str, tuple[int, str]] = {}
        for start in range(0, len(keys), 500):
            for rid, key, status in self.conn.execute(
                select(routines.c.id, routines.c.key, routines.c.status)
                .where(routines.c.key.in_(keys[start:start + 500]))
            ):
                existing[key] = (int(rid), status)
        updates: dict[int, dict[str, Any]] = {}
        for r in new:
            row = _routine_row(r)
            if r.key in existing:
                rid, status = existing[r.key]
                if status in USER_ROUTINE_STATUSES and r.status not in ("superseded",):
                    row["status"] = status
                    r.status = status
                row["_id"] = rid
                updates[rid] = row
                r.id = rid
            else:
                r.id = _insert_returning_ids(self.conn, routines, [row])[0]
                existing[r.key] = (r.id, r.status)
        if updates:
            rows = list(updates.values())
            self.conn.execute(
                update(routines).where(routines.c.id == bindparam("_id"))
                .values({k: bindparam(k) for k in rows[0] if k != "_id"}),
                rows,
            )
        _drop_evidence(self.conn, "routine", list(dict.fromkeys(r.id or 0 for r in new)))
        last = {r.key: r for r in new}  # a repeated key: its last version's evidence
        _set_evidence(self.conn, "routine", ((r.id or 0, r.evidence) for r in last.values()))

    def replace_sequences(self, new: Sequence[SequenceModel]) -> None:
        self.conn.execute(delete(sequences))
        _drop_evidence(self.conn, "sequence", None)
        ids = _insert_returning_ids(self.conn, sequences, [_sequence_row(q) for q in new])
        for q, qid in zip(new, ids, strict=True):
            q.id = qid
        _set_evidence(self.conn, "sequence", ((q.id or 0, q.evidence) for q in new))

    def replace_preferences(self, new: Sequence[Preference]) -> None:
        self.conn.execute(delete(preferences))
        _drop_evidence(self.conn, "preference", None)
        ids = _insert_returning_ids(self.conn, preferences, [_preference_row(p) for p in new])
        for p, pid in zip(new, ids, strict=True):
            p.id = pid
        _set_evidence(self.conn, "preference", ((p.id or 0, p.evidence) for p in new))

    def upsert_memories(self, new: Sequence[Memory]) -> None:
        """Insert, or update by ``key`` when set (a user's confirmed/rejected status is kept).

        In batches (one key lookup per 500, one executemany for the updates, multi-row inserts,
        one evidence insert): a nightly pass writes tens of thousands of memories. The effect is
        that of upserting them one after the other."""
        if not new:
            return
        counts = Counter(m.key for m in new if m.key is not None)
        batch = [m for m in new if m.key is None or counts[m.key] == 1]
        repeated = [m for m in new if m.key is not None and counts[m.key] > 1]
        keys = [m.key for m in batch if m.key is not None]
        found: dict[str, tuple[int, str, datetime | None]] = {}
        c = memories.c
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            for mid, key, status, learned_at in self.conn.execute(
                select(c.id, c.key, c.status, c.learned_at).where(c.key.in_(chunk))
            ):
                found[key] = (int(mid), status, learned_at)
        updates: list[dict[str, Any]] = []
        inserts: list[tuple[Memory, dict[str, Any]]] = []
        for m in batch:
            row = memory_row(m)
            hit = found.get(m.key) if m.key is not None else None
            if hit is None:
                inserts.append((m, row))
                continue
            mid, status, learned_at = hit
            if status in USER_MEMORY_STATUSES and m.status == "active":
                row["status"] = m.status = status
            if m.learned_at is None and learned_at is not None:
                row["learned_at"] = learned_at
            row["_id"] = mid
            m.id = mid
            updates.append(row)
        if updates:
            self.conn.execute(
                update(memories).where(c.id == bindparam("_id"))
                .values({k: bindparam(k) for k in updates[0] if k != "_id"}),
                updates,
            )
            _drop_evidence(self.conn, "memory", [int(row["_id"]) for row in updates])
        ids = _insert_returning_ids(self.conn, memories, [row for _, row in inserts])
        for (m, _), mid in zip(inserts, ids, strict=True):
            m.id = mid
        _set_evidence(self.conn, "memory", ((m.id or 0, m.evidence) for m in batch))
        for m in repeated:  # the same key twice in one call: one after the other
            self._upsert_memory(m)

    def _upsert_memory(self, m: Memory) -> None:
        row = memory_row(m)
        found = None
        if m.key is not None:
            found = self.conn.execute(
                select(memories.c.id, memories.c.status, memories.c.learned_at)
                .where(memories.c.key == m.key)).first()
        if found is not None:
            mid, status, learned_at = int(found[0]), found[1], found[2]
            if status in USER_MEMORY_STATUSES and m.status == "active":
                row["status"] = m.status = status
            if m.learned_at is None and learned_at is not None:
                row["learned_at"] = learned_at
            self.conn.execute(update(memories).where(memories.c.id == mid).values(**row))
            m.id = mid
            _drop_evidence(self.conn, "memory", [mid])
        else:
            m.id = _insert_returning_ids(self.conn, memories, [row])[0]
        _set_evidence(self.conn, "memory", [(m.id, m.evidence)])

    def add_memory(self, m: Memory) -> int:
        if m.key is not None:
            self.upsert_memories([m])
            assert m.id is not None
            return m.id
        m.id = _insert_returning_ids(self.conn, memories, [memory_row(m)])[0]
        _set_evidence(self.conn, "memory", [(m.id, m.evidence)])
        return m.id

    def update_memory(self, memory_id: int, fields: Mapping[str, Any]) -> bool:
        unknown = set(fields) - MEMORY_FIELDS
        if unknown:
            raise ValueError(f"unknown memory fields: {sorted(unknown)}")
        values = {k: (_dumps(v) if k == "detail" else v) for k, v in fields.items()
                  if k != "evidence"}
        if values:
            done = self.conn.execute(update(memories).where(memories.c.id == memory_id)
                                     .values(**values))
            if done.rowcount == 0:
                return False
        else:
            found = select(memories.c.id).where(memories.c.id == memory_id)
            if self.conn.execute(found).first() is None:
                return False
        if "evidence" in fields:
            _drop_evidence(self.conn, "memory", [memory_id])
            _set_evidence(self.conn, "memory", [(memory_id, list(fields["evidence"]))])
        return True

    def delete_memory(self, memory_id: int) -> bool:
        done = self.conn.execute(delete(memories).where(memories.c.id == memory_id))
        _drop_evidence(self.conn, "memory", [memory_id])
        return bool(done.rowcount)

    def set_routine_status(self, key: str, status: str) -> bool:
        done = self.conn.execute(update(routines).where(routines.c.key == key)
                                 .values(status=status, updated=datetime.now(UTC)))
        return bool(done.rowcount)

    def set_embeddings(self, vectors: Mapping[int, bytes | None]) -> None:
        if vectors and self.conn.dialect.name == "sqlite":  # straight to the driver
            self.conn.exec_driver_sql("UPDATE memories SET embedding = ? WHERE id = ?",
                                      [(blob, mid) for mid, blob in vectors.items()])
        elif vectors:  # one executemany (the first index of 100k memories writes them all)
            self.conn.execute(
                update(memories).where(memories.c.id == bindparam("_id"))
                .values(embedding=bindparam("_embedding")),
                [{"_id": mid, "_embedding": blob} for mid, blob in vectors.items()],
            )


# -- readers --------------------------------------------------------------------------------


def read_episodes(
    conn: Connection,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    kind: str | None = None,
    area: str | None = None,
    actor: str | None = None,
    evidence: bool = True,
    started_from: datetime | None = None,
    sessions_from_min: float | None = None,
) -> list[Episode]:
    """Episodes overlapping [start, end), ordered by start (without their evidence lists
    unless ``evidence``: statistics over many episodes do not need them). ``started_from``:
    only those starting from then on (a bound for the index, when no episode is longer than
    ``start - started_from``: weeks of a table of years are read without walking the rest).
    ``sessions_from_min``: sessions shorter than this many minutes are (mostly) left out:
    those a second shorter surely, those around it may be read (the caller tells exactly)."""
    c = episodes.c
    cond: list[ColumnElement[bool]] = []
    if started_from is not None:
        cond.append(c.start >= started_from)
    if sessions_from_min is not None:
        micros = type_coerce(c.end, BigInteger) - type_coerce(c.start, BigInteger)
        shortest = int(sessions_from_min * 60_000_000) - 1_000_000
        cond.append(or_(c.kind != "session", micros >= shortest))
    if start is not None:
        cond.append(c.end >= start)
    if end is not None:
        cond.append(c.start < end)
    for col, value in ((c.kind, kind), (c.area, area), (c.actor, actor)):
        if value is not None:
            cond.append(col == value)
    rows = conn.execute(select(c.id, c.kind, c.start, c.end, c.area, c.actor, c.label,
                               c.confidence, c.detail).where(and_(*cond))
                        .order_by(_by_start(start), c.id)).all()
    # A time range (weeks of years, as the nightly memory pass reads them): by id.
    by_id = start is not None and end is not None
    ev = _load_evidence(conn, "episode", [int(r[0]) for r in rows], by_id=by_id) if evidence else {}
    return [  # by position: a nightly pass reads every episode
        Episode(kind=kind, start=start, end=end, area=area, actor=actor, label=label,
                confidence=confidence, detail=_loads(detail, {}), evidence=ev.get(int(eid), []),
                id=int(eid))
        for eid, kind, start, end, area, actor, label, confidence, detail in rows
    ]


def _by_start(start: datetime | None) -> ColumnElement[Any]:
    """ORDER BY start; with a lower bound on ``end`` as an expression (the same order), so
    SQLite reads the few recent rows by ``ix_episodes_end`` and sorts them instead of walking
    ``ix_episodes_start`` through the whole table to avoid that sort."""
    c = episodes.c
    if start is None:
        return c.start
    return type_coerce(c.start, BigInteger) + 0


EpisodeSpan = tuple[str, str | None, str | None, str | None, datetime, datetime]
"""What statistics over all episodes need of one: kind, label, area, actor, start, end."""


def read_episode_spans(conn: Connection) -> list[EpisodeSpan]:
    """Every episode's kind, label, area, actor, start and end, by start (then id): no detail
    and no evidence, plain tuples (the nightly pass's statistics over years of episodes)."""
    c = episodes.c
    stmt = select(c.kind, c.label, c.area, c.actor, c.start, c.end).order_by(c.start, c.id)
    return [tuple(r) for r in conn.execute(stmt)]


def read_episode_stats(conn: Connection, *, start: datetime | None = None) -> list[EpisodeStat]:
    """Per (kind, label, area, actor) of the episodes ending at or after ``start``: how many,
    the sum and the sum of squares of their minutes, the first start and the last end (one
    aggregate query: statistics over months of episodes without loading them)."""
    c = episodes.c
    micros = type_coerce(c.end, BigInteger) - type_coerce(c.start, BigInteger)
    minutes = cast(micros, Float) / 60_000_000.0
    stmt = select(c.kind, c.label, c.area, c.actor, func.count(), func.sum(minutes),
                  func.sum(minutes * minutes), func.min(c.start), func.max(c.end)) \
        .group_by(c.kind, c.label, c.area, c.actor)
    if start is not None:
        stmt = stmt.where(c.end >= start)
    return [
        EpisodeStat(kind, label, area, actor, int(n), float(total or 0.0), float(sq or 0.0),
                    first, last)
        for kind, label, area, actor, n, total, sq, first, last in conn.execute(stmt)
    ]


def read_routines(
    conn: Connection, *, include_invalid: bool = False, actor: str | None = None
) -> list[Routine]:
    """Routines by time of day; superseded ones (valid_to set) only with ``include_invalid``.
    Rejected routines are returned (their ``status`` says so)."""
    c = routines.c
    cond: list[ColumnElement[bool]] = []
    if not include_invalid:
        cond += [c.valid_to.is_(None), c.status != "superseded"]
    if actor is not None:
        cond.append(c.actor == actor)
    rows = _rows(conn, select(routines).where(and_(*cond))
                                             .order_by(c.time, c.key))
    ev = _load_evidence(conn, "routine", [int(m["id"]) for m in rows])
    return [_row_routine(m, ev.get(int(m["id"]), [])) for m in rows]


def read_sequences(conn: Connection) -> list[SequenceModel]:
    rows = _rows(conn, select(sequences).order_by(sequences.c.id))
    ev = _load_evidence(conn, "sequence", [int(m["id"]) for m in rows])
    return [_row_sequence(m, ev.get(int(m["id"]), [])) for m in rows]


def read_preferences(conn: Connection) -> list[Preference]:
    rows = _rows(conn, select(preferences).order_by(preferences.c.id))
    ev = _load_evidence(conn, "preference", [int(m["id"]) for m in rows])
    return [_row_preference(m, ev.get(int(m["id"]), [])) for m in rows]


_MIN_TIME: Final = datetime.min.replace(tzinfo=UTC)


def read_memories(
    conn: Connection,
    *,
    type: str | None = None,
    status: str | None = None,
    include_closed: bool = False,
    valid_since: datetime | None = None,
    without_embedding: bool = False,
    evidence: bool = True,
    ids: Sequence[int] | None = None,
    _where: ColumnElement[bool] | None = None,
) -> list[Memory]:
    """Memories (newest learned first); closed/rejected or ended ones only with
    ``include_closed`` (or when asked for by ``status``). ``valid_since``: only those valid
    from that time on; ``without_embedding``: only those with no embedding vector yet;
    ``ids``: only these; without ``evidence`` their evidence lists are left empty (see
    ``read_memory_evidence``)."""
    c = memories.c
    if ids is not None:
        out: list[Memory] = []
        wanted = list(dict.fromkeys(ids))
        for start in range(0, len(wanted), 500):
            out += read_memories(conn, type=type, status=status, include_closed=include_closed,
                                 valid_since=valid_since, without_embedding=without_embedding,
                                 evidence=evidence, _where=c.id.in_(wanted[start:start + 500]))
        out.sort(key=lambda m: (m.learned_at or _MIN_TIME, m.id or 0), reverse=True)
        return out
    cond: list[ColumnElement[bool]] = [] if _where is None else [_where]
    if type is not None:
        cond.append(c.type == type)
    if valid_since is not None:
        cond.append(c.valid_from >= valid_since)
    if without_embedding:
        cond.append(c.embedding.is_(None))
    if status is not None:
        cond.append(c.status == status)
    elif not include_closed:
        cond += [c.status.not_in(["closed", "rejected"]), c.valid_to.is_(None)]
    rows = conn.execute(select(c.id, c.type, c.text, c.key, c.subject, c.confidence,
                               c.importance, c.valid_from, c.valid_to, c.learned_at, c.origin,
                               c.status, c.detail).where(and_(*cond))
                        .order_by(c.learned_at.desc(), c.id.desc())).all()
    ev = _load_evidence(conn, "memory", [int(r[0]) for r in rows]) if evidence else {}
    return [  # by position: the first recall reads every memory
        Memory(type=type_, text=text, key=key, subject=subject, confidence=confidence,
               importance=importance, valid_from=valid_from, valid_to=valid_to,
               learned_at=learned_at, origin=origin, status=status_, evidence=ev.get(int(mid), []),
               detail=_loads(detail, {}), id=int(mid))
        for (mid, type_, text, key, subject, confidence, importance, valid_from, valid_to,
             learned_at, origin, status_, detail) in rows
    ]


def read_memory_evidence(conn: Connection, ids: Sequence[int]) -> dict[int, list[int]]:
    """Evidence lists of these memories (those without any are left out)."""
    return _load_evidence(conn, "memory", list(ids))


def read_embeddings(conn: Connection) -> dict[int, bytes]:
    rows = conn.execute(select(memories.c.id, memories.c.embedding)
                        .where(memories.c.embedding.is_not(None)))
    return {int(mid): bytes(blob) for mid, blob in rows}
