"""Optional LLM session naming in embedded mode: options flow, a real HA conversation agent, an
OpenAI-compatible endpoint (the engine tests' local fake server), budget, fallback, diagnostics.

Sessions come from real state changes on the bus, captured into the store, mined by the real
engine in the runner's executor job, then named there.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
from homeassistant.components import conversation
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.galatea import naming_ha
from custom_components.galatea.diagnostics import async_get_config_entry_diagnostics
from custom_components.galatea.engine.api import GalateaAPI
from custom_components.galatea.engine.models import Episode
from custom_components.galatea.engine.naming import (
    NamingOptions,
    SessionNamer,
    StoreCache,
    name_recent_sessions,
    signature,
)
from custom_components.galatea.engine.store import ActivityStore
from custom_components.galatea.naming_agent import agent_completer
from custom_components.galatea.naming_ha import BUDGET_STATE_KEY, NamingSettings
from tests.engine.test_naming import FakeOpenAI

from .conftest import flush, options_form, setup_galatea

GOOD = '{"title": "Morning coffee", "summary": "Someone made a hot drink."}'
CAPTURE = {
    "domains": ["light", "switch", "binary_sensor", "person"],
    "binary_device_classes": ["motion"],
    "include_entities": [],
    "exclude_entities": [],
    "include_numeric_sensors": False,
    "retention_days": 30,
    "commit_interval": 1.0,
    "engine_interval": 5,
}


class FakeAgent(conversation.AbstractConversationAgent):
    """A conversation agent the way an LLM integration registers one; each request pops the
    next behaviour (default: a good JSON title)."""

    def __init__(self) -> None:
        self.behaviours: list[str] = []
        self.inputs: list[conversation.ConversationInput] = []

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        return MATCH_ALL

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        self.inputs.append(user_input)
        mode = self.behaviours.pop(0) if self.behaviours else "good"
        if mode == "raise":
            raise RuntimeError("the model crashed")
        if mode == "ha_error":
            raise HomeAssistantError("quota exceeded")
        if mode == "slow":
            await asyncio.sleep(10)
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech("Sure, it looks like cooking!" if mode == "prose" else GOOD)
        return conversation.ConversationResult(response=response, conversation_id=None)


@pytest.fixture(autouse=True)
def _settled_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' sessions are seconds old: name them without waiting for them to settle."""
    monkeypatch.setattr(naming_ha, "SETTLE_TIME", timedelta(0))


@pytest.fixture
def fake(socket_enabled: None) -> Iterator[FakeOpenAI]:
    """The engine tests' fake endpoint on 127.0.0.1 (the harness allows loopback only)."""
    server = FakeOpenAI()
    yield server
    server.close()


