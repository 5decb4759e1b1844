"""Galatea: a home that remembers its own life.

Set-up order: open the activity store (in the executor), build the registry-backed normaliser,
then start each feature module listed in ``FEATURES`` and forward the entity platforms.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable
from types import ModuleType

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE, Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from . import digital, services
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

# Feature modules (relative to this package). Each exposes
# ``async def async_setup_feature(hass, entry) -> Callable[[], None] | None``; the returned
# callback runs on unload, in reverse order. Add yours with a one-line edit.
FEATURES: tuple[str, ...] = (
    "capture",
    "digital",
    "webhook",
    "mqtt_capture",
    "backfill",
    "runner",
    "coordinator",
    "intent",
    "llm_api",
    # after "coordinator": in add-on mode it swaps the coordinator's API for the add-on proxy
    "addon_client",
    "frontend",
)

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
    try:
        for name in FEATURES:
            module = await _async_import_feature(hass, name)
            unload = await module.async_setup_feature(hass, entry)
            if unload is not None:
                data.unloads.append(unload)
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


async def _async_import_feature(hass: HomeAssistant, name: str) -> ModuleType:
    full = f"{__package__}.{name}"
    return await hass.async_add_import_executor_job(importlib.import_module, full)


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
