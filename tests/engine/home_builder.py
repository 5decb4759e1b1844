"""Build small homes' activity logs for the episode tests (ActivityEvents, ids assigned)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from galatea_engine.models import ActivityEvent


class Home:
    """Append events by local wall-clock time; ``build()`` sorts them and numbers them."""

    def __init__(self, tz: str = "Europe/Madrid", start: date = date(2026, 1, 12)) -> None:
        self.tz = ZoneInfo(tz)
        self.start = start
        self._events: list[ActivityEvent] = []

    def at(self, day: int, hhmm: str, seconds: int = 0) -> datetime:
        """Local time on day ``day`` (0 = start); ``hhmm`` past 24:00 rolls into the next day."""
        h, m = map(int, hhmm.split(":"))
        d = self.start + timedelta(days=day + h // 24)
        naive = datetime.combine(d, time(h % 24, m, seconds))
        return naive.replace(tzinfo=self.tz)

    def add(self, ts: datetime, entity_id: str, state: str | None, **kw: Any) -> None:
        kw.setdefault("kind", "state_changed")
        kw.setdefault("source", "ha")
        self._events.append(ActivityEvent(ts=ts, entity_id=entity_id, state=state, **kw))

    def hold(
        self,
        entity_id: str,
        area: str | None,
        device_class: str,
        start: datetime,
        end: datetime,
        **kw: Any,
    ) -> None:
        """A binary sensor on from ``start`` to ``end``."""
        self.add(
            start, entity_id, "on", area=area, device_class=device_class, old_state="off", **kw
        )
        self.add(end, entity_id, "off", area=area, device_class=device_class, old_state="on", **kw)

    def blip(
        self,
        entity_id: str,
        area: str | None,
        device_class: str,
        ts: datetime,
        seconds: int = 20,
        **kw: Any,
    ) -> None:
        self.hold(entity_id, area, device_class, ts, ts + timedelta(seconds=seconds), **kw)

    def build(self) -> list[ActivityEvent]:
        evs = sorted(self._events, key=lambda e: e.ts.timestamp())
        return [e.with_id(i + 1) for i, e in enumerate(evs)]


def minutes(a: datetime, b: datetime) -> float:
    """Absolute difference in real minutes (UTC-based, DST-safe)."""
    return abs(a.timestamp() - b.timestamp()) / 60
