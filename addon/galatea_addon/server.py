"""The add-on's HTTP API (for the integration) and its ingress web UI.

Every route needs either the shared token the integration learned through Supervisor discovery
(``Authorization: Bearer ...``) or to come through ingress: from the Supervisor's proxy address
with an ``X-Ingress-Path`` header (the Supervisor has already authenticated the HA user).
Reads and writes go to ``GalateaAPI``, the same object the embedded integration uses.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from importlib import resources
from typing import Any

from aiohttp import web
from galatea_engine.api import APIError, GalateaAPI
from galatea_engine.backend import BACKEND_METHODS
from galatea_engine.models import ValidationError, parse_ts, to_jsonable

LOGGER = logging.getLogger(__name__)

MAX_QUERY_CHARS = 500
HEALTH_TTL_S = 30.0
MAX_TEXT_CHARS = 2000
STATIC_FILES = {
    "index.html": "text/html",
    "app.js": "application/javascript",
    "style.css": "text/css",
    "favicon.svg": "image/svg+xml",
}

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def decode_args(value: Any) -> Any:
    """JSON -> Python for call arguments: ``{"$dt": iso}`` becomes an aware datetime."""
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return parse_ts(value["$dt"], "args")
        return {k: decode_args(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_args(v) for v in value]
    return value


class BadRequest(ValueError):
    """A request the API refuses with 400; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# ``/api/call/{method}`` arguments: the same bounds as the named routes. Integers by name
# (range per method where it differs), texts by name (longest allowed), booleans by name; any
# other argument must be a short text, a time or absent.
_INT_ARGS: dict[str, tuple[int, int]] = {"limit": (1, 1000), "memory_id": (1, 2**63 - 1),
                                         "weeks": (1, 52)}
_INT_ARGS_BY_METHOD: dict[tuple[str, str], tuple[int, int]] = {
    ("recall", "limit"): (1, 100), ("timeline", "limit"): (1, 500),
}
_TEXT_ARGS: dict[str, int] = {"query": MAX_QUERY_CHARS, "q": MAX_QUERY_CHARS,
                              "text": MAX_TEXT_CHARS}
_MAX_NAME_CHARS = 255


def check_call_args(method: str, args: Mapping[str, Any]) -> None:
    """Refuse (``BadRequest``) any argument outside what the named routes accept."""
    for key, value in args.items():
        if value is None:
            continue
        field = f"args.{key}"
        bounds = _INT_ARGS_BY_METHOD.get((method, key)) or _INT_ARGS.get(key)
        if bounds is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadRequest(field, "must be an integer")
            if not bounds[0] <= value <= bounds[1]:
                raise BadRequest(field, f"must be between {bounds[0]} and {bounds[1]}")
        elif key.startswith("include_") or key in ("detail", "full"):
            if not isinstance(value, bool):
                raise BadRequest(field, "must be true or false")
        elif isinstance(value, datetime):
            continue
        elif isinstance(value, list):  # e.g. routine_states(absent=[person ids])
            if len(value) > 100 or not all(
                    isinstance(v, str) and len(v) <= _MAX_NAME_CHARS for v in value):
                raise BadRequest(field, "must be a list of at most 100 short texts")
        elif isinstance(value, str):
            limit = _TEXT_ARGS.get(key, _MAX_NAME_CHARS)
            if len(value) > limit:
                raise BadRequest(field, f"longer than {limit} characters")
            if key in ("query", "q", "text") and not value.strip():
                raise BadRequest(field, "must not be empty")
        else:
            raise BadRequest(field, "must be a string, a time or an integer")


def _error(status: int, error: str, message: str, field: str | None = None) -> web.Response:
    body: dict[str, Any] = {"error": error, "message": message}
    if field:
        body["field"] = field
    return web.json_response(body, status=status)


