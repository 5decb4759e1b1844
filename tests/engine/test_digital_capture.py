"""Digital activity validation (engine) and ``galatea replay`` of Frigate/digital MQTT lines."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from galatea_engine.capture.digital import (
    MAX_BATCH,
    DigitalMqttHandler,
    PayloadTooLarge,
    parse_body,
    parse_events,
)
from galatea_engine.models import ValidationError
from galatea_engine.store import ActivityStore
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.frigate_fixtures import object_life, review_life

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)


def test_single_event_defaults() -> None:
    (ev,) = parse_body(b'{"kind": "app_focus", "state": "firefox", "device": "laptop"}', now=NOW)
    assert (ev.source, ev.kind, ev.state, ev.device, ev.ts) == (
        "digital", "app_focus", "firefox", "laptop", NOW)


@pytest.mark.parametrize("shape", ["list", "events"])
def test_batch_shapes(shape: str) -> None:
    items = [{"kind": "command", "state": "git", "ts": "2026-11-21T19:00:00+01:00"},
             {"kind": "tool_use", "data": {"tool": "Bash"}}]
    raw = items if shape == "list" else {"events": items}
    evs = parse_events(raw, now=NOW)
    assert [e.kind for e in evs] == ["command", "tool_use"]
    assert evs[0].ts.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]


@pytest.mark.parametrize(("body", "field"), [
    (b"not json", "body"),
    (b"\xff\xfe", "body"),
    (b"42", "body"),
    (b"{}", "kind"),
    (b'{"kind": "App Focus"}', "kind"),
    (b'{"kind": "x", "ts": "yesterday"}', "ts"),
    (b'{"kind": "x", "ts": "2026-11-21T19:00:00"}', "ts"),
    (b'{"kind": "x", "source": "ha"}', "source"),
    (b'{"kind": "x", "data": [1]}', "data"),
    (b'{"kind": "x", "entity_id": "nodot"}', "entity_id"),
    (b'{"kind": "x", "actor_kind": "alien"}', "actor_kind"),
    (b'{"kind": "x", "bogus": 1}', "bogus"),
    (b'{"kind": "x", "summary": ' + json.dumps("s" * 501).encode() + b"}", "summary"),
    (b'{"events": []}', "events"),
    (b'{"events": {"kind": "x"}}', "events"),
    (b'[{"kind": "ok"}, {"kind": "ok", "ts": 5}, {"kind": ""}]', "events[2].kind"),
    (b'[{"kind": "ok"}, {"kind": "ok", "state": {"a": 1}}]', "events[1].state"),
    (b"[" * 10_000 + b"]" * 10_000, "body"),
])
def test_errors_name_the_field(body: bytes, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_body(body, now=NOW)
    assert err.value.field == field


def test_size_limits() -> None:
    with pytest.raises(PayloadTooLarge):
        parse_body(b" " * 300_000, now=NOW)
    with pytest.raises(PayloadTooLarge) as err:
        parse_events([{"kind": "x"}] * (MAX_BATCH + 1), now=NOW)
    assert err.value.field == "events"
    big = {"kind": "x", "data": {"blob": "y" * 20_000}}
    with pytest.raises(ValidationError) as err2:
        parse_events(big, now=NOW)
    assert err2.value.field == "data"


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(
                        st.sampled_from(["kind", "ts", "data", "state", "events", "actor", "x"]),
                        c, max_size=5),
                    max_leaves=25))
def test_arbitrary_json_is_accepted_or_named(raw: object) -> None:
    try:
        events = parse_events(raw, now=NOW)
    except ValidationError as err:
        field = err.field
        assert field
        return
    for ev in events:
        assert ev.source == "digital"


def test_mqtt_handler_device_from_topic() -> None:
    handler = DigitalMqttHandler()
    (ev,) = handler.handle("galatea/activity/laptop", b'{"kind": "idle"}', NOW)
    assert ev.device == "laptop"
    assert handler.handle("galatea/activity", b"{", NOW) == []
    assert handler.rejected == 1


def test_replay_accepts_frigate_and_digital_lines(tmp_path: Path) -> None:
    lines = []
    t = 1_795_000_000.0
    for i, (topic, payload) in enumerate([*object_life("0.15"), *review_life(),
                                          ("frigate/front_door/motion", "ON"),
                                          ("frigate/events", "{broken")]):
        lines.append({"topic": topic, "payload": payload,
                      "ts": datetime.fromtimestamp(t + i, UTC).isoformat()})
    lines.append({"topic": "galatea/activity/laptop",
                  "payload": {"kind": "app_focus", "state": "code"}, "ts": "2026-11-21T20:00:00Z"})
    lines.append({"v": 1, "ts": "2026-11-21T20:01:00+00:00", "source": "digital",
                  "kind": "command", "state": "git"})
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    db = tmp_path / "g.db"
    cli = [sys.executable, "-m", "galatea_engine"]
    res = subprocess.run([*cli, "replay", str(src), "--db", str(db), "--no-engine"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    store = ActivityStore(path=db)
    try:
        acts = list(store.iter_activity())
    finally:
        store.stop()
    kinds = sorted((a.source, a.kind) for a in acts)
    assert kinds == sorted([("frigate", "person_detected"), ("frigate", "review"),
                            ("frigate", "motion"), ("digital", "app_focus"),
                            ("digital", "command")])
    det = next(a for a in acts if a.kind == "person_detected")
    assert det.data["camera"] == "front_door"
    assert set(det.data["zones"]) == {"yard", "driveway"}
    laptop = next(a for a in acts if a.kind == "app_focus")
    assert laptop.device == "laptop"
    listed = subprocess.run([*cli, "activity", "--db", str(db), "--source", "frigate"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert listed.returncode == 0, listed.stderr
    assert "person_detected" in listed.stdout
