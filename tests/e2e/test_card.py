"""The Galatea card in the real HA frontend (headless Chromium) over a store of replayed routines.

One ``hass`` (with the real frontend) and one Chromium serve the whole module: the store is
seeded with two weeks of the simulated home (``galatea replay``), a storage-mode dashboard
holds the card, and each test opens it in a fresh tab logged in through HA's login flow.
Screenshots land in tests/e2e/artifacts/ (gitignored).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Generator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .browser import Chromium, Page
from .conftest import ARTIFACTS
from .demo import CARD_TYPE, seed_store, simulate
from .harness import HassProcess, run_async, wait_until

pytestmark = pytest.mark.e2e
MAIN_KINDS = ("wake_up", "go_to_bed", "leave_home", "arrive_home")



def _daytime_zone() -> str:
    """A home time zone where it is daytime now: today already has wake-ups and departures,
    and no midnight falls between the test's reading of the data and the card's rendering."""
    zones = ("Europe/Berlin", "America/New_York", "America/Los_Angeles", "Pacific/Honolulu",
             "Pacific/Auckland", "Asia/Tokyo", "Asia/Kolkata", "America/Sao_Paulo")
    now = datetime.now(ZoneInfo("UTC"))
    return next(z for z in zones if 10 <= now.astimezone(ZoneInfo(z)).hour < 18)


TZ = _daytime_zone()
DASHBOARD = "galatea-e2e"
CARD = f"window.__deepAll('{CARD_TYPE.removeprefix('custom:')}')"
# Console noise of HA's own frontend build, not of the card: a deprecation notice of a
# bundled web-component library, and the websocket race when a tab closes mid-subscription.
FRONTEND_NOISE = ("Material theme is deprecated", "unknown subscription")


@pytest.fixture(scope="module")
def seeded_db(e2e_dir: Path) -> Path:
    """Two weeks of the simulated home up to now, replayed and mined into galatea.db."""
    home = simulate(history_days=14, live_days=0, tz=TZ)
    db = e2e_dir / "seed" / "galatea.db"
    result = seed_store(db, home, db.parent)
    assert result["routines"] > 5, result
    return db


@pytest.fixture(scope="module")
def hass(hass_process: Callable[..., HassProcess], seeded_db: Path) -> HassProcess:
    proc = hass_process("ha", galatea_db=seeded_db, time_zone=TZ)
    proc.setup_galatea({"user": {"db_url": "galatea.db", "backfill": False}})
    card = {"type": CARD_TYPE}
    proc.save_dashboard(
        {"title": "Galatea e2e", "views": [{
            "title": "Routines", "path": "routines", "type": "panel",
            "cards": [{"type": "vertical-stack", "cards": [
                {**card, "title": "Household"},
                {**card, "person": "person.anna", "compact": True},
            ]}],
        }]},
        url_path=DASHBOARD, title="Galatea e2e",
    )
    return proc


@pytest.fixture(scope="module")
def chromium(e2e_dir: Path) -> Generator[Chromium]:
    browser = Chromium(e2e_dir / "browser").start()
    yield browser
    browser.stop()


def routines(hass: HassProcess) -> list[dict[str, Any]]:
    result = hass.call_service("galatea", "list_routines", {}, return_response=True)
    return list(result["service_response"]["routines"])


def expected_today(rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The routines the card shows with ``days: today`` (its default)."""
    weekday = now.weekday()

    def matches(days: Any) -> bool:
        if isinstance(days, list):
            return weekday in days
        return {"weekdays": weekday < 5, "weekends": weekday >= 5}.get(days, True)

    return [r for r in rows if r["status"] not in ("rejected", "superseded")
            and matches(r["days"])]


async def open_dashboard(
    page: Page, hass: HassProcess, *, cards: int = 2, dark: bool | None = None,
    screenshots: bool = True,
) -> None:
    await page.navigate(hass.frontend_login_url(f"/{DASHBOARD}/routines"))
    try:
        await page.wait_for(f"{CARD}.length >= {cards}", 90, message="cards rendered")
        # loaded: markers (or an empty state) instead of "Loading…"
        await page.wait_for(
            f"{CARD}.every(c => c.shadowRoot.querySelector('.marker, .empty:not(:empty)') && "
            "!c.shadowRoot.textContent.includes('Loading'))",
            60, message="routines loaded",
        )
    except TimeoutError as err:
        shot = await page.screenshot(ARTIFACTS / "card-timeout.png")
        url = await page.evaluate("location.href")
        cards = await page.evaluate(
            "[!!customElements.get('galatea-routines-card'), window.__deepAll('hui-card').map("
            "c => [c.config && c.config.type, c._element && c._element.tagName, "
            "c.childElementCount, !!c.hass])]"
        )
        raise TimeoutError(
            f"{err} at {url}; cards {cards}; console {page.console[-10:]}; see {shot}"
        ) from err
    if screenshots:
        await page.dismiss_http_confirmation()
    await asyncio.sleep(1.0)  # icons and fonts settle before screenshots


