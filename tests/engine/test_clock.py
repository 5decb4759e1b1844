"""Bad clocks: the doors re-time or reject implausible times, and the engine learns the same
routines, episodes and memories with such rows in the log as without them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from galatea_engine.capture.clock import ORIGINAL_TS_KEY, TIME_FLOOR, ClockStats, is_plausible
from galatea_engine.capture.digital import parse_body
from galatea_engine.loop import Engine, EngineOptions
from galatea_engine.mining.episodes import EpisodeOptions
from galatea_engine.models import ActivityEvent, ValidationError
from galatea_engine.replay import ingest
from galatea_engine.store import ActivityStore

from .sim_data import TZ, home

DAYS = 10
OPTIONS = EngineOptions(episodes=EpisodeOptions(kinds=frozenset({"sleep", "away"})))
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("ts", ["9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59Z"])
def test_times_beyond_what_can_be_stored_are_a_clear_rejection(ts: str) -> None:
    body = json.dumps({"kind": "note", "ts": ts, "summary": "hello"})
    with pytest.raises(ValidationError) as err:
        parse_body(body, now=NOW)
    assert err.value.field == "ts"


@pytest.mark.parametrize(
    "ts",
    ["2100-01-01T00:00:00+00:00", 0, "1999-12-31T23:59:59+00:00", "2026-06-01T12:06:00+00:00"],
)
def test_digital_doors_retime_implausible_times_to_arrival(ts: Any) -> None:
    clock = ClockStats()
    body = json.dumps({"kind": "note", "ts": ts, "summary": "hello"})
    [event] = parse_body(body, now=NOW, clock=clock)
    assert event.ts == NOW
    assert event.data[ORIGINAL_TS_KEY]
    assert clock.retimed == 1


def test_plausible_times_are_kept() -> None:
    clock = ClockStats()
    ts = NOW + timedelta(minutes=4)  # within the allowed skew
    [event] = parse_body(json.dumps({"kind": "note", "ts": ts.isoformat()}), now=NOW,
                         clock=clock)
    assert event.ts == ts
    assert ORIGINAL_TS_KEY not in event.data
    assert clock.retimed == 0
    assert is_plausible(TIME_FLOOR)
    assert not is_plausible(TIME_FLOOR - timedelta(seconds=1))


def _clean() -> list[ActivityEvent]:
    acts, _ = home(DAYS)
    return [replace(a, id=None) for a in acts]


def _hostile(clean: list[ActivityEvent]) -> list[tuple[int, ActivityEvent]]:
    """People's actions (what the miners use) with wrong clocks, and where they go."""
    person = next(a for a in clean if a.entity_id and a.entity_id.startswith("person."))
    light = next(a for a in clean if a.domain == "light")
    future = datetime(2100, 1, 1, tzinfo=UTC)
    past = datetime(1970, 1, 1, tzinfo=UTC)
    return [
        (0, replace(person, ts=past)),  # the first row by id
        (len(clean) // 3, replace(light, ts=future)),
        (len(clean) // 2, replace(person, ts=future + timedelta(days=3))),
        (len(clean), replace(light, ts=past + timedelta(hours=1))),  # the last row by id
    ]


def _mixed(clean: list[ActivityEvent]) -> list[ActivityEvent]:
    out = list(clean)
    for pos, ev in sorted(_hostile(clean), key=lambda x: -x[0]):
        out.insert(pos, ev)
    return out


def _learned(store: ActivityStore) -> dict[str, Any]:
    Engine(store, TZ, OPTIONS).run_once(full=True)
    return {
        "routines": sorted((r.key, r.time, r.days if isinstance(r.days, str) else str(r.days),
                            r.support_days) for r in store.routines()),
        "episodes": sorted((e.kind, e.start, e.end, e.actor) for e in store.episodes()),
        "memories": sorted((m.type, m.text) for m in store.memories()),
    }


def test_engine_learns_the_same_with_wrong_clocks_in_the_log(tmp_path: Path) -> None:
    clean = _clean()
    with ActivityStore(path=tmp_path / "clean.db") as store:
        store.add_events(clean)
        expected = _learned(store)
    with ActivityStore(path=tmp_path / "mixed.db") as store:
        # Rows stored before the doors checked time (or by another writer).
        store.add_events(_mixed(clean))
        assert store.count_activity() == len(clean) + 4
        got = _learned(store)
    assert expected["routines"]
    assert expected["episodes"]
    assert expected["memories"]
    assert got == expected


def test_replay_rejects_implausible_times_and_learns_the_same(tmp_path: Path) -> None:
    clean = _clean()
    lines = [json.dumps(ev.to_dict()) for ev in _mixed(clean)]
    lines.append(json.dumps({"kind": "note", "source": "digital",
                             "ts": "9999-12-31T23:59:59-14:00"}))
    path = tmp_path / "replay.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with ActivityStore(path=tmp_path / "replayed.db") as store:
        report = ingest([path], store)
        assert report.rejected == 5
        assert report.implausible_time == 4
        assert report.stored == len(clean)
        got = _learned(store)
    with ActivityStore(path=tmp_path / "clean.db") as store:
        store.add_events(clean)
        assert got == _learned(store)


def test_store_refuses_times_it_cannot_hold(tmp_path: Path) -> None:
    ev = _clean()[0]
    with ActivityStore(path=tmp_path / "g.db") as store:
        with pytest.raises(ValidationError):
            store.add_events([ev, replace(ev, ts=datetime(9999, 12, 31, tzinfo=UTC))])
        assert store.count_activity() == 0  # all or nothing
        store.start()
        assert not store.enqueue(replace(ev, ts=datetime(1, 1, 2, tzinfo=UTC)))
        assert store.stats()["rejected"] == 1


def test_trusted_horizon_can_be_set_for_simulated_futures(tmp_path: Path) -> None:
    """A simulation running past today is ignored from the wall clock on, unless the caller
    says how far to trust it (benchmarks do)."""
    clean = _clean()
    last = max(ev.ts for ev in clean)
    with ActivityStore(path=tmp_path / "g.db") as store:
        store.add_events(clean)
        beyond = EngineOptions(episodes=OPTIONS.episodes, form_memories=False,
                               trust_until=last - timedelta(days=3))
        Engine(store, TZ, beyond).run_once(full=True)
        assert max(e.end for e in store.episodes()) <= last - timedelta(days=3)
        Engine(store, TZ, replace(beyond, trust_until=None)).run_once(full=True)
        assert max(e.end for e in store.episodes()) > last - timedelta(days=3)
