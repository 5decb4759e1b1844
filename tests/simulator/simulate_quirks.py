"""Sensor behaviours of real homes for the simulator's variant homes (``HomeSpec.quirks``).

The variant homes of :mod:`.simulate` have well-behaved sensors. Real homes do not: these
transformations rewrite a simulated home's HA events (and its registry) the way real hardware
and real users would have produced them, leaving the people's truth untouched:

* ``movement_mats``: bed mats report movement, not presence: each night in bed becomes 1-2 s
  pulses, with still spells of 20-70 min in which the mat says nothing.
* ``two_mats``: a second mat on the same bed (no owner) that the one sleeper presses when
  turning over: a few mirrored pulses, and on some nights an hour or two held.
* ``latched_pir``: the bathroom PIR latches on for hours after a trigger on some days.
* ``stuck_sensor``: the kitchen PIR is stuck on for 30 hours once.
* ``hall_doors``: the hallway is an area named "Hall" holding the front door *and* a bedroom
  door contact, which moves whenever someone goes into or out of the bedroom (bedtime, night
  trips, morning).
* ``flush``: a toilet flush sensor with no device class, on about half the bathroom visits.
* ``contacts_only``: no motion sensors, mats or lights at all: only the front door, the bedroom
  and bathroom doors and the fridge, moved as people go about their day.
* ``hall_bathroom_door``: with ``contacts_only``, the bathroom door too is filed under the
  "Hall" (house A of van Kasteren 2008: front, bedroom and toilet doors all on the hall).
* ``mat_dropouts``: the bed mats go ``unavailable`` twice for 3-4 days (a flat battery, a
  dropped Zigbee link) and say nothing of those nights.
* ``timers``: devices on their own clock, with no user or automation behind their changes: a
  boiler switch on 05:30-08:30 and 17:00-22:30 and bedroom blinds that open at 07:15 and close
  at 21:45, every day, to within seconds.
* ``garage``: the household comes and goes through the garage: no front door contact, a
  garage door opener (a ``cover`` of class ``garage``) that opens and closes instead.
* ``outdoor``: a driveway camera's person detection (``occupancy``, area "Front yard") and a
  garden motion sensor: they see the residents leave and come back, and passers-by, cats and
  swaying branches at any hour (about one an hour by day, one in three hours by night).
* ``tracker_jitter``: a phone's location drops out in the night on about one night in four
  (Wi-Fi asleep, a GPS fix elsewhere): its tracker and its person go ``not_home`` for 10-40
  minutes while everyone sleeps.
* ``phone_app``: each resident's phone runs the companion app: besides its location it reports
  whether it is charging (``plug``) and whether its screen is on (``interactive``, no device
  class), with no area, wherever the phone is: the screen comes on a couple of times an hour
  while its owner is up (at home, at work, on the way), now and then for a minute in the
  night, and the phone charges overnight by the bed on most nights and for an hour or two at
  work on most working days.
* ``radar``: mmWave presence sensors (class ``presence``) in the living room and the bedroom:
  on for as long as someone is in the room, sitting still or asleep included; the living
  room's also sees ghosts (a fan, a curtain) on about one day in three, for half an hour to
  three hours at any time, the empty home's included.
* ``geofence``: a smart thermostat (a cloud one, like tado or Nest) with its own geofencing:
  5-15 minutes after the last resident left it switches itself to its "away" preset and 17 °C,
  and 10-20 minutes before the first one is back to "home" and 21 °C, with no user or
  automation behind either change (its state stays ``heat``).
* ``remote``: on about half of the absences of two hours or more, the first one back switches
  the living room light on from the HA app 15-40 minutes before arriving (a context with their
  user).
* ``restarts``: HA restarts in the small hours on about one night in four (an update, a
  backup): every door contact, flush and light goes ``unavailable`` and comes back a minute or
  two later with the state it had.
* ``vacuum``: a robot vacuum that an automation starts on weekdays 15-30 minutes after the
  home empties (the first absence of two hours or more that begins between 08:00 and 16:00):
  it cleans the ground floor for 45-80 minutes, room by room, and the motion sensors of the
  rooms it passes see it (a PIR sees a robot moving), then returns to its dock. Its own states
  (``cleaning``, ``returning``, ``docked``) are in the events, the start with the
  automation's context; HA records no vacuum unless the user adds the domain.
* ``tv``: a living room TV (a ``media_player``) switched on with its own remote on most
  evenings the resident sits in the living room, and off as they leave it for the night; on
  about one night in four it is left playing and switches itself off four hours after its
  remote was last touched (the auto power-off EU rules require), deep in the night.
* ``presence_lights``: while everyone is away for days, the lights pretend someone is home (the
  lights' own app or a presence-simulation integration, with no user or automation in their
  context): each evening the living room light goes on at 18:00-19:30 and off at 22:00-23:30,
  and the bedroom light for 5-20 minutes around 23:00, at times drawn afresh each day.
* ``occupancy_pirs``: the motion sensors report the ``occupancy`` device class, as
  Zigbee2MQTT's PIRs (Aqara, IKEA, Philips through Z2M) do: the same on and off, another name.
* ``long_hold``: the motion sensors hold "on" for at least four minutes after each trigger
  (Z-Wave multisensors' default, an ESPHome ``delayed_off``): a passage reads as minutes of
  motion, and a leaver's hallway sensor is still on minutes after the door closed.
* ``dog``: a dog that stays home. Left alone it gets up about once every two hours and pads
  through the ground floor (one to three motion sensors within a few minutes); in the minutes
  before someone comes home it waits in the hallway, having heard the car; at night it changes
  place now and then. No pet-immune sensors.
* ``tracker_lag``: the phones tell HA late that their people left (GPS leaving the home zone, a
  router's ``consider_home``: 2-9 minutes after the door) and a little early or late that they
  came back (the zone entered while parking, a phone waking up: 4 minutes before to 3 after);
  a trip shorter than 10 minutes is not noticed at all. The person follows its phone.
* ``dense_pirs``: a second motion sensor in every room that has one, and a third in the larger
  rooms (ceiling PIRs over each part of the room, as research homes fit them): each sees about
  two thirds of what the room's first one sees, a few seconds apart, and holds on for its own
  time. Whatever trips a room's sensor (a person, the pet, the robot) trips its neighbours too.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

QUIRKS = frozenset(
    {
        "movement_mats",
        "two_mats",
        "latched_pir",
        "stuck_sensor",
        "hall_doors",
        "flush",
        "contacts_only",
        "hall_bathroom_door",
        "mat_dropouts",
        "restarts",
        "timers",
        "tracker_jitter",
        "garage",
        "outdoor",
        "phone_app",
        "radar",
        "geofence",
        "remote",
        "vacuum",
        "tv",
        "presence_lights",
        "dog",
        "occupancy_pirs",
        "long_hold",
        "tracker_lag",
        "dense_pirs",
    }
)
REMOTE_LIGHT = "light.living_room"
VACUUM = "vacuum.robot"
TV = "media_player.living_room_tv"
# Where a dog left at home roams (those the home has a motion sensor in).
_DOG_ROOMS = (
    "binary_sensor.hallway_motion",
    "binary_sensor.kitchen_motion",
    "binary_sensor.living_room_motion",
)
# The rooms a robot vacuum passes, in its order (those the home has a motion sensor in).
_VACUUM_ROOMS = (
    "binary_sensor.hallway_motion",
    "binary_sensor.kitchen_motion",
    "binary_sensor.living_room_motion",
    "binary_sensor.office_motion",
)
THERMOSTAT = "climate.thermostat"
LIVING_RADAR = "binary_sensor.living_room_presence"
BEDROOM_RADAR = "binary_sensor.bedroom_presence"
LIVING_MOTION = "binary_sensor.living_room_motion"
CAMERA = "binary_sensor.driveway_person_occupancy"
GARDEN = "binary_sensor.garden_motion"
FRONT_DOOR = "binary_sensor.front_door"
GARAGE_DOOR = "cover.garage_door"
AWAY_FLIP = "<not_home>"
BOILER = "switch.boiler"
BLINDS = "cover.bedroom_blinds"
# (entity, local minute of day, state) of the ``timers`` quirk's schedule.
SCHEDULE = (
    (BOILER, 330.0, "on"),
    (BOILER, 510.0, "off"),
    (BOILER, 1020.0, "on"),
    (BOILER, 1350.0, "off"),
    (BLINDS, 435.0, "open"),
    (BLINDS, 1305.0, "closed"),
)
# The state an entity had before it went unavailable (``restarts``).
RESTORE = "<restore>"
Reg = dict[str, tuple[str | None, str | None, str | None, str | None, str]]
BEDROOM_DOOR = "binary_sensor.bedroom_door"
BATHROOM_DOOR = "binary_sensor.bathroom_door"
FRIDGE = "binary_sensor.fridge_door"
FLUSH = "binary_sensor.toilet_flush"
SECOND_MAT = "binary_sensor.bed_right"
LATCHING = "binary_sensor.bathroom_motion"
STUCK = "binary_sensor.kitchen_motion"
BEDROOM_MOTION = "binary_sensor.bedroom_motion"
BATHROOM_MOTION = "binary_sensor.bathroom_motion"
KITCHEN_MOTION = "binary_sensor.kitchen_motion"
_MATS = ("binary_sensor.bed_left", "binary_sensor.bed_right")


def quirk_registry(reg: Reg, quirks: Iterable[str]) -> Reg:
    """The registry of a home with ``quirks`` (entity_id -> area, floor, class, person, name)."""
    q = set(quirks)
    out = dict(reg)
    upstairs = next((v[1] for k, v in reg.items() if k == BEDROOM_MOTION), None)
    ground = reg.get("binary_sensor.front_door", (None, None))[1]
    if "hall_doors" in q:
        for entity_id, (area, floor, dc, person, name) in list(out.items()):
            if area == "Hallway":
                out[entity_id] = ("Hall", floor, dc, person, name)
        out[BEDROOM_DOOR] = ("Hall", upstairs, "door", None, "Bedroom door")
    if "two_mats" in q and SECOND_MAT not in out and _MATS[0] in out:
        area, floor, dc, _person, _name = out[_MATS[0]]
        out[SECOND_MAT] = (area, floor, dc, None, "Bed mat right")
    if "flush" in q:
        out[FLUSH] = ("Bathroom", upstairs, None, None, "Toilet flush")
    if "garage" in q and FRONT_DOOR in out:
        _area, floor, _dc, _person, _name = out.pop(FRONT_DOOR)
        out[GARAGE_DOOR] = ("Garage", floor, "garage", None, "Garage door")
    if "outdoor" in q:
        out[CAMERA] = ("Front yard", ground, "occupancy", None, "Driveway person occupancy")
        out[GARDEN] = ("Garden", ground, "motion", None, "Garden motion")
    if "timers" in q:
        out[BOILER] = ("Kitchen", ground, None, None, "Boiler")
        out[BLINDS] = ("Bedroom", upstairs, None, None, "Bedroom blinds")
    if "phone_app" in q:
        for tracker, (_area, _floor, _dc, person, name) in reg.items():
            if tracker.startswith("device_tracker.") and person:
                screen, charging = _phone_sensors(tracker)
                out[screen] = (None, None, None, None, f"{name} interactive")
                out[charging] = (None, None, "plug", None, f"{name} is charging")
    if "geofence" in q:
        out[THERMOSTAT] = ("Living Room", ground, None, None, "Thermostat")
    if "vacuum" in q:
        out[VACUUM] = ("Living Room", ground, None, None, "Robot vacuum")
    if "tv" in q:
        out[TV] = ("Living Room", ground, "tv", None, "Living room TV")
    if "radar" in q:
        out[LIVING_RADAR] = ("Living Room", ground, "presence", None, "Living room presence")
        out[BEDROOM_RADAR] = ("Bedroom", upstairs, "presence", None, "Bedroom presence")
    if "occupancy_pirs" in q:
        for entity_id, (area, floor, dc, person, name) in list(out.items()):
            if dc == "motion":
                out[entity_id] = (area, floor, "occupancy", person, name)
    if "dense_pirs" in q:
        for entity_id, (area, floor, dc, person, name) in list(out.items()):
            if dc == "motion" and entity_id.endswith("_motion"):
                for n in range(2, 2 + _dense_extra(entity_id)):
                    out[f"{entity_id}_{n}"] = (area, floor, dc, person, f"{name} {n}")
    if "contacts_only" in q:
        out = {
            k: v
            for k, v in out.items()
            if not (k.startswith("light.") or (v[2] in ("motion", "occupancy")))
        }
        out.setdefault(BEDROOM_DOOR, ("Bedroom", upstairs, "door", None, "Bedroom door"))
        bath_area = "Hall" if "hall_bathroom_door" in q else "Bathroom"
        out[BATHROOM_DOOR] = (bath_area, upstairs, "door", None, "Bathroom door")
        out[FRIDGE] = ("Kitchen", ground, "door", None, "Fridge door")
    return out


def _phone_sensors(tracker: str) -> tuple[str, str]:
    """The companion app's screen and charging sensors of the phone behind ``tracker``."""
    phone = tracker.split(".", 1)[1]
    return f"binary_sensor.{phone}_interactive", f"binary_sensor.{phone}_is_charging"


