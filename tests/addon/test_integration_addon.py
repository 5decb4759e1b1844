"""The integration's side of add-on mode, against the add-on's real HTTP API (in process, on
127.0.0.1, sharing the SQLite file as the two containers do): the discovery step, the remote
backend, reconfigure between modes, and fallback to the embedded engine with a repair issue."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from galatea_addon.server import AddonApp
from galatea_engine.api import GalateaAPI
from galatea_engine.store import ActivityStore
from homeassistant import config_entries
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from custom_components.galatea import addon_client
from custom_components.galatea.addon_client import (
    AddonAPI,
    AddonClient,
    AddonMonitor,
    AddonUnavailable,
    RemoteAPI,
    get_addon_client,
)
from custom_components.galatea.const import DOMAIN, SIGNAL_ENGINE_UPDATED
from custom_components.galatea.engine.api import APIError
from tests.integration.conftest import db_url, setup_galatea

from .conftest import seed

TOKEN = "a" * 43


class AddonServer:
    """The add-on's API on a fixed port so it can be stopped and started again."""

    def __init__(self, db: Path) -> None:
        self.db = db
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.store: ActivityStore | None = None
        self.runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.store = ActivityStore(f"sqlite:///{self.db}")
        app = AddonApp(api=GalateaAPI(self.store, UTC), store=self.store, tz=UTC, token=TOKEN,
                       ingress_proxy_ip="172.30.32.2")
        self.runner = web.AppRunner(app.build(), access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port, reuse_address=True).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        if self.store is not None:
            self.store.stop()
            self.store = None


@pytest.fixture
async def addon_server(tmp_path: Path) -> AsyncIterator[AddonServer]:
    store = ActivityStore(db_url(tmp_path))
    seed(store)
    store.stop()
    server = AddonServer(tmp_path / "galatea.db")
    await server.start()
    yield server
    await server.stop()


def addon_data(server: AddonServer, token: str = TOKEN) -> dict[str, str]:
    return {"engine_mode": "addon", "addon_url": server.url, "addon_token": token}


async def test_hassio_discovery_creates_an_addon_mode_entry(hass: HomeAssistant) -> None:
    info = HassioServiceInfo(config={"host": "local-galatea", "port": 8099, "token": TOKEN,
                                     "addon": "Galatea"},
                             name="Galatea", slug="local_galatea", uuid="1234")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=info
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "hassio_confirm"
    assert result["description_placeholders"] == {"addon": "Galatea"}
    with patch("custom_components.galatea.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        "db_url": "galatea.db", "backfill": True, "engine_mode": "addon",
        "addon_url": "http://local-galatea:8099", "addon_token": TOKEN,
    }
    # Keyed by the domain (one Galatea per home), not by the discovery uuid: HA removes hassio
    # entries whose unique_id is the uuid when the add-on withdraws its announcement.
    assert result["result"].unique_id == "galatea"


async def test_hassio_discovery_with_incomplete_config_aborts(hass: HomeAssistant) -> None:
    info = HassioServiceInfo(config={"host": "local-galatea"}, name="Galatea",
                             slug="local_galatea", uuid="1234")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


async def test_hassio_discovery_when_galatea_is_set_up_aborts(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """A running Galatea is not offered a second entry; it switches in its reconfigure step."""
    await setup_galatea(hass, tmp_path)
    info = HassioServiceInfo(config={"host": "local-galatea", "token": TOKEN}, name="Galatea",
                             slug="local_galatea", uuid="1234")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_HASSIO}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] in {"already_configured", "single_instance_allowed"}


