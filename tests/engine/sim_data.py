"""Shared simulated homes for the engine tests (cached per process: each is built once)."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

from galatea_engine.capture.ha_events import HAEventNormalizer, StaticRegistry
from galatea_engine.mining.episodes import find_episodes
from galatea_engine.models import ActivityEvent, Episode

from tests.simulator.simulate import GroundTruth, home_areas, simulate_home

TZ = ZoneInfo("Europe/Berlin")


@cache
def home(days: int = 42, seed: int = 1) -> tuple[list[ActivityEvent], GroundTruth]:
    """Normalised activity (ids 1..n, like a store would give) and the ground truth."""
    events, truth = simulate_home(days, seed)
    normalizer = HAEventNormalizer(registry=StaticRegistry.from_areas_file(home_areas()))
    acts = [a.with_id(i + 1) for i, a in enumerate(normalizer.normalize_many(events))]
    return acts, truth


@cache
def episodes(days: int = 42, seed: int = 1) -> list[Episode]:
    acts, _ = home(days, seed)
    return find_episodes(acts, TZ)