def phone_device(entity_id: str) -> str | None:
    """The phone an entity of the simulated homes belongs to (its tracker, its charging and
    screen sensors share one device in HA's registry), or None."""
    name = entity_id.split(".", 1)[-1]
    head, sep, _tail = name.partition("_phone")
    return f"{head.title()}'s phone" if sep else None


def _parse(ev: dict[str, Any]) -> tuple[float, str, str] | None:
    data = ev.get("data") or {}
    new = data.get("new_state") or {}
    entity_id = data.get("entity_id")
    if ev.get("event_type") != "state_changed" or not entity_id:
        return None
    t = datetime.fromisoformat(str(ev["time_fired"])).timestamp()
    return t, str(entity_id), str(new.get("state"))


class _Writer:
    """Builds state_changed events shaped like the simulator's own."""

    def __init__(self, reg: Reg, tz: Any) -> None:
        self.reg = reg
        self.tz = tz
        self.seq = 0
        self.state: dict[str, tuple[str, str]] = {}
        self.gone: dict[str, str] = {}

    def event(self, t: float, entity_id: str, state: str) -> dict[str, Any] | None:
        if "|" in state:  # a state with its preset and setpoint (a thermostat)
            return self._climate(t, entity_id, state)
        state, _at, user = state.partition("@")  # switched by this HA user (from the app)
        state, auto, _ = state.partition("#")  # changed by an automation
        old = self.state.get(entity_id)
        if state == "unavailable" and old is not None:
            self.gone[entity_id] = old[0]
        elif state == AWAY_FLIP:
            if old is None or old[0] != "home":
                return None
            self.gone[entity_id] = old[0]
            state = "not_home"
        elif state == RESTORE:
            if entity_id in self.gone:
                state = self.gone.pop(entity_id)
            elif old is not None and old[0] == "unavailable":
                state = "off"
            else:
                return None
        if old is not None and old[0] == state:
            return None
        iso = datetime.fromtimestamp(t, self.tz).isoformat()
        self.seq += 1
        parent = f"01P{self.seq:023d}" if auto else None
        ctx = {"id": f"01Q{self.seq:023d}", "parent_id": parent, "user_id": user or None}
        _area, _floor, dc, _person, name = self.reg[entity_id]
        attrs: dict[str, Any] = {"friendly_name": name}
        if dc:
            attrs["device_class"] = dc

        def st(value: str, since: str) -> dict[str, Any]:
            return {
                "entity_id": entity_id,
                "state": value,
                "attributes": attrs,
                "last_changed": since,
                "last_reported": since,
                "last_updated": since,
                "context": ctx,
            }

        self.state[entity_id] = (state, iso)
        return {
            "event_type": "state_changed",
            "data": {
                "entity_id": entity_id,
                "old_state": st(old[0], old[1]) if old else st("off", iso),
                "new_state": st(state, iso),
            },
            "origin": "LOCAL",
            "time_fired": iso,
            "context": ctx,
        }


    def _climate(self, t: float, entity_id: str, marker: str) -> dict[str, Any] | None:
        old = self.state.get(entity_id)
        if old is not None and old[0] == marker:
            return None
        iso = datetime.fromtimestamp(t, self.tz).isoformat()
        self.seq += 1
        ctx = {"id": f"01Q{self.seq:023d}", "parent_id": None, "user_id": None}
        name = self.reg[entity_id][4]

        def st(mark: str, since: str) -> dict[str, Any]:
            value, preset, temp = mark.split("|")
            attrs = {"friendly_name": name, "preset_mode": preset, "temperature": float(temp)}
            return {
                "entity_id": entity_id,
                "state": value,
                "attributes": attrs,
                "last_changed": since,
                "last_reported": since,
                "last_updated": since,
                "context": ctx,
            }

        self.state[entity_id] = (marker, iso)
        return {
            "event_type": "state_changed",
            "data": {
                "entity_id": entity_id,
                "old_state": st(old[0], old[1]) if old else None,
                "new_state": st(marker, iso),
            },
            "origin": "LOCAL",
            "time_fired": iso,
            "context": ctx,
        }


