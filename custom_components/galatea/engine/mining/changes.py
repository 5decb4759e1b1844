"""Change: routines that stopped or shifted, and today's deviations from routines.

A routine that has not happened on its expected days for ``stale_days`` days stopped: it gets
``valid_to`` (kept, not deleted). When a routine of the same kind, person and thing began
around then on overlapping days, the old one is ``superseded`` and the pair is linked
(``detail.superseded_by`` / ``detail.replaces`` with the shift in minutes): a new job moving
the alarm an hour earlier, or winter moving dinner.

``deviations`` answers "what usually happens by now but did not today" for the HA side, with
how late it is in minutes and in units of the routine's usual spread. Only routines tight
enough to be late are judged (``judged``): a loose wake-up (SD over an hour) is still known
and reported, but "not up yet" two or more hours after its usual time says nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from ..kinds import KIND_BY_KEY
from ..models import ActivityEvent, Routine
from .actions import habit_item, is_person_action
from .circular import parse_hhmm, signed_diff
from .days import days_set

# A usual time looser than this (circular SD, minutes) is not "usual" for anything but the
# anchors; it is also the limit beyond which a routine is never judged late (changes.judged).
STRICT_SPREAD_MIN = 60.0


def judged(r: Routine, max_spread_min: float = STRICT_SPREAD_MIN) -> bool:
    """Whether a routine is tight enough to be judged late.

    Lateness is measured in spreads (overdue after 2 x spread). Past ``STRICT_SPREAD_MIN``
    (an hour) that grace would be over two hours and the look-back window over three, so a
    loose routine (a household's wake-up between 09:30 and 12:30) is reported but never
    called late: a deviation sensor that turns on half a morning after the fact is noise.
    """
    return r.spread_min <= max_spread_min


def _day(r: Routine, key: str) -> date | None:
    raw = r.detail.get(key)
    return date.fromisoformat(raw) if isinstance(raw, str) else None


def link_changes(routines: list[Routine], tz: tzinfo, *, stale_days: int = 4) -> list[Routine]:
    """Mark routines of one series that stopped; link them to the routine that replaced them.

    All routines passed in must describe the same kind/actor/thing (one series).
    """
    stopped = [r for r in routines if int(r.detail.get("missing_after", 0)) >= stale_days]
    current = [r for r in routines if r not in stopped]
    taken: set[int] = set()
    # Closest in time of day first, so two routines that both shifted pair up correctly.
    stopped.sort(
        key=lambda o: min(
            (abs(signed_diff(parse_hhmm(c.time), parse_hhmm(o.time))) for c in current), default=0.0
        )
    )
    for old in stopped:
        last = _day(old, "last_day")
        if last is None:
            continue
        end = last + timedelta(days=1)
        old.valid_to = datetime.combine(end, time(0), tzinfo=tz)
        old_days = days_set(old.days)
        successors = [
            r
            for r in current
            if days_set(r.days) & old_days
            and id(r) not in taken
            and (_day(r, "first_day") or date.min) >= last - timedelta(days=3)
        ]
        base_key = old.key
        old.key = f"{base_key}@{end.isoformat()}"
        if not successors:
            continue
        new = min(
            successors, key=lambda r: abs(signed_diff(parse_hhmm(r.time), parse_hhmm(old.time)))
        )
        taken.add(id(new))
        old.status = "superseded"
        old.detail["superseded_by"] = new.key
        new.detail["replaces"] = old.key
        new.detail["shift_min"] = round(signed_diff(parse_hhmm(new.time), parse_hhmm(old.time)), 1)
        first = _day(new, "first_day")
        if new.valid_from is None and first is not None:
            new.valid_from = datetime.combine(first, time(0), tzinfo=tz)
    return routines


def changed_routines(
    before: Iterable[Routine], after: Iterable[Routine]
) -> tuple[list[Routine], list[Routine]]:
    """(learned, changed) between two runs: new keys, and keys whose time/days/validity moved."""
    old = {r.key: r for r in before}
    learned: list[Routine] = []
    changed: list[Routine] = []
    for r in after:
        prev = old.get(r.key)
        if prev is None:
            if r.valid_to is None:
                learned.append(r)
            elif r.status == "superseded":
                changed.append(r)
            continue
        moved = abs(signed_diff(parse_hhmm(r.time), parse_hhmm(prev.time))) >= 15
        if (
            moved
            or r.days != prev.days
            or (r.valid_to is None) != (prev.valid_to is None)
            or (r.status != prev.status
            and r.status == "superseded")
        ):
            changed.append(r)
    return learned, changed


@dataclass(slots=True)
class Deviation:
    """An expected routine that has not happened yet today."""

    key: str
    kind: str
    label: str
    actor: str | None
    expected: datetime
    late_min: float
    spread_min: float
    sigmas: float  # late_min / spread_min
    entities: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "label": self.label,
            "actor": self.actor,
            "expected": self.expected.isoformat(),
            "late_min": round(self.late_min, 1),
            "spread_min": self.spread_min,
            "sigmas": round(self.sigmas, 2),
            "entities": self.entities,
        }


def _happened(r: Routine, ev: ActivityEvent) -> bool:
    if r.kind == "habit":
        return (
            ev.entity_id == r.detail.get("entity_id")
            and is_person_action(ev)
            and habit_item(ev) == r.detail.get("state")
        )
    if r.kind in KIND_BY_KEY and KIND_BY_KEY[r.kind].episode == "away":
        if r.actor is None:
            return ev.device_class in ("door", "garage_door") and ev.state == "on"
        if ev.entity_id != r.actor:
            return False
        arriving = KIND_BY_KEY[r.kind].edge == "end"  # an absence's end is getting home
        return (ev.state == "home") == arriving and ev.state != ev.old_state
    if r.kind == "wake_up":
        if r.actor is not None:
            return ev.actor == r.actor
        return (
            (ev.device_class in ("motion", "occupancy", "presence")
            and ev.state == "on")
            or ev.user_initiated
        )
    return False


def deviations(
    routines: Sequence[Routine],
    events_today: Sequence[ActivityEvent],
    now: datetime,
    tz: tzinfo,
    *,
    min_late_min: float = 15.0,
    k_sigma: float = 2.0,
) -> list[Deviation]:
    """Routines due today that did not happen by ``now``.

    A routine is overdue once ``now`` passes its usual time by ``max(min_late_min, k_sigma x
    spread)``; an occurrence counts from ``max(60 min, 3 x spread)`` before the usual time.
    ``go_to_bed`` is not judged (the night is not over), nor are routines too loose to be late
    (``judged``). Superseded, rejected and no-longer-valid routines are ignored.
    """
    local_now = now.astimezone(tz)
    today = local_now.date()
    out: list[Deviation] = []
    for r in routines:
        if (
            r.valid_to is not None
            or r.status in ("superseded", "rejected")
            or r.kind == "go_to_bed"
            or not judged(r)
        ):
            continue
        if today.weekday() not in days_set(r.days):
            continue
        minute = parse_hhmm(r.time)
        expected = datetime.combine(today, time(0), tzinfo=tz) + timedelta(minutes=minute)
        grace = max(min_late_min, k_sigma * r.spread_min)
        late = (local_now - expected).total_seconds() / 60
        if late < grace:
            continue
        since = expected - timedelta(minutes=max(60.0, 3 * r.spread_min))
        if any(since <= ev.ts <= now and _happened(r, ev) for ev in events_today):
            continue
        out.append(
            Deviation(
                r.key,
                r.kind,
                r.label,
                r.actor,
                expected,
                late,
                r.spread_min,
                late / max(r.spread_min, 1.0),
                list(r.entities),
            )
        )
    return out
