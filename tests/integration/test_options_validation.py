"""The options form: sections, HA's own validators, and MQTT arriving after Galatea."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryDisabler
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import MqttMockHAClientGenerator

from custom_components.galatea.config_flow import SECTIONS, options_schema
from custom_components.galatea.const import (
    CONF_FRIGATE_ENABLED,
    CONF_FRIGATE_PREFIX,
    CONF_FRIGATE_URL,
    DOMAIN,
    ISSUE_MQTT_MISSING,
)

from .conftest import options_form, setup_galatea

BASE: dict[str, Any] = {
    "domains": ["light", "person"],
    "binary_device_classes": ["motion"],
    "include_numeric_sensors": False,
    "retention_days": 30,
}
STRINGS = json.loads(
    (Path(__file__).parents[2] / "custom_components" / DOMAIN / "translations" / "en.json")
    .read_text()
)


def test_sections_and_their_labels() -> None:
    """Grouped in sections (Frigate and the expert numbers collapsed), each one labelled."""
    schema = options_schema()
    sections = {str(k): v for k, v in schema.schema.items() if isinstance(v, section)}
    assert list(sections) == list(SECTIONS)
    assert not sections["capture"].options["collapsed"]
    assert sections["frigate"].options["collapsed"]
    assert sections["advanced"].options["collapsed"]
    advanced = {str(k) for k in sections["advanced"].schema.schema}
    assert "commit_interval" in advanced
    labels = STRINGS["options"]["step"]["init"]["sections"]
    for name, sec in sections.items():
        assert labels[name]["name"]
        for field in sec.schema.schema:
            assert labels[name]["data"][str(field)], field
    # Domains and binary sensor kinds read as words, not raw ids.
    assert STRINGS["selector"]["domains"]["options"]["input_boolean"] == "Toggle helpers"
    assert STRINGS["selector"]["binary_device_classes"]["options"]["motion"] == "Motion"
    for key, text in STRINGS["options"]["error"].items():
        assert "[%key:" not in text, key


@pytest.mark.parametrize(
    ("frigate", "field", "error"),
    [
        ({CONF_FRIGATE_PREFIX: "fri#gate/+"}, CONF_FRIGATE_PREFIX, "invalid_topic_prefix"),
        ({CONF_FRIGATE_PREFIX: "frigate/+"}, CONF_FRIGATE_PREFIX, "invalid_topic_prefix"),
        ({CONF_FRIGATE_PREFIX: "frigate/#"}, CONF_FRIGATE_PREFIX, "invalid_topic_prefix"),
        ({CONF_FRIGATE_PREFIX: ""}, CONF_FRIGATE_PREFIX, "invalid_topic_prefix"),
        ({CONF_FRIGATE_PREFIX: "   "}, CONF_FRIGATE_PREFIX, "invalid_topic_prefix"),
        ({CONF_FRIGATE_PREFIX: "/frigate"}, CONF_FRIGATE_PREFIX, "invalid_topic_prefix"),
        ({CONF_FRIGATE_URL: "not a url"}, CONF_FRIGATE_URL, "invalid_url"),
        ({CONF_FRIGATE_URL: "ftp://frigate.local"}, CONF_FRIGATE_URL, "invalid_url"),
        ({"frigate_cameras": ["garage", " "]}, "frigate_cameras", "empty_value"),
    ],
)
async def test_bad_values_are_rejected_with_translated_errors(
    hass: HomeAssistant, tmp_path: Path, frigate: dict[str, Any], field: str, error: str
) -> None:
    entry = await setup_galatea(hass, tmp_path)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options_form({**BASE, CONF_FRIGATE_ENABLED: True, **frigate})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert STRINGS["options"]["error"][error]
    assert entry.options == {}  # nothing saved, nothing subscribed


async def test_good_values_are_saved_clean(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(hass, tmp_path)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        options_form({**BASE, CONF_FRIGATE_ENABLED: True, CONF_FRIGATE_PREFIX: " home/nvr ",
                      CONF_FRIGATE_URL: "  "}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_FRIGATE_PREFIX] == "home/nvr"
    assert CONF_FRIGATE_URL not in entry.options  # empty means none
    assert entry.options["commit_interval"] == 1.0  # the collapsed section's default


async def test_a_saved_bad_prefix_is_never_subscribed(
    hass: HomeAssistant, tmp_path: Path, mqtt_mock_entry: MqttMockHAClientGenerator,
    mock_hass_config: None,
) -> None:
    """Options saved by an earlier version (no validation) never reach the broker."""
    mqtt_mock = await mqtt_mock_entry()
    entry = await setup_galatea(
        hass, tmp_path, options={CONF_FRIGATE_ENABLED: True, CONF_FRIGATE_PREFIX: "fri#gate/+"}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    capture = entry.runtime_data.mqtt_capture
    assert capture.status == "invalid_prefix"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()
    topics = [call[0][0] for call in mqtt_mock.async_subscribe.call_args_list]
    assert "galatea/activity/#" in topics
    assert not [t for t in topics if "gate" in t and not t.startswith("galatea/")], topics
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert "not a valid MQTT topic" in result["description_placeholders"]["mqtt_status"]


# Removing the mocked MQTT entry leaves HA's MQTT debouncer timer behind.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_mqtt_set_up_later_is_picked_up_and_the_repair_clears(
    hass: HomeAssistant, tmp_path: Path, mqtt_mock_entry: MqttMockHAClientGenerator,
    mock_hass_config: None, expected_lingering_timers: bool,
) -> None:
    # No usable MQTT when Galatea starts (the harness's MQTT entry is disabled for now).
    mqtt_entry = hass.config_entries.async_entries("mqtt")[0]
    await hass.config_entries.async_set_disabled_by(
        mqtt_entry.entry_id, ConfigEntryDisabler.USER
    )  # False: it was not loaded, so there was nothing to unload
    assert mqtt_entry.disabled_by is ConfigEntryDisabler.USER
    entry = await setup_galatea(hass, tmp_path, options={CONF_FRIGATE_ENABLED: True})
    await hass.async_block_till_done(wait_background_tasks=True)
    capture = entry.runtime_data.mqtt_capture
    issues = ir.async_get(hass)
    issue_id = f"{ISSUE_MQTT_MISSING}_{entry.entry_id}"
    assert capture.status == "mqtt_missing"
    assert issues.async_get_issue(DOMAIN, issue_id) is not None
    # The user sets MQTT up now (the harness loads its mocked client); no restart, no reload.
    object.__setattr__(mqtt_entry, "disabled_by", None)
    mqtt_mock = await mqtt_mock_entry()
    await hass.async_block_till_done(wait_background_tasks=True)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert capture is entry.runtime_data.mqtt_capture
    assert capture.status == "subscribed"
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    topics = {call[0][0] for call in mqtt_mock.async_subscribe.call_args_list}
    assert {"frigate/#", "galatea/activity/#"} <= topics
    # And MQTT removed again: the repair comes back.
    assert await hass.config_entries.async_remove(mqtt_entry.entry_id)
    await hass.async_block_till_done()
    assert capture.status == "mqtt_missing"
    assert issues.async_get_issue(DOMAIN, issue_id) is not None
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=4))
    await hass.async_block_till_done()


async def test_mqtt_loading_after_galatea_at_start_up(
    hass: HomeAssistant, tmp_path: Path, mqtt_mock_entry: MqttMockHAClientGenerator,
    mock_hass_config: None,
) -> None:
    """HA starting: MQTT's entry exists but loads after Galatea; no repair, no waiting task."""
    entry = await setup_galatea(hass, tmp_path, options={CONF_FRIGATE_ENABLED: True})
    await hass.async_block_till_done(wait_background_tasks=True)
    capture = entry.runtime_data.mqtt_capture
    assert capture.status == "starting"
    issue_id = f"{ISSUE_MQTT_MISSING}_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await mqtt_mock_entry()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert capture.status == "subscribed"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()
