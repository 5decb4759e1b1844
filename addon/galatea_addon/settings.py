"""What the Supervisor hands the add-on: ``/data/options.json``, ``SUPERVISOR_TOKEN`` and the
well-known URLs. Every path and URL can be overridden by environment variables so the service
also runs as a plain process (tests, benchmarks, development)."""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOG_LEVELS = {
    "trace": "DEBUG", "debug": "DEBUG", "info": "INFO", "notice": "INFO",
    "warning": "WARNING", "error": "ERROR", "fatal": "CRITICAL",
}
INGRESS_PROXY_IP = "172.30.32.2"  # the Supervisor's ingress proxy (Supervisor docs)


class OptionsError(ValueError):
    """options.json does not fit the add-on's schema; the message names the option."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Options + environment, validated once at start."""

    log_level: str = "INFO"
    engine_interval_min: float = 5.0
    nightly_hour: int = 3
    llm_endpoint: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    embedding_endpoint: str | None = None
    embedding_model: str | None = None
    database_url: str = "sqlite:////homeassistant/galatea.db"
    time_zone: str | None = None
    max_memory_mb: int = 256
    max_threads: int = 2
    # Environment (Supervisor-provided or overridden)
    supervisor_token: str | None = None
    supervisor_url: str = "http://supervisor"
    ha_url: str = "http://supervisor/core"
    data_dir: Path = Path("/data")
    host: str = "0.0.0.0"
    port: int = 8099
    announce_host: str = "local-galatea"
    ingress_proxy_ip: str = INGRESS_PROXY_IP
    discovery: bool = True
    engine_isolated: bool = True  # each engine run in a short-lived child process


def _opt_str(options: dict[str, Any], key: str) -> str | None:
    value = options.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise OptionsError(f"{key}: must be a string")
    return value.strip() or None


def _opt_int(options: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise OptionsError(f"{key}: must be an integer")
    if not lo <= int(value) <= hi:
        raise OptionsError(f"{key}: must be between {lo} and {hi}")
    return int(value)


def _database_url(value: str | None, config_dir: Path) -> str:
    """Same rule as the integration: a URL, or a file path relative to HA's config folder."""
    text = value or "galatea.db"
    if "://" in text:
        return text
    path = Path(text)
    if not path.is_absolute():
        path = config_dir / path
    return f"sqlite:///{path}"


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the options file named by ``GALATEA_OPTIONS`` (default ``/data/options.json``)."""
    env = dict(os.environ if env is None else env)
    options_path = Path(env.get("GALATEA_OPTIONS", "/data/options.json"))
    try:
        options = json.loads(options_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        options = {}
    except (OSError, ValueError) as err:
        raise OptionsError(f"{options_path}: {err}") from err
    if not isinstance(options, dict):
        raise OptionsError(f"{options_path}: must hold a JSON object")
    level = options.get("log_level", "info")
    if level not in LOG_LEVELS:
        raise OptionsError(f"log_level: must be one of {sorted(LOG_LEVELS)}")
    config_dir = Path(env.get("GALATEA_CONFIG_DIR", "/homeassistant"))
    return Settings(
        log_level=LOG_LEVELS[level],
        engine_interval_min=float(
            env.get("GALATEA_ENGINE_INTERVAL_MIN")
            or _opt_int(options, "engine_interval", 5, 1, 1440)
        ),
        nightly_hour=_opt_int(options, "nightly_hour", 3, 0, 23),
        llm_endpoint=_opt_str(options, "llm_endpoint"),
        llm_model=_opt_str(options, "llm_model"),
        llm_api_key=_opt_str(options, "llm_api_key"),
        embedding_endpoint=_opt_str(options, "embedding_endpoint"),
        embedding_model=_opt_str(options, "embedding_model"),
        database_url=_database_url(_opt_str(options, "database_url"), config_dir),
        time_zone=_opt_str(options, "time_zone"),
        max_memory_mb=_opt_int(options, "max_memory_mb", 256, 64, 4096),
        max_threads=_opt_int(options, "max_threads", 2, 1, 8),
        supervisor_token=env.get("SUPERVISOR_TOKEN") or env.get("HASSIO_TOKEN") or None,
        supervisor_url=env.get("GALATEA_SUPERVISOR_URL", "http://supervisor").rstrip("/"),
        ha_url=env.get("GALATEA_HA_URL", "http://supervisor/core").rstrip("/"),
        data_dir=Path(env.get("GALATEA_DATA_DIR", "/data")),
        host=env.get("GALATEA_HOST", "0.0.0.0"),
        port=int(env.get("GALATEA_PORT", "8099")),
        announce_host=env.get("GALATEA_ANNOUNCE_HOST") or socket.gethostname(),
        ingress_proxy_ip=env.get("GALATEA_INGRESS_PROXY", INGRESS_PROXY_IP),
        discovery=env.get("GALATEA_DISCOVERY", "1") != "0",
        engine_isolated=env.get("GALATEA_ENGINE_IN_PROCESS", "0") != "1",
    )


def api_token(data_dir: Path) -> str:
    """The shared secret the integration learns through discovery; kept across restarts so a
    configured integration keeps working."""
    path = data_dir / "api_token"
    try:
        token = path.read_text(encoding="utf-8").strip()
        if len(token) >= 32:
            return token
    except OSError:
        pass
    token = secrets.token_urlsafe(32)
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(token, encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return token
