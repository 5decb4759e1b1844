"""The simulated home: real HA event shapes, actors, noise, and a ground truth to score against."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from galatea_engine.capture.ha_events import HAEventNormalizer, StaticRegistry

from tests.simulator.__main__ import main
from tests.simulator.simulate import home_areas, simulate_home

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ha_events"


def test_events_have_the_shape_of_real_ha_events() -> None:
    events, _ = simulate_home(7, 3)
    real_state = json.loads(
        (FIXTURES / "state_changed.light.turn_on_by_automation.json").read_text()
    )
    real_auto = json.loads((FIXTURES / "automation_triggered.motion.json").read_text())
    real_call = json.loads((FIXTURES / "call_service.from_user_websocket.json").read_text())
    by_type = {e["event_type"]: e for e in events}
    assert set(by_type) == {"state_changed", "automation_triggered", "call_service"}
    for real in (real_state, real_auto, real_call):
        ours = by_type[real["event_type"]]
        assert set(ours) == set(real)
        assert set(ours["context"]) == set(real["context"])
        assert set(ours["data"]) <= set(real["data"]) | {"entity_id"}
    state = next(
        e
        for e in events
        if e["event_type"] == "state_changed" and e["data"]["old_state"] is not None
    )
    assert set(state["data"]["new_state"]) == set(real_state["data"]["new_state"])
    assert datetime.fromisoformat(state["time_fired"]).utcoffset() is not None


def test_semantics_come_from_ha_not_from_names() -> None:
    events, _ = simulate_home(7, 3)
    classes = Counter(
        e["data"]["new_state"]["attributes"].get("device_class")
        for e in events
        if e["event_type"] == "state_changed"
    )
    assert {"motion", "door", "occupancy", "plug"} <= set(classes)
    domains = {
        e["data"]["entity_id"].split(".")[0] for e in events if e["event_type"] == "state_changed"
    }
    assert {
        "person",
        "device_tracker",
        "light",
        "climate",
        "media_player",
        "switch",
        "fan",
    } <= domains
    # Automations run in a context whose parent is the trigger's context.
    contexts = {e["context"]["id"]: e for e in events}
    chained = [
        e
        for e in events
        if e["event_type"] == "automation_triggered" and e["context"]["parent_id"] in contexts
    ]
    assert chained
    # People act through the app (a user id) or at a switch (no context actor).
    assert any(e["context"]["user_id"] for e in events if e["event_type"] == "call_service")


def test_normalised_actors_separate_people_and_automations() -> None:
    events, _ = simulate_home(7, 3)
    acts = HAEventNormalizer(registry=StaticRegistry.from_areas_file(home_areas())).normalize_many(
        events
    )
    kinds = Counter(a.actor_kind for a in acts)
    assert kinds["automation"] > 0
    assert kinds["person"] > 0
    assert kinds[None] > 0
    porch = [a for a in acts if a.entity_id == "light.porch"]
    assert porch
    assert all(a.actor_kind == "automation" for a in porch)


def test_noise_dropouts_guests_and_determinism() -> None:
    events, truth = simulate_home(28, 5)
    again, _ = simulate_home(28, 5)
    assert events == again
    states = Counter(
        e["data"]["new_state"]["state"] for e in events if e["event_type"] == "state_changed"
    )
    assert states["unavailable"] > 0
    times = [datetime.fromisoformat(e["time_fired"]) for e in events]
    assert any(b < a for a, b in pairwise(times))  # jittered clocks
    assert truth.change is not None
    assert truth.change_day == 18
    assert {r["person"] for r in truth.daily} == {"person.anna", "person.ben", "person.grandma"}
    anna = [r for r in truth.daily if r["person"] == "person.anna" and r["workday"]]
    assert all(r["wake"] and r["leave"] and r["arrive"] for r in anna)


def test_vacation_leaves_no_sleep_at_home() -> None:
    _, truth = simulate_home(60, 2)
    away = [r for r in truth.daily if r["away"]]
    assert {r["person"] for r in away} == {"person.anna", "person.ben"}
    assert all(r["wake"] is None for r in away)


def test_cli_writes_events_truth_and_areas(tmp_path: Path) -> None:
    out, truth, areas = tmp_path / "home.jsonl", tmp_path / "truth.json", tmp_path / "areas.json"
    rc = main(
        [
            "simulate",
            "--days",
            "3",
            "--seed",
            "2",
            "--out",
            str(out),
            "--truth",
            str(truth),
            "--areas",
            str(areas),
            "--entities",
            "80",
            "--utc",
        ]
    )
    assert rc == 0
    lines = out.read_text().splitlines()
    assert len(lines) > 300
    first = json.loads(lines[0])
    assert first["time_fired"].endswith("+00:00")
    assert json.loads(truth.read_text())["days"] == 3
    mapping = json.loads(areas.read_text())
    assert len(mapping["entities"]) == 80
    assert mapping["entities"]["light.kitchen"]["area"] == "Kitchen"
    assert mapping["users"]