def test_card_renders_the_stored_routines(
    hass: HassProcess, chromium: Chromium, artifacts_dir: Path
) -> None:
    now = datetime.now(ZoneInfo(TZ))
    rows = routines(hass)
    today = expected_today(rows, now)
    # People's main routines are drawn; habits are listed by device under a collapsed toggle.
    shown = [r for r in today if r["kind"] in MAIN_KINDS]
    habits = [r for r in today if r["kind"] not in MAIN_KINDS]
    assert shown, "the seeded store has routines for today"

    async def scenario() -> dict[str, Any]:
        async with chromium.page(1280, 1000) as page:
            await open_dashboard(page, hass)
            data = await page.evaluate(f"""(() => {{
              const [house, anna] = {CARD};
              const marks = (c) => [...c.shadowRoot.querySelectorAll('.marker')].map(m => ({{
                key: m.dataset.key, time: m.dataset.time, left: parseFloat(m.style.left),
                missed: m.classList.contains('status-missed')}}));
              return {{
                house: marks(house), anna: marks(anna),
                rows: [...house.shadowRoot.querySelectorAll('.row[data-row]')]
                  .map(r => r.dataset.row),
                actual: [...house.shadowRoot.querySelectorAll('.actual')]
                  .map(a => a.dataset.key),
                items: [...house.shadowRoot.querySelectorAll('.item')].map(i => i.dataset.key),
                title: anna.shadowRoot.querySelector('.title').textContent,
                compact: anna.shadowRoot.querySelector('.card').classList.contains('compact'),
                annaList: anna.shadowRoot.querySelectorAll('.item').length,
                habitsToggle: (house.shadowRoot.querySelector('.habits-toggle') || {{}})
                  .textContent || '',
                dots: house.shadowRoot.querySelectorAll('.marker.dot').length,
              }};
            }})()""")
            await page.screenshot(artifacts_dir / "card-render-desktop.png")
            data["errors"] = page.errors(FRONTEND_NOISE)
            return data

    data = run_async(scenario())
    by_key = {r["key"]: r for r in shown}
    # every routine expected today has its marker at its usual time, and nothing else does
    assert sorted(m["key"] for m in data["house"]) == sorted(by_key)
    for mark in data["house"]:
        h, m = map(int, by_key[mark["key"]]["time"].split(":"))
        assert mark["time"] == by_key[mark["key"]]["time"]
        assert mark["left"] == pytest.approx((h * 60 + m) / 1440 * 100, abs=0.01)
    # one row per person with routines today, the household last
    people = sorted({r["person"] for r in shown if r["person"]})
    assert set(data["rows"]) == {*people, *(["household"] if any(
        r["person"] is None for r in shown) else [])}
    assert data["rows"][-1] == "household" or None not in {r["person"] for r in shown}
    # the person card shows only that person's routines, compact, titled with the name
    assert sorted(m["key"] for m in data["anna"]) == sorted(
        k for k, r in by_key.items() if r["person"] == "person.anna"
    )
    assert data["title"] == "Anna"
    assert data["compact"] is True
    assert data["annaList"] == 0  # compact: timeline only
    # today's occurrences: a wake-up that already happened today (a sleep episode in the
    # store ending within the card's window around the routine's time) is drawn against it
    ends = _sleep_ends_today(hass, now)
    for key, r in by_key.items():
        if r["kind"] != "wake_up":
            continue
        h, m = map(int, r["time"].split(":"))
        window = max(3 * r["spread_min"], 90)
        if any(abs(e - (h * 60 + m)) <= window for e in ends.get(r["person"], [])):
            assert key in data["actual"], (key, data["actual"])
    # deviations: a routine whose deviation sensor is on (late, not done) is highlighted
    late = {
        st["attributes"]["key"] for st in hass.get("/api/states")
        if st["entity_id"].startswith("binary_sensor.") and st["state"] == "on"
        and "key" in st["attributes"]
    }
    missed = {m["key"] for m in data["house"] if m["missed"]}
    assert missed <= late
    assert (late & set(by_key)) - set(data["actual"]) <= missed
    if habits:
        assert f"Show {len(habits)} habits" in " ".join(data["habitsToggle"].split())
    assert data["dots"] == 0
    assert data["errors"] == []
    assert hass.log_errors() == []


def _sleep_ends_today(hass: HassProcess, now: datetime) -> dict[str | None, list[int]]:
    """Minute of day of each sleep episode (in the store) that ended today, per person."""
    from galatea_engine.store import ActivityStore

    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    store = ActivityStore(path=hass.db_path)
    try:
        episodes = store.episodes(start=midnight - timedelta(hours=14), end=now, kind="sleep")
    finally:
        store.stop()
    out: dict[str | None, list[int]] = {}
    for e in episodes:
        end = e.end.astimezone(now.tzinfo)
        if midnight <= end <= now:
            out.setdefault(e.actor, []).append(end.hour * 60 + end.minute)
    return out


