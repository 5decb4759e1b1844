"""Capture from the HA event bus: each domain, areas, actors and filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import Context, CoreState, HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import floor_registry as fr
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.galatea.engine.mining.carried import at_home, away_spans
from custom_components.galatea.engine.mining.presence import signals
from custom_components.galatea.engine.models import ActivityEvent

from .conftest import flush, setup_galatea


async def _activity(
    hass: HomeAssistant, entry: MockConfigEntry, **filters: Any
) -> list[ActivityEvent]:
    await flush(hass, entry)
    store = entry.runtime_data.store
    return await hass.async_add_executor_job(lambda: list(store.iter_activity(**filters)))


# (entity_id, attributes, first state, second state) for every domain captured by default.
DOMAINS: list[tuple[str, dict[str, Any], str, str]] = [
    ("person.anna", {}, "home", "not_home"),
    ("device_tracker.anna_phone", {"source_type": "gps"}, "home", "not_home"),
    ("binary_sensor.hall_motion", {"device_class": "motion"}, "off", "on"),
    ("binary_sensor.front_door", {"device_class": "door"}, "off", "on"),
    ("binary_sensor.bedroom_occupancy", {"device_class": "occupancy"}, "off", "on"),
    ("light.kitchen", {"brightness": 120}, "off", "on"),
    ("switch.kettle", {}, "off", "on"),
    ("fan.bedroom", {"percentage": 50}, "off", "on"),
    ("cover.living_room", {"current_position": 0}, "closed", "open"),
    ("lock.front_door", {}, "locked", "unlocked"),
    ("climate.living_room", {"temperature": 20}, "off", "heat"),
    ("media_player.tv", {"source": "Netflix"}, "off", "playing"),
    ("input_boolean.guest_mode", {}, "off", "on"),
    ("scene.evening", {}, "2026-01-01T18:00:00+00:00", "2026-01-02T18:00:00+00:00"),
    ("script.good_night", {}, "off", "on"),
]


@pytest.mark.parametrize(("entity_id", "attrs", "first", "second"), DOMAINS)
async def test_captures_each_domain(
    hass: HomeAssistant, tmp_path: Path, entity_id: str, attrs: dict[str, Any], first: str,
    second: str,
) -> None:
    entry = await setup_galatea(hass, tmp_path)
    hass.states.async_set(entity_id, first, attrs)
    hass.states.async_set(entity_id, second, attrs)
    events = await _activity(hass, entry, entity_id=entity_id)
    assert [(ev.old_state, ev.state) for ev in events] == [(None, first), (first, second)]
    assert all(ev.source == "ha" and ev.kind == "state_changed" for ev in events)
    assert events[0].ts.tzinfo is not None
    for key, value in attrs.items():
        if key != "device_class":
            assert events[-1].data[key] == value
        else:
            assert events[-1].device_class == value


async def test_entities_added_while_ha_starts_are_not_activity(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """A restart at night: entities set up after Galatea report their restored states with no
    old state. That is HA starting, not someone at home; a change once HA runs is activity,
    and so is an entity first seen then (a new device paired)."""
    entry = await setup_galatea(hass, tmp_path)
    hass.set_state(CoreState.starting)
    hass.states.async_set("binary_sensor.front_door", "off", {"device_class": "door"})
    hass.states.async_set("light.hall", "off")
    hass.set_state(CoreState.running)
    hass.states.async_set("binary_sensor.front_door", "on", {"device_class": "door"})
    hass.states.async_set("light.porch", "on")
    events = await _activity(hass, entry)
    assert [(ev.entity_id, ev.old_state, ev.state) for ev in events] == [
        ("binary_sensor.front_door", "off", "on"),
        ("light.porch", None, "on"),
    ]
    assert entry.runtime_data.capture.counters.ignored == 2


async def test_attribute_changes(hass: HomeAssistant, tmp_path: Path) -> None:
    """Light brightness and climate setpoint changes count; attribute noise does not."""
    entry = await setup_galatea(hass, tmp_path)
    hass.states.async_set("light.kitchen", "on", {"brightness": 100})
    hass.states.async_set("light.kitchen", "on", {"brightness": 200})
    hass.states.async_set("light.kitchen", "on", {"brightness": 200, "friendly_name": "Kitchen"})
    hass.states.async_set("climate.living_room", "heat", {"temperature": 20})
    hass.states.async_set("climate.living_room", "heat", {"temperature": 21.5})
    hass.states.async_set(
        "climate.living_room", "heat", {"temperature": 21.5, "current_temperature": 19}
    )
    hass.states.async_set("media_player.tv", "playing", {"media_position": 1})
    hass.states.async_set("media_player.tv", "playing", {"media_position": 2})
    light = await _activity(hass, entry, entity_id="light.kitchen")
    assert [ev.data["brightness"] for ev in light] == [100, 200]
    climate = await _activity(hass, entry, entity_id="climate.living_room")
    assert [ev.data["temperature"] for ev in climate] == [20, 21.5]
    assert len(await _activity(hass, entry, entity_id="media_player.tv")) == 1
    counters = entry.runtime_data.capture.counters
    assert counters.captured == 5
    assert counters.ignored == 3


async def test_filters_by_default(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(hass, tmp_path)
    hass.states.async_set("sensor.power", "123.4", {"unit_of_measurement": "W"})
    hass.states.async_set("sensor.power", "125.0", {"unit_of_measurement": "W"})
    hass.states.async_set("binary_sensor.battery_low", "on", {"device_class": "battery"})
    hass.states.async_set("binary_sensor.no_class", "on")
    hass.states.async_set("sun.sun", "above_horizon")
    hass.states.async_set("weather.home", "sunny")
    hass.states.async_set("light.kitchen", "unavailable")
    hass.states.async_set("sensor.phone_last_app", "Spotify")  # text: digital activity
    events = await _activity(hass, entry)
    assert [ev.entity_id for ev in events] == ["sensor.phone_last_app"]
    counters = entry.runtime_data.capture.counters
    # sun/weather never pass the bus filter; the others are judged by the normaliser.
    assert counters.seen == 6
    assert counters.rejected == 0


async def test_own_entities_are_never_recorded(hass: HomeAssistant, tmp_path: Path) -> None:
    """Galatea's entities reflect what it recorded; recording them would feed back."""
    entry = await setup_galatea(hass, tmp_path, options={"include_numeric_sensors": True})
    own = [
        e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    ]
    assert own
    for entity_id in own:
        hass.states.async_set(entity_id, "42")
    hass.states.async_set("light.kitchen", "on")
    events = await _activity(hass, entry)
    assert [ev.entity_id for ev in events] == ["light.kitchen"]


