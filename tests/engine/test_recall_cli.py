"""``galatea recall`` and the OpenAI-compatible embedder against a local fake server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from galatea_engine.api import GalateaAPI
from galatea_engine.cli import main
from galatea_engine.memory.embedding import LocalEmbedder, OpenAIEmbedder
from galatea_engine.memory.formation import embed_missing
from galatea_engine.models import Memory
from galatea_engine.store import ActivityStore

TZ = ZoneInfo("UTC")


class _Embeddings(BaseHTTPRequestHandler):
    calls: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.calls.append({"path": self.path, "auth": self.headers.get("Authorization"),
                           "body": body})
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        vecs = LocalEmbedder(dim=32).embed(inputs)
        data = [{"object": "embedding", "index": i, "embedding": vecs[i].tolist()}
                for i in reversed(range(len(inputs)))]  # out of order on purpose
        payload = json.dumps({"object": "list", "data": data, "model": body["model"],
                              "usage": {"prompt_tokens": 3, "total_tokens": 3}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_server(socket_enabled: None) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Embeddings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _store(tmp_path: Path) -> ActivityStore:
    store = ActivityStore(path=tmp_path / "g.db")
    now = datetime(2026, 11, 21, 12, tzinfo=TZ)
    for i, text in enumerate(["Kitchen light is usually on at 18:30 while cooking",
                              "The front door was opened at 03:12 by someone",
                              "Ben waters the plants on Sundays"]):
        store.add_memory(Memory(type="semantic", text=text, key=f"m{i}",
                                learned_at=now - timedelta(days=i), valid_from=now))
    return store


def test_openai_embedder_wire_protocol(fake_server: str, tmp_path: Path) -> None:
    _Embeddings.calls.clear()
    emb = OpenAIEmbedder(base_url=fake_server, api_key="sk-test", model="tiny-embed")
    mat = emb.embed(["kitchen", "front door"])
    assert mat.shape == (2, 32)
    assert emb.dim == 32
    expected = LocalEmbedder(dim=32).embed(["kitchen", "front door"])
    assert np.allclose(mat, expected, atol=1e-5)  # re-ordered by index
    call = _Embeddings.calls[0]
    assert call["path"] == "/v1/embeddings"
    assert call["auth"] == "Bearer sk-test"
    assert call["body"]["model"] == "tiny-embed"
    store = _store(tmp_path)
    assert embed_missing(store, LocalEmbedder()) == 3  # what the engine stores (256 wide)
    remote = OpenAIEmbedder(base_url=fake_server, api_key="sk-test", model="tiny-embed")
    api = GalateaAPI(store, TZ, embedder=remote)
    hits = api.recall("door opened")["memories"]
    assert "front door" in hits[0]["text"]
    assert hits[0]["score"] > 0.3  # the similarity counted: vectors re-embedded 32 wide
    assert {len(v) for v in store.embeddings().values()} == {32 * 4}  # stored for next time
    assert embed_missing(store, LocalEmbedder()) == 0  # the engine leaves them alone
    store.stop()


def test_cli_recall_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _store(tmp_path).stop()
    db = str(tmp_path / "g.db")
    assert main(["recall", "kitchen", "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["memories"][0]["text"].startswith("Kitchen light")
    assert main(["recall", "plants", "--db", db]) == 0
    assert "Ben waters the plants" in capsys.readouterr().out
    assert main(["recall", "x", "--db", str(tmp_path / "missing.db")]) == 2
