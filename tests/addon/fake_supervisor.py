"""A stand-in for the Supervisor's HTTP endpoints the add-on calls (``/discovery``) and Home
Assistant's REST API behind ``http://supervisor/core`` (``/api/config``, ``/api/events``).
The real ones are out of reach here; this one checks the token and records every call."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiohttp import web


class FakeSupervisor:
    def __init__(self, token: str, time_zone: str = "Europe/Berlin") -> None:
        self.token = token
        self.time_zone = time_zone
        self.discoveries: list[dict[str, Any]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.unauthorized = 0
        self.llm_requests: list[tuple[str | None, dict[str, Any]]] = []
        self.discovered = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _authorized(self, request: web.Request) -> bool:
        ok = request.headers.get("Authorization") == f"Bearer {self.token}"
        self.unauthorized += not ok
        return ok

    async def discovery(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"result": "error", "message": "unauthorized"}, status=401)
        body = await request.json()
        if set(body) != {"service", "config"}:
            return web.json_response({"result": "error", "message": "bad body"}, status=400)
        self.discoveries.append(body)
        self.discovered.set()
        return web.json_response({"result": "ok", "data": {"uuid": uuid.uuid4().hex}})

    async def ha_config(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"message": "unauthorized"}, status=401)
        return web.json_response({"time_zone": self.time_zone, "version": "2025.4.4"})

    async def ha_event(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"message": "unauthorized"}, status=401)
        self.events.append((request.match_info["event_type"], await request.json()))
        return web.json_response({"message": "Event fired."})

    async def chat(self, request: web.Request) -> web.Response:
        """An OpenAI-compatible chat endpoint (``llm_endpoint`` = ``{url}/v1``)."""
        body = await request.json()
        self.llm_requests.append((request.headers.get("Authorization"), body))
        content = json.dumps({"title": "Evening television",
                              "summary": "Someone watched television in the living room."})
        return web.json_response({
            "id": "chatcmpl-test", "object": "chat.completion", "created": 0,
            "model": body.get("model", "test"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
        })

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/discovery", self.discovery)
        app.router.add_get("/core/api/config", self.ha_config)
        app.router.add_post("/core/api/events/{event_type}", self.ha_event)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class IngressProxy:
    """What the Supervisor's ingress does for the UI: ``/api/hassio_ingress/<token>/...`` is
    forwarded to the add-on with ``X-Ingress-Path`` (the add-on trusts it only from the proxy's
    address, 127.0.0.1 in tests)."""

    def __init__(self, target: str, token: str = "ingress0token") -> None:
        self.target = target.rstrip("/")
        self.token = token
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._session: Any = None

    @property
    def base(self) -> str:
        return f"/api/hassio_ingress/{self.token}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base}/"

    async def forward(self, request: web.Request) -> web.Response:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession()
        tail = request.match_info["tail"]
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "content-length", "authorization")}
        headers["X-Ingress-Path"] = self.base
        async with self._session.request(
            request.method, f"{self.target}/{tail}", params=request.query, headers=headers,
            data=await request.read(),
        ) as resp:
            body = await resp.read()
            keep = {k: v for k, v in resp.headers.items()
                    if k.lower() in ("content-type", "cache-control", "content-security-policy")}
            return web.Response(body=body, status=resp.status, headers=keep)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", self.base + "/{tail:.*}", self.forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
