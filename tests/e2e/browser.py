"""Headless Chromium driven over the DevTools protocol (aiohttp websocket; no extra downloads).

``Chromium`` is the process (sync start/stop, one per test module); ``Page`` is one tab with
helpers to navigate, evaluate JavaScript (with a deep shadow-DOM query helper), wait, take
screenshots and collect console errors.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import subprocess
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from .harness import CHROMIUM_BIN, HOST, free_port, stop_process, wait_for_port

# JavaScript helpers installed in every page: find elements through nested shadow roots.
DEEP_QUERY_JS = """
window.__deepAll = (selector, root = document) => {
  const out = [];
  const walk = (node) => {
    if (!node) return;
    if (node.querySelectorAll) out.push(...node.querySelectorAll(selector));
    const all = node.querySelectorAll ? node.querySelectorAll('*') : [];
    for (const el of all) if (el.shadowRoot) walk(el.shadowRoot);
  };
  walk(root);
  return out;
};
window.__deep = (selector, root) => window.__deepAll(selector, root)[0] || null;
"""


class Chromium:
    """A headless Chromium with remote debugging on a free loopback port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Chromium:
        if not Path(CHROMIUM_BIN).exists():
            raise FileNotFoundError(
                "chromium is not installed: run scripts/services/system-packages.sh"
            )
        profile = self.workdir / "chromium-profile"
        profile.mkdir(parents=True, exist_ok=True)
        log = (self.workdir / "chromium.log").open("ab")
        self.proc = subprocess.Popen(
            [
                CHROMIUM_BIN, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--disable-extensions",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
                f"--remote-debugging-address={HOST}", f"--remote-debugging-port={self.port}",
                f"--user-data-dir={profile}", "about:blank",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for_port(self.port, 30, self.proc)
        return self

    def stop(self) -> None:
        stop_process(self.proc, 5)
        self.proc = None

    def new_target(self) -> str:
        """Open a new tab; return its DevTools websocket URL."""
        req = urllib.request.Request(
            f"http://{HOST}:{self.port}/json/new?about:blank", method="PUT"
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return str(json.loads(resp.read())["webSocketDebuggerUrl"])

    @contextlib.asynccontextmanager
    async def page(
        self, width: int = 1280, height: int = 900, *, mobile: bool = False,
        dark: bool | None = None,
    ) -> AsyncIterator[Page]:
        """A fresh tab with the given viewport (and optional dark colour scheme)."""
        ws_url = self.new_target()
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(ws_url, max_msg_size=0) as ws:
                page = Page(ws)
                reader = asyncio.create_task(page._read())
                try:
                    await page.setup(width, height, mobile=mobile, dark=dark)
                    yield page
                finally:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(page.send("Page.close"), 3)
                    reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await reader


class CDPError(RuntimeError):
    """A DevTools command failed or a page expression threw."""


class Page:
    """One tab: commands over its DevTools websocket, events recorded."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self.console: list[dict[str, Any]] = []  # {level, text, url}
        self.exceptions: list[str] = []
        self._load = asyncio.Event()

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if "id" in data:
                fut = self._pending.pop(data["id"], None)
                if fut is not None and not fut.done():
                    if "error" in data:
                        fut.set_exception(CDPError(str(data["error"])))
                    else:
                        fut.set_result(data.get("result", {}))
                continue
            self._event(data.get("method", ""), data.get("params", {}))

    def _event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Runtime.consoleAPICalled":
            text = " ".join(
                str(a.get("value", a.get("description", ""))) for a in params.get("args", [])
            )
            self.console.append({"level": params.get("type"), "text": text, "url": ""})
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            self.console.append(
                {"level": entry.get("level"), "text": entry.get("text", ""),
                 "url": entry.get("url", "")}
            )
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            exc = details.get("exception", {})
            self.exceptions.append(str(exc.get("description") or details.get("text")))
        elif method == "Page.loadEventFired":
            self._load.set()

    async def send(self, method: str, params: dict[str, Any] | None = None,
                   within: float = 30) -> Any:
        msg_id = next(self._ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = fut
        await self.ws.send_json({"id": msg_id, "method": method, "params": params or {}})
        return await asyncio.wait_for(fut, within)

    async def setup(self, width: int, height: int, *, mobile: bool, dark: bool | None) -> None:
        for domain in ("Page", "Runtime", "Log"):
            await self.send(f"{domain}.enable")
        await self.send("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 2 if mobile else 1,
            "mobile": mobile,
        })
        if mobile:
            await self.send("Emulation.setTouchEmulationEnabled", {"enabled": True})
        if dark is not None:
            await self.send("Emulation.setEmulatedMedia", {"features": [
                {"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})
        await self.send("Page.addScriptToEvaluateOnNewDocument", {"source": DEEP_QUERY_JS})

    async def navigate(self, url: str, within: float = 60) -> None:
        self._load.clear()
        await self.send("Page.navigate", {"url": url})
        await asyncio.wait_for(self._load.wait(), within)

    async def evaluate(self, expression: str, within: float = 30) -> Any:
        """Evaluate JavaScript (awaiting promises); return its JSON value."""
        result = await self.send("Runtime.evaluate", {
            "expression": expression, "awaitPromise": True, "returnByValue": True,
        }, within=within)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CDPError(str(details.get("exception", {}).get("description") or details))
        return result.get("result", {}).get("value")

    async def wait_for(self, expression: str, within: float = 30, interval: float = 0.25,
                       message: str | None = None) -> Any:
        """Poll a JavaScript expression until it is truthy; return its value."""
        deadline = time.monotonic() + within
        last: Any = None
        while time.monotonic() < deadline:
            with contextlib.suppress(CDPError):
                last = await self.evaluate(expression)
                if last:
                    return last
            await asyncio.sleep(interval)
        what = message or expression
        raise TimeoutError(f"{what} not true after {within:.0f} s (last {last!r})")

    async def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        result = await self.send("Page.captureScreenshot", params, within=60)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(result["data"]))
        return path

    async def dismiss_http_confirmation(self) -> bool:
        """HA (2026.10+) asks, on the first start with HTTP settings from YAML, to confirm them
        in a dialog over every page; confirm it (the harness's settings are the wanted ones)."""
        clicked = await self.evaluate("""(() => {
          const button = window.__deepAll('ha-button, mwc-button, button').find((b) =>
            b.textContent.trim() === 'Confirm' && b.getBoundingClientRect().width > 0
            && window.__deepAll('ha-dialog, ha-md-dialog, ha-wa-dialog').length > 0);
          if (button) button.click();
          return Boolean(button);
        })()""")
        if clicked:
            await asyncio.sleep(1.0)
        return bool(clicked)

    def errors(self, ignore: tuple[str, ...] = ()) -> list[str]:
        """Console errors and uncaught exceptions, minus texts containing any of ``ignore``."""
        found = [f"{c['level']}: {c['text']} {c['url']}".strip() for c in self.console
                 if c["level"] in ("error", "assert")]
        found += [f"exception: {e}" for e in self.exceptions]
        return [e for e in found if not any(i in e for i in ignore)]
