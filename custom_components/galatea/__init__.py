"""Galatea: a home that remembers its own life.

``async_setup_entry`` reads top to bottom: open the activity store (in the executor), build the
registry-backed normaliser, start each feature in order (its unload registered right after it;
unloads run in reverse order), then forward the entity platforms.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE, Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from . import (
    addon_client,
    assist,
    backend,
    backfill,
    capture,
    coordinator,
    digital,
    frontend,
    llm_api,
    mqtt_capture,
    runner,
    services,
    webhook,
)
from .const import DOMAIN, LOGGER
from .data import GalateaConfigEntry, GalateaData, GalateaOptions
from .database import (
    DatabaseRefused,
    DatabaseUnavailable,
    async_close_store,
    async_open_store,
)
from .engine.capture.ha_events import HAEventNormalizer
from .registry import HARegistry

# Entity platforms. Add yours with a one-line edit.
PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.CALENDAR, Platform.SENSOR]

type FeatureUnload = Callable[[], Awaitable[None] | None]


CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register Galatea's actions once; they answer from whichever entry is loaded."""
    services.async_register_services(hass)
    digital.async_register_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: GalateaConfigEntry) -> bool:
    """Set up Galatea from its config entry."""
    options = GalateaOptions.from_entry(entry.data, entry.options, hass.config.config_dir)
    try:
        store = await async_open_store(hass, entry, options)
    except DatabaseUnavailable as err:  # HA retries in the background
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="database_unavailable",
            translation_placeholders={"error": str(err)},
        ) from err
    except DatabaseRefused as err:  # a repair issue says what to do; retrying cannot help
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key=err.issue,
            translation_placeholders=err.placeholders,
        ) from err

    registry = HARegistry(hass)
    registry.async_start()
    entry.runtime_data = GalateaData(
        options=options,
        store=store,
        registry=registry,
        normalizer=HAEventNormalizer(registry=registry, capture=options.capture_filter()),
    )
    data = entry.runtime_data
    data.unloads.append(registry.async_stop)

    def on_unload(unload: FeatureUnload | None) -> None:
        if unload is not None:
            data.unloads.append(unload)

    try:
        # Capture first: what happens while the rest is set up is recorded.
        on_unload(await capture.async_setup_feature(hass, entry))
        await digital.async_setup_feature(hass, entry)
        on_unload(await webhook.async_setup_feature(hass, entry))
        on_unload(await mqtt_capture.async_setup_feature(hass, entry))
        on_unload(await backfill.async_setup_feature(hass, entry))
        on_unload(await runner.async_setup_feature(hass, entry))
        # Add-on mode: the add-on's address and its health monitor (fallback to embedded).
        on_unload(await addon_client.async_setup_feature(hass, entry))
        # The one way to the engine, chosen once: the add-on, or the engine in this process.
        on_unload(await backend.async_setup_feature(hass, entry))
        # The coordinator (first refresh) before Assist, the LLM API and the platforms.
        on_unload(await coordinator.async_setup_feature(hass, entry))
        on_unload(await assist.async_setup_feature(hass, entry))
        on_unload(await llm_api.async_setup_feature(hass, entry))
        on_unload(await frontend.async_setup_feature(hass, entry))
    except BaseException:
        await _async_teardown(hass, data)
        raise

    # HA stopping does not unload entries: flush what is queued once the bus is quiet.
    unsub_final: Callable[[], None] | None = None

    async def _async_final_write(_event: Event) -> None:
        nonlocal unsub_final
        unsub_final = None
        await _async_teardown(hass, data)

    @callback
    def _async_cancel_final_write() -> None:
        if unsub_final is not None:
            unsub_final()

    unsub_final = hass.bus.async_listen_once(EVENT_HOMEASSISTANT_FINAL_WRITE, _async_final_write)
    entry.async_on_unload(_async_cancel_final_write)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: GalateaConfigEntry) -> bool:
    """Unload: platforms, then features (capture stops first), then flush and close the store."""
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    await _async_teardown(hass, entry.runtime_data)
    return True


async def _async_teardown(hass: HomeAssistant, data: GalateaData) -> None:
    """Stop features in reverse order, then flush and close the store. Idempotent."""
    while data.unloads:
        unload = data.unloads.pop()
        try:
            result = unload()
            if inspect.isawaitable(result):
                await result
        except Exception:
            LOGGER.exception("Error while stopping a Galatea feature")
    await async_close_store(hass, data)