async def test_addon_mode_reads_through_the_addon(
    hass: HomeAssistant, tmp_path: Path, addon_server: AddonServer
) -> None:
    entry = await setup_galatea(hass, tmp_path, data=addon_data(addon_server))
    data = entry.runtime_data
    assert data.runner is None  # the embedded engine stays off
    client = get_addon_client(entry)
    assert isinstance(client, AddonClient)
    routines = await client.routines()
    assert {r["key"] for r in routines["routines"]} == {
        "wake_up:person.anna:weekdays", "go_to_bed:household:daily"}
    assert (await client.usual_time("wake_up"))["time"] == "06:45"
    confirmed = await client.confirm_routine("wake_up:person.anna:weekdays")
    assert confirmed["status"] == "confirmed"
    # Same database file: the integration's own store sees the add-on's write.
    rows = await hass.async_add_executor_job(data.store.routines)
    assert {r.key: r.status for r in rows}["wake_up:person.anna:weekdays"] == "confirmed"
    with pytest.raises(APIError) as err:
        await client.reject_routine("no:such:routine")
    assert err.value.code == "not_found"
    with pytest.raises(APIError):
        await client.recall("")
    remembered = await client.remember("The plumber comes on Monday", subject="house")
    hits = await client.recall("when does the plumber come")
    assert hits["memories"][0]["id"] == remembered["id"]
    assert (await client.memories(type="semantic"))["memories"]
    assert (await client.forget(remembered["id"]))["forgotten"] == remembered["id"]
    assert "items" in await client.timeline(period="last_7_days")
    assert (await client.last_time("kitchen light"))["found"] is True
    assert (await client.episodes())["episodes"] == []
    assert (await client.health())["status"] == "ok"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_wrong_token_is_unavailable(hass: HomeAssistant, addon_server: AddonServer) -> None:
    client = AddonClient(hass, addon_server.url, "wrong")
    with pytest.raises(AddonUnavailable):
        await client.health()


async def test_engine_updates_are_signalled(
    hass: HomeAssistant, tmp_path: Path, addon_server: AddonServer
) -> None:
    entry = await setup_galatea(hass, tmp_path, data=addon_data(addon_server))
    monitor: AddonMonitor = entry.runtime_data.addon
    await hass.async_block_till_done(wait_background_tasks=True)  # the first health check
    signals: list[None] = []

    @callback
    def updated() -> None:  # a callback runs at once; a plain lambda would go to the executor
        signals.append(None)

    async_dispatcher_connect(hass, SIGNAL_ENGINE_UPDATED.format(entry.entry_id), updated)
    monitor._engine_marker = ("stale", None)
    assert await monitor.async_check()
    assert len(signals) == 1
    assert await monitor.async_check()  # nothing new: no signal
    assert len(signals) == 1
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_fallback_to_embedded_and_back(
    hass: HomeAssistant, tmp_path: Path, addon_server: AddonServer
) -> None:
    entry = await setup_galatea(hass, tmp_path, data=addon_data(addon_server))
    monitor: AddonMonitor = entry.runtime_data.addon
    issues = ir.async_get(hass)
    assert await monitor.async_check()

    await addon_server.stop()
    for _ in range(addon_client.FAILURES_BEFORE_FALLBACK - 1):
        assert not await monitor.async_check()
    assert entry.runtime_data.runner is None  # one blip is not enough
    assert not await monitor.async_check()
    await hass.async_block_till_done()
    assert monitor.fallback_active
    assert entry.runtime_data.runner is not None  # learning continues inside HA
    assert get_addon_client(entry) is None
    issue = issues.async_get_issue(DOMAIN, f"addon_unavailable_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"url": addon_server.url}

    await addon_server.start()
    assert await monitor.async_check()
    assert not monitor.fallback_active
    assert entry.runtime_data.runner is None
    assert issues.async_get_issue(DOMAIN, f"addon_unavailable_{entry.entry_id}") is None
    assert get_addon_client(entry) is not None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_switches_modes_keeping_the_database(
    hass: HomeAssistant, tmp_path: Path, addon_server: AddonServer
) -> None:
    entry = await setup_galatea(hass, tmp_path)
    assert entry.runtime_data.runner is not None  # embedded
    before = await hass.async_add_executor_job(entry.runtime_data.store.last_activity_id)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {
        "db_url": db_url(tmp_path), "engine_mode": "addon", "addon_url": addon_server.url,
        "addon_token": "wrong"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"addon_url": "addon_unreachable"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {
        "db_url": db_url(tmp_path), "engine_mode": "addon"})
    assert result["errors"] == {"addon_url": "addon_not_found"}  # no Supervisor here
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {
        "db_url": db_url(tmp_path), "engine_mode": "addon", "addon_url": addon_server.url,
        "addon_token": TOKEN})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["engine_mode"] == "addon"
    assert entry.data["addon_url"] == addon_server.url
    assert entry.runtime_data.runner is None
    assert get_addon_client(entry) is not None
    assert await hass.async_add_executor_job(entry.runtime_data.store.last_activity_id) >= before

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {
        "db_url": db_url(tmp_path), "engine_mode": "embedded"})
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["engine_mode"] == "embedded"
    assert entry.runtime_data.runner is not None
    assert entry.runtime_data.addon is None
    assert await hass.async_add_executor_job(entry.runtime_data.store.last_activity_id) >= before
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_addon_api_forwards_every_api_method(
    hass: HomeAssistant, tmp_path: Path, addon_server: AddonServer
) -> None:
    """``AddonAPI`` is a drop-in for ``GalateaAPI`` (the coordinator, services, Assist and
    LLM tools call it in the executor): methods go to the add-on, and answer locally (same
    database) when the add-on is gone."""
    entry = await setup_galatea(hass, tmp_path, data=addon_data(addon_server))
    monitor: AddonMonitor = entry.runtime_data.addon
    local = GalateaAPI(entry.runtime_data.store, UTC)
    api = AddonAPI(local, RemoteAPI(hass, AddonClient(hass, addon_server.url, TOKEN)), monitor)
    assert api.store is entry.runtime_data.store  # helpers and the store stay local
    states = await hass.async_add_executor_job(
        lambda: api.routine_states(absent={"person.anna"}))
    assert {r["key"] for r in states["routines"]} == {
        "wake_up:person.anna:weekdays", "go_to_bed:household:daily"}
    since = datetime.now(UTC) - timedelta(days=2)
    summary = await hass.async_add_executor_job(lambda: api.activity_summary(since))
    assert summary["total"] > 0
    routines = await hass.async_add_executor_job(api.routines, "person.anna")
    assert routines["routines"][0]["time"] == "06:45"
    with pytest.raises(APIError) as err:
        await hass.async_add_executor_job(api.confirm_routine, "no:such:routine")
    assert err.value.code == "not_found"
    assert api.remote_calls == 3
    assert api.local_calls == 0

    await addon_server.stop()
    states = await hass.async_add_executor_job(lambda: api.routine_states(absent=()))
    assert len(states["routines"]) == 2
    assert api.local_calls == 1
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_call_endpoint_refuses_what_is_not_api(
    hass: HomeAssistant, addon_server: AddonServer
) -> None:
    remote = RemoteAPI(hass, AddonClient(hass, addon_server.url, TOKEN))
    for method in ("invalidate", "routine_dict", "_routine", "store", "health", "usual_time",
                   "nope"):
        with pytest.raises(APIError) as err:
            await asyncio.to_thread(remote.call, method)
        assert err.value.code == "not_found", method
    with pytest.raises(APIError) as err:
        await asyncio.to_thread(remote.call, "routines", colour="red")
    assert err.value.code == "bad_request"
    with pytest.raises(AddonUnavailable):
        await asyncio.to_thread(
            RemoteAPI(hass, AddonClient(hass, addon_server.url, "wrong")).call, "health")
    # Called on the event loop it would wait for the loop it blocks: refused at once.
    with pytest.raises(RuntimeError):
        remote.call("health")


