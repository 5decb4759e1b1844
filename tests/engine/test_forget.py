"""Forgetting for real: rows gone, and the bytes gone from the database files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from galatea_engine.api import GalateaAPI
from galatea_engine.capture.ha_events import HAEventNormalizer
from galatea_engine.models import ActivityEvent, Episode, Memory, Routine
from galatea_engine.store import ActivityStore

T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
SECRET = "The spare key is under the blue flowerpot"
QUERY = "where did zebulon hide the cookies"


def _files(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.iterdir()
                    if p.name.startswith(db.name))


def _ev(i: int, **kw: object) -> ActivityEvent:
    fields: dict[str, object] = {"ts": T0 + timedelta(minutes=i), "source": "ha",
                                 "kind": "state_changed", "entity_id": "light.hall",
                                 "state": "on", "summary": f"hall light {i}"}
    fields.update(kw)
    return ActivityEvent(**fields)  # type: ignore[arg-type]


def test_forget_removes_the_memory_and_activity_with_its_text(tmp_path: Path) -> None:
    db = tmp_path / "galatea.db"
    store = ActivityStore(path=db)
    store.start()
    api = GalateaAPI(store, UTC)
    memory_id = api.remember(SECRET)["id"]
    store.add_events([_ev(i) for i in range(20)] + [
        _ev(21, kind="note", source="digital", summary=f"note: {SECRET}"),
        _ev(22, kind="note", source="digital", data={"text": SECRET, "n": 1}),
    ])
    store.checkpoint()
    assert SECRET.encode() in _files(db)
    api.forget(memory_id)
    assert store.memories(include_closed=True) == []
    assert store.count_activity() == 20
    assert SECRET.encode() not in _files(db)  # secure_delete + checkpoint: bytes gone
    store.stop()
    assert SECRET.encode() not in _files(db)


def test_galatea_own_action_calls_are_not_activity() -> None:
    norm = HAEventNormalizer()
    for service, data in (("remember", {"text": SECRET}),
                          ("search_memories", {"query": QUERY}),
                          ("record_activity", {"kind": "x", "summary": "\ud800"})):
        event = {"event_type": "call_service", "time_fired": T0.isoformat(),
                 "context": {"id": "c1", "user_id": "u1"},
                 "data": {"domain": "galatea", "service": service, "service_data": data}}
        assert norm.normalize(event) is None
    other = {"event_type": "call_service", "time_fired": T0.isoformat(),
             "context": {"id": "c2", "user_id": "u1"},
             "data": {"domain": "light", "service": "turn_on",
                      "service_data": {"entity_id": "light.hall"}}}
    assert norm.normalize(other) is not None


def test_forget_and_export_a_person(tmp_path: Path) -> None:
    db = tmp_path / "galatea.db"
    store = ActivityStore(path=db)
    store.add_events([
        _ev(0, entity_id="person.zebulon", state="home", actor="person.zebulon",
            actor_kind="person", summary="Zebulon came home"),
        _ev(1, actor="person.zebulon", actor_kind="person", summary="zebulonlight"),
        _ev(2, actor="person.ada", actor_kind="person", summary="Ada switched the light"),
    ])
    with store.unit_of_work() as uow:
        uow.replace_episodes([
            Episode(kind="sleep", start=T0, end=T0 + timedelta(hours=8), actor="person.zebulon",
                    evidence=[1]),
            Episode(kind="sleep", start=T0, end=T0 + timedelta(hours=7), actor="person.ada"),
        ], since=None, kinds={"sleep"})
        uow.upsert_routines([
            Routine(key="wake_up:person.zebulon:daily", kind="wake_up", label="Zebulon wakes",
                    days="daily", time="07:00", spread_min=10, support_days=9, confidence=0.9,
                    actor="person.zebulon", evidence=[1]),
            Routine(key="wake_up:person.ada:daily", kind="wake_up", label="Ada wakes",
                    days="daily", time="06:30", spread_min=10, support_days=9, confidence=0.9,
                    actor="person.ada"),
        ])
    snapshot = store.put_blob(b"\xff\xd8 a face")
    store.add_events([_ev(3, source="frigate", kind="person_detected", entity_id="camera.door",
                          actor="person.zebulon", actor_kind="person", blob=snapshot,
                          summary="person at the door")])
    store.add_memory(Memory(type="semantic", text="Zebulon likes tea in the morning",
                            origin="user"))
    store.add_memory(Memory(type="semantic", text="Ada likes coffee", origin="user"))

    exported = store.export_person("person.zebulon", ["Zebulon"])
    assert len(exported["activity"]) == 3
    assert [e["actor"] for e in exported["episodes"]] == ["person.zebulon"]
    assert [r["key"] for r in exported["routines"]] == ["wake_up:person.zebulon:daily"]
    assert [m["text"] for m in exported["memories"]] == ["Zebulon likes tea in the morning"]

    counts = store.forget_person("person.zebulon", ["Zebulon"])
    assert counts["activity"] == 3
    assert store.get_blob(snapshot) is None  # their snapshot is gone too
    assert counts["memory"] == 1
    assert [e.actor for e in store.episodes()] == ["person.ada"]
    assert [r.actor for r in store.routines(include_invalid=True)] == ["person.ada"]
    assert [m.text for m in store.memories(include_closed=True)] == ["Ada likes coffee"]
    assert store.count_activity() == 1
    assert b"zebulon" not in _files(db).lower()
    store.stop()
    assert b"zebulon" not in _files(db).lower()


def test_forgetting_a_short_word_keeps_the_activity_that_mentions_it(tmp_path: Path) -> None:
    store = ActivityStore(path=tmp_path / "galatea.db")
    api = GalateaAPI(store, UTC)
    memory_id = api.remember("kitchen")["id"]
    store.add_events([_ev(i, summary=f"Kitchen light {i}") for i in range(5)])
    api.forget(memory_id)
    assert store.memories(include_closed=True) == []
    assert store.count_activity() == 5
    store.stop()
