"""Config, options and reconfigure flows for Galatea (a single instance)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import probatio
from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlowWithReload
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers import selector
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from .addon_client import AddonClient, AddonUnavailable, addon_url, async_discovered_addon
from .capture_options import (
    async_validate_capture,
    clean_capture,
    frigate_schema,
    options_placeholders,
)
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
    CONF_LLM_API_KEY,
    CONF_LLM_BASE_URL,
    CONF_LLM_DAILY_CALLS,
    CONF_LLM_MAX_CALLS,
    CONF_LLM_MODEL,
    CONF_LLM_TIMEOUT,
    CONF_NAMING,
    CONF_NAMING_AGENT,
    CONF_RETENTION_DAYS,
    CONF_WEBHOOK_REMOTE,
    DEFAULT_COMMIT_INTERVAL,
    DEFAULT_DB_FILE,
    DEFAULT_ENGINE_INTERVAL,
    DEFAULT_LLM_DAILY_CALLS,
    DEFAULT_LLM_MAX_CALLS,
    DEFAULT_LLM_MODEL,
    DEFAULT_LLM_TIMEOUT,
    DEFAULT_RETENTION_DAYS,
    DOMAIN,
    ENGINE_MODE_ADDON,
    ENGINE_MODE_EMBEDDED,
    LOGGER,
    NAMING_AGENT,
    NAMING_OFF,
    NAMING_OPENAI,
)
from .data import GalateaConfigEntry, resolve_db_url
from .database import DatabaseUnavailable, InvalidDatabaseUrl, validate_db_url
from .engine.api import APIError
from .engine.capture.ha_events import DEFAULT_BINARY_DEVICE_CLASSES, DEFAULT_DOMAINS
from .naming_ha import (
    NAMING_MODES,
    NamingSettings,
    async_validate_agent,
    async_validate_endpoint,
)

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
                await self.async_set_unique_id(DOMAIN)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title="Galatea",
                    data={CONF_DB_URL: db_url, CONF_BACKFILL: user_input[CONF_BACKFILL]},
                )
        schema = probatio.Schema(
            {
                probatio.Required(CONF_DB_URL, default=DEFAULT_DB_FILE): selector.TextSelector(),
                probatio.Required(CONF_BACKFILL, default=True): selector.BooleanSelector(),
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
            probatio.Schema(
                {
                    probatio.Required(CONF_DB_URL): selector.TextSelector(),
                    probatio.Optional(CONF_ENGINE_MODE): selector.SelectSelector(
                        selector.SelectSelectorConfig(
                            options=[ENGINE_MODE_EMBEDDED, ENGINE_MODE_ADDON],
                            translation_key=CONF_ENGINE_MODE,
                        )
                    ),
                    probatio.Optional(CONF_ADDON_URL): selector.TextSelector(
                        selector.TextSelectorConfig(type=selector.TextSelectorType.URL)
                    ),
                    probatio.Optional(CONF_ADDON_TOKEN): selector.TextSelector(
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
        # One Galatea per home: the add-on is offered only when Galatea is not set up yet
        # (a running entry switches to the add-on in its reconfigure step).
        await self.async_set_unique_id(DOMAIN)
        self._abort_if_unique_id_configured()
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


def _number_box(
    low: float, high: float, step: float, unit: str | None = None
) -> selector.NumberSelector:
    """A number typed in a box, in ``unit`` when given."""
    config = selector.NumberSelectorConfig(
        min=low, max=high, step=step, mode=selector.NumberSelectorMode.BOX
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)


def _whole_number_box(low: int, high: int, unit: str | None = None) -> probatio.All[int]:
    """A whole number typed in a box, stored as an integer."""
    return probatio.All(_number_box(low, high, 1, unit), probatio.Coerce(int))


# The options form's sections: what is recorded, Frigate, and the expert-only numbers
# (collapsed). Options are stored flat; the sections only group the form.
SECTION_CAPTURE = "capture"
SECTION_FRIGATE = "frigate"
SECTION_ADVANCED = "advanced"
SECTIONS: tuple[str, ...] = (SECTION_CAPTURE, SECTION_FRIGATE, SECTION_ADVANCED)


def options_schema(naming: bool = True) -> probatio.Schema:
    """What to capture and how long to keep it (and, with the embedded engine, whether an LLM
    names the sessions; the add-on has its own LLM settings), in sections."""
    capture = probatio.Schema(
        {
            probatio.Required(
                CONF_DOMAINS, default=sorted(DEFAULT_DOMAINS)
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=list(DOMAIN_CHOICES),
                    multiple=True,
                    custom_value=True,
                    sort=True,
                    translation_key=CONF_DOMAINS,
                )
            ),
            probatio.Required(
                CONF_BINARY_DEVICE_CLASSES, default=sorted(DEFAULT_BINARY_DEVICE_CLASSES)
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=sorted(dc.value for dc in BinarySensorDeviceClass),
                    multiple=True,
                    sort=True,
                    translation_key=CONF_BINARY_DEVICE_CLASSES,
                )
            ),
            probatio.Optional(CONF_INCLUDE_ENTITIES, default=[]): selector.EntitySelector(
                selector.EntitySelectorConfig(multiple=True)
            ),
            probatio.Optional(CONF_EXCLUDE_ENTITIES, default=[]): selector.EntitySelector(
                selector.EntitySelectorConfig(multiple=True)
            ),
            probatio.Required(
                CONF_INCLUDE_NUMERIC_SENSORS, default=False
            ): selector.BooleanSelector(),
            probatio.Required(
                CONF_RETENTION_DAYS, default=DEFAULT_RETENTION_DAYS
            ): _whole_number_box(0, 3650, "d"),
        }
    )
    advanced = probatio.Schema(
        {
            probatio.Required(
                CONF_ENGINE_INTERVAL, default=DEFAULT_ENGINE_INTERVAL
            ): _whole_number_box(1, 1440, "min"),
            probatio.Required(
                CONF_COMMIT_INTERVAL, default=DEFAULT_COMMIT_INTERVAL
            ): _number_box(0.1, 60, 0.1, "s"),
            probatio.Required(CONF_WEBHOOK_REMOTE, default=False): selector.BooleanSelector(),
        }
    )
    fields: dict[Any, Any] = {
        probatio.Required(SECTION_CAPTURE): section(capture),
        probatio.Required(SECTION_FRIGATE): section(
            probatio.Schema(frigate_schema()), {"collapsed": True}
        ),
        probatio.Required(SECTION_ADVANCED): section(advanced, {"collapsed": True}),
    }
    if naming:
        fields[probatio.Required(CONF_NAMING, default=NAMING_OFF)] = selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=list(NAMING_MODES),
                translation_key=CONF_NAMING,
                mode=selector.SelectSelectorMode.LIST,
            )
        )
    return probatio.Schema(fields)


def flatten_sections(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The form's sections folded into the flat options Galatea stores."""
    flat: dict[str, Any] = {}
    for key, value in user_input.items():
        if key in SECTIONS and isinstance(value, Mapping):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def nest_sections(options: Mapping[str, Any], schema: probatio.Schema) -> dict[str, Any]:
    """Saved (flat) options as the sectioned form's suggested values."""
    nested: dict[str, Any] = {}
    placed: set[str] = set()
    for marker, value in schema.schema.items():
        if isinstance(value, section):
            names = {str(k) for k in value.schema.schema}
            nested[str(marker)] = {k: v for k, v in options.items() if k in names}
            placed |= names
    nested.update({k: v for k, v in options.items() if k not in placed and k not in SECTIONS})
    return nested


