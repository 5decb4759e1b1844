"""Assist end to end: a real ``hass`` answers "when do I usually wake up" from a replayed home.

The simulated home (14 days) is replayed into a store by the real normaliser and engine, the
store is copied into a fresh HA config folder, and a real ``hass`` process with Galatea and
Assist (the default agent, no LLM) is asked over ``POST /api/conversation/process``. The times
in the answer must be within 15 minutes of the simulator's ground truth.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.memory_support import TZ_NAME, build_simulated_store

from .harness import HassProcess

pytestmark = pytest.mark.e2e

TOLERANCE_MIN = 15


@pytest.fixture(scope="module")
def simulated_home(e2e_dir: Path) -> tuple[Path, dict[str, Any]]:
    folder = e2e_dir / "simhome"
    folder.mkdir()
    return build_simulated_store(folder)


@pytest.fixture(scope="module")
def hass_home(hass_process: Callable[..., HassProcess],
              simulated_home: tuple[Path, dict[str, Any]]) -> HassProcess:
    db, _truth = simulated_home
    hass = hass_process("ha", galatea_db=db, time_zone=TZ_NAME)
    entry = hass.setup_galatea({"user": {"db_url": "galatea.db", "backfill": False}})
    assert entry["state"] == "loaded"
    return hass


def _ask(hass: HassProcess, text: str) -> str:
    reply = hass.post("/api/conversation/process", {"text": text, "language": "en"})
    speech: str = reply["response"]["speech"]["plain"]["speech"]
    return speech


def _minutes(hhmm: str) -> int:
    hh, mm = hhmm.split(":")
    return int(hh) * 60 + int(mm)


def _spoken_minutes(hour: str, minute: str, ampm: str) -> int:
    return (int(hour) % 12 + (12 if ampm == "PM" else 0)) * 60 + int(minute)


def _truth(truth: dict[str, Any], person: str, kind: str = "wake_up") -> list[int]:
    return [_minutes(r["time"]) for r in truth["routines"]
            if r["kind"] == kind and r["person"] == person]


def test_when_do_i_usually_wake_up(hass_home: HassProcess,
                                   simulated_home: tuple[Path, dict[str, Any]]) -> None:
    _db, truth = simulated_home
    hass = hass_home
    # A user "anna" linked to the person Anna: when she asks, "I" is Anna.
    anna = hass.create_user("Anna", "anna", "anna-password")
    (user,) = anna.ws({"type": "auth/current_user"})
    hass.ws({"type": "person/create", "name": "Anna", "user_id": user["id"]})
    speech = _ask(anna, "When do I usually wake up?")
    match = re.match(r"Anna usually wakes up around (\d{1,2}):(\d\d) (AM|PM)", speech)
    assert match, speech
    said = _spoken_minutes(*match.groups())
    assert min(abs(said - t) for t in _truth(truth, "person.anna")) <= TOLERANCE_MIN, (
        speech, truth["routines"])


def test_household_answer_names_everyone_within_tolerance(
    hass_home: HassProcess, simulated_home: tuple[Path, dict[str, Any]]
) -> None:
    _db, truth = simulated_home
    speech = _ask(hass_home, "when does Grandma usually go to bed")
    match = re.match(r"Grandma usually goes to bed around (\d{1,2}):(\d\d) (AM|PM)", speech)
    assert match, speech
    said = _spoken_minutes(*match.groups())
    assert min(abs(said - t) for t in _truth(truth, "person.grandma", "go_to_bed")) <= (
        TOLERANCE_MIN), speech
    everyone = _ask(hass_home, "when do I usually wake up")  # the owner is no one we know
    for person in ("anna", "ben", "grandma"):
        match = re.search(rf"{person.title()} usually wakes up around (\d{{1,2}}):(\d\d) (AM|PM)",
                          everyone)
        assert match, everyone
        said = _spoken_minutes(*match.groups())
        assert min(abs(said - t) for t in _truth(truth, f"person.{person}")) <= TOLERANCE_MIN, (
            everyone)
    assert not hass_home.log_errors(), hass_home.log_errors()
