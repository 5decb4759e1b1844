"""Base entity: every Galatea entity belongs to the one "Galatea" service device."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import DOMAIN
from .data import GalateaConfigEntry


class GalateaEntity(Entity):
    """Unique id ``{entry_id}_{key}``, translated name, the Galatea service device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: GalateaConfigEntry, key: str) -> None:
        self.entry = entry
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_translation_key = key
        self._attr_device_info = galatea_device_info(entry)


def galatea_device_info(entry: GalateaConfigEntry) -> DeviceInfo:
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name="Galatea",
        manufacturer="Galatea",
        model="Home memory",
        entry_type=DeviceEntryType.SERVICE,
    )
