"""Spoken pieces in one language: times (12 h or 24 h), days, "when", lists.

The phrases come from the language file's ``responses``; this module only fills them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from ..engine.memory.phrases import parse_hhmm
from .language import LanguagePack

# Languages whose own convention is the 12-hour clock (HA's "use the language's format").
TWELVE_HOUR_LANGUAGES = frozenset({"en"})
TWENTY_FOUR_HOUR_VARIANTS = frozenset({"en-gb", "en-ie", "en-au", "en-nz", "en-za"})


def uses_24h(language: str, preference: str | None = None) -> bool:
    """HA's time format: the user's choice ("12"/"24"), else the language's convention."""
    if preference == "24":
        return True
    if preference == "12":
        return False
    low = language.lower().replace("_", "-")
    if low in TWENTY_FOUR_HOUR_VARIANTS:
        return True
    return low.split("-", 1)[0] not in TWELVE_HOUR_LANGUAGES


@dataclass(slots=True)
class Speech:
    """Fills a language's phrases; ``tz`` is the home's time zone."""

    pack: LanguagePack
    tz: tzinfo
    twenty_four: bool

    def phrase(self, *path: str, **fields: Any) -> str:
        return str(self.pack.phrase(*path)).format(**fields)

    def time(self, value: str | datetime) -> str:
        if isinstance(value, datetime):
            local = value.astimezone(self.tz)
            hour, minute = local.hour, local.minute
        else:
            at = parse_hhmm(value)
            hour, minute = at.hour, at.minute
        if self.twenty_four:
            return self.phrase("time_24", hh=f"{hour:02d}", h=str(hour), mm=f"{minute:02d}")
        ampm = self.pack.phrase("am" if hour < 12 else "pm")
        return self.phrase("time_12", h=str(hour % 12 or 12), hh=f"{hour % 12 or 12:02d}",
                           mm=f"{minute:02d}", ampm=ampm)

    def days(self, spec: Any) -> str:
        """A routine's days ("daily", "weekdays", "weekends", [0, 2]) in words."""
        if isinstance(spec, str) and spec in ("daily", "weekdays", "weekends"):
            return str(self.pack.phrase("days", spec))
        if isinstance(spec, list) and spec:
            names = [str(self.pack.phrase("weekday_plural")[int(d) % 7]) for d in sorted(spec)]
            return self.phrase("on_days", days=self.join(names))
        return ""

    def day_filter(self, value: str) -> str:
        """A spoken day filter (``weekends``, ``3``, ``tomorrow``) in words."""
        if value.isdigit():
            return str(self.pack.phrase("on_weekday")[int(value) % 7])
        return str(self.pack.phrase("days", value))

    def when(self, ts: datetime, now: datetime) -> str:
        local = ts.astimezone(self.tz)
        today = now.astimezone(self.tz).date()
        at = self.time(local)
        if local.date() == today:
            return self.phrase("when", "today", time=at)
        if local.date() == today - timedelta(days=1):
            return self.phrase("when", "yesterday", time=at)
        weekday = self.pack.phrase("weekdays")[local.weekday()]
        return self.phrase("when", "day", weekday=weekday, time=at, day=local.day,
                           month=local.month)

    def join(self, items: Sequence[str]) -> str:
        items = [i for i in items if i]
        if len(items) <= 1:
            return "".join(items)
        sep = str(self.pack.phrase("list_sep"))
        return f"{sep.join(items[:-1])} {self.pack.phrase('and')} {items[-1]}"

    @staticmethod
    def sentence(text: str) -> str:
        text = " ".join(text.split())
        return text[:1].upper() + text[1:] if text else text
