"""Fixtures for the add-on tests: the add-on's package is importable from ``addon/`` (the
Supervisor builds the image from that folder; the tests import it from there)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ADDON_DIR = Path(__file__).resolve().parents[2] / "addon"
if str(ADDON_DIR) not in sys.path:
    sys.path.insert(0, str(ADDON_DIR))

from galatea_engine.models import ActivityEvent, Memory, Routine  # noqa: E402
from galatea_engine.store import ActivityStore  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)


def sample_routines() -> list[Routine]:
    return [
        Routine(key="wake_up:person.anna:weekdays", kind="wake_up", label="Anna wakes up",
                days="weekdays", time="06:45", spread_min=12.0, support_days=20, confidence=0.9,
                actor="person.anna", entities=["light.bedroom"], evidence=[1, 2]),
        Routine(key="go_to_bed:household:daily", kind="go_to_bed", label="Bedtime",
                days="daily", time="22:50", spread_min=25.0, support_days=27, confidence=0.8),
    ]


def sample_events(n_days: int = 14) -> list[ActivityEvent]:
    events = []
    for day in range(n_days):
        base = NOW - timedelta(days=day)
        for hour, entity, area in ((7, "light.kitchen", "kitchen"),
                                   (19, "media_player.tv", "living_room"),
                                   (22, "light.bedroom", "bedroom")):
            ts = base.replace(hour=hour, minute=5)
            if ts > NOW:
                continue
            events.append(ActivityEvent(ts=ts, source="ha", kind="state_changed",
                                        entity_id=entity, area=area, state="on",
                                        old_state="off", actor="person.anna",
                                        actor_kind="person"))
    return events


def seed(store: ActivityStore) -> None:
    store.add_events(sample_events())
    with store.unit_of_work() as uow:
        uow.upsert_routines(sample_routines())
    store.add_memory(Memory(type="semantic", text="Anna drinks coffee in the kitchen every morning",
                            subject="person.anna", confidence=0.8, learned_at=NOW,
                            valid_from=NOW - timedelta(days=10)))
    store.add_memory(Memory(type="episodic", text="The boiler was serviced on Tuesday",
                            subject="climate.boiler", confidence=0.9, learned_at=NOW,
                            valid_from=NOW - timedelta(days=3)))


@pytest.fixture
def seeded_store(tmp_path: Path) -> Iterator[ActivityStore]:
    store = ActivityStore(f"sqlite:///{tmp_path / 'galatea.db'}")
    seed(store)
    yield store
    store.stop()


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """The add-on is a network service: its tests talk to it over 127.0.0.1 (the HA harness
    blocks sockets unless a test asks for them)."""
