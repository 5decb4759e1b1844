"""Short English phrases for memories and spoken answers (no LLM: templates over statistics)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta, tzinfo

from ..kinds import ROUTINE_KINDS
from ..models import DaysSpec, Episode, Routine

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ROUTINE_VERBS = {kind.key: kind.verb for kind in ROUTINE_KINDS}
DAY_VERBS = {kind.key: kind.state for kind in ROUTINE_KINDS}


def person_name(actor: str | None) -> str:
    """``person.anna_maria`` -> ``Anna Maria``; ``None`` -> ``Someone``."""
    if not actor:
        return "Someone"
    name = actor.split(".", 1)[-1]
    return name.replace("_", " ").strip().title() or actor


def area_name(area: str | None) -> str:
    return (area or "").replace("_", " ").strip()


def days_phrase(days: DaysSpec) -> str:
    if days == "daily":
        return "every day"
    if days == "weekdays":
        return "on weekdays"
    if days == "weekends":
        return "at weekends"
    if isinstance(days, list) and days:
        return "on " + ", ".join(WEEKDAYS[d % 7] for d in sorted(days))
    return ""


def days_match(days: DaysSpec, weekday: int) -> bool:
    if days == "daily":
        return True
    if days == "weekdays":
        return weekday < 5
    if days == "weekends":
        return weekday >= 5
    if isinstance(days, list):
        return weekday in days
    return True


def parse_hhmm(value: str) -> time:
    hh, mm = value.split(":", 1)
    return time(int(hh) % 24, int(mm[:2]) % 60)


def _occurrences(routine: Routine, local: datetime, tz: tzinfo, step: int) -> Iterator[datetime]:
    """The routine's expected local times on the eight days from ``local``'s, a day apart by
    ``step`` (1: onwards, -1: backwards), honouring its days; none for an unreadable time."""
    try:
        at = parse_hhmm(routine.time)
    except (ValueError, AttributeError):
        return
    for offset in range(8):
        day = (local + timedelta(days=step * offset)).date()
        if days_match(routine.days, day.weekday()):
            yield datetime.combine(day, at, tzinfo=tz)


def next_occurrence(routine: Routine, now: datetime, tz: tzinfo) -> datetime | None:
    """Next local time (after ``now``) the routine is expected, honouring its days."""
    local = now.astimezone(tz)
    return next((c for c in _occurrences(routine, local, tz, 1) if c > local), None)


def last_occurrence(routine: Routine, now: datetime, tz: tzinfo) -> datetime | None:
    """Most recent expected time at or before ``now``."""
    local = now.astimezone(tz)
    return next((c for c in _occurrences(routine, local, tz, -1) if c <= local), None)


def routine_text(routine: Routine) -> str:
    """"Anna usually wakes up at 06:58 on weekdays (give or take 9 min, seen on 14 days)"."""
    if routine.kind not in ROUTINE_VERBS:
        who = person_name(routine.actor) if routine.actor else "household"
        spread = f"give or take {round(routine.spread_min)} min, " if routine.spread_min else ""
        return (f"Usually at {routine.time} {days_phrase(routine.days)}: "
                f"{(routine.label or routine.kind).lower()} ({who}, {spread}"
                f"seen on {routine.support_days} days)")
    verb = ROUTINE_VERBS[routine.kind]
    who = person_name(routine.actor) if routine.actor else "The household"
    spread = f" (give or take {round(routine.spread_min)} min" if routine.spread_min else " ("
    return (
        f"{who} usually {verb} at {routine.time} {days_phrase(routine.days)}"
        f"{spread}, seen on {routine.support_days} days)"
    ).replace("( , ", "(").replace("(, ", "(")


def day_label(day: datetime) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {day.strftime('%b')}"


def hhmm(ts: datetime, tz: tzinfo) -> str:
    return ts.astimezone(tz).strftime("%H:%M")


def episode_label(ep: Episode) -> str:
    if ep.label:
        return ep.label
    return {"sleep": "asleep", "away": "out", "visit": "visitor"}.get(ep.kind, ep.kind)


def episode_text(ep: Episode, tz: tzinfo) -> str:
    start = ep.start.astimezone(tz)
    parts = [episode_label(ep).capitalize()]
    if ep.area:
        parts.append(f"in the {area_name(ep.area)}")
    parts.append(f"on {day_label(start)} {hhmm(ep.start, tz)}-{hhmm(ep.end, tz)}")
    if ep.actor:
        parts.append(f"({person_name(ep.actor)})")
    return " ".join(parts)


def episode_short(ep: Episode, tz: tzinfo) -> str:
    """"Grandma watching TV in the living room 19:53-22:10" (no date: for a known day)."""
    who = f"{person_name(ep.actor)} " if ep.actor else ""
    where = f" in the {area_name(ep.area).lower()}" if ep.area and ep.kind == "session" else ""
    return f"{who}{episode_label(ep)}{where} {hhmm(ep.start, tz)}-{hhmm(ep.end, tz)}".strip()


def spoken_time(value: str | datetime, tz: tzinfo | None = None) -> str:
    """``06:58`` -> ``6:58 AM`` style suited to speech (English locale)."""
    if isinstance(value, datetime):
        t = value.astimezone(tz) if tz else value
        hh, mm = t.hour, t.minute
    else:
        at = parse_hhmm(value)
        hh, mm = at.hour, at.minute
    suffix = "AM" if hh < 12 else "PM"
    h12 = hh % 12 or 12
    return f"{h12}:{mm:02d} {suffix}"


def ago_phrase(ts: datetime, now: datetime, tz: tzinfo) -> str:
    """"today at 8:12 AM", "yesterday at 6:40 PM", "on Tue 21 Nov at 9:00 AM"."""
    local = ts.astimezone(tz)
    today = now.astimezone(tz).date()
    when = spoken_time(local)
    if local.date() == today:
        return f"today at {when}"
    if local.date() == today - timedelta(days=1):
        return f"yesterday at {when}"
    return f"on {day_label(local)} at {when}"
