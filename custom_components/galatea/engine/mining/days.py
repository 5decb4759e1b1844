"""Day sets: which weekdays a routine is about (Monday = 0)."""

from __future__ import annotations

from ..models import DaysSpec

WEEKDAYS = frozenset(range(5))
WEEKENDS = frozenset({5, 6})
ALL_DAYS = frozenset(range(7))


def days_set(spec: DaysSpec) -> frozenset[int]:
    if spec == "daily":
        return ALL_DAYS
    if spec == "weekdays":
        return WEEKDAYS
    if spec == "weekends":
        return WEEKENDS
    return frozenset(int(d) for d in spec)