async def test_entities_read_through_the_addon(
    hass: HomeAssistant, tmp_path: Path, addon_server: AddonServer
) -> None:
    """In add-on mode the coordinator's API object is the add-on proxy."""
    entry = await setup_galatea(hass, tmp_path, data=addon_data(addon_server))
    api = entry.runtime_data.api
    assert isinstance(api, AddonAPI)
    coordinator = entry.runtime_data.coordinator
    assert coordinator is not None
    assert coordinator.api is api
    await coordinator.async_refresh()
    assert api.remote_calls > 0
    assert "wake_up:person.anna:weekdays" in coordinator.data.routines
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_to_the_addon_it_announced(
    hass: HomeAssistant, tmp_path: Path, addon_server: AddonServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Left empty, the add-on's address and token come from its Supervisor announcement."""
    url = urlsplit(addon_server.url)

    async def _announced(_hass: HomeAssistant) -> dict[str, Any]:
        return {"host": url.hostname, "port": url.port, "token": TOKEN}

    monkeypatch.setattr(
        "custom_components.galatea.config_flow.async_discovered_addon", _announced)
    entry = await setup_galatea(hass, tmp_path)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {
        "db_url": db_url(tmp_path), "engine_mode": "addon"})
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["addon_url"] == f"http://{url.hostname}:{url.port}"
    assert entry.data["addon_token"] == TOKEN
    assert await hass.config_entries.async_unload(entry.entry_id)
