"""LLM session naming against a local fake OpenAI-compatible server (real wire protocol)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from galatea_engine.models import Episode
from galatea_engine.naming import (
    FileCache,
    NamingOptions,
    SessionNamer,
    StoreCache,
    signature,
    validate_reply,
)

TZ = ZoneInfo("Europe/Madrid")


class FakeOpenAI:
    """Serves /v1/chat/completions; each request pops the next behaviour (default: good)."""

    def __init__(self) -> None:
        self.behaviours: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.requests.append(json.loads(body))
                # Header names are case-insensitive: the client may send them in lower case.
                fake.headers.append({k.title(): v for k, v in self.headers.items()})
                mode = fake.behaviours.pop(0) if fake.behaviours else "good"
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "not found"}})
                elif mode == "slow":
                    time.sleep(1.5)
                    self._send(200, fake.completion('{"title": "Late", "summary": "Too late."}'))
                elif mode == "http500":
                    self._send(500, {"error": {"message": "boom", "type": "server_error"}})
                elif mode == "garbage":
                    self._raw(200, b"<html>not json</html>")
                elif mode == "prose":
                    self._send(200, fake.completion("Sure! This looks like cooking."))
                elif mode == "numbers":
                    self._send(
                        200,
                        fake.completion(
                            '{"title": "Cooking", "summary": "Cooked for 25 minutes at 13:30."}'
                        ),
                    )
                elif mode == "long":
                    self._send(
                        200,
                        fake.completion(
                            json.dumps({"title": "A very long title " * 5, "summary": "Fine."})
                        ),
                    )
                elif mode == "fenced":
                    self._send(
                        200,
                        fake.completion(
                            '```json\n{"title": "Making lunch", "summary": "Lunch was made."}\n```'
                        ),
                    )
                else:
                    self._send(
                        200,
                        fake.completion(
                            '{"title": "Making lunch", "summary": "Someone cooked a meal."}'
                        ),
                    )

            def _send(self, code: int, payload: dict[str, Any]) -> None:
                self._raw(code, json.dumps(payload).encode())

            def _raw(self, code: int, data: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = False  # server_close() joins handlers: no stray threads
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @staticmethod
    def completion(content: str) -> dict[str, Any]:
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "fake-model",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """HA's harness blocks sockets; connections stay limited to 127.0.0.1 (no network)."""


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


def _session(
    area: str = "Kitchen",
    label: str = "cooking",
    hour: int = 13,
    minutes: int = 25,
    entities: tuple[str, ...] = ("binary_sensor.oven",),
) -> Episode:
    start = datetime(2026, 1, 12, hour, 30, tzinfo=TZ)
    return Episode(
        kind="session",
        start=start,
        end=start + timedelta(minutes=minutes),
        area=area,
        label=label,
        detail={"role": "kitchen", "entities": list(entities)},
    )


def _opts(fake: FakeOpenAI, **kw: Any) -> NamingOptions:
    return NamingOptions(
        base_url=fake.base_url,
        model="fake-model",
        api_key="k",
        timeout_s=kw.pop("timeout_s", 5.0),
        **kw,
    )


def test_good_reply_names_the_session_and_numbers_come_from_us(fake: FakeOpenAI) -> None:
    ep = _session()
    report = SessionNamer(_opts(fake)).name([ep])
    assert report.calls == 1
    assert report.fallbacks == 0
    assert ep.detail["title"] == "Making lunch"
    assert ep.detail["named_by"] == "llm"
    assert ep.detail["summary"] == "Someone cooked a meal (13:30-13:55, 25 min)."
    assert ep.label == "cooking"  # the rule intent is untouched
    sent = fake.requests[0]
    assert sent["model"] == "fake-model"
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    user = json.loads(sent["messages"][1]["content"])
    assert not any(ch.isdigit() for ch in json.dumps(user))  # nothing exact to echo back
    assert fake.headers[0].get("Authorization") == "Bearer k"


@pytest.mark.parametrize("mode", ["http500", "garbage", "prose", "numbers", "long"])
def test_bad_replies_fall_back_to_rules(fake: FakeOpenAI, mode: str) -> None:
    fake.behaviours = [mode]
    ep = _session()
    report = SessionNamer(_opts(fake)).name([ep])
    assert report.calls == 1
    assert report.fallbacks == 1
    assert report.errors
    assert ep.detail["named_by"] == "rules"
    assert ep.detail["title"] == "Cooking"
    assert "25 min" in ep.detail["summary"]


def test_fenced_json_is_accepted(fake: FakeOpenAI) -> None:
    fake.behaviours = ["fenced"]
    ep = _session()
    SessionNamer(_opts(fake)).name([ep])
    assert ep.detail["title"] == "Making lunch"


