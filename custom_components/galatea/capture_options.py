"""Options-flow pieces for Frigate and digital capture, and the form's validation.

Kept light: HA's MQTT validators are imported in the executor, only when the form is submitted.
"""

from __future__ import annotations

from typing import Any

import probatio
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector

from .const import (
    CONF_DOMAINS,
    CONF_EXCLUDE_ENTITIES,
    CONF_FRIGATE_CAMERAS,
    CONF_FRIGATE_ENABLED,
    CONF_FRIGATE_MIN_SCORE,
    CONF_FRIGATE_PREFIX,
    CONF_FRIGATE_URL,
    CONF_INCLUDE_ENTITIES,
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
    "invalid_prefix": "off, because the Frigate topic prefix is not a valid MQTT topic.",
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
    capture = runtime.mqtt_capture if runtime is not None else None
    if capture is not None:
        status = str(getattr(capture, "status", status))
    return {"webhook_url": url, "mqtt_status": MQTT_STATUS_TEXT.get(status, status)}


def frigate_prefix_error(prefix: str) -> str | None:
    """``invalid_topic_prefix`` unless ``prefix`` is an MQTT topic (no wildcards, no empty
    levels at the ends) under which ``prefix/#`` can be subscribed, by HA's own validators.
    Imports HA's MQTT helpers: run it in the executor."""
    import probatio as pb
    from homeassistant.components.mqtt.util import (
        valid_publish_topic,
        valid_subscribe_topic,
    )

    prefix = prefix.strip()
    if not prefix or prefix.startswith("/") or prefix.endswith("/"):
        return "invalid_topic_prefix"
    try:
        valid_publish_topic(prefix)
        valid_subscribe_topic(f"{prefix}/#")
    except pb.Invalid:
        return "invalid_topic_prefix"
    return None


def url_error(value: str) -> str | None:
    """``invalid_url`` unless ``value`` is an http(s) URL with a host (HA's own validator)."""
    from homeassistant.helpers import config_validation as cv

    try:
        cv.url(value)
    except probatio.Invalid:
        return "invalid_url"
    return None


async def async_validate_capture(
    hass: HomeAssistant, options: dict[str, Any]
) -> dict[str, str]:
    """Field errors (translated in ``options.error``) for the flat options of the form."""
    errors: dict[str, str] = {}
    overlap = set(options.get(CONF_INCLUDE_ENTITIES, ())) & set(
        options.get(CONF_EXCLUDE_ENTITIES, ())
    )
    if overlap:
        errors[CONF_EXCLUDE_ENTITIES] = "include_exclude_overlap"
    elif not options.get(CONF_DOMAINS) and not options.get(CONF_INCLUDE_ENTITIES):
        errors[CONF_DOMAINS] = "nothing_to_capture"
    if any(not str(d).strip() for d in options.get(CONF_DOMAINS) or ()):
        errors[CONF_DOMAINS] = "empty_value"
    if any(not str(c).strip() for c in options.get(CONF_FRIGATE_CAMERAS) or ()):
        errors[CONF_FRIGATE_CAMERAS] = "empty_value"
    prefix = options.get(CONF_FRIGATE_PREFIX)
    if prefix is not None or options.get(CONF_FRIGATE_ENABLED):
        error = await hass.async_add_import_executor_job(
            frigate_prefix_error, str(prefix or "")
        )
        if error:
            errors[CONF_FRIGATE_PREFIX] = error
    url = str(options.get(CONF_FRIGATE_URL) or "").strip()
    if url and (error := url_error(url)):
        errors[CONF_FRIGATE_URL] = error
    return errors


def clean_capture(options: dict[str, Any]) -> dict[str, Any]:
    """Validated options as stored: an empty Frigate URL is no URL, names trimmed."""
    out = dict(options)
    url = str(out.get(CONF_FRIGATE_URL) or "").strip().rstrip("/")
    if url:
        out[CONF_FRIGATE_URL] = url
    else:
        out.pop(CONF_FRIGATE_URL, None)
    if CONF_FRIGATE_CAMERAS in out:
        out[CONF_FRIGATE_CAMERAS] = [str(c).strip() for c in out[CONF_FRIGATE_CAMERAS]]
    if CONF_FRIGATE_PREFIX in out:
        out[CONF_FRIGATE_PREFIX] = str(out[CONF_FRIGATE_PREFIX]).strip()
    return out
