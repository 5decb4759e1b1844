"""A real ``hass`` with Galatea set up through the REST config flow records what happens."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .harness import HassProcess, wait_until

pytestmark = pytest.mark.e2e

SCRIPTS_PYTHON = Path(__file__).resolve().parents[2] / "scripts" / "_python.sh"


@pytest.fixture(scope="module")
def hass_galatea(hass_process: Callable[..., HassProcess]) -> HassProcess:
    hass = hass_process("ha")
    entry = hass.setup_galatea({"user": {"db_url": "galatea.db", "backfill": False}})
    assert entry["state"] == "loaded"
    return hass


def _stored(hass: HassProcess, entity_id: str) -> list[tuple[str | None, str | None]]:
    from galatea_engine.store import ActivityStore

    store = ActivityStore(path=hass.db_path)
    try:
        return [(ev.state, ev.source) for ev in store.iter_activity(entity_id=entity_id)]
    finally:
        store.stop()


def test_state_change_is_recorded(hass_galatea: HassProcess) -> None:
    """POST /api/states -> HA bus -> Galatea capture -> writer thread -> galatea.db."""
    hass = hass_galatea
    entity = "binary_sensor.e2e_hall_motion"
    hass.set_state(entity, "off", {"device_class": "motion", "friendly_name": "Hall motion"})
    hass.set_state(entity, "on", {"device_class": "motion", "friendly_name": "Hall motion"})

    rows = wait_until(
        lambda: _stored(hass, entity), timeout=20, message=f"{entity} in galatea.db", hass=hass
    )
    assert ("on", "ha") in rows
    assert not hass.log_errors(), hass.log_errors()


def test_restart_keeps_recording(hass_galatea: HassProcess) -> None:
    """A clean stop flushes the queue; after a restart the entry loads and records again."""
    hass = hass_galatea
    entity = "binary_sensor.e2e_door"
    hass.set_state(entity, "on", {"device_class": "door"})
    hass.restart()
    hass.wait_entry_loaded("galatea")
    assert ("on", "ha") in _stored(hass, entity)
    hass.set_state(entity, "off", {"device_class": "door"})
    wait_until(
        lambda: ("off", "ha") in _stored(hass, entity),
        timeout=20,
        hass=hass,
        message="state after restart",
    )


def test_runs_on_the_newest_home_assistant(hass_galatea: HassProcess) -> None:
    """The end-to-end HA is the newest release pinned in scripts/_python.sh, and Galatea leaves no
    warning or error naming it in HA's log (deprecations included) after set-up, use and a
    restart."""
    config = hass_galatea.get("/api/config")
    pinned = re.search(r'^HA_VERSION="([^"]+)"', SCRIPTS_PYTHON.read_text(), re.M)
    assert pinned, "HA_VERSION not found in scripts/_python.sh"
    assert config["version"] == pinned.group(1)
    assert not hass_galatea.galatea_log_problems(), hass_galatea.galatea_log_problems()
