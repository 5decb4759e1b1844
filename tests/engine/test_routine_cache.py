"""The routine fit cache (``mine_routines(cache=...)``, kept by the engine between runs).

A cached run must give exactly what an uncached one gives: same routines, same learned and
changed events, whatever the caller does with the routines it got; new days and full runs
must not be answered from stale fits.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from galatea_engine.loop import Engine
from galatea_engine.mining import routines as routines_module
from galatea_engine.mining.routines import FitCache, mine_routines
from galatea_engine.models import ActivityEvent, Routine
from galatea_engine.store import ActivityStore

from .sim_data import TZ, episodes, home
from .test_loop import FAST, _fields


def _plain(r: Routine) -> dict[str, Any]:
    return {k: v for k, v in asdict(r).items() if k != "id"}


def _count_fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = routines_module.fit_series

    def counting(*args: Any, **kwargs: Any) -> list[Routine]:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(routines_module, "fit_series", counting)
    return calls


def test_cached_fits_equal_fresh_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    acts, _ = home(28)
    eps = episodes(28)
    calls = _count_fits(monkeypatch)
    cache = FitCache()
    start = acts[0].ts + timedelta(days=20)
    previous: list[Routine] | None = None
    for step in range(10):  # every 4 hours over two days: same-day calls and a new day
        end = start + timedelta(hours=4 * step)
        window = [a for a in acts if a.ts < end]
        window_eps = [e for e in eps if e.end < end]
        calls[0] = 0
        fresh = mine_routines(window, window_eps, TZ)
        uncached = calls[0]
        calls[0] = 0
        cached = mine_routines(window, window_eps, TZ, cache=cache)
        assert [_plain(r) for r in cached] == [_plain(r) for r in fresh]
        assert len(cache) == uncached  # only the last call's fits are kept
        if previous is not None:
            assert calls[0] < uncached  # unchanged series were not fitted again
        for r in cached:  # what callers do with their routines does not reach the cache
            r.id, r.status = 99, "confirmed"
            r.evidence.append(-1)
            r.detail["x"] = 1
        previous = cached
    again = mine_routines(window, window_eps, TZ, cache=cache)
    assert [_plain(r) for r in again] == [_plain(r) for r in fresh]


class _Uncached(Engine):
    """The engine as it was: every run fits every series."""

    def run_once(self, full: bool = False) -> Any:
        self._fits.clear()
        return super().run_once(full)


def _stored(store: ActivityStore) -> list[dict[str, Any]]:
    return sorted(
        ({k: v for k, v in _plain(r).items() if k != "updated"}
         for r in store.routines(include_invalid=True)),
        key=lambda d: str(d["key"]),
    )


def test_engine_with_cache_reports_what_an_uncached_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    acts, _ = home(28)
    plain = [ActivityEvent(**{**_fields(a), "id": None}) for a in acts]
    split = datetime.combine(date(2026, 1, 24), datetime.min.time(), tzinfo=TZ)
    first = [a for a in plain if a.ts < split]
    stores = []
    for name in ("cached", "uncached"):
        (tmp_path / name).mkdir()
        store = ActivityStore(path=tmp_path / name / "galatea.db")
        store.add_events(first)
        stores.append(store)
    cached, uncached = Engine(stores[0], TZ, FAST), _Uncached(stores[1], TZ, FAST)
    assert cached.run_once().learned
    uncached.run_once()
    calls = _count_fits(monkeypatch)
    fits = {"cached": 0, "uncached": 0}
    rest = [a for a in plain if a.ts >= split]
    for step in range(1, 13):  # every 6 hours for three days, a nightly full run in between
        end = split + timedelta(hours=6 * step)
        part = [a for a in rest if end - timedelta(hours=6) <= a.ts < end]
        full = step == 6
        summaries = []
        for name, engine, store in (("cached", cached, stores[0]),
                                    ("uncached", uncached, stores[1])):
            store.add_events(part)
            calls[0] = 0
            summaries.append(engine.run_once(full=full))
            fits[name] += calls[0]
        a, b = summaries
        assert [r.key for r in a.learned] == [r.key for r in b.learned]
        assert [r.key for r in a.changed] == [r.key for r in b.changed]
        assert _stored(stores[0]) == _stored(stores[1])
    assert fits["cached"] < fits["uncached"]
    for store in stores:
        store.stop()


def test_a_sliding_window_reuses_modes_and_actions_with_the_same_routines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """New days with the oldest dropped (the engine's window, as stored: activity ids): the
    kept habit occurrences, change points, weekday splits and empty pieces give exactly what
    fitting afresh does, and spare work."""
    acts = [a.with_id(i + 1) for i, a in enumerate(home(28)[0])]
    eps = episodes(28)
    splits = [0]
    real = routines_module._best_split

    def counting(*args: Any) -> Any:
        splits[0] += 1
        return real(*args)

    monkeypatch.setattr(routines_module, "_best_split", counting)
    cache = FitCache()
    start = acts[0].ts
    for step in range(8):  # some hours on each time: a new day every few steps
        end = start + timedelta(days=14, hours=7 * step)
        begin = start + timedelta(hours=7 * step)
        window = [a for a in acts if begin <= a.ts < end]
        window_eps = [e for e in eps if begin <= e.end < end]
        splits[0] = 0
        fresh = mine_routines(window, window_eps, TZ)
        afresh = splits[0]
        splits[0] = 0
        cached = mine_routines(window, window_eps, TZ, cache=cache)
        assert [_plain(r) for r in cached] == [_plain(r) for r in fresh]
        assert cache.actions
        if step:
            assert splits[0] < afresh  # weekday splits of unchanged modes were kept


def test_habit_occurrences_follow_the_zone() -> None:
    from zoneinfo import ZoneInfo

    acts = [a.with_id(i + 1) for i, a in enumerate(home(28)[0])]
    eps = episodes(28)
    cache = FitCache()
    mine_routines(acts, eps, TZ, cache=cache)
    other = ZoneInfo("America/New_York")
    assert [_plain(r) for r in mine_routines(acts, eps, other, cache=cache)] == [
        _plain(r) for r in mine_routines(acts, eps, other)
    ]


def test_modes_of_a_series_reused_whole_are_kept_for_its_next_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run that reuses a series' whole fit (nothing new for it) keeps what its modes
    found, so the next new day refits only the modes that changed."""
    acts = [a.with_id(i + 1) for i, a in enumerate(home(28)[0])]
    eps = episodes(28)
    splits = [0]
    real = routines_module._best_split

    def counting(*args: Any) -> Any:
        splits[0] += 1
        return real(*args)

    monkeypatch.setattr(routines_module, "_best_split", counting)
    start = acts[0].ts
    day = [a for a in acts if a.ts < start + timedelta(days=20)]
    next_day = [a for a in acts if a.ts < start + timedelta(days=21)]
    day_eps = [e for e in eps if e.end < start + timedelta(days=20)]
    next_eps = [e for e in eps if e.end < start + timedelta(days=21)]
    cache = FitCache()
    mine_routines(day, day_eps, TZ, cache=cache)
    for _ in range(3):  # runs with nothing new: every series' fit reused whole
        mine_routines(day, day_eps, TZ, cache=cache)
    splits[0] = 0
    cached = mine_routines(next_day, next_eps, TZ, cache=cache)
    warm = splits[0]
    splits[0] = 0
    mine_routines(next_day, next_eps, TZ, cache=FitCache())  # the same, from a cold memo
    cold = splits[0]
    fresh = mine_routines(next_day, next_eps, TZ)
    assert [_plain(r) for r in cached] == [_plain(r) for r in fresh]
    assert warm < cold