@pytest.fixture
async def agent(hass: HomeAssistant) -> tuple[FakeAgent, str]:
    """A real conversation agent registered with HA's conversation integration."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    owner = MockConfigEntry(domain="fake_llm", title="Fake LLM")
    owner.add_to_hass(hass)
    fake_agent = FakeAgent()
    conversation.async_set_agent(hass, owner, fake_agent)
    return fake_agent, owner.entry_id


def _areas(hass: HomeAssistant) -> dict[str, str]:
    """Kitchen and office entities with their areas, as the registries hold them."""
    areas = ar.async_get(hass)
    reg = er.async_get(hass)
    ids: dict[str, str] = {}
    for area_name, domain, object_id in (
        ("Kitchen", "binary_sensor", "kitchen_motion"),
        ("Kitchen", "switch", "kettle"),
        ("Office", "binary_sensor", "office_motion"),
        ("Office", "light", "desk_lamp"),
    ):
        area = areas.async_get_area_by_name(area_name) or areas.async_create(area_name)
        ent = reg.async_get_or_create(domain, "demo", object_id, suggested_object_id=object_id)
        reg.async_update_entity(ent.entity_id, area_id=area.id)
        ids[object_id] = ent.entity_id
    return ids


def _use(hass: HomeAssistant, ids: dict[str, str], room: str) -> None:
    """Someone uses a room: motion, an appliance or lamp on and off."""
    motion = ids[f"{room}_motion"]
    device = ids["kettle" if room == "kitchen" else "desk_lamp"]
    hass.states.async_set(motion, "on", {"device_class": "motion"})
    hass.states.async_set(device, "on")
    hass.states.async_set(device, "off")
    hass.states.async_set(motion, "off", {"device_class": "motion"})


async def _sessions(hass: HomeAssistant, entry: MockConfigEntry) -> list[Episode]:
    store = entry.runtime_data.store
    return await hass.async_add_executor_job(lambda: store.episodes(kind="session"))


async def _run(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    await flush(hass, entry)
    summary = await entry.runtime_data.runner.async_run()
    assert summary is not None
    return summary


async def _setup(hass: HomeAssistant, tmp_path: Path, **naming: Any) -> MockConfigEntry:
    entry = await setup_galatea(hass, tmp_path, options={**CAPTURE, **naming})
    await hass.async_block_till_done(wait_background_tasks=True)  # the first (empty) run
    return entry


# -- (a) options flow ------------------------------------------------------------------------------


async def test_options_flow_openai_endpoint_is_checked(
    hass: HomeAssistant, tmp_path: Path, fake: FakeOpenAI
) -> None:
    entry = await _setup(hass, tmp_path)
    assert entry.runtime_data.runner.naming is None  # off by default
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options_form({**CAPTURE, "naming": "openai"})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "naming_openai"
    endpoint = {"llm_model": "fake-model", "llm_api_key": "sk-secret", "llm_max_calls": 5,
                "llm_daily_calls": 50, "llm_timeout_s": 5}
    # Nothing listens there.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**endpoint, "llm_base_url": "http://127.0.0.1:9/v1"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"llm_base_url": "llm_cannot_connect"}
    # A server, but not the API base (the fake answers 404 off /v1/chat/completions).
    base = fake.base_url.removesuffix("/v1")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**endpoint, "llm_base_url": base}
    )
    assert result["errors"] == {"llm_base_url": "llm_not_found"}
    # The right place, but the model chats instead of replying with the JSON title.
    for bad in ("prose", "garbage", "http500"):
        fake.behaviours = [bad]
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {**endpoint, "llm_base_url": fake.base_url}
        )
        assert result["errors"] == {"base": "llm_bad_reply"}, bad
    calls = len(fake.requests)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**endpoint, "llm_base_url": fake.base_url + "/"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(fake.requests) == calls + 1  # one sample session named
    # What the probe sent: words, no times or exact entity ids.
    sent = fake.requests[-1]["messages"][-1]["content"]
    assert "kettle" in sent
    assert "switch.kettle" not in sent
    assert not any(ch.isdigit() for ch in sent)
    assert entry.options["llm_base_url"] == fake.base_url
    assert entry.options["llm_api_key"] == "sk-secret"
    await hass.async_block_till_done(wait_background_tasks=True)
    # The entry reloaded with naming on.
    assert entry.state is ConfigEntryState.LOADED
    naming = entry.runtime_data.runner.naming
    assert naming is not None
    assert (naming.settings.mode, naming.settings.max_calls, naming.settings.daily_calls) == (
        "openai", 5, 50)
    assert "sk-secret" not in repr(entry.runtime_data.options)
    # Reopened, the form suggests what is saved; switching off drops the endpoint and key.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options_form({**CAPTURE, "naming": "openai"})
    )
    schema_keys = {str(k): k for k in result["data_schema"].schema}
    assert schema_keys["llm_base_url"].description == {"suggested_value": fake.base_url}
    assert not (schema_keys["llm_api_key"].description or {}).get("suggested_value")  # never shown
    # Left empty for the same URL, the saved key stays (and is sent).
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**endpoint, "llm_api_key": "", "llm_base_url": fake.base_url}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["llm_api_key"] == "sk-secret"
    assert fake.headers[-1]["Authorization"] == "Bearer sk-secret"
    await hass.async_block_till_done(wait_background_tasks=True)
    # Another URL: the old key is not sent there.
    other = FakeOpenAI()
    try:
        result = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], options_form({**CAPTURE, "naming": "openai"})
        )
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {**endpoint, "llm_api_key": "", "llm_base_url": other.base_url}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert "llm_api_key" not in entry.options
        assert other.headers[-1]["Authorization"] != "Bearer sk-secret"
    finally:
        other.close()
    await hass.async_block_till_done(wait_background_tasks=True)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options_form({**CAPTURE, "naming": "off"})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "llm_api_key" not in entry.options
    assert entry.options["naming"] == "off"
    assert entry.runtime_data.runner.naming is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_options_flow_agent_is_checked(
    hass: HomeAssistant, tmp_path: Path, agent: tuple[FakeAgent, str]
) -> None:
    fake_agent, agent_id = agent
    entry = await _setup(hass, tmp_path)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options_form({**CAPTURE, "naming": "agent"})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "naming_agent"
    budget = {"llm_max_calls": 3, "llm_daily_calls": 10, "llm_timeout_s": 1}
    for agent_choice, error, behaviour in (
        ("conversation.home_assistant", "agent_cannot_name", None),
        ("no_such_agent", "agent_not_found", None),
        (agent_id, "agent_bad_reply", "prose"),
        (agent_id, "agent_bad_reply", "raise"),
        (agent_id, "agent_bad_reply", "slow"),
    ):
        fake_agent.behaviours = [behaviour] if behaviour else []
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"naming_agent": agent_choice, **budget}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"naming_agent": error}, agent_choice
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"naming_agent": agent_id, **budget}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["naming"] == "agent"
    assert result["data"]["naming_agent"] == agent_id
    assert result["data"]["domains"] == CAPTURE["domains"]  # the first step's choices kept
    await hass.async_block_till_done(wait_background_tasks=True)
    naming = entry.runtime_data.runner.naming
    assert naming is not None
    assert naming.settings.agent_id == agent_id
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_options_flow_off_is_the_default(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await _setup(hass, tmp_path)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    keys = {str(k): k for k in result["data_schema"].schema}
    assert keys["naming"].default() == "off"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options_form(CAPTURE)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["naming"] == "off"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(entry.entry_id)


# -- (b) a Home Assistant conversation agent -------------------------------------------------------


async def test_agent_names_sessions_from_the_bus(
    hass: HomeAssistant, tmp_path: Path, agent: tuple[FakeAgent, str]
) -> None:
    fake_agent, agent_id = agent
    ids = _areas(hass)
    entry = await _setup(hass, tmp_path, naming="agent", naming_agent=agent_id)
    _use(hass, ids, "kitchen")
    await _run(hass, entry)
    sessions = await _sessions(hass, entry)
    assert len(sessions) == 1
    detail = sessions[0].detail
    assert detail["title"] == "Morning coffee"
    assert detail["summary"].startswith("Someone made a hot drink (")  # times added by us
    assert detail["named_by"] == "llm"
    assert len(fake_agent.inputs) == 1
    asked = fake_agent.inputs[0]
    assert asked.conversation_id is None  # a fresh conversation, no history
    assert asked.agent_id == agent_id
    assert '"area": "Kitchen"' in asked.text
    assert "binary_sensor.kitchen_motion" not in asked.text
    # The API shows the names.
    api = GalateaAPI(entry.runtime_data.store, dt_util.get_default_time_zone())
    eps = await hass.async_add_executor_job(lambda: api.episodes(kind="session"))
    assert eps["episodes"][0]["title"] == "Morning coffee"
    # ... and so does the timeline action in Home Assistant.
    answer = await hass.services.async_call(
        "galatea", "timeline", {"period": "today"}, blocking=True, return_response=True
    )
    sessions_told = [it for it in answer["items"] if it["kind"] == "session"]
    assert [it["title"] for it in sessions_told] == ["Morning coffee"]
    # The kitchen again: the engine re-mines it, the name comes from the store's cache.
    _use(hass, ids, "kitchen")
    await _run(hass, entry)
    assert len(fake_agent.inputs) == 1  # never asked twice
    sessions = await _sessions(hass, entry)
    assert {s.detail["title"] for s in sessions} == {"Morning coffee"}
    # A restart keeps the cache (it lives in the store).
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    _use(hass, ids, "kitchen")
    await _run(hass, entry)
    assert len(fake_agent.inputs) == 1
    totals = entry.runtime_data.runner.naming.totals
    assert totals["calls"] == 0
    assert totals["cache_hits"] >= 1
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("behaviour", ["raise", "ha_error", "prose", "slow"])
async def test_agent_failures_fall_back_to_rules(
    hass: HomeAssistant, tmp_path: Path, agent: tuple[FakeAgent, str], behaviour: str
) -> None:
    fake_agent, agent_id = agent
    ids = _areas(hass)
    entry = await _setup(hass, tmp_path, naming="agent", naming_agent=agent_id, llm_timeout_s=0.5)
    fake_agent.behaviours = [behaviour] * 5
    _use(hass, ids, "kitchen")
    _use(hass, ids, "office")
    runner = entry.runtime_data.runner
    await _run(hass, entry)
    assert runner.last_error is None  # the run itself succeeded
    sessions = await _sessions(hass, entry)
    assert len(sessions) == 2
    assert {s.detail["named_by"] for s in sessions} == {"rules"}
    assert {s.area: s.detail["title"] for s in sessions} == {
        "Kitchen": "Kitchen visit", "Office": "Working"}  # the rule labels, capitalised
    totals = runner.naming.totals
    assert totals["fallbacks"] == 2
    assert totals["errors"] == totals["calls"] == 2
    assert runner.naming.last_errors
    # Nothing cached from a failure: once the agent works, the sessions get names.
    fake_agent.behaviours = []
    _use(hass, ids, "office")
    await _run(hass, entry)
    sessions = await _sessions(hass, entry)
    assert "llm" in {s.detail["named_by"] for s in sessions}
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_daily_budget_across_runs(
    hass: HomeAssistant, tmp_path: Path, agent: tuple[FakeAgent, str]
) -> None:
    fake_agent, agent_id = agent
    ids = _areas(hass)
    entry = await _setup(hass, tmp_path, naming="agent", naming_agent=agent_id,
                         llm_daily_calls=1)
    _use(hass, ids, "kitchen")
    _use(hass, ids, "office")
    await _run(hass, entry)
    sessions = await _sessions(hass, entry)
    assert sorted(s.detail["named_by"] for s in sessions) == ["llm", "rules"]
    assert len(fake_agent.inputs) == 1
    store = entry.runtime_data.store
    used = await hass.async_add_executor_job(store.get_state, BUDGET_STATE_KEY)
    assert used["calls"] == 1
    # Spent for today, also after a restart: the rule-named session is not asked again.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    _use(hass, ids, "office")
    await _run(hass, entry)
    assert len(fake_agent.inputs) == 1
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_agent_completer_refuses_the_event_loop(
    hass: HomeAssistant, agent: tuple[FakeAgent, str]
) -> None:
    fake_agent, agent_id = agent
    complete = agent_completer(hass, agent_id, timeout_s=2)
    with pytest.raises(RuntimeError, match="worker thread"):
        complete([{"role": "user", "content": "hi"}])
    seen: list[int] = []

    def in_worker() -> str:
        seen.append(threading.get_ident())
        return complete([{"role": "system", "content": "a"}, {"role": "user", "content": "b"}])

    assert await hass.async_add_executor_job(in_worker) == GOOD
    assert seen[0] != hass.loop_thread_id
    assert fake_agent.inputs[-1].text == "a\n\nb"


# -- (c) an OpenAI-compatible endpoint -------------------------------------------------------------


async def test_openai_endpoint_names_sessions(
    hass: HomeAssistant, tmp_path: Path, fake: FakeOpenAI
) -> None:
    ids = _areas(hass)
    entry = await _setup(hass, tmp_path, naming="openai", llm_base_url=fake.base_url,
                         llm_model="fake-model", llm_api_key="sk-secret", llm_timeout_s=5)
    _use(hass, ids, "kitchen")
    await _run(hass, entry)
    sessions = await _sessions(hass, entry)
    assert [s.detail["title"] for s in sessions] == ["Making lunch"]
    assert sessions[0].detail["named_by"] == "llm"
    assert len(fake.requests) == 1
    assert fake.requests[0]["model"] == "fake-model"
    assert fake.headers[0]["Authorization"] == "Bearer sk-secret"
    # The server fails: the next new session keeps its rule name, the run goes on.
    fake.behaviours = ["http500"] * 3
    _use(hass, ids, "office")
    await _run(hass, entry)
    sessions = await _sessions(hass, entry)
    by_area = {s.area: s.detail for s in sessions}
    assert by_area["Kitchen"]["title"] == "Making lunch"
    assert by_area["Office"]["named_by"] == "rules"
    assert entry.runtime_data.runner.last_error is None
    assert await hass.config_entries.async_unload(entry.entry_id)


# -- (d) diagnostics -------------------------------------------------------------------------------


async def test_diagnostics_redact_the_api_key(
    hass: HomeAssistant, tmp_path: Path, fake: FakeOpenAI
) -> None:
    ids = _areas(hass)
    entry = await _setup(hass, tmp_path, naming="openai", llm_base_url=fake.base_url,
                         llm_model="fake-model", llm_api_key="sk-secret", llm_timeout_s=5)
    fake.behaviours = ["http500"]
    _use(hass, ids, "kitchen")
    await _run(hass, entry)
    diag = await async_get_config_entry_diagnostics(hass, entry)
    assert "sk-secret" not in json.dumps(diag, default=str)
    assert diag["entry"]["options"]["llm_api_key"] == "**REDACTED**"
    naming = diag["runner"]["naming"]
    assert naming["mode"] == "openai"
    assert naming["calls"] == 1
    assert naming["fallbacks"] == 1
    assert naming["last_errors"]
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_addon_mode_options_have_no_naming(hass: HomeAssistant, tmp_path: Path) -> None:
    """The add-on runs the engine and has its own LLM settings: the options do not offer it."""
    entry = await setup_galatea(hass, tmp_path, data={"engine_mode": "addon"})
    await hass.async_block_till_done(wait_background_tasks=True)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert "naming" not in {str(k) for k in result["data_schema"].schema}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options_form(CAPTURE, naming=False)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert "naming" not in result["data"]
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(entry.entry_id)


# -- pieces ----------------------------------------------------------------------------------------


def test_settings_from_options() -> None:
    assert NamingSettings.from_options({}).enabled is False
    assert NamingSettings.from_options({"naming": "openai"}).enabled is False  # no URL
    bad = NamingSettings.from_options({"naming": "nonsense", "llm_max_calls": None,
                                       "llm_daily_calls": "x", "llm_timeout_s": "7"})
    assert (bad.mode, bad.max_calls, bad.daily_calls, bad.timeout_s) == ("off", 20, 200, 7.0)
    agent = NamingSettings.from_options({"naming": "agent", "naming_agent": "conversation.x",
                                         "llm_base_url": "http://ignored/v1"})
    assert agent.enabled
    opts = agent.naming_options()
    assert (opts.model, opts.base_url, opts.api_key) == ("agent:conversation.x", None, None)


def test_old_sessions_are_named_from_the_cache_only(tmp_path: Path) -> None:
    """After a full re-mine, sessions older than the ask window keep cached names or get the
    rules; only recent ones may cost a call."""
    store = ActivityStore(f"sqlite:///{tmp_path / 'n.db'}")
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def session(days_ago: float, area: str) -> Episode:
        start = now - timedelta(days=days_ago)
        return Episode(kind="session", start=start, end=start + timedelta(minutes=20),
                       area=area, label="cooking",
                       detail={"role": "kitchen", "entities": ["switch.kettle"]})

    old_known, old_new, recent = session(5, "Kitchen"), session(5, "Scullery"), session(1, "Pantry")
    asked: list[str] = []

    def complete(messages: list[dict[str, str]]) -> str:
        asked.append(messages[-1]["content"])
        return '{"title": "Brewing", "summary": "A kettle was used."}'

    opts = NamingOptions(model="m")
    cache = StoreCache(store)
    cache.set(signature(old_known, "m"), {"title": "Tea time", "summary": "Tea was made."})
    with store.unit_of_work() as uow:
        uow.replace_episodes([old_known, old_new, recent])
    report = name_recent_sessions(
        store, SessionNamer(opts, cache=cache, completer=complete), now,
        timedelta(days=30), ask_window=timedelta(hours=48),
    )
    assert report is not None
    assert (report.calls, report.cache_hits, report.fallbacks) == (1, 1, 1)
    assert len(asked) == 1
    assert "Pantry" in asked[0]
    named = {e.area: (e.detail["title"], e.detail["named_by"]) for e in store.episodes()}
    assert named == {"Kitchen": ("Tea time", "cache"), "Scullery": ("Cooking", "rules"),
                     "Pantry": ("Brewing", "llm")}
    # Nothing left to name: no write, no call.
    assert name_recent_sessions(store, SessionNamer(opts, cache=cache, completer=complete),
                                now, timedelta(days=30)) is None
    store.stop()


async def test_full_run_keeps_names_without_asking_again(
    hass: HomeAssistant, tmp_path: Path, agent: tuple[FakeAgent, str]
) -> None:
    fake_agent, agent_id = agent
    ids = _areas(hass)
    entry = await _setup(hass, tmp_path, naming="agent", naming_agent=agent_id)
    _use(hass, ids, "kitchen")
    await _run(hass, entry)
    assert len(fake_agent.inputs) == 1
    await flush(hass, entry)
    assert await entry.runtime_data.runner.async_run(full=True) is not None  # nightly re-mine
    sessions = await _sessions(hass, entry)
    assert [(s.detail["title"], s.detail["named_by"]) for s in sessions] == [
        ("Morning coffee", "cache")]
    assert len(fake_agent.inputs) == 1
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_sessions_are_named_once_settled_and_not_while_unloading(
    hass: HomeAssistant, tmp_path: Path, agent: tuple[FakeAgent, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_agent, agent_id = agent
    monkeypatch.setattr(naming_ha, "SETTLE_TIME", timedelta(minutes=10))
    ids = _areas(hass)
    entry = await _setup(hass, tmp_path, naming="agent", naming_agent=agent_id)
    _use(hass, ids, "kitchen")
    await _run(hass, entry)
    # It may still go on: not named yet, nobody asked.
    assert [s.detail.get("named_by") for s in await _sessions(hass, entry)] == [None]
    assert fake_agent.inputs == []
    # Later it is over: the next run names it, without new activity.
    monkeypatch.setattr(naming_ha, "SETTLE_TIME", timedelta(0))
    await _run(hass, entry)
    assert [s.detail["named_by"] for s in await _sessions(hass, entry)] == ["llm"]
    assert len(fake_agent.inputs) == 1
    # The entry is unloading: no new request is made, the new session gets the rules.
    naming = entry.runtime_data.runner.naming
    naming.cancel()
    _use(hass, ids, "office")
    await _run(hass, entry)
    assert len(fake_agent.inputs) == 1
    named = {s.area: s.detail["named_by"] for s in await _sessions(hass, entry)}
    assert named == {"Kitchen": "cache", "Office": "rules"}  # the kitchen was re-mined
    assert naming.totals["calls"] == 1  # nothing charged to the budget
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_options_flow_openai_package_missing(
    hass: HomeAssistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The package is a manifest requirement; an installation that lacks it says so.
    monkeypatch.setitem(sys.modules, "openai", None)
    entry = await _setup(hass, tmp_path)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options_form({**CAPTURE, "naming": "openai"})
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"llm_base_url": "http://127.0.0.1:9/v1", "llm_model": "m",
                            "llm_max_calls": 5, "llm_daily_calls": 50, "llm_timeout_s": 5}
    )
    assert result["errors"] == {"base": "llm_library_missing"}
    assert await hass.config_entries.async_unload(entry.entry_id)
