"""Real Mosquitto + real ``hass``: Frigate-shaped MQTT messages and digital activity end up in
galatea.db with camera, label, zones and actor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from tests.frigate_fixtures import object_life, review_life

from .harness import HassProcess, Mosquitto, wait_until

pytestmark = pytest.mark.e2e

CLIENTS = Path(__file__).parents[2] / "custom_components" / "galatea" / "clients"


@pytest.fixture(scope="module")
def hass_frigate(hass_process: Callable[..., HassProcess], mosquitto: Mosquitto) -> HassProcess:
    hass = hass_process("ha")
    hass.setup_mqtt(mosquitto)  # before Galatea, which subscribes when it starts
    hass.set_state("person.anna", "home", {"friendly_name": "Anna"})
    hass.set_state("camera.front_door", "idle", {"friendly_name": "Front door"})
    entry = hass.setup_galatea({"user": {"db_url": "galatea.db", "backfill": False}})
    assert entry["state"] == "loaded"
    time.sleep(2.5)  # Galatea subscribes in the background; HA debounces broker subscriptions
    return hass


def _stored(hass: HassProcess, source: str) -> list[Any]:
    from galatea_engine.store import ActivityStore

    store = ActivityStore(path=hass.db_path)
    try:
        return list(store.iter_activity(source=source))
    finally:
        store.stop()


def _publish(broker: Mosquitto, messages: list[tuple[str, str]]) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="frigate-e2e")
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        for topic, payload in messages:
            client.publish(topic, payload, qos=1).wait_for_publish(10)
    finally:
        client.loop_stop()
        client.disconnect()


def test_frigate_messages_become_activities(hass_frigate: HassProcess,
                                            mosquitto: Mosquitto) -> None:
    hass = hass_frigate
    life = object_life("0.16")
    end = json.loads(life[-1][1])
    end["after"]["sub_label"] = ["Anna", 0.93]  # a recognised face that is an HA person
    review = review_life("reviews.0.17.json")
    _publish(mosquitto, [("frigate/available", "online"), life[0], life[1],
                         (life[-1][0], json.dumps(end)), *review,
                         ("frigate/events", "\u0000{garbage")])
    acts = wait_until(lambda: (found := [a for a in _stored(hass, "frigate")
                                         if a.kind in ("person_detected", "review")])
                      and len(found) >= 2 and found, timeout=30, hass=hass,
                      message="detection and review in galatea.db")
    det = next(a for a in acts if a.kind == "person_detected")
    assert det.entity_id == "camera.front_door"
    assert det.data["camera"] == "front_door"
    assert det.data["label"] == "person"
    assert set(det.data["zones"]) == {"yard", "driveway"}
    assert (det.actor, det.actor_kind) == ("person.anna", "person")
    rev = next(a for a in acts if a.kind == "review")
    assert rev.actor == "person.anna"
    assert rev.data["zones"] == ["porch", "steps"]
    kinds = [a.kind for a in _stored(hass, "frigate")]
    assert "frigate_available" in kinds
    mine = [e for e in hass.log_errors() if "galatea" in e and "intent" not in e]
    assert not mine, mine


def test_digital_activity_over_mqtt_and_webhook(hass_frigate: HassProcess,
                                                mosquitto: Mosquitto) -> None:
    hass = hass_frigate
    _publish(mosquitto, [("galatea/activity/laptop",
                          json.dumps({"kind": "app_focus", "state": "firefox"}))])
    # The webhook URL as the options page shows it; then the shell client posts to it.
    (entry,) = hass.config_entries("galatea")
    flow = hass.post("/api/config/config_entries/options/flow", {"handler": entry["entry_id"]})
    url = flow["description_placeholders"]["webhook_url"]
    hass._request("DELETE", f"/api/config/config_entries/options/flow/{flow['flow_id']}")
    assert "/api/webhook/" in url
    # HA shows its own idea of its URL; the test instance only listens on loopback.
    url = hass.url + url[url.index("/api/webhook/"):]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(hass.config_dir),
           "GALATEA_URL": url, "GALATEA_DEVICE": "laptop"}
    proc = subprocess.run(
        [sys.executable, str(CLIENTS / "galatea_shell_hook.py"), "--exit", "0", "--cwd", "/tmp"],
        input=b"TOKEN=s3cr3t make deploy", env=env, capture_output=True, timeout=30, check=False)
    assert proc.returncode == 0
    assert not (Path(hass.config_dir) / ".cache" / "galatea" / "queue.jsonl").exists()
    acts = wait_until(lambda: (found := _stored(hass, "digital")) and len(found) >= 2 and found,
                      timeout=20, hass=hass, message="digital activity")
    got = {(a.kind, a.state, a.device) for a in acts}
    assert ("app_focus", "firefox", "laptop") in got
    assert ("command", "make", "laptop") in got
    assert "s3cr3t" not in json.dumps([a.to_dict() for a in acts])
