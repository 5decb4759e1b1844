"""Config, options and reconfigure flows for Galatea (a single instance)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import selector
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from .addon_client import AddonClient, AddonUnavailable, addon_url, async_discovered_addon
from .capture_options import frigate_schema, options_placeholders
from .const import (
    CONF_ADDON_TOKEN,
    CONF_ADDON_URL,
    CONF_BACKFILL,
    CONF_BINARY_DEVICE_CLASSES,
    CONF_COMMIT_INTERVAL,
    CONF_DB_URL,
    CONF_DOMAINS,
    CONF_ENGINE_INTERVAL,
    CONF_ENGINE_MODE,
    CONF_EXCLUDE_ENTITIES,
    CONF_INCLUDE_ENTITIES,
    CONF_INCLUDE_NUMERIC_SENSORS,
    CONF_RETENTION_DAYS,
    DEFAULT_COMMIT_INTERVAL,
    DEFAULT_DB_FILE,
    DEFAULT_ENGINE_INTERVAL,
    DEFAULT_RETENTION_DAYS,
    DOMAIN,
    ENGINE_MODE_ADDON,
    ENGINE_MODE_EMBEDDED,
    LOGGER,
)
from .data import GalateaConfigEntry, resolve_db_url
from .database import DatabaseUnavailable, InvalidDatabaseUrl, validate_db_url
from .engine.api import APIError
from .engine.capture.ha_events import DEFAULT_BINARY_DEVICE_CLASSES, DEFAULT_DOMAINS

# Domains offered in the options (custom values are accepted too).
DOMAIN_CHOICES: tuple[str, ...] = tuple(
    sorted(
        DEFAULT_DOMAINS
        | {
            "alarm_control_panel", "button", "humidifier", "input_button", "input_number",
            "input_select", "remote", "select", "siren", "vacuum", "valve", "water_heater",
        }
    )
)


async def _async_validate(hass: HomeAssistant, value: str) -> tuple[str, dict[str, str]]:
    """(cleaned value, errors) after opening the database once in the executor."""
    cleaned = value.strip() or DEFAULT_DB_FILE
    url = resolve_db_url(cleaned, hass.config.config_dir)
    try:
        await hass.async_add_executor_job(validate_db_url, url)
    except InvalidDatabaseUrl:
        return cleaned, {CONF_DB_URL: "invalid_url"}
    except DatabaseUnavailable as err:
        LOGGER.debug("Galatea cannot open %s: %s", url, err)
        return cleaned, {CONF_DB_URL: "cannot_connect"}
    except Exception:
        LOGGER.exception("Unexpected error validating the Galatea database URL")
        return cleaned, {"base": "unknown"}
    return cleaned, {}


class GalateaConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set Galatea up: where to keep activity, and whether to import history."""

    VERSION = 1
    MINOR_VERSION = 1

    _addon: dict[str, str] | None = None

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            db_url, errors = await _async_validate(self.hass, user_input.get(CONF_DB_URL, ""))
            if not errors:
                return self.async_create_entry(
                    title="Galatea",
                    data={CONF_DB_URL: db_url, CONF_BACKFILL: user_input[CONF_BACKFILL]},
                )
        schema = vol.Schema(
            {
                vol.Required(CONF_DB_URL, default=DEFAULT_DB_FILE): selector.TextSelector(),
                vol.Required(CONF_BACKFILL, default=True): selector.BooleanSelector(),
            }
        )
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(step_id="user", data_schema=schema, errors=errors)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            db_url, errors = await _async_validate(self.hass, user_input.get(CONF_DB_URL, ""))
            mode = user_input.get(
                CONF_ENGINE_MODE, entry.data.get(CONF_ENGINE_MODE, ENGINE_MODE_EMBEDDED)
            )
            updates: dict[str, Any] = {CONF_DB_URL: db_url, CONF_ENGINE_MODE: mode}
            if not errors and mode == ENGINE_MODE_ADDON:
                addon, errors = await _async_validate_addon(self.hass, user_input)
                updates.update(addon)
            if not errors:
                # Same database file either way: switching modes keeps every activity and result.
                return self.async_update_reload_and_abort(entry, data_updates=updates)
        discovered = await async_discovered_addon(self.hass)
        suggested = user_input or {
            CONF_DB_URL: entry.data.get(CONF_DB_URL, DEFAULT_DB_FILE),
            CONF_ENGINE_MODE: entry.data.get(CONF_ENGINE_MODE, ENGINE_MODE_EMBEDDED),
            CONF_ADDON_URL: entry.data.get(CONF_ADDON_URL)
            or (addon_url(discovered["host"], discovered.get("port", 8099)) if discovered else ""),
        }
        schema = self.add_suggested_values_to_schema(
            vol.Schema(
                {
                    vol.Required(CONF_DB_URL): selector.TextSelector(),
                    vol.Optional(CONF_ENGINE_MODE): selector.SelectSelector(
                        selector.SelectSelectorConfig(
                            options=[ENGINE_MODE_EMBEDDED, ENGINE_MODE_ADDON],
                            translation_key=CONF_ENGINE_MODE,
                        )
                    ),
                    vol.Optional(CONF_ADDON_URL): selector.TextSelector(
                        selector.TextSelectorConfig(type=selector.TextSelectorType.URL)
                    ),
                    vol.Optional(CONF_ADDON_TOKEN): selector.TextSelector(
                        selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
                    ),
                }
            ),
            suggested,
        )
        return self.async_show_form(step_id="reconfigure", data_schema=schema, errors=errors)

    async def async_step_hassio(self, discovery_info: HassioServiceInfo) -> ConfigFlowResult:
        """The Galatea add-on announced itself: offer to let it run the engine."""
        config = discovery_info.config
        if not config.get("host") or not config.get("token"):
            return self.async_abort(reason="invalid_discovery_info")
        self._addon = {
            CONF_ADDON_URL: addon_url(config["host"], config.get("port", 8099)),
            CONF_ADDON_TOKEN: str(config["token"]),
            "name": discovery_info.name,
        }
        return await self.async_step_hassio_confirm()

    async def async_step_hassio_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        assert self._addon is not None
        if user_input is not None:
            return self.async_create_entry(
                title="Galatea",
                data={
                    CONF_DB_URL: DEFAULT_DB_FILE,  # the file the add-on shares with HA
                    CONF_BACKFILL: True,
                    CONF_ENGINE_MODE: ENGINE_MODE_ADDON,
                    CONF_ADDON_URL: self._addon[CONF_ADDON_URL],
                    CONF_ADDON_TOKEN: self._addon[CONF_ADDON_TOKEN],
                },
            )
        self._set_confirm_only()
        return self.async_show_form(
            step_id="hassio_confirm",
            description_placeholders={"addon": self._addon["name"]},
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: GalateaConfigEntry) -> GalateaOptionsFlow:
        return GalateaOptionsFlow()


