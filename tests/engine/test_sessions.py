"""Activity sessions per area with a guessed intent; area roles from names in many languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from galatea_engine.mining.areas import role_from_name
from galatea_engine.mining.episodes import find_episodes
from galatea_engine.models import Episode

from .home_builder import Home, minutes


def _sessions(h: Home) -> list[Episode]:
    return [e for e in find_episodes(h.build(), h.tz) if e.kind == "session"]


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("Kitchen", "kitchen"),
        ("Cocina", "kitchen"),
        ("Küche", "kitchen"),
        ("Cuisine", "kitchen"),
        ("Baño", "bathroom"),
        ("Salle de bain", "bathroom"),
        ("Gäste-WC", "bathroom"),
        ("Schlafzimmer", "bedroom"),
        ("Dormitorio principal", "bedroom"),
        ("Camera da letto", "bedroom"),
        ("Salón", "living"),
        ("Wohnzimmer", "living"),
        ("Living room", "living"),
        ("Despacho", "office"),
        ("Arbeitszimmer", "office"),
        ("Entrada", "entrance"),
        ("Hallway", "entrance"),
        ("Badminton court", None),
        ("Zone 7", None),
        ("", None),
    ],
)
def test_area_roles_from_names(name: str, role: str | None) -> None:
    assert role_from_name(name) == role


def test_kitchen_with_appliance_is_cooking_and_a_quick_visit_is_not() -> None:
    h = Home()
    h.blip("binary_sensor.f", "Cocina", "door", h.at(0, "13:30"), 15)
    h.hold("binary_sensor.oven", "Cocina", "plug", h.at(0, "13:33"), h.at(0, "13:50"))
    h.blip("binary_sensor.f", "Cocina", "door", h.at(0, "13:52"), 15)
    h.blip("binary_sensor.f", "Cocina", "door", h.at(0, "17:00"), 10)
    (lunch, snack) = _sessions(h)
    assert lunch.label == "cooking"
    assert lunch.detail["intent"] == "cooking"
    assert minutes(lunch.start, h.at(0, "13:30")) < 0.1
    assert minutes(lunch.end, h.at(0, "13:52", 15)) < 0.1
    assert lunch.confidence >= 0.7
    assert len(lunch.evidence) >= 4
    assert snack.label == "kitchen visit"
    assert snack.confidence < lunch.confidence


def test_gap_tolerance_joins_and_splits() -> None:
    h = Home()
    h.blip("binary_sensor.f", "Kitchen", "door", h.at(0, "08:00"))
    h.blip("binary_sensor.f", "Kitchen", "door", h.at(0, "08:07"))  # 7 min later: same session
    h.blip("binary_sensor.f", "Kitchen", "door", h.at(0, "08:40"))  # 33 min later: a new one
    assert len(_sessions(h)) == 2


def test_tv_playing_in_the_living_room_is_watching_tv() -> None:
    h = Home()
    h.add(
        h.at(0, "21:00"),
        "media_player.tv",
        "playing",
        old_state="off",
        area="Sala de estar",
        device_class="tv",
    )
    h.add(
        h.at(0, "22:30"),
        "media_player.tv",
        "idle",
        old_state="playing",
        area="Sala de estar",
        device_class="tv",
    )
    (ep,) = _sessions(h)
    assert ep.label == "watching TV"
    assert minutes(ep.end, ep.start) == pytest.approx(90, abs=0.1)


def test_speaker_in_the_kitchen_is_music_unless_cooking() -> None:
    h = Home()
    h.add(h.at(0, "09:00"), "media_player.radio", "playing", area="Kitchen", device_class="speaker")
    h.add(
        h.at(0, "09:20"),
        "media_player.radio",
        "paused",
        old_state="playing",
        area="Kitchen",
        device_class="speaker",
    )
    (ep,) = _sessions(h)
    assert ep.label == "listening to music"


def test_pc_focus_in_the_office_is_working_at_the_pc() -> None:
    h = Home()
    h.blip("binary_sensor.m", "Despacho", "motion", h.at(0, "09:00"), 60)
    for k in range(6):
        h.add(
            h.at(0, "09:01") + timedelta(minutes=5 * k),
            None,
            None,
            source="digital",
            kind="app_focus",
            area="Despacho",
            actor="person.ana",
            actor_kind="person",
            summary="editor",
        )
    (ep,) = _sessions(h)
    assert ep.label == "working at the PC"
    assert ep.actor == "person.ana"


def test_digital_activity_without_area_is_grouped_by_person() -> None:
    h = Home()
    for k in range(4):
        h.add(
            h.at(0, "22:00") + timedelta(minutes=3 * k),
            None,
            None,
            source="digital",
            kind="command",
            actor="person.leo",
            actor_kind="person",
        )
    (ep,) = _sessions(h)
    assert ep.area is None
    assert ep.actor == "person.leo"
    assert ep.label == "working at the PC"


def test_bathroom_is_personal_care() -> None:
    h = Home()
    h.blip("binary_sensor.s", "Bathroom", "motion", h.at(0, "07:30"), 420)
    (ep,) = _sessions(h)
    assert ep.label == "personal care"


def test_automation_changes_are_not_sessions() -> None:
    h = Home()
    h.add(
        h.at(0, "19:00"),
        "light.porch",
        "on",
        area="Entrance",
        actor="automation.dusk",
        actor_kind="automation",
    )
    assert _sessions(h) == []


def test_sole_person_home_owns_the_session() -> None:
    h = Home()
    h.add(h.at(0, "07:00"), "person.ana", "home")
    h.add(h.at(0, "07:00"), "person.leo", "home")
    h.add(h.at(0, "08:00"), "person.leo", "not_home")
    h.blip("binary_sensor.f", "Kitchen", "door", h.at(0, "07:30"))  # both home: unknown
    h.blip("binary_sensor.f", "Kitchen", "door", h.at(0, "12:30"))  # only Ana home
    first, second = _sessions(h)
    assert first.actor is None
    assert second.actor == "person.ana"


def test_unnamed_area_role_learned_from_the_bed() -> None:
    h = Home()
    for day in range(3):
        h.blip("binary_sensor.k", "Cocina", "door", h.at(day, "22:00"))
        h.hold("binary_sensor.mat", "Room 2", "occupancy", h.at(day, "23:00"), h.at(day, "31:00"))
        h.blip("binary_sensor.m", "Room 2", "motion", h.at(day, "31:05"), 120)
        h.blip("binary_sensor.k", "Cocina", "door", h.at(day, "32:00"))
    sessions = [s for s in _sessions(h) if s.area == "Room 2"]
    assert sessions
    assert all(s.detail["role"] == "bedroom" for s in sessions)
    assert all(s.end - s.start < timedelta(hours=1) for s in sessions)  # the nights are sleep


def test_kitchen_living_and_bathroom_learned_from_behaviour() -> None:
    """Meaningless area names: appliances make a kitchen, a seat held by day a living room,
    and the first place used after each night a bathroom."""
    h = Home()
    for day in range(4):
        h.hold("binary_sensor.mat", "Zone 1", "occupancy", h.at(day, "00:30"), h.at(day, "08:00"))
        h.blip("binary_sensor.pir", "Zone 2", "motion", h.at(day, "08:02"), 300)
        h.hold("binary_sensor.plug", "Zone 3", "plug", h.at(day, "08:20"), h.at(day, "08:25"))
        h.hold("binary_sensor.seat", "Zone 4", "occupancy", h.at(day, "10:00"), h.at(day, "12:30"))
        h.blip("binary_sensor.pir", "Zone 2", "motion", h.at(day, "12:35"), 120)
    labels = {(s.area, s.label) for s in _sessions(h)}
    assert ("Zone 3", "cooking") in labels
    assert ("Zone 4", "relaxing") in labels
    assert ("Zone 2", "personal care") in labels


def test_the_bathroom_is_where_the_night_trips_go() -> None:
    """Meaningless area names and no bed sensor. The first place used each morning is the
    kitchen (coffee before the shower), but the short trips out of the bedroom in the night go
    through the hall to the bathroom and back: that is the bathroom, the kitchen is not."""
    h = Home()
    for day in range(6):
        for hhmm in ("22:50", "22:55", "23:00"):
            h.blip("binary_sensor.bed_pir", "Zone 1", "motion", h.at(day, hhmm), 60)
        trip = 26 + day % 2  # 02:00 or 03:00
        h.blip("binary_sensor.bed_pir", "Zone 1", "motion", h.at(day, f"{trip}:10"), 30)
        h.blip("binary_sensor.hall_pir", "Zone 2", "motion", h.at(day, f"{trip}:11"), 20)
        for m in (12, 14, 16):
            h.blip("binary_sensor.wc_pir", "Zone 3", "motion", h.at(day, f"{trip}:{m}"), 60)
        h.blip("binary_sensor.hall_pir", "Zone 2", "motion", h.at(day, f"{trip}:18"), 20)
        h.blip("binary_sensor.bed_pir", "Zone 1", "motion", h.at(day, f"{trip}:19"), 30)
        h.blip("binary_sensor.bed_pir", "Zone 1", "motion", h.at(day, "31:00"), 60)
        h.blip("binary_sensor.hall_pir", "Zone 2", "motion", h.at(day, "31:02"), 20)
        for m in (4, 6, 8):
            h.blip("binary_sensor.kitchen_pir", "Zone 4", "motion", h.at(day, f"31:0{m}"), 60)
        for m in (20, 24, 28):
            h.blip("binary_sensor.wc_pir", "Zone 3", "motion", h.at(day, f"31:{m}"), 60)
        for hhmm in ("32:00", "33:30", "35:00", "36:40", "38:00", "40:00", "42:00", "44:00"):
            h.blip("binary_sensor.living_pir", "Zone 5", "motion", h.at(day, hhmm), 120)
    roles = {s.area: s.detail["role"] for s in _sessions(h) if s.detail.get("role")}
    assert roles.get("Zone 3") == "bathroom", roles
    assert roles.get("Zone 4") != "bathroom", roles


def test_idle_and_lock_do_not_extend_a_pc_session() -> None:
    h = Home()
    h.add(
        h.at(0, "09:00"),
        None,
        None,
        source="digital",
        kind="app_focus",
        actor="person.leo",
        actor_kind="person",
    )
    h.add(
        h.at(0, "09:05"),
        None,
        None,
        source="digital",
        kind="coding_session",
        actor="person.leo",
        actor_kind="person",
    )
    h.add(
        h.at(0, "09:12"),
        None,
        None,
        source="digital",
        kind="lock",
        actor="person.leo",
        actor_kind="person",
    )
    (ep,) = _sessions(h)
    assert ep.label == "working at the PC"
    assert minutes(ep.end, h.at(0, "09:05")) < 0.1
