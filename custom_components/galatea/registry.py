"""HA-backed Registry for the normaliser: areas, floors, devices and people, cached.

Lookups run on the event loop (HA's registries are loop-only). The cache is dropped whenever
an entity/device/area/floor registry changes, a person is added or removed, or a person's user
or trackers change (not when they come and go).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import (
    area_registry as ar,
)
from homeassistant.helpers import (
    device_registry as dr,
)
from homeassistant.helpers import (
    entity_registry as er,
)
from homeassistant.helpers import (
    floor_registry as fr,
)

from .const import DOMAIN
from .engine.capture.ha_events import EntityInfo

_MISSING = EntityInfo()


class HARegistry:
    """Implements the engine's ``Registry`` protocol from HA's live registries."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._hass = hass
        self._entities: dict[str, EntityInfo] = {}
        self._people: tuple[dict[str, str], dict[str, str]] | None = None
        self._unsubs: list[Callable[[], None]] = []

    @callback
    def async_start(self) -> None:
        bus = self._hass.bus
        self._unsubs += [
            bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, self._async_invalidate),
            bus.async_listen(dr.EVENT_DEVICE_REGISTRY_UPDATED, self._async_invalidate),
            bus.async_listen(ar.EVENT_AREA_REGISTRY_UPDATED, self._async_invalidate),
            bus.async_listen(fr.EVENT_FLOOR_REGISTRY_UPDATED, self._async_invalidate),
        ]
        self._unsubs.append(
            bus.async_listen(
                EVENT_STATE_CHANGED, self._async_person_changed, event_filter=_is_person
            )
        )

    @callback
    def async_stop(self) -> None:
        while self._unsubs:
            self._unsubs.pop()()

    @callback
    def _async_invalidate(self, _event: Event[Any]) -> None:
        self._entities.clear()
        self._people = None

    @callback
    def _async_person_changed(self, event: Event[EventStateChangedData]) -> None:
        """A person's user or trackers changed (not just home/away): the maps are stale."""
        if self._people is None:
            return
        old, new = event.data["old_state"], event.data["new_state"]
        if old is not None and new is not None and all(
            old.attributes.get(key) == new.attributes.get(key)
            for key in ("user_id", "device_trackers")
        ):
            return  # coming and going changes nothing here
        self._people = None
        self._entities.clear()  # trackers' ``person`` may have changed

    # -- Registry protocol -----------------------------------------------------------------

    def entity(self, entity_id: str) -> EntityInfo | None:
        info = self._entities.get(entity_id)
        if info is None:
            info = self._lookup(entity_id)
            if len(self._entities) > 50_000:
                self._entities.clear()
            self._entities[entity_id] = info
        return None if info is _MISSING else info

    def person_for_user(self, user_id: str) -> str | None:
        return self._people_maps()[0].get(user_id)

    def is_own(self, entity_id: str) -> bool:
        """True for Galatea's own entities (never recorded as activity)."""
        info = self.entity(entity_id)
        return info is not None and info.platform == DOMAIN

    def people_by_user(self) -> dict[str, str]:
        """A copy of user_id -> person entity (for snapshots used off the loop)."""
        return dict(self._people_maps()[0])

    # -- lookups ---------------------------------------------------------------------------

    def _people_maps(self) -> tuple[dict[str, str], dict[str, str]]:
        """(user_id -> person entity, device_tracker entity -> person entity)."""
        if self._people is None:
            users: dict[str, str] = {}
            trackers: dict[str, str] = {}
            for state in self._hass.states.async_all("person"):
                user_id = state.attributes.get("user_id")
                if isinstance(user_id, str) and user_id:
                    users[user_id] = state.entity_id
                for tracker in state.attributes.get("device_trackers") or ():
                    if isinstance(tracker, str):
                        trackers[tracker] = state.entity_id
            self._people = (users, trackers)
        return self._people

    def _lookup(self, entity_id: str) -> EntityInfo:
        hass = self._hass
        person = self._people_maps()[1].get(entity_id)
        entry = er.async_get(hass).async_get(entity_id)
        if entry is None:
            return EntityInfo(person=person) if person else _MISSING
        device = dr.async_get(hass).async_get(entry.device_id) if entry.device_id else None
        area_id = entry.area_id or (device.area_id if device else None)
        area = ar.async_get(hass).async_get_area(area_id) if area_id else None
        floor = (
            fr.async_get(hass).async_get_floor(area.floor_id) if area and area.floor_id else None
        )
        return EntityInfo(
            area=area.name if area else None,
            floor=floor.name if floor else None,
            device=(device.name_by_user or device.name) if device else None,
            device_class=entry.device_class or entry.original_device_class,
            name=entry.name or entry.original_name,
            person=person,
            platform=entry.platform,
        )


@callback
def _is_person(event_data: EventStateChangedData) -> bool:
    return event_data["entity_id"].startswith("person.")
