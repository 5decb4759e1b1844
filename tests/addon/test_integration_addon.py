"""The integration's side of add-on mode, against the add-on's real HTTP API (in process, on
127.0.0.1, sharing the SQLite file as the two containers do): the discovery step, the add-on
backend (and its local answers), reconfigure between modes, and fallback to the embedded engine
with a repair issue."""

from __future__ import annotations

import inspect
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
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import intent
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from custom_components.galatea import addon_client
from custom_components.galatea.addon_client import (
    AddonClient,
    AddonMonitor,
    AddonUnavailable,
    get_addon_client,
)
from custom_components.galatea.backend import (
    BACKEND_METHODS,
    AddonBackend,
    EngineBackend,
    LocalBackend,
    get_backend,
)
from custom_components.galatea.const import DOMAIN, SIGNAL_ENGINE_UPDATED
from custom_components.galatea.engine.api import APIError
from custom_components.galatea.engine.api import GalateaAPI as IntegrationAPI
from tests.integration.conftest import db_url, setup_galatea

from .conftest import NOW, seed

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
    await hass.async_block_till_done(wait_background_tasks=True)  # the first health check
    backend = get_backend(entry)
    assert isinstance(backend, AddonBackend)
    routines = await backend.routines()
    assert {r["key"] for r in routines["routines"]} == {
        "wake_up:person.anna:weekdays", "go_to_bed:household:daily"}
    confirmed = await backend.confirm_routine("wake_up:person.anna:weekdays")
    assert confirmed["status"] == "confirmed"
    # Same database file: the integration's own store sees the add-on's write.
    rows = await hass.async_add_executor_job(data.store.routines)
    assert {r.key: r.status for r in rows}["wake_up:person.anna:weekdays"] == "confirmed"
    with pytest.raises(APIError) as err:
        await backend.reject_routine("no:such:routine")
    assert err.value.code == "not_found"
    with pytest.raises(APIError):
        await backend.recall("")
    assert "items" in await backend.timeline(period="last_7_days")
    assert (await backend.last_time("kitchen light"))["found"] is True
    assert backend.local_calls == 0  # every answer came from the add-on
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
    backend = get_backend(entry)
    assert isinstance(backend, AddonBackend)
    await hass.async_block_till_done()  # refreshes the fallback's engine run asked for
    calls = (backend.remote_calls, backend.local_calls)
    assert (await backend.routines())["routines"]  # answered locally, from the same database
    assert (backend.remote_calls, backend.local_calls) == (calls[0], calls[1] + 1)
    issue = issues.async_get_issue(DOMAIN, f"addon_unavailable_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"url": addon_server.url}

    await addon_server.start()
    assert await monitor.async_check()
    assert not monitor.fallback_active
    assert entry.runtime_data.runner is None
    assert issues.async_get_issue(DOMAIN, f"addon_unavailable_{entry.entry_id}") is None
    assert get_addon_client(entry) is not None
    await hass.async_block_till_done()
    calls = (backend.remote_calls, backend.local_calls)
    assert (await backend.routines())["routines"]  # the add-on answers again
    assert (backend.remote_calls, backend.local_calls) == (calls[0] + 1, calls[1])
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
    assert isinstance(get_backend(entry), AddonBackend)
    assert await hass.async_add_executor_job(entry.runtime_data.store.last_activity_id) >= before

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {
        "db_url": db_url(tmp_path), "engine_mode": "embedded"})
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["engine_mode"] == "embedded"
    assert entry.runtime_data.runner is not None
    assert entry.runtime_data.addon is None
    assert isinstance(get_backend(entry), LocalBackend)  # the engine in this process
    assert await hass.async_add_executor_job(entry.runtime_data.store.last_activity_id) >= before
    assert await hass.config_entries.async_unload(entry.entry_id)


def addon_backend(
    hass: HomeAssistant, entry: Any, server: AddonServer, token: str = TOKEN
) -> AddonBackend:
    """A backend to ``server`` over the entry's store (the entry's monitor decides fallback);
    the local engine in UTC like the add-on's, so that both answer alike."""
    local = LocalBackend(hass, IntegrationAPI(entry.runtime_data.store, UTC))
    return AddonBackend(AddonClient(hass, server.url, token), local, entry.runtime_data.addon)


async def every_operation(backend: EngineBackend) -> dict[str, Any]:
    """Each ``EngineBackend`` read once, by name (writes are tested on their own)."""
    answers = {
        "routine_states": await backend.routine_states(absent={"person.anna"}),
        "activity_summary": await backend.activity_summary(NOW - timedelta(days=2),
                                                           detail=False),
        "routines": await backend.routines("person.anna", include_rejected=True),
        "timeline": await backend.timeline(period="last_7_days", limit=20),
        "recall": await backend.recall("coffee", 3, include_closed=True),
        "last_time": await backend.last_time("kitchen light"),
    }
    for answer in answers.values():  # the clock and recall scores vary between two answers
        answer.pop("now", None)
        answer.pop("end", None)
        for memory in answer.get("memories", ()):
            memory.pop("score")
    return answers