def _budget_schema() -> dict[Any, Any]:
    """Call budget and timeout, common to both kinds of naming."""
    return {
        probatio.Required(
            CONF_LLM_MAX_CALLS, default=DEFAULT_LLM_MAX_CALLS
        ): _whole_number_box(0, 500),
        probatio.Required(
            CONF_LLM_DAILY_CALLS, default=DEFAULT_LLM_DAILY_CALLS
        ): _whole_number_box(0, 100_000),
        probatio.Required(
            CONF_LLM_TIMEOUT, default=DEFAULT_LLM_TIMEOUT
        ): _number_box(1, 300, 1, "s"),
    }


def naming_openai_schema() -> probatio.Schema:
    """Where the OpenAI-compatible endpoint is (Ollama, LocalAI, vLLM, a cloud service...)."""
    return probatio.Schema(
        {
            probatio.Required(CONF_LLM_BASE_URL): selector.TextSelector(
                selector.TextSelectorConfig(type=selector.TextSelectorType.URL)
            ),
            probatio.Required(CONF_LLM_MODEL, default=DEFAULT_LLM_MODEL): selector.TextSelector(),
            probatio.Optional(CONF_LLM_API_KEY): selector.TextSelector(
                selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
            ),
            **_budget_schema(),
        }
    )


def naming_agent_schema(language: str) -> probatio.Schema:
    """Which of the user's conversation agents names the sessions."""
    return probatio.Schema(
        {
            probatio.Required(CONF_NAMING_AGENT): selector.ConversationAgentSelector(
                selector.ConversationAgentSelectorConfig(language=language)
            ),
            **_budget_schema(),
        }
    )


