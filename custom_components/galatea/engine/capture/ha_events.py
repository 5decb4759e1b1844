"""Turn HA bus events (``Event.as_dict()`` shape) into ActivityEvents.

The integration feeds live events here (as dicts) and ``galatea replay`` feeds recorded ones, so
both see the same filtering, areas and actors. Meaning comes from what HA says about an entity
(domain, device_class, area, context chain), never from how an entity id is spelt.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Final, Protocol

from ..models import ActivityEvent, ValidationError, parse_ts
from ..rooms import room_in_name

DEFAULT_DOMAINS: frozenset[str] = frozenset({
    "person", "device_tracker", "binary_sensor", "light", "switch", "fan", "cover", "lock",
    "climate", "media_player", "input_boolean", "scene", "script", "sensor", "vacuum",
})
DEFAULT_BINARY_DEVICE_CLASSES: frozenset[str] = frozenset({
    "motion", "occupancy", "presence", "door", "window", "opening", "garage_door", "lock",
    "moving", "sound", "vibration", "plug", "power", "running",
})
# Non-numeric sensors that say what a person is doing (companion app, PC agents).
DEFAULT_SENSOR_DEVICE_CLASSES: frozenset[str] = frozenset({"timestamp", "enum"})
UNAVAILABLE_STATES: frozenset[str] = frozenset({"unavailable", "unknown"})
# ``dict`` first: HA's state attributes and event data are dicts, and an ABC check per field
# costs more than the rest of the normalisation on the event loop.
_MAPPING = (dict, Mapping)
_EMPTY: Mapping[str, Any] = MappingProxyType({})
# Integrations whose sensors report what a person does on a phone or PC (companion apps, PC
# agents): their binary sensors (interactive, idle, ...) and percentage sensors (sleep
# confidence) are digital activity even without a device class.
DEFAULT_DIGITAL_PLATFORMS: frozenset[str] = frozenset({
    "mobile_app", "hass_agent", "system_bridge", "iotlink", "lnxlink",
})

# Galatea's own integration domain: its actions (the card's polling, Assist, automations calling
# ``galatea.*``) and its entities are never activity; recording them would feed back into what
# they show.
OWN_DOMAIN: Final = "galatea"
# Service domains that are HA's or Galatea's bookkeeping, not something a person does in the
# home: logging (``system_log.write``, ``logger.set_level``), the recorder, the frontend's
# theme/panel calls, notifications.
IGNORED_SERVICE_DOMAINS: frozenset[str] = frozenset({
    OWN_DOMAIN, "system_log", "logger", "recorder", "frontend", "persistent_notification",
})

# Attributes whose change alone is worth an activity, and the ones copied into ``data``.
TRACKED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "climate": ("temperature", "target_temp_low", "target_temp_high", "preset_mode", "fan_mode"),
    "light": ("brightness", "color_temp_kelvin"),
    "media_player": ("media_title", "source", "app_name"),
    "fan": ("percentage", "preset_mode"),
    "cover": ("current_position",),
}
COPIED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "climate": (*TRACKED_ATTRIBUTES["climate"], "current_temperature", "hvac_action"),
    "light": (*TRACKED_ATTRIBUTES["light"], "color_mode", "effect"),
    "media_player": (*TRACKED_ATTRIBUTES["media_player"], "media_content_type", "media_artist",
                     "media_series_title"),
    "fan": TRACKED_ATTRIBUTES["fan"],
    "cover": TRACKED_ATTRIBUTES["cover"],
    "person": ("source",),
    "device_tracker": ("source_type",),
}


@dataclass(frozen=True, slots=True)
class EntityInfo:
    """What HA's registries say about an entity at capture time."""

    area: str | None = None
    floor: str | None = None
    device: str | None = None
    device_class: str | None = None
    name: str | None = None
    person: str | None = None  # person entity this tracker/sensor belongs to
    platform: str | None = None  # integration that provides the entity (mobile_app, ...)


class Registry(Protocol):
    """Lookups HA's registries answer (or an areas file, in replay)."""

    def entity(self, entity_id: str) -> EntityInfo | None: ...

    def person_for_user(self, user_id: str) -> str | None: ...