def test_confirm_a_routine_from_the_card(
    hass: HassProcess, chromium: Chromium, artifacts_dir: Path
) -> None:
    now = datetime.now(ZoneInfo(TZ))
    shown = [r for r in expected_today(routines(hass), now) if r["kind"] in MAIN_KINDS]
    target = next(
        (r for r in shown if r["kind"] == "wake_up" and r["status"] == "learned"),
        next(r for r in shown if r["status"] == "learned"),
    )
    key = json.dumps(target["key"])

    async def scenario() -> dict[str, Any]:
        async with chromium.page(1280, 1000) as page:
            await open_dashboard(page, hass)
            card = f"{CARD}[0]"
            await page.evaluate(
                f"{card}.shadowRoot.querySelector(`.marker[data-key=${{CSS.escape({key})}}]`)"
                ".click()"
            )
            await page.wait_for(
                f"!!{card}.shadowRoot.querySelector('.details [data-action=confirm]')",
                20, message="details with confirm",
            )
            details = await page.evaluate(
                f"{card}.shadowRoot.querySelector('.details').innerText"
            )
            await page.wait_for(
                f"!{card}.shadowRoot.querySelector('.details').innerText.includes('Loading')",
                20, message="evidence loaded",
            )
            await page.screenshot(artifacts_dir / "card-details-desktop.png")
            await page.evaluate(
                f"{card}.shadowRoot.querySelector('.details [data-action=confirm]').click()"
            )
            status = await page.wait_for(
                f"(() => {{ const b = {card}.shadowRoot.querySelector("
                "'.details .badge[data-status]'); "
                "return b && b.dataset.status === 'confirmed' && b.dataset.status; })()",
                30, message="confirmed badge",
            )
            marker_confirmed = await page.evaluate(
                f"{card}.shadowRoot.querySelector(`.marker[data-key=${{CSS.escape({key})}}]`)"
                ".classList.contains('confirmed')"
            )
            await page.screenshot(artifacts_dir / "card-confirmed-desktop.png")
            return {"details": details, "status": status, "marker": marker_confirmed,
                    "errors": page.errors(FRONTEND_NOISE)}

    result = run_async(scenario())
    assert result["errors"] == []
    assert target["time"] in result["details"]
    assert f"{target['support_days']} days" in result["details"]
    assert result["status"] == "confirmed"
    assert result["marker"] is True
    # the service really changed it: list_routines, and the routine sensor's attribute
    assert {r["key"]: r["status"] for r in routines(hass)}[target["key"]] == "confirmed"

    def sensor_status() -> str | None:
        for state in hass.get("/api/states"):
            attrs = state["attributes"]
            if not state["entity_id"].startswith("sensor."):
                continue
            for variant in attrs.get("variants") or ():
                if variant.get("key") == target["key"]:
                    return str(variant.get("status"))
        return None

    wait_until(lambda: sensor_status() == "confirmed", 30, hass=hass,
               message="routine sensor status confirmed")


@pytest.mark.parametrize(
    ("name", "width", "height", "mobile", "dark"),
    [
        ("desktop-light", 1280, 1000, False, False),
        ("desktop-dark", 1280, 1000, False, True),
        ("mobile-light", 390, 844, True, False),
        ("mobile-dark", 390, 844, True, True),
    ],
)
def test_screenshots_light_dark_desktop_mobile(
    hass: HassProcess, chromium: Chromium, artifacts_dir: Path,
    name: str, width: int, height: int, mobile: bool, dark: bool,
) -> None:
    async def scenario() -> dict[str, Any]:
        async with chromium.page(width, height, mobile=mobile, dark=dark) as page:
            await open_dashboard(page, hass)
            await page.screenshot(artifacts_dir / f"card-{name}.png")
            look = await page.evaluate(f"""(() => {{
              const c = {CARD}[0];
              const card = c.shadowRoot.querySelector('.card');
              const bg = getComputedStyle(card).backgroundColor;
              const rgb = bg.match(/\\d+/g).map(Number);
              const box = c.getBoundingClientRect();
              const overflow = [...c.shadowRoot.querySelectorAll('.marker')].filter(m => {{
                const r = m.getBoundingClientRect();
                const t = m.closest('.track').getBoundingClientRect();
                return r.left < box.left - 1 || r.right > box.right + 1
                  || r.top < t.top - 1 || r.bottom > t.bottom + 1;
              }}).length;
              return {{ luminance: (0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]) / 255,
                        width: box.width, overflow,
                        narrow: card.classList.contains('narrow') }};
            }})()""")
            look["errors"] = page.errors(FRONTEND_NOISE)
            return look

    look = run_async(scenario())
    assert look["errors"] == []
    assert (look["luminance"] < 0.35) if dark else (look["luminance"] > 0.8), look
    assert look["overflow"] == 0, "markers stay inside the card and their timeline"
    assert look["narrow"] is mobile