# Options that belong to the naming steps (dropped when naming is switched off).
NAMING_KEYS = frozenset(
    {
        CONF_LLM_BASE_URL, CONF_LLM_MODEL, CONF_LLM_API_KEY, CONF_NAMING_AGENT,
        CONF_LLM_MAX_CALLS, CONF_LLM_DAILY_CALLS, CONF_LLM_TIMEOUT,
    }
)


class GalateaOptionsFlow(OptionsFlowWithReload):
    """Capture choices, retention and intervals, then (when chosen) where session names come
    from; the entry reloads when saved."""

    _capture: dict[str, Any]

    @property
    def _embedded(self) -> bool:
        """Naming is offered when HA runs the engine (the add-on has its own LLM settings)."""
        mode = self.config_entry.data.get(CONF_ENGINE_MODE, ENGINE_MODE_EMBEDDED)
        return bool(mode == ENGINE_MODE_EMBEDDED)

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        schema = options_schema(naming=self._embedded)
        if user_input is not None:
            flat = flatten_sections(user_input)
            errors = await async_validate_capture(self.hass, flat)
            if not errors:
                self._capture = clean_capture(
                    {k: v for k, v in flat.items() if k not in NAMING_KEYS}
                )
                mode = flat.get(CONF_NAMING, NAMING_OFF)
                if mode == NAMING_OPENAI:
                    return await self.async_step_naming_openai()
                if mode == NAMING_AGENT:
                    return await self.async_step_naming_agent()
                return self.async_create_entry(data=self._capture)
        current: Mapping[str, Any] = (
            flatten_sections(user_input) if user_input else self.config_entry.options
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                schema, nest_sections(current, schema)
            ),
            errors=errors,
            description_placeholders=options_placeholders(self.hass, self.config_entry),
        )

    def _naming_suggestions(self, mode: str) -> dict[str, Any]:
        """What is saved for this kind of naming (nothing when another kind was saved). The API
        key is never sent back to the browser."""
        saved = self.config_entry.options
        if saved.get(CONF_NAMING) != mode:
            return {}
        return {k: v for k, v in saved.items() if k in NAMING_KEYS and k != CONF_LLM_API_KEY}

    def _saved_key(self, base_url: str) -> str | None:
        """The saved API key, reused when the field is left empty for the same endpoint (a key
        is never sent to another URL than the one it was typed for)."""
        saved = self.config_entry.options
        if saved.get(CONF_NAMING) == NAMING_OPENAI and saved.get(CONF_LLM_BASE_URL) == base_url:
            key = saved.get(CONF_LLM_API_KEY)
            return str(key) if key else None
        return None

    async def async_step_naming_openai(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """An OpenAI-compatible endpoint; it must name a sample session before it is saved."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**self._capture, **user_input, CONF_NAMING: NAMING_OPENAI}
            data[CONF_LLM_BASE_URL] = str(data[CONF_LLM_BASE_URL]).strip().rstrip("/")
            if not str(data.get(CONF_LLM_API_KEY) or "").strip():
                data.pop(CONF_LLM_API_KEY, None)
                if key := self._saved_key(data[CONF_LLM_BASE_URL]):
                    data[CONF_LLM_API_KEY] = key
            error = await async_validate_endpoint(self.hass, NamingSettings.from_options(data))
            if error is None:
                return self.async_create_entry(data=data)
            field = {
                "llm_cannot_connect": CONF_LLM_BASE_URL,
                "llm_not_found": CONF_LLM_BASE_URL,
                "llm_invalid_auth": CONF_LLM_API_KEY,
            }.get(error, "base")
            errors[field] = error
        return self.async_show_form(
            step_id="naming_openai",
            data_schema=self.add_suggested_values_to_schema(
                naming_openai_schema(), user_input or self._naming_suggestions(NAMING_OPENAI)
            ),
            errors=errors,
        )

    async def async_step_naming_agent(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One of Home Assistant's conversation agents (an LLM one: the built-in agent only
        understands commands); it must name a sample session before it is saved."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**self._capture, **user_input, CONF_NAMING: NAMING_AGENT}
            error = await async_validate_agent(self.hass, NamingSettings.from_options(data))
            if error is None:
                return self.async_create_entry(data=data)
            errors[CONF_NAMING_AGENT] = error
        return self.async_show_form(
            step_id="naming_agent",
            data_schema=self.add_suggested_values_to_schema(
                naming_agent_schema(self.hass.config.language),
                user_input or self._naming_suggestions(NAMING_AGENT),
            ),
            errors=errors,
        )