def test_timeout_falls_back_and_stops_calling(fake: FakeOpenAI) -> None:
    fake.behaviours = ["slow", "slow", "slow"]
    eps = [_session(area=f"Kitchen {name}") for name in ("a", "b", "c")]
    started = time.monotonic()
    report = SessionNamer(_opts(fake, timeout_s=0.3, max_failures=2)).name(eps)
    assert time.monotonic() - started < 1.4 * 2 + 1  # no retries, no third call
    assert report.calls == 2
    assert report.fallbacks == 3
    assert all(e.detail["named_by"] == "rules" for e in eps)


def test_budget_limits_calls_per_run(fake: FakeOpenAI) -> None:
    eps = [_session(area=name) for name in ("Kitchen", "Cocina", "Küche")]
    report = SessionNamer(_opts(fake, max_calls=2)).name(eps)
    assert report.calls == 2
    assert len(fake.requests) == 2
    assert [e.detail["named_by"] for e in eps] == ["llm", "llm", "rules"]


def test_cache_by_signature_on_disk(fake: FakeOpenAI, tmp_path: Path) -> None:
    path = tmp_path / "names.json"
    first = _session()
    SessionNamer(_opts(fake), cache=FileCache(path)).name([first])
    assert len(fake.requests) == 1
    # Same kind of session another day, other times: the same signature, no new call.
    again = _session(minutes=26)
    again.start += timedelta(days=1)
    again.end += timedelta(days=1)
    assert signature(again, "fake-model") == signature(first, "fake-model")
    report = SessionNamer(_opts(fake), cache=FileCache(path)).name([again])
    assert report.cache_hits == 1
    assert len(fake.requests) == 1
    assert again.detail["named_by"] == "cache"
    assert again.detail["title"] == "Making lunch"


def test_corrupt_cache_file_is_ignored(fake: FakeOpenAI, tmp_path: Path) -> None:
    path = tmp_path / "names.json"
    path.write_text("{not json")
    ep = _session()
    SessionNamer(_opts(fake), cache=FileCache(path)).name([ep])
    assert ep.detail["named_by"] == "llm"
    assert json.loads(path.read_text())


def test_unreachable_server_and_disabled_naming_use_rules() -> None:
    ep = _session()
    opts = NamingOptions(base_url="http://127.0.0.1:9/v1", api_key="k", timeout_s=0.5)
    report = SessionNamer(opts).name([ep])
    assert ep.detail["named_by"] == "rules"
    assert report.errors
    ep2 = _session()
    report = SessionNamer(enabled=False).name([ep2])
    assert report.calls == 0
    assert ep2.detail["named_by"] == "rules"


def test_non_sessions_are_left_alone() -> None:
    sleep = Episode(
        kind="sleep",
        start=datetime(2026, 1, 12, 23, tzinfo=TZ),
        end=datetime(2026, 1, 13, 7, tzinfo=TZ),
    )
    SessionNamer(enabled=False).name([sleep])
    assert "title" not in sleep.detail


def test_validate_reply_rules() -> None:
    opts = NamingOptions()
    assert validate_reply('{"title": "Tea time", "summary": "Tea was made."}', opts) == (
        "Tea time",
        "Tea was made.",
    )
    for bad in (
        '{"title": "", "summary": "x"}',
        '["x"]',
        '{"title": "Two 2", "summary": "x"}',
        '{"title": "ok", "summary": "<script>"}',
    ):
        with pytest.raises(ValueError):
            validate_reply(bad, opts)


def test_options_from_integration_mapping() -> None:
    opts = NamingOptions.from_mapping(
        {
            "llm_base_url": "http://127.0.0.1:1/v1",
            "llm_model": "m",
            "max_calls": "3",
            "timeout_s": "oops",
            "unrelated": 1,
        }
    )
    assert (opts.base_url, opts.model, opts.max_calls) == ("http://127.0.0.1:1/v1", "m", 3)
    assert opts.timeout_s == NamingOptions().timeout_s


def test_store_cache_round_trip(fake: FakeOpenAI, tmp_path: Path) -> None:
    from galatea_engine.store import ActivityStore

    store = ActivityStore(f"sqlite:///{tmp_path / 'g.db'}")
    try:
        SessionNamer(_opts(fake), cache=StoreCache(store)).name([_session()])
        again = _session()
        report = SessionNamer(_opts(fake), cache=StoreCache(store)).name([again])
        assert report.cache_hits == 1
        assert again.detail["title"] == "Making lunch"
        assert len(fake.requests) == 1
    finally:
        store.stop()
