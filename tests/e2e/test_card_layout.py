"""The card's layout at phone and desktop widths, 1 to 3 columns, light and dark, 12/24-hour.

The card runs alone in headless Chromium (``card_page.html``: a stand-in ``hass`` with frozen
service responses from the demo home, a frozen clock), so every run draws the same pixels:

- overlaps are measured in the DOM over the DevTools protocol (bounding boxes of every text
  element and marker in the card's shadow root) and fail the test;
- each card is screenshotted into tests/e2e/artifacts/ and compared with the reviewed reference
  in tests/e2e/references/ (same size, few pixels different). ``GALATEA_UPDATE_REFERENCES=1``
  writes the references instead; look at them before committing.
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import json
import os
import re
import threading
import urllib.parse
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from .browser import Chromium, Page
from .harness import HOST, free_port, run_async

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
REPO = HERE.parents[1]
CARD_JS = REPO / "custom_components" / "galatea" / "frontend" / "galatea-routines-card.js"
REFERENCES = HERE / "references"
UPDATE = os.environ.get("GALATEA_UPDATE_REFERENCES") == "1"
# A pixel counts as different beyond this per-channel distance; a screenshot may differ in at
# most this share of its pixels (font hinting, anti-aliasing across Chromium builds).
PIXEL_TOLERANCE = 48
MAX_DIFFERENT_SHARE = 0.03

# (name, viewport width, mobile, grid width, columns): a phone (390 px: a 358 px section) and a
# desktop panel, with 1, 2 and 3 cards side by side.
LAYOUTS = [
    ("phone-1col", 390, True, 358, 1),
    ("phone-2col", 390, True, 358, 2),
    ("phone-3col", 390, True, 358, 3),
    ("desktop-1col", 1280, False, 1200, 1),
    ("desktop-2col", 1280, False, 1200, 2),
    ("desktop-3col", 1280, False, 1200, 3),
]

# Every element whose text or shape must not collide with another one.
MEASURE_JS = """
((index) => {
  const card = document.querySelectorAll('galatea-routines-card')[index];
  const root = card.shadowRoot;
  const box = card.getBoundingClientRect();
  const sel = '.title, .clock, .tick, .row-name, .marker, .item-label, .item-sub, .item-status, '
    + '.legend span, .habits-toggle > span, .habit, .list-person, .more, .badge, .action';
  const els = [...root.querySelectorAll(sel)].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  });
  const rect = (el) => { const r = el.getBoundingClientRect();
    return { l: r.left, t: r.top, r: r.right, b: r.bottom }; };
  const name = (el) => `${el.className || el.tagName}: `
    + (el.textContent || el.title || '').trim().slice(0, 30);
  const overlaps = [];
  for (let i = 0; i < els.length; i++) {
    for (let j = i + 1; j < els.length; j++) {
      const a = els[i], b = els[j];
      if (a.contains(b) || b.contains(a)) continue;
      const p = rect(a), q = rect(b);
      const w = Math.min(p.r, q.r) - Math.max(p.l, q.l);
      const h = Math.min(p.b, q.b) - Math.max(p.t, q.t);
      if (w > 1 && h > 1) overlaps.push(`${name(a)} <> ${name(b)}`);
    }
  }
  const outside = els.filter((el) => { const r = rect(el);
    return r.l < box.left - 1 || r.r > box.right + 1; }).map(name);
  const text = root.textContent;
  return { overlaps, outside, width: box.width, height: box.height,
           x: box.left + window.scrollX, y: box.top + window.scrollY,
           habits: root.querySelectorAll('.habit').length,
           markers: root.querySelectorAll('.marker').length,
           dots: root.querySelectorAll('.marker.dot').length,
           ticks: [...root.querySelectorAll('.tick')].map((t) => t.textContent),
           clock: (root.querySelector('.clock') || {}).textContent,
           text };
})
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def translate_path(self, path: str) -> str:
        if urllib.parse.urlparse(path).path == "/card.js":
            return str(CARD_JS)
        return super().translate_path(path)


@pytest.fixture(scope="module")
def server() -> Generator[str]:
    port = free_port()
    handler = functools.partial(_Quiet, directory=str(HERE))
    httpd = http.server.HTTPServer((HOST, port), handler)  # one request at a time: no threads
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{port}/card_page.html"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def chromium(e2e_dir: Path) -> Generator[Chromium]:
    browser = Chromium(e2e_dir / "browser").start()
    yield browser
    browser.stop()


