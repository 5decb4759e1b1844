"""The demo home on a real HA, as a newcomer sees it: the device page, the calendar, Assist, a
restart from the UI. Screenshots land in tests/e2e/artifacts/ (look at them).

One ``hass`` with the demo's integrations (``assist_pipeline`` included) over three weeks of the
simulated home, the three simulated people as person entities.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from .browser import Chromium
from .demo import DEMO_INTEGRATIONS, RESTART_EXIT_CODE, dashboard_config, seed_store, simulate
from .harness import HAError, HassProcess, run_async, wait_until

pytestmark = pytest.mark.e2e
TZ = "Europe/Berlin"
PEOPLE = {"anna": "Anna", "ben": "Ben", "grandma": "Grandma"}
# HA's frontend noise, and the brand image a custom integration without one in HA's brands
# repository has not got.
FRONTEND_NOISE = ("Material theme is deprecated", "unknown subscription", "favicon",
                  "/api/brands/integration/galatea/")

# What a household acts on fits one screen of the device page.
MAX_ENABLED_ENTITIES = 25


@pytest.fixture(scope="module")
def seeded_db(e2e_dir: Path) -> Path:
    home = simulate(history_days=21, live_days=0, tz=TZ)
    db = e2e_dir / "seed" / "galatea.db"
    result = seed_store(db, home, db.parent)
    assert result["routines"] > 20, result
    return db


@pytest.fixture(scope="module")
def hass(hass_process: Callable[..., HassProcess], seeded_db: Path) -> HassProcess:
    people = "".join(
        f"    - id: {key}\n      name: {name}\n" for key, name in PEOPLE.items()
    )
    integrations = tuple(i for i in DEMO_INTEGRATIONS if i != "person")  # configured below
    proc = hass_process("ha", galatea_db=seeded_db, time_zone=TZ,
                        integrations=integrations, extra_yaml=f"person:\n{people}")
    proc.setup_galatea({"user": {"db_url": "galatea.db", "backfill": False}})
    proc.wait_entry_loaded("galatea")
    proc.save_dashboard(dashboard_config())
    return proc


@pytest.fixture(scope="module")
def chromium(e2e_dir: Path) -> Generator[Chromium]:
    browser = Chromium(e2e_dir / "browser").start()
    yield browser
    browser.stop()


def _galatea_entities(hass: HassProcess) -> tuple[str, list[dict[str, Any]]]:
    devices, entities = hass.ws({"type": "config/device_registry/list"},
                                {"type": "config/entity_registry/list"})
    device = next(d for d in devices if d.get("manufacturer") == "Galatea")
    return device["id"], [e for e in entities if e.get("device_id") == device["id"]]


def test_device_page_fits_one_screen(
    hass: HassProcess, chromium: Chromium, artifacts_dir: Path
) -> None:
    device_id, entities = _galatea_entities(hass)
    enabled = [e for e in entities if not e.get("disabled_by")]
    states = hass.states()
    names = [states[e["entity_id"]]["attributes"].get("friendly_name", "") for e in enabled
             if e["entity_id"] in states]
    assert len(enabled) <= MAX_ENABLED_ENTITIES, names
    assert len(set(names)) == len(names), names
    assert not [n for n in names if "user:" in n.lower() or "person." in n], names
    diagnostic = {e["entity_id"] for e in enabled if e.get("entity_category") == "diagnostic"}
    assert any("backfill" in e for e in diagnostic) or not any(
        "backfill" in e["entity_id"] for e in enabled)

    async def scenario() -> list[str]:
        async with chromium.page(1280, 1200) as page:
            await page.navigate(hass.frontend_login_url(f"/config/devices/device/{device_id}"))
            await page.wait_for("window.__deepAll('ha-device-entities-card').length > 0", 90,
                                message="device page")
            await asyncio.sleep(2.0)
            await page.dismiss_http_confirmation()
            await page.screenshot(artifacts_dir / "device-page-desktop.png")
            return page.errors(FRONTEND_NOISE)

    assert run_async(scenario()) == []


def test_calendar_shows_nights_absences_and_main_routines(
    hass: HassProcess, chromium: Chromium, artifacts_dir: Path
) -> None:
    start = time.strftime("%Y-%m-%dT00:00:00", time.localtime(time.time() - 86400))
    end = time.strftime("%Y-%m-%dT00:00:00", time.localtime(time.time() + 86400))
    events = hass.get(f"/api/calendars/calendar.galatea_timeline?start={start}&end={end}")
    assert events
    assert len(events) <= 60, len(events)  # two days: nights, absences, main routines
    assert not [e for e in events if "session" in str(e.get("summary", "")).lower()]

    async def scenario() -> list[str]:
        async with chromium.page(1280, 1000) as page:
            await page.navigate(hass.frontend_login_url("/calendar"))
            await page.wait_for("window.__deepAll('ha-full-calendar').length > 0", 90,
                                message="calendar panel")
            await asyncio.sleep(3.0)
            await page.dismiss_http_confirmation()
            await page.screenshot(artifacts_dir / "calendar-month-desktop.png")
            return page.errors(FRONTEND_NOISE)

    assert run_async(scenario()) == []


def test_assist_is_there_for_a_newcomer(hass: HassProcess) -> None:
    (pipelines,) = hass.ws({"type": "assist_pipeline/pipeline/list"})
    assert pipelines["pipelines"], pipelines
    assert pipelines["preferred_pipeline"]
    answer = hass.post("/api/conversation/process", {"text": "When does Anna usually wake up?",
                                                     "language": "en"})
    speech = answer["response"]["speech"]["plain"]["speech"]
    assert speech


def test_assist_button_asks_and_answers(
    hass: HassProcess, chromium: Chromium, artifacts_dir: Path
) -> None:
    """A newcomer clicks Assist on the demo dashboard and asks the README's example."""

    async def scenario() -> dict[str, Any]:
        async with chromium.page(1280, 1000) as page:
            await page.navigate(hass.frontend_login_url("/"))
            await page.wait_for("window.__deepAll('ha-icon-button').length > 2", 90,
                                message="dashboard")
            await asyncio.sleep(2.0)
            await page.dismiss_http_confirmation()
            clicked = await page.evaluate("""(() => {
              const button = window.__deepAll('ha-icon-button').find((b) =>
                /^assist /i.test((b.label || '').trim()));
              if (button) button.click();
              return Boolean(button);
            })()""")
            assert clicked, "an Assist button on the dashboard"
            await page.wait_for("window.__deepAll('ha-assist-chat').length > 0", 30,
                                message="Assist dialog")
            await asyncio.sleep(1.0)
            asked = await page.evaluate("""(() => {
              const chat = window.__deepAll('ha-assist-chat')[0];
              const field = window.__deepAll('ha-textfield, ha-input, input, textarea',
                chat.shadowRoot).find((f) => f.getBoundingClientRect().width > 0);
              if (!field) return false;
              field.value = 'When does Anna usually wake up?';
              field.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
              field.dispatchEvent(new KeyboardEvent('keyup', { key: 'Enter', bubbles: true,
                composed: true }));
              field.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true,
                composed: true }));
              return true;
            })()""")
            assert asked, "a text field in the Assist dialog"
            await asyncio.sleep(1.0)
            # Enter sends in HA's chat; the send button too (whichever this frontend wires).
            await page.evaluate("""(() => {
              const chat = window.__deepAll('ha-assist-chat')[0];
              if (chat.shadowRoot.textContent.includes('When does Anna')) return 'sent';
              const send = window.__deepAll('ha-icon-button', chat.shadowRoot)
                .find((b) => /send/i.test(b.label || ''));
              if (send) send.click();
              return Boolean(send);
            })()""")

            answer = await page.wait_for("""(() => {
              const chat = window.__deepAll('ha-assist-chat')[0];
              const texts = window.__deepAll('*', chat.shadowRoot)
                .filter((e) => e.children.length === 0).map((e) => e.textContent.trim());
              return texts.find((t) => /^Anna .*(wake|woke|get up|gets up)/i.test(t)) || false;
            })()""", 60, message="an answer in the Assist dialog")
            await page.screenshot(artifacts_dir / "assist-dialog-desktop.png")
            return {"answer": answer, "errors": page.errors(FRONTEND_NOISE)}

    result = run_async(scenario())
    assert result["errors"] == []
    assert "Anna" in result["answer"]


def test_restart_from_the_ui_comes_back(hass: HassProcess) -> None:
    """HA asked to restart exits with the restart code; the run command starts it again."""
    proc = hass.proc
    assert proc is not None
    with contextlib.suppress(HAError, OSError):  # HA may close the connection as it stops
        hass.call_service("homeassistant", "restart", {})
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert proc.poll() == RESTART_EXIT_CODE
    hass.proc = None
    hass.start()
    hass.wait_entry_loaded("galatea")
    wait_until(lambda: "calendar.galatea_timeline" in hass.states(), 60, hass=hass,
               message="Galatea's entities back")
