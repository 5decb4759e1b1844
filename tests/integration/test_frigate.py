"""Frigate over MQTT in real HA core: every topic, every release's documented payloads."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.galatea.const import (
    CONF_FRIGATE_CAMERAS,
    CONF_FRIGATE_ENABLED,
    CONF_FRIGATE_MIN_SCORE,
    CONF_FRIGATE_PREFIX,
    CONF_FRIGATE_URL,
    DOMAIN,
    ISSUE_MQTT_MISSING,
)
from custom_components.galatea.engine.models import ActivityEvent
from tests.frigate_fixtures import EVENT_RELEASES, load, object_life, review_life

from .conftest import flush, options_form, setup_galatea


async def _setup(hass: HomeAssistant, tmp_path: Path, **options: Any) -> MockConfigEntry:
    entry = await setup_galatea(hass, tmp_path, options=options)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.mqtt_capture.status in ("subscribed", "digital_only")
    return entry


async def _activity(hass: HomeAssistant, entry: MockConfigEntry, **f: Any) -> list[ActivityEvent]:
    await flush(hass, entry)
    store = entry.runtime_data.store
    return await hass.async_add_executor_job(lambda: list(store.iter_activity(**f)))


def _fire(hass: HomeAssistant, msgs: list[tuple[str, str | bytes]]) -> None:
    for topic, payload in msgs:
        async_fire_mqtt_message(hass, topic, payload)


async def _finish(hass: HomeAssistant) -> None:
    """The mocked MQTT client leaves a 1 s timer behind."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _people(hass: HomeAssistant) -> None:
    hass.states.async_set("person.john_smith", "home", {"friendly_name": "John Smith"})
    hass.states.async_set("person.anna", "home", {"friendly_name": "Anna"})
    hass.states.async_set("person.bob", "not_home", {"friendly_name": "Bob"})


@pytest.mark.parametrize("release", EVENT_RELEASES)
async def test_tracked_object_life_per_release(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path, release: str
) -> None:
    await _people(hass)
    # The Frigate integration's camera entity (unique id "<entry>:camera:<name>") in an area.
    area = ar.async_get(hass).async_create("Porch")
    reg = er.async_get(hass)
    cam = reg.async_get_or_create("camera", "frigate", "abc:camera:front_door",
                                  suggested_object_id="front_door_cam")
    reg.async_update_entity(cam.entity_id, area_id=area.id)
    entry = await _setup(hass, tmp_path)
    _fire(hass, object_life(release))
    await hass.async_block_till_done()
    acts = await _activity(hass, entry, source="frigate")
    assert len(acts) == 1
    act = acts[0]
    assert act.kind == "person_detected"
    assert act.entity_id == cam.entity_id
    assert act.area == "Porch"
    assert act.data["camera"] == "front_door"
    assert set(act.data["zones"]) == {"yard", "driveway"}
    if release != "0.12":
        assert (act.actor, act.actor_kind) == ("person.john_smith", "person")
    await _finish(hass)


async def test_reviews_updates_faces_plates_and_descriptions(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path
) -> None:
    await _people(hass)
    entry = await _setup(hass, tmp_path)
    life = object_life("0.16", camera="driveway_cam")
    face = load("tracked_object_update__face_recognition.0.16.json")
    face["name"] = "anna"
    lpr = load("tracked_object_update__license_plate_recognition.0.16.json")
    _fire(hass, [life[0], ("frigate/tracked_object_update", json.dumps(face)),
                 ("frigate/tracked_object_update", json.dumps(lpr)), life[1], life[2],
                 ("frigate/tracked_object_update",
                  json.dumps(load("tracked_object_update__generative_ai_description.0.16-dev.json"))),
                 *review_life("reviews.0.14.json"), *review_life("reviews.0.17.json")])
    await hass.async_block_till_done()
    acts = await _activity(hass, entry, source="frigate")
    kinds = [a.kind for a in acts]
    assert kinds == ["person_detected", "object_described", "review", "review"]
    det = acts[0]
    assert det.actor == "person.anna"
    assert det.data["face"] == "anna"
    assert det.data["plate"] == "ABC12345"  # the later event update wins
    assert det.data["plate_name"] == "John's Car"
    assert acts[1].parent_id == det.context_id
    rev14, rev17 = acts[2], acts[3]
    assert rev14.data["severity"] == "alert"
    assert rev14.actor == "person.bob"
    assert set(rev14.data["objects"]) == {"person", "car"}
    assert rev17.actor == "person.anna"
    assert rev17.data["zones"] == ["porch", "steps"]
    await _finish(hass)


