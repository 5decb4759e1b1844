"""Replay JSONL ingest and the ``galatea replay`` / ``galatea activity`` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from galatea_engine import replay
from galatea_engine.cli import main
from galatea_engine.models import ActivityEvent
from galatea_engine.store import ActivityStore

from tests.frigate_fixtures import object_life

ROOT = Path(__file__).resolve().parents[2]


def _state(entity_id: str, old: str, new: str, at: str, *, user_id: str | None = None,
           attrs: dict[str, Any] | None = None, ctx: str = "c1") -> dict[str, Any]:
    context = {"id": ctx, "parent_id": None, "user_id": user_id}
    attributes = {"friendly_name": entity_id.split(".")[1].title(), **(attrs or {})}
    return {
        "event_type": "state_changed",
        "time_fired": at,
        "origin": "LOCAL",
        "context": context,
        "data": {
            "entity_id": entity_id,
            "old_state": {"entity_id": entity_id, "state": old, "attributes": attributes,
                          "context": context},
            "new_state": {"entity_id": entity_id, "state": new, "attributes": attributes,
                          "context": context},
        },
    }


def _lines() -> list[str]:
    """A small mixed replay: HA events, Frigate MQTT, digital activity, and bad lines."""
    out = [
        json.dumps(_state("light.kitchen", "off", "on", "2026-01-05T07:01:00+01:00",
                          user_id="u1", attrs={"brightness": 200})),       # 1 activity
        json.dumps(_state("sensor.power", "10", "12", "2026-01-05T07:01:05+01:00")),  # 2 skipped
        "",                                                                 # 3 blank
        "{not json",                                                        # 4 rejected
        json.dumps({"event_type": "state_changed", "data": {"entity_id": "nodot"},
                    "time_fired": "2026-01-05T07:02:00+01:00"}),            # 5 rejected
    ]
    for topic, payload in object_life("0.15"):                              # 6-8 frigate
        out.append(json.dumps({"topic": topic, "payload": json.loads(payload),
                               "ts": "2026-01-05T07:03:00+01:00"}))
    out += [
        json.dumps({"topic": "zigbee2mqtt/lamp", "payload": "{}",
                    "ts": "2026-01-05T07:04:00+01:00"}),                    # 9 skipped
        json.dumps({"v": 1, "ts": "2026-01-05T07:05:00+01:00", "source": "digital",
                    "kind": "app_focus", "actor": "person.anna",
                    "data": {"app": "Editor"}}),                            # 10 activity
        json.dumps({"ts": "2026-01-05T07:06:00", "source": "digital", "kind": "x"}),  # 11 naive
        json.dumps([1, 2]),                                                 # 12 not an object
        json.dumps({"hello": "world"}),                                     # 13 unknown shape
        json.dumps(_state("binary_sensor.hall_motion", "off", "on", "2026-01-05T07:07:00+01:00",
                          attrs={"device_class": "motion"}) | {"source": "backfill"}),  # 14
    ]
    return out


@pytest.fixture
def replay_file(tmp_path: Path) -> Path:
    path = tmp_path / "home.jsonl"
    path.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def areas_file(tmp_path: Path) -> Path:
    path = tmp_path / "areas.json"
    path.write_text(json.dumps({
        "entities": {"light.kitchen": {"area": "Kitchen", "floor": "Ground"},
                     "binary_sensor.hall_motion": "Hall"},
        "users": {"u1": "person.anna"},
    }), encoding="utf-8")
    return path


def test_ingest_counts_and_reports_lines(replay_file: Path, areas_file: Path,
                                         tmp_path: Path) -> None:
    store = ActivityStore(path=tmp_path / "g.db")
    try:
        report = replay.ingest([replay_file], store, replay.load_areas(areas_file))
        events = list(store.iter_activity())
    finally:
        store.stop()
    assert report.lines == 14
    assert report.blank == 1
    assert report.files == 1
    assert report.rejected == 5
    assert [e.line for e in report.errors] == [4, 5, 11, 12, 13]
    assert "invalid JSON" in report.errors[0].message
    assert "ts" in report.errors[2].message  # names the field
    assert report.stored == len(events) == 4
    assert report.skipped == 14 - 1 - 5 - 4  # filtered / folded / unclaimed lines
    assert report.ha_events == 4
    assert report.mqtt_messages == 4
    kitchen, frigate, digital, hall = events
    assert (kitchen.area, kitchen.floor, kitchen.actor, kitchen.actor_kind) == (
        "Kitchen", "Ground", "person.anna", "person")
    assert frigate.source == "frigate"
    assert digital.source == "digital"
    assert digital.data == {"app": "Editor"}
    assert hall.source == "backfill"
    assert hall.area == "Hall"
    assert report.by_source == {"ha": 1, "frigate": 1, "digital": 1, "backfill": 1}
    assert report.first_id == events[0].id
    assert report.last_id == events[-1].id
    assert report.to_dict()["errors"][0].endswith(":4: invalid JSON (Expecting property name "
                                                  "enclosed in double quotes at column 2)")


def test_registered_mqtt_handler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Echo:
        def handle(self, topic: str, payload: bytes | str,
                   ts: datetime | None = None) -> list[ActivityEvent]:
            assert ts is not None
            return [ActivityEvent(ts=ts, source="digital", kind="mqtt", summary=topic)]

        def flush(self, now: datetime | None = None) -> list[ActivityEvent]:
            return []

    monkeypatch.setattr(replay, "_MQTT_HANDLERS", {})
    replay.register_mqtt_handler("home/", Echo)
    path = tmp_path / "mqtt.jsonl"
    path.write_text(json.dumps({"topic": "home/desk", "payload": {"on": True},
                                "ts": "2026-01-05T08:00:00Z"}) + "\n")
    reader = replay.ReplayReader()
    (ev,) = list(reader.read_files([path]))
    assert ev.summary == "home/desk"
    assert reader.report.skipped == 0


def test_replay_and_activity_commands_in_process(
    replay_file: Path, areas_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.db"
    assert main(["replay", str(replay_file), "--db", str(db), "--areas", str(areas_file)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == (
        "14 lines in 1 file(s): 4 activities stored, 4 skipped, 5 rejected")
    assert f"{replay_file}:4: invalid JSON" in err

    assert main(["activity", "--db", str(db), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3, 4]
    assert ActivityEvent.from_dict(rows[0]).area == "Kitchen"
    assert rows[0]["ts"] == "2026-01-05T07:01:00+01:00"

    assert main(["activity", "--db", str(db), "--json", "--source", "digital"]) == 0
    (only,) = capsys.readouterr().out.splitlines()
    assert json.loads(only)["kind"] == "app_focus"

    assert main(["activity", "--db", str(db), "--since", "2026-01-05T06:05:00+00:00"]) == 0
    text_lines = capsys.readouterr().out.splitlines()
    assert len(text_lines) == 2
    assert "app_focus" in text_lines[0]

    assert main(["activity", "--db", str(tmp_path / "nope.db")]) == 2
    assert main(["activity", "--db", str(db), "--since", "yesterday"]) == 2
    assert main(["replay", str(tmp_path / "missing.jsonl"), "--db", str(db)]) == 2


def test_replay_command_subprocess(replay_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "sub.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "galatea_engine", "replay", str(replay_file), "--db", str(db),
         "--no-engine"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "4 activities stored" in done.stdout
    shown = subprocess.run(
        [sys.executable, "-m", "galatea_engine", "activity", "--db", str(db), "--json"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert len(shown.stdout.splitlines()) == 4


def test_same_file_is_not_ingested_twice(
    replay_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "twice.db"
    args = ["replay", str(replay_file), "--db", str(db), "--no-engine"]
    assert main(args) == 0
    assert main(args) == 0
    second = capsys.readouterr().out.splitlines()[-1]
    assert "0 activities stored" in second
    assert "1 file(s) already in this database" in second
    assert main([*args, "--force"]) == 0
    store = ActivityStore(path=db)
    try:
        assert store.count_activity() == 8
    finally:
        store.stop()