def _url(base: str, **params: Any) -> str:
    return f"{base}?{urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})}"


async def _open(page: Page, url: str, cards: int) -> None:
    await page.navigate(url)
    await page.wait_for("window.__ready || window.__error", 30, message="page ready")
    error = await page.evaluate("window.__error || null")
    assert error is None, error
    await page.wait_for(
        f"document.querySelectorAll('galatea-routines-card').length === {cards} && "
        "[...document.querySelectorAll('galatea-routines-card')].every(c => c.shadowRoot"
        " && c.shadowRoot.querySelector('.timeline, .habits, .empty') &&"
        " !c.shadowRoot.textContent.includes('Loading'))",
        30, message="cards rendered",
    )
    await asyncio.sleep(0.3)


async def _shoot(page: Page, index: int, path: Path) -> dict[str, Any]:
    found: dict[str, Any] = await page.evaluate(f"{MEASURE_JS}({index})")
    result = await page.send("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": found["x"], "y": found["y"], "width": found["width"],
                 "height": found["height"], "scale": 1},
    }, within=60)
    import base64

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(result["data"]))
    return found


def _compare(shot: Path) -> str | None:
    """None when ``shot`` matches its reference; else why not."""
    reference = REFERENCES / shot.name
    if UPDATE:
        REFERENCES.mkdir(exist_ok=True)
        reference.write_bytes(shot.read_bytes())
        return None
    if not reference.exists():
        return f"no reference {reference.name}: review {shot} and rerun with " \
               "GALATEA_UPDATE_REFERENCES=1"
    with Image.open(shot) as a, Image.open(reference) as b:
        if abs(a.height - b.height) > 4 or abs(a.width - b.width) > 2:
            return f"{shot.name}: size {a.size} differs from the reference's {b.size}"
        size = (min(a.width, b.width), min(a.height, b.height))
        diff = ImageChops.difference(
            a.convert("RGB").crop((0, 0, *size)), b.convert("RGB").crop((0, 0, *size))
        ).convert("L")
        different = sum(1 for px in diff.getdata() if px > PIXEL_TOLERANCE)
        share = different / (size[0] * size[1])
    if share > MAX_DIFFERENT_SHARE:
        return f"{shot.name}: {share:.1%} of pixels differ from the reference"
    return None


@pytest.mark.parametrize(("name", "viewport", "mobile", "width", "columns"), LAYOUTS)
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_card_layout_has_no_overlaps_and_matches_reference(
    server: str, chromium: Chromium, artifacts_dir: Path,
    name: str, viewport: int, mobile: bool, width: int, columns: int, theme: str,
) -> None:
    people = [{"person": p} for p in ("person.ben", "person.grandma")]
    cards = [{"title": "Routines"}, *people[: columns - 1]]
    url = _url(server, width=width, columns=columns, theme=theme, cards=json.dumps(cards))

    async def scenario() -> tuple[list[dict[str, Any]], list[Path], list[str]]:
        async with chromium.page(viewport, 1600, mobile=mobile, dark=theme == "dark") as page:
            await _open(page, url, len(cards))
            found, shots = [], []
            for index in range(len(cards)):
                shot = artifacts_dir / f"card-layout-{name}-{theme}-{index}.png"
                found.append(await _shoot(page, index, shot))
                shots.append(shot)
            return found, shots, page.errors(("favicon.ico",))

    found, shots, errors = run_async(scenario())
    assert errors == []
    for index, look in enumerate(found):
        assert look["overlaps"] == [], (name, index, look["overlaps"][:10])
        assert look["outside"] == [], (name, index, look["outside"][:10])
        assert look["dots"] == 0  # no rows of identical unlabeled circles
        ticks = look["ticks"]
        assert ticks[0] == "00"
        assert ticks[-1] == "24"
        assert len(ticks) >= 3
    # The household card: habits collapsed under a labelled toggle, people's routines shown.
    assert found[0]["habits"] == 0
    assert "Show" in found[0]["text"]
    assert "habits" in found[0]["text"]
    assert found[0]["markers"] > 0
    assert "not yet today" not in found[0]["text"]
    mismatches = [m for shot in shots if (m := _compare(shot))]
    assert mismatches == []


