"""Sequences: people's "A then B" apart from automation chains."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from galatea_engine.mining.sequences import PairCache, SequenceOptions, mine_sequences
from galatea_engine.models import Sequence

from .sim_data import TZ, home


@pytest.fixture(scope="module")
def seqs() -> list[Sequence]:
    acts, _ = home()
    return mine_sequences(acts, TZ)


def _get(seqs: list[Sequence], steps: list[str]) -> Sequence:
    found = [s for s in seqs if s.steps == steps]
    assert found, f"{steps} not among {[s.steps for s in seqs]}"
    return found[0]


def test_arrival_sequence_with_lift(seqs: list[Sequence]) -> None:
    s = _get(seqs, ["person.anna:home", "light.hallway:on", "light.kitchen:on"])
    assert not s.automated
    assert s.support >= 15
    assert s.confidence >= 0.8
    assert s.lift > 10
    assert s.window_min <= 10
    assert len(s.evidence) >= 3


def test_bathroom_light_then_fan(seqs: list[Sequence]) -> None:
    s = _get(seqs, ["light.bathroom:on", "fan.bathroom:on"])
    assert s.lift > 10
    assert s.window_min <= 5
    assert not s.automated


def test_automation_chain_kept_apart(seqs: list[Sequence]) -> None:
    s = _get(seqs, ["binary_sensor.hallway_motion:on", "light.hallway:on"])
    assert s.automated
    assert s.actor == "automation.night_hallway_light"
    # The porch light is only ever switched by an automation: never a person's sequence.
    people = [q for q in seqs if not q.automated]
    assert not any(step.startswith("light.porch") for q in people for step in q.steps)
    assert any(q.automated and q.steps[-1] == "light.porch:on" for q in seqs)


def test_no_sequences_from_nothing() -> None:
    assert mine_sequences([], TZ) == []


def test_cached_pairs_give_what_a_fresh_count_does() -> None:
    """The engine keeps each day's pairs between runs: windows that move on (a day dropped,
    a day added, a day's events arriving in parts) mine what a fresh count does."""
    acts, _ = home()
    cache = PairCache()
    start, end = acts[0].ts, acts[0].ts + timedelta(days=10)
    while end <= acts[-1].ts + timedelta(hours=6):
        window = [a for a in acts if start <= a.ts < end]
        assert mine_sequences(window, TZ, cache=cache) == mine_sequences(window, TZ)
        assert cache.days  # days were counted and kept
        end += timedelta(hours=7)
        start += timedelta(hours=5)


def test_pairs_cached_for_other_options_are_not_reused() -> None:
    acts, _ = home()
    cache = PairCache()
    wide = SequenceOptions(window_min=20.0)
    mine_sequences(acts, TZ, cache=cache)
    assert mine_sequences(acts, TZ, options=wide, cache=cache) == mine_sequences(
        acts, TZ, options=wide
    )


def test_cached_items_follow_the_zone() -> None:
    """Each activity's item is kept by activity id in one zone (its local day): another
    zone's days are found afresh."""
    acts = [a.with_id(i + 1) for i, a in enumerate(home()[0])]  # as stored
    cache = PairCache()
    mine_sequences(acts, TZ, cache=cache)
    assert cache.items_seen
    other = ZoneInfo("Asia/Tokyo")
    assert mine_sequences(acts, other, cache=cache) == mine_sequences(acts, other)
