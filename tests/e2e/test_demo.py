"""The run command's supervision: a restart asked from HA's UI starts HA again (fast, no HA)."""

from __future__ import annotations

import threading
from typing import Any

from .demo import DEMO_INTEGRATIONS, RESTART_EXIT_CODE, supervise


class _Proc:
    def __init__(self, codes: list[int | None]) -> None:
        self.codes = codes

    def poll(self) -> int | None:
        return self.codes.pop(0) if self.codes else None


class _Hass:
    """Stands in for ``HassProcess``: each start hands out the next process."""

    url = "http://127.0.0.1:8123"

    def __init__(self, runs: list[list[int | None]], stop: threading.Event) -> None:
        self.runs = runs
        self.stop_event = stop
        self.proc: Any = _Proc(runs.pop(0))
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.proc = _Proc(self.runs.pop(0))
        if not self.runs:
            self.stop_event.set()

    def log_tail(self, lines: int = 40) -> str:
        return "log"


class _Feeder:
    def __init__(self) -> None:
        self.reposted = 0

    def repost_states(self) -> int:
        self.reposted += 1
        return 1


def test_restart_from_the_ui_starts_home_assistant_again() -> None:
    stop = threading.Event()
    hass = _Hass([[None, RESTART_EXIT_CODE], [None, RESTART_EXIT_CODE], [None]], stop)
    feeder = _Feeder()
    assert supervise(hass, stop, feeder) == 0  # type: ignore[arg-type]
    assert hass.starts == 2
    assert feeder.reposted == 2  # the simulated home's states are back after each restart


def test_a_crash_ends_the_run() -> None:
    stop = threading.Event()
    hass = _Hass([[None, 1]], stop)
    assert supervise(hass, stop) == 1  # type: ignore[arg-type]
    assert hass.starts == 0


def test_the_demo_has_what_assist_needs() -> None:
    assert "assist_pipeline" in DEMO_INTEGRATIONS
    assert "conversation" in DEMO_INTEGRATIONS
