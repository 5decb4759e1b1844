"""The add-on's web UI on a phone and a desktop, against frozen API answers (no add-on process).

The static files are served as the add-on serves them, with ``/api/*`` answered from
``fixtures/addon_api.json`` (the demo home). Each page is measured in Chromium over the DevTools
protocol: nothing wider than the screen, the Routines page's buttons on screen, no entity ids
or JSON shown to a person, each count on the Engine page once. Screenshots land in
tests/e2e/artifacts/ (look at them).
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
import urllib.parse
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from .browser import Chromium
from .harness import HOST, free_port, run_async

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
STATIC = HERE.parents[1] / "addon" / "galatea_addon" / "static"
API = json.loads((HERE / "fixtures" / "addon_api.json").read_text())
PAGES = ("week", "routines", "memories", "health")
ENTITY_ID = re.compile(
    r"\b(person|light|switch|fan|media_player|binary_sensor|sensor|automation|climate|cover|"
    r"device_tracker|input_boolean|lock|script|scene)\.[a-z0-9_]+\b"
)

MEASURE_JS = """(() => {
  const page = document.querySelector('.page:not([hidden])');
  const vw = document.documentElement.clientWidth;
  const wide = [...page.querySelectorAll('*')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && (r.right > vw + 1 || r.left < -1);
  }).map((el) => `${el.tagName}.${el.className}`);
  const buttons = [...document.querySelectorAll('.routine button')].map((b) => {
    const r = b.getBoundingClientRect();
    return r.width > 0 && r.left >= 0 && r.right <= vw + 1;
  });
  const oneWordLines = [...document.querySelectorAll('.routine .what > div:first-child')]
    .filter((d) => d.getBoundingClientRect().height
      > 3 * parseFloat(getComputedStyle(d).lineHeight))
    .length;
  return { scrollWidth: document.documentElement.scrollWidth, vw,
           wide: wide.slice(0, 10), buttons, oneWordLines,
           text: page.innerText,
           labels: [...page.querySelectorAll('table.facts th')].map((t) => t.textContent),
           error: document.getElementById('error').hidden ? null
             : document.getElementById('error').textContent };
})()"""


class _AddonStandIn(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = urllib.parse.urlparse(self.path).path
        if path.startswith("/api/"):
            name = path.removeprefix("/api/").split("/")[0]
            body = json.dumps(API.get(name, {})).encode()
            self.send_response(200 if name in API else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if path == "/":
            self.path = "/static/index.html"
        super().do_GET()


@pytest.fixture(scope="module")
def server() -> Generator[str]:
    port = free_port()
    handler = functools.partial(_AddonStandIn, directory=str(STATIC.parent))
    httpd = http.server.HTTPServer((HOST, port), handler)  # one request at a time: no threads
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{port}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def chromium(e2e_dir: Path) -> Generator[Chromium]:
    browser = Chromium(e2e_dir / "browser").start()
    yield browser
    browser.stop()


@pytest.mark.parametrize(("device", "width", "mobile"),
                         [("phone", 390, True), ("desktop", 1280, False)])
def test_addon_pages_fit_and_speak_words(
    server: str, chromium: Chromium, artifacts_dir: Path, device: str, width: int,
    mobile: bool,
) -> None:
    async def scenario() -> tuple[dict[str, Any], list[str]]:
        out: dict[str, Any] = {}
        async with chromium.page(width, 900, mobile=mobile) as page:
            await page.navigate(server + "#week")
            for name in PAGES:
                await page.evaluate(f"location.hash = '#{name}'")
                await page.wait_for(f"document.body.dataset.loaded === '{name}'", 20)
                out[name] = await page.evaluate(MEASURE_JS)
                await page.screenshot(artifacts_dir / f"addon-ui-{name}-{device}.png",
                                      full_page=True)
            return out, page.errors(("favicon",))

    pages, errors = run_async(scenario())
    assert errors == []
    for name, look in pages.items():
        assert look["error"] is None, (name, look["error"])
        assert look["scrollWidth"] <= look["vw"], (name, look["wide"])
        assert look["wide"] == [], (name, look["wide"])
        assert not ENTITY_ID.search(look["text"]), (name, ENTITY_ID.findall(look["text"])[:5])
        assert '{"' not in look["text"]
        assert "not_home" not in look["text"]
    routines = pages["routines"]
    assert routines["buttons"]
    assert all(routines["buttons"]), "every Confirm/Reject button is on screen"
    assert routines["oneWordLines"] == 0
    labels = pages["health"]["labels"]
    assert len(labels) == len(set(labels)), labels  # each count once
    assert "Activities recorded" in labels
    text = pages["health"]["text"]
    assert f"{API['health']['activity_last_id']:,}" in text  # the number, in words' company
    assert "last id" not in text.lower()
    memories = pages["memories"]["text"]
    assert "Grandma away then office light off" in memories
