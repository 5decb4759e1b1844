"""Rooms from names: an entity without an area is placed where its name says."""

from __future__ import annotations

from typing import Any

import pytest
from galatea_engine.capture.ha_events import HAEventNormalizer, StaticRegistry
from galatea_engine.rooms import role_from_name, room_in_name


@pytest.mark.parametrize(
    ("name", "room", "role"),
    [
        ("Kitchen motion", "Kitchen", "kitchen"),
        ("Living room motion", "Living room", "living"),
        ("Baño movimiento", "Baño", "bathroom"),
        ("Schlafzimmer Fenster", "Schlafzimmer", "bedroom"),
        ("Salle de bain porte", "Salle de bain", "bathroom"),
        ("Cocina-2 luz", "Cocina", "kitchen"),
        ("Toilet flush", "Toilet", "bathroom"),
        ("Außenbereich Kamera Person", "Außenbereich", "outdoor"),
        ("Einfahrt Bewegung", "Einfahrt", "outdoor"),
        ("Extérieur caméra", "Extérieur", "outdoor"),
        ("Achtertuin beweging", "Achtertuin", "outdoor"),
        ("Oprit camera", "Oprit", "outdoor"),
        ("Soverom bevegelse", "Soverom", "bedroom"),
        # "Camera" alone is the camera on the driveway, not an Italian bedroom.
        ("Driveway Camera Person occupancy", "Driveway", "outdoor"),
        ("Front Camera motion", None, None),
        ("Camera da letto finestra", "Camera da letto", "bedroom"),
        ("Hue motion sensor 1", None, None),
        ("0x00158d0001e2f3a4 occupancy", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_the_words_of_a_name_that_name_a_room(
    name: str | None, room: str | None, role: str | None
) -> None:
    assert room_in_name(name) == room
    assert role_from_name(room) == role


def _changed(entity_id: str, friendly_name: str) -> dict[str, Any]:
    attrs = {"friendly_name": friendly_name, "device_class": "motion"}
    state = {"entity_id": entity_id, "attributes": attrs, "context": {"id": "c1"}}
    return {
        "event_type": "state_changed",
        "time_fired": "2026-01-05T07:00:00+00:00",
        "context": {"id": "c1", "parent_id": None, "user_id": None},
        "data": {
            "entity_id": entity_id,
            "old_state": {**state, "state": "off"},
            "new_state": {**state, "state": "on"},
        },
    }


def test_an_entity_without_an_area_is_placed_where_its_name_says() -> None:
    """No area of its own nor its device's: "Kitchen motion" is in a Kitchen, as typed (the
    registry's name first, then the friendly name). An area in the registry always wins, and
    a name that names no room leaves the entity without one."""
    registry = StaticRegistry.from_areas_file(
        {
            "binary_sensor.a": {"name": "Schlafzimmer Bewegung"},
            "binary_sensor.b": {"area": "Office", "name": "Kitchen motion"},
        }
    )
    events = [
        _changed("binary_sensor.a", "Motion 1"),
        _changed("binary_sensor.b", "Kitchen motion"),
        _changed("binary_sensor.c", "Kitchen motion"),
        _changed("binary_sensor.d", "Hue motion sensor 1"),
    ]
    acts = HAEventNormalizer(registry=registry).normalize_many(events)
    assert [(a.entity_id, a.area) for a in acts] == [
        ("binary_sensor.a", "Schlafzimmer"),
        ("binary_sensor.b", "Office"),
        ("binary_sensor.c", "Kitchen"),
        ("binary_sensor.d", None),
    ]
