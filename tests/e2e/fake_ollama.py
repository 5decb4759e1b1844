"""A stand-in for an Ollama server on 127.0.0.1: the remote LLM is the one thing e2e can't reach.

It speaks the wire protocol HA's ``ollama`` integration uses through the ``ollama`` client
(``GET /api/tags``, ``POST /api/show``, ``POST /api/pull``, ``POST /api/chat`` streamed as
NDJSON, ``tool_calls`` in the assistant message). What the "model" says is scripted: a
``Responder`` gets each chat request body and returns the assistant turn: text, tool calls, or
both. Every chat request is recorded (``chat_requests``) so a test can see what HA sent: the
system prompt, the tools offered, and the tool results after HA ran the tools.

Runs an aiohttp server on its own event loop in a daemon thread, so synchronous tests and
fixtures can start and stop it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

HOST = "127.0.0.1"
MODEL = "galatea-test:latest"


@dataclass
class Turn:
    """One assistant reply: text (streamed in a few chunks) and/or tool calls."""

    content: str = ""
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


type Responder = Callable[[dict[str, Any]], Turn]


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _model_entry(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "model": name,
        "modified_at": "2026-11-01T00:00:00Z",
        "size": 1_000_000,
        "digest": "0" * 64,
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "llama",
            "families": ["llama"],
            "parameter_size": "1B",
            "quantization_level": "Q4_0",
        },
    }


class FakeOllama:
    """``FakeOllama(responder).start()``; ``url`` for HA's config flow; ``stop()`` at the end."""

    def __init__(self, responder: Responder, models: tuple[str, ...] = (MODEL,)) -> None:
        self.responder = responder
        self.models = models
        self.chat_requests: list[dict[str, Any]] = []
        self.errors: list[str] = []  # exceptions raised by the responder (answered as 500)
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> FakeOllama:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve())
            except BaseException as err:  # reported to start()
                failure.append(err)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-ollama", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError("fake Ollama did not start")
        if failure:
            raise RuntimeError("fake Ollama did not start") from failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop = self._thread = None

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._root)
        app.router.add_get("/api/version", self._version)
        app.router.add_get("/api/tags", self._tags)
        app.router.add_get("/api/ps", self._tags)
        app.router.add_post("/api/show", self._show)
        app.router.add_post("/api/pull", self._pull)
        app.router.add_post("/api/chat", self._chat)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, 0)
        await site.start()
        server = site._server  # the only way to learn the bound port
        assert server is not None
        self.port = int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- endpoints -----------------------------------------------------------------------
    async def _root(self, request: web.Request) -> web.Response:
        return web.Response(text="Ollama is running")

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "0.12.0"})

    async def _tags(self, request: web.Request) -> web.Response:
        return web.json_response({"models": [_model_entry(m) for m in self.models]})

    async def _show(self, request: web.Request) -> web.Response:
        body = await request.json()
        name = body.get("model") or body.get("name")
        if name not in self.models:
            return web.json_response({"error": f"model '{name}' not found"}, status=404)
        return web.json_response({
            "modelfile": "", "parameters": "", "template": "{{ .Prompt }}",
            "details": _model_entry(name)["details"], "capabilities": ["completion", "tools"],
            "model_info": {"general.architecture": "llama", "llama.context_length": 8192},
            "modified_at": "2026-11-01T00:00:00Z",
        })

    async def _pull(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        name = str(body.get("model") or body.get("name"))
        if name not in self.models:
            self.models = (*self.models, name)
        return await self._ndjson(request, [{"status": "pulling manifest"}, {"status": "success"}])

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.chat_requests.append(body)
        model = body.get("model")
        if model not in self.models:
            return web.json_response({"error": f"model '{model}' not found"}, status=404)
        try:
            turn = self.responder(body)
        except Exception as err:  # a broken script: HA sees a server error, the test sees why
            self.errors.append(repr(err))
            return web.json_response({"error": f"fake responder failed: {err!r}"}, status=500)
        base = {"model": model}
        chunks: list[dict[str, Any]] = []
        if turn.tool_calls:
            chunks.append({**base, "created_at": _now(), "done": False, "message": {
                "role": "assistant", "content": "",
                "tool_calls": [
                    {"id": f"call_{i}", "function": {"index": i, "name": name, "arguments": args}}
                    for i, (name, args) in enumerate(turn.tool_calls)
                ],
            }})
        words = turn.content.split(" ")
        for i, word in enumerate(words if turn.content else []):
            piece = word if i == 0 else " " + word
            chunks.append({**base, "created_at": _now(), "done": False,
                           "message": {"role": "assistant", "content": piece}})
        chunks.append({**base, "created_at": _now(), "done": True, "done_reason": "stop",
                       "message": {"role": "assistant", "content": ""},
                       "total_duration": 1_000_000, "load_duration": 1000,
                       "prompt_eval_count": 10, "prompt_eval_duration": 1000,
                       "eval_count": max(1, len(words)), "eval_duration": 1000})
        if body.get("stream") is False:  # not what HA asks for, but the protocol allows it
            final = dict(chunks[-1])
            final["message"] = {"role": "assistant", "content": turn.content}
            if turn.tool_calls:
                final["message"]["tool_calls"] = chunks[0]["message"]["tool_calls"]
            return web.json_response(final)
        return await self._ndjson(request, chunks)

    async def _ndjson(
        self, request: web.Request, chunks: list[dict[str, Any]]
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for chunk in chunks:
            await response.write(json.dumps(chunk).encode() + b"\n")
        await response.write_eof()
        return response
