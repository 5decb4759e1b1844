"""Options-flow pieces for Frigate and digital capture (kept light: no MQTT import)."""

from __future__ import annotations

from typing import Any

import probatio
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector

from .const import (
    CONF_FRIGATE_CAMERAS,
    CONF_FRIGATE_ENABLED,
    CONF_FRIGATE_MIN_SCORE,
    CONF_FRIGATE_PREFIX,
    CONF_FRIGATE_URL,
    CONF_WEBHOOK_ID,
    DEFAULT_FRIGATE_PREFIX,
)
from .data import GalateaConfigEntry

MQTT_STATUS_TEXT = {
    "subscribed": "on, listening to MQTT.",
    "digital_only": "off (switched off below); digital activity over MQTT is on.",
    "mqtt_missing": "off, because Home Assistant's MQTT integration is not set up.",
    "mqtt_unavailable": "off, because the MQTT broker is not available.",
    "starting": "starting.",
    "error": "off, because subscribing failed (see the log).",
    "stopped": "stopped.",
}


def frigate_schema() -> dict[Any, Any]:
    """Fields added to the options form (all optional, with defaults)."""
    return {
        probatio.Required(CONF_FRIGATE_ENABLED, default=True): selector.BooleanSelector(),
        probatio.Required(
            CONF_FRIGATE_PREFIX, default=DEFAULT_FRIGATE_PREFIX
        ): selector.TextSelector(),
        probatio.Optional(CONF_FRIGATE_CAMERAS, default=[]): selector.SelectSelector(
            selector.SelectSelectorConfig(options=[], multiple=True, custom_value=True)
        ),
        probatio.Required(CONF_FRIGATE_MIN_SCORE, default=0.0): selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=0, max=1, step=0.01, mode=selector.NumberSelectorMode.BOX
            )
        ),
        probatio.Optional(CONF_FRIGATE_URL): selector.TextSelector(
            selector.TextSelectorConfig(type=selector.TextSelectorType.URL)
        ),
    }


def options_placeholders(hass: HomeAssistant, entry: GalateaConfigEntry) -> dict[str, str]:
    """``{webhook_url}`` and ``{mqtt_status}`` for the options form's description."""
    from .webhook import webhook_url  # webhook imports aiohttp pieces

    hook_id = entry.data.get(CONF_WEBHOOK_ID)
    url = webhook_url(hass, hook_id) if isinstance(hook_id, str) and hook_id else "-"
    status = "mqtt_missing"
    runtime = getattr(entry, "runtime_data", None)
    capture = runtime.extras.get("mqtt_capture") if runtime is not None else None
    if capture is not None:
        status = str(getattr(capture, "status", status))
    return {"webhook_url": url, "mqtt_status": MQTT_STATUS_TEXT.get(status, status)}