class AddonApp:
    """Holds the store, the API object, the engine worker and the request executor."""

    def __init__(
        self,
        *,
        api: Any,
        store: Any,
        tz: tzinfo,
        token: str,
        ingress_proxy_ip: str,
        worker: Any = None,
        max_threads: int = 2,
        extra_health: Callable[[], Mapping[str, Any]] | None = None,
        settle: Callable[[], None] | None = None,
        settle_after_s: float = 10.0,
    ) -> None:
        self.api = api
        self.store = store
        self.tz = tz
        self.token = token
        self.ingress_proxy_ip = ingress_proxy_ip
        self.worker = worker
        self.extra_health = extra_health
        self.started = time.time()
        self._executor = ThreadPoolExecutor(
            max_workers=max_threads, thread_name_prefix="galatea-api"
        )
        self._week_cache: tuple[float, int, dict[str, Any]] | None = None
        self._health_cache: tuple[float, Any, dict[str, Any]] | None = None
        self.requests: Counter[str] = Counter()  # by caller: integration, ingress, refused
        # Run once the requests have stopped for ``settle_after_s`` (on a worker thread): drops
        # what answering cached (the recall index, the week's heatmap; rebuilt by the next
        # request, a search in ~150 ms instead of ~60) and hands the heap back, so the add-on
        # at rest stays small after use, not only after a run.
        self.settle = settle
        self.settle_after_s = settle_after_s
        self._settle_handle: asyncio.TimerHandle | None = None

    # -- plumbing ----------------------------------------------------------------------------

    def build(self) -> web.Application:
        app = web.Application(
            middlewares=[self._settled, self._errors, self._auth], client_max_size=64 * 1024
        )
        r = app.router
        r.add_get("/", self.index)
        r.add_get("/static/{name}", self.static)
        r.add_get("/api/health", self.health)
        r.add_get("/api/routines", self.routines)
        r.add_get("/api/episodes", self.episodes)
        r.add_get("/api/timeline", self.timeline)
        r.add_get("/api/recall", self.recall)
        r.add_get("/api/last_time", self.last_time)
        r.add_get("/api/usual_time", self.usual_time)
        r.add_get("/api/memories", self.memories)
        r.add_get("/api/week", self.week)
        r.add_get("/api/activity_summary", self.activity_summary)
        r.add_post("/api/remember", self.remember)
        r.add_post("/api/routines/confirm", partial(self.routine_status, "confirm_routine"))
        r.add_post("/api/routines/reject", partial(self.routine_status, "reject_routine"))
        r.add_post("/api/forget", self.forget)
        r.add_post("/api/run", self.run_engine)
        r.add_post("/api/call/{method}", self.call)
        app.on_cleanup.append(self._cleanup)
        return app

    async def _cleanup(self, _app: web.Application) -> None:
        if self._settle_handle is not None:
            self._settle_handle.cancel()
        # Queued requests are dropped; the ones running finish (off the loop) before we go.
        self._executor.shutdown(wait=False, cancel_futures=True)
        await asyncio.get_running_loop().run_in_executor(
            None, partial(self._executor.shutdown, wait=True)
        )

    @web.middleware
    async def _settled(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        finally:
            self._settle_later()

    def _settle_later(self) -> None:
        """(Re)start the quiet-time timer after a request (debounced: one settle per burst)."""
        if self.settle is None:
            return
        loop = asyncio.get_running_loop()
        if self._settle_handle is not None:
            self._settle_handle.cancel()
        settle = self.settle

        def release() -> None:
            self._week_cache = None
            self._health_cache = None
            invalidate = getattr(self.api, "invalidate", None)
            if callable(invalidate):
                invalidate()
            settle()

        def run() -> None:
            self._settle_handle = None
            loop.run_in_executor(self._executor, release)

        self._settle_handle = loop.call_later(self.settle_after_s, run)

    def is_ingress(self, request: web.Request) -> bool:
        return request.remote == self.ingress_proxy_ip and "X-Ingress-Path" in request.headers

    def has_token(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), self.token.encode()
        )

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.has_token(request):
            self.requests["integration"] += 1
            return await handler(request)
        if self.is_ingress(request):
            self.requests["ingress"] += 1
            return await handler(request)
        self.requests["refused"] += 1
        LOGGER.debug("Refused %s %s from %s", request.method, request.path, request.remote)
        return _error(401, "unauthorized", "a valid token or an ingress request is required")

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadRequest as err:
            return _error(400, "bad_request", err.message, err.field)
        except APIError as err:
            status = 404 if err.code == "not_found" else 400
            field = next(iter(err.placeholders), None)
            return _error(status, err.code, str(err), field)
        except ValidationError as err:
            return _error(400, "bad_request", err.message, err.field)
        except LookupError as err:
            return _error(404, "not_found", str(err).strip("'\""))
        except web.HTTPException:
            raise
        except ValueError as err:
            return _error(400, "bad_request", str(err))
        except Exception:
            LOGGER.exception("Request %s %s failed", request.method, request.path)
            return _error(500, "internal_error", "the add-on could not answer; see its log")

    async def _call(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(func, *args, **kwargs))

    async def _api(self, method: str, **kwargs: Any) -> web.Response:
        result = await self._call(getattr(self.api, method), **kwargs)
        return web.json_response(to_jsonable(result), dumps=_dumps)

    # -- parameters --------------------------------------------------------------------------

    @staticmethod
    def _query(request: web.Request, allowed: set[str]) -> dict[str, str]:
        unknown = sorted(set(request.query) - allowed)
        if unknown:
            names = ", ".join(sorted(allowed))
            raise BadRequest(unknown[0], f"unknown parameter (allowed: {names})")
        out: dict[str, str] = {}
        for key in allowed:
            value = request.query.get(key)
            if value is None or value == "":
                continue
            if len(value) > MAX_QUERY_CHARS:
                raise BadRequest(key, f"longer than {MAX_QUERY_CHARS} characters")
            out[key] = value
        return out

    @staticmethod
    def _ts(params: dict[str, str], key: str) -> datetime | None:
        if key not in params:
            return None
        ts: datetime = parse_ts(params[key], key)
        return ts

    @staticmethod
    def _int(params: Mapping[str, Any], key: str, default: int, lo: int, hi: int) -> int:
        raw = params.get(key, default)
        try:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            value = int(raw)
        except (TypeError, ValueError):
            raise BadRequest(key, "must be an integer") from None
        if not lo <= value <= hi:
            raise BadRequest(key, f"must be between {lo} and {hi}")
        return value

    @staticmethod
    def _bool(params: Mapping[str, str], key: str, *, default: bool = False) -> bool:
        raw = params.get(key)
        if raw is None:
            return default
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise BadRequest(key, "must be true or false")

    @staticmethod
    async def _body(request: web.Request, allowed: set[str]) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise BadRequest("body", "send JSON (Content-Type: application/json)")
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadRequest("body", "is not valid JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("body", "must be a JSON object")
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise BadRequest(unknown[0], f"unknown field (allowed: {', '.join(sorted(allowed))})")
        return body

    @staticmethod
    def _text(body: Mapping[str, Any], key: str, *, required: bool, limit: int) -> str | None:
        value = body.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise BadRequest(key, "is required")
            return None
        if not isinstance(value, str):
            raise BadRequest(key, "must be a string")
        if len(value) > limit:
            raise BadRequest(key, f"longer than {limit} characters")
        return value.strip()

    # -- UI ----------------------------------------------------------------------------------

    async def index(self, _request: web.Request) -> web.Response:
        return self._static_file("index.html")

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound
        return self._static_file(name)

    @staticmethod
    def _static_file(name: str) -> web.Response:
        data = resources.files(__package__).joinpath("static", name).read_bytes()
        return web.Response(
            body=data,
            content_type=STATIC_FILES[name],
            charset="utf-8",
            headers={
                "Cache-Control": "no-cache",
                # Everything is local: no CDN, no inline scripts from elsewhere.
                "Content-Security-Policy": "default-src 'self'; style-src 'self'; "
                "img-src 'self' data:; connect-src 'self'",
            },
        )

    # -- reads -------------------------------------------------------------------------------

    async def health(self, _request: web.Request) -> web.Response:
        def collect() -> dict[str, Any]:
            out: dict[str, Any] = {}
            try:
                out.update(self._api_health())
            except Exception as err:  # health must answer even when the engine is unwell
                out["api_error"] = f"{type(err).__name__}: {err}"
            try:
                stats = self.store.stats()
                out["store"] = to_jsonable(stats)
            except Exception as err:
                out["store_error"] = str(err)
            last_id = int(self.store.last_activity_id() or 0)
            out["last_activity_id"] = last_id
            return out

        out = await self._call(collect)
        out["status"] = "ok"
        out["uptime_s"] = round(time.time() - self.started, 1)
        out["time_zone"] = str(self.tz)
        out["requests"] = dict(self.requests)
        if self.worker is not None:
            engine = self.worker.status()
            engine["backlog"] = max(0, out["last_activity_id"] - engine["processed_upto"])
            out["engine"] = engine
        if self.extra_health is not None:
            out.update(self.extra_health())
        return web.json_response(out, dumps=_dumps)

    def _api_health(self) -> dict[str, Any]:
        """``GalateaAPI.health()`` (it counts every memory: a second with a year of them),
        recomputed at most every HEALTH_TTL_S or after an engine run that processed something."""
        status = self.worker.status() if self.worker is not None else {}
        runs = (status.get("processed_upto"), status.get("full_runs"))  # new results only
        cached = self._health_cache
        if cached is not None and cached[1] == runs and time.monotonic() - cached[0] < HEALTH_TTL_S:
            return cached[2]
        value: dict[str, Any] = to_jsonable(self.api.health()) or {}
        self._health_cache = (time.monotonic(), runs, value)
        return value

    async def routines(self, request: web.Request) -> web.Response:
        params = self._query(request, {"person", "include_rejected"})
        return await self._api(
            "routines",
            person=params.get("person"),
            include_rejected=self._bool(params, "include_rejected"),
        )

    async def episodes(self, request: web.Request) -> web.Response:
        params = self._query(request, {"start", "end", "kind", "area", "person", "limit"})
        return await self._api(
            "episodes",
            start=self._ts(params, "start"),
            end=self._ts(params, "end"),
            kind=params.get("kind"),
            area=params.get("area"),
            person=params.get("person"),
            limit=self._int(params, "limit", 100, 1, 1000),
        )

    async def timeline(self, request: web.Request) -> web.Response:
        params = self._query(request, {"start", "end", "area", "person", "period", "limit"})
        return await self._api(
            "timeline",
            start=self._ts(params, "start"),
            end=self._ts(params, "end"),
            area=params.get("area"),
            person=params.get("person"),
            period=params.get("period"),
            limit=self._int(params, "limit", 50, 1, 500),
        )

    async def recall(self, request: web.Request) -> web.Response:
        params = self._query(request, {"query", "limit", "subject", "include_closed"})
        if "query" not in params:
            raise BadRequest("query", "is required")
        return await self._api(
            "recall",
            query=params["query"],
            limit=self._int(params, "limit", 5, 1, 100),
            subject=params.get("subject"),
            include_closed=self._bool(params, "include_closed"),
        )

    async def last_time(self, request: web.Request) -> web.Response:
        params = self._query(request, {"what", "entity_id", "area", "kind", "person"})
        if not set(params) - {"person"}:
            raise BadRequest("what", "give at least one of what, entity_id, area, kind")
        return await self._api("last_time", **params)

    async def usual_time(self, request: web.Request) -> web.Response:
        params = self._query(request, {"kind", "person"})
        if "kind" not in params:
            raise BadRequest("kind", "is required")
        return await self._api("usual_time", **params)

    async def activity_summary(self, request: web.Request) -> web.Response:
        params = self._query(request, {"since"})
        return await self._api("activity_summary", since=self._ts(params, "since"))

    async def memories(self, request: web.Request) -> web.Response:
        """The memory browser (and ``GalateaAPI.memories``): newest learned first, filtered by
        words (``q``: every word must appear), type, subject and status; with ``q``, memories
        recall finds similar (``match: similar``) follow the word matches."""
        params = self._query(
            request, {"q", "type", "status", "subject", "include_closed", "limit"}
        )
        mtype = params.get("type")
        if mtype is not None and mtype not in ("episodic", "semantic", "procedural"):
            raise BadRequest("type", "must be episodic, semantic or procedural")
        status = params.get("status")
        if status is not None and status not in ("active", "confirmed", "rejected", "closed"):
            raise BadRequest("status", "must be active, confirmed, rejected or closed")
        limit = self._int(params, "limit", 200, 1, 1000)
        words = [w for w in params.get("q", "").lower().split() if w]
        include_closed = self._bool(params, "include_closed", default=False)

        def collect() -> tuple[list[dict[str, Any]], int]:
            rows = self.store.memories(
                type=mtype, status=params.get("status"),
                include_closed=include_closed,
            )
            if "subject" in params:
                rows = [m for m in rows if m.subject == params["subject"]]
            if words:
                rows = [
                    m for m in rows
                    if all(w in f"{m.text} {m.subject or ''} {m.type}".lower() for w in words)
                ]
            oldest = datetime.min.replace(tzinfo=UTC)
            rows.sort(key=lambda m: m.learned_at or m.valid_from or oldest, reverse=True)
            out = [{**GalateaAPI.memory_dict(m), "match": "words"} for m in rows[:limit]]
            if words and len(out) < limit:
                seen = {d["id"] for d in out}
                try:
                    similar = self.api.recall(params["q"], limit=min(20, limit - len(out)),
                                              include_closed=include_closed)["memories"]
                except APIError:
                    similar = []
                for d in similar:
                    if d["id"] in seen or (mtype and d["type"] != mtype) or (
                        "subject" in params and d["subject"] != params["subject"]) or (
                        "status" in params and d["status"] != params["status"]):
                        continue
                    out.append({**d, "match": "similar"})
            return out, len(rows)

        rows, matching = await self._call(collect)
        return web.json_response(
            {"memories": rows, "count": len(rows), "matching": matching}, dumps=_dumps)

    async def week(self, request: web.Request) -> web.Response:
        """Activity counts by weekday (Monday = 0) and local hour over the last weeks."""
        params = self._query(request, {"weeks"})
        weeks = self._int(params, "weeks", 4, 1, 52)
        cached = self._week_cache
        if cached is not None and cached[1] == weeks and time.monotonic() - cached[0] < 60:
            return web.json_response(cached[2])

        def collect() -> dict[str, Any]:
            end = datetime.now(UTC)
            start = end - timedelta(weeks=weeks)
            grid = [[0] * 24 for _ in range(7)]
            total = 0
            for ev in self.store.iter_activity(start=start, end=end):
                local = ev.ts.astimezone(self.tz)
                grid[local.weekday()][local.hour] += 1
                total += 1
            return {
                "weeks": weeks, "start": start.isoformat(), "end": end.isoformat(),
                "time_zone": str(self.tz), "counts": grid, "total": total,
            }

        out = await self._call(collect)
        self._week_cache = (time.monotonic(), weeks, out)
        return web.json_response(out)

    # -- writes ------------------------------------------------------------------------------

    async def remember(self, request: web.Request) -> web.Response:
        body = await self._body(request, {"text", "subject"})
        text = self._text(body, "text", required=True, limit=MAX_TEXT_CHARS)
        subject = self._text(body, "subject", required=False, limit=255)
        return await self._api("remember", text=text, subject=subject)

    async def routine_status(self, method: str, request: web.Request) -> web.Response:
        body = await self._body(request, {"key"})
        key = self._text(body, "key", required=True, limit=255)
        return await self._api(method, key=key)

    async def forget(self, request: web.Request) -> web.Response:
        body = await self._body(request, {"memory_id"})
        raw = body.get("memory_id")
        if raw is None:
            raise BadRequest("memory_id", "is required")
        memory_id = self._int(body, "memory_id", 0, 1, 2**63 - 1)
        return await self._api("forget", memory_id=memory_id)

    async def call(self, request: web.Request) -> web.Response:
        """One engine operation of ``EngineBackend`` by name (the ``GalateaAPI`` method of that
        name): ``{"args": {...}}`` are its keyword arguments. The integration's add-on backend
        sends exactly these."""
        method = request.match_info["method"]
        if method not in BACKEND_METHODS:  # the one list, shared with the integration
            return _error(404, "not_found", f"no API method {method!r}", "method")
        body = await self._body(request, {"args"})
        args = body.get("args") or {}
        if not isinstance(args, dict):
            raise BadRequest("args", "must be an object of keyword arguments")
        func = getattr(self.api, method)
        try:
            inspect.signature(func).bind(**args)
        except TypeError as err:
            raise BadRequest("args", str(err)) from None
        try:
            decoded = decode_args(args)
        except ValidationError as err:
            raise BadRequest(f"args.{err.field}", err.message) from None
        check_call_args(method, decoded)
        return await self._api(method, **decoded)

    async def run_engine(self, request: web.Request) -> web.Response:
        """Run the engine now (``{"full": true}`` for a full re-mine); answers its summary."""
        body = await self._body(request, {"full"}) if request.can_read_body else {}
        full = body.get("full", False)
        if not isinstance(full, bool):
            raise BadRequest("full", "must be true or false")
        if self.worker is None:
            return _error(503, "engine_off", "the engine loop is not running")
        summary = await self.worker.run(full=full)
        if summary is None:
            return _error(500, "engine_failed", self.worker.last_error or "engine run failed")
        as_dict = getattr(summary, "as_dict", None)
        return web.json_response(as_dict() if as_dict else to_jsonable(summary), dumps=_dumps)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, default=str, separators=(",", ":"))
