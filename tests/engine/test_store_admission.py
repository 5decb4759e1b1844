"""Accepted means stored: what a door or the store says yes to is written, counters agree."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from galatea_engine.capture.digital import parse_body
from galatea_engine.models import ActivityEvent, ValidationError
from galatea_engine.store import ActivityStore, StoreSettings

T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def _ev(i: int, **kw: object) -> ActivityEvent:
    base = ActivityEvent(ts=T0 + timedelta(seconds=i), source="ha", kind="state_changed",
                         entity_id="light.kitchen", state="on", summary=f"event {i}")
    return replace(base, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"kind": "note", "summary": "\\ud800 lone"}', "summary"),
        ('{"kind": "note", "device": "pc\\udfff"}', "device"),
        ('{"kind": "note", "data": {"k": "\\udc00"}}', "data"),
        ('{"kind": "note", "data": {"\\ud83d": 1}}', "data"),
        ('[{"kind": "note"}, {"kind": "note", "summary": "\\ud800"}]', "events[1].summary"),
        ('{"kind": "note", "data": {"n": 1' + "0" * 5000 + "}}", "body"),
    ],
)
def test_doors_refuse_text_the_store_cannot_write(body: str, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_body(body.encode("utf-8"))
    assert err.value.field == field


def test_internal_events_are_repaired_not_lost(tmp_path: Path) -> None:
    """HA/Frigate events are made inside Galatea: bad text is repaired when queued, so the
    writer never drops what was accepted and its counters agree with the rows."""
    settings = StoreSettings(commit_interval=0.05)
    with ActivityStore(path=tmp_path / "g.db", settings=settings) as store:
        store.start()
        events = [_ev(i, summary=f"\ud800 {i}", state="x" * 400,
                      data={"\udfff": "v", "n": i}) for i in range(500)]
        assert store.enqueue_many(events) == 500
        assert store.flush(10)
        stats = store.stats()
        assert store.count_activity() == 500
        assert stats["committed"] == 500
        assert stats["rejected"] == 0
        stored = list(store.iter_activity())
        assert all(len(e.state or "") == 255 for e in stored)
        assert all("\ufffd" in (e.summary or "") for e in stored)


def test_a_batch_is_queued_whole_or_not_at_all(tmp_path: Path) -> None:
    settings = StoreSettings(max_backlog=10, commit_interval=30)
    with ActivityStore(path=tmp_path / "g.db", settings=settings) as store:
        store.start()
        assert store.enqueue_many([_ev(i) for i in range(8)]) == 8
        assert store.enqueue_many([_ev(i) for i in range(3)]) == 0  # would pass the cap
        assert store.stats()["queued"] == 8
        assert store.flush(10)
        assert store.count_activity() == 8
        assert store.stats()["committed"] == 8
        assert store.stats()["dropped"] == 3


def test_payload_with_mixed_key_types_is_checked_like_the_store_writes_it() -> None:
    # The store sorts keys; mixed key types cannot be sorted: refused at the door.
    from galatea_engine.models import check_data_size

    with pytest.raises(ValidationError):
        check_data_size({1: "a", "b": 2})
    check_data_size(json.loads('{"a": 1, "b": [1, 2]}'))


def test_a_queued_batch_is_committed_in_one_transaction() -> None:
    from galatea_engine.store.writer import WriterThread

    commits: list[int] = []

    def commit(batch: object) -> int:
        commits.append(len(batch))  # type: ignore[arg-type]
        return len(batch)  # type: ignore[arg-type]

    writer = WriterThread(commit, lambda: None, commit_interval=0.5, max_batch=10)
    for i in range(7):
        assert writer.enqueue(_ev(i))
    assert writer.enqueue_many([_ev(100 + i) for i in range(6)])
    for i in range(5):
        assert writer.enqueue(_ev(200 + i))
    writer.start()
    assert writer.flush(5)
    assert writer.stop(5)
    # 7 single events + the group of 6 would be split at max_batch 10: the group stays whole.
    assert commits == [13, 5]
    assert writer.committed == 18


def test_a_partly_committed_batch_is_not_written_twice() -> None:
    from galatea_engine.store.writer import PartialCommit, WriterThread

    written: list[int] = []
    fail_once = [True]

    def commit(batch: list[ActivityEvent]) -> int:
        if fail_once[0]:
            fail_once[0] = False
            written.extend(int(ev.state or 0) for ev in batch[:3])
            raise PartialCommit(3, 3, OSError("database or disk is full"))
        written.extend(int(ev.state or 0) for ev in batch)
        return len(batch)

    writer = WriterThread(commit, lambda: None, commit_interval=0.01, retry_delay=0.01)
    for i in range(8):
        assert writer.enqueue(_ev(i, state=str(i)))
    writer.start()
    assert not writer.flush(5)  # the first commit failed part-way
    assert writer.flush(5)  # retried: only what was not written yet
    assert writer.stop(5)
    assert written == list(range(8))
    assert writer.committed == 8
    assert writer.health == "ok"