@pytest.mark.parametrize(("name", "viewport", "mobile", "width"),
                         [("phone", 390, True, 358), ("desktop", 1280, False, 1200)])
def test_compact_person_cards_three_across(
    server: str, chromium: Chromium, artifacts_dir: Path,
    name: str, viewport: int, mobile: bool, width: int,
) -> None:
    """The demo dashboard's row of compact per-person cards."""
    cards = [{"person": p, "compact": True}
             for p in ("person.anna", "person.ben", "person.grandma")]
    url = _url(server, width=width, columns=3, theme="light", cards=json.dumps(cards))

    async def scenario() -> tuple[list[dict[str, Any]], list[Path], list[str]]:
        async with chromium.page(viewport, 1200, mobile=mobile, dark=False) as page:
            await _open(page, url, len(cards))
            found, shots = [], []
            for index in range(len(cards)):
                shot = artifacts_dir / f"card-layout-compact-{name}-{index}.png"
                found.append(await _shoot(page, index, shot))
                shots.append(shot)
            return found, shots, page.errors(("favicon.ico",))

    found, shots, errors = run_async(scenario())
    assert errors == []
    for index, look in enumerate(found):
        assert look["overlaps"] == [], (name, index, look["overlaps"][:10])
        assert look["outside"] == [], (name, index, look["outside"][:10])
        assert look["markers"] > 0
    mismatches = [m for shot in shots if (m := _compare(shot))]
    assert mismatches == []


def test_twelve_hour_clock_and_consistent_texts(
    server: str, chromium: Chromium, artifacts_dir: Path
) -> None:
    """HA's 12-hour setting reaches the axis, the clock and the list; habits open by device;
    a routine that did not happen by now says so; details never contradict themselves."""
    url = _url(server, width=358, columns=1, theme="light", time_format="12",
               cards=json.dumps([{"title": "Routines"}]))

    async def scenario() -> dict[str, Any]:
        async with chromium.page(390, 2400, mobile=True, dark=False) as page:
            await _open(page, url, 1)
            root = "document.querySelector('galatea-routines-card').shadowRoot"
            await page.evaluate(f"{root}.querySelector('[data-action=habits]').click()")
            await page.wait_for(f"{root}.querySelectorAll('.habit').length > 0", 10)
            look: dict[str, Any] = await page.evaluate(f"{MEASURE_JS}(0)")
            look["groups"] = await page.evaluate(
                f"[...{root}.querySelectorAll('.habit-name')].map(e => e.textContent)")
            look["statuses"] = await page.evaluate(
                f"[...{root}.querySelectorAll('.item')].map(e => [e.dataset.key,"
                " e.querySelector('.item-status').textContent])")
            await page.screenshot(artifacts_dir / "card-12h-habits-open-phone.png",
                                  full_page=True)
            # The details of a habit: never "learned from N days" with "no occurrences".
            await page.evaluate(f"{root}.querySelector('.habit').click()")
            await page.wait_for(f"{root}.querySelector('.details') && "
                                f"!{root}.querySelector('.details').textContent.includes('Loading')",
                                10)
            look["details"] = await page.evaluate(f"{root}.querySelector('.details').textContent")
            look["details_overlaps"] = (await page.evaluate(f"{MEASURE_JS}(0)"))["overlaps"]
            await page.screenshot(artifacts_dir / "card-12h-details-phone.png", full_page=True)
            look["errors"] = page.errors(("favicon.ico",))
            return look

    look = run_async(scenario())
    assert look["errors"] == []
    assert look["overlaps"] == [], look["overlaps"][:10]
    assert look["details_overlaps"] == [], look["details_overlaps"][:10]
    assert look["clock"] == "8:33 PM"
    assert look["ticks"][0] == "12a"
    assert "12p" in look["ticks"]
    assert look["habits"] > 10
    assert len(set(look["groups"])) == len(look["groups"])  # one group per device
    assert "AM" in look["text"]
    assert "PM" in look["text"]
    assert "No occurrences" not in look["details"]
    assert not re.search(r"\b(light|switch|fan|person|media_player)\.[a-z_]+", look["details"])
    # Thursday 20:33: every main routine due before now has happened, is late, or is "not seen
    # today"; none is "not yet today".
    statuses = [s for _k, s in look["statuses"]]
    assert "not yet today" not in statuses
