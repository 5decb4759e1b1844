"""Hostile input through Home Assistant's own doors: the webhook (HTTP), the
``galatea.record_activity`` action, the ``galatea/activity`` MQTT topic and Frigate's topics.
Every input gets a clear answer (stored rows, or a rejection naming the field), the rows stored
before stay unchanged, every accepted row is in the database and the engine still runs."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import probatio
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, MqttMockHAClient

from custom_components.galatea.const import CONF_FRIGATE_ENABLED, CONF_WEBHOOK_ID, DOMAIN
from custom_components.galatea.engine.loop import Engine, EngineOptions
from custom_components.galatea.engine.mining.episodes import EpisodeOptions
from tests.hostile_inputs import digital_body, digital_event, examples, frigate_message

from .conftest import flush, setup_galatea

N = 60  # inputs per door (the long run is benchmarks/hostile.py)


def _mqtt_safe(topic: str) -> bool:
    """Topics a broker would deliver (no wildcards, no NUL, valid UTF-8)."""
    try:
        topic.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "#" not in topic and "+" not in topic and "\x00" not in topic


async def test_hostile_input_through_every_ha_door(
    hass: HomeAssistant, tmp_path: Path, mqtt_mock: MqttMockHAClient,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    assert await async_setup_component(hass, "webhook", {})
    entry = await setup_galatea(hass, tmp_path, options={CONF_FRIGATE_ENABLED: True})
    await hass.async_block_till_done(wait_background_tasks=True)
    store = entry.runtime_data.store
    for i in range(6):
        hass.states.async_set("light.hall", "on" if i % 2 else "off")
    await flush(hass, entry)
    baseline = await hass.async_add_executor_job(lambda: list(store.iter_activity()))
    assert len(baseline) == 6
    outcomes: Counter[str] = Counter()
    accepted = 0

    client = await hass_client_no_auth()
    url = f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"
    for body in examples(digital_body, N):
        resp = await client.post(url, data=body)
        answer: dict[str, Any] = await resp.json()
        assert resp.status in (200, 400, 413), (resp.status, body[:200])
        if resp.status == 200:
            accepted += answer["recorded"]
            outcomes["webhook:stored"] += 1
        else:
            assert answer["field"]
            assert answer["error"]
            outcomes["webhook:rejected"] += 1

    for data in examples(digital_event(), N):
        try:
            result = await hass.services.async_call(DOMAIN, "record_activity", data,
                                                    blocking=True, return_response=True)
        except (ServiceValidationError, probatio.Invalid):
            outcomes["action:rejected"] += 1
            continue
        assert result is not None
        accepted += int(result["recorded"])  # type: ignore[arg-type]
        outcomes["action:stored"] += 1

    digital = entry.runtime_data.digital
    before, refused = digital.accepted, digital.rejected
    for body in examples(digital_body, N):
        async_fire_mqtt_message(hass, "galatea/activity/hostile", body)
    await hass.async_block_till_done()
    accepted += digital.accepted - before
    outcomes["mqtt:stored"] = digital.accepted - before
    outcomes["mqtt:rejected"] = digital.rejected - refused
    assert outcomes["mqtt:rejected"] > 0

    capture = entry.runtime_data.mqtt_capture
    for topic, payload in examples(frigate_message(), 2 * N):
        if _mqtt_safe(topic):
            async_fire_mqtt_message(hass, topic, payload)
    await hass.async_block_till_done()
    assert capture.tracker.stats["messages"] > N
    assert capture.tracker.stats["rejected"] > 0
    frigate_rows = capture.tracker.stats["activities"]
    accepted += frigate_rows
    outcomes["frigate:rows"] = frigate_rows

    await flush(hass, entry)
    rows = await hass.async_add_executor_job(lambda: list(store.iter_activity()))
    assert rows[: len(baseline)] == baseline
    assert len(rows) == len(baseline) + accepted, outcomes
    stats = store.stats()
    assert stats["rejected"] == 0
    assert stats["dropped"] == 0
    assert stats["committed"] == len(rows)
    assert outcomes["webhook:rejected"]
    assert outcomes["action:rejected"]

    options = EngineOptions(episodes=EpisodeOptions(kinds=frozenset({"sleep", "away"})))
    engine = Engine(store, ZoneInfo("Europe/Berlin"), options)
    summary = await hass.async_add_executor_job(lambda: engine.run_once(full=True))
    assert summary.cursor == rows[-1].id
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()
