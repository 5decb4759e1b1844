"""Digital activity through the service and MQTT, and HA-native digital signals."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.galatea.const import DOMAIN
from custom_components.galatea.engine.models import ActivityEvent

from .conftest import flush, setup_galatea


async def _activity(hass: HomeAssistant, entry: MockConfigEntry, **f: Any) -> list[ActivityEvent]:
    await flush(hass, entry)
    store = entry.runtime_data.store
    return await hass.async_add_executor_job(lambda: list(store.iter_activity(**f)))


async def test_record_activity_service(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(hass, tmp_path)
    result = await hass.services.async_call(
        DOMAIN, "record_activity",
        {"kind": "coding_session", "state": "galatea", "actor": "person.anna",
         "data": {"minutes": 42}, "ts": "2026-11-21T18:00:00+01:00"},
        blocking=True, return_response=True,
    )
    assert result == {"recorded": 1}
    await hass.services.async_call(DOMAIN, "record_activity", {"kind": "screen_off"},
                                   blocking=True)
    acts = await _activity(hass, entry, source="digital")
    assert [(a.kind, a.state, a.actor) for a in acts] == [
        ("coding_session", "galatea", "person.anna"), ("screen_off", None, None)]
    assert acts[0].data == {"minutes": 42}


@pytest.mark.parametrize(("data", "field"), [
    ({"kind": "Not Valid"}, "kind"),
    ({"kind": "idle", "ts": "soon"}, "ts"),
    ({"kind": "idle", "entity_id": "nodot"}, "entity_id"),
    ({"kind": "idle", "data": {"x": "y" * 20_000}}, "data"),
])
async def test_record_activity_errors_are_translated(
    hass: HomeAssistant, tmp_path: Path, data: dict[str, Any], field: str
) -> None:
    entry = await setup_galatea(hass, tmp_path)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "record_activity", data, blocking=True)
    assert err.value.translation_key == "invalid_activity"
    assert err.value.translation_placeholders["field"] == field
    assert await _activity(hass, entry, source="digital") == []


async def test_service_needs_a_loaded_entry(hass: HomeAssistant, tmp_path: Path) -> None:
    """The action is registered in async_setup; without a loaded entry it says so."""
    entry = await setup_galatea(hass, tmp_path)
    assert hass.services.has_service(DOMAIN, "record_activity")
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert hass.services.has_service(DOMAIN, "record_activity")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "record_activity",
            {"kind": "app_focus", "ts": "2026-11-21T10:00:00+00:00"}, blocking=True,
        )
    assert err.value.translation_key == "not_loaded"


async def test_mqtt_digital_topic(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path
) -> None:
    entry = await setup_galatea(hass, tmp_path)
    await hass.async_block_till_done(wait_background_tasks=True)
    async_fire_mqtt_message(hass, "galatea/activity/desktop",
                            json.dumps([{"kind": "app_focus", "state": "code"},
                                        {"kind": "idle", "device": "phone"}]))
    async_fire_mqtt_message(hass, "galatea/activity",
                            json.dumps({"kind": "command", "state": "make"}))
    async_fire_mqtt_message(hass, "galatea/activity/desktop", b"\xff not json")
    async_fire_mqtt_message(hass, "galatea/activity/desktop",
                            json.dumps([{"kind": "ok"}, {"kind": "BAD"}]))  # all or nothing
    await hass.async_block_till_done()
    acts = await _activity(hass, entry, source="digital")
    assert [(a.kind, a.device) for a in acts] == [
        ("app_focus", "desktop"), ("idle", "phone"), ("command", None)]
    assert entry.runtime_data.digital.rejected == 2
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()


# Companion-app and PC-agent sensors as their integrations create them.
NATIVE: list[tuple[str, str, dict[str, Any], str, str]] = [
    ("sensor", "pixel_last_used_app", {}, "com.spotify.music", "org.mozilla.firefox"),
    ("binary_sensor", "pixel_interactive", {}, "off", "on"),
    ("sensor", "pixel_detected_activity", {"icon": "mdi:walk"}, "still", "walking"),
    ("sensor", "pixel_sleep_confidence", {"unit_of_measurement": "%"}, "20", "95"),
    ("sensor", "pixel_next_alarm", {"device_class": "timestamp"},
     "2026-11-22T06:30:00+00:00", "2026-11-23T06:30:00+00:00"),
    ("sensor", "desk_pc_activewindow", {}, "Terminal", "Firefox"),
    ("binary_sensor", "desk_pc_idle", {}, "off", "on"),
]


@pytest.mark.parametrize(("domain", "object_id", "attrs", "first", "second"), NATIVE)
async def test_ha_native_digital_signals_are_captured(
    hass: HomeAssistant, tmp_path: Path, domain: str, object_id: str, attrs: dict[str, Any],
    first: str, second: str,
) -> None:
    platform = "mobile_app" if object_id.startswith("pixel") else "hass_agent"
    reg = er.async_get(hass)
    entity = reg.async_get_or_create(domain, platform, object_id, suggested_object_id=object_id)
    entry = await setup_galatea(hass, tmp_path)
    hass.states.async_set(entity.entity_id, first, attrs)
    hass.states.async_set(entity.entity_id, second, attrs)
    acts = await _activity(hass, entry, entity_id=entity.entity_id)
    assert [(a.old_state, a.state) for a in acts] == [(None, first), (first, second)]