async def test_motion_counts_and_availability(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _setup(hass, tmp_path)
    topics = load("scalar_topics.code-derived.json")["examples"]
    for example in topics:  # every documented scalar topic is accepted or ignored, never rejected
        payload = example["payload"].encode() if "JPEG" not in example["payload"] else b"\xff\xd8"
        async_fire_mqtt_message(hass, example["topic"], payload)
    await hass.async_block_till_done()
    tracker = entry.runtime_data.mqtt_capture.tracker
    assert tracker.stats["rejected"] == 0, tracker.rejected
    # OFF is debounced (30 s): the expiry timer emits it.
    freezer.tick(timedelta(seconds=45))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    acts = await _activity(hass, entry, source="frigate")
    got = [(a.kind, a.state) for a in acts]
    assert ("frigate_available", "online") in got
    assert ("frigate_available", "offline") in got
    assert ("motion", "on") in got
    assert ("motion", "off") in got
    assert ("object_present", "on") in got
    await _finish(hass)


async def test_options_prefix_camera_filter_min_score(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path
) -> None:
    entry = await _setup(hass, tmp_path, **{
        CONF_FRIGATE_PREFIX: "nvr", CONF_FRIGATE_CAMERAS: ["garage", "front_door"],
        CONF_FRIGATE_MIN_SCORE: 0.9,
    })
    _fire(hass, object_life("0.15", camera="garage"))  # default prefix: not ours
    _fire(hass, object_life("0.15", prefix="nvr", camera="attic", obj_id="a"))  # filtered
    _fire(hass, object_life("0.15", prefix="nvr", camera="garage", obj_id="b"))
    low = object_life("0.15", prefix="nvr", obj_id="c")
    low = [(t, p.replace("0.958984375", "0.5").replace("0.87890625", "0.5")) for t, p in low]
    _fire(hass, low)  # below the minimum score
    await hass.async_block_till_done()
    acts = await _activity(hass, entry, source="frigate")
    assert [(a.data["camera"], a.data["id"]) for a in acts] == [("garage", "b")]
    await _finish(hass)


async def test_frigate_off_keeps_digital_topic(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path
) -> None:
    entry = await _setup(hass, tmp_path, **{CONF_FRIGATE_ENABLED: False})
    assert entry.runtime_data.mqtt_capture.status == "digital_only"
    _fire(hass, object_life("0.15"))
    async_fire_mqtt_message(hass, "galatea/activity/laptop",
                            json.dumps({"kind": "app_focus", "state": "firefox"}))
    await hass.async_block_till_done()
    acts = await _activity(hass, entry)
    assert [(a.source, a.kind, a.device) for a in acts] == [("digital", "app_focus", "laptop")]
    await _finish(hass)


async def test_without_mqtt_galatea_works_and_says_why(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    entry = await setup_galatea(hass, tmp_path, options={CONF_FRIGATE_ENABLED: True})
    await hass.async_block_till_done(wait_background_tasks=True)
    capture = entry.runtime_data.mqtt_capture
    assert capture.status == "mqtt_missing"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"{ISSUE_MQTT_MISSING}_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == ISSUE_MQTT_MISSING
    # The options page explains it too.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert "MQTT integration is not set up" in result["description_placeholders"]["mqtt_status"]
    hass.states.async_set("light.kitchen", "on")  # HA capture unaffected
    assert len(await _activity(hass, entry, entity_id="light.kitchen")) == 1


async def test_snapshot_fetched_into_blob_store(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path, socket_enabled: None
) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + b"x" * 2048
    seen: list[str] = []

    async def snapshot(request: web.Request) -> web.Response:
        seen.append(request.match_info["event_id"])
        return web.Response(body=jpeg, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/api/events/{event_id}/snapshot.jpg", snapshot)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        entry = await _setup(hass, tmp_path, **{CONF_FRIGATE_URL: f"http://127.0.0.1:{port}/"})
        _fire(hass, object_life("0.15"))
        await hass.async_block_till_done(wait_background_tasks=True)
        acts = await _activity(hass, entry, source="frigate")
        assert len(acts) == 1
        assert seen == [acts[0].data["id"]]
        assert acts[0].blob is not None
        blob = await hass.async_add_executor_job(entry.runtime_data.store.get_blob, acts[0].blob)
        assert blob == jpeg
    finally:
        await runner.cleanup()
    await _finish(hass)


async def test_snapshot_failure_still_records(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path, socket_enabled: None
) -> None:
    port = _free_port()  # nothing listens there
    entry = await _setup(hass, tmp_path, **{CONF_FRIGATE_URL: f"http://127.0.0.1:{port}"})
    _fire(hass, object_life("0.16"))
    await hass.async_block_till_done(wait_background_tasks=True)
    acts = await _activity(hass, entry, source="frigate")
    assert len(acts) == 1
    assert acts[0].blob is None
    assert entry.runtime_data.mqtt_capture.snapshots["failed"] == 1
    await _finish(hass)


async def test_unload_flushes_open_objects(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path
) -> None:
    entry = await _setup(hass, tmp_path)
    _fire(hass, object_life("0.15")[:2])
    await hass.async_block_till_done()
    store = entry.runtime_data.store
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    # Re-open: the interrupted object was written before the store closed.
    entry2 = await _setup(hass, tmp_path)
    acts = await _activity(hass, entry2, source="frigate")
    assert [a.data.get("ended") for a in acts] == ["interrupted"]
    assert store is not entry2.runtime_data.store
    await _finish(hass)


_hostile = st.one_of(
    st.binary(max_size=200),
    st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=30),
                 lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c,
                                                                     max_size=4),
                 max_leaves=15).map(lambda v: json.dumps(v).encode()),
)