async def _async_validate_addon(
    hass: HomeAssistant, user_input: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """(entry data for add-on mode, errors): the URL/token typed in, else what the add-on
    announced through the Supervisor; the add-on must answer its health check."""
    url = str(user_input.get(CONF_ADDON_URL) or "").strip()
    token = str(user_input.get(CONF_ADDON_TOKEN) or "").strip()
    if not url or not token:
        found = await async_discovered_addon(hass)
        if found and found.get("host") and found.get("token"):
            url = url or addon_url(found["host"], found.get("port", 8099))
            token = token or str(found["token"])
    if not url or not token:
        return {}, {CONF_ADDON_URL: "addon_not_found"}
    try:
        await AddonClient(hass, url, token).health()
    except (AddonUnavailable, APIError) as err:
        LOGGER.debug("Galatea add-on at %s did not answer: %s", url, err)
        return {}, {CONF_ADDON_URL: "addon_unreachable"}
    return {CONF_ADDON_URL: url, CONF_ADDON_TOKEN: token}, {}


def options_schema() -> vol.Schema:
    """What to capture and how long to keep it."""
    return vol.Schema(
        {
            vol.Required(CONF_DOMAINS, default=sorted(DEFAULT_DOMAINS)): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=list(DOMAIN_CHOICES),
                    multiple=True,
                    custom_value=True,
                    sort=True,
                )
            ),
            vol.Required(
                CONF_BINARY_DEVICE_CLASSES, default=sorted(DEFAULT_BINARY_DEVICE_CLASSES)
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=sorted(dc.value for dc in BinarySensorDeviceClass),
                    multiple=True,
                    sort=True,
                )
            ),
            vol.Optional(CONF_INCLUDE_ENTITIES, default=[]): selector.EntitySelector(
                selector.EntitySelectorConfig(multiple=True)
            ),
            vol.Optional(CONF_EXCLUDE_ENTITIES, default=[]): selector.EntitySelector(
                selector.EntitySelectorConfig(multiple=True)
            ),
            vol.Required(CONF_INCLUDE_NUMERIC_SENSORS, default=False): selector.BooleanSelector(),
            vol.Required(CONF_RETENTION_DAYS, default=DEFAULT_RETENTION_DAYS): vol.All(
                selector.NumberSelector(
                    selector.NumberSelectorConfig(
                        min=0, max=3650, step=1, mode=selector.NumberSelectorMode.BOX,
                        unit_of_measurement="d",
                    )
                ),
                vol.Coerce(int),
            ),
            vol.Required(
                CONF_COMMIT_INTERVAL, default=DEFAULT_COMMIT_INTERVAL
            ): selector.NumberSelector(
                selector.NumberSelectorConfig(
                    min=0.1, max=60, step=0.1, mode=selector.NumberSelectorMode.BOX,
                    unit_of_measurement="s",
                )
            ),
            vol.Required(CONF_ENGINE_INTERVAL, default=DEFAULT_ENGINE_INTERVAL): vol.All(
                selector.NumberSelector(
                    selector.NumberSelectorConfig(
                        min=1, max=1440, step=1, mode=selector.NumberSelectorMode.BOX,
                        unit_of_measurement="min",
                    )
                ),
                vol.Coerce(int),
            ),
            **frigate_schema(),
        }
    )


class GalateaOptionsFlow(OptionsFlow):
    """Capture choices, retention and intervals; the entry reloads when saved."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            overlap = set(user_input.get(CONF_INCLUDE_ENTITIES, ())) & set(
                user_input.get(CONF_EXCLUDE_ENTITIES, ())
            )
            if overlap:
                errors[CONF_EXCLUDE_ENTITIES] = "include_exclude_overlap"
            elif not user_input.get(CONF_DOMAINS) and not user_input.get(CONF_INCLUDE_ENTITIES):
                errors[CONF_DOMAINS] = "nothing_to_capture"
            else:
                return self.async_create_entry(data=user_input)
        current: Mapping[str, Any] = user_input or self.config_entry.options
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(options_schema(), current),
            errors=errors,
            description_placeholders=options_placeholders(self.hass, self.config_entry),
        )
