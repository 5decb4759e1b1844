"""The add-on's Supervisor files follow the Supervisor's rules (see ``supervisor_rules``)."""

from __future__ import annotations

import json
import os
import re
import struct
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from . import supervisor_rules as rules

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "addon"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return _yaml(ADDON / "config.yaml")


def test_config_yaml_is_valid(config: dict[str, Any]) -> None:
    assert rules.check_app_config(config) == []


def test_config_yaml_passes_the_addon_linter(config: dict[str, Any]) -> None:
    assert rules.check_addon_lint(config) == []


def test_config_declares_what_galatea_needs(config: dict[str, Any]) -> None:
    assert config["slug"] == "galatea"
    assert set(config["arch"]) == {"aarch64", "amd64"}
    assert config["ingress"] is True
    assert rules._port(config.get("ingress_port", 8099))
    # The Supervisor pulls the image the release workflow published; it never builds it.
    assert config["image"] == "ghcr.io/galatea-home/galatea-addon"
    assert config["homeassistant_api"] is True
    assert "homeassistant_config:rw" in config["map"]  # shares galatea.db with the integration
    assert config["services"] == ["mqtt:want"]
    assert config["discovery"] == ["galatea"]
    assert config["init"] is False  # the base image's s6-overlay is PID 1
    assert config["panel_icon"].startswith("mdi:")
    schema = config["schema"]
    assert schema["llm_api_key"].startswith("password")
    for key in ("log_level", "llm_endpoint", "llm_model", "embedding_endpoint",
                "engine_interval", "nightly_hour", "database_url", "max_memory_mb"):
        assert key in schema