def _intervals(rows: list[tuple[float, str, str]], entity_id: str) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    since: float | None = None
    for t, e, s in rows:
        if e != entity_id:
            continue
        if s == "on" and since is None:
            since = t
        elif s != "on" and since is not None:
            out.append((since, t))
            since = None
    return out


def _pulse(t: float, length: float, entity_id: str) -> list[tuple[float, str, str]]:
    return [(t, entity_id, "on"), (t + length, entity_id, "off")]


def _transitions(
    rows: list[tuple[float, str, str]], room: str, rooms: frozenset[str]
) -> list[float]:
    """Times someone moved into or out of ``room``: a motion onset there after one elsewhere,
    or elsewhere after one there (mats count as the bedroom)."""
    out: list[float] = []
    last: str | None = None
    for t, e, s in rows:
        if s != "on" or e not in rooms:
            continue
        here = e == room or (room == BEDROOM_MOTION and e in _MATS)
        if last is not None and here != (last == room):
            out.append(t - 2.0 if here else t - 8.0)
        last = room if here else e
    return out


def _people_only(
    rows: list[tuple[float, str, str]], noise: list[list[str]] | None
) -> list[tuple[float, str, str]]:
    """``rows`` without the motion nobody walking made (the truth's ``noise``: a PIR tripping
    by itself, the pet, a sleeper turning over): the doors and flushes people move follow the
    people only."""
    return _by_maker(rows, noise)[""]


