"""The digital-activity webhook: ``POST /api/webhook/<id>`` with one event or a batch.

The id is generated once at set-up and kept in the entry's data (diagnostics redact it); the
options page shows the full URL. Answers: 200 ``{"recorded": n}``, 400 ``{"error", "field"}``
for invalid input (nothing of the batch is stored), 413 when the body or batch is too big,
503 when the store's backlog is full (nothing of the batch is queued). Local network only
unless the options allow remote callers (``webhook_remote``).
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from .const import CONF_WEBHOOK_ID, CONF_WEBHOOK_REMOTE, DOMAIN, LOGGER
from .data import GalateaConfigEntry
from .digital import counters, enqueue, reject
from .engine.capture.digital import (
    MAX_BODY_BYTES,
    PayloadTooLarge,
    parse_body,
    validation_error_json,
)
from .engine.models import ValidationError

WEBHOOK_NAME = "Galatea activity"


def webhook_id(hass: HomeAssistant, entry: GalateaConfigEntry) -> str:
    """The entry's webhook id, generated and saved on first use."""
    current = entry.data.get(CONF_WEBHOOK_ID)
    if isinstance(current, str) and current:
        return current
    new_id: str = webhook.async_generate_id()
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_WEBHOOK_ID: new_id})
    return new_id


def webhook_url(hass: HomeAssistant, hook_id: str) -> str:
    """Full URL to show the user (path only when HA does not know its own URL)."""
    path = webhook.async_generate_path(hook_id)
    try:
        return f"{get_url(hass, prefer_external=False)}{path}"
    except NoURLAvailableError:
        return path


def _json(body: dict[str, Any], status: HTTPStatus) -> web.Response:
    return web.json_response(body, status=int(status))


async def async_setup_feature(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> Callable[[], None] | None:
    """Register the webhook; unregistered on unload. Needs HA's webhook (and http) component:
    loaded by ``default_config``; set up here when only http is there; else skipped."""
    hook_id = webhook_id(hass, entry)
    counters(entry)
    if webhook.DOMAIN not in hass.config.components and (
        "http" not in hass.config.components
        or not await async_setup_component(hass, webhook.DOMAIN, {})
    ):
        LOGGER.info("Galatea's activity webhook is off: HA's webhook component is not set up")
        return None

    async def _handle(
        hass: HomeAssistant, _webhook_id: str, request: web.Request
    ) -> web.Response:
        # Cloudhooks and websocket-triggered webhooks arrive as HA's MockRequest (no length).
        length = getattr(request, "content_length", None)
        if length is not None and length > MAX_BODY_BYTES:
            return _json(
                {"error": f"larger than {MAX_BODY_BYTES} bytes", "field": "body"},
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            )
        body = await request.content.read(MAX_BODY_BYTES + 1)
        try:
            events = parse_body(body, now=dt_util.utcnow(), clock=counters(entry).clock)
        except PayloadTooLarge as err:
            reject(entry, "webhook", err)
            return _json(validation_error_json(err), HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        except ValidationError as err:
            reject(entry, "webhook", err)
            return _json(validation_error_json(err), HTTPStatus.BAD_REQUEST)
        queued = enqueue(entry, events)
        if queued < len(events):  # all or nothing: nothing of the batch was queued
            return _json(
                {"error": "the activity store is busy, retry later", "recorded": 0},
                HTTPStatus.SERVICE_UNAVAILABLE,
            )
        return _json({"recorded": queued}, HTTPStatus.OK)

    webhook.async_register(
        hass, DOMAIN, WEBHOOK_NAME, hook_id, _handle, allowed_methods=["POST", "PUT"],
        local_only=not entry.options.get(CONF_WEBHOOK_REMOTE, False),
    )

    def _unload() -> None:
        webhook.async_unregister(hass, hook_id)

    return _unload