async def test_hostile_payloads_never_harm_stored_data(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path
) -> None:
    entry = await _setup(hass, tmp_path)
    _fire(hass, object_life("0.15"))
    await hass.async_block_till_done()
    before = [a.to_dict() for a in await _activity(hass, entry)]
    assert len(before) == 1
    payloads: list[bytes] = []

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(topic=st.sampled_from(["frigate/events", "frigate/reviews", "frigate/available",
                                  "frigate/tracked_object_update", "frigate/cam/motion",
                                  "frigate/cam/person"]),
           payload=_hostile)
    def collect(topic: str, payload: bytes) -> None:
        payloads.append(topic.encode() + b"\0" + payload)

    collect()
    for item in payloads:
        topic, _, payload = item.partition(b"\0")
        async_fire_mqtt_message(hass, topic.decode(), payload)
    async_fire_mqtt_message(hass, "frigate/events", b"\xff" * 100)
    async_fire_mqtt_message(hass, "frigate/events", b"[" * 70_000)
    await hass.async_block_till_done()
    tracker = entry.runtime_data.mqtt_capture.tracker
    assert tracker.rejected["not_utf8"] >= 1
    assert tracker.rejected["too_large"] == 1
    after = [a.to_dict() for a in await _activity(hass, entry)]
    assert after[: len(before)] == before  # nothing stored was changed
    assert entry.state.value == "loaded"
    await _finish(hass)


async def test_frigate_options_through_the_options_flow(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path
) -> None:
    entry = await _setup(hass, tmp_path)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert "listening to MQTT" in result["description_placeholders"]["mqtt_status"]
    assert entry.data["webhook_id"] in result["description_placeholders"]["webhook_url"]
    result = await hass.config_entries.options.async_configure(result["flow_id"], options_form({
        "domains": ["light"], "binary_device_classes": ["motion"],
        "include_numeric_sensors": False, "retention_days": 30, "commit_interval": 1.0,
        "engine_interval": 5, CONF_FRIGATE_ENABLED: True, CONF_FRIGATE_PREFIX: "nvr",
        CONF_FRIGATE_CAMERAS: ["garage"], CONF_FRIGATE_MIN_SCORE: 0.5,
        CONF_FRIGATE_URL: "http://frigate.local:5000",
    }))
    assert result["type"] == "create_entry"
    await hass.async_block_till_done(wait_background_tasks=True)
    capture = entry.runtime_data.mqtt_capture  # the entry reloaded
    assert capture.status == "subscribed"
    assert (capture.settings.prefix, capture.settings.cameras, capture.settings.min_score,
            capture.settings.url) == ("nvr", frozenset({"garage"}), 0.5,
                                      "http://frigate.local:5000")
    _fire(hass, object_life("0.15", prefix="nvr", camera="garage"))
    await hass.async_block_till_done()
    assert capture.tracker.stats["messages"] == 3
    await _finish(hass)


async def test_snapshot_fetches_in_flight_are_bounded(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path, socket_enabled: None
) -> None:
    from custom_components.galatea.mqtt_capture import MAX_PENDING_SNAPSHOTS

    release = asyncio.Event()

    async def snapshot(request: web.Request) -> web.Response:
        await release.wait()  # a slow Frigate: every fetch hangs until released
        return web.Response(body=b"\xff\xd8jpeg", content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/api/events/{event_id}/snapshot.jpg", snapshot)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        entry = await _setup(hass, tmp_path, **{CONF_FRIGATE_URL: f"http://127.0.0.1:{port}"})
        capture = entry.runtime_data.mqtt_capture
        for i in range(MAX_PENDING_SNAPSHOTS + 10):
            _fire(hass, object_life("0.16", obj_id=f"1700000000.{i}-flood"))
            await hass.async_block_till_done()
        assert len(capture._pending) == MAX_PENDING_SNAPSHOTS
        assert capture.snapshots["skipped"] == 10
        release.set()
        await hass.async_block_till_done(wait_background_tasks=True)
        acts = await _activity(hass, entry, source="frigate")
        assert len(acts) == MAX_PENDING_SNAPSHOTS + 10  # every detection recorded
        assert sum(1 for a in acts if a.blob) == MAX_PENDING_SNAPSHOTS
    finally:
        await runner.cleanup()
    await _finish(hass)