async def test_include_exclude_and_numeric_option(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(
        hass,
        tmp_path,
        options={
            "include_entities": ["weather.home"],
            "exclude_entities": ["light.hallway"],
            "include_numeric_sensors": True,
        },
    )
    hass.states.async_set("weather.home", "sunny")
    hass.states.async_set("light.hallway", "on")
    hass.states.async_set("light.kitchen", "on")
    hass.states.async_set("sensor.power", "123.4", {"unit_of_measurement": "W"})
    events = await _activity(hass, entry)
    assert sorted(ev.entity_id or "" for ev in events) == [
        "light.kitchen", "sensor.power", "weather.home",
    ]
    power = next(ev for ev in events if ev.entity_id == "sensor.power")
    assert power.data["unit"] == "W"


async def test_areas_floors_devices(hass: HomeAssistant, tmp_path: Path) -> None:
    other = MockConfigEntry(domain="hue")
    other.add_to_hass(hass)
    floor = fr.async_get(hass).async_create("Ground floor")
    kitchen = ar.async_get(hass).async_create("Kitchen", floor_id=floor.floor_id)
    hall = ar.async_get(hass).async_create("Hall")
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("hue", "lamp-1")}, name="Ceiling lamp"
    )
    dr.async_get(hass).async_update_device(device.id, area_id=kitchen.id)
    ent = er.async_get(hass).async_get_or_create(
        "light", "hue", "lamp-1", device_id=device.id, suggested_object_id="ceiling"
    )
    entry = await setup_galatea(hass, tmp_path)
    hass.states.async_set(ent.entity_id, "on")
    # Entity-level area overrides the device's; the registry cache follows the change.
    # (HA 2026 lets only an entity with a name of its own have an area of its own.)
    er.async_get(hass).async_update_entity(ent.entity_id, area_id=hall.id, name="Hall lamp")
    await hass.async_block_till_done()
    hass.states.async_set(ent.entity_id, "off")
    events = await _activity(hass, entry, entity_id=ent.entity_id)
    assert [(ev.area, ev.floor, ev.device) for ev in events] == [
        ("Kitchen", "Ground floor", "Ceiling lamp"),
        ("Hall", None, "Ceiling lamp"),
    ]
    hall_events = await _activity(hass, entry, area="Hall")
    assert len(hall_events) == 1


