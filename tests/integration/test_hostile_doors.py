"""Doors under attack in real HA core: remote webhook callers, bad clocks, text the store cannot
write, Galatea's own action calls, person privacy actions, and actions with nothing loaded."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
from homeassistant.util.aiohttp import MockRequest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.galatea.const import CONF_WEBHOOK_ID, CONF_WEBHOOK_REMOTE, DOMAIN

from .conftest import flush, setup_galatea


@pytest.fixture(autouse=True)
async def _unload_galatea(hass: HomeAssistant) -> AsyncIterator[None]:
    yield
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _remote_post(hass: HomeAssistant, hook_id: str, body: dict[str, Any],
                       remote: str) -> int:
    request = MockRequest(json.dumps(body).encode(), mock_source="test", method="POST",
                          remote=remote)
    response = await webhook.async_handle_webhook(hass, hook_id, request)
    await hass.async_block_till_done()
    return int(response.status)


@pytest.mark.parametrize(("allow_remote", "stored"), [(False, 1), (True, 2)])
async def test_webhook_is_local_only_unless_allowed(
    hass: HomeAssistant, tmp_path: Path, allow_remote: bool, stored: int
) -> None:
    assert await async_setup_component(hass, "webhook", {})
    entry = await setup_galatea(hass, tmp_path, options={CONF_WEBHOOK_REMOTE: allow_remote})
    hook_id = entry.data[CONF_WEBHOOK_ID]
    assert await _remote_post(hass, hook_id, {"kind": "note"}, "192.168.1.20") == 200
    await _remote_post(hass, hook_id, {"kind": "note"}, "8.8.8.8")
    await flush(hass, entry)
    assert entry.runtime_data.store.count_activity(source="digital") == stored


async def test_webhook_bad_clock_and_bad_text(
    hass: HomeAssistant, tmp_path: Path, hass_client_no_auth: ClientSessionGenerator
) -> None:
    assert await async_setup_component(hass, "webhook", {})
    entry = await setup_galatea(hass, tmp_path)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"
    resp = await client.post(url, json={"kind": "note", "ts": "2100-01-01T00:00:00+00:00"})
    assert resp.status == 200
    resp = await client.post(url, json={"kind": "note", "ts": "9999-12-31T23:59:59-14:00"})
    assert resp.status == 400
    assert (await resp.json())["field"] == "ts"
    batch = [{"kind": "note", "summary": f"n{i}"} for i in range(499)]
    batch.append({"kind": "note", "summary": "\ud800"})
    resp = await client.post(url, data=json.dumps(batch), headers={
        "Content-Type": "application/json"})
    assert resp.status == 400
    assert (await resp.json())["field"] == "events[499].summary"
    await flush(hass, entry)
    store = entry.runtime_data.store
    rows = await hass.async_add_executor_job(lambda: list(store.iter_activity()))
    assert len(rows) == 1  # only the re-timed note; nothing of the refused batch
    assert rows[0].data["ts_original"].startswith("2100")
    assert store.stats()["committed"] == store.count_activity()
    assert entry.runtime_data.digital.as_dict()["retimed"] == 1


async def test_galatea_actions_leave_nothing_in_the_activity_log(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    entry = await setup_galatea(hass, tmp_path)
    user = Context(user_id="abcdef")
    secret = "the spare key is under the blue flowerpot"
    await hass.services.async_call(DOMAIN, "remember", {"text": secret}, blocking=True,
                                   context=user)
    await hass.services.async_call(DOMAIN, "search_memories", {"query": "zebulon cookies"},
                                   blocking=True, context=user, return_response=True)
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(DOMAIN, "record_activity",
                                       {"kind": "Not A Kind", "summary": "refused"},
                                       blocking=True, context=user)
    await flush(hass, entry)
    store = entry.runtime_data.store
    rows = await hass.async_add_executor_job(lambda: list(store.iter_activity()))
    assert [r for r in rows if r.kind == "call_service"] == []
    memory_id = store.memories()[0].id
    await hass.services.async_call(DOMAIN, "forget", {"memory_id": memory_id}, blocking=True,
                                   context=user)
    await flush(hass, entry)
    db = tmp_path / "galatea.db"
    files = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(db.name))
    assert secret.encode() not in files
    assert b"zebulon cookies" not in files


async def test_export_and_forget_a_person(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(hass, tmp_path)
    hass.states.async_set("person.zebulon", "home", {"friendly_name": "Zebulon"})
    hass.states.async_set("person.ada", "home", {"friendly_name": "Ada"})
    await hass.services.async_call(DOMAIN, "remember", {"text": "Zebulon likes tea"},
                                   blocking=True)
    await flush(hass, entry)
    exported = await hass.services.async_call(
        DOMAIN, "export_person", {"person": "person.zebulon"}, blocking=True,
        return_response=True)
    assert exported is not None
    assert exported["person"] == "person.zebulon"
    assert [a["entity_id"] for a in exported["activity"]] == ["person.zebulon"]
    assert [m["text"] for m in exported["memories"]] == ["Zebulon likes tea"]
    result = await hass.services.async_call(
        DOMAIN, "forget_person", {"person": "person.zebulon"}, blocking=True,
        return_response=True)
    assert result is not None
    assert result["forgotten"]["activity"] == 1
    assert result["forgotten"]["memory"] == 1
    store = entry.runtime_data.store
    rows = await hass.async_add_executor_job(lambda: list(store.iter_activity()))
    assert [r.entity_id for r in rows] == ["person.ada"]
    assert store.memories() == []


ONLY_RESPONSE = frozenset({"search_memories", "export_person"})


async def test_every_action_answers_not_loaded_after_removal(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    entry = await setup_galatea(hass, tmp_path)
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    calls: dict[str, dict[str, Any]] = {
        "record_activity": {"kind": "note"}, "search_memories": {"query": "x"},
        "remember": {"text": "x"}, "forget": {"memory_id": 1},
        "forget_person": {"person": "person.x"}, "export_person": {"person": "person.x"},
    }
    for service, data in calls.items():
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(DOMAIN, service, data, blocking=True,
                                           return_response=service in ONLY_RESPONSE)
        assert err.value.translation_key == "not_loaded", service
