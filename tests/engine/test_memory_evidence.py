"""Incremental formation reads memories without their evidence and loads it only for the
candidates' slots: what it writes must still carry the evidence a full read would give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from galatea_engine.memory import formation
from galatea_engine.models import Routine
from galatea_engine.store import ActivityStore

from .sim_data import TZ

T0 = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)


def _routine(key: str, time: str, evidence: list[int]) -> Routine:
    return Routine(key=key, kind="habit", label=f"{key} light turned on", days="daily",
                   time=time, spread_min=10.0, support_days=9, confidence=0.8,
                   entities=[f"light.{key}"], evidence=evidence)


def test_incremental_writes_keep_the_evidence_they_build_on(tmp_path: Path) -> None:
    store = ActivityStore(path=tmp_path / "galatea.db")
    with store.unit_of_work() as uow:
        uow.upsert_routines([_routine("hall", "07:00", [1, 2]), _routine("bed", "22:00", [5]),
                             _routine("desk", "09:00", [9])])
    formation.form_memories(store, TZ, full=True, now=T0)
    before = {m.detail["routine_key"]: m for m in store.memories(type="procedural")}
    assert before["hall"].evidence == [1, 2]

    # Re-mined: the hall light moved by two hours (a contradiction: the old version is closed
    # with its own evidence), the bedroom one by five minutes (same slot, new text: evidence
    # merged), the desk one did not change and is not pending.
    with store.unit_of_work() as uow:
        uow.upsert_routines([_routine("hall", "09:00", [3]), _routine("bed", "22:05", [6])])
        formation.note_changes(uow, routines=["hall", "bed"])
    summary = formation.form_memories(store, TZ, incremental=True, now=T0 + timedelta(hours=6))
    assert summary.closed == 1
    mems = store.memories(type="procedural", include_closed=True)
    hall = {m.status: m for m in mems if m.detail["routine_key"] == "hall"}
    assert hall["closed"].evidence == [1, 2]
    assert hall["closed"].id == before["hall"].id
    assert hall["active"].evidence == [3]
    (bed,) = [m for m in mems if m.detail["routine_key"] == "bed"]
    assert bed.id == before["bed"].id
    assert "22:05" in bed.text
    assert bed.evidence == [5, 6]
    (desk,) = [m for m in mems if m.detail["routine_key"] == "desk"]
    assert desk.evidence == [9]
    # Only what it wrote needed a vector: every memory has one.
    assert len(store.embeddings()) == len(mems)
    store.stop()
