"""Options and environment -> settings; the API token; the optional embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from galatea_addon.service import _safe_url, make_embedder
from galatea_addon.settings import OptionsError, api_token, load_settings


def _env(tmp_path: Path, options: dict[str, object], **extra: str) -> dict[str, str]:
    path = tmp_path / "options.json"
    path.write_text(json.dumps(options))
    return {"GALATEA_OPTIONS": str(path), "GALATEA_CONFIG_DIR": "/homeassistant", **extra}


def test_defaults_match_the_supervisor_environment(tmp_path: Path) -> None:
    s = load_settings(_env(tmp_path, {"log_level": "notice"}, SUPERVISOR_TOKEN="abc"))
    assert s.database_url == "sqlite:////homeassistant/galatea.db"  # shared with HA
    assert s.supervisor_url == "http://supervisor"
    assert s.ha_url == "http://supervisor/core"
    assert s.ingress_proxy_ip == "172.30.32.2"
    assert s.supervisor_token == "abc"
    assert s.log_level == "INFO"
    assert s.engine_interval_min == 5
    assert s.port == 8099
    assert s.engine_isolated  # engine runs in short-lived child processes


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("galatea.db", "sqlite:////homeassistant/galatea.db"),
        ("data/other.db", "sqlite:////homeassistant/data/other.db"),
        ("/share/galatea.db", "sqlite:////share/galatea.db"),
        ("postgresql+psycopg://u:p@db/galatea", "postgresql+psycopg://u:p@db/galatea"),
    ],
)
def test_database_url_follows_the_integration_rule(tmp_path: Path, value: str, url: str) -> None:
    assert load_settings(_env(tmp_path, {"database_url": value})).database_url == url


def test_missing_options_file_means_defaults(tmp_path: Path) -> None:
    s = load_settings({"GALATEA_OPTIONS": str(tmp_path / "nope.json")})
    assert s.nightly_hour == 3


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"log_level": "loud"}, "log_level"),
        ({"nightly_hour": 24}, "nightly_hour"),
        ({"max_memory_mb": True}, "max_memory_mb"),
        ({"llm_model": 3}, "llm_model"),
    ],
)
def test_bad_options_name_the_option(tmp_path: Path, options: dict[str, object],
                                     field: str) -> None:
    with pytest.raises(OptionsError, match=field):
        load_settings(_env(tmp_path, options))


def test_broken_options_file(tmp_path: Path) -> None:
    (tmp_path / "options.json").write_text("{oops")
    with pytest.raises(OptionsError):
        load_settings({"GALATEA_OPTIONS": str(tmp_path / "options.json")})


def test_api_token_is_created_once_and_private(tmp_path: Path) -> None:
    token = api_token(tmp_path / "data")
    assert len(token) >= 32
    assert api_token(tmp_path / "data") == token
    assert (tmp_path / "data" / "api_token").stat().st_mode & 0o077 == 0


def test_embedder_only_with_an_endpoint(tmp_path: Path) -> None:
    assert make_embedder(load_settings(_env(tmp_path, {}))) is None
    s = load_settings(_env(tmp_path, {"embedding_endpoint": "http://127.0.0.1:9/v1",
                                      "embedding_model": "nomic-embed-text"}))
    embedder = make_embedder(s)
    assert embedder is not None
    assert embedder.name == "openai:nomic-embed-text"


def test_database_password_is_not_logged() -> None:
    assert _safe_url("postgresql+psycopg://galatea:secret@db:5432/galatea") == (
        "postgresql+psycopg://galatea:***@db:5432/galatea")
    assert _safe_url("sqlite:////homeassistant/galatea.db") == "sqlite:////homeassistant/galatea.db"
