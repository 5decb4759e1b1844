"""Hostile input at every engine-side door: a clear rejection or stored rows, nothing between;
the rows already stored stay unchanged and the engine still runs. Bounded for CI (a few hundred
inputs per door; ``benchmarks/hostile.py`` runs more than ten thousand)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from galatea_engine.loop import Engine, EngineOptions
from galatea_engine.mining.episodes import EpisodeOptions
from galatea_engine.store import ActivityStore, StoreSettings
from hypothesis import strategies as st

from tests.hostile_inputs import (
    Doors,
    baseline_events,
    digital_body,
    digital_topic,
    examples,
    frigate_message,
    replay_line,
)

N = 150  # inputs per door


@pytest.fixture
def doors(tmp_path: Path) -> Iterator[Doors]:
    store = ActivityStore(path=tmp_path / "galatea.db",
                          settings=StoreSettings(commit_interval=0.05))
    store.add_events(baseline_events())
    store.start()
    yield Doors(store, tmp_path)
    store.stop()


def test_digital_bodies(doors: Doors) -> None:
    baseline = list(doors.store.iter_activity())
    for body in examples(digital_body, N):
        doors.digital(body)
    doors.check_store(baseline)
    assert doors.tally.outcomes["webhook:rejected"] > 0
    assert doors.tally.outcomes["webhook:stored"] > 0


def test_mqtt_digital_topic(doors: Doors) -> None:
    baseline = list(doors.store.iter_activity())
    for topic, body in examples(st.tuples(digital_topic, digital_body), N):
        doors.mqtt_digital(topic, body)
    doors.check_store(baseline)
    assert doors.tally.outcomes["mqtt:rejected"] > 0


def test_frigate_messages(doors: Doors) -> None:
    baseline = list(doors.store.iter_activity())
    for i, (topic, payload) in enumerate(examples(frigate_message(), 2 * N)):
        doors.frigate_message(topic, payload, i * 0.5)
    for ev in doors.frigate.flush():
        assert doors.store.enqueue(ev)
        doors.tally.rows += 1
    doors.check_store(baseline)
    assert doors.tally.outcomes["frigate:rejected"] > 0


def test_replay_lines_and_the_engine_still_runs(doors: Doors) -> None:
    baseline = list(doors.store.iter_activity())
    lines = examples(replay_line(), 2 * N)
    for start in range(0, len(lines), 50):
        doors.replay(lines[start:start + 50])
    doors.check_store(baseline)
    assert doors.tally.outcomes["replay:rejected"] > 0
    options = EngineOptions(episodes=EpisodeOptions(kinds=frozenset({"sleep", "away"})))
    summary = Engine(doors.store, ZoneInfo("Europe/Berlin"), options).run_once(full=True)
    assert summary.cursor == doors.store.last_activity_id()
    assert list(doors.store.iter_activity())[: len(baseline)] == baseline
