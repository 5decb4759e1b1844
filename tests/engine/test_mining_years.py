"""Years of history in bounded memory: what a full re-mine keeps as plain rows and what the
nightly memory pass reads a few weeks at a time must give the same results as all at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from galatea_engine import loop
from galatea_engine.loop import Engine, EngineOptions
from galatea_engine.memory import formation
from galatea_engine.mining.episodes import EpisodeOptions
from galatea_engine.models import ActivityEvent, Episode
from galatea_engine.store import ActivityStore
from galatea_engine.store.derived import episode_row

from . import store_support
from .sim_data import TZ, episodes, home

db_url = store_support.db_url
make_store = store_support.make_store
StoreFactory = Callable[..., ActivityStore]

DAYS = 14


def _home_episodes() -> list[Episode]:
    """A simulated fortnight's episodes (the household's and each person's nights and absences,
    sessions), a week-long absence across many pieces, another writer's visit, and a night the
    household went to bed before midnight and its only person after it (the household's line
    is left out of both days' summaries, whichever piece reads it)."""
    eps = [replace(e, detail=dict(e.detail), evidence=list(e.evidence)) for e in episodes(DAYS)]
    first = min(e.start for e in eps)
    eps.append(Episode(kind="away", start=first + timedelta(days=3, hours=7),
                       end=first + timedelta(days=10, hours=19), actor="person.anna",
                       detail={"scope": "person"}, evidence=[5, 6]))
    eps.append(Episode(kind="visit", start=first + timedelta(days=5, hours=15),
                       end=first + timedelta(days=5, hours=15, minutes=40), area="Hallway",
                       label="person", evidence=[7]))
    night = datetime(2026, 2, 2, 23, 0, tzinfo=TZ)
    eps.append(Episode(kind="sleep", start=night, end=night + timedelta(hours=8),
                       detail={"scope": "home"}, evidence=[8]))
    eps.append(Episode(kind="sleep", start=night + timedelta(hours=1, minutes=30),
                       end=night + timedelta(hours=7, minutes=50), actor="person.ben",
                       detail={"scope": "person"}, evidence=[9]))
    return eps


def _fields(eps: list[Episode]) -> list[tuple[Any, ...]]:
    return [(e.id, e.kind, e.start, e.end, e.area, e.actor, e.label, e.confidence, e.detail,
             e.evidence) for e in eps]


@pytest.mark.parametrize("piece_days", [1, 3, 28])
def test_memories_read_in_pieces_equal_one_pass_over_all(
    make_store: StoreFactory, piece_days: int
) -> None:
    store = make_store()
    eps = _home_episodes()
    assert {e.kind for e in eps} >= {"sleep", "away", "session", "visit"}
    assert len({e.actor for e in eps if e.actor and e.kind == "sleep"}) > 1
    with store.unit_of_work() as uow:
        uow.replace_episodes(eps)
    everything = store.episodes()
    whole = formation.episode_memories(everything, everything, TZ)
    pieces = formation.all_episode_memories(store, TZ, piece_days=piece_days)
    assert sum(m.key.startswith("day:") for m in whole if m.key) >= DAYS
    assert [(m.key, m.text, m.importance, m.confidence, m.evidence, m.detail, m.valid_from)
            for m in pieces] == [
        (m.key, m.text, m.importance, m.confidence, m.evidence, m.detail, m.valid_from)
        for m in whole
    ]


def test_short_sessions_and_earlier_starts_are_left_unread(make_store: StoreFactory) -> None:
    store = make_store()
    t0 = store_support.T0
    minutes = [5.0, 9.0, 10.0, 12.0]
    eps = [Episode(kind="session", start=t0 + timedelta(hours=i),
                   end=t0 + timedelta(hours=i, minutes=m), area="Kitchen", evidence=[i + 1])
           for i, m in enumerate(minutes)]
    eps.append(Episode(kind="sleep", start=t0 - timedelta(hours=8), end=t0 - timedelta(hours=7,
                       minutes=57), evidence=[9]))
    with store.unit_of_work() as uow:
        uow.replace_episodes(eps)
    read = store.episodes(sessions_from_min=10.0)
    assert [(e.kind, (e.end - e.start).total_seconds() / 60) for e in read] == [
        ("sleep", 3.0), ("session", 10.0), ("session", 12.0)]
    assert read[1].evidence == [3]
    late = store.episodes(start=t0, end=t0 + timedelta(days=1), started_from=t0)
    assert [e.kind for e in late] == ["session"] * 4


def test_episodes_written_as_rows_equal_episodes_written_as_objects(
    make_store: StoreFactory,
) -> None:
    eps = _home_episodes()
    objects, rows = make_store(), make_store()
    with objects.unit_of_work() as uow:
        uow.replace_episodes([replace(e) for e in eps])
    mixed = [episode_row(e) if i % 2 else replace(e) for i, e in enumerate(eps)]
    with rows.unit_of_work() as uow:
        uow.replace_episodes(mixed)
    assert _fields(rows.episodes()) == _fields(objects.episodes())
    # The objects get their ids, every other one (a row between): ids need not start at 1 (a
    # PostgreSQL sequence goes on across stores).
    ids = [e.id for e in mixed if isinstance(e, Episode)]
    assert ids[0] is not None
    assert ids == list(range(ids[0], ids[0] + 2 * len(ids), 2))


def _plain(acts: list[ActivityEvent]) -> list[ActivityEvent]:
    return [ActivityEvent(**{**{k: getattr(a, k) for k in a.__dataclass_fields__}, "id": None})
            for a in acts]


def test_a_full_run_writes_the_same_episodes_whatever_it_keeps_as_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short look-back window: most episodes ended before it and are kept as plain rows
    until the commit; the store gets the same episodes and routines as when all are kept as
    objects."""
    acts = _plain(home(DAYS)[0])
    options = EngineOptions(window_days=4, chunk_days=3, form_memories=False,
                            episodes=EpisodeOptions(kinds=frozenset({"sleep", "away", "session"})))
    packed: list[int] = []

    def count(e: Episode) -> Any:
        packed.append(1)
        return episode_row(e)

    stored = []
    for name, pack in (("rows", count), ("objects", lambda e: e)):
        monkeypatch.setattr(loop, "episode_row", pack)
        (tmp_path / name).mkdir()
        store = ActivityStore(path=tmp_path / name / "galatea.db")
        store.add_events(acts)
        summary = Engine(store, TZ, options).run_once(full=True)
        stored.append((_fields(store.episodes()), [(r.key, r.time) for r in store.routines()]))
        assert summary.episodes == len(stored[-1][0])
        store.stop()
    assert len(packed) > 1000
    assert stored[0][1]
    assert stored[0] == stored[1]
