"""Runtime data of a Galatea config entry (``entry.runtime_data``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry

from .const import (
    CONF_BINARY_DEVICE_CLASSES,
    CONF_COMMIT_INTERVAL,
    CONF_DB_URL,
    CONF_DOMAINS,
    CONF_ENGINE_INTERVAL,
    CONF_EXCLUDE_ENTITIES,
    CONF_INCLUDE_ENTITIES,
    CONF_INCLUDE_NUMERIC_SENSORS,
    CONF_RETENTION_DAYS,
    DEFAULT_COMMIT_INTERVAL,
    DEFAULT_DB_FILE,
    DEFAULT_ENGINE_INTERVAL,
    DEFAULT_RETENTION_DAYS,
)
from .engine.capture.ha_events import (
    DEFAULT_BINARY_DEVICE_CLASSES,
    DEFAULT_DOMAINS,
    CaptureFilter,
    HAEventNormalizer,
)
from .naming_ha import NamingSettings

if TYPE_CHECKING:
    from .addon_client import AddonMonitor
    from .backend import EngineBackend
    from .backfill import Backfill
    from .capture import BusCapture
    from .coordinator import GalateaCoordinator
    from .digital import DigitalCounters
    from .engine.api import GalateaAPI
    from .engine.store import ActivityStore
    from .mqtt_capture import MqttCapture
    from .registry import HARegistry
    from .runner import EngineRunner

type GalateaConfigEntry = ConfigEntry[GalateaData]


def set_up[T](part: T | None, name: str) -> T:
    """A part of a running entry (``entry.runtime_data.<part>``); ``RuntimeError`` naming it
    while it is not set up."""
    if part is None:
        raise RuntimeError(f"Galatea's {name} is not set up")
    return part


def resolve_db_url(value: str | None, config_dir: str) -> str:
    """A SQLAlchemy URL from what the user typed: a URL, or a file path (relative to the
    HA config folder). Empty means ``galatea.db`` in the config folder."""
    text = (value or "").strip() or DEFAULT_DB_FILE
    if "://" in text:
        return text
    path = Path(text)
    if not path.is_absolute():
        path = Path(config_dir) / path
    return f"sqlite:///{path}"


@dataclass(frozen=True, slots=True)
class GalateaOptions:
    """The options flow's choices with their defaults filled in."""

    db_url: str
    domains: frozenset[str] = DEFAULT_DOMAINS
    binary_device_classes: frozenset[str] = DEFAULT_BINARY_DEVICE_CLASSES
    include_entities: frozenset[str] = frozenset()
    exclude_entities: frozenset[str] = frozenset()
    include_numeric_sensors: bool = False
    retention_days: int = DEFAULT_RETENTION_DAYS
    commit_interval: float = DEFAULT_COMMIT_INTERVAL
    engine_interval: int = DEFAULT_ENGINE_INTERVAL
    naming: NamingSettings = field(default_factory=NamingSettings)

    @classmethod
    def from_entry(
        cls, data: Mapping[str, Any], options: Mapping[str, Any], config_dir: str
    ) -> GalateaOptions:
        return cls(
            db_url=resolve_db_url(data.get(CONF_DB_URL), config_dir),
            domains=frozenset(options.get(CONF_DOMAINS, DEFAULT_DOMAINS)),
            binary_device_classes=frozenset(
                options.get(CONF_BINARY_DEVICE_CLASSES, DEFAULT_BINARY_DEVICE_CLASSES)
            ),
            include_entities=frozenset(options.get(CONF_INCLUDE_ENTITIES, ())),
            exclude_entities=frozenset(options.get(CONF_EXCLUDE_ENTITIES, ())),
            include_numeric_sensors=bool(options.get(CONF_INCLUDE_NUMERIC_SENSORS, False)),
            retention_days=int(options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS)),
            commit_interval=float(options.get(CONF_COMMIT_INTERVAL, DEFAULT_COMMIT_INTERVAL)),
            engine_interval=int(options.get(CONF_ENGINE_INTERVAL, DEFAULT_ENGINE_INTERVAL)),
            naming=NamingSettings.from_options(options),
        )

    def capture_filter(self) -> CaptureFilter:
        return CaptureFilter(
            domains=self.domains,
            binary_device_classes=self.binary_device_classes,
            include_entities=self.include_entities,
            exclude_entities=self.exclude_entities,
            include_numeric_sensors=self.include_numeric_sensors,
        )


@dataclass(slots=True)
class GalateaData:
    """Everything a running Galatea entry holds; nothing lives in ``hass.data``."""

    options: GalateaOptions
    store: ActivityStore
    registry: HARegistry
    normalizer: HAEventNormalizer
    runner: EngineRunner | None = None
    capture: BusCapture | None = None
    backfill: Backfill | None = None
    # How entities, actions, Assist and LLM tools reach the engine: the engine in this process
    # or the add-on, chosen once at set-up (``backend.async_setup_feature``).
    backend: EngineBackend | None = None
    # The engine's API in this process (same database in both modes): pure helpers (now, tz,
    # period_bounds, invalidate) and the store's own reads; engine operations go to ``backend``.
    api: GalateaAPI | None = None
    coordinator: GalateaCoordinator | None = None
    addon: AddonMonitor | None = None
    mqtt_capture: MqttCapture | None = None
    digital: DigitalCounters | None = None
    store_closed: bool = False
    unloads: list[Callable[[], Any]] = field(default_factory=list)
