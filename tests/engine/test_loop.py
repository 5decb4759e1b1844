"""The engine loop: cursor, incremental runs, and an exactly-once effect across crashes."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from galatea_engine import loop as loop_module
from galatea_engine.loop import Engine, EngineOptions
from galatea_engine.mining.episodes import EpisodeOptions
from galatea_engine.models import ActivityEvent
from galatea_engine.store import ActivityStore, UnitOfWork

from .sim_data import TZ, home

DAYS = 12
SPLIT_DAY = date(2026, 1, 16)  # the last simulated day arrives later (incremental)
# Sessions are not what these tests are about; leaving them out keeps the runs short.
FAST = EngineOptions(episodes=EpisodeOptions(kinds=frozenset({"sleep", "away"})))


def _events() -> tuple[list[ActivityEvent], list[ActivityEvent]]:
    acts, _ = home(DAYS)
    plain = [ActivityEvent(**{**_fields(a), "id": None}) for a in acts]
    cut = next(i for i, a in enumerate(plain) if a.ts.astimezone(TZ).date() >= SPLIT_DAY)
    return plain[:cut], plain[cut:]


def _fields(a: ActivityEvent) -> dict[str, Any]:
    return {k: getattr(a, k) for k in a.__dataclass_fields__}


def _store(path: Path, *parts: list[ActivityEvent]) -> ActivityStore:
    store = ActivityStore(path=path / "galatea.db")
    for part in parts:
        store.add_events(part)
    return store


def _cursor(store: ActivityStore) -> int:
    with store.unit_of_work() as uow:
        return uow.get_cursor("engine")


def _routines(store: ActivityStore) -> set[tuple[str, str, str]]:
    """Currently valid routines (an incremental store also keeps retired ones, valid_to set)."""
    return {(r.key, r.time, r.status) for r in store.routines()}


def test_full_then_incremental_matches_a_fresh_full_run(tmp_path: Path) -> None:
    first, rest = _events()
    store = _store(tmp_path, first)
    engine = Engine(store, TZ, FAST)
    summary = engine.run_once()
    assert summary.full
    assert summary.new_activity == len(first)
    assert summary.learned
    assert _cursor(store) == store.last_activity_id()
    store.add_events(rest)
    summary = engine.run_once()
    assert not summary.full
    assert summary.new_activity == len(rest)
    assert _cursor(store) == store.last_activity_id()
    assert engine.run_once().new_activity == 0  # nothing new: nothing done

    (tmp_path / "fresh").mkdir()
    fresh = _store(tmp_path / "fresh", first, rest)
    Engine(fresh, TZ, FAST).run_once(full=True)
    assert _routines(store) == _routines(fresh)
    sleep = [(e.start, e.end, e.actor) for e in store.episodes(kind="sleep")]
    assert sleep == [(e.start, e.end, e.actor) for e in fresh.episodes(kind="sleep")]
    store.stop()
    fresh.stop()


def test_restarted_engine_continues_from_the_cursor(tmp_path: Path) -> None:
    first, rest = _events()
    store = _store(tmp_path, first)
    Engine(store, TZ, FAST).run_once()
    before = _cursor(store)
    store.add_events(rest)
    summary = Engine(store, TZ, FAST).run_once()  # a new process: no memory of the last run
    assert summary.new_activity == len(rest)
    assert _cursor(store) == store.last_activity_id() > before
    store.stop()


def test_error_inside_unit_of_work_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = _events()
    store = _store(tmp_path, first)

    def boom(self: UnitOfWork, prefs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(UnitOfWork, "replace_preferences", boom)
    with pytest.raises(RuntimeError):
        Engine(store, TZ, FAST).run_once()
    assert _cursor(store) == 0
    assert store.episodes() == []
    assert store.routines(include_invalid=True) == []
    monkeypatch.undo()
    summary = Engine(store, TZ, FAST).run_once()
    assert summary.new_activity == len(first)
    assert _cursor(store) == store.last_activity_id()
    store.stop()


CRASH = """
import os, sys
from zoneinfo import ZoneInfo
from galatea_engine import loop
from galatea_engine.store import ActivityStore, UnitOfWork
where = sys.argv[2]
if where == "in_transaction":
    def die(self, name, value):
        os._exit(3)
    UnitOfWork.set_cursor = die