def _by_maker(
    rows: list[tuple[float, str, str]], noise: list[list[str]] | None
) -> dict[str, list[tuple[float, str, str]]]:
    """``rows`` split by what made them: the truth's ``noise`` kinds (``pir``, ``pet``,
    ``sleeper``, ...), each motion onset with its off, and everything else under ``""``."""
    out: dict[str, list[tuple[float, str, str]]] = {"": []}
    if not noise:
        out[""] = rows
        return out
    marks: dict[str, list[tuple[float, str]]] = {}
    for when, entity_id, kind, *_ in noise:
        marks.setdefault(entity_id, []).append((datetime.fromisoformat(when).timestamp(), kind))
    for times in marks.values():
        times.sort()
    making: dict[str, str] = {}  # entity -> the noise kind whose pulse it is in
    for t, e, s in rows:
        if e in making:
            out.setdefault(making[e], []).append((t, e, s))
            if s != "on":
                del making[e]
            continue
        times = marks.get(e)
        if s == "on" and times:
            i = bisect.bisect_left(times, (t - 5.0, ""))  # declared to the second, then jittered
            if i < len(times) and times[i][0] <= t + 5.0:
                making[e] = times[i][1]
                out.setdefault(making[e], []).append((t, e, s))
                continue
        out[""].append((t, e, s))
    return out


