"""Plausible times: what a door accepts as ``ts`` and what the engine trusts as "latest".

A device with an unset or wrong clock is common. Times before ``TIME_FLOOR`` or more than
``MAX_FUTURE_SKEW`` ahead of the receiver's clock are implausible. Live doors (webhook, MQTT,
the ``record_activity`` action) re-time such an event to its arrival and keep the original in
``data["ts_original"]``; replay files reject the line. Either way it is counted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from ..models import ActivityEvent

TIME_FLOOR: Final = datetime(2000, 1, 1, tzinfo=UTC)
MAX_FUTURE_SKEW: Final = timedelta(minutes=5)
ORIGINAL_TS_KEY: Final = "ts_original"


def ceiling(now: datetime | None = None) -> datetime:
    """The newest time trusted now."""
    return (now or datetime.now(UTC)) + MAX_FUTURE_SKEW


def is_plausible(ts: datetime, now: datetime | None = None) -> bool:
    """Not before the floor and not beyond the allowed skew into the future."""
    return TIME_FLOOR <= ts <= ceiling(now)


def retime(ev: ActivityEvent, arrival: datetime) -> ActivityEvent:
    """The event at its arrival time; the device's own time kept in ``data``."""
    data = {**ev.data, ORIGINAL_TS_KEY: ev.ts.isoformat()}
    return replace(ev, ts=arrival, data=data)


@dataclass(slots=True)
class ClockStats:
    """Implausible times seen at a door: re-timed to arrival, or rejected (replay)."""

    retimed: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"retimed": self.retimed, "rejected": self.rejected}