else:
    def die(*args, **kwargs):
        os._exit(3)
    loop.changed_routines = die
from galatea_engine.mining.episodes import EpisodeOptions
store = ActivityStore(path=sys.argv[1])
options = loop.EngineOptions(episodes=EpisodeOptions(kinds=frozenset({"sleep", "away"})))
loop.Engine(store, ZoneInfo("Europe/Berlin"), options).run_once()
"""


@pytest.mark.parametrize("where", ["after_mining", "in_transaction"])
def test_process_killed_before_commit_redoes_the_work(tmp_path: Path, where: str) -> None:
    first, _ = _events()
    store = _store(tmp_path, first)
    store.stop()
    proc = subprocess.run(
        [sys.executable, "-c", CRASH, str(tmp_path / "galatea.db"), where],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.returncode == 3, proc.stderr
    store = ActivityStore(path=tmp_path / "galatea.db")
    assert _cursor(store) == 0
    assert store.episodes() == []
    assert store.routines(include_invalid=True) == []
    summary = Engine(store, TZ, FAST).run_once()
    assert summary.new_activity == len(first)
    assert _cursor(store) == store.last_activity_id()
    assert store.routines()
    store.stop()


def test_cpu_share_sleeps_between_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = _events()
    store = _store(tmp_path, first[:3000])
    slept: list[float] = []
    monkeypatch.setattr(loop_module.time, "sleep", slept.append)
    Engine(store, TZ, EngineOptions(cpu_share=0.5, chunk_days=2, episodes=FAST.episodes)).run_once()
    assert len(slept) >= 3
    assert all(s >= 0 for s in slept)
    assert sum(slept) > 0
    store.stop()


def test_a_new_job_shows_up_as_changed_routines(tmp_path: Path) -> None:
    """Learned before the change; the incremental runs after it report the shift as changed."""
    acts, truth = home(28)
    assert truth.change is not None
    plain = [ActivityEvent(**{**_fields(a), "id": None}) for a in acts]
    change = date.fromisoformat(truth.change["date"])
    cut = next(i for i, a in enumerate(plain) if a.ts.astimezone(TZ).date() >= change)
    store = _store(tmp_path, plain[:cut])
    engine = Engine(store, TZ, FAST)
    first = engine.run_once()
    assert any(r.key == "wake_up:person.anna:weekdays:morning" for r in first.learned)
    changed: list[str] = []
    day_starts = [
        i
        for i in range(cut, len(plain))
        if i == cut or plain[i].ts.astimezone(TZ).date() != plain[i - 1].ts.astimezone(TZ).date()
    ]
    for a, b in zip(day_starts, [*day_starts[1:], len(plain)], strict=True):
        store.add_events(plain[a:b])  # one day at a time, like a live home
        changed += [r.key for r in engine.run_once().changed]
    assert "wake_up:person.anna:weekdays:morning" in changed
    old = [
        r
        for r in store.routines(include_invalid=True)
        if r.key.startswith("wake_up:person.anna:weekdays:morning@")
    ]
    assert len(old) == 1
    assert old[0].status == "superseded"
    current = [r for r in store.routines() if r.key == "wake_up:person.anna:weekdays:morning"]
    assert current[0].time.startswith("05:")
    store.stop()


def _household(name: str, days: int) -> list[ActivityEvent]:
    """A simulated variant home, bed mats and trackers removed (motion and doors only)."""
    from galatea_engine.capture.ha_events import HAEventNormalizer, StaticRegistry

    from tests.simulator.simulate import household_areas, simulate_home

    raw, _ = simulate_home(days, 3, household=name)
    registry = StaticRegistry.from_areas_file(household_areas(name))
    acts = HAEventNormalizer(registry=registry).normalize_many(raw)
    return [a for a in acts if a.domain == "binary_sensor" and a.device_class in ("motion", "door")]


@pytest.mark.parametrize("name", ["elderly", "cat", "noisy"])
def test_incremental_nights_use_what_the_full_run_learned(tmp_path: Path, name: str) -> None:
    """The pet's areas, the noisy sensors and the usual wake-up need many nights: an
    incremental run sees a few days, so it uses what the last full scan learned, and finds the
    nights a full run finds."""
    acts = _household(name, 16)
    cut = len(acts) * 14 // 16
    store = _store(tmp_path, acts[:cut])
    # A short re-mining margin: the incremental window holds a day or two.
    engine = Engine(store, TZ, replace(FAST, episode_margin_h=12.0))
    engine.run_once()
    if name == "noisy":
        assert engine.home_facts()["noisy_sensors"]
    for k in range(cut, len(acts), 400):  # the last two days arrive every few hours
        store.add_events(acts[k : k + 400])
        engine.run_once()
    (tmp_path / "fresh").mkdir()
    fresh = _store(tmp_path / "fresh", acts)
    Engine(fresh, TZ, FAST).run_once(full=True)
    since = acts[cut].ts  # what the incremental runs found (earlier nights were re-learned)
    for kind in ("sleep", "away"):
        ours = [(e.start, e.end) for e in store.episodes(start=since, kind=kind)]
        assert ours, kind
        assert ours == [(e.start, e.end) for e in fresh.episodes(start=since, kind=kind)], kind
    store.stop()
    fresh.stop()


def test_a_trip_across_a_chunk_boundary_is_one_absence(tmp_path: Path) -> None:
    """A ten-day trip (days 8-18) runs across one of the full run's 14-day chunk boundaries,
    far beyond the chunks' overlap: the chunk after it is given where the silence began, and
    the trip is one absence, as when the whole history is mined at once."""
    from galatea_engine.mining.episodes import find_episodes

    acts = _household("vacation", 28)
    store = _store(tmp_path, acts)
    Engine(store, TZ, replace(FAST, chunk_days=14)).run_once(full=True)
    stored = [
        (e.start, e.end) for e in store.episodes(kind="away") if e.detail.get("scope") == "home"
    ]
    whole = [
        (e.start, e.end)
        for e in find_episodes(acts, TZ)
        if e.kind == "away" and e.detail.get("scope") == "home"
    ]
    trips = [span for span in whole if span[1] - span[0] > timedelta(days=5)]
    assert len(trips) == 1
    assert trips[0] in stored
    store.stop()


def test_one_persons_episode_across_a_chunk_start_is_not_taken_for_anothers() -> None:
    """An episode left open by one chunk is the next chunk's unless the earlier one already
    reported it: the same kind, scope and person. A couple's nights overlap; Ben's is not
    Anna's, in either form the earlier episodes are held (objects or the store's rows)."""
    from datetime import datetime

    from galatea_engine.models import Episode
    from galatea_engine.store.derived import episode_row

    t = datetime(2026, 3, 2, 23, tzinfo=TZ)
    anna = Episode("sleep", t, t + timedelta(hours=8), actor="person.anna",
                   detail={"scope": "person"})
    ben = replace(anna, actor="person.ben", start=t + timedelta(hours=1),
                  detail={"scope": "person"})
    for earlier in ([anna], [episode_row(anna)]):
        assert loop_module._reported(earlier, replace(anna, end=t + timedelta(hours=9)))
        assert not loop_module._reported(earlier, ben)


def test_a_full_run_has_no_short_last_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With two-week chunks, twenty days are mined as one chunk, not two weeks and then six
    days (which would learn the home's usual wake-up and its doors from a few nights): every
    chunk a full run mines holds at least ``chunk_days`` of activity, the remainder spread over
    the chunks."""
    seen: list[timedelta] = []
    mine = loop_module.find_episodes

    def spy(events: list[ActivityEvent], *args: Any, **kwargs: Any) -> Any:
        if events:
            seen.append(max(e.ts for e in events) - min(e.ts for e in events))
        return mine(events, *args, **kwargs)

    monkeypatch.setattr(loop_module, "find_episodes", spy)
    acts = _household("single", 20)
    store = _store(tmp_path, acts)
    Engine(store, TZ, replace(FAST, chunk_days=14)).run_once(full=True)
    assert len(seen) == 1
    assert seen[0] >= timedelta(days=19)
    store.stop()
    day = timedelta(days=1)
    assert loop_module._chunk_length(365 * day, 14 * day) == 365 * day / 26 + timedelta(seconds=1)
    assert loop_module._chunk_length(5 * day, 14 * day) == 5 * day + timedelta(seconds=1)
