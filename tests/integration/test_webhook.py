"""The digital-activity webhook in real HA core (hass_client → /api/webhook/<id>)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.galatea.const import CONF_WEBHOOK_ID
from custom_components.galatea.engine.capture.digital import MAX_BATCH, MAX_BODY_BYTES
from custom_components.galatea.engine.models import ActivityEvent

from .conftest import flush, setup_galatea


@pytest.fixture(autouse=True)
async def _unload_galatea(hass: HomeAssistant) -> AsyncIterator[None]:
    """Unload (flush, stop the writer thread) inside the test, not in HA's teardown."""
    yield
    for entry in hass.config_entries.async_entries("galatea"):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
async def _setup(hass: HomeAssistant, tmp_path: Path) -> MockConfigEntry:
    assert await async_setup_component(hass, "webhook", {})
    entry = await setup_galatea(hass, tmp_path)
    assert entry.data[CONF_WEBHOOK_ID]
    return entry


async def _activity(hass: HomeAssistant, entry: MockConfigEntry) -> list[ActivityEvent]:
    await flush(hass, entry)
    store = entry.runtime_data.store
    return await hass.async_add_executor_job(lambda: list(store.iter_activity(source="digital")))


def _url(entry: MockConfigEntry) -> str:
    return f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"


async def test_single_and_batch(
    hass: HomeAssistant, tmp_path: Path, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await _setup(hass, tmp_path)
    client = await hass_client_no_auth()
    resp = await client.post(_url(entry), json={"kind": "app_focus", "state": "firefox",
                                                "device": "laptop", "actor": "person.anna"})
    assert resp.status == 200
    assert await resp.json() == {"recorded": 1}
    batch = {"events": [{"kind": "command", "state": "git", "data": {"exit": 0}},
                        {"kind": "tool_use", "state": "Bash", "ts": "2026-11-21T19:00:00+01:00"}]}
    resp = await client.post(_url(entry), json=batch)
    assert resp.status == 200
    assert await resp.json() == {"recorded": 2}
    acts = await _activity(hass, entry)
    assert [(a.kind, a.state) for a in acts] == [("app_focus", "firefox"), ("command", "git"),
                                                 ("tool_use", "Bash")]
    assert acts[0].actor == "person.anna"
    assert acts[1].data == {"exit": 0}


@pytest.mark.parametrize(("body", "field"), [
    (b"nope", "body"),
    (b'{"state": "x"}', "kind"),
    (b'{"kind": "x", "ts": "later"}', "ts"),
    (b'[{"kind": "fine"}, {"kind": "fine", "source": "ha"}]', "events[1].source"),
])
async def test_invalid_input_is_400_naming_the_field_and_stores_nothing(
    hass: HomeAssistant, tmp_path: Path, hass_client_no_auth: ClientSessionGenerator,
    body: bytes, field: str,
) -> None:
    entry = await _setup(hass, tmp_path)
    client = await hass_client_no_auth()
    resp = await client.post(_url(entry), data=body,
                             headers={"Content-Type": "application/json"})
    assert resp.status == 400
    answer = await resp.json()
    assert answer["field"] == field
    assert answer["error"]
    assert await _activity(hass, entry) == []  # all or nothing


async def test_too_big_is_413(
    hass: HomeAssistant, tmp_path: Path, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await _setup(hass, tmp_path)
    client = await hass_client_no_auth()
    resp = await client.post(_url(entry), data=b" " * (MAX_BODY_BYTES + 10))
    assert resp.status == 413
    resp = await client.post(_url(entry), json=[{"kind": "x"}] * (MAX_BATCH + 1))
    assert resp.status == 413
    assert (await resp.json())["field"] == "events"
    assert await _activity(hass, entry) == []


async def test_webhook_id_survives_reload_and_is_redacted_in_options(
    hass: HomeAssistant, tmp_path: Path, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await _setup(hass, tmp_path)
    hook_id = entry.data[CONF_WEBHOOK_ID]
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.data[CONF_WEBHOOK_ID] == hook_id
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert hook_id in result["description_placeholders"]["webhook_url"]
    client = await hass_client_no_auth()
    resp = await client.post(_url(entry), json={"kind": "idle"})
    assert resp.status == 200
    assert await hass.config_entries.async_unload(entry.entry_id)
    resp = await client.post(_url(entry), json={"kind": "idle"})
    assert resp.status == 200  # HA answers 200 for unknown webhooks; nothing is recorded


_values = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(
    max_size=40)
_bodies = st.one_of(
    st.binary(max_size=100),
    st.dictionaries(st.sampled_from(["kind", "ts", "state", "data", "source", "actor", "zzz"]),
                    _values | st.dictionaries(st.text(max_size=5), _values, max_size=3),
                    max_size=5).map(lambda d: json.dumps(d).encode()),
    st.lists(st.dictionaries(st.sampled_from(["kind", "ts", "state"]), _values, max_size=3),
             max_size=4).map(lambda d: json.dumps(d).encode()),
)


async def test_hypothesis_bodies_are_accepted_or_rejected_cleanly(
    hass: HomeAssistant, tmp_path: Path, hass_client_no_auth: ClientSessionGenerator
) -> None:
    entry = await _setup(hass, tmp_path)
    client = await hass_client_no_auth()
    bodies: list[bytes] = []

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(_bodies)
    def collect(body: bytes) -> None:
        bodies.append(body)

    collect()
    accepted = 0
    for body in bodies:
        resp = await client.post(_url(entry), data=body)
        assert resp.status in (200, 400), body
        answer: dict[str, Any] = await resp.json()
        if resp.status == 200:
            accepted += answer["recorded"]
        else:
            assert answer["field"]
    assert len(await _activity(hass, entry)) == accepted


async def test_diagnostics_redact_webhook_and_report_capture(
    hass: HomeAssistant, tmp_path: Path, hass_client: ClientSessionGenerator
) -> None:
    from pytest_homeassistant_custom_component.components.diagnostics import (
        get_diagnostics_for_config_entry,
    )

    assert await async_setup_component(hass, "diagnostics", {})
    entry = await _setup(hass, tmp_path)
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "frigate_url": "http://user:pw@frigate:5000"})
    await hass.async_block_till_done()
    diag = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diag)
    assert entry.data[CONF_WEBHOOK_ID] not in text
    assert "user:pw" not in text
    assert diag["digital"] == {"accepted": 0, "rejected": 0, "dropped": 0, "retimed": 0}
    assert diag["frigate"]["status"] == "mqtt_missing"