async def test_addon_backend_answers_from_the_addon(
    hass: HomeAssistant, tmp_path: Path, addon_server: AddonServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each engine operation is awaited from the add-on over HTTP, on the event loop (no
    executor hop), and answers what the engine in this process answers from the same
    database."""
    entry = await setup_galatea(hass, tmp_path, data=addon_data(addon_server))
    await hass.async_block_till_done(wait_background_tasks=True)  # the first health check
    backend = addon_backend(hass, entry, addon_server)
    local = await every_operation(backend.local)

    def no_executor(*_args: Any) -> Any:
        raise AssertionError("the add-on backend used the executor")

    monkeypatch.setattr(hass, "async_add_executor_job", no_executor)
    remote = await every_operation(backend)
    assert backend.remote_calls == len(remote)
    assert backend.local_calls == 0
    assert remote == local
    assert {r["key"] for r in remote["routine_states"]["routines"]} == {
        "wake_up:person.anna:weekdays", "go_to_bed:household:daily"}
    assert remote["routines"]["routines"][0]["key"] == "wake_up:person.anna:weekdays"
    assert remote["activity_summary"]["total"] > 0
    assert remote["last_time"]["found"] is True
    assert remote["recall"]["memories"][0]["text"].startswith("Anna drinks coffee")

    # Writes: the add-on writes, the integration's own store sees it (one database file).
    confirmed = await backend.confirm_routine("wake_up:person.anna:weekdays")
    assert confirmed["status"] == "confirmed"
    rejected = await backend.reject_routine("go_to_bed:household:daily")
    assert rejected["status"] == "rejected"
    remembered = await backend.remember("The plumber comes on Monday", "house")
    assert (await backend.recall("plumber"))["memories"][0]["id"] == remembered["id"]
    assert (await backend.forget(remembered["id"])) == {"forgotten": remembered["id"]}
    assert backend.remote_calls == len(remote) + 5
    assert backend.local_calls == 0
    monkeypatch.undo()
    rows = await hass.async_add_executor_job(entry.runtime_data.store.routines)
    assert {r.key: r.status for r in rows} == {
        "wake_up:person.anna:weekdays": "confirmed", "go_to_bed:household:daily": "rejected"}
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_addon_backend_errors_are_the_engines(
    hass: HomeAssistant, tmp_path: Path, addon_server: AddonServer
) -> None:
    """What the add-on refuses comes back as the engine's ``APIError`` (not answered locally)."""
    entry = await setup_galatea(hass, tmp_path, data=addon_data(addon_server))
    backend = addon_backend(hass, entry, addon_server)
    with pytest.raises(APIError) as err:
        await backend.confirm_routine("no:such:routine")
    assert err.value.code == "not_found"
    with pytest.raises(APIError) as err:
        await backend.forget(987654)
    assert err.value.code == "not_found"
    with pytest.raises(APIError) as err:
        await backend.timeline(datetime.now(UTC), datetime.now(UTC) - timedelta(hours=1))
    assert err.value.code == "invalid"
    with pytest.raises(APIError) as err:
        await backend.recall("x" * 501)  # longer than the add-on's routes accept
    assert err.value.code == "bad_request"
    assert backend.local_calls == 0
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_addon_backend_answers_locally_without_the_addon(
    hass: HomeAssistant, tmp_path: Path, addon_server: AddonServer
) -> None:
    """An add-on that does not answer (stopped, wrong token) or a monitor that has fallen back
    to the embedded engine: the same operations are answered locally, from the same
    database."""
    entry = await setup_galatea(hass, tmp_path, data=addon_data(addon_server))
    backend = addon_backend(hass, entry, addon_server)
    expected = await every_operation(backend)
    assert backend.remote_calls == len(expected)

    monitor: AddonMonitor = entry.runtime_data.addon
    monitor.fallback_active = True  # falling back: the add-on is not even asked
    assert await every_operation(backend) == expected
    assert backend.remote_calls == len(expected)
    assert backend.local_calls == len(expected)
    monitor.fallback_active = False

    wrong_token = addon_backend(hass, entry, addon_server, token="wrong")
    assert await every_operation(wrong_token) == expected
    assert (wrong_token.remote_calls, wrong_token.local_calls) == (0, len(expected))

    await addon_server.stop()
    assert await every_operation(backend) == expected
    assert backend.local_calls == 2 * len(expected)
    with pytest.raises(APIError) as err:  # the local engine's own errors
        await backend.confirm_routine("no:such:routine")
    assert err.value.code == "not_found"
    remembered = await backend.remember("The spare key is in the shed")
    assert (await backend.forget(remembered["id"]))["forgotten"] == remembered["id"]
    assert backend.remote_calls == len(expected)
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("backend", [EngineBackend, LocalBackend, AddonBackend])
def test_backend_operations_are_the_engine_api_methods(backend: type) -> None:
    """Each operation has the arguments of the ``GalateaAPI`` method of its name: what the
    add-on backend sends, the add-on's ``/api/call`` binds to that method."""
    operations = {"routine_states", "activity_summary", "routines", "timeline", "recall",
                  "last_time", "remember", "confirm_routine", "reject_routine", "forget"}
    assert operations == BACKEND_METHODS

    def shape(func: Any) -> list[tuple[str, Any, Any]]:
        return [(p.name, p.kind, p.default)
                for p in inspect.signature(func).parameters.values()]

    for name in BACKEND_METHODS:
        assert inspect.iscoroutinefunction(getattr(backend, name)), name
        assert shape(getattr(backend, name)) == shape(getattr(IntegrationAPI, name)), name


async def test_call_endpoint_accepts_the_backend_operations_only(
    hass: HomeAssistant, addon_server: AddonServer
) -> None:
    """``POST /api/call/{method}`` answers exactly ``EngineBackend``'s operations."""
    client = AddonClient(hass, addon_server.url, TOKEN)
    for method in ("invalidate", "routine_dict", "period_bounds", "_routine", "store",
                   "health", "usual_time", "nope"):
        with pytest.raises(APIError) as err:
            await client.call(method, {})
        assert err.value.code == "not_found", method
    for method in sorted(BACKEND_METHODS - {"recall", "remember", "confirm_routine",
                                            "reject_routine", "forget"}):
        assert isinstance(await client.call(method, {}), dict), method
    with pytest.raises(APIError) as err:
        await client.call("routines", {"colour": "red"})
    assert err.value.code == "bad_request"
    with pytest.raises(AddonUnavailable):
        await AddonClient(hass, addon_server.url, "wrong").call("routines", {})


async def test_the_backend_is_chosen_once_per_entry(
    hass: HomeAssistant, tmp_path: Path, addon_server: AddonServer
) -> None:
    """Add-on mode: the entities, actions, Assist and LLM tools all read through the entry's
    ``AddonBackend``; errors the add-on answers are the actions' translated errors."""
    entry = await setup_galatea(hass, tmp_path, data=addon_data(addon_server))
    await hass.async_block_till_done(wait_background_tasks=True)  # the first health check
    backend = get_backend(entry)
    assert isinstance(backend, AddonBackend)
    assert isinstance(backend.local, LocalBackend)
    assert backend.local.api is entry.runtime_data.api  # helpers and the store stay local
    coordinator = entry.runtime_data.coordinator
    assert coordinator is not None
    assert coordinator.backend is backend
    calls = backend.remote_calls
    await coordinator.async_refresh()
    assert backend.remote_calls == calls + 2  # routine states, activity
    assert "wake_up:person.anna:weekdays" in coordinator.data.routines

    listed = await hass.services.async_call(
        DOMAIN, "list_routines", {"person": "person.anna"}, blocking=True,
        return_response=True)
    assert [r["key"] for r in listed["routines"]] == ["wake_up:person.anna:weekdays"]
    assert backend.remote_calls == calls + 3
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "confirm_routine", {"key": "no:such:routine"}, blocking=True)
    assert err.value.translation_key == "api_not_found"
    assert backend.remote_calls == calls + 3  # refused by the add-on: not answered locally
    assert backend.local_calls == 0
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


async def test_assist_reads_through_the_addon(
    hass: HomeAssistant, tmp_path: Path, addon_server: AddonServer
) -> None:
    """Assist's answers come from the add-on; what they name (the event at that time) is read
    from the same database here, as in embedded mode."""
    entry = await setup_galatea(hass, tmp_path, data=addon_data(addon_server))
    await hass.async_block_till_done(wait_background_tasks=True)  # the first health check
    backend = get_backend(entry)
    assert isinstance(backend, AddonBackend)
    hass.states.async_set("light.kitchen", "off", {"friendly_name": "Kitchen light"})
    calls = backend.remote_calls
    response = await intent.async_handle(
        hass, "test", "GalateaLastTime", {"what": {"value": "kitchen light"}}, language="en")
    speech = response.speech["plain"]["speech"]
    assert speech.startswith("Kitchen light turned on "), speech
    assert backend.remote_calls == calls + 1
    assert backend.local_calls == 0
    assert await hass.config_entries.async_unload(entry.entry_id)
