"""The add-on service as a plain process with the environment the Supervisor gives it:
``/data/options.json`` (a temp file), ``SUPERVISOR_TOKEN``, the Supervisor and HA URLs (a fake
Supervisor on 127.0.0.1), HA's config folder with the shared ``galatea.db``."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from galatea_engine.models import ActivityEvent
from galatea_engine.store import ActivityStore

from .conftest import ADDON_DIR, seed
from .fake_supervisor import FakeSupervisor

SUPERVISOR_TOKEN = "supervisor-token-for-the-add-on"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningAddon:
    proc: subprocess.Popen[bytes]
    url: str
    supervisor: FakeSupervisor
    config_dir: Path
    data_dir: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def addon_env(tmp: Path, supervisor: FakeSupervisor, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GALATEA_", "SUPERVISOR"))}
    env.update({
        "PYTHONPATH": str(ADDON_DIR),
        "GALATEA_OPTIONS": str(tmp / "data" / "options.json"),
        "GALATEA_DATA_DIR": str(tmp / "data"),
        "GALATEA_CONFIG_DIR": str(tmp / "homeassistant"),
        "SUPERVISOR_TOKEN": SUPERVISOR_TOKEN,
        "GALATEA_SUPERVISOR_URL": supervisor.url,
        "GALATEA_HA_URL": supervisor.url + "/core",
        "GALATEA_HOST": "127.0.0.1",
        "GALATEA_PORT": str(port),
        "GALATEA_ANNOUNCE_HOST": "127.0.0.1",
        "GALATEA_INGRESS_PROXY": "127.0.0.1",
    })
    env.update(extra)
    return env


async def start_addon(tmp: Path, supervisor: FakeSupervisor, options: dict[str, Any],
                      **extra: str) -> RunningAddon:
    (tmp / "data").mkdir(parents=True, exist_ok=True)
    (tmp / "homeassistant").mkdir(parents=True, exist_ok=True)
    (tmp / "data" / "options.json").write_text(json.dumps(options))
    port = free_port()
    log = tmp / "addon.log"
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, then polled over HTTP
        [sys.executable, "-m", "galatea_addon"],
        env=addon_env(tmp, supervisor, port, **extra),
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    return RunningAddon(proc, f"http://127.0.0.1:{port}", supervisor, tmp / "homeassistant",
                        tmp / "data", log)


async def wait_for(predicate: Any, limit_s: float, what: str, addon: RunningAddon) -> Any:
    deadline = asyncio.get_running_loop().time() + limit_s
    while True:
        try:
            value = await predicate()
        except (aiohttp.ClientError, OSError, KeyError):
            value = None
        if value:
            return value
        if addon.proc.poll() is not None or asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; add-on log:\n{addon.output()}")
        await asyncio.sleep(0.2)


@pytest.fixture
async def supervisor() -> AsyncIterator[FakeSupervisor]:
    sup = FakeSupervisor(SUPERVISOR_TOKEN)
    await sup.start()
    yield sup
    await sup.stop()


@pytest.fixture
async def addon(tmp_path: Path, supervisor: FakeSupervisor) -> AsyncIterator[RunningAddon]:
    (tmp_path / "homeassistant").mkdir()
    store = ActivityStore(f"sqlite:///{tmp_path / 'homeassistant' / 'galatea.db'}")
    seed(store)
    store.stop()
    running = await start_addon(
        tmp_path, supervisor, {"log_level": "debug", "engine_interval": 5, "nightly_hour": 3,
                               "max_memory_mb": 256, "max_threads": 2},
        GALATEA_ENGINE_INTERVAL_MIN="0.02",  # a run every ~1 s
    )
    yield running
    if running.proc.poll() is None:
        running.proc.kill()
        running.proc.wait(10)


async def test_addon_process_end_to_end(addon: RunningAddon) -> None:
    sup = addon.supervisor
    # 1. It announces itself through Supervisor discovery with its address and API token.
    await asyncio.wait_for(sup.discovered.wait(), 30)
    announced = sup.discoveries[0]
    assert announced["service"] == "galatea"
    config = announced["config"]
    assert config["host"] == "127.0.0.1"
    assert config["port"] == int(addon.url.rsplit(":", 1)[1])
    token = config["token"]
    assert token == (addon.data_dir / "api_token").read_text().strip()
    assert len(token) >= 32
    auth = {"Authorization": f"Bearer {token}"}

    async with aiohttp.ClientSession() as http:
        async def health() -> dict[str, Any] | None:
            async with http.get(f"{addon.url}/api/health", headers=auth) as resp:
                body: dict[str, Any] = await resp.json()
                return body if body["engine"]["runs"] >= 1 else None

        # 2. Its engine ran on the shared database, in HA's time zone.
        body = await wait_for(health, 60, "the first engine run", addon)
        assert body["time_zone"] == "Europe/Berlin"
        assert body["engine"]["last_error"] is None, body["engine"]
        assert body["engine"]["backlog"] == 0
        first_upto = body["engine"]["processed_upto"]
        assert first_upto == body["last_activity_id"] > 0

        # 3. Without the token (and not through ingress) nothing answers.
        async with http.get(f"{addon.url}/api/routines") as resp:
            assert resp.status == 401

        # 4. The integration keeps writing activity to the same file; the add-on picks it up.
        writer = ActivityStore(f"sqlite:///{addon.config_dir / 'galatea.db'}")
        writer.start()
        now = datetime.now(UTC)
        for i in range(50):
            writer.enqueue(ActivityEvent(ts=now - timedelta(seconds=50 - i), source="ha",
                                         kind="state_changed", entity_id="light.hallway",
                                         area="hallway", state="on" if i % 2 else "off"))
        assert writer.flush(10)
        last_id = writer.last_activity_id()
        writer.stop()

        async def caught_up() -> dict[str, Any] | None:
            async with http.get(f"{addon.url}/api/health", headers=auth) as resp:
                b: dict[str, Any] = await resp.json()
                return b if b["engine"]["processed_upto"] >= last_id else None

        body = await wait_for(caught_up, 60, "the engine to process new activity", addon)
        assert body["engine"]["backlog"] == 0
        assert body["last_activity_id"] == last_id

        # 5. Writes through the API land in the shared database.
        async with http.post(f"{addon.url}/api/remember", headers=auth,
                             json={"text": "Guests arrive on Friday"}) as resp:
            assert resp.status == 200
            memory_id = (await resp.json())["id"]
        reader = ActivityStore(f"sqlite:///{addon.config_dir / 'galatea.db'}")
        assert any(m.id == memory_id for m in reader.memories())
        reader.stop()

        # 6. The ingress UI answers through the Supervisor's proxy address.
        ingress = {"X-Ingress-Path": "/api/hassio_ingress/x"}
        async with http.get(f"{addon.url}/", headers=ingress) as resp:
            assert resp.status == 200
            assert "<title>Galatea</title>" in await resp.text()

    # 7. HA's token was used for every Supervisor/HA call; SIGTERM stops it cleanly.
    assert sup.unauthorized == 0
    addon.proc.send_signal(signal.SIGTERM)
    assert addon.proc.wait(20) == 0, addon.output()
    assert "Stopping" in addon.output()


async def test_token_survives_restart(tmp_path: Path, supervisor: FakeSupervisor) -> None:
    options = {"log_level": "info", "engine_interval": 60, "nightly_hour": 3,
               "max_memory_mb": 256, "max_threads": 1}
    tokens = []
    for _ in range(2):
        supervisor.discovered.clear()
        running = await start_addon(tmp_path, supervisor, options)
        try:
            await asyncio.wait_for(supervisor.discovered.wait(), 30)
            tokens.append(supervisor.discoveries[-1]["config"]["token"])
        finally:
            running.proc.send_signal(signal.SIGTERM)
            assert running.proc.wait(20) == 0, running.output()
    assert tokens[0] == tokens[1]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"log_level": "loud"}, "log_level"),
        ({"engine_interval": 0}, "engine_interval"),
        ({"max_threads": "two"}, "max_threads"),
    ],
)
async def test_invalid_options_stop_with_a_clear_message(
    tmp_path: Path, supervisor: FakeSupervisor, options: dict[str, Any], message: str
) -> None:
    running = await start_addon(tmp_path, supervisor, options)
    assert running.proc.wait(30) == 2
    out = running.output()
    assert "invalid options" in out
    assert message in out


async def test_llm_names_recent_sessions(tmp_path: Path, supervisor: FakeSupervisor) -> None:
    """With ``llm_endpoint`` set, recent activity sessions get LLM titles (cached in /data);
    numbers never come from the model."""
    (tmp_path / "homeassistant").mkdir()
    store = ActivityStore(f"sqlite:///{tmp_path / 'homeassistant' / 'galatea.db'}")
    seed(store)
    store.stop()
    running = await start_addon(
        tmp_path, supervisor,
        {"log_level": "info", "engine_interval": 60, "nightly_hour": 3, "max_memory_mb": 256,
         "max_threads": 1, "llm_endpoint": supervisor.url + "/v1", "llm_model": "test-model",
         "llm_api_key": "llm-key"},
    )
    try:
        await asyncio.wait_for(supervisor.discovered.wait(), 30)
        auth = {"Authorization": f"Bearer {supervisor.discoveries[-1]['config']['token']}"}
        async with aiohttp.ClientSession() as http:
            async def named() -> dict[str, Any] | None:
                async with http.get(f"{running.url}/api/health", headers=auth) as resp:
                    body: dict[str, Any] = await resp.json()
                    naming = body["engine"]["naming"]
                    return body if body["engine"]["runs"] >= 1 and naming["calls"] else None

            body = await wait_for(named, 60, "LLM naming", running)
        assert body["engine"]["last_error"] is None
        assert supervisor.llm_requests
        header, request = supervisor.llm_requests[0]
        assert header == "Bearer llm-key"
        assert request["model"] == "test-model"
        reader = ActivityStore(f"sqlite:///{tmp_path / 'homeassistant' / 'galatea.db'}")
        sessions = [e for e in reader.episodes(kind="session")
                    if e.detail.get("named_by") in ("llm", "cache")]
        reader.stop()
        assert sessions
        assert {e.detail["title"] for e in sessions} == {"Evening television"}
        assert (running.data_dir / "naming_cache.json").exists()
    finally:
        running.proc.send_signal(signal.SIGTERM)
        assert running.proc.wait(20) == 0, running.output()