def apply_quirks(
    events: list[dict[str, Any]],
    reg: Reg,
    quirks: Iterable[str],
    rng: random.Random,
    tz: Any,
    users: dict[str, str] | None = None,
    noise: list[list[str]] | None = None,
    asleep: dict[str, list[tuple[float, float]]] | None = None,
) -> list[dict[str, Any]]:
    """``events`` (one home's, time order) as the home's sensors would have reported them
    (``users``: person entity -> HA user id, for what people do from the app). Motion that no
    person made (the robot vacuum's) is appended to ``noise`` as the truth declares it.
    ``asleep``: person -> when they slept (the truth's), for a home without bed mats."""
    q = set(quirks)
    parsed = [(_parse(ev), ev) for ev in events]
    rows = [p for p, _ in parsed if p is not None]
    # Where people are is read from the simulation's own motion (before any is removed).
    motion_rooms = frozenset(e for _, e, _ in rows if e.endswith("_motion")) | frozenset(_MATS)
    replaced: set[str] = set()
    new: list[tuple[float, str, str]] = []
    if "movement_mats" in q:
        for mat in _MATS:
            spans = _intervals(rows, mat)
            if not spans:
                continue
            replaced.add(mat)
            for a, b in spans:
                t = a
                while t < b:
                    new += _pulse(t, rng.uniform(1.0, 2.0), mat)
                    still = rng.random() < 0.03
                    t += rng.uniform(1200, 4200) if still else rng.expovariate(1 / 90)
                new += _pulse(max(a, b - 3.0), 1.0, mat)
    if "two_mats" in q and SECOND_MAT not in {e for _, e, _ in rows}:
        for a, b in _intervals(rows, _MATS[0]):
            if rng.random() < 0.25 and b - a > 4 * 3600:
                m = rng.uniform(a + 3600, b - 3 * 3600)
                new += [(m, SECOND_MAT, "on"), (m + rng.uniform(3600, 7200), SECOND_MAT, "off")]
            for _ in range(rng.randint(1, 4)):
                new += _pulse(rng.uniform(a, b), 1.0, SECOND_MAT)
    if "latched_pir" in q and LATCHING in reg:
        spans = _intervals(rows, LATCHING)
        latch: list[tuple[float, float]] = []
        day = -1.0
        for a, _b in spans:
            if a // 86400 != day and rng.random() < 0.4:
                day = a // 86400
                latch.append((a, a + rng.uniform(2, 8) * 3600))
        if latch:
            replaced.add(LATCHING)
            kept = [(a, b) for a, b in spans if not any(x < a < y for x, y in latch)]
            for a, b in kept:
                end = next((y for x, y in latch if x == a), b)
                new += [(a, LATCHING, "on"), (end, LATCHING, "off")]
    if "stuck_sensor" in q and STUCK in reg:
        spans = _intervals(rows, STUCK)
        if len(spans) > 20:
            x0 = spans[len(spans) // 3][0]
            x1 = x0 + 30 * 3600
            replaced.add(STUCK)
            for a, b in spans:
                if a < x0 - 1 or a > x1 + 1:
                    new += [(a, STUCK, "on"), (b, STUCK, "off")]
            new += [(x0, STUCK, "on"), (x1, STUCK, "off")]
    base_noise = list(noise) if noise else None  # the simulation's own, before quirks add
    people = _people_only(rows, base_noise)
    if "hall_doors" in q or "contacts_only" in q:
        for t in _transitions(people, BEDROOM_MOTION, motion_rooms):
            new += _pulse(t, rng.uniform(3.0, 10.0), BEDROOM_DOOR)
    if "flush" in q:
        for a, _b in _intervals(people, BATHROOM_MOTION):
            if rng.random() < 0.5:
                new += _pulse(a + rng.uniform(60, 180), 2.0, FLUSH)
    if "contacts_only" in q:
        for t in _transitions(people, BATHROOM_MOTION, motion_rooms):
            new += _pulse(t, rng.uniform(3.0, 8.0), BATHROOM_DOOR)
        last = -1e9
        for a, _b in _intervals(people, KITCHEN_MOTION):
            if a - last > 600 and rng.random() < 0.5:
                last = a
                new += _pulse(a + rng.uniform(10, 60), rng.uniform(5.0, 30.0), FRIDGE)
    dropped: list[tuple[float, float]] = []
    if "mat_dropouts" in q and rows:
        first, last = rows[0][0], rows[-1][0]
        for share in (0.3, 0.7):
            a = first + share * (last - first)
            dropped.append((a, a + rng.uniform(3.0, 4.0) * 86400))
        new = [r for r in new if not (r[1] in _MATS and _inside(r[0], dropped))]
        for a, b in dropped:
            for mat in _MATS:
                if mat in reg:
                    new += [(a, mat, "unavailable"), (b, mat, "off")]

    if "restarts" in q and rows:
        restarted = [
            e
            for e, (_a, _f, dc, _p, _n) in reg.items()
            if e.startswith("light.") or (e.startswith("binary_sensor.") and dc != "motion")
            if e not in _MATS
        ]
        for night in range(int(rows[0][0] // 86400), int(rows[-1][0] // 86400) + 1):
            if rng.random() < 0.25:
                t = night * 86400 + rng.uniform(1.0, 3.5) * 3600  # 01:00-04:30 UTC
                for k, e in enumerate(sorted(restarted)):
                    back = t + rng.uniform(40.0, 120.0) + 2.0 * k
                    new += [(t + 0.5 * k, e, "unavailable"), (back, e, RESTORE)]

    if "garage" in q:
        for a, b in _intervals(rows, FRONT_DOOR):
            new += [(a, GARAGE_DOOR, "open"), (b + rng.uniform(10.0, 20.0), GARAGE_DOOR, "closed")]
    if "outdoor" in q and rows:
        for a, _b in _intervals(rows, FRONT_DOOR):
            new += _pulse(a + rng.uniform(-40.0, 40.0), rng.uniform(20.0, 60.0), CAMERA)
        t = rows[0][0]
        while t < rows[-1][0]:
            hour = datetime.fromtimestamp(t, tz).hour
            rate = 1.0 if 7 <= hour < 22 else 1 / 3  # an hour
            t += rng.expovariate(rate / 3600)
            new += _pulse(t, rng.uniform(15.0, 90.0), rng.choice((CAMERA, GARDEN)))
    if "timers" in q and rows:
        first = datetime.fromtimestamp(rows[0][0], tz).date()
        last = datetime.fromtimestamp(rows[-1][0], tz).date()
        for n in range((last - first).days + 1):
            midnight = datetime.combine(first, datetime.min.time(), tz) + timedelta(days=n)
            for entity_id, minute, state in SCHEDULE:
                t = midnight.timestamp() + minute * 60 + rng.uniform(0.0, 20.0)
                new.append((t, entity_id, state))

    if "tracker_jitter" in q and rows:
        phones = sorted(e for e in reg if e.startswith("device_tracker."))
        for night in range(int(rows[0][0] // 86400), int(rows[-1][0] // 86400) + 1):
            if not phones or rng.random() >= 0.25:
                continue
            phone = rng.choice(phones)
            person = reg[phone][3]
            t = night * 86400 + rng.uniform(0.5, 3.5) * 3600  # 01:30-04:30 local (UTC+1)
            back = t + rng.uniform(10.0, 40.0) * 60
            for k, e in enumerate(x for x in (phone, person) if x in reg):
                new += [(t + 5.0 * k, e, AWAY_FLIP), (back + 5.0 * k, e, RESTORE)]

    if "long_hold" in q and rows:
        for entity_id in sorted(e for e in motion_rooms if e.endswith("_motion")):
            spans = _intervals(rows, entity_id)
            if not spans:
                continue
            replaced.add(entity_id)
            held: list[list[float]] = []
            for a, b in spans:
                end = max(b, a + 240.0)
                if held and a <= held[-1][1]:
                    held[-1][1] = max(held[-1][1], end)
                else:
                    held.append([a, end])
            for a, b in held:
                new += [(a, entity_id, "on"), (b, entity_id, "off")]
    if "phone_app" in q and rows:
        new += _phone_app(rows, reg, rng, asleep or {})
    if "radar" in q and rows:
        # A radar sees people stay in its room; a PIR tripping by itself is nobody to it, and
        # the cat only while it crosses the room (declared like the cat's motion).
        new += _radar(people, motion_rooms, rng)
        pet_seen: list[tuple[float, str, str]] = []
        for t, e, state in _by_maker(rows, base_noise).get("pet", []):
            radar = {LIVING_MOTION: LIVING_RADAR, BEDROOM_MOTION: BEDROOM_RADAR}.get(e)
            if radar and state == "on":
                pet_seen += [(t + 1.0, radar, "on"), (t + rng.uniform(60.0, 240.0), radar, "off")]
        new += _merged(pet_seen)
        if noise is not None:
            noise += [
                [datetime.fromtimestamp(t, tz).isoformat(timespec="seconds"), e, "pet"]
                for t, e, state in pet_seen
                if state == "on"
            ]
    if "geofence" in q and rows:
        new += _geofence(rows, rng)
    if "remote" in q and rows and REMOTE_LIGHT in reg:
        new += _remote(rows, reg, rng, users or {})
    robot: list[tuple[float, str, str]] = []
    dog: list[tuple[float, str, str]] = []
    if "vacuum" in q and rows:
        robot = _vacuum(rows, reg, rng, tz)
        new += robot
        if noise is not None:
            noise += [
                [datetime.fromtimestamp(t, tz).isoformat(timespec="seconds"), e, "vacuum"]
                for t, e, s in robot
                if e != VACUUM and s == "on"
            ]
    if "tv" in q and rows:
        new += _tv(rows, rng, tz)
    if "dog" in q and rows:
        dog = _dog(rows, reg, rng, tz)
        new += dog
        if noise is not None:
            noise += [
                [datetime.fromtimestamp(t, tz).isoformat(timespec="seconds"), e, "pet"]
                for t, e, s in dog
                if s == "on"
            ]
    if "presence_lights" in q and rows:
        new += _presence_lights(rows, reg, rng, tz)

    if "dense_pirs" in q and rows:
        # The neighbours see the people, and the pet, a sleeper turning over and the robot,
        # declared like them; a PIR tripping by itself trips no neighbour.
        made = {"pet": dog, "vacuum": robot}
        theirs = {r for rs in made.values() for r in rs}
        makers = _by_maker([r for r in rows if r[1] not in replaced], base_noise)
        people = makers[""] + [r for r in new if r not in theirs]
        new += _dense(people, reg, rng)
        made = {
            "pet": dog + makers.get("pet", []),
            "vacuum": robot,
            "sleeper": makers.get("sleeper", []),
        }
        for kind, device in made.items():
            seen = _dense(device, reg, rng)
            new += seen
            if noise is not None:
                noise += [
                    [datetime.fromtimestamp(t, tz).isoformat(timespec="seconds"), e, kind]
                    for t, e, s in seen
                    if s == "on"
                ]

    def silent(entity_id: str, t: float) -> bool:
        return entity_id in _MATS and _inside(t, dropped)

    if "occupancy_pirs" in q:
        for _p, ev in parsed:
            for key in ("new_state", "old_state"):
                state = (ev.get("data") or {}).get(key) or {}
                attrs = state.get("attributes") or {}
                if attrs.get("device_class") == "motion":
                    state["attributes"] = {**attrs, "device_class": "occupancy"}
    if "tracker_lag" in q:
        parsed = _lagged(parsed, reg, rng)
    writer = _Writer(reg, tz)
    merged: list[tuple[float, int, dict[str, Any]]] = []
    for k, (p, ev) in enumerate(parsed):
        if p is not None and (p[1] in replaced or p[1] not in reg or silent(p[1], p[0])):
            continue  # rewritten above, a sensor this home does not have, or one gone silent
        merged.append((p[0] if p is not None else _time_of(ev), k, ev))
    extra = sorted(new)
    out: list[dict[str, Any]] = []
    i = 0
    for t, _k, ev in merged:
        while i < len(extra) and extra[i][0] <= t:
            made = writer.event(extra[i][0], extra[i][1], extra[i][2])
            if made is not None:
                out.append(made)
            i += 1
        p = _parse(ev)
        if p is not None:
            writer.state[p[1]] = (p[2], str(ev["time_fired"]))
        out.append(ev)
    for t, e, s in extra[i:]:
        made = writer.event(t, e, s)
        if made is not None:
            out.append(made)
    return out


def _geofence(
    rows: list[tuple[float, str, str]], rng: random.Random
) -> list[tuple[float, str, str]]:
    """The ``geofence`` quirk: the thermostat's own away and home switches around every time
    the home is empty (all trackers away, whether this home records them or not)."""
    trackers = sorted({e for _t, e, _s in rows if e.startswith("device_tracker.")})
    where = dict.fromkeys(trackers, True)
    new: list[tuple[float, str, str]] = [(rows[0][0], THERMOSTAT, "heat|home|21")]
    left: float | None = None
    for t, e, s in rows:
        if e not in where:
            continue
        where[e] = s == "home"
        if not any(where.values()) and left is None:
            left = t
        elif any(where.values()) and left is not None:
            if t - left > 40 * 60:
                new.append((left + rng.uniform(300, 900), THERMOSTAT, "heat|away|17"))
                new.append((t - rng.uniform(600, 1200), THERMOSTAT, "heat|home|21"))
            left = None
    return new


def _remote(
    rows: list[tuple[float, str, str]], reg: Reg, rng: random.Random, users: dict[str, str]
) -> list[tuple[float, str, str]]:
    """The ``remote`` quirk: the light switched on from the app by whoever comes back first."""
    people = {e: v[3] for e, v in reg.items() if e.startswith("device_tracker.") and v[3]}
    where = dict.fromkeys(people, True)
    new: list[tuple[float, str, str]] = []
    left: float | None = None
    for t, e, s in rows:
        if e not in where:
            continue
        where[e] = s == "home"
        if not any(where.values()) and left is None:
            left = t
        elif any(where.values()) and left is not None:
            uid = users.get(people[e] or "")
            if uid and t - left > 2 * 3600 and rng.random() < 0.5:
                new.append((t - rng.uniform(900, 2400), REMOTE_LIGHT, f"on@{uid}"))
            left = None
    return new


def _empty_spans(rows: list[tuple[float, str, str]]) -> list[tuple[float, float]]:
    """When every phone tracker of the home was away (the home empty)."""
    trackers = sorted({e for _t, e, _s in rows if e.startswith("device_tracker.")})
    where = dict.fromkeys(trackers, True)
    out: list[tuple[float, float]] = []
    left: float | None = None
    for t, e, s in rows:
        if e not in where:
            continue
        where[e] = s == "home"
        if not any(where.values()) and left is None:
            left = t
        elif any(where.values()) and left is not None:
            out.append((left, t))
            left = None
    return out


def _vacuum(
    rows: list[tuple[float, str, str]], reg: Reg, rng: random.Random, tz: Any
) -> list[tuple[float, str, str]]:
    """The ``vacuum`` quirk: the robot's runs in the empty home and the motion it makes."""
    rooms = [r for r in _VACUUM_ROOMS if r in reg]
    new: list[tuple[float, str, str]] = [(rows[0][0], VACUUM, "docked")]
    days: set[object] = set()
    for a, b in _empty_spans(rows):
        local = datetime.fromtimestamp(a, tz)
        if b - a < 2 * 3600 or local.weekday() >= 5 or not 8 <= local.hour < 16:
            continue
        if local.date() in days or not rooms:
            continue
        days.add(local.date())
        start = a + rng.uniform(900, 1800)
        end = start + rng.uniform(45, 80) * 60
        new.append((start, VACUUM, "cleaning#"))  # started by the automation
        share = (end - start) / len(rooms)
        for k, room in enumerate(rooms):
            t, stop = start + k * share, start + (k + 1) * share
            while t < stop:  # the PIR sees it now and then as it moves about
                on = rng.uniform(60.0, 240.0)
                new += _pulse(t, min(on, max(stop - t, 5.0)), room)
                t += on + rng.uniform(30.0, 400.0)
        new.append((end, VACUUM, "returning"))
        new.append((end + rng.uniform(120, 300), VACUUM, "docked"))
    return new


def _dog(
    rows: list[tuple[float, str, str]], reg: Reg, rng: random.Random, tz: Any
) -> list[tuple[float, str, str]]:
    """The ``dog`` quirk: the motion a dog makes alone at home, waiting for its people and at
    night (where the people's own motion hides it, it is not added)."""
    rooms = [r for r in _DOG_ROOMS if r in reg]
    if not rooms:
        return []
    new: list[tuple[float, str, str]] = []

    def rounds(t: float) -> None:
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            new.extend(_pulse(t, rng.uniform(10.0, 40.0), rng.choice(rooms)))
            t += rng.uniform(20.0, 150.0)

    empty = _empty_spans(rows)
    for a, b in empty:
        t = a + rng.expovariate(1 / 7200)
        while t < b - 600:
            rounds(t)
            t += rng.expovariate(1 / 7200)
        if rng.random() < 0.7:  # waiting in the hallway for the car it heard
            wait = b - rng.uniform(60.0, 240.0)
            if wait > a:
                new.extend(_pulse(wait, rng.uniform(20.0, 60.0), rooms[0]))
    first = int(rows[0][0] // 86400)
    for day in range(first, int(rows[-1][0] // 86400) + 1):
        for _ in range(rng.choice((0, 1, 1, 2))):
            t = day * 86400 + rng.uniform(0.5, 4.5) * 3600  # 01:30-05:30 local (UTC+1)
            if not _inside(t, empty):
                new.extend(_pulse(t, rng.uniform(10.0, 30.0), rng.choice(rooms[1:] or rooms)))
    return new


def _lagged(
    parsed: list[tuple[tuple[float, str, str] | None, dict[str, Any]]], reg: Reg, rng: random.Random
) -> list[tuple[tuple[float, str, str] | None, dict[str, Any]]]:
    """The ``tracker_lag`` quirk: each person's and phone's comings and goings moved as the
    phone would have told them (one shift for a person and its phone); trips too short for
    the phone to notice dropped."""
    phone_of = {e: v[3] for e, v in reg.items() if e.startswith("device_tracker.") and v[3]}
    owner = {**phone_of, **{p: p for p in phone_of.values()}}
    moves: dict[str, list[tuple[float, str]]] = {}  # person -> (time, state) of each change
    for p, _ev in parsed:
        if p is not None and p[1] in owner:
            changes = moves.setdefault(owner[p[1]], [])
            if not changes or changes[-1][1] != p[2] or p[0] - changes[-1][0] > 120.0:
                changes.append((p[0], p[2]))
    shift: dict[tuple[str, float], float | None] = {}  # (person, change time) -> shift
    for person, changes in moves.items():
        for k, (t, state) in enumerate(changes):
            if state == "home":
                continue
            back = next((x for x, s in changes[k + 1 :] if s == "home"), math.inf)
            late = rng.uniform(120.0, 540.0)
            early = rng.uniform(-240.0, 180.0)
            if back - t < 600.0:
                shift[person, t] = shift[person, back] = None  # never noticed
            else:
                shift[person, t] = late
                if back < math.inf:
                    shift[person, back] = max(early, t + late + 60.0 - back)
    out: list[tuple[tuple[float, str, str] | None, dict[str, Any]]] = []
    for p, ev in parsed:
        if p is None or p[1] not in owner:
            out.append((p, ev))
            continue
        changes = moves[owner[p[1]]]
        at = max((x for x, _s in changes if x <= p[0] + 1e-6), default=p[0])
        dt = shift.get((owner[p[1]], at), 0.0)
        if dt is None:
            continue
        moved = _at_time(ev, p[0] + dt)
        out.append(((p[0] + dt, p[1], p[2]), moved))
    out.sort(key=lambda x: x[0][0] if x[0] is not None else _time_of(x[1]))
    return out


def _at_time(ev: dict[str, Any], t: float) -> dict[str, Any]:
    """A copy of the state_changed event ``ev`` as fired at epoch ``t`` (its zone kept)."""
    fired = datetime.fromisoformat(str(ev["time_fired"]))
    iso = datetime.fromtimestamp(t, fired.tzinfo).isoformat()
    data = dict(ev.get("data") or {})
    new = dict(data.get("new_state") or {})
    for key in ("last_changed", "last_updated", "last_reported"):
        if key in new:
            new[key] = iso
    data["new_state"] = new
    return {**ev, "time_fired": iso, "data": data}


# The rooms big enough for a third ceiling PIR (``dense_pirs``).
_LARGE_ROOMS = ("binary_sensor.living_room_motion", "binary_sensor.kitchen_motion")


def _dense_extra(entity_id: str) -> int:
    return 2 if entity_id in _LARGE_ROOMS else 1


def _dense(
    rows: list[tuple[float, str, str]], reg: Reg, rng: random.Random
) -> list[tuple[float, str, str]]:
    """The ``dense_pirs`` quirk: the neighbours of each room's motion sensor (``rows``: every
    state change the home reports so far, the pet's and the robot's included)."""
    new: list[tuple[float, str, str]] = []
    for entity_id in sorted(e for e in reg if e.endswith("_motion") and reg[e][2] == "motion"):
        ordered = sorted(r for r in rows if r[1] == entity_id)
        for n in range(2, 2 + _dense_extra(entity_id)):
            extra = f"{entity_id}_{n}"
            if extra not in reg:
                continue
            end = -math.inf
            for a, b in _intervals(ordered, entity_id):
                if rng.random() >= 2 / 3:
                    continue
                t = max(a + rng.uniform(-5.0, 15.0), end + 1.0)
                off = t + max(5.0, (b - a) * rng.uniform(0.6, 1.3))
                new += [(t, extra, "on"), (off, extra, "off")]
                end = off
    return new


def _tv(
    rows: list[tuple[float, str, str]], rng: random.Random, tz: Any
) -> list[tuple[float, str, str]]:
    """The ``tv`` quirk: evenings of television, now and then left on for the night."""
    seen = [t for t, e, s in rows if e == LIVING_MOTION and s == "on"]
    doors = [t for t, e, s in rows if e == FRONT_DOOR and s == "on"]
    new: list[tuple[float, str, str]] = []
    first = datetime.fromtimestamp(rows[0][0], tz).date()
    last = datetime.fromtimestamp(rows[-1][0], tz).date()
    for n in range((last - first).days + 1):
        evening = datetime.combine(first, datetime.min.time(), tz) + timedelta(days=n, hours=19)
        a = evening.timestamp()
        onsets = [t for t in seen if a <= t < a + 8 * 3600]
        if not onsets or rng.random() >= 0.8:
            continue
        on = onsets[0] + rng.uniform(30.0, 180.0)
        # Nobody leaves the TV on to go out: the evening ends at the front door, if at all.
        out_at = next((t for t in doors if on < t < a + 8 * 3600), math.inf)
        if out_at < math.inf:
            left = max([t for t in onsets if t < out_at], default=on)
            off = min(max(left, on) + rng.uniform(10.0, 90.0), out_at - 20.0)
        else:
            left = onsets[-1]
            later = next((t for t in seen if t > left + 60.0), math.inf)
            if rng.random() < 0.25:  # left on: off four hours after the remote was last used
                off = min(left + 4 * 3600 + rng.uniform(0.0, 120.0), later - 60.0)
            else:
                off = left + rng.uniform(10.0, 90.0)
        if off > on:
            new += [(on, TV, "playing"), (off, TV, "off")]
    return new


def _presence_lights(
    rows: list[tuple[float, str, str]], reg: Reg, rng: random.Random, tz: Any
) -> list[tuple[float, str, str]]:
    """The ``presence_lights`` quirk: evenings of lights while the home is empty for days."""
    lights = [e for e in ("light.living_room", "light.bedroom") if e in reg]
    new: list[tuple[float, str, str]] = []
    for a, b in _empty_spans(rows):
        if b - a < 86400 or not lights:
            continue
        day = datetime.fromtimestamp(a, tz).date()
        while True:
            evening = datetime.combine(day, datetime.min.time(), tz) + timedelta(hours=18)
            t0 = evening.timestamp()
            if t0 + 6 * 3600 > b:
                break
            day += timedelta(days=1)
            if t0 < a:
                continue
            new += [
                (t0 + rng.uniform(0, 90) * 60, lights[0], "on"),
                (t0 + rng.uniform(240, 330) * 60, lights[0], "off"),
            ]
            if len(lights) > 1:
                on = t0 + rng.uniform(285, 310) * 60
                new += [(on, lights[1], "on"), (on + rng.uniform(5, 20) * 60, lights[1], "off")]
    return new


def _stays(
    rows: list[tuple[float, str, str]], room: str, rooms: frozenset[str]
) -> list[tuple[float, float]]:
    """Spans someone spent in ``room``: from a motion onset there (or a bed mat pressed, for
    the bedroom) to the next onset elsewhere, or to 20 min after the last change there (a
    radar sees someone sitting still, not someone gone unseen); a mat held is someone there."""
    still = 20 * 60.0
    out: list[tuple[float, float]] = []
    since: float | None = None
    last = 0.0
    in_bed = False
    for t, e, s in rows:
        if e not in rooms:
            continue
        mat = room == BEDROOM_MOTION and e in _MATS
        if since is not None and not in_bed and t > last + still:
            out.append((since, last + still))
            since = None
        if e == room or mat:
            in_bed = (s == "on") if mat else in_bed
            if s == "on" and since is None:
                since = t
            last = t
        elif s == "on" and since is not None and not in_bed:
            out.append((since, t))
            since = None
    if since is not None:
        out.append((since, last + 60))
    return out


def _radar(
    rows: list[tuple[float, str, str]], rooms: frozenset[str], rng: random.Random
) -> list[tuple[float, str, str]]:
    """The ``radar`` quirk: presence held while someone is in the room, and the living
    room's ghosts."""
    new: list[tuple[float, str, str]] = []
    for room, radar in ((LIVING_MOTION, LIVING_RADAR), (BEDROOM_MOTION, BEDROOM_RADAR)):
        for a, b in _stays(rows, room, rooms):
            on, off = a + rng.uniform(1.0, 4.0), b + rng.uniform(5.0, 30.0)
            new += [(on, radar, "on"), (off, radar, "off")]
    day = rows[0][0] // 86400
    while day * 86400 < rows[-1][0]:
        if rng.random() < 0.33:
            t = day * 86400 + rng.uniform(0, 86400)
            new += [(t, LIVING_RADAR, "on"), (t + rng.uniform(1800, 3 * 3600), LIVING_RADAR, "off")]
        day += 1
    return _merged(new)


def _merged(rows: list[tuple[float, str, str]]) -> list[tuple[float, str, str]]:
    """Per entity, overlapping on-spans joined (a ghost during a real stay is one stay)."""
    out: list[tuple[float, str, str]] = []
    for entity in sorted({e for _t, e, _s in rows}):
        spans = sorted(
            (a, b) for (a, e1, s1), (b, _e2, _s2) in zip(rows[::2], rows[1::2], strict=True)
            if e1 == entity and s1 == "on"
        )
        cur: list[float] | None = None
        for a, b in spans:
            if cur is not None and a <= cur[1] + 2.0:
                cur[1] = max(cur[1], b)
                continue
            if cur is not None:
                out += [(cur[0], entity, "on"), (cur[1], entity, "off")]
            cur = [a, b]
        if cur is not None:
            out += [(cur[0], entity, "on"), (cur[1], entity, "off")]
    return out


def _phone_app(
    rows: list[tuple[float, str, str]],
    reg: Reg,
    rng: random.Random,
    asleep: dict[str, list[tuple[float, float]]],
) -> list[tuple[float, str, str]]:
    """The ``phone_app`` quirk's screen and charging changes, wherever each phone is (its
    owner in bed: their mat's, else the truth's sleeps)."""
    new: list[tuple[float, str, str]] = []
    end = rows[-1][0]
    for tracker, (_area, _floor, _dc, person, _name) in reg.items():
        if not tracker.startswith("device_tracker.") or not person:
            continue
        screen, charging = _phone_sensors(tracker)
        mat = next((m for m in _MATS if m in reg and reg[m][3] == person), None)
        beds = _intervals(rows, mat) if mat else asleep.get(person, [])
        away: list[tuple[float, float]] = []
        since: float | None = None
        for t, e, s in rows:
            if e != tracker:
                continue
            if s == "not_home" and since is None:
                since = t
            elif s == "home" and since is not None:
                away.append((since, t))
                since = None
        t = rows[0][0]
        while t < end:
            t += rng.expovariate(2.0 / 3600)  # the screen comes on about twice an hour ...
            if not _inside(t, beds):  # ... while its owner is up
                new += _pulse(t, rng.uniform(20.0, 480.0), screen)
        for a, b in beds:
            if b - a > 4 * 3600 and rng.random() < 0.25:  # the time, checked in the night
                new += _pulse(rng.uniform(a + 3600, b - 3600), rng.uniform(20.0, 90.0), screen)
            if b - a > 4 * 3600 and rng.random() < 0.7:  # charged overnight by the bed
                new += [
                    (a - rng.uniform(0.0, 600.0), charging, "on"),
                    (b + rng.uniform(0.0, 300.0), charging, "off"),
                ]
        for a, b in away:
            if b - a > 4 * 3600 and rng.random() < 0.6:
                t0 = rng.uniform(a + 1800, b - 3 * 3600)
                new += [(t0, charging, "on"), (t0 + rng.uniform(3600, 7200), charging, "off")]
    return new


def _inside(t: float, spans: list[tuple[float, float]]) -> bool:
    return any(a <= t < b for a, b in spans)


def _time_of(ev: dict[str, Any]) -> float:
    raw = ev.get("time_fired") or ev.get("ts")
    try:
        return datetime.fromisoformat(str(raw)).timestamp()
    except ValueError:
        return 0.0
