"""Incremental memory formation (between nightly passes) against full passes.

The engine notes what it changed in its own commit (``memory_pending``); the next incremental
formation folds only that in. Fed a simulated home half a day at a time, then one nightly full
pass, the memories must end up as the nightly passes alone make them.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from galatea_engine.loop import Engine, EngineOptions
from galatea_engine.memory import formation
from galatea_engine.mining.episodes import EpisodeOptions
from galatea_engine.models import ActivityEvent, Episode, Memory
from galatea_engine.store import ActivityStore

from . import store_support
from .sim_data import TZ, home

db_url = store_support.db_url

DAYS = 10
FOLD_FROM = date(2026, 1, 12)  # the days from here on arrive half a day at a time
NOW = datetime(2026, 1, 16, 3, 0, tzinfo=UTC)  # formation's clock (memory versions use it)
OPTIONS = EngineOptions(episodes=EpisodeOptions(kinds=frozenset({"sleep", "away", "session"})))


class _Clock(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> Any:
        return NOW if tz is None else NOW.astimezone(tz)


def _plain(acts: list[ActivityEvent]) -> list[ActivityEvent]:
    return [ActivityEvent(**{**{k: getattr(a, k) for k in a.__dataclass_fields__}, "id": None})
            for a in acts]


def _parts() -> list[list[ActivityEvent]]:
    acts = _plain(home(DAYS)[0])
    first = [a for a in acts if a.ts.astimezone(TZ).date() < FOLD_FROM]
    parts = [first]
    rest = acts[len(first):]
    while rest:
        cut = rest[0].ts + timedelta(hours=12)
        part = [a for a in rest if a.ts < cut]
        parts.append(part)
        rest = rest[len(part):]
    return parts


def _open(store: ActivityStore) -> dict[str, tuple[str, Any, Any]]:
    return {m.key or "": (m.text, m.valid_from, m.valid_to) for m in store.memories()}


def _episodic(store: ActivityStore) -> dict[str, str]:
    return {m.key or "": m.text for m in store.memories(type="episodic", include_closed=True)}


def _formed_afresh(store: ActivityStore, path: Path) -> dict[str, str]:
    """Episode/day memories one full formation makes on a copy of ``store`` (same mined data)."""
    with sqlite3.connect(store.engine.url.database or "") as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    copy = ActivityStore(path=path)
    for m in copy.memories(include_closed=True):
        assert m.id is not None
        copy.delete_memory(m.id)
    formation.form_memories(copy, TZ, full=True)
    try:
        return _episodic(copy)
    finally:
        copy.stop()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    monkeypatch.setattr(formation, "datetime", _Clock)
    calls: list[int] = []
    real = formation._form_incremental

    def counted(*args: Any, **kwargs: Any) -> formation.FormationSummary:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(formation, "_form_incremental", counted)
    return calls


def test_incremental_then_full_equals_full_only(tmp_path: Path, clock: list[int]) -> None:
    parts = _parts()
    assert len(parts) > 5
    store = ActivityStore(path=tmp_path / "inc.db")
    engine = Engine(store, TZ, OPTIONS)
    for part in parts:
        store.add_events(part)
        engine.run_once()
    assert len(clock) == len(parts) - 1  # the first run is a full pass, the others are not
    assert store.get_state(formation.STATE_PENDING) is None  # everything folded in
    # Already before the nightly pass the memories of episodes and days say what a full
    # formation over the same mined episodes says.
    assert _episodic(store) == _formed_afresh(store, tmp_path / "copy.db")

    # The same nightly passes without the incremental runs in between.
    fresh = ActivityStore(path=tmp_path / "full.db")
    nightly = Engine(fresh, TZ, OPTIONS)
    fresh.add_events(parts[0])
    nightly.run_once(full=True)
    for part in parts[1:]:
        fresh.add_events(part)
    nightly.run_once(full=True)

    engine.run_once(full=True)
    assert _open(store) == _open(fresh)
    assert _episodic(store) == _episodic(fresh)
    assert len(store.embeddings()) == len(store.memories(include_closed=True))
    store.stop()
    fresh.stop()


def test_pending_changes_survive_a_failed_formation(
    tmp_path: Path, clock: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = _parts()
    store = ActivityStore(path=tmp_path / "inc.db")
    engine = Engine(store, TZ, OPTIONS)
    store.add_events(parts[0])
    engine.run_once()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("embedding server gone")

    monkeypatch.setattr(formation, "_form_incremental", broken)
    store.add_events(parts[1])
    engine.run_once()  # mining commits; formation fails (logged), its watermark stays
    pending = store.get_state(formation.STATE_PENDING)
    assert pending
    assert pending["episodes_since"]
    monkeypatch.undo()
    monkeypatch.setattr(formation, "datetime", _Clock)
    store.add_events(parts[2])
    engine.run_once()
    assert store.get_state(formation.STATE_PENDING) is None

    assert _episodic(store) == _formed_afresh(store, tmp_path / "copy.db")
    store.stop()


def _memory(key: str, text: str, valid_from: datetime, kind: str = "episodic") -> Memory:
    return Memory(type=kind, text=text, key=key, valid_from=valid_from, detail={"slot": key})


def test_store_readers_for_incremental_formation(db_url: str) -> None:
    store = ActivityStore(url=db_url)
    t0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    eps = [
        Episode(kind="session", label="cooking", area="Kitchen", start=t0 + timedelta(days=d),
                end=t0 + timedelta(days=d, minutes=30 + 10 * d), evidence=[d + 1])
        for d in range(4)
    ] + [Episode(kind="sleep", actor="person.anna", start=t0 - timedelta(hours=9), end=t0)]
    with store.unit_of_work() as uow:
        uow.replace_episodes(eps)
        uow.upsert_memories([_memory("day:a", "old day", t0),
                             _memory("day:b", "new day", t0 + timedelta(days=2))])
    # aggregates: counts, minute sums, first start / last end, per (kind, label, area, actor)
    stats = {(s.kind, s.actor): s for s in store.episode_stats(start=t0 + timedelta(days=1))}
    cooking = stats[("session", None)]
    assert cooking.number == 3
    assert cooking.minutes == pytest.approx(40 + 50 + 60)
    assert cooking.minutes_sq == pytest.approx(40**2 + 50**2 + 60**2)
    assert cooking.first == t0 + timedelta(days=1)
    assert cooking.last == t0 + timedelta(days=3, minutes=60)
    assert ("sleep", "person.anna") not in stats
    assert len(store.episode_stats()) == 2
    counts, durations, _span = formation.stats_from_aggregates(store.episode_stats())
    assert counts[("session", "cooking", "Kitchen")] == 4
    assert durations["session"] == pytest.approx((45.0, 11.180339887))
    # episodes without their evidence lists
    assert all(e.evidence == [] for e in store.episodes(evidence=False))
    assert [e.evidence for e in store.episodes(kind="session")] == [[1], [2], [3], [4]]
    # memories valid from a time on, and those without an embedding vector
    assert [m.key for m in store.memories(valid_since=t0 + timedelta(days=1))] == ["day:b"]
    ids = {m.key: m.id for m in store.memories()}
    store.set_embeddings({ids["day:a"]: b"\0" * 8})
    assert [m.key for m in store.memories(without_embedding=True)] == ["day:b"]
    store.stop()