async def test_a_phones_sensors_carry_its_device(hass: HomeAssistant, tmp_path: Path) -> None:
    """The companion app's tracker, charger and screen sensors share the phone's device: the
    engine learns from it that the screen and charger are away while the tracker is."""
    app = MockConfigEntry(domain="mobile_app")
    app.add_to_hass(hass)
    phone = dr.async_get(hass).async_get_or_create(
        config_entry_id=app.entry_id, identifiers={("mobile_app", "pixel-1")}, name="Ana's Pixel"
    )
    ids = {}
    for domain, key in (
        ("device_tracker", "tracker"),
        ("binary_sensor", "is_charging"),
        ("binary_sensor", "interactive"),
    ):
        ids[key] = er.async_get(hass).async_get_or_create(
            domain, "mobile_app", f"pixel-1-{key}", device_id=phone.id,
            suggested_object_id=f"ana_pixel_{key}",
        ).entity_id
    entry = await setup_galatea(hass, tmp_path)
    hass.states.async_set(ids["tracker"], "home")
    hass.states.async_set(ids["is_charging"], "off", {"device_class": "plug"})
    hass.states.async_set(ids["interactive"], "off")
    await hass.async_block_till_done()
    hass.states.async_set(ids["tracker"], "not_home")
    hass.states.async_set(ids["interactive"], "on")  # no device class: the app's own sensor
    hass.states.async_set(ids["is_charging"], "on", {"device_class": "plug"})
    events = await _activity(hass, entry)
    mine = [ev for ev in events if ev.entity_id in ids.values()]
    assert {ev.entity_id for ev in mine} == set(ids.values())
    assert {ev.device for ev in mine} == {"Ana's Pixel"}
    spans = away_spans(events)
    assert set(spans) == {ids["is_charging"], ids["interactive"]}
    left = next(ev.ts.timestamp() for ev in mine if ev.state == "not_home")
    sigs = [s for s in signals(events, max_hold_s=3600) if s.t >= left]
    assert {s.entity_id for s in sigs} == {ids["is_charging"], ids["interactive"]}
    assert at_home(sigs, spans) == []


async def test_actors(hass: HomeAssistant, tmp_path: Path, hass_admin_user: MockUser) -> None:
    hass.states.async_set(
        "person.anna", "home",
        {"user_id": hass_admin_user.id, "device_trackers": ["device_tracker.anna_phone"]},
    )
    entry = await setup_galatea(hass, tmp_path)
    # A person's user switches a light on from the UI.
    hass.states.async_set("light.kitchen", "on", context=Context(user_id=hass_admin_user.id))
    # An HA user without a person.
    hass.states.async_set("light.hall", "on", context=Context(user_id="abc123"))
    # An automation runs and its action switches the kettle on (parent context chain).
    trigger = Context()
    hass.bus.async_fire(
        "automation_triggered",
        {"name": "Morning", "entity_id": "automation.morning", "source": "time"},
        context=trigger,
    )
    hass.states.async_set("switch.kettle", "on", context=Context(parent_id=trigger.id))
    # A tracker belonging to a person, changed by nobody in particular.
    hass.states.async_set("device_tracker.anna_phone", "not_home")
    # A service call by the user.
    call = Context(user_id=hass_admin_user.id)
    hass.bus.async_fire(
        "call_service",
        {"domain": "light", "service": "turn_off", "service_data": {"entity_id": "light.hall"}},
        context=call,
    )
    # A service call by an automation (no user): its effect shows up as a state change.
    hass.bus.async_fire(
        "call_service",
        {"domain": "light", "service": "turn_off", "service_data": {"entity_id": "light.hall"}},
        context=Context(parent_id=trigger.id),
    )
    events = await _activity(hass, entry)
    by = {(ev.kind, ev.entity_id): (ev.actor, ev.actor_kind) for ev in events}
    assert by[("state_changed", "light.kitchen")] == ("person.anna", "person")
    assert by[("state_changed", "light.hall")] == (None, "user")  # never the raw user id
    automation = ("automation.morning", "automation")
    assert by[("automation_triggered", "automation.morning")] == automation
    assert by[("state_changed", "switch.kettle")] == ("automation.morning", "automation")
    assert by[("state_changed", "device_tracker.anna_phone")] == ("person.anna", "device")
    assert by[("call_service", "light.hall")] == ("person.anna", "person")
    assert sum(1 for ev in events if ev.kind == "call_service") == 1


