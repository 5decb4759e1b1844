"""A simulated home with known ground truth, for demos, end-to-end tests and benchmarks.

It emits HA bus events in ``Event.as_dict()`` shape (``state_changed``, ``automation_triggered``,
``call_service``) for a three-person household:

- ``person.anna`` works office hours on weekdays; from ``change_day`` a new job moves her whole
  morning one hour earlier (wake-up, kitchen light, leaving, arriving): the routine change.
- ``person.ben`` works from home, goes to the gym on Monday/Wednesday/Friday evenings, sets the
  thermostat through the app, goes to bed after midnight (the midnight wrap).
- ``person.grandma`` is retired: early riser, kettle twice a day (a multimodal habit), radio in
  the morning, her own TV in the evening, shopping on Tuesday/Thursday/Saturday mornings.

Around them: weekends, public holidays, a family vacation, guests, a cat (motion at any hour),
night-time toilet trips, sensor dropouts (``unavailable``), clock jitter, automations with
context parent chains (night hallway light, welcome porch light, lights-off when everyone left,
time-triggered coffee machine) kept distinguishable from people's own actions (user contexts or
physical switches without context). ``n_entities`` adds filler entities (numeric sensors, window
contacts, lights in spare rooms) to reach a realistic entity count.

Event timestamps carry the local UTC offset by default (so a replay without ``--tz`` reads
local times); ``utc=True`` writes UTC like a raw HA dump.

Home variants (opt-in, ``simulate_home(..., household="elderly")`` or a ``HomeSpec``; the
default home above is unchanged for a seed): ``HOUSEHOLDS`` holds homes unlike this one (a
single office worker, an elderly resident with night-time toilet trips and naps, a couple with
staggered bedtimes, a night-shift worker, noisy motion sensors, one motion sensor per floor, a
cat, an Ordonez-like home with three motion sensors, a partner away on business trips, long
vacations). Their truth lists every sleep and absence per person (``GroundTruth.sleeps``,
``absences``) and declared motion nobody made (``noise``); ``household_truth`` derives the
household-level spans that benchmarks/accuracy_homes.py scores, ``household_areas`` their areas.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from .simulate_quirks import apply_quirks, phone_device, quirk_registry

PEOPLE: tuple[str, ...] = ("person.anna", "person.ben", "person.grandma")
USERS: dict[str, str] = {
    "u0a11a0000000000000000000000anna": "person.anna",
    "u0b22b000000000000000000000000ben": "person.ben",
    "u0c33c00000000000000000000grandma": "person.grandma",
}
_USER_OF = {person: uid for uid, person in USERS.items()}
HOLIDAYS: frozenset[tuple[int, int]] = frozenset(
    {(1, 1), (5, 1), (10, 3), (12, 24), (12, 25), (12, 26), (12, 31)}
)

GROUND, UPSTAIRS = "Ground Floor", "Upstairs"

# entity_id -> (area, floor, device_class, person, friendly name)
_CORE: dict[str, tuple[str | None, str | None, str | None, str | None, str]] = {
    "person.anna": (None, None, None, None, "Anna"),
    "person.ben": (None, None, None, None, "Ben"),
    "person.grandma": (None, None, None, None, "Grandma"),
    "device_tracker.anna_phone": (None, None, None, "person.anna", "Anna's phone"),
    "device_tracker.ben_phone": (None, None, None, "person.ben", "Ben's phone"),
    "device_tracker.grandma_phone": (None, None, None, "person.grandma", "Grandma's phone"),
    "binary_sensor.hallway_motion": ("Hallway", GROUND, "motion", None, "Hallway motion"),
    "binary_sensor.kitchen_motion": ("Kitchen", GROUND, "motion", None, "Kitchen motion"),
    "binary_sensor.living_room_motion": (
        "Living Room",
        GROUND,
        "motion",
        None,
        "Living room motion",
    ),
    "binary_sensor.office_motion": ("Office", GROUND, "motion", None, "Office motion"),
    "binary_sensor.bathroom_motion": ("Bathroom", UPSTAIRS, "motion", None, "Bathroom motion"),
    "binary_sensor.bedroom_motion": ("Bedroom", UPSTAIRS, "motion", None, "Bedroom motion"),
    "binary_sensor.grandma_room_motion": (
        "Grandma's Room",
        GROUND,
        "motion",
        None,
        "Grandma's room motion",
    ),
    "binary_sensor.front_door": ("Hallway", GROUND, "door", None, "Front door"),
    "binary_sensor.bed_left": ("Bedroom", UPSTAIRS, "occupancy", "person.anna", "Bed left side"),
    "binary_sensor.bed_right": ("Bedroom", UPSTAIRS, "occupancy", "person.ben", "Bed right side"),
    "binary_sensor.grandma_bed": (
        "Grandma's Room",
        GROUND,
        "occupancy",
        "person.grandma",
        "Grandma's bed",
    ),
    "binary_sensor.anna_phone_plugged": (
        "Bedroom",
        UPSTAIRS,
        "plug",
        "person.anna",
        "Anna's phone charging",
    ),
    "binary_sensor.ben_phone_plugged": (
        "Bedroom",
        UPSTAIRS,
        "plug",
        "person.ben",
        "Ben's phone charging",
    ),
    "light.hallway": ("Hallway", GROUND, None, None, "Hallway light"),
    "light.porch": ("Hallway", GROUND, None, None, "Porch light"),
    "light.kitchen": ("Kitchen", GROUND, None, None, "Kitchen light"),
    "light.living_room": ("Living Room", GROUND, None, None, "Living room light"),
    "light.office": ("Office", GROUND, None, None, "Office light"),
    "light.bathroom": ("Bathroom", UPSTAIRS, None, None, "Bathroom light"),
    "light.bedroom": ("Bedroom", UPSTAIRS, None, None, "Bedroom light"),
    "light.grandma_room": ("Grandma's Room", GROUND, None, None, "Grandma's lamp"),
    "fan.bathroom": ("Bathroom", UPSTAIRS, None, None, "Bathroom fan"),
    "switch.coffee_machine": ("Kitchen", GROUND, "outlet", None, "Coffee machine"),
    "switch.kettle": ("Kitchen", GROUND, "outlet", None, "Kettle"),
    "media_player.living_room_tv": ("Living Room", GROUND, "tv", None, "Living room TV"),
    "media_player.kitchen_radio": ("Kitchen", GROUND, "speaker", None, "Kitchen radio"),
    "media_player.grandma_tv": ("Grandma's Room", GROUND, "tv", None, "Grandma's TV"),
    "climate.living_room": ("Living Room", GROUND, None, None, "Living room thermostat"),
    "climate.grandma_room": ("Grandma's Room", GROUND, None, None, "Grandma's thermostat"),
    "automation.night_hallway_light": (None, None, None, None, "Night hallway light"),
    "automation.welcome_porch_light": (None, None, None, None, "Welcome porch light"),
    "automation.goodbye_lights_off": (None, None, None, None, "Lights off when everyone left"),
    "automation.morning_coffee": (None, None, None, None, "Morning coffee"),
}
_TRACKER = {
    "person.anna": "device_tracker.anna_phone",
    "person.ben": "device_tracker.ben_phone",
    "person.grandma": "device_tracker.grandma_phone",
}
_BED = {
    "person.anna": "binary_sensor.bed_left",
    "person.ben": "binary_sensor.bed_right",
    "person.grandma": "binary_sensor.grandma_bed",
}
_PLUG = {
    "person.anna": "binary_sensor.anna_phone_plugged",
    "person.ben": "binary_sensor.ben_phone_plugged",
}
_BEDROOM_LIGHT = {
    "person.anna": "light.bedroom",
    "person.ben": "light.bedroom",
    "person.grandma": "light.grandma_room",
}
_BATHROOM_MOTION = "binary_sensor.bathroom_motion"
_FILLER_AREAS = (
    "Guest Room",
    "Basement",
    "Garage",
    "Attic",
    "Laundry",
    "Garden",
    "Kids Room",
    "Study",
)

# Which rooms a person moves through while at home (motion), with weights.
_ROOMS: dict[str, tuple[tuple[str, float], ...]] = {
    "person.anna": (
        ("binary_sensor.kitchen_motion", 3),
        ("binary_sensor.living_room_motion", 4),
        ("binary_sensor.hallway_motion", 1),
        ("binary_sensor.bathroom_motion", 1),
        ("binary_sensor.bedroom_motion", 1),
    ),
    "person.ben": (
        ("binary_sensor.office_motion", 5),
        ("binary_sensor.kitchen_motion", 2),
        ("binary_sensor.living_room_motion", 2),
        ("binary_sensor.hallway_motion", 1),
        ("binary_sensor.bathroom_motion", 1),
    ),
    "person.grandma": (
        ("binary_sensor.grandma_room_motion", 5),
        ("binary_sensor.kitchen_motion", 2),
        ("binary_sensor.hallway_motion", 1),
        ("binary_sensor.living_room_motion", 1),
    ),
}


@dataclass(slots=True)
class GroundTruth:
    """What really happened in the simulated home (local ISO times)."""

    tz: str
    start: str
    days: int
    change_day: int | None
    daily: list[dict[str, Any]] = field(default_factory=list)
    routines: list[dict[str, Any]] = field(default_factory=list)
    habits: list[dict[str, Any]] = field(default_factory=list)
    sequences: list[dict[str, Any]] = field(default_factory=list)
    preferences: list[dict[str, Any]] = field(default_factory=list)
    change: dict[str, Any] | None = None
    # Home variants only (``household=``; absent from the default home's ``to_dict``): the
    # variant's description, every sleep per person (``kind`` main/day/nap), every absence per
    # person, and declared motion that no person made (``[iso, entity_id, "pir"|"pet"]``).
    household: dict[str, Any] | None = None
    sleeps: list[dict[str, Any]] = field(default_factory=list)
    absences: list[dict[str, Any]] = field(default_factory=list)
    noise: list[list[str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.household is not None:
            extra = {
                "household": self.household,
                "sleeps": self.sleeps,
                "absences": self.absences,
                "noise": self.noise,
            }
        return {
            "tz": self.tz,
            "start": self.start,
            "days": self.days,
            "change_day": self.change_day,
            "daily": self.daily,
            "routines": self.routines,
            "habits": self.habits,
            "sequences": self.sequences,
            "preferences": self.preferences,
            "change": self.change,
            **extra,
        }


def home_areas(n_entities: int = 0) -> dict[str, Any]:
    """The areas file for ``galatea replay --areas``: entities (area, floor, person) and users."""
    entities: dict[str, dict[str, Any]] = {}
    for entity_id, (area, floor, device_class, person, name) in _CORE.items():
        info: dict[str, Any] = {"name": name}
        if area:
            info["area"] = area
        if floor:
            info["floor"] = floor
        if device_class:
            info["device_class"] = device_class
        if person:
            info["person"] = person
        entities[entity_id] = info
    for entity_id, (area, device_class, _kind) in _filler_entities(n_entities).items():
        entities[entity_id] = {
            "area": area,
            "floor": UPSTAIRS if "Attic" in area else GROUND,
            "name": entity_id.split(".", 1)[1].replace("_", " "),
        }
        if device_class:
            entities[entity_id]["device_class"] = device_class
    return {"entities": entities, "users": dict(USERS)}


def _filler_entities(n_entities: int) -> dict[str, tuple[str, str | None, str]]:
    """Extra entities beyond the core home, up to ``n_entities`` in total (kinds cycle)."""
    out: dict[str, tuple[str, str | None, str]] = {}
    extra = max(0, n_entities - len(_CORE))
    kinds = ("temp", "temp", "contact", "light", "temp", "humidity", "plug", "contact")
    for i in range(extra):
        kind = kinds[i % len(kinds)]
        area = _FILLER_AREAS[(i // len(kinds)) % len(_FILLER_AREAS)]
        n = i // len(kinds) // len(_FILLER_AREAS) + 1
        slug = f"{area.lower().replace(' ', '_')}_{n}"
        if kind == "temp":
            out[f"sensor.{slug}_temperature_{i}"] = (area, "temperature", kind)
        elif kind == "humidity":
            out[f"sensor.{slug}_humidity_{i}"] = (area, "humidity", kind)
        elif kind == "contact":
            out[f"binary_sensor.{slug}_window_{i}"] = (area, "window", kind)
        elif kind == "light":
            out[f"light.{slug}_lamp_{i}"] = (area, None, kind)
        else:
            out[f"switch.{slug}_plug_{i}"] = (area, "outlet", kind)
    return out


# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Entity:
    state: str
    attrs: dict[str, Any]
    last_changed: str
    ctx: dict[str, Any] = field(default_factory=dict)
    unavailable_until: float = 0.0
    pending: str | None = None  # state reached while unavailable, shown when it comes back
    off_version: int = 0


class _Home:
    """Materialises planned actions into HA event dicts, in time order, with state tracking."""

    def __init__(
        self,
        tz: tzinfo,
        rng: random.Random,
        *,
        utc: bool,
        jitter_s: float,
        filler: dict[str, tuple[str, str | None, str]],
        registry: dict[str, tuple[str | None, str | None, str | None, str | None, str]]
        | None = None,
    ) -> None:
        # ``registry`` (home variants): the home's own entities instead of _CORE; only they
        # emit events, and the default home's automations are off.
        self.registry = registry
        self.tz = tz
        self.rng = rng
        self.utc = utc
        self.jitter_s = jitter_s
        self.heap: list[tuple[float, int, str, tuple[Any, ...]]] = []
        self.seq = 0
        self.ctx_seq = 0
        self.entities: dict[str, _Entity] = {}
        self.filler = filler
        self.out: list[dict[str, Any]] = []

    # -- scheduling -----------------------------------------------------------------------

    def push(self, t: float, op: str, *args: Any) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, op, args))

    def run_until(self, t_end: float) -> list[dict[str, Any]]:
        self.out = []
        while self.heap and self.heap[0][0] < t_end:
            t, _, op, args = heapq.heappop(self.heap)
            getattr(self, f"_op_{op}")(t, *args)
        return self.out

    # -- helpers --------------------------------------------------------------------------

    def _ts(self, t: float) -> str:
        if self.jitter_s:
            t += self.rng.gauss(0.0, self.jitter_s)
        return datetime.fromtimestamp(t, UTC if self.utc else self.tz).isoformat()

    def _ctx(self, parent: str | None = None, user: str | None = None) -> dict[str, Any]:
        self.ctx_seq += 1
        return {"id": f"01S{self.ctx_seq:023X}", "parent_id": parent, "user_id": user}

    def _initial_attrs(self, entity_id: str) -> tuple[str, dict[str, Any]]:
        domain = entity_id.split(".", 1)[0]
        core = (_CORE if self.registry is None else self.registry).get(entity_id)
        if core is not None:
            _, _, device_class, _, name = core
        else:
            _area, device_class, _ = self.filler[entity_id]
            name = entity_id.split(".", 1)[1].replace("_", " ").title()
        attrs: dict[str, Any] = {"friendly_name": name}
        state = "off"
        if domain == "binary_sensor" and device_class:
            attrs["device_class"] = device_class
        elif domain == "light":
            attrs.update(
                {
                    "supported_color_modes": ["color_temp"],
                    "min_color_temp_kelvin": 2000,
                    "max_color_temp_kelvin": 6500,
                    "color_mode": None,
                    "brightness": None,
                    "color_temp_kelvin": None,
                    "supported_features": 40,
                }
            )
        elif domain == "climate":
            state = "heat"
            attrs.update(
                {
                    "hvac_modes": ["off", "heat"],
                    "min_temp": 7,
                    "max_temp": 30,
                    "current_temperature": 20.0,
                    "temperature": 20.0,
                    "hvac_action": "idle",
                    "supported_features": 385,
                }
            )
        elif domain == "media_player":
            attrs.update(
                {
                    "device_class": device_class,
                    "source_list": ["TV", "Radio", "HDMI 1"],
                    "supported_features": 152463,
                }
            )
        elif domain == "person":
            attrs.update(
                {
                    "editable": True,
                    "id": entity_id.split(".", 1)[1],
                    "device_trackers": [_TRACKER[entity_id]],
                    "source": _TRACKER[entity_id],
                }
            )
            state = "home"
        elif domain == "device_tracker":
            attrs.update({"source_type": "gps", "gps_accuracy": 12})
            state = "home"
        elif domain == "sensor":
            attrs.update(
                {
                    "device_class": device_class,
                    "state_class": "measurement",
                    "unit_of_measurement": "°C" if device_class == "temperature" else "%",
                }
            )
            state = "20.0"
        elif domain == "switch" and device_class:
            attrs["device_class"] = device_class
        return state, attrs

    def _entity(self, entity_id: str, t: float) -> _Entity:
        ent = self.entities.get(entity_id)
        if ent is None:
            state, attrs = self._initial_attrs(entity_id)
            ent = _Entity(state, attrs, self._ts(t - 3600))
            self.entities[entity_id] = ent
        return ent

    def _emit_state(
        self,
        t: float,
        entity_id: str,
        state: str,
        attrs: dict[str, Any] | None,
        ctx: dict[str, Any],
    ) -> bool:
        if self.registry is not None and entity_id not in self.registry:
            return False
        ent = self._entity(entity_id, t)
        if t < ent.unavailable_until:
            ent.pending = state
            return False
        new_attrs = dict(ent.attrs)
        if attrs:
            new_attrs.update(attrs)
        if state == ent.state and new_attrs == ent.attrs:
            return False
        ts = self._ts(t)
        old = {
            "entity_id": entity_id,
            "state": ent.state,
            "attributes": ent.attrs,
            "last_changed": ent.last_changed,
            "last_reported": ent.last_changed,
            "last_updated": ent.last_changed,
            "context": ent.ctx or ctx,
        }
        last_changed = ts if state != ent.state else ent.last_changed
        new = {
            "entity_id": entity_id,
            "state": state,
            "attributes": new_attrs,
            "last_changed": last_changed,
            "last_reported": ts,
            "last_updated": ts,
            "context": ctx,
        }
        self.out.append(
            {
                "event_type": "state_changed",
                "data": {"entity_id": entity_id, "old_state": old, "new_state": new},
                "origin": "LOCAL",
                "time_fired": ts,
                "context": ctx,
            }
        )
        ent.state, ent.attrs, ent.last_changed, ent.ctx = state, new_attrs, last_changed, ctx
        return True

    def _local(self, t: float) -> datetime:
        return datetime.fromtimestamp(t, self.tz)

    def _automation(
        self, t: float, automation: str, trigger_ctx: dict[str, Any] | None, source: str
    ) -> dict[str, Any]:
        ctx = self._ctx(parent=trigger_ctx["id"] if trigger_ctx else None)
        self.out.append(
            {
                "event_type": "automation_triggered",
                "data": {"name": _CORE[automation][4], "entity_id": automation, "source": source},
                "origin": "LOCAL",
                "time_fired": self._ts(t),
                "context": ctx,
            }
        )
        return ctx

    def _call_service(
        self,
        t: float,
        domain: str,
        service: str,
        entity_id: str,
        data: dict[str, Any],
        ctx: dict[str, Any],
    ) -> None:
        self.out.append(
            {
                "event_type": "call_service",
                "data": {
                    "domain": domain,
                    "service": service,
                    "service_data": {"entity_id": [entity_id], **data},
                },
                "origin": "LOCAL",
                "time_fired": self._ts(t),
                "context": ctx,
            }
        )

    # -- operations -----------------------------------------------------------------------

    def _op_set(
        self, t: float, entity_id: str, state: str, attrs: dict[str, Any] | None, how: str
    ) -> None:
        """A person (``user:<person>`` in the app, ``phys`` at a switch) or the system acts."""
        domain = entity_id.split(".", 1)[0]
        if how.startswith("user:"):
            ctx = self._ctx(user=_USER_OF[how[5:]])
            service = {"climate": "set_temperature", "media_player": "media_play"}.get(
                domain, "turn_on" if state == "on" else "turn_off"
            )
            data = {}
            if domain == "climate" and attrs:
                data["temperature"] = attrs.get("temperature")
            elif domain == "light" and attrs and attrs.get("brightness"):
                data = {
                    "brightness": attrs["brightness"],
                    "color_temp_kelvin": attrs.get("color_temp_kelvin"),
                }
            self._call_service(t, domain, service, entity_id, data, ctx)
            t += 0.05
        elif how == "auto:coffee":
            ctx = self._automation(t, "automation.morning_coffee", None, "time")
            self._call_service(t + 0.001, "switch", "turn_on", entity_id, {}, ctx)
            t += 0.05
        else:
            ctx = self._ctx()
        if domain == "light":
            attrs = dict(attrs or {})
            if state == "on":
                attrs.setdefault("color_mode", "color_temp")
            else:
                attrs.update({"brightness": None, "color_temp_kelvin": None, "color_mode": None})
        changed = self._emit_state(t, entity_id, state, attrs, ctx)
        if changed and domain == "person" and self.registry is None:
            self._person_changed(t, entity_id, state, ctx)

    def _person_changed(self, t: float, person: str, state: str, ctx: dict[str, Any]) -> None:
        hour = self._local(t).hour
        if state == "home" and (hour >= 17 or hour < 7):
            actx = self._automation(
                t + 0.01, "automation.welcome_porch_light", ctx, f"state of {person}"
            )
            self._emit_state(
                t + 0.05,
                "light.porch",
                "on",
                {"brightness": 255, "color_temp_kelvin": 2700, "color_mode": "color_temp"},
                actx,
            )
            self.push(t + 600, "auto_off", "light.porch", "automation.welcome_porch_light")
        elif state != "home" and all(
            self._entity(p, t).state != "home" for p in PEOPLE if p in self.entities
        ):
            on = [
                e
                for e, ent in self.entities.items()
                if e.startswith("light.") and ent.state == "on"
            ]
            if on:
                actx = self._automation(
                    t + 0.01, "automation.goodbye_lights_off", ctx, f"state of {person}"
                )
                for i, light in enumerate(on):
                    self._emit_state(
                        t + 0.05 + i * 0.01,
                        light,
                        "off",
                        {"brightness": None, "color_temp_kelvin": None, "color_mode": None},
                        actx,
                    )

    def _op_auto_off(self, t: float, entity_id: str, automation: str) -> None:
        actx = self._automation(t, automation, None, "time pattern")
        self._emit_state(
            t + 0.05,
            entity_id,
            "off",
            {"brightness": None, "color_temp_kelvin": None, "color_mode": None}
            if entity_id.startswith("light.")
            else None,
            actx,
        )

    def _op_motion(self, t: float, entity_id: str) -> None:
        if self.registry is not None and entity_id not in self.registry:
            return  # a room without a motion sensor (home variants)
        ent = self._entity(entity_id, t)
        if t < ent.unavailable_until:
            return
        ent.off_version += 1
        self.push(t + self.rng.uniform(60, 150), "motion_off", entity_id, ent.off_version)
        if ent.state == "on":
            return
        ctx = self._ctx()
        self._emit_state(t, entity_id, "on", None, ctx)
        local = self._local(t)
        minute = local.hour * 60 + local.minute
        if (
            entity_id == "binary_sensor.hallway_motion"
            and self.registry is None
            and (minute >= 23 * 60 or minute < 5 * 60 + 30)
        ):
            hall = self._entity("light.hallway", t)
            if hall.state == "off":
                actx = self._automation(
                    t + 0.01, "automation.night_hallway_light", ctx, f"state of {entity_id}"
                )
                self._emit_state(
                    t + 0.06,
                    "light.hallway",
                    "on",
                    {"brightness": 38, "color_temp_kelvin": 2200, "color_mode": "color_temp"},
                    actx,
                )
                self.push(t + 120, "auto_off", "light.hallway", "automation.night_hallway_light")

    def _op_motion_off(self, t: float, entity_id: str, version: int) -> None:
        ent = self._entity(entity_id, t)
        if version == ent.off_version and ent.state == "on":
            self._emit_state(t, entity_id, "off", None, self._ctx())

    def _op_unavailable(self, t: float, entity_id: str, until: float) -> None:
        ent = self._entity(entity_id, t)
        previous = ent.state
        self._emit_state(t, entity_id, "unavailable", None, self._ctx())
        ent.unavailable_until = until
        ent.pending = "off" if previous == "unavailable" else previous
        self.push(until, "restore", entity_id)

    def _op_restore(self, t: float, entity_id: str) -> None:
        ent = self._entity(entity_id, t)
        self._emit_state(t, entity_id, ent.pending or "off", None, self._ctx())
        ent.pending = None

    def _op_value(self, t: float, entity_id: str, value: str) -> None:
        self._emit_state(t, entity_id, value, None, self._ctx())


# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Day:
    """One local day being planned; times are minutes after local midnight (may exceed 1440)."""

    d: date
    midnight: datetime
    home: _Home
    rng: random.Random
    # A person's background motion, held back until their outings are known (see _plan_person).
    pending_wander: list[tuple[str, float, float, float]] = field(default_factory=list)

    def t(self, minute: float) -> float:
        return (self.midnight + timedelta(minutes=minute)).timestamp()

    def iso(self, minute: float) -> str:
        return (self.midnight + timedelta(minutes=minute)).isoformat(timespec="seconds")

    def set(
        self,
        minute: float,
        entity_id: str,
        state: str,
        how: str = "phys",
        attrs: dict[str, Any] | None = None,
    ) -> None:
        self.home.push(self.t(minute), "set", entity_id, state, attrs, how)

    def motion(self, minute: float, entity_id: str) -> None:
        self.home.push(self.t(minute), "motion", entity_id)

    def wander(self, person: str, start: float, end: float, per_hour: float) -> None:
        """Background motion in ``person``'s rooms; planned once their day is known, so that it
        only runs while they are at home (``_plan_person`` clips it to the truth)."""
        self.pending_wander.append((person, start, end, per_hour))

    def _wander_now(self, person: str, start: float, end: float, per_hour: float) -> None:
        rooms, weights = zip(*_ROOMS[person], strict=True)
        minute = start + self.rng.expovariate(per_hour / 60)
        while minute < end:
            self.motion(minute, self.rng.choices(rooms, weights)[0])
            minute += self.rng.expovariate(per_hour / 60)


def _light(pct: int, kelvin: int) -> dict[str, Any]:
    return {
        "brightness": round(pct * 255 / 100),
        "color_temp_kelvin": kelvin,
        "color_mode": "color_temp",
    }


def _kitchen_light(minute: float) -> dict[str, Any]:
    """Anna's kitchen light preference: bright and cool in the morning, warm and dim at night."""
    return _light(100, 4000) if (minute % 1440) < 12 * 60 else _light(60, 2700)


