"""The add-on's HTTP API and UI in process (real store, real GalateaAPI, aiohttp test server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from galatea_addon.server import AddonApp
from galatea_engine.api import GalateaAPI
from galatea_engine.store import ActivityStore

TOKEN = "t" * 43
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class FakeWorker:
    """Stands in for the engine worker (its runs are tested with the real process)."""

    def __init__(self) -> None:
        self.calls: list[bool] = []
        self.last_error: str | None = None

    def status(self) -> dict[str, Any]:
        return {"runs": len(self.calls), "full_runs": sum(self.calls), "running": False,
                "last_run": None, "last_duration_s": None, "last_new_activity": 0,
                "last_error": None, "next_run": None, "processed_upto": 10,
                "interval_s": 300.0, "nightly_hour": 3}

    async def run(self, *, full: bool = False) -> dict[str, Any]:
        self.calls.append(full)
        return {"new_activity": 0, "learned": [], "changed": [], "duration_s": 0.0}


def make_app(store: ActivityStore, proxy: str = "127.0.0.1", worker: Any = None) -> AddonApp:
    return AddonApp(api=GalateaAPI(store, UTC), store=store, tz=UTC, token=TOKEN,
                    ingress_proxy_ip=proxy, worker=worker or FakeWorker())


@pytest.fixture
async def client(seeded_store: ActivityStore) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(make_app(seeded_store).build(), host="127.0.0.1")) as c:
        yield c


async def test_token_or_ingress_required(client: TestClient) -> None:
    resp = await client.get("/api/health")
    assert resp.status == 401
    assert (await resp.json())["error"] == "unauthorized"
    resp = await client.get("/api/health", headers={"Authorization": "Bearer wrong"})
    assert resp.status == 401
    resp = await client.get("/", headers={"Authorization": "Basic " + TOKEN})
    assert resp.status == 401
    resp = await client.get("/api/health", headers=AUTH)
    assert resp.status == 200
    # Ingress: from the proxy address (127.0.0.1 here) with the header the Supervisor adds.
    resp = await client.get("/api/health", headers={"X-Ingress-Path": "/api/hassio_ingress/x"})
    assert resp.status == 200


async def test_ingress_header_from_elsewhere_is_refused(seeded_store: ActivityStore) -> None:
    app = make_app(seeded_store, proxy="172.30.32.2")
    async with TestClient(TestServer(app.build(), host="127.0.0.1")) as c:
        resp = await c.get("/api/routines", headers={"X-Ingress-Path": "/api/hassio_ingress/x"})
        assert resp.status == 401
        assert (await c.get("/api/routines", headers=AUTH)).status == 200


async def test_health(client: TestClient) -> None:
    body = await (await client.get("/api/health", headers=AUTH)).json()
    assert body["status"] == "ok"
    assert body["routines"] == 2
    assert body["memories"] == 2
    assert body["last_activity_id"] > 0
    assert body["engine"]["backlog"] == body["last_activity_id"] - 10
    assert body["store"]["schema_version"] >= 1


async def test_routines_confirm_reject(client: TestClient) -> None:
    body = await (await client.get("/api/routines", headers=AUTH)).json()
    keys = {r["key"]: r for r in body["routines"]}
    assert keys["wake_up:person.anna:weekdays"]["time"] == "06:45"
    resp = await client.post("/api/routines/reject", json={"key": "go_to_bed:household:daily"},
                             headers=AUTH)
    assert resp.status == 200
    assert (await resp.json())["status"] == "rejected"
    body = await (await client.get("/api/routines", headers=AUTH)).json()
    assert [r["key"] for r in body["routines"]] == ["wake_up:person.anna:weekdays"]
    body = await (await client.get("/api/routines?include_rejected=true", headers=AUTH)).json()
    assert {r["status"] for r in body["routines"]} == {"learned", "rejected"}
    resp = await client.post("/api/routines/confirm", json={"key": "wake_up:person.anna:weekdays"},
                             headers=AUTH)
    assert (await resp.json())["routine"]["status"] == "confirmed"
    body = await (await client.get("/api/routines?person=person.anna", headers=AUTH)).json()
    assert [r["status"] for r in body["routines"]] == ["confirmed"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "field"),
    [
        ("post", "/api/routines/confirm", {"json": {"key": "nope"}}, 404, "key"),
        ("post", "/api/routines/confirm", {"json": {}}, 400, "key"),
        ("post", "/api/routines/confirm", {"json": {"key": 5}}, 400, "key"),
        ("post", "/api/routines/confirm", {"json": ["key"]}, 400, "body"),
        ("post", "/api/routines/confirm", {"data": "key=x"}, 400, "body"),
        ("post", "/api/routines/confirm",
         {"data": "{oops", "headers": {"Content-Type": "application/json"}}, 400, "body"),
        ("post", "/api/remember", {"json": {"text": ""}}, 400, "text"),
        ("post", "/api/remember", {"json": {"text": "x" * 3000}}, 400, "text"),
        ("post", "/api/remember", {"json": {"text": "hi", "colour": "red"}}, 400, "colour"),
        ("post", "/api/forget", {"json": {"memory_id": "abc"}}, 400, "memory_id"),
        ("post", "/api/forget", {"json": {"memory_id": 999999}}, 404, "memory_id"),
        ("post", "/api/forget", {"json": {}}, 400, "memory_id"),
        ("get", "/api/recall", {}, 400, "query"),
        ("get", "/api/recall?query=coffee&limit=0", {}, 400, "limit"),
        ("get", "/api/recall?query=coffee&limit=many", {}, 400, "limit"),
        ("get", "/api/episodes?start=yesterday", {}, 400, "start"),
        ("get", "/api/episodes?start=2024-01-01T00:00:00", {}, 400, "start"),
        ("get", "/api/episodes?colour=red", {}, 400, "colour"),
        ("get", "/api/timeline?start=2024-01-02T00:00:00%2B00:00"
         "&end=2024-01-01T00:00:00%2B00:00", {}, 400, None),
        ("get", "/api/timeline?period=someday", {}, 400, "period"),
        ("get", "/api/usual_time", {}, 400, "kind"),
        ("get", "/api/usual_time?kind=juggling", {}, 400, "kind"),
        ("get", "/api/last_time", {}, 400, "what"),
        ("get", "/api/memories?type=dream", {}, 400, "type"),
        ("get", "/api/memories?status=maybe", {}, 400, "status"),
        ("get", "/api/routines?include_rejected=maybe", {}, 400, "include_rejected"),
        ("get", "/api/week?weeks=100", {}, 400, "weeks"),
        ("post", "/api/run", {"json": {"full": "yes"}}, 400, "full"),
        ("get", "/api/recall?query=" + "x" * 501, {}, 400, "query"),
        # The by-name route checks the same bounds as the named routes.
        ("post", "/api/call/recall", {"json": {"args": {"query": "coffee", "limit": -5}}},
         400, "args.limit"),
        ("post", "/api/call/recall", {"json": {"args": {"query": "x" * 501}}}, 400,
         "args.query"),
        ("post", "/api/call/recall", {"json": {"args": {"query": "coffee", "limit": True}}},
         400, "args.limit"),
        ("post", "/api/call/timeline", {"json": {"args": {"limit": 501}}}, 400, "args.limit"),
        ("post", "/api/call/remember", {"json": {"args": {"text": "x" * 2001}}}, 400,
         "args.text"),
        ("post", "/api/call/forget", {"json": {"args": {"memory_id": 0}}}, 400,
         "args.memory_id"),
        ("post", "/api/call/routines", {"json": {"args": {"person": {"a": 1}}}}, 400,
         "args.person"),
        ("post", "/api/call/routines", {"json": {"args": {"include_rejected": "yes"}}}, 400,
         "args.include_rejected"),
        ("post", "/api/call/timeline", {"json": {"args": {"start": {"$dt": "yesterday"}}}},
         400, "args.args"),
    ],
)
async def test_bad_requests_get_clear_errors(
    client: TestClient, method: str, path: str, kwargs: dict[str, Any], status: int,
    field: str | None,
) -> None:
    headers = {**AUTH, **kwargs.pop("headers", {})}
    resp = await getattr(client, method)(path, headers=headers, **kwargs)
    assert resp.status == status, await resp.text()
    body = await resp.json()
    assert body["message"]
    if field is not None:
        assert body.get("field") == field, body


async def test_remember_recall_forget(client: TestClient) -> None:
    resp = await client.post("/api/remember", json={"text": "The spare key is under the blue pot",
                                                    "subject": "door.front"}, headers=AUTH)
    assert resp.status == 200
    memory_id = (await resp.json())["id"]
    body = await (await client.get("/api/recall?query=where is the spare key", headers=AUTH)).json()
    assert body["memories"][0]["id"] == memory_id
    body = await (await client.get("/api/memories?q=spare key", headers=AUTH)).json()
    assert [m["id"] for m in body["memories"] if m["match"] == "words"] == [memory_id]
    assert body["matching"] == 1
    # Recall adds similar memories after the word matches (here: the other two, ranked).
    assert all(m["match"] == "similar" for m in body["memories"][1:])
    body = await (await client.get("/api/memories?q=coffee&type=semantic", headers=AUTH)).json()
    assert body["matching"] == 1
    assert all(m["type"] == "semantic" for m in body["memories"])
    assert "coffee" in body["memories"][0]["text"]
    body = await (await client.get("/api/memories?type=episodic", headers=AUTH)).json()
    assert body["count"] == 1
    resp = await client.post("/api/forget", json={"memory_id": memory_id}, headers=AUTH)
    assert resp.status == 200
    body = await (await client.get("/api/memories?q=spare", headers=AUTH)).json()
    assert body["matching"] == 0
    assert memory_id not in {m["id"] for m in body["memories"]}


async def test_reads(client: TestClient) -> None:
    body = await (await client.get("/api/usual_time?kind=wake_up", headers=AUTH)).json()
    assert body["found"] is True
    assert body["time"] == "06:45"
    body = await (await client.get("/api/last_time?what=kitchen light", headers=AUTH)).json()
    assert body["found"] is True
    body = await (await client.get("/api/timeline?period=last_7_days", headers=AUTH)).json()
    assert body["activity"]
    body = await (await client.get("/api/episodes", headers=AUTH)).json()
    assert body == {"episodes": []}
    body = await (await client.get("/api/activity_summary", headers=AUTH)).json()
    assert "total" in body


async def test_week_heatmap(client: TestClient) -> None:
    body = await (await client.get("/api/week?weeks=2", headers=AUTH)).json()
    assert len(body["counts"]) == 7
    assert all(len(row) == 24 for row in body["counts"])
    hours = {h for row in body["counts"] for h, n in enumerate(row) if n}
    assert hours == {7, 19, 22}
    assert body["total"] == sum(map(sum, body["counts"]))


async def test_run_engine_now(seeded_store: ActivityStore) -> None:
    worker = FakeWorker()
    async with TestClient(TestServer(make_app(seeded_store, worker=worker).build(),
                                     host="127.0.0.1")) as c:
        assert (await c.post("/api/run", json={"full": True}, headers=AUTH)).status == 200
        assert (await c.post("/api/run", headers=AUTH)).status == 200
    assert worker.calls == [True, False]


async def test_ui_is_local_and_relative(client: TestClient) -> None:
    ingress = {"X-Ingress-Path": "/api/hassio_ingress/abc"}
    resp = await client.get("/", headers=ingress)
    assert resp.status == 200
    html = await resp.text()
    assert 'src="static/app.js"' in html
    assert 'href="static/style.css"' in html
    assert "http://" not in html
    assert "https://" not in html
    assert "//" not in html.replace("://", "")
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    for name in ("app.js", "style.css"):
        resp = await client.get(f"/static/{name}", headers=ingress)
        assert resp.status == 200
        text = await resp.text()
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text
    js = await (await client.get("/static/app.js", headers=ingress)).text()
    assert 'fetch("api/' in js
    assert 'fetch("/api' not in js
    assert (await client.get("/static/../server.py", headers=ingress)).status == 404
    assert (await client.get("/static/server.py", headers=ingress)).status == 404


async def test_a_quiet_add_on_releases_what_answering_cached(seeded_store: ActivityStore) -> None:
    """After a burst of requests and a quiet spell, the add-on drops its answer caches (the
    recall index, the week) and settles its heap, once per burst."""
    import asyncio

    settled: list[int] = []
    app = AddonApp(api=GalateaAPI(seeded_store, UTC), store=seeded_store, tz=UTC, token=TOKEN,
                   ingress_proxy_ip="127.0.0.1", worker=FakeWorker(),
                   settle=lambda: settled.append(1), settle_after_s=0.2)
    async with TestClient(TestServer(app.build(), host="127.0.0.1")) as c:
        for _ in range(3):
            assert (await c.get("/api/memories?q=kitchen", headers=AUTH)).status == 200
            assert (await c.get("/api/week", headers=AUTH)).status == 200
        assert app.api._index is not None
        assert app._week_cache is not None
        assert settled == []  # not while requests keep coming
        for _ in range(50):
            if settled:
                break
            await asyncio.sleep(0.05)
        assert settled == [1]
        assert app.api._index is None
        assert app._week_cache is None