async def test_person_changes_refresh_actor_lookup(
    hass: HomeAssistant, tmp_path: Path, hass_admin_user: MockUser
) -> None:
    entry = await setup_galatea(hass, tmp_path)
    hass.states.async_set("light.a", "on", context=Context(user_id=hass_admin_user.id))
    await hass.async_block_till_done()
    hass.states.async_set("person.bob", "home", {"user_id": hass_admin_user.id})
    await hass.async_block_till_done()
    hass.states.async_set("light.a", "off", context=Context(user_id=hass_admin_user.id))
    events = await _activity(hass, entry, entity_id="light.a")
    assert [ev.actor for ev in events] == [None, "person.bob"]


async def test_script_started(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = await setup_galatea(hass, tmp_path)
    ctx = Context()
    hass.bus.async_fire(
        "script_started", {"name": "Good night", "entity_id": "script.good_night"}, context=ctx
    )
    hass.states.async_set("light.bedroom", "off", context=Context(parent_id=ctx.id))
    events = await _activity(hass, entry)
    assert [(ev.kind, ev.actor) for ev in events] == [
        ("script_started", "script.good_night"),
        ("state_changed", "script.good_night"),
    ]


async def test_events_are_normalised_off_the_event_loop(
    hass: HomeAssistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop hands the store a tuple; the normaliser runs on the store's writer thread."""
    import threading

    from custom_components.galatea.engine.capture.ha_events import HAEventNormalizer

    threads: list[str] = []
    normalize, state_fields = HAEventNormalizer.normalize, HAEventNormalizer.state_fields

    def spy(self: HAEventNormalizer, event: Any) -> Any:
        threads.append(threading.current_thread().name)
        return normalize(self, event)

    def spy_fields(self: HAEventNormalizer, *args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return state_fields(self, *args)

    monkeypatch.setattr(HAEventNormalizer, "normalize", spy)
    monkeypatch.setattr(HAEventNormalizer, "state_fields", spy_fields)
    entry = await setup_galatea(hass, tmp_path)
    hass.states.async_set("light.kitchen", "on", {"brightness": 120})
    hass.bus.async_fire("script_started", {"name": "Night", "entity_id": "script.night"})
    events = await _activity(hass, entry)
    assert [ev.entity_id for ev in events] == ["light.kitchen", "script.night"]
    assert len(threads) == 2
    assert set(threads) == {"galatea-store-writer"}
    counters = entry.runtime_data.capture.counters
    assert (counters.seen, counters.captured) == (2, 2)


async def test_coming_and_going_keeps_the_registry_cache(
    hass: HomeAssistant, tmp_path: Path, hass_admin_user: MockUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person arriving or leaving changes no registry fact: lookups stay cached; a person's
    new trackers do not."""
    from custom_components.galatea.registry import HARegistry

    lookups: list[str] = []
    original = HARegistry._lookup

    def counting(self: HARegistry, entity_id: str) -> Any:
        lookups.append(entity_id)
        return original(self, entity_id)

    monkeypatch.setattr(HARegistry, "_lookup", counting)
    entry = await setup_galatea(hass, tmp_path)
    attrs = {"user_id": hass_admin_user.id, "device_trackers": ["device_tracker.bob_phone"]}
    hass.states.async_set("person.bob", "home", attrs)
    hass.states.async_set("light.a", "on")
    await flush(hass, entry)
    before = lookups.count("light.a")
    hass.states.async_set("person.bob", "not_home", attrs)
    hass.states.async_set("light.a", "off")
    await flush(hass, entry)
    assert lookups.count("light.a") == before
    hass.states.async_set("person.bob", "home", {**attrs, "device_trackers": []})
    hass.states.async_set("light.a", "on")
    await flush(hass, entry)
    assert lookups.count("light.a") == before + 1


async def test_state_changes_become_the_rows_the_dict_path_makes(
    hass: HomeAssistant, tmp_path: Path, hass_admin_user: MockUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Live state changes go straight from HA's ``State`` values to the stored row; that row is
    exactly what the normaliser's dict view (``Event.as_dict()`` shape, replay) makes of the
    same event: every column, the payload's JSON, the time to the microsecond."""
    from custom_components.galatea.engine.models import ActivityEvent
    from custom_components.galatea.engine.store.activity import plain_row

    kitchen = ar.async_get(hass).async_create("Kitchen")
    ent = er.async_get(hass).async_get_or_create("light", "hue", "l1", suggested_object_id="lamp")
    er.async_get(hass).async_update_entity(ent.entity_id, area_id=kitchen.id, name="Lamp")
    hass.states.async_set("person.anna", "home", {"user_id": hass_admin_user.id})
    entry = await setup_galatea(hass, tmp_path)
    store = entry.runtime_data.store
    items: list[tuple[Any, ...]] = []
    enqueue = store.enqueue_raw

    def record(item: tuple[Any, ...]) -> bool:
        items.append(item)
        return enqueue(item)

    monkeypatch.setattr(store, "enqueue_raw", record)
    trigger = Context()
    hass.bus.async_fire("automation_triggered",
                        {"name": "Dusk", "entity_id": "automation.dusk"}, context=trigger)
    user = Context(user_id=hass_admin_user.id)
    changes: list[tuple[str, str, dict[str, Any], Context | None]] = [
        (ent.entity_id, "on", {"brightness": 1, "color_mode": "xy"}, user),
        # Equal in Python, different JSON: the payload cache keeps them apart.
        (ent.entity_id, "off", {"brightness": 1.0, "color_mode": "xy"}, None),
        (ent.entity_id, "on", {"brightness": True, "color_mode": "xy"}, None),
        (ent.entity_id, "off", {"brightness": 1, "color_mode": "xy", "effect": "ä\"x"}, None),
        ("light.hall", "off", {"brightness": None, "friendly_name": "Hall ✨"}, None),
        ("switch.kettle", "on", {}, Context(parent_id=trigger.id)),
        ("climate.lounge", "heat", {"temperature": 20.5, "hvac_action": "heating"}, None),
        ("climate.lounge", "heat", {"temperature": 20.5, "current_temperature": 19}, None),
        ("media_player.tv", "playing", {"media_title": "x" * 300, "source": ["a"]}, None),
        ("sensor.phone_app", "Maps", {"unit_of_measurement": "app"}, None),
        ("binary_sensor.door", "on", {"device_class": "door"}, Context(user_id="nobody")),
        ("binary_sensor.door", "unavailable", {"device_class": "door"}, None),
        ("person.anna", "not_home", {"user_id": hass_admin_user.id}, None),
        ("cover.blind", "open", {"current_position": 40, "friendly_name": "b" * 300}, None),
    ]
    for entity_id, state, attrs, context in changes:
        hass.states.async_set(entity_id, state, attrs, context=context)
    hass.states.async_remove("switch.kettle")
    await flush(hass, entry)
    capture = entry.runtime_data.capture
    states = [item for item in items if item[0] == capture._convert_state]
    assert [item[2] for item in states] == [c[0] for c in changes] + ["switch.kettle"]
    rows = [capture._convert_state(item) for item in states]
    views = [capture._convert_state_view(item) for item in states]
    assert [plain_row(v) if isinstance(v, ActivityEvent) else v for v in views] == rows
    assert sum(row is not None for row in rows) == 12  # no unavailable, no removal
    stored = await _activity(hass, entry, kind="state_changed")
    assert [plain_row(ev) for ev in stored] == [row for row in rows if row is not None]
    assert [row[0] for row in rows if row] == sorted(row[0] for row in rows if row)