def test_versions_agree(config: dict[str, Any]) -> None:
    """One version everywhere (scripts/release bumps them together); the image build gets it as
    BUILD_VERSION from the Supervisor or the builder, so the Dockerfile carries none."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    manifest = json.loads((ROOT / "custom_components" / "galatea" / "manifest.json").read_text())
    init = (ADDON / "galatea_addon" / "__init__.py").read_text(encoding="utf-8")
    version = config["version"]
    assert pyproject["project"]["version"] == version
    assert manifest["version"] == version
    assert f'__version__ = "{version}"' in init
    assert "## " + version in (ADDON / "CHANGELOG.md").read_text(encoding="utf-8")


def test_no_build_yaml() -> None:
    """The Supervisor deprecated build.yaml ("move build parameters into the Dockerfile")."""
    assert not [p.name for p in ADDON.glob("build.*")]


def test_dockerfile_shape() -> None:
    """The base image is named in the Dockerfile (current HA Python 3.14 image); what the image
    installs is tested in tests/release/test_addon_image.py."""
    text = (ADDON / "Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"^ARG BUILD_FROM=(\S+)$", text, re.M)
    assert base, "the Dockerfile names its base image"
    assert rules.RE_DOCKER_IMAGE_BUILD.match(base.group(1))
    assert re.fullmatch(r"ghcr\.io/home-assistant/base-python:3\.14-alpine3\.\d+", base.group(1))
    assert re.search(r"^FROM \$\{?BUILD_FROM\}?$", text, re.M)
    assert "../" not in text  # the build context is one folder: nothing outside it can be copied
    run = ADDON / "rootfs" / "etc" / "services.d" / "galatea" / "run"
    assert os.access(run, os.X_OK)
    assert "python3 -m galatea_addon" in run.read_text(encoding="utf-8")


def test_translations_cover_every_option(config: dict[str, Any]) -> None:
    assert rules.check_translations(_yaml(ADDON / "translations" / "en.yaml"),
                                    config["schema"]) == []


def test_apparmor_profile_is_named_after_the_slug(config: dict[str, Any]) -> None:
    names = re.findall(r"^profile ([^ ]+).*$", (ADDON / "apparmor.txt").read_text(), re.M)
    assert names == [config["slug"]]


@pytest.mark.parametrize(("name", "min_size"), [("icon.png", 96), ("logo.png", 96)])
def test_images_are_pngs(name: str, min_size: int) -> None:
    data = (ADDON / name).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= min_size
    assert height >= min_size


def test_repository_yaml() -> None:
    repo = _yaml(ROOT / "repository.yaml")
    assert isinstance(repo["name"], str)
    assert repo["name"]
    assert repo["url"].startswith("https://")
    assert "maintainer" in repo


def test_only_one_addon_in_the_repository() -> None:
    """The Supervisor treats every ``config.{yaml,yml,json}`` in the repository (outside dot
    folders and rootfs) as an add-on: a stray one would show up broken in the store."""
    found = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in
                       ("rootfs", "node_modules", "__pycache__", "run")]
        found += [Path(dirpath, f).relative_to(ROOT) for f in filenames
                  if f.rsplit(".", 1)[0] == "config" and f.rsplit(".", 1)[-1] in
                  ("yaml", "yml", "json")]
    assert found == [Path("addon/config.yaml")]


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"arch": ["amd64", "sparc"]}, "unknown architecture"),
        ({"arch": ["armv7"]}, "deprecated"),
        ({"map": ["homeassistant_config:rx"]}, "not a valid mapping"),
        ({"map": ["config:rw"]}, "deprecated"),
        ({"services": ["mqtt:wanted"]}, "mqtt:want"),
        ({"ingress_port": 70000}, "ingress_port"),
        ({"slug": "gala tea"}, "slug"),
        ({"version": 1.0}, "quote"),
        ({"init": "no"}, "init"),
        ({"startup": "later"}, "startup"),
        ({"homeassistant_api": "yes"}, "homeassistant_api"),
        ({"options": {"log_level": "loud"}}, "not one of"),
        ({"options": {"engine_interval": 0}}, "out of range"),
        ({"options": {"llm_endpoint": ""}}, "not a URL"),
        ({"options": {"surprise": 1}}, "no schema entry"),
        ({"schema": {"log_level": "lst(a|b)"}}, "unknown schema type"),
        ({"discovery": "galatea"}, "list of strings"),
        ({"panel_icon": 3}, "panel_icon"),
        ({"ingres": True}, "unknown keys"),
        ({"image": "ghcr.io/galatea-home/galatea-addon:0.1.0"}, "tag"),
        ({"image": "GHCR.io/galatea-home/galatea-addon"}, "registry"),
        ({"image": "ghcr.io/galatea-home/Galatea"}, "path component"),
    ],
)
def test_validator_catches_mistakes(config: dict[str, Any], patch: dict[str, Any],
                                    expected: str) -> None:
    """The re-implemented rules are not a rubber stamp: each mistake is reported."""
    broken = {**config, **patch}
    if "options" in patch:
        broken["options"] = {**config["options"], **patch["options"]}
    problems = rules.check_app_config(broken)
    assert any(expected in p for p in problems), problems


def test_missing_required_option_is_reported(config: dict[str, Any]) -> None:
    options = dict(config["options"])
    del options["nightly_hour"]
    problems = rules.check_app_config({**config, "options": options})
    assert any("nightly_hour" in p for p in problems)
    options = dict(config["options"])
    options.pop("database_url", None)  # optional: may be absent
    assert rules.check_app_config({**config, "options": options}) == []


def test_build_validator_catches_missing_arch(config: dict[str, Any]) -> None:
    build = {"build_from": {"amd64": "ghcr.io/home-assistant/base-python:3.14-alpine3.24"}}
    assert any("aarch64" in p for p in rules.check_build_config(build, config["arch"]))


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"startup": "application"}, "'startup' should be removed"),
        ({"boot": "auto"}, "'boot' should be removed"),
        ({"ingress_port": 8099}, "'ingress_port' should be removed"),
        ({"backup": "hot"}, "'backup' should be removed"),
        ({"init": True}, "'init' should be removed"),
        ({"webui": "http://[HOST]:[PORT:8099]/"}, "'webui' should be removed"),
        ({"watchdog": "tcp://[HOST]:[PORT:8099]"}, "obsolete"),
    ],
)
def test_addon_linter_rules_catch_mistakes(config: dict[str, Any], patch: dict[str, Any],
                                           expected: str) -> None:
    problems = rules.check_addon_lint({**config, **patch})
    assert any(expected in p for p in problems), problems