def test_visual_editor_and_learning_state(hass: HassProcess, chromium: Chromium) -> None:
    """The editor edits the config; with no routines the card says it is still learning."""

    async def scenario() -> tuple[dict[str, Any], list[str]]:
        async with chromium.page(1000, 900) as page:
            await open_dashboard(page, hass, screenshots=False)
            return dict(await page.evaluate(f"""(async () => {{
              const hass = document.querySelector('home-assistant').hass;
              const Card = customElements.get('galatea-routines-card');
              const stub = Card.getStubConfig();
              const editor = await Card.getConfigElement();
              const changes = [];
              editor.addEventListener('config-changed', (e) => changes.push(e.detail.config));
              editor.hass = hass;
              editor.setConfig({{type: '{CARD_TYPE}', ...stub}});
              // Inside HA's root element, as in the dashboard's card editor: HA's form elements
              // take their translations from context that element provides.
              const root = document.querySelector('home-assistant');
              (root && root.shadowRoot ? root.shadowRoot : document.body).appendChild(editor);
              for (let i = 0; i < 100 && !editor.querySelector('ha-form'); i++)
                await new Promise(r => setTimeout(r, 100));
              const form = editor.querySelector('ha-form');
              const fields = form ? form.schema.map(s => s.name) : [];
              form.dispatchEvent(new CustomEvent('value-changed', {{detail: {{value:
                {{...form.data, person: 'person.ben', compact: true, kinds: ['wake_up']}}}}}}));
              // the learning state: a card whose Galatea answers no routines yet
              const card = document.createElement('galatea-routines-card');
              card.setConfig({{type: '{CARD_TYPE}'}});
              const backfill = {{entity_id: 'sensor.galatea_backfill_progress', state: '42.0',
                attributes: {{status: 'running', imported: 1234}}, last_updated: 'x'}};
              card.hass = {{...hass,
                states: {{...hass.states, [backfill.entity_id]: backfill}},
                entities: {{...hass.entities, [backfill.entity_id]: {{
                  entity_id: backfill.entity_id, platform: 'galatea',
                  translation_key: 'backfill_progress'}}}},
                callWS: async (msg) => msg.type === 'call_service'
                  ? {{response: {{routines: [], items: []}}}} : {{}}}};
              document.body.appendChild(card);
              for (let i = 0; i < 50 && !card.shadowRoot.querySelector('.state-learning'); i++)
                await new Promise(r => setTimeout(r, 100));
              const learning = card.shadowRoot.textContent;
              return {{stub, fields, change: changes[changes.length - 1], learning}};
            }})()""", within=60)), page.errors(FRONTEND_NOISE)

    result, errors = run_async(scenario())
    assert errors == []
    assert result["stub"] == {"days": "today", "compact": False}
    assert result["fields"] == ["title", "person", "days", "kinds", "compact"]
    assert result["change"]["person"] == "person.ben"
    assert result["change"]["compact"] is True
    assert result["change"]["kinds"] == ["wake_up"]
    assert result["change"]["type"] == CARD_TYPE
    assert "No routines learned yet" in result["learning"]
    assert "History import running" in result["learning"]
    assert "42%" in result["learning"]


def test_card_says_when_galatea_is_not_loaded(
    hass: HassProcess, chromium: Chromium, artifacts_dir: Path
) -> None:
    """Disable the config entry: the card stays and says Galatea is not loaded (runs last)."""
    (entry,) = hass.config_entries("galatea")
    hass.ws({"type": "config_entries/disable", "entry_id": entry["entry_id"],
             "disabled_by": "user"})
    try:
        async def scenario() -> dict[str, Any]:
            async with chromium.page(1000, 700) as page:
                await page.navigate(hass.frontend_login_url(f"/{DASHBOARD}/routines"))
                text = await page.wait_for(
                    f"{CARD}.length && {CARD}[0].shadowRoot.querySelector('.state-not-loaded') "
                    f"&& {CARD}[0].shadowRoot.textContent",
                    60, message="not loaded state",
                )
                await page.screenshot(artifacts_dir / "card-not-loaded.png")
                return {"text": text, "errors": page.errors(FRONTEND_NOISE)}

        result = run_async(scenario())
    finally:
        hass.ws({"type": "config_entries/disable", "entry_id": entry["entry_id"],
                 "disabled_by": None})
    assert "Galatea is not loaded" in result["text"]
    assert result["errors"] == []
    hass.wait_entry_loaded("galatea")
