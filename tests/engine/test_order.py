"""``by_time``: activity by (time, id), without sorting what already is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from galatea_engine.mining.order import by_time
from galatea_engine.models import ActivityEvent

T0 = datetime(2026, 1, 5, 8, tzinfo=UTC)


def _ev(minutes: int, id_: int | None) -> ActivityEvent:
    return ActivityEvent(
        ts=T0 + timedelta(minutes=minutes), kind="state_changed", source="ha",
        entity_id="light.kitchen", state="on", id=id_,
    )


def test_ordered_list_is_returned_as_is() -> None:
    events = [_ev(0, 1), _ev(1, 3), _ev(1, 4), _ev(5, 2)]
    assert by_time(events) is events


def test_out_of_order_times_or_ids_are_sorted() -> None:
    late = [_ev(0, 1), _ev(5, 2), _ev(1, 3)]
    assert [e.id for e in by_time(late)] == [1, 3, 2]
    same_time = [_ev(0, 1), _ev(1, 4), _ev(1, 3)]
    assert [e.id for e in by_time(same_time)] == [1, 3, 4]
    assert by_time(same_time) is not same_time  # the caller's list is left as it was
    assert [e.id for e in same_time] == [1, 4, 3]


def test_tuples_and_empty_lists() -> None:
    assert by_time(()) == []
    assert [e.id for e in by_time((_ev(3, 2), _ev(0, 1)))] == [1, 2]
