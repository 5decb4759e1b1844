"""Serves the Galatea dashboard card and registers it with HA's frontend.

Installing the integration is enough: the card's JavaScript (``frontend/``, no build step) is
served under ``/galatea_static/`` and added to every page as an extra module, with a content
hash in the URL so browsers pick up a new version after an update.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER
from .data import GalateaConfigEntry

CARD_FILE = "galatea-routines-card.js"
STATIC_URL = f"/{DOMAIN}_static"
FRONTEND_DIR = Path(__file__).parent / "frontend"
# Registered once per HA run: static routes cannot be removed, and a card that stays loaded
# after the entry is unloaded says "Galatea is not loaded" instead of "custom element missing".
_REGISTERED: HassKey[str] = HassKey(f"{DOMAIN}_frontend_url")


def card_url(content: bytes) -> str:
    """The card's URL with a cache-busting content hash."""
    return f"{STATIC_URL}/{CARD_FILE}?v={hashlib.sha256(content).hexdigest()[:12]}"


async def async_setup_feature(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> Callable[[], None] | None:
    """Serve the card and add it to the frontend (once per HA run)."""
    if _REGISTERED in hass.data:
        return None
    if getattr(hass, "http", None) is None or "frontend" not in hass.config.components:
        LOGGER.debug("HA's frontend is not loaded: the Galatea card is not registered")
        return None
    from homeassistant.components.frontend import add_extra_js_url

    content = await hass.async_add_executor_job((FRONTEND_DIR / CARD_FILE).read_bytes)
    url = card_url(content)
    await hass.http.async_register_static_paths(
        [StaticPathConfig(STATIC_URL, str(FRONTEND_DIR), cache_headers=True)]
    )
    add_extra_js_url(hass, url)
    hass.data[_REGISTERED] = url
    LOGGER.debug("Galatea card served at %s", url)
    return None