class StaticRegistry:
    """A registry from plain mappings: the replay ``--areas`` file or tests."""

    def __init__(
        self,
        entities: Mapping[str, EntityInfo] | None = None,
        users: Mapping[str, str] | None = None,
    ) -> None:
        self._entities = dict(entities or {})
        self._users = dict(users or {})

    @classmethod
    def from_areas_file(cls, raw: Mapping[str, Any]) -> StaticRegistry:
        """Accept ``{entity_id: "Kitchen"}`` or ``{entity_id: {area, floor, device, ...}}``,
        optionally under an ``entities`` key beside ``users`` ({user_id: person.x})."""
        entities_raw = raw.get("entities", raw) if isinstance(raw.get("entities"), Mapping) else raw
        entities: dict[str, EntityInfo] = {}
        for entity_id, value in entities_raw.items():
            if entity_id == "users":
                continue
            if isinstance(value, str):
                entities[entity_id] = EntityInfo(area=value)
            elif isinstance(value, Mapping):
                entities[entity_id] = EntityInfo(
                    area=value.get("area"), floor=value.get("floor"), device=value.get("device"),
                    device_class=value.get("device_class"), name=value.get("name"),
                    person=value.get("person"), platform=value.get("platform"),
                )
        users = raw.get("users") if isinstance(raw.get("users"), Mapping) else {}
        return cls(entities, users)

    def entity(self, entity_id: str) -> EntityInfo | None:
        return self._entities.get(entity_id)

    def person_for_user(self, user_id: str) -> str | None:
        return self._users.get(user_id)


@dataclass(slots=True)
class CaptureFilter:
    """Which entities become activity. Defaults skip noisy numeric sensors."""

    domains: frozenset[str] = DEFAULT_DOMAINS
    binary_device_classes: frozenset[str] = DEFAULT_BINARY_DEVICE_CLASSES
    sensor_device_classes: frozenset[str] = DEFAULT_SENSOR_DEVICE_CLASSES
    include_entities: frozenset[str] = frozenset()
    exclude_entities: frozenset[str] = frozenset()
    include_numeric_sensors: bool = False
    digital_platforms: frozenset[str] = DEFAULT_DIGITAL_PLATFORMS

    def wants(
        self, entity_id: str, domain: str, device_class: str | None, state: Any,
        platform: str | None = None, unit: str | None = None,
    ) -> bool:
        if entity_id in self.exclude_entities:
            return False
        if entity_id in self.include_entities:
            return True
        if domain not in self.domains:
            return False
        if platform in self.digital_platforms and device_class is None:
            if domain == "binary_sensor":
                return True
            if domain == "sensor" and unit == "%":
                return True
        if domain == "binary_sensor":
            return device_class in self.binary_device_classes
        if domain == "sensor":
            if device_class in self.sensor_device_classes:
                return True
            if _is_number(state):
                return self.include_numeric_sensors
            # Text sensors without a device class (companion app "last used app", PC
            # "active window") are digital activity; numeric ones are noise unless asked for.
            return device_class is None
        return True


def _is_number(value: Any) -> bool:
    if not isinstance(value, str):
        return isinstance(value, int | float)
    try:
        float(value)
    except ValueError:
        return False
    return True


_NO_INFO: Final = EntityInfo()

# What ``HAEventNormalizer.state_fields`` finds: (registry info, device_class, actor,
# actor_kind, state, old_state, data, summary).
StateFields = tuple[
    EntityInfo, str | None, str | None, str | None, str | None, str | None, dict[str, Any], str
]


@dataclass(slots=True)
class _ContextActor:
    actor: str | None
    actor_kind: str


