"""Intent platform for Assist; the work is in the ``assist`` package.

HA's ``intent`` component imports ``<integration>.intent`` as a platform; Galatea's handlers
need the config entry, so ``assist.async_setup_feature`` registers them when the entry loads
(see ``assist/__init__.py`` for how the sentences reach the default agent, and why).
"""

from __future__ import annotations

from homeassistant.core import Context, HomeAssistant

from .assist import resolve_person as _resolve_name
from .assist.people import speaker_person


def resolve_person(hass: HomeAssistant, context: Context | None, name: str | None) -> str | None:
    """A spoken name -> ``person.x``; no name -> the person linked to the speaking user."""
    if name:
        return _resolve_name(hass, name)
    return speaker_person(hass, context)


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Intent platform hook: nothing to do (handlers come with the config entry)."""


__all__ = ["async_setup_intents", "resolve_person"]
