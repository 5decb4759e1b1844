"""What ``GalateaAPI``'s methods answer, as typed dicts.

The answers cross the add-on's HTTP API as JSON, so they are plain dicts of JSON types (strings,
numbers, booleans, lists, dicts, None; times as ISO-8601 strings with their UTC offset); these
``TypedDict``s name their keys and types for everyone who reads them: the engine backend's
operations (``engine/backend.py``), the coordinator and entities, actions, Assist, LLM tools and
the add-on's server. Keys that are not always there are in a ``total=False`` part
(``SessionNames``).
"""

from __future__ import annotations

from typing import Any, TypedDict

# -- rows -------------------------------------------------------------------------------------


class RoutineRow(TypedDict):
    """A routine (``GalateaAPI.routine_dict``)."""

    key: str
    kind: str
    label: str
    person: str | None
    days: str | list[int]  # "daily" | "weekdays" | "weekends" | [0..6], Monday = 0
    time: str  # HH:MM local
    spread_min: float
    support_days: int
    confidence: float
    status: str  # learned | confirmed | rejected | superseded
    entities: list[str]
    next_expected: str | None
    valid_from: str | None
    valid_to: str | None
    text: str


class RoutineState(RoutineRow):
    """A routine and where it stands now (``GalateaAPI.routine_states``)."""

    last_expected: str | None
    margin_min: float
    done: bool | None  # None: not expected in the last hours
    late_min: int
    deviating: bool


class RoutineKindRow(TypedDict):
    """A main routine kind as the registry declares it (``engine/kinds.py``)."""

    key: str
    episode: str
    edge: str
    icon: str


class SessionNames(TypedDict, total=False):
    """A session's ``title`` and ``summary`` once it was named (naming.py: an LLM or the
    rules)."""

    title: str
    summary: str


class EpisodeRow(SessionNames):
    """An episode (``GalateaAPI.episode_dict``)."""

    id: int | None
    kind: str
    label: str | None
    area: str | None
    person: str | None
    start: str
    end: str
    duration_min: float
    confidence: float
    text: str


class TimelineItem(SessionNames):
    """An episode or a notable single activity (``end`` None) in a timeline."""

    start: str
    end: str | None
    kind: str
    label: str | None
    area: str | None
    person: str | None
    text: str
    weight: float


class MemoryRow(TypedDict):
    """A memory (``GalateaAPI.memory_dict``)."""

    id: int | None
    type: str  # episodic | semantic | procedural
    text: str
    subject: str | None
    confidence: float
    importance: float
    status: str
    origin: str  # engine | user
    valid_from: str | None
    valid_to: str | None
    learned_at: str | None
    evidence_count: int


class RecalledMemory(MemoryRow):
    """A memory found by ``recall``, with its score."""

    score: float


class LastActivity(TypedDict):
    """The latest activity in an activity summary."""

    ts: str
    text: str
    entity_id: str | None
    area: str | None
    person: str | None


# -- answers ----------------------------------------------------------------------------------


class Health(TypedDict):
    ok: bool
    now: str
    activity_last_id: int
    routines: int
    memories: int
    store: dict[str, Any]


class Routines(TypedDict):
    routines: list[RoutineRow]
    kinds: list[RoutineKindRow]


class Episodes(TypedDict):
    episodes: list[EpisodeRow]


class Timeline(TypedDict):
    start: str
    end: str
    items: list[TimelineItem]
    activity: dict[str, int]  # activity count by area, most first
    summary: str


class Recall(TypedDict):
    query: str
    answer: str | None  # set for temporal questions, from the data
    memories: list[RecalledMemory]


class UsualTime(TypedDict):
    found: bool
    kind: str
    person: str | None
    time: str | None
    spread_min: float | None
    days: str | list[int] | None
    confidence: float | None
    routines: list[RoutineRow]
    text: str


class LastTime(TypedDict):
    found: bool
    ts: str | None
    what: str
    entity_id: str | None
    area: str | None
    person: str | None
    text: str


class Memories(TypedDict):
    memories: list[MemoryRow]


class ActivitySummary(TypedDict):
    since: str
    total: int
    by_source: dict[str, int]
    by_area: dict[str, int]
    last: LastActivity | None


class RoutineStates(TypedDict):
    now: str
    routines: list[RoutineState]


class Remembered(TypedDict):
    id: int
    memory: MemoryRow


class RoutineStatus(TypedDict):
    key: str
    status: str  # confirmed | rejected
    routine: RoutineRow


class Forgotten(TypedDict):
    forgotten: int