def _hhmm(minute: float) -> str:
    m = round(minute) % 1440
    return f"{m // 60:02d}:{m % 60:02d}"


def simulate_home(
    days: int = 42,
    seed: int = 1,
    *,
    start: date | None = None,
    tz: str = "Europe/Berlin",
    people: tuple[str, ...] = PEOPLE,
    change_day: int | None = -1,
    n_entities: int = 0,
    utc: bool = False,
    jitter_s: float = 0.4,
    household: str | HomeSpec | None = None,
) -> tuple[list[dict[str, Any]], GroundTruth]:
    """Simulate ``days`` days; returns (HA event dicts in file order, ground truth).

    ``change_day`` is the day index from which Anna's new job starts (default two thirds in,
    ``None`` for no change). Use ``iter_home_events`` to stream long spans without a big list.
    ``household`` (a name in ``HOUSEHOLDS`` or a ``HomeSpec``) simulates a variant home
    instead (``people``, ``change_day`` and ``n_entities`` are then ignored; its areas file is
    ``household_areas(household)``, its household-level truth ``household_truth(truth)``).
    """
    truth_holder: list[GroundTruth] = []
    events = list(
        iter_home_events(
            days,
            seed,
            start=start,
            tz=tz,
            people=people,
            change_day=change_day,
            n_entities=n_entities,
            utc=utc,
            jitter_s=jitter_s,
            truth_out=truth_holder,
            household=household,
        )
    )
    return events, truth_holder[0]


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def iter_home_events(
    days: int = 42,
    seed: int = 1,
    *,
    start: date | None = None,
    tz: str = "Europe/Berlin",
    people: tuple[str, ...] = PEOPLE,
    change_day: int | None = -1,
    n_entities: int = 0,
    utc: bool = False,
    jitter_s: float = 0.4,
    truth_out: list[GroundTruth] | None = None,
    household: str | HomeSpec | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream the simulated HA events day by day; the ground truth is appended to ``truth_out``
    up front and filled in as days are generated (for a variant ``household``: up front)."""
    if household is not None:
        spec = _spec(household)
        stream = _iter_variant_events(
            days,
            seed,
            spec,
            start=start,
            tz=tz,
            utc=utc,
            jitter_s=jitter_s,
            truth_out=truth_out,
        )
        if spec.quirks:
            # Real sensors' behaviours rewrite the whole run (they span nights and days).
            rng = random.Random(seed * 7919 + 17)
            zone = UTC if utc else ZoneInfo(tz)
            events = list(stream)
            # Motion a quirk's device makes (a robot vacuum) is declared like the pet's.
            noise = truth_out[-1].noise if truth_out else None
            asleep: dict[str, list[tuple[float, float]]] = {}
            for x in truth_out[-1].sleeps if truth_out else ():
                span = (_stamp(x["start"]), _stamp(x["end"]))
                asleep.setdefault(x["person"], []).append(span)
            quirked = apply_quirks(
                events, _variant_registry(spec), spec.quirks, rng, zone, _USER_OF, noise, asleep
            )
            if noise is not None:
                noise.sort()
            yield from quirked
        else:
            yield from stream
        return
    zone = ZoneInfo(tz)
    rng = random.Random(seed)
    start = start or date(2026, 1, 5)
    if change_day == -1:
        change_day = (days * 2) // 3 if days >= 21 else None
    filler = _filler_entities(n_entities)
    home = _Home(zone, rng, utc=utc, jitter_s=jitter_s, filler=filler)
    truth = GroundTruth(tz=tz, start=start.isoformat(), days=days, change_day=change_day)
    _static_truth(truth, people, start, change_day)
    if truth_out is not None:
        truth_out.append(truth)
    vacation = range(35, 42) if days >= 56 else range(0)
    for i in range(days):
        d = start + timedelta(days=i)
        midnight = datetime(d.year, d.month, d.day, tzinfo=zone)
        day = _Day(d, midnight, home, rng)
        nxt = d + timedelta(days=1)
        for person in people:
            mode = "home"
            if person != "person.grandma" and vacation:
                if i == vacation.start:
                    mode = "depart"
                elif i == vacation.stop:
                    mode = "return"
                elif i in vacation:
                    mode = "away"
            rec = _plan_person(
                day,
                person,
                mode=mode,
                changed=change_day is not None and i >= change_day,
                next_workday=_workday(nxt) and (i + 1) not in vacation,
            )
            truth.daily.append(rec)
        _plan_house(day, i, people, vacation)
        _plan_filler(day, filler)
        end = datetime(nxt.year, nxt.month, nxt.day, 4, tzinfo=zone).timestamp()
        yield from home.run_until(end)
    yield from home.run_until(float("inf"))


def _workday(d: date) -> bool:
    return d.weekday() < 5 and (d.month, d.day) not in HOLIDAYS


def _n(rng: random.Random, sd: float) -> float:
    return rng.gauss(0.0, sd)


def _plan_person(
    day: _Day, person: str, *, mode: str, changed: bool, next_workday: bool
) -> dict[str, Any]:
    """Plan one person's day and return its ground-truth record.

    Their background motion (``_Day.wander``) is generated last and only for the times the
    record says they are at home (from 3 minutes before a departure to a minute after the
    return nothing of theirs moves), so "everyone out" in the truth means a quiet house apart
    from the cat, guests and automations.
    """
    day.pending_wander.clear()
    rec = _plan_person_day(day, person, mode=mode, changed=changed, next_workday=next_workday)
    calls = list(day.pending_wander)
    day.pending_wander.clear()

    def minute(iso: str) -> float:
        return (datetime.fromisoformat(iso) - day.midnight).total_seconds() / 60

    leaves = [minute(t) for t in rec["leave"]]
    arrives = [minute(t) for t in rec["arrive"]]
    if len(arrives) > len(leaves):  # back from a trip: out since the day began
        leaves.insert(0, -1e9)
    if len(leaves) > len(arrives):  # off on a trip: out until the day ends
        arrives.append(1e9)
    out = sorted(zip(leaves, arrives, strict=True))
    for who, start, end, per_hour in calls:
        cursor = start
        for a, b in out:
            if a - 3 > cursor:
                day._wander_now(who, cursor, min(end, a - 3), per_hour)
            cursor = max(cursor, b + 1)
        if cursor < end:
            day._wander_now(who, cursor, end, per_hour)
    return rec


def _plan_person_day(
    day: _Day, person: str, *, mode: str, changed: bool, next_workday: bool
) -> dict[str, Any]:
    """The day plan itself (``_plan_person`` adds the background motion).

    ``mode``: ``home`` (a normal day), ``depart`` (wakes at home, leaves for a trip), ``away``
    (not here), ``return`` (comes back in the afternoon, sleeps at home).
    """
    rng, wd = day.rng, day.d.weekday()
    workday = _workday(day.d) and mode == "home"
    rec: dict[str, Any] = {
        "date": day.d.isoformat(),
        "person": person,
        "workday": workday,
        "away": mode == "away",
        "wake": None,
        "bed": None,
        "leave": [],
        "arrive": [],
    }
    tracker = _TRACKER[person]
    if mode == "away":
        return rec
    if mode in ("depart", "return"):
        t = 600 + _n(rng, 20) if mode == "depart" else 960 + _n(rng, 30)
        if mode == "depart":
            wake = 480 + _n(rng, 15)
            _wake_and_bed(day, person, wake, None)
            day.wander(person, wake + 2, t - 3, 5.0)
            rec["wake"] = day.iso(wake)
        day.set(t - 1, "binary_sensor.front_door", "on")
        day.set(t - 0.6, "binary_sensor.front_door", "off")
        day.set(t, person, "home" if mode == "return" else "not_home")
        day.set(t + rng.uniform(0, 1.5), tracker, "home" if mode == "return" else "not_home")
        rec["arrive" if mode == "return" else "leave"].append(day.iso(t))
        if mode == "return":
            bed = 1380 + _n(rng, 10)
            day.wander(person, t + 1, bed - 6, 5.0)
            _wake_and_bed(day, person, None, bed)
            rec["bed"] = day.iso(bed)
        return rec
    outings: list[tuple[float, float]] = []
    if person == "person.anna":
        shift = -60.0 if changed else 0.0
        if workday:
            wake = 390 + shift + _n(rng, 8)
            day.set(wake + 20 + _n(rng, 3), "light.kitchen", "on", attrs=_kitchen_light(wake + 20))
            leave = wake + 60 + _n(rng, 4)
            day.set(leave - 2, "light.kitchen", "off")
            arrive = 1065 + shift + _n(rng, 12)
            outings.append((leave, arrive))
        else:
            wake = 510 + _n(rng, 20)
            on = wake + 25 + _n(rng, 5)
            day.set(on, "light.kitchen", "on", attrs=_kitchen_light(wake + 25))
            off = wake + 90 + _n(rng, 10)
            if wd == 5 and rng.random() < 0.5:
                out = 660 + _n(rng, 30)
                back = out + 120 + _n(rng, 30)
                outings.append((out, back))
                if out - 2 < off < back:  # she switches it off before leaving, not while out
                    off = max(on + 1, out - 2)
            day.set(off, "light.kitchen", "off")
        bed = (1365 if next_workday else 1420) + _n(rng, 10)
        if workday and rng.random() < 0.8:
            tv = 1230 + _n(rng, 12)
            day.set(
                tv,
                "media_player.living_room_tv",
                "playing",
                attrs={
                    "source": "HDMI 1",
                    "app_name": "Netflix",
                    "media_title": "Series",
                    "media_content_type": "tvshow",
                },
            )
            day.set(tv + 1 + rng.random() * 2, "light.living_room", "on", attrs=_light(30, 2200))
            day.set(min(bed - 20, tv + 100), "media_player.living_room_tv", "off")
            day.set(min(bed - 18, tv + 102), "light.living_room", "off")
        day.set(bed - 25, "light.kitchen", "off")
    elif person == "person.ben":
        wake = (450 if wd < 5 else 540) + _n(rng, 10)
        day.set(
            wake + 15 + _n(rng, 5),
            "climate.living_room",
            "heat",
            how="user:person.ben",
            attrs={"temperature": 21.5},
        )
        if wd < 5:
            day.set(
                510 + _n(rng, 8),
                "light.office",
                "on",
                how="user:person.ben",
                attrs=_light(80, 4000),
            )
            day.set(1050 + _n(rng, 15), "light.office", "off", how="user:person.ben")
            day.wander(person, 515, 1040, 4.0)
        if wd in (0, 2, 4):
            out = 1080 + _n(rng, 5)
            outings.append((out, 1170 + _n(rng, 10)))
        elif wd in (1, 3):
            out = 615 + _n(rng, 8)
            outings.append((out, 750 + _n(rng, 12)))
        elif wd == 6 and rng.random() < 0.4:
            out = 840 + _n(rng, 30)
            outings.append((out, out + 150))
        day.set(
            1430 + _n(rng, 8),
            "climate.living_room",
            "heat",
            how="user:person.ben",
            attrs={"temperature": 18.0},
        )
        bed = (1455 if next_workday else 1500) + _n(rng, 10)
    else:
        wake = 360 + _n(rng, 10)
        day.set(
            wake + 10 + _n(rng, 3),
            "climate.grandma_room",
            "heat",
            how="user:person.grandma",
            attrs={"temperature": 22.5},
        )
        day.set(wake + 1, "light.grandma_room", "on", attrs=_light(80, 3000))
        day.set(wake + 40, "light.grandma_room", "off")
        kettle = [420 + _n(rng, 8), 930 + _n(rng, 10)]
        for k in kettle:
            day.set(k, "switch.kettle", "on")
            day.set(k + 4, "switch.kettle", "off")
        radio = 435 + _n(rng, 6)
        day.set(
            radio,
            "media_player.kitchen_radio",
            "playing",
            attrs={
                "source": "Radio",
                "app_name": "Radio",
                "media_title": "Morning show",
                "media_content_type": "music",
            },
        )
        day.set(radio + 75, "media_player.kitchen_radio", "off")
        if wd in (1, 3, 5):
            out = 600 + _n(rng, 10)
            outings.append((out, 690 + _n(rng, 15)))
        tv = 1200 + _n(rng, 5)
        day.set(
            tv,
            "media_player.grandma_tv",
            "playing",
            attrs={
                "source": "TV",
                "app_name": "Live TV",
                "media_title": "Tagesschau",
                "media_content_type": "tvshow",
            },
        )
        day.set(tv + 75, "media_player.grandma_tv", "off")
        day.set(
            1280 + _n(rng, 5),
            "climate.grandma_room",
            "heat",
            how="user:person.grandma",
            attrs={"temperature": 19.0},
        )
        bed = 1290 + _n(rng, 8)
    if rng.random() < 0.05:
        bed += 90  # a late night
    _wake_and_bed(day, person, wake, bed)
    # Outings: door, person/tracker states, welcome-home sequence.
    awake_from = wake + 2
    for leave, arrive in outings:
        day.wander(person, awake_from, leave - 3, 5.0)
        day.motion(leave - 1.5, "binary_sensor.hallway_motion")
        day.set(leave - 1, "binary_sensor.front_door", "on")
        day.set(leave - 0.5, "binary_sensor.front_door", "off")
        day.set(leave, person, "not_home")
        day.set(leave + rng.uniform(0, 1.5), tracker, "not_home")
        day.set(arrive - 0.5, "binary_sensor.front_door", "on")
        day.set(arrive, person, "home")
        day.set(arrive + rng.uniform(0, 1.5), tracker, "home")
        day.set(arrive + 0.2, "binary_sensor.front_door", "off")
        day.motion(arrive + 0.3, "binary_sensor.hallway_motion")
        if person == "person.anna":
            day.set(arrive + 1 + rng.random(), "light.hallway", "on", attrs=_light(70, 3000))
            day.set(
                arrive + 3 + rng.random() * 3, "light.kitchen", "on", attrs=_kitchen_light(arrive)
            )
            day.set(arrive + 12, "light.hallway", "off")
        rec["leave"].append(day.iso(leave))
        rec["arrive"].append(day.iso(arrive))
        awake_from = arrive + 1
    day.wander(person, awake_from, bed - 6, 5.0)
    rec["wake"] = day.iso(wake)
    rec["bed"] = day.iso(bed)
    return rec


def _wake_and_bed(day: _Day, person: str, wake: float | None, bed: float | None) -> None:
    """Getting up and going to bed: bed sensor, phone charger, bedroom light, bathroom."""
    rng = day.rng
    bed_sensor = _BED[person]
    light = _BEDROOM_LIGHT[person]
    motion = (
        "binary_sensor.grandma_room_motion"
        if person == "person.grandma"
        else "binary_sensor.bedroom_motion"
    )
    if wake is not None:
        _get_up(day, person, wake, bed_sensor, motion)
    if bed is None:
        return
    day.motion(bed - 6, motion)
    day.set(bed - 5, light, "on", attrs=_light(40, 2200))
    if person in _PLUG:
        day.set(bed - 2, _PLUG[person], "on")
    day.set(bed - 0.5, light, "off")
    day.set(bed, bed_sensor, "on")
    # A night-time toilet trip (sleep continues), before anyone's earliest next wake-up.
    latest = 1440 + 320 - 40
    if rng.random() < 0.3 and latest - bed > 150:
        trip = bed + 90 + rng.random() * (latest - bed - 90)
        day.set(trip, bed_sensor, "off")
        day.motion(trip + 0.5, _BATHROOM_MOTION)
        day.set(trip + 1, "light.bathroom", "on", attrs=_light(20, 2200))
        day.set(trip + 4, "light.bathroom", "off")
        day.set(trip + 5, bed_sensor, "on")


def _get_up(day: _Day, person: str, wake: float, bed_sensor: str, motion: str) -> None:
    rng = day.rng
    day.set(wake, bed_sensor, "off")
    day.motion(wake + 0.5, motion)
    if person in _PLUG:
        day.set(wake + 1 + rng.random() * 3, _PLUG[person], "off")
    if person != "person.grandma":
        day.motion(wake + 3, _BATHROOM_MOTION)
        day.set(wake + 3.2, "light.bathroom", "on", attrs=_light(100, 4000))
        if person == "person.ben" or rng.random() < 0.7:
            day.set(wake + 4 + rng.random(), "fan.bathroom", "on")
            day.set(wake + 20, "fan.bathroom", "off")
        day.set(wake + 15, "light.bathroom", "off")


def _plan_house(day: _Day, i: int, people: tuple[str, ...], vacation: range) -> None:
    """House-wide: cat, guests, coffee automation, dropouts."""
    rng = day.rng
    # The cat: motion anywhere downstairs at any hour.
    minute = rng.expovariate(0.6 / 60)
    cat_rooms = (
        "binary_sensor.living_room_motion",
        "binary_sensor.kitchen_motion",
        "binary_sensor.hallway_motion",
    )
    while minute < 1440:
        day.motion(240 + minute, rng.choice(cat_rooms))
        minute += rng.expovariate(0.6 / 60)
    # Time-triggered coffee machine on workdays (an automation, not a habit).
    if _workday(day.d) and i not in vacation and "person.anna" in people:
        day.set(405, "switch.coffee_machine", "on", how="auto:coffee")
        day.home.push(day.t(450), "auto_off", "switch.coffee_machine", "automation.morning_coffee")
    # Guests on some Saturday evenings.
    if day.d.weekday() == 5 and rng.random() < 0.3:
        arrive = 1110 + _n(rng, 20)
        day.set(arrive, "binary_sensor.front_door", "on")
        day.set(arrive + 0.3, "binary_sensor.front_door", "off")
        day.set(arrive + 2, "light.living_room", "on", attrs=_light(90, 3000))
        minute = arrive
        while minute < arrive + 240:
            day.motion(
                minute,
                rng.choice(("binary_sensor.living_room_motion", "binary_sensor.kitchen_motion")),
            )
            minute += rng.expovariate(20 / 60)
        day.set(arrive + 242, "binary_sensor.front_door", "on")
        day.set(arrive + 242.3, "binary_sensor.front_door", "off")
        day.set(arrive + 245, "light.living_room", "off")
    # A sensor dropout now and then.
    if rng.random() < 0.08:
        victims = [
            *_BED.values(),
            "binary_sensor.kitchen_motion",
            "binary_sensor.bedroom_motion",
            "binary_sensor.office_motion",
            "binary_sensor.hallway_motion",
        ]
        start = 240 + rng.random() * 1200
        day.home.push(
            day.t(start),
            "unavailable",
            rng.choice(victims),
            day.t(start + 120 + rng.random() * 480),
        )


def _plan_filler(day: _Day, filler: dict[str, tuple[str, str | None, str]]) -> None:
    rng = day.rng
    for entity_id, (_area, _dc, kind) in filler.items():
        if kind in ("temp", "humidity"):
            base = 20.0 if kind == "temp" else 45.0
            minute = 240 + rng.random() * 60
            while minute < 1680:
                day.home.push(day.t(minute), "value", entity_id, f"{base + rng.gauss(0, 1.5):.1f}")
                minute += 45 + rng.random() * 60
        elif kind == "contact":
            for _ in range(rng.randint(0, 2)):
                m = 420 + rng.random() * 840
                day.set(m, entity_id, "on")
                day.set(m + 5 + rng.random() * 60, entity_id, "off")
        elif kind == "light":
            for _ in range(rng.randint(0, 2)):
                m = 360 + rng.random() * 1000
                day.set(m, entity_id, "on", attrs=_light(rng.choice((40, 70, 100)), 3000))
                day.set(m + 5 + rng.random() * 90, entity_id, "off")
        elif rng.random() < 0.5:
            m = 360 + rng.random() * 900
            day.set(m, entity_id, "on")
            day.set(m + 30 + rng.random() * 120, entity_id, "off")


def _static_truth(
    truth: GroundTruth, people: tuple[str, ...], start: date, change_day: int | None
) -> None:
    """Routines, habits, sequences and preferences the simulator bakes in."""
    change_date = (
        (start + timedelta(days=change_day)).isoformat() if change_day is not None else None
    )
    r = truth.routines
    if "person.anna" in people:
        old_to = change_date
        r += [
            {
                "person": "person.anna",
                "kind": "wake_up",
                "days": "weekdays",
                "time": "06:30",
                "valid_to": old_to,
            },
            {
                "person": "person.anna",
                "kind": "leave_home",
                "days": "weekdays",
                "time": "07:30",
                "valid_to": old_to,
            },
            {
                "person": "person.anna",
                "kind": "arrive_home",
                "days": "weekdays",
                "time": "17:45",
                "valid_to": old_to,
            },
            {"person": "person.anna", "kind": "wake_up", "days": "weekends", "time": "08:30"},
        ]
        if change_date:
            r += [
                {
                    "person": "person.anna",
                    "kind": "wake_up",
                    "days": "weekdays",
                    "time": "05:30",
                    "valid_from": change_date,
                },
                {
                    "person": "person.anna",
                    "kind": "leave_home",
                    "days": "weekdays",
                    "time": "06:30",
                    "valid_from": change_date,
                },
            ]
        truth.habits += [
            {
                "person": "person.anna",
                "entity_id": "light.kitchen",
                "state": "on",
                "days": "weekdays",
                "time": "06:50",
                "valid_to": change_date,
            },
        ]
        truth.sequences += [
            {
                "steps": ["person.anna:home", "light.hallway:on", "light.kitchen:on"],
                "window_min": 8,
                "automated": False,
            },
            {
                "steps": ["light.bathroom:on", "fan.bathroom:on"],
                "window_min": 3,
                "automated": False,
            },
            {
                "steps": ["media_player.living_room_tv:playing", "light.living_room:on"],
                "window_min": 4,
                "automated": False,
            },
            {
                "steps": ["binary_sensor.hallway_motion:on", "light.hallway:on"],
                "window_min": 1,
                "automated": True,
                "actor": "automation.night_hallway_light",
            },
        ]
        truth.preferences += [
            {
                "kind": "light_brightness",
                "subject": "light.kitchen",
                "value": 100,
                "when": "morning",
            },
            {
                "kind": "light_brightness",
                "subject": "light.kitchen",
                "value": 60,
                "when": "evening",
            },
            {
                "kind": "light_color_temp",
                "subject": "light.kitchen",
                "value": 4000,
                "when": "morning",
            },
            {
                "kind": "light_color_temp",
                "subject": "light.kitchen",
                "value": 2700,
                "when": "evening",
            },
            {
                "kind": "media",
                "subject": "media_player.living_room_tv",
                "value": "Netflix",
                "time": "20:30",
            },
        ]
        if change_date:
            truth.change = {
                "person": "person.anna",
                "kind": "wake_up",
                "days": "weekdays",
                "date": change_date,
                "old_time": "06:30",
                "new_time": "05:30",
            }
    if "person.ben" in people:
        r += [
            {"person": "person.ben", "kind": "wake_up", "days": "weekdays", "time": "07:30"},
            {"person": "person.ben", "kind": "go_to_bed", "days": [6, 0, 1, 2, 3], "time": "00:15"},
            {"person": "person.ben", "kind": "leave_home", "days": [0, 2, 4], "time": "18:00"},
            {"person": "person.ben", "kind": "arrive_home", "days": [0, 2, 4], "time": "19:30"},
            {"person": "person.ben", "kind": "leave_home", "days": [1, 3], "time": "10:15"},
            {"person": "person.ben", "kind": "arrive_home", "days": [1, 3], "time": "12:30"},
        ]
        truth.habits += [
            {
                "person": "person.ben",
                "entity_id": "light.office",
                "state": "on",
                "days": "weekdays",
                "time": "08:30",
            },
        ]
        truth.preferences += [
            {
                "kind": "climate_setpoint",
                "subject": "climate.living_room",
                "mode": "heat",
                "value": 21.5,
                "time": _hhmm(465),
            },
            {
                "kind": "climate_setpoint",
                "subject": "climate.living_room",
                "mode": "heat",
                "value": 18.0,
                "time": "23:50",
            },
        ]
    if "person.grandma" in people:
        r += [
            {"person": "person.grandma", "kind": "wake_up", "days": "daily", "time": "06:00"},
            {"person": "person.grandma", "kind": "go_to_bed", "days": "daily", "time": "21:30"},
            {"person": "person.grandma", "kind": "leave_home", "days": [1, 3, 5], "time": "10:00"},
            {"person": "person.grandma", "kind": "arrive_home", "days": [1, 3, 5], "time": "11:30"},
        ]
        truth.habits += [
            {
                "person": "person.grandma",
                "entity_id": "switch.kettle",
                "state": "on",
                "days": "daily",
                "time": "07:00",
            },
            {
                "person": "person.grandma",
                "entity_id": "switch.kettle",
                "state": "on",
                "days": "daily",
                "time": "15:30",
            },
            {
                "person": "person.grandma",
                "entity_id": "media_player.kitchen_radio",
                "state": "playing",
                "days": "daily",
                "time": "07:15",
            },
        ]
        truth.preferences += [
            {
                "kind": "climate_setpoint",
                "subject": "climate.grandma_room",
                "mode": "heat",
                "value": 22.5,
                "time": "06:10",
            },
            {
                "kind": "climate_setpoint",
                "subject": "climate.grandma_room",
                "mode": "heat",
                "value": 19.0,
                "time": "21:20",
            },
            {
                "kind": "media",
                "subject": "media_player.grandma_tv",
                "value": "Live TV",
                "time": "20:00",
            },
            {
                "kind": "media",
                "subject": "media_player.kitchen_radio",
                "value": "Radio",
                "time": "07:15",
            },
        ]


# ---------------------------------------------------------------------------------------------
# Home variants: homes unlike the default one (opt-in through ``household=``).


@dataclass(frozen=True, slots=True)
class Resident:
    """One person of a variant home and their rhythm (minutes after local midnight).

    ``role``: ``office`` (weekday office hours, weekend errands), ``homeworker`` (works from
    home, short outings), ``retired`` (home most of the day, shopping twice a week), or
    ``night_shift`` (works Monday-Friday nights 21:30-07:30 and sleeps 08:00-15:00 after each
    shift; sleeps at night on Saturday and Sunday nights). ``bed_work``/``bed_free``: bedtime
    before a working/free day (after midnight above 1440); ``wake_work``/``wake_free`` likewise.
    ``trips``: night-time toilet trips per night (low, high) taken with probability
    ``trip_p``; ``nap_p``: chance of an afternoon nap in bed (``nap_at``, ``nap_min`` long).
    ``per_hour``: background motion while awake at home; ``overnight_p``: chance per
    Monday-Thursday that an office worker goes on a business trip, back the next evening.
    ``turning``: times an hour the sleeper turns over in view of the bedroom's motion sensor
    (a pulse, now and then two in a few minutes), declared as ``sleeper`` motion.
    ``wakeful_p``: chance per night of a sleepless spell: up for 40-90 minutes in the small
    hours (02:00-04:00: the kitchen, the living room, lights on), then back to bed; the night is
    two sleeps in the truth.
    """

    person: str
    role: str = "office"
    wake_work: float = 405
    wake_free: float = 510
    bed_work: float = 1380
    bed_free: float = 1425
    sd: float = 12
    trips: tuple[int, int] = (1, 1)
    trip_p: float = 0.25
    nap_p: float = 0.0
    nap_at: float = 810
    nap_min: float = 50
    per_hour: float = 5.0
    overnight_p: float = 0.0
    turning: float = 0.0
    wakeful_p: float = 0.0


@dataclass(frozen=True, slots=True)
class HomeSpec:
    """A variant home: who lives there, which sensors it has, and what else moves.

    ``layout``: ``house`` (two floors: hallway, kitchen, living room, office downstairs;
    bedroom and bathroom upstairs) or ``flat`` (one floor, no office). ``sensors``: ``full``
    (motion per room, front door, lights, a bed mat per resident, person + phone tracker per
    resident unless ``trackers`` is false) or ``sparse`` (one motion sensor per floor that sees
    a room's motion with probability ``sparse_detect``, and the front door; nothing else).
    ``quirks``: sensor behaviours of real homes (see simulate_quirks.py).
    ``pir_noise_per_hour``: spurious triggers of each motion sensor at random (also while the
    home is empty or asleep); ``pet``: a cat moving about at any hour (also in the bedroom);
    ``vacations``: (first day index, length in days) when everybody is away. Noise and pet
    motion is declared in the truth (``GroundTruth.noise``). ``motion_rooms``: the rooms
    (``kitchen``, ``living_room``, ``hallway``, ``bathroom``, ``bedroom``, ``office``) that have
    a motion sensor (all by default); ``lights``: whether the lights are connected.
    """

    name: str
    residents: tuple[Resident, ...]
    layout: str = "house"
    sensors: str = "full"
    trackers: bool = True
    bed_sensors: bool = True
    pir_noise_per_hour: float = 0.0
    pet: bool = False
    vacations: tuple[tuple[int, int], ...] = ()
    sparse_detect: float = 0.7
    motion_rooms: tuple[str, ...] | None = None
    lights: bool = True
    # Sensor behaviours of real homes (simulate_quirks.QUIRKS): movement-only and second bed
    # mats, latched and stuck PIRs, inner doors in a "Hall", a flush with no device class, a
    # home with contacts only.
    quirks: tuple[str, ...] = ()
    description: str = ""


_OFFICE = Resident("person.anna")
# A couple with staggered bedtimes: she works office hours, he works from home and goes to bed
# later (the ``couple`` home and its variants).
_COUPLE = (
    Resident("person.anna", bed_work=1350, bed_free=1395),
    Resident(
        "person.ben",
        role="homeworker",
        wake_work=465,
        wake_free=540,
        bed_work=1455,
        bed_free=1500,
    ),
)
_GRANDMA = (
    Resident(
        "person.grandma",
        role="retired",
        wake_work=390,
        wake_free=400,
        bed_work=1290,
        bed_free=1290,
        sd=15,
        trips=(2, 3),
        trip_p=1.0,
        nap_p=0.7,
        per_hour=3.0,
    ),
)
HOUSEHOLDS: dict[str, HomeSpec] = {
    "single": HomeSpec(
        "single",
        (_OFFICE,),
        quirks=("tracker_jitter",),
        description="one office worker, two floors, a sensor in every room, bed mat, phone"
        " (its location drops out for a while on about one night in four)",
    ),
    "elderly": HomeSpec(
        "elderly",
        _GRANDMA,
        layout="flat",
        trackers=False,
        description="one elderly resident in a flat: bed ~21:30, up ~06:30, 2-3 toilet trips a"
        " night, afternoon nap in bed, out twice a week, no phone tracker",
    ),
    "elderly_noisy": HomeSpec(
        "elderly_noisy",
        _GRANDMA,
        layout="flat",
        trackers=False,
        pir_noise_per_hour=0.05,
        description="the elderly resident's flat with PIRs that trip by themselves about once"
        " in 20 hours each, between her toilet trips",
    ),
    "couple": HomeSpec(
        "couple",
        _COUPLE,
        quirks=("tracker_jitter",),
        description="a couple with staggered bedtimes: she goes to bed ~22:30 (23:15 before"
        " free days), he ~00:15 (01:00) and gets up an hour after her; a phone's location"
        " drops out for a while on about one night in four",
    ),
    "couple_dog": HomeSpec(
        "couple_dog",
        _COUPLE,
        quirks=("tracker_jitter", "dog"),
        description="the couple with their dog (see the single home's dog): it waits in the"
        " hallway and pads through the ground floor while both are out",
    ),
    "restless": HomeSpec(
        "restless",
        tuple(replace(r, turning=2.0) for r in _COUPLE),
        quirks=("tracker_jitter",),
        description="the couple with staggered bedtimes whose bedroom motion sensor sees the"
        " bed: each of them turns over in its view about twice an hour",
    ),
    "restless_elderly": HomeSpec(
        "restless_elderly",
        tuple(replace(r, turning=2.0) for r in _GRANDMA),
        layout="flat",
        trackers=False,
        description="the elderly resident (2-3 toilet trips a night, naps) whose bedroom"
        " motion sensor sees the bed: she turns over in its view about twice an hour",
    ),
    "night_shift": HomeSpec(
        "night_shift",
        (
            Resident(
                "person.ben",
                role="night_shift",
                wake_free=510,
                bed_free=1410,
                sd=15,
                nap_p=0.4,
                nap_at=1080,
                nap_min=60,
            ),
        ),
        description="a night-shift worker living alone: out Mon-Fri 21:30-07:30, asleep"
        " ~08:00-15:00 after each shift (main sleep, scored as sleep), nights at home on"
        " weekends, sometimes a nap before the shift",
    ),
    "noisy": HomeSpec(
        "noisy",
        (_OFFICE,),
        pir_noise_per_hour=0.25,
        description="the single home with motion sensors that trigger at random, 0.25/h each"
        " (also while the home is empty or asleep)",
    ),
    "sparse": HomeSpec(
        "sparse",
        (_OFFICE,),
        sensors="sparse",
        trackers=False,
        bed_sensors=False,
        description="the single home with one motion sensor per floor (sees 70% of the"
        " motion in its floor's rooms) and the front door, nothing else",
    ),
    "cat": HomeSpec(
        "cat",
        (_OFFICE,),
        pet=True,
        description="the single home with a cat moving about at any hour, bedroom included",
    ),
    "few_sensors": HomeSpec(
        "few_sensors",
        (Resident("person.anna", per_hour=4.0),),
        layout="flat",
        trackers=False,
        lights=False,
        motion_rooms=("kitchen", "living_room", "bathroom"),
        description="Ordonez-like: one resident in a flat with motion sensors only in the"
        " kitchen, living room and bathroom, a bed mat and the front door; no lights, no"
        " phone tracker",
    ),
    "few_noisy": HomeSpec(
        "few_noisy",
        (Resident("person.anna", per_hour=4.0),),
        layout="flat",
        trackers=False,
        lights=False,
        motion_rooms=("kitchen", "living_room", "bathroom"),
        pir_noise_per_hour=0.05,
        description="the few-sensor home whose PIRs trip by themselves about once in 20 hours"
        " each: too rarely to be told as noise on their own, often enough to look like a shy"
        " pet",
    ),
    "couple_travel": HomeSpec(
        "couple_travel",
        (
            Resident("person.anna", bed_work=1365, bed_free=1410),
            Resident(
                "person.ben",
                wake_work=420,
                wake_free=525,
                bed_work=1395,
                bed_free=1440,
                overnight_p=0.35,
            ),
        ),
        description="a working couple; he is away on business trips (one night, back the"
        " next evening) about one weekday in three: those nights only she sleeps at home",
    ),
    "vacation": HomeSpec(
        "vacation",
        (
            Resident("person.anna", bed_work=1365, bed_free=1410),
            Resident("person.ben", wake_work=420, wake_free=525, bed_work=1395, bed_free=1440),
        ),
        vacations=((8, 10), (27, 8)),
        description="a working couple (similar bedtimes) away on two long trips (10 and 8"
        " days, days 8 and 27)",
    ),
    "vacation_lights": HomeSpec(
        "vacation_lights",
        (
            Resident("person.anna", bed_work=1365, bed_free=1410),
            Resident("person.ben", wake_work=420, wake_free=525, bed_work=1395, bed_free=1440),
        ),
        vacations=((8, 10), (27, 8)),
        quirks=("presence_lights",),
        description="the vacation couple whose lights pretend someone is home while they are"
        " away for days: living room and bedroom lights switched in the evening with no user"
        " or automation behind them",
    ),
    "wakeful": HomeSpec(
        "wakeful",
        (replace(_GRANDMA[0], wakeful_p=0.3),),
        layout="flat",
        trackers=False,
        description="the elderly resident, up for 40-90 minutes in the small hours on about"
        " one night in three (tea in the kitchen, the living room), then back to bed",
    ),
    "real_sensors": HomeSpec(
        "real_sensors",
        (_OFFICE,),
        trackers=False,
        quirks=(
            "movement_mats",
            "two_mats",
            "latched_pir",
            "stuck_sensor",
            "hall_doors",
            "flush",
            "mat_dropouts",
            "restarts",
            "timers",
        ),
        description="the single home with real hardware: bed mats that report movement (a"
        " second, ownerless mat on the same bed), a bathroom PIR that latches on for hours, a"
        " kitchen PIR stuck on for 30 h, the front door and the bedroom door in an area named"
        " Hall, a toilet flush with no device class, mats that go unavailable twice for 3-4"
        " days, HA restarting at night about one night in four, a boiler and blinds on"
        " timers; no phone tracker",
    ),
    "couple_mats": HomeSpec(
        "couple_mats",
        _COUPLE,
        trackers=False,
        quirks=("movement_mats", "hall_doors", "flush", "timers"),
        description="the couple with staggered bedtimes, each with a bed mat that reports"
        " movement, the bedroom door in the Hall, a flush, a boiler and blinds on timers; no"
        " phone trackers",
    ),
    "phone_app": HomeSpec(
        "phone_app",
        (_OFFICE,),
        quirks=("phone_app",),
        description="the single home whose resident's phone runs the companion app: it says"
        " when it charges and when its screen is on, wherever it is (at work too)",
    ),
    "phone_nobed": HomeSpec(
        "phone_nobed",
        (_OFFICE,),
        bed_sensors=False,
        quirks=("phone_app",),
        description="the phone_app home without a bed sensor (most homes with HA's companion"
        " app): the phone charges by the bed overnight and its screen lights up now and then"
        " in the night, with nothing else in the home moving",
    ),
    "hall_noisy": HomeSpec(
        "hall_noisy",
        (_OFFICE,),
        trackers=False,
        bed_sensors=False,
        pir_noise_per_hour=0.25,
        quirks=("hall_doors",),
        description="the noisy home's motion sensors (0.25 false triggers an hour each) with"
        " the front door and the bedroom door in an area named Hall, no bed sensor, no phone"
        " tracker",
    ),
    "radar": HomeSpec(
        "radar",
        (_OFFICE,),
        trackers=False,
        quirks=("radar",),
        description="the single home with mmWave presence sensors in the living room and the"
        " bedroom (on while someone sits still or sleeps there); the living room's sees ghosts"
        " (a fan, a curtain) for up to three hours on about one day in three; no phone tracker",
    ),
    "geofence": HomeSpec(
        "geofence",
        (_OFFICE,),
        quirks=("geofence",),
        description="the single home with a cloud thermostat that geofences on its own: away"
        " preset a few minutes after the home empties, home preset shortly before someone is"
        " back",
    ),
    "vacuum": HomeSpec(
        "vacuum",
        (_OFFICE,),
        quirks=("vacuum",),
        description="the single home with a robot vacuum that an automation starts on"
        " weekdays soon after the resident leaves: for about an hour the ground floor's motion"
        " sensors see it in the empty home",
    ),
    "occupancy_pirs": HomeSpec(
        "occupancy_pirs",
        (_OFFICE,),
        quirks=("occupancy_pirs",),
        description="the single home whose motion sensors report the occupancy device class"
        " (Zigbee2MQTT's PIRs), like its bed mat",
    ),
    "long_hold": HomeSpec(
        "long_hold",
        (_OFFICE,),
        quirks=("long_hold",),
        description="the single home whose motion sensors hold on for at least four minutes"
        " after each trigger (Z-Wave multisensors' default)",
    ),
    "dog": HomeSpec(
        "dog",
        (_OFFICE,),
        quirks=("dog",),
        description="the single home with a dog that stays home: alone it pads through the"
        " ground floor about every two hours, waits in the hallway before its person comes"
        " home, and changes place at night; no pet-immune sensors",
    ),
    "tracker_lag": HomeSpec(
        "tracker_lag",
        (_OFFICE,),
        quirks=("tracker_lag",),
        description="the single home whose phone tells HA late that its person left (2-9"
        " minutes after the door) and up to 4 minutes early or 3 late that they came back",
    ),
    "couple_lag": HomeSpec(
        "couple_lag",
        _COUPLE,
        quirks=("tracker_jitter", "tracker_lag"),
        description="the couple with staggered bedtimes (see ``couple``) whose phones tell HA"
        " late that they left and a little early or late that they came back",
    ),
    "dense": HomeSpec(
        "dense",
        (_OFFICE,),
        quirks=("dense_pirs",),
        description="the single home with ceiling PIRs over each part of every room, as"
        " research homes fit them: two or three motion sensors a room, each seeing about"
        " two thirds of what the room's first one sees",
    ),
    "dense_dog": HomeSpec(
        "dense_dog",
        (_OFFICE,),
        quirks=("dense_pirs", "dog"),
        description="the dog's home (see ``dog``) with two or three motion sensors a room",
    ),
    "dense_couple": HomeSpec(
        "dense_couple",
        _COUPLE,
        quirks=("tracker_jitter", "dense_pirs"),
        description="the couple with staggered bedtimes (see ``couple``) with two or three"
        " motion sensors a room",
    ),
    "dense_cat": HomeSpec(
        "dense_cat",
        (_OFFICE,),
        pet=True,
        quirks=("dense_pirs",),
        description="the cat home (a cat at any hour, bedroom included) with two or three"
        " motion sensors a room: the cat trips some of a room's sensors together",
    ),
    "dense_noisy": HomeSpec(
        "dense_noisy",
        (_OFFICE,),
        trackers=False,
        bed_sensors=False,
        pir_noise_per_hour=0.05,
        quirks=("dense_pirs",),
        description="a research-style home: two or three motion sensors a room, each tripping"
        " by itself about once in 20 hours, doors, lights; no bed sensor, no phone tracker",
    ),
    "tv": HomeSpec(
        "tv",
        (_OFFICE,),
        quirks=("tv",),
        description="the single home with a living room TV watched most evenings and, about"
        " one night in four, left on until it switches itself off four hours later",
    ),
    "remote": HomeSpec(
        "remote",
        (_OFFICE,),
        quirks=("remote",),
        description="the single home whose resident switches the living room light on from"
        " the HA app on the way home, on about half of the absences",
    ),
    "garage": HomeSpec(
        "garage",
        (_OFFICE,),
        trackers=False,
        quirks=("garage",),
        description="the single home left and entered through the garage: a garage door"
        " opener (a cover) instead of a front door contact; no phone tracker",
    ),
    "outdoor": HomeSpec(
        "outdoor",
        (_OFFICE,),
        trackers=False,
        quirks=("outdoor",),
        description="the single home with a driveway camera's person detection and a garden"
        " motion sensor that see passers-by, cats and branches at any hour; no phone tracker",
    ),
    "contacts_only": HomeSpec(
        "contacts_only",
        (_OFFICE,),
        trackers=False,
        bed_sensors=False,
        lights=False,
        quirks=("contacts_only", "restarts"),
        description="the single home with contact sensors only: front door, bedroom and"
        " bathroom doors, fridge; HA restarts at night about one night in four",
    ),
    "contacts_hall": HomeSpec(
        "contacts_hall",
        (_OFFICE,),
        trackers=False,
        bed_sensors=False,
        lights=False,
        quirks=("contacts_only", "hall_doors", "flush"),
        description="the single home with contact sensors only, its bedroom door in an area"
        " named Hall with the front door (nothing else in the bedroom), the bathroom door"
        " and the fridge, and a toilet flush with no device class",
    ),
    "elderly_hall": HomeSpec(
        "elderly_hall",
        _GRANDMA,
        layout="flat",
        trackers=False,
        bed_sensors=False,
        lights=False,
        quirks=("contacts_only", "hall_doors", "hall_bathroom_door"),
        description="the elderly resident's flat with contact sensors only, every door (front,"
        " bedroom, bathroom) in an area named Hall, and the fridge",
    ),
    "contacts_hall_all": HomeSpec(
        "contacts_hall_all",
        (_OFFICE,),
        trackers=False,
        bed_sensors=False,
        lights=False,
        quirks=("contacts_only", "hall_doors", "hall_bathroom_door", "flush"),
        description="as contacts_hall, with the bathroom door in the Hall too: every door but"
        " the fridge's is in one area named as an entrance",
    ),
}

_FLOOR_MOTION = {
    GROUND: "binary_sensor.ground_floor_motion",
    UPSTAIRS: "binary_sensor.upstairs_motion",
}
_BEDS = ("binary_sensor.bed_left", "binary_sensor.bed_right")
_Reg = dict[str, tuple[str | None, str | None, str | None, str | None, str]]


def _spec(household: str | HomeSpec) -> HomeSpec:
    if isinstance(household, HomeSpec):
        return household
    try:
        return HOUSEHOLDS[household]
    except KeyError:
        raise ValueError(
            f"unknown household {household!r} (one of {', '.join(HOUSEHOLDS)})"
        ) from None


def _room_floor(spec: HomeSpec, entity_id: str) -> str:
    floor = _CORE[entity_id][1] or GROUND
    return GROUND if spec.layout == "flat" else floor


def _variant_registry(spec: HomeSpec) -> _Reg:
    """The variant home's entities as reported (its quirks applied): entity_id -> (area,
    floor, device_class, person, name)."""
    reg = _base_registry(spec)
    return quirk_registry(reg, spec.quirks) if spec.quirks else reg


def _base_registry(spec: HomeSpec) -> _Reg:
    """The variant home's well-behaved entities, which the simulation itself drives."""
    rooms = [
        "binary_sensor.hallway_motion",
        "binary_sensor.kitchen_motion",
        "binary_sensor.living_room_motion",
        "binary_sensor.bathroom_motion",
        "binary_sensor.bedroom_motion",
    ]
    if spec.layout == "house":
        rooms.append("binary_sensor.office_motion")
    if spec.motion_rooms is not None:
        rooms = [r for r in rooms if r.split(".")[1].removesuffix("_motion") in spec.motion_rooms]
    reg: _Reg = {}
    door = _CORE["binary_sensor.front_door"]
    reg["binary_sensor.front_door"] = (
        door[0],
        _room_floor(spec, "binary_sensor.hallway_motion"),
        *door[2:],
    )
    if spec.sensors == "sparse":
        floors = sorted({_room_floor(spec, e) for e in rooms})
        for floor in floors:
            where = "Hallway" if floor == GROUND else "Landing"
            reg[_FLOOR_MOTION[floor]] = (where, floor, "motion", None, f"{floor} motion")
        return reg
    for entity_id in rooms:
        area, _floor, dc, _p, name = _CORE[entity_id]
        reg[entity_id] = (area, _room_floor(spec, entity_id), dc, None, name)
    for light in (
        ("light.hallway", "light.kitchen", "light.living_room", "light.bathroom", "light.bedroom")
        if spec.lights
        else ()
    ):
        area, _floor, dc, _p, name = _CORE[light]
        reg[light] = (area, _room_floor(spec, light), dc, None, name)
    for i, res in enumerate(spec.residents):
        if spec.bed_sensors:
            area, _floor, dc, _p, _name = _CORE[_BEDS[i]]
            nick = _CORE[res.person][4]
            reg[_BEDS[i]] = (
                area,
                _room_floor(spec, _BEDS[i]),
                dc,
                res.person,
                f"{nick}'s side of the bed",
            )
        if spec.trackers:
            reg[res.person] = _CORE[res.person]
            reg[_TRACKER[res.person]] = _CORE[_TRACKER[res.person]]
    return reg


def household_areas(household: str | HomeSpec) -> dict[str, Any]:
    """The areas file of a variant home (like ``home_areas`` for the default one)."""
    spec = _spec(household)
    entities: dict[str, dict[str, Any]] = {}
    for entity_id, (area, floor, device_class, person, name) in _variant_registry(spec).items():
        info: dict[str, Any] = {"name": name}
        if area:
            info["area"] = area
        if floor:
            info["floor"] = floor
        if device_class:
            info["device_class"] = device_class
        if person:
            info["person"] = person
        if (phone := phone_device(entity_id)) is not None:
            info["device"] = phone
            info["platform"] = "mobile_app"
        entities[entity_id] = info
    users = {uid: p for uid, p in USERS.items() if any(r.person == p for r in spec.residents)}
    return {"entities": entities, "users": users}


@dataclass(slots=True)
class _Life:
    """One resident's plan over the whole run, in minutes after the first local midnight."""

    res: Resident
    sleeps: list[tuple[float, float, str]] = field(default_factory=list)  # start, end, kind
    outs: list[tuple[float, float]] = field(default_factory=list)

    def busy(self) -> list[tuple[float, float]]:
        return sorted([(a, b) for a, b, _ in self.sleeps] + self.outs)


def _free(start: float, end: float, busy: list[tuple[float, float]]) -> bool:
    return all(b <= start or a >= end for a, b in busy)


def _plan_life(
    res: Resident, rng: random.Random, start: date, days: int, vacation: list[tuple[float, float]]
) -> _Life:
    """Sleeps (main, day, nap) and outings of one resident, day by day."""
    life = _Life(res)
    bed: float | None = None  # bedtime of the sleep in progress (absolute minutes)
    for i in range(days + 1):
        d = start + timedelta(days=i)
        wd = d.weekday()
        base = i * 1440.0
        workday = _workday(d)
        tomorrow_work = _workday(d + timedelta(days=1))
        if res.role == "night_shift":
            # Came home from the previous night's shift (Tue-Sat mornings): day sleep.
            if 1 <= wd <= 5 and i > 0:
                arrive = life.outs[-1][1] if life.outs else base + 450
                end = base + (810 if wd == 5 else 900) + _n(rng, 20)
                life.sleeps.append((arrive + 20 + _n(rng, 5), end, "day"))
            elif bed is not None or i == 0:  # Sunday/Monday morning after a night at home
                wake = base + (570 if wd == 6 else res.wake_free) + _n(rng, 25)
                life.sleeps.append(
                    (base - 1 if bed is None else bed, wake, "main" if bed else "pre")
                )
            bed = None
            if wd <= 4:  # a shift tonight
                if rng.random() < res.nap_p:
                    nap = base + res.nap_at + _n(rng, 20)
                    life.sleeps.append((nap, nap + res.nap_min + _n(rng, 10), "nap"))
                life.outs.append((base + 1290 + _n(rng, 8), base + 1440 + 450 + _n(rng, 10)))
            else:
                bed = base + (1500 if wd == 5 else res.bed_free) + _n(rng, 20)
            continue
        work = workday and res.role in ("office", "homeworker")
        wake = base + (res.wake_work if work else res.wake_free) + _n(rng, res.sd)
        if bed is not None:
            life.sleeps.append((bed, wake, "main"))
        elif i == 0:  # asleep when the run starts: only the getting up is seen
            life.sleeps.append((base - 1, wake, "pre"))
        outs: list[tuple[float, float]] = []
        if res.role == "office":
            if workday:
                leave = wake + 55 + _n(rng, 5)
                if wd <= 3 and rng.random() < res.overnight_p:  # back tomorrow evening
                    outs.append((leave, base + 1440 + 1110 + _n(rng, 30)))
                else:
                    outs.append((leave, base + 1050 + _n(rng, 20)))
                if rng.random() < 0.15:
                    ev = base + 1170 + _n(rng, 15)
                    outs.append((ev, ev + 120 + _n(rng, 30)))
            elif wd == 5 and rng.random() < 0.7:
                out = base + 630 + _n(rng, 40)
                outs.append((out, out + 90 + _n(rng, 30)))
            elif wd == 6 and rng.random() < 0.4:
                out = base + 900 + _n(rng, 40)
                outs.append((out, out + 120 + _n(rng, 30)))
        elif res.role == "homeworker":
            if wd in (1, 3):
                out = base + 615 + _n(rng, 8)
                outs.append((out, out + 105 + _n(rng, 10)))
            elif wd in (0, 2):
                out = base + 1080 + _n(rng, 5)
                outs.append((out, out + 90 + _n(rng, 10)))
            elif wd == 5 and rng.random() < 0.5:
                out = base + 660 + _n(rng, 30)
                outs.append((out, out + 120 + _n(rng, 20)))
        else:  # retired
            if wd in (1, 4) and rng.random() < 0.85:
                out = base + 570 + _n(rng, 30)
                outs.append((out, out + 75 + _n(rng, 20)))
            elif wd == 6 and rng.random() < 0.3:
                out = base + 900 + _n(rng, 30)
                outs.append((out, out + 150 + _n(rng, 30)))
        if rng.random() < res.nap_p:
            nap = base + res.nap_at + _n(rng, 20)
            span = (nap - 5, nap + res.nap_min + 5)
            if _free(*span, outs):
                life.sleeps.append((nap, nap + res.nap_min + _n(rng, 10), "nap"))
        life.outs += outs
        bed = base + (res.bed_work if tomorrow_work else res.bed_free) + _n(rng, res.sd)
    if res.wakeful_p > 0:
        life.sleeps = [
            part for sleep in life.sleeps for part in _sleepless(sleep, res.wakeful_p, rng)
        ]
    # Vacations: out for the whole span; nothing of theirs happens in it.
    for a, b in vacation:
        life.sleeps = [s for s in life.sleeps if s[1] <= a - 30 or s[0] >= b + 30]
        life.outs = [o for o in life.outs if o[1] <= a - 30 or o[0] >= b + 30]
        life.outs.append((a, b))
    # Drop anything overlapping what came before it (a nap running into an outing, ...).
    kept: list[tuple[float, float, str]] = []
    busy: list[tuple[float, float]] = []
    items = sorted([(a, b, k) for a, b, k in life.sleeps] + [(a, b, "out") for a, b in life.outs])
    for a, b, k in items:
        lead = 18 if k in ("main", "day") else 4  # getting ready for bed comes first
        if not _free(a - lead, b + 4, busy) and k in ("main", "day"):
            # Back late from an evening out: to bed a little after coming home.
            a = max(a, max(y for _, y in busy) + 20 + rng.random() * 10)
        if b - a < 5 or not _free(a - lead, b + 4, busy):
            continue
        busy.append((a, b))
        kept.append((a, b, k))
    life.sleeps = [(a, b, k) for a, b, k in kept if k != "out"]
    life.outs = [(a, b) for a, b, k in kept if k == "out"]
    return life


def _sleepless(
    sleep: tuple[float, float, str], p: float, rng: random.Random
) -> list[tuple[float, float, str]]:
    """A main night, now and then with a sleepless spell in the small hours (see
    ``Resident.wakeful_p``): two sleeps around 40-90 minutes up."""
    a, b, kind = sleep
    if kind != "main" or rng.random() >= p:
        return [sleep]
    up = (b // 1440) * 1440 + rng.uniform(120, 240)  # 02:00-04:00 of the morning it ends
    back = up + rng.uniform(40, 90)
    if up - a < 120 or b - back < 120:
        return [sleep]
    return [(a, up, kind), (back, b, kind)]


def _turn_over(
    a: float,
    b: float,
    trips: list[float],
    per_hour: float,
    rng: random.Random,
    motion: Callable[[float, str, str | None], None],
) -> None:
    """A sleeper in bed from ``a`` to ``b`` turning over in view of the bedroom's motion
    sensor, ``per_hour`` times an hour (not while out of bed on a toilet trip)."""
    t = a + 5 + rng.expovariate(per_hour / 60)
    while t < b - 10:
        if all(not x - 3 <= t <= x + 8 for x in trips):
            motion(t, "binary_sensor.bedroom_motion", "sleeper")
            if rng.random() < 0.4:
                motion(t + rng.uniform(1, 5), "binary_sensor.bedroom_motion", "sleeper")
        t += rng.expovariate(per_hour / 60)


def _awake_home(life: _Life, t: float) -> bool:
    return all(not a <= t < b for a, b in life.busy())


def _iter_variant_events(
    days: int,
    seed: int,
    spec: HomeSpec,
    *,
    start: date | None,
    tz: str,
    utc: bool,
    jitter_s: float,
    truth_out: list[GroundTruth] | None,
) -> Iterator[dict[str, Any]]:
    """A variant home's events (all planned up front, then emitted in time order)."""
    zone = ZoneInfo(tz)
    rng = random.Random(seed)
    start = start or date(2026, 1, 5)
    reg = _base_registry(spec)
    home = _Home(zone, rng, utc=utc, jitter_s=jitter_s, filler={}, registry=reg)
    info = asdict(spec)
    info["residents"] = [r.person for r in spec.residents]
    info["profiles"] = [asdict(r) for r in spec.residents]
    truth = GroundTruth(tz=tz, start=start.isoformat(), days=days, change_day=None, household=info)
    if truth_out is not None:
        truth_out.append(truth)
    midnight = datetime(start.year, start.month, start.day, tzinfo=zone)
    day = _Day(start, midnight, home, rng)
    horizon = days * 1440.0 + 720  # the last night's wake-up is in
    vacation = [
        (i * 1440 + 600 + _n(rng, 20), (i + n) * 1440 + 960 + _n(rng, 30))
        for i, n in spec.vacations
        if i + n < days
    ]
    lives = [_plan_life(r, rng, start, days, vacation) for r in spec.residents]
    sparse = spec.sensors == "sparse"

    def motion(minute: float, entity_id: str, noise: str | None = None) -> None:
        if not 0 <= minute < horizon:
            return
        if sparse and entity_id not in reg:
            if rng.random() >= spec.sparse_detect:
                return
            entity_id = _FLOOR_MOTION[_room_floor(spec, entity_id)]
        if noise:
            truth.noise.append([day.iso(minute), entity_id, noise])
        day.motion(minute, entity_id)

    def put(minute: float, entity_id: str, state: str, attrs: dict[str, Any] | None = None) -> None:
        if 0 <= minute < horizon:
            day.set(minute, entity_id, state, attrs=attrs)

    rooms: list[tuple[str, float]] = [
        ("binary_sensor.kitchen_motion", 3),
        ("binary_sensor.living_room_motion", 4),
        ("binary_sensor.hallway_motion", 1),
        ("binary_sensor.bathroom_motion", 1),
        ("binary_sensor.bedroom_motion", 0.5),
    ]
    settle_rng = random.Random(seed * 104729 + 31)
    turn_rng = random.Random(seed * 15485863 + 7)  # its own stream: other homes do not move
    for idx, life in enumerate(lives):
        res = life.res
        person, bed_sensor = res.person, _BEDS[idx]
        tracker = _TRACKER[person]
        own_rooms = list(rooms)
        if spec.layout == "house":
            own_rooms.append(("binary_sensor.office_motion", 5 if res.role == "homeworker" else 1))
        names, weights = zip(*own_rooms, strict=True)
        busy = life.busy()
        for a, b, kind in life.sleeps:
            trips: list[str] = []
            if kind == "pre":  # asleep when the run starts (unscored: its start is unknown)
                truth.sleeps.append(
                    {
                        "person": person,
                        "start": day.iso(0),
                        "end": day.iso(b),
                        "kind": kind,
                        "trips": trips,
                    }
                )
            else:
                if kind != "nap":
                    # Bathroom, then bed: ``settle`` min from leaving the bathroom to lying in
                    # bed, drawn like the labelled real homes' gap between the last activity
                    # outside the bedroom and going to bed (median 3.4 min in Ordonez A, 0.7 in
                    # Kasteren C; p90 9 min). Its own random stream: the rest of the home's
                    # life does not move with it.
                    settle = min(12.0, max(1.0, settle_rng.lognormvariate(math.log(3.0), 0.6)))
                    motion(a - settle - 4, _BATHROOM_MOTION)
                    put(a - settle - 3.5, "light.bathroom", "on", _light(100, 4000))
                    put(a - settle, "light.bathroom", "off")
                    put(a - settle + 0.3, "light.bedroom", "on", _light(40, 2200))
                    put(a - 0.5, "light.bedroom", "off")
                    motion(a - settle + 0.5, "binary_sensor.bedroom_motion")
                else:
                    motion(a - 6, "binary_sensor.bedroom_motion")
                put(a, bed_sensor, "on")
                lo, hi = res.trips
                times: list[float] = []
                if kind != "nap" and b - a > 180 and rng.random() < res.trip_p:
                    for _ in range(rng.randint(lo, hi)):
                        t = a + 60 + rng.random() * (b - a - 100)
                        if all(abs(t - x) > 30 for x in times):
                            times.append(t)
                    for t in sorted(times):
                        put(t, bed_sensor, "off")
                        motion(t + 0.3, "binary_sensor.bedroom_motion")
                        motion(t + 1, _BATHROOM_MOTION)
                        put(t + 1.1, "light.bathroom", "on", _light(20, 2200))
                        put(t + 4, "light.bathroom", "off")
                        motion(t + 5, "binary_sensor.bedroom_motion")
                        put(t + 5.5, bed_sensor, "on")
                        trips.append(day.iso(t))
                if res.turning > 0:
                    _turn_over(a, b, times, res.turning, turn_rng, motion)
                if a >= 0 and b <= horizon:
                    truth.sleeps.append(
                        {
                            "person": person,
                            "start": day.iso(a),
                            "end": day.iso(b),
                            "kind": kind,
                            "trips": trips,
                        }
                    )
            put(b, bed_sensor, "off")
            motion(b + 0.5, "binary_sensor.bedroom_motion")
            motion(b + 3, _BATHROOM_MOTION)
            put(b + 3.2, "light.bathroom", "on", _light(100, 4000))
            put(b + 15, "light.bathroom", "off")
            if kind != "nap" and (b % 1440) < 720:
                nxt = min((x for x, _ in busy if x > b), default=b + 999)
                if nxt - b > 30:
                    motion(b + 19.5, "binary_sensor.kitchen_motion")
                    put(b + 20, "light.kitchen", "on", _kitchen_light(b + 20))
                    put(min(b + 45, nxt - 3), "light.kitchen", "off")
        for a, b in life.outs:
            motion(a - 1.5, "binary_sensor.hallway_motion")
            put(a - 1, "binary_sensor.front_door", "on")
            put(a - 0.5, "binary_sensor.front_door", "off")
            put(a, person, "not_home")
            put(a + rng.uniform(0, 1.5), tracker, "not_home")
            put(b - 0.5, "binary_sensor.front_door", "on")
            put(b, person, "home")
            put(b + rng.uniform(0, 1.5), tracker, "home")
            put(b + 0.2, "binary_sensor.front_door", "off")
            motion(b + 0.3, "binary_sensor.hallway_motion")
            # Home again: coat off, kitchen, living room (unless straight to bed after a shift).
            nxt = min((x for x, _ in busy if x > b), default=b + 999)
            for minute in (b + 2 + rng.random() * 3, b + 6 + rng.random() * 4):
                if minute < nxt - 7:
                    motion(minute, rng.choice(names[:2]))
            if a >= 0 and b <= horizon:
                truth.absences.append({"person": person, "start": day.iso(a), "end": day.iso(b)})
        # Background motion while awake at home; the living-room light in the evening.
        for (_, end), (nxt, _) in zip(busy, [*busy[1:], (horizon, horizon)], strict=True):
            # Someone awake moves within the hour: gaps are exponential but capped at 45-75 min.
            minute = end + 2 + rng.expovariate(res.per_hour / 60)
            while minute < nxt - 7:
                motion(minute, rng.choices(names, weights)[0])
                minute += min(rng.expovariate(res.per_hour / 60), 45 + rng.random() * 30)
            evening = (end // 1440) * 1440 + 1110 + _n(rng, 15)
            if end + 5 < evening < nxt - 30:
                put(evening, "light.living_room", "on", _light(60, 2700))
            if nxt - end > 30 and not any(
                _awake_home(other, nxt - 8) for other in lives if other is not life
            ):
                put(nxt - 8, "light.living_room", "off")
    # Declared motion nobody made: noisy sensors, the cat.
    if spec.pir_noise_per_hour > 0:
        for entity_id, (_a, _f, dc, _p, _n2) in reg.items():
            if dc != "motion":
                continue
            minute = rng.expovariate(spec.pir_noise_per_hour / 60)
            while minute < horizon:
                motion(minute, entity_id, "pir")
                minute += rng.expovariate(spec.pir_noise_per_hour / 60)
    if spec.pet:
        cat_rooms = [
            "binary_sensor.living_room_motion",
            "binary_sensor.kitchen_motion",
            "binary_sensor.hallway_motion",
            "binary_sensor.bedroom_motion",
        ]
        minute = rng.expovariate(0.8 / 60)
        while minute < horizon:
            motion(minute, rng.choices(cat_rooms, [3.0, 2.0, 2.0, 1.0])[0], "pet")
            minute += rng.expovariate(0.8 / 60)
    truth.noise.sort()
    truth.sleeps.sort(key=lambda r: (r["start"], r["person"]))
    truth.absences.sort(key=lambda r: (r["start"], r["person"]))
    _variant_daily(truth, lives, day, days)
    yield from home.run_until(day.t(horizon))
    yield from home.run_until(float("inf"))


def _variant_daily(truth: GroundTruth, lives: list[_Life], day: _Day, days: int) -> None:
    """``GroundTruth.daily`` records (like the default home's) from the planned lives."""
    for i in range(days):
        d = day.d + timedelta(days=i)
        lo, hi = i * 1440.0, (i + 1) * 1440.0
        for life in lives:
            wake = [b for a, b, k in life.sleeps if k == "main" and lo <= b < hi]
            bed = [a for a, b, k in life.sleeps if k == "main" and lo + 720 <= a < hi + 720]
            truth.daily.append(
                {
                    "date": d.isoformat(),
                    "person": life.res.person,
                    "workday": _workday(d),
                    "away": any(a <= lo and b >= hi for a, b in life.outs),
                    "wake": day.iso(wake[0]) if wake else None,
                    "bed": day.iso(bed[0]) if bed else None,
                    "leave": [day.iso(a) for a, _ in life.outs if lo <= a < hi],
                    "arrive": [day.iso(b) for _, b in life.outs if lo <= b < hi],
                }
            )


Span = tuple[datetime, datetime]


def household_truth(truth: GroundTruth) -> dict[str, list[Span]]:
    """A variant home's household-level truth, as scored by benchmarks/accuracy_homes.py.

    ``sleep``: times when every resident is asleep (main night sleep, or a night-shift
    worker's day sleep after a shift) or out, and at least one is asleep, at least 60 min
    long: for a couple, from the later bedtime to the earlier getting up (the definition of
    benchmarks/accuracy_sim.py; toilet trips do not interrupt sleep). ``nap``: any resident's
    afternoon or pre-shift nap, or the sleep the run starts in (its bedtime is before the first
    event): neither required nor wrong if found. ``away``: every resident out, at least 10 min.
    """
    people = (truth.household or {}).get("residents") or sorted({r["person"] for r in truth.daily})
    spans: dict[str, list[tuple[datetime, datetime, str]]] = {p: [] for p in people}
    for r in truth.sleeps:
        spans[r["person"]].append(
            (datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"]), r["kind"])
        )
    for r in truth.absences:
        spans[r["person"]].append(
            (datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"]), "out")
        )
    cuts = sorted({t for v in spans.values() for a, b, _ in v for t in (a, b)})

    def status(p: str, t: datetime) -> str:
        for a, b, kind in spans[p]:
            if a <= t < b:
                return "out" if kind == "out" else ("nap" if kind in ("nap", "pre") else "sleep")
        return "awake"

    out: dict[str, list[Span]] = {"sleep": [], "nap": [], "away": []}
    runs: dict[str, datetime | None] = dict.fromkeys(out)
    for a, b in pairwise(cuts):
        mid = a + (b - a) / 2
        st = [status(p, mid) for p in people]
        now = {
            "sleep": "awake" not in st and "nap" not in st and "sleep" in st,
            "nap": "nap" in st,
            "away": all(s == "out" for s in st),
        }
        for key, on in now.items():
            if on and runs[key] is None:
                runs[key] = a
            elif not on and runs[key] is not None:
                out[key].append((runs[key], a))  # type: ignore[arg-type]
                runs[key] = None
    for key, since in runs.items():
        if since is not None:
            out[key].append((since, cuts[-1]))
    out["sleep"] = [s for s in out["sleep"] if s[1] - s[0] >= timedelta(minutes=60)]
    out["away"] = [s for s in out["away"] if s[1] - s[0] >= timedelta(minutes=10)]
    return out
