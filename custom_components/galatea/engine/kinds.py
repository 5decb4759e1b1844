"""The registry of kinds: each main routine kind declared once, with everything derived from it.

A main routine is an edge of an episode (getting up ends a night, leaving starts an absence). The
engine mines it from that edge; the API, entities, calendar, Assist, LLM tools and memories take
their words, icons and translation keys from here. Adding a kind (say, meal times) means a new
``RoutineKind`` here, its episode edge in the miner, and its translations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal


@dataclass(frozen=True, slots=True)
class RoutineKind:
    """One main routine kind and the words people use for it (English; translations by key)."""

    key: str
    episode: Literal["sleep", "away"]
    edge: Literal["start", "end"]  # which edge of the episode the routine's time is
    verb: str  # "Anna usually <wakes up>"
    past: str  # "Anna <got up> at 07:02"
    state: str  # how a person is after it, on a day: "up", "in bed", "out", "home"
    words: tuple[str, ...]  # English words that name it in a free question
    icon: str
    once_a_day: bool  # at most one a day (a night's two ends); comings and goings repeat

    @property
    def translation_key(self) -> str:
        return self.key

    @property
    def at_home(self) -> bool:
        """It happens with the person at home (all but getting home): not expected while away."""
        return not (self.episode == "away" and self.edge == "end")

    def time_of(self, start: datetime, end: datetime) -> datetime:
        """The routine's moment on an episode from ``start`` to ``end``: its edge."""
        return start if self.edge == "start" else end


# In the order of a day: what the entities, the calendar and the card list first.
ROUTINE_KINDS: Final[tuple[RoutineKind, ...]] = (
    RoutineKind("wake_up", "sleep", "end", "wakes up", "got up", "up",
                ("wake", "woke", "up", "get up", "got up"), "mdi:weather-sunset-up", True),
    RoutineKind("leave_home", "away", "start", "leaves home", "left home", "out",
                ("leave", "left", "went out", "go out", "leaving"), "mdi:home-export-outline",
                False),
    RoutineKind("arrive_home", "away", "end", "gets home", "got home", "home",
                ("arrive", "arrived", "get home", "got home", "came home", "come home", "return"),
                "mdi:home-import-outline", False),
    RoutineKind("go_to_bed", "sleep", "start", "goes to bed", "went to bed", "in bed",
                ("bed", "sleep", "slept"), "mdi:bed", True),
)

KIND_BY_KEY: Final[dict[str, RoutineKind]] = {kind.key: kind for kind in ROUTINE_KINDS}
MAIN_KINDS: Final[tuple[str, ...]] = tuple(kind.key for kind in ROUTINE_KINDS)
EPISODE_KINDS: Final[tuple[str, ...]] = ("sleep", "away", "session")


def is_main_kind(kind: object) -> bool:
    """True for a main routine kind (not a habit)."""
    return kind in KIND_BY_KEY
