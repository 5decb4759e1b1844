"""Forgetting for real, and a person's data on request (inside the caller's transaction).

``forget_memory`` removes a memory, its evidence links and every activity row whose summary or
payload contains its text (the call that told it, a note that repeats it). ``person_data`` and
``forget_person`` select everything about one person: activity they did or that is about them,
and the episodes, routines, sequences, preferences and memories that name them (memories also
by the person's names, e.g. their friendly name). Payload rows
nobody uses any more go too; with ``secure_delete`` (see ``db.make_engine``) and a WAL
checkpoint afterwards the bytes are gone from the files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, exists, or_, select

from .activity import row_event
from .derived import read_episodes, read_memories, read_routines
from .schema import (
    activity,
    activity_data,
    episodes,
    evidence,
    memories,
    preferences,
    routines,
    sequences,
)

_CHUNK = 500
# Activity is removed for containing a text only when the text is specific enough (a told fact,
# a query, an entity id), never for a single common word.
MIN_MATCH_CHARS = 10


def _needles(text: str) -> list[str]:
    """The text as written in a summary and as it appears inside a JSON payload."""
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    return sorted({text, escaped})


def _activity_ids_containing(conn: Connection, texts: Iterable[str]) -> list[int]:
    clauses: list[ColumnElement[bool]] = []
    for text in texts:
        if len(text.strip()) < MIN_MATCH_CHARS:  # "kitchen" would match half the log
            continue
        for needle in _needles(text):
            clauses.append(activity.c.summary.contains(needle, autoescape=True))
            clauses.append(activity_data.c.shared_data.contains(needle, autoescape=True))
    if not clauses:
        return []
    stmt = (select(activity.c.id)
            .outerjoin(activity_data, activity.c.data_id == activity_data.c.data_id)
            .where(or_(*clauses)))
    return [int(r[0]) for r in conn.execute(stmt)]


def delete_activity(
    conn: Connection, ids: Sequence[int], unused_blobs: list[str] | None = None
) -> int:
    """Delete these activity rows, their evidence links and payloads nobody uses any more;
    blob hashes (snapshots) no remaining row uses go to ``unused_blobs`` (the caller deletes
    the files after the commit)."""
    data_ids: set[int] = set()
    blobs: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for data_id, blob in conn.execute(
                select(activity.c.data_id, activity.c.blob).where(activity.c.id.in_(chunk))):
            if data_id is not None:
                data_ids.add(int(data_id))
            if blob:
                blobs.add(str(blob))
        conn.execute(delete(activity).where(activity.c.id.in_(chunk)))
        conn.execute(delete(evidence).where(evidence.c.activity_id.in_(chunk)))
    if unused_blobs is not None:
        for digest in sorted(blobs):
            used = select(activity.c.id).where(activity.c.blob == digest).limit(1)
            if conn.execute(used).first() is None:
                unused_blobs.append(digest)
    still_used = exists().where(activity.c.data_id == activity_data.c.data_id)
    ordered = sorted(data_ids)
    for start in range(0, len(ordered), _CHUNK):
        conn.execute(delete(activity_data).where(
            activity_data.c.data_id.in_(ordered[start:start + _CHUNK]), ~still_used))
    return len(ids)


def forget_memory(
    conn: Connection, memory_id: int, unused_blobs: list[str] | None = None
) -> dict[str, int] | None:
    """Remove the memory, its evidence links and activity containing its text; None when
    there is no such memory."""
    text = conn.execute(select(memories.c.text).where(memories.c.id == memory_id)).scalar()
    if text is None:
        return None
    conn.execute(delete(memories).where(memories.c.id == memory_id))
    conn.execute(delete(evidence).where(evidence.c.owner == "memory",
                                        evidence.c.owner_id == memory_id))
    ids = _activity_ids_containing(conn, [str(text)])
    delete_activity(conn, ids, unused_blobs)
    return {"memories": 1, "activity": len(ids)}


def forget_text(conn: Connection, text: str, unused_blobs: list[str] | None = None) -> int:
    """Remove every activity row containing ``text`` (a query, a told fact)."""
    ids = _activity_ids_containing(conn, [text])
    return delete_activity(conn, ids, unused_blobs)


# -- one person ---------------------------------------------------------------------------------


def _person_activity_ids(conn: Connection, person: str) -> list[int]:
    """What they did, what is about them, and rows naming their entity id."""
    found = {int(r[0]) for r in conn.execute(select(activity.c.id).where(
        or_(activity.c.actor == person, activity.c.entity_id == person)))}
    found.update(_activity_ids_containing(conn, [person]))
    return sorted(found)


def _person_memory_ids(conn: Connection, person: str, names: Sequence[str]) -> list[int]:
    clauses: list[ColumnElement[bool]] = [memories.c.subject == person,
                                          memories.c.key.contains(person, autoescape=True),
                                          memories.c.detail.contains(person, autoescape=True)]
    for name in names:
        if len(name.strip()) >= 3:
            clauses.append(memories.c.text.contains(name, autoescape=True))
            clauses.append(memories.c.subject == name)
    return [int(r[0]) for r in conn.execute(select(memories.c.id).where(or_(*clauses)))]


def _ids(conn: Connection, table: Any, clause: ColumnElement[bool]) -> list[int]:
    return [int(r[0]) for r in conn.execute(select(table.c.id).where(clause))]


def _person_selection(
    conn: Connection, person: str, names: Sequence[str]
) -> dict[str, list[int]]:
    return {
        "activity": _person_activity_ids(conn, person),
        "episode": _ids(conn, episodes, episodes.c.actor == person),
        "routine": _ids(conn, routines, or_(routines.c.actor == person,
                                            routines.c.key.contains(person, autoescape=True))),
        "sequence": _ids(conn, sequences, sequences.c.actor == person),
        "preference": _ids(conn, preferences, preferences.c.actor == person),
        "memory": _person_memory_ids(conn, person, names),
    }


def person_data(conn: Connection, person: str, names: Sequence[str] = ()) -> dict[str, Any]:
    """Everything Galatea holds about ``person`` (an entity id like ``person.anna``), as
    JSON-ready lists (a privacy request's export)."""
    from ..models import to_jsonable
    from .activity import _READ_COLUMNS

    picked = _person_selection(conn, person, names)
    rows: list[dict[str, Any]] = []
    ids = picked["activity"]
    for start in range(0, len(ids), _CHUNK):
        stmt = (select(*(activity.c[c] for c in _READ_COLUMNS), activity_data.c.shared_data)
                .outerjoin(activity_data, activity.c.data_id == activity_data.c.data_id)
                .where(activity.c.id.in_(ids[start:start + _CHUNK])).order_by(activity.c.id))
        rows.extend(row_event(r).to_dict() for r in conn.execute(stmt))
    episode_ids = set(picked["episode"])
    routine_ids = set(picked["routine"])
    return {
        "person": person,
        "activity": rows,
        "episodes": [to_jsonable(e) for e in read_episodes(conn, actor=person)
                     if e.id in episode_ids],
        "routines": [to_jsonable(r) for r in read_routines(conn, include_invalid=True)
                     if r.id in routine_ids],
        "memories": [to_jsonable(m) for m in read_memories(
            conn, include_closed=True, ids=picked["memory"])] if picked["memory"] else [],
    }


def forget_person(
    conn: Connection, person: str, names: Sequence[str] = (),
    unused_blobs: list[str] | None = None,
) -> dict[str, int]:
    """Delete everything ``person_data`` would export; returns counts per kind."""
    picked = _person_selection(conn, person, names)
    delete_activity(conn, picked["activity"], unused_blobs)
    tables = {"episode": episodes, "routine": routines, "sequence": sequences,
              "preference": preferences, "memory": memories}
    for owner, table in tables.items():
        ids = picked[owner]
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            conn.execute(delete(table).where(table.c.id.in_(chunk)))
            conn.execute(delete(evidence).where(evidence.c.owner == owner,
                                                evidence.c.owner_id.in_(chunk)))
    return {key: len(value) for key, value in picked.items()}
