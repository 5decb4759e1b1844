"""Constants shared by the Galatea integration's modules."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "galatea"
LOGGER = logging.getLogger(__package__)

# Config entry data (set by the user step / reconfigure).
CONF_DB_URL: Final = "db_url"
CONF_BACKFILL: Final = "backfill"
DEFAULT_DB_FILE: Final = "galatea.db"

# Options (options flow).
CONF_DOMAINS: Final = "domains"
CONF_BINARY_DEVICE_CLASSES: Final = "binary_device_classes"
CONF_INCLUDE_ENTITIES: Final = "include_entities"
CONF_EXCLUDE_ENTITIES: Final = "exclude_entities"
CONF_INCLUDE_NUMERIC_SENSORS: Final = "include_numeric_sensors"
CONF_RETENTION_DAYS: Final = "retention_days"
CONF_COMMIT_INTERVAL: Final = "commit_interval"
CONF_ENGINE_INTERVAL: Final = "engine_interval"

DEFAULT_RETENTION_DAYS: Final = 365  # 0 keeps activity forever
DEFAULT_COMMIT_INTERVAL: Final = 1.0  # seconds between batched commits
DEFAULT_ENGINE_INTERVAL: Final = 5  # minutes between incremental engine runs
NIGHTLY_FULL_RUN: Final = (3, 30)  # local time of the nightly full re-mine

# Dispatcher signals (format with the config entry id).
SIGNAL_ENGINE_UPDATED: Final = "galatea_engine_updated_{}"
SIGNAL_BACKFILL_PROGRESS: Final = "galatea_backfill_progress_{}"

# Events Galatea fires on the HA bus.
EVENT_ROUTINE_LEARNED: Final = "galatea_routine_learned"
EVENT_ROUTINE_CHANGED: Final = "galatea_routine_changed"
EVENT_ROUTINE_DEVIATION: Final = "galatea_routine_deviation"

# Repair issue ids.
ISSUE_DATABASE_CORRUPT: Final = "database_corrupt"

# Where the engine runs: "embedded" (in HA's executor, default) or "addon" (remote backend;
# the embedded runner then stays off).
CONF_ENGINE_MODE: Final = "engine_mode"
ENGINE_MODE_EMBEDDED: Final = "embedded"
ENGINE_MODE_ADDON: Final = "addon"
# Add-on mode: where the add-on's API answers and the token it announced (Supervisor discovery).
CONF_ADDON_URL: Final = "addon_url"
CONF_ADDON_TOKEN: Final = "addon_token"
ISSUE_ADDON_UNAVAILABLE: Final = "addon_unavailable"

# Frigate capture over MQTT and digital activity (options; webhook id in entry data).
CONF_FRIGATE_ENABLED: Final = "frigate_enabled"
CONF_FRIGATE_PREFIX: Final = "frigate_prefix"
CONF_FRIGATE_CAMERAS: Final = "frigate_cameras"
CONF_FRIGATE_MIN_SCORE: Final = "frigate_min_score"
CONF_FRIGATE_URL: Final = "frigate_url"
CONF_WEBHOOK_ID: Final = "webhook_id"
CONF_WEBHOOK_REMOTE: Final = "webhook_remote"  # allow callers outside the local network
DEFAULT_FRIGATE_PREFIX: Final = "frigate"
DIGITAL_TOPIC: Final = "galatea/activity"
ISSUE_MQTT_MISSING: Final = "mqtt_missing"

# Session naming by an LLM (options). Off by default: nothing leaves the home.
CONF_NAMING: Final = "naming"
NAMING_OFF: Final = "off"
NAMING_OPENAI: Final = "openai"  # an OpenAI-compatible chat-completions endpoint
NAMING_AGENT: Final = "agent"  # one of the user's Home Assistant conversation agents
CONF_LLM_BASE_URL: Final = "llm_base_url"
CONF_LLM_MODEL: Final = "llm_model"
CONF_LLM_API_KEY: Final = "llm_api_key"
CONF_NAMING_AGENT: Final = "naming_agent"
CONF_LLM_MAX_CALLS: Final = "llm_max_calls"  # per engine run
CONF_LLM_DAILY_CALLS: Final = "llm_daily_calls"  # per local day, across runs and restarts
CONF_LLM_TIMEOUT: Final = "llm_timeout_s"
DEFAULT_LLM_MODEL: Final = "gpt-4o-mini"
DEFAULT_LLM_MAX_CALLS: Final = 20
DEFAULT_LLM_DAILY_CALLS: Final = 200
DEFAULT_LLM_TIMEOUT: Final = 20.0
# Installed only when the endpoint choice is made (HA installs it like a manifest requirement).