@dataclass
class HAEventNormalizer:
    """Stateful: remembers recent contexts so automation/script chains resolve to their actor."""

    registry: Registry = field(default_factory=StaticRegistry)
    capture: CaptureFilter = field(default_factory=CaptureFilter)
    source: str = "ha"
    max_contexts: int = 4096
    _contexts: OrderedDict[str, _ContextActor] = field(default_factory=OrderedDict)
    # Contexts of Galatea's own doings: whatever they cause is Galatea's too.
    _own_contexts: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def normalize(self, event: Mapping[str, Any]) -> ActivityEvent | None:
        """One HA event dict → an ActivityEvent, or None when it is not activity.

        Raises ``ValidationError`` for a malformed event (missing time, bad shape).
        """
        event_type = event.get("event_type")
        data = event.get("data")
        if not isinstance(event_type, str) or not isinstance(data, _MAPPING):
            raise ValidationError("event_type", "not an HA event (event_type/data missing)")
        context = _mapping(event.get("context"))
        if event_type == "automation_triggered":
            return self._automation(event, data, context, "automation", "automation_triggered")
        if event_type == "script_started":
            return self._automation(event, data, context, "script", "script_started")
        if event_type == "call_service":
            return self._call_service(event, data, context)
        if event_type == "state_changed":
            return self._state_changed(event, data, context)
        return None

    def normalize_many(self, events: Iterable[Mapping[str, Any]]) -> list[ActivityEvent]:
        out: list[ActivityEvent] = []
        for event in events:
            activity = self.normalize(event)
            if activity is not None:
                out.append(activity)
        return out

    # -- actors ---------------------------------------------------------------------------

    def _remember(self, context_id: str | None, actor: _ContextActor) -> None:
        if not context_id:
            return
        self._contexts[context_id] = actor
        self._contexts.move_to_end(context_id)
        while len(self._contexts) > self.max_contexts:
            self._contexts.popitem(last=False)

    def _remember_own(self, context_id: Any) -> None:
        if not isinstance(context_id, str) or not context_id:
            return
        self._own_contexts[context_id] = None
        self._own_contexts.move_to_end(context_id)
        while len(self._own_contexts) > self.max_contexts:
            self._own_contexts.popitem(last=False)

    def _is_own_context(self, context: Mapping[str, Any]) -> bool:
        return self._is_own(context.get("id"), context.get("parent_id"))

    def _is_own(self, context_id: Any, parent_id: Any) -> bool:
        own = self._own_contexts
        return bool(own) and (context_id in own or parent_id in own)

    def _is_own_entity(self, entity_id: str) -> bool:
        info = self.registry.entity(entity_id)
        return info is not None and info.platform == OWN_DOMAIN

    def _actor(self, context: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """Who caused this: a person/user (context user_id), or an automation/script chain."""
        return self._actor_of(context.get("id"), context.get("user_id"), context.get("parent_id"))

    def _actor_of(
        self, context_id: Any, user_id: Any, parent_id: Any
    ) -> tuple[str | None, str | None]:
        known = self._contexts.get(context_id) if isinstance(context_id, str) else None
        if known is not None:
            return known.actor, known.actor_kind
        if isinstance(user_id, str) and user_id:
            person = self.registry.person_for_user(user_id)
            if person:
                return person, "person"
            # An HA user without a person: never show or speak the raw user id.
            return None, "user"
        parent = self._contexts.get(parent_id) if isinstance(parent_id, str) else None
        if parent is not None:
            return parent.actor, parent.actor_kind
        return None, None

    # -- event types ----------------------------------------------------------------------

    def _activity(
        self,
        ts: Any,
        kind: str,
        entity_id: str | None,
        info: EntityInfo,
        context: Mapping[str, Any],
        **fields: Any,
    ) -> ActivityEvent:
        """An activity at ``entity_id`` (placed where the registry puts it), in ``context``."""
        return ActivityEvent(
            ts=parse_ts(ts, "time_fired"),
            source=self.source,
            kind=kind,
            entity_id=entity_id,
            area=info.area,
            floor=info.floor,
            context_id=_str(context.get("id")),
            parent_id=_str(context.get("parent_id")),
            **fields,
        )

    def _automation(
        self,
        event: Mapping[str, Any],
        data: Mapping[str, Any],
        context: Mapping[str, Any],
        kind: str,
        event_kind: str,
    ) -> ActivityEvent | None:
        entity_id = data.get("entity_id")
        if not isinstance(entity_id, str):
            return None
        self._remember(context.get("id"), _ContextActor(entity_id, kind))
        info = self.registry.entity(entity_id) or _NO_INFO
        name = data.get("name") or info.name or entity_id
        trigger = data.get("source")
        return self._activity(
            event.get("time_fired"), event_kind, entity_id, info, context,
            actor=entity_id,
            actor_kind=kind,
            data={"trigger": str(trigger)[:255]} if trigger else {},
            summary=f"{name} ran" + (f" ({trigger})" if trigger else ""),
        )

    def _call_service(
        self, event: Mapping[str, Any], data: Mapping[str, Any], context: Mapping[str, Any]
    ) -> ActivityEvent | None:
        domain, service = data.get("domain"), data.get("service")
        if not isinstance(domain, str) or not isinstance(service, str):
            return None
        if domain in IGNORED_SERVICE_DOMAINS:
            if domain == OWN_DOMAIN:
                self._remember_own(context.get("id"))
            return None
        if self._is_own_context(context):
            return None
        user_id = context.get("user_id")
        if not user_id:  # service calls by automations show up as their state changes
            return None
        service_data = _mapping(data.get("service_data"))
        targets = service_data.get("entity_id")
        if isinstance(targets, str):
            targets = [targets]
        entity_ids = [t for t in targets or [] if isinstance(t, str)]
        if entity_ids and all(self._is_own_entity(t) for t in entity_ids):
            return None  # e.g. the card or a dashboard refreshing Galatea's own entities
        actor, actor_kind = self._actor(context)
        self._remember(context.get("id"), _ContextActor(actor, actor_kind or "user"))
        first = entity_ids[0] if entity_ids else None
        info = (self.registry.entity(first) if first else None) or _NO_INFO
        small = {k: v for k, v in service_data.items() if k != "entity_id" and _scalar(v)}
        return self._activity(
            event.get("time_fired"), "call_service", first, info, context,
            device=info.device,
            actor=actor,
            actor_kind=actor_kind,
            data={"service": f"{domain}.{service}", "entities": entity_ids[:20], **small},
            summary=f"{domain}.{service}"
            + (f" on {', '.join(entity_ids[:3])}" if entity_ids else ""),
        )

    def _state_changed(
        self, event: Mapping[str, Any], data: Mapping[str, Any], context: Mapping[str, Any]
    ) -> ActivityEvent | None:
        entity_id = data.get("entity_id")
        new = data.get("new_state")
        old = data.get("old_state")
        if not isinstance(entity_id, str) or "." not in entity_id:
            raise ValidationError("data.entity_id", "missing or not an entity id")
        if not isinstance(new, _MAPPING):
            return None  # entity removed
        old = old if isinstance(old, _MAPPING) else None
        ctx = _mapping(new.get("context"), context)
        fields = self.state_fields(
            entity_id, new.get("state"), _mapping(new.get("attributes")),
            old.get("state") if old else None,
            _mapping(old.get("attributes") if old else None),
            ctx.get("id"), ctx.get("parent_id"), ctx.get("user_id"),
        )
        if fields is None:
            return None
        info, device_class, actor, actor_kind, state, old_state, payload, summary = fields
        ts_raw = event.get("time_fired") or new.get("last_updated") or new.get("last_changed")
        return self._activity(
            ts_raw, "state_changed", entity_id, info, ctx,
            device=info.device,
            device_class=device_class,
            actor=actor,
            actor_kind=actor_kind,
            state=state,
            old_state=old_state,
            data=payload,
            summary=summary,
        )

    def state_fields(
        self,
        entity_id: str,
        new_state: Any,
        attrs: Mapping[str, Any],
        old_state_raw: Any,
        old_attrs: Mapping[str, Any],
        context_id: Any,
        parent_id: Any,
        user_id: Any,
    ) -> StateFields | None:
        """The activity of a state change, from its values (HA's ``State`` fields, or the
        dict view's): None when it is not activity. Live capture calls this directly on the
        writer thread, with HA's own objects' values (no dict view of the event)."""
        if self._is_own_entity(entity_id):
            return None  # Galatea's own entities reflect what it recorded
        domain = entity_id.split(".", 1)[0]
        info = self.registry.entity(entity_id) or _NO_INFO
        if info.area is None:
            info = _placed_by_name(info, attrs.get("friendly_name"))
        device_class = attrs.get("device_class") or info.device_class
        state = _str(new_state)
        old_state = _str(old_state_raw)
        unit = attrs.get("unit_of_measurement")
        if not self.capture.wants(
            entity_id, domain, device_class, state, info.platform,
            unit if isinstance(unit, str) else None,
        ):
            return None
        if state in UNAVAILABLE_STATES:
            return None
        if state == old_state:
            tracked = TRACKED_ATTRIBUTES.get(domain, ())
            if not any(attrs.get(a) != old_attrs.get(a) for a in tracked):
                return None  # attribute noise (media position, last_triggered, ...)
        if self._is_own(context_id, parent_id):
            return None  # caused by one of Galatea's own actions
        actor, actor_kind = self._actor_of(context_id, user_id, parent_id)
        if domain == "person":
            actor, actor_kind = entity_id, "person"
        elif actor is None and info.person:
            actor, actor_kind = info.person, "device"
        payload = {
            a: attrs[a]
            for a in COPIED_ATTRIBUTES.get(domain, ())
            if a in attrs and _scalar(attrs[a])
        }
        if domain == "sensor" and unit:
            payload["unit"] = unit
        name = attrs.get("friendly_name") or info.name or entity_id
        return (
            info,
            _str(device_class),
            actor,
            actor_kind,
            state[:255] if state else state,
            old_state[:255] if old_state else old_state,
            payload,
            f"{str(name)[:100]}: {old_state or '?'} → {state}",
        )


def _placed_by_name(info: EntityInfo, friendly_name: Any) -> EntityInfo:
    """An entity with no area (none of its own nor its device's) placed in the room its
    name, friendly name or device's name says ("Kitchen motion"): as typed, so the detectors
    read its role like an area's. Left without one when no name names a room."""
    for name in (info.name, friendly_name, info.device):
        room = room_in_name(name) if isinstance(name, str) else None
        if room is not None:
            return replace(info, area=room)
    return info


def _mapping(value: Any, default: Mapping[str, Any] = _EMPTY) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else ``default`` (an empty one)."""
    return value if isinstance(value, _MAPPING) else default


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _scalar(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= 255
    return isinstance(value, int | float | bool)
