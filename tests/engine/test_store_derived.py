"""Derived data: unit of work, episodes/routines/sequences/preferences/memories, evidence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from galatea_engine.models import Episode, Memory, Preference, Routine, Sequence
from galatea_engine.store import ActivityStore
from galatea_engine.store.schema import evidence
from sqlalchemy import select

from . import store_support

db_url = store_support.db_url
make_store = store_support.make_store

StoreFactory = Callable[..., ActivityStore]
DAY = datetime(2026, 1, 5, tzinfo=UTC)


def _episode(kind: str, hour: int, ev: list[int]) -> Episode:
    start = DAY + timedelta(hours=hour)
    return Episode(kind=kind, start=start, end=start + timedelta(hours=1), area="Kitchen",
                   actor="person.anna", label=f"{kind} {hour}", detail={"n": hour}, evidence=ev)


def _routine(key: str, time: str = "07:00", **kw: object) -> Routine:
    fields: dict[str, object] = {
        "key": key, "kind": "wake_up", "label": "Wakes up", "days": "weekdays", "time": time,
        "spread_min": 12.5, "support_days": 9, "confidence": 0.8, "actor": "person.anna",
        "entities": ["light.bedroom"], "evidence": [1, 2, 3], "detail": {"p": 1},
    }
    fields.update(kw)
    return Routine(**fields)  # type: ignore[arg-type]


def _evidence_rows(store: ActivityStore, owner: str) -> list[tuple[int, int]]:
    with store.engine.connect() as conn:
        return [(int(a), int(b)) for a, b in conn.execute(
            select(evidence.c.owner_id, evidence.c.activity_id)
            .where(evidence.c.owner == owner).order_by(evidence.c.id))]


def test_cursor_and_rollback(make_store: StoreFactory) -> None:
    store = make_store()
    with store.unit_of_work() as uow:
        assert uow.get_cursor("main") == 0
        uow.set_cursor("main", 42)

    def failing_run() -> None:
        with store.unit_of_work() as uow:
            uow.set_cursor("main", 99)
            uow.replace_episodes([_episode("sleep", 1, [1])])
            raise RuntimeError("engine crashed mid-run")

    with pytest.raises(RuntimeError):
        failing_run()
    with store.unit_of_work() as uow:
        assert uow.get_cursor("main") == 42  # nothing of the failed run was kept
    assert store.episodes() == []


def test_replace_episodes(make_store: StoreFactory) -> None:
    store = make_store()
    with store.unit_of_work() as uow:
        eps = [_episode("sleep", 0, [1, 2]), _episode("session", 8, [3]),
               _episode("session", 12, [4])]
        uow.replace_episodes(eps)
    assert all(e.id for e in eps)
    got = store.episodes()
    assert got == eps
    # Incremental: replace sessions from 10:00 on; the sleep and the 08:00 session stay.
    with store.unit_of_work() as uow:
        uow.replace_episodes([_episode("session", 13, [5])], since=DAY + timedelta(hours=10),
                             kinds={"session"})
    assert [(e.kind, e.start.hour) for e in store.episodes()] == [
        ("sleep", 0), ("session", 8), ("session", 13)]
    assert sorted(a for _, a in _evidence_rows(store, "episode")) == [1, 2, 3, 5]
    # Filters: overlap with [start, end), kind, area, actor.
    assert [e.start.hour for e in store.episodes(start=DAY + timedelta(hours=8, minutes=30),
                                                 end=DAY + timedelta(hours=13))] == [8]
    assert len(store.episodes(kind="session")) == 2
    assert store.episodes(area="Hall") == []
    assert len(store.episodes(actor="person.anna")) == 3


def test_upsert_routines_keeps_user_status(make_store: StoreFactory) -> None:
    store = make_store()
    with store.unit_of_work() as uow:
        uow.upsert_routines([_routine("wake:anna"), _routine("bed:anna", "22:30")])
    assert store.set_routine_status("wake:anna", "confirmed")
    assert not store.set_routine_status("missing", "confirmed")
    with store.unit_of_work() as uow:
        uow.upsert_routines([_routine("wake:anna", "07:10", evidence=[7]),
                             _routine("bed:anna", "22:40", status="learned")])
    got = {r.key: r for r in store.routines()}
    assert got["wake:anna"].status == "confirmed"
    assert got["wake:anna"].time == "07:10"
    assert got["wake:anna"].evidence == [7]
    assert got["bed:anna"].days == "weekdays"
    assert got["bed:anna"].entities == ["light.bedroom"]
    # A changed routine: the old one is superseded (valid_to), hidden by default.
    with store.unit_of_work() as uow:
        uow.upsert_routines([_routine("bed:anna", "22:40", status="superseded",
                                      valid_to=DAY, days=[0, 1, 2])])
    assert [r.key for r in store.routines()] == ["wake:anna"]
    everything = store.routines(include_invalid=True)
    assert {r.key for r in everything} == {"wake:anna", "bed:anna"}
    assert next(r for r in everything if r.key == "bed:anna").days == [0, 1, 2]
    assert store.routines(actor="person.bob") == []


def test_replace_sequences_and_preferences(make_store: StoreFactory) -> None:
    store = make_store()
    seq = Sequence(steps=["binary_sensor.hall:on", "light.hall:on"], window_min=2, support=12,
                   confidence=0.9, lift=3.1, evidence=[1, 2])
    pref = Preference(kind="climate_setpoint", subject="climate.living", value=21.5,
                      when="18:00-22:00", mode="heat", spread=0.4, support=8, evidence=[3])
    with store.unit_of_work() as uow:
        uow.replace_sequences([seq])
        uow.replace_preferences([pref])
    assert store.sequences() == [seq]
    assert store.preferences() == [pref]
    with store.unit_of_work() as uow:
        uow.replace_sequences([])
        uow.replace_preferences([])
    assert store.sequences() == []
    assert store.preferences() == []
    assert _evidence_rows(store, "sequence") == []
    assert _evidence_rows(store, "preference") == []


def test_memories(make_store: StoreFactory) -> None:
    store = make_store()
    user = Memory(type="semantic", text="The spare key is in the blue pot", origin="user",
                  subject="Hall", evidence=[4])
    mid = store.add_memory(user)
    assert mid == user.id
    engine_mem = Memory(type="procedural", text="Anna wakes at 7", key="routine:wake:anna",
                        evidence=[1, 2])
    with store.unit_of_work() as uow:
        uow.upsert_memories([engine_mem])
    store.update_memory(engine_mem.id or 0, status="confirmed")
    with store.unit_of_work() as uow:  # re-mined: text/evidence updated, user status kept
        again = Memory(type="procedural", text="Anna wakes at 7:10", key="routine:wake:anna",
                       evidence=[9])
        uow.upsert_memories([again])
    assert again.id == engine_mem.id
    got = {m.id: m for m in store.memories()}
    assert got[engine_mem.id or 0].status == "confirmed"
    assert got[engine_mem.id or 0].evidence == [9]
    assert got[mid].evidence == [4]
    assert got[mid].learned_at is not None
    assert [m.id for m in store.memories(type="semantic")] == [mid]

    assert store.update_memory(mid, valid_to=datetime(2026, 2, 1, tzinfo=UTC), evidence=[4, 5])
    assert mid not in {m.id for m in store.memories()}  # ended: hidden by default
    closed = {m.id: m for m in store.memories(include_closed=True)}
    assert closed[mid].evidence == [4, 5]
    with pytest.raises(ValueError):
        store.update_memory(mid, colour="red")
    assert not store.update_memory(12345, text="x")

    store.set_embeddings({mid: b"\x00\x00\x80?", engine_mem.id or 0: b"\x00\x00\x00@"})
    assert store.embeddings()[mid] == b"\x00\x00\x80?"
    assert store.delete_memory(mid)
    assert not store.delete_memory(mid)
    assert mid not in store.embeddings()
    assert all(owner_id != mid for owner_id, _ in _evidence_rows(store, "memory"))
    assert mid not in {m.id for m in store.memories(include_closed=True)}
