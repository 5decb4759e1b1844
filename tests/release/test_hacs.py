"""HACS's and hassfest's checks that can run without GitHub, on this repository (see
``hacs_rules``), and proof that each check catches what it is about."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest

from . import hacs_rules as rules

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "custom_components" / "galatea"
MINIMUM_HA = "2026.11.0"  # README's "Install" section says the same


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((INTEGRATION / "manifest.json").read_text())
    return data


def test_hacs_json() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert rules.check_hacs_json(hacs) == []
    assert hacs["homeassistant"] == MINIMUM_HA
    assert hacs["name"] == manifest()["name"]
    assert f"Home Assistant {MINIMUM_HA}" in (ROOT / "README.md").read_text()


def test_repository_layout_readme_and_license() -> None:
    assert rules.check_repository(ROOT) == []
    assert rules.integration_dirs(ROOT) == [INTEGRATION]


def test_manifest_for_hacs_and_hassfest() -> None:
    assert rules.check_hacs_manifest(manifest()) == []
    assert rules.check_manifest(manifest(), INTEGRATION) == []


def test_brand_icons() -> None:
    assert rules.check_brand(INTEGRATION) == []
    assert rules.png_size(INTEGRATION / "brand" / "icon.png") == (256, 256)
    assert rules.png_size(INTEGRATION / "brand" / "icon@2x.png") == (512, 512)


def test_json_files_parse() -> None:
    assert rules.check_json_files(INTEGRATION) == []


def test_services_yaml() -> None:
    assert rules.check_services(INTEGRATION) == []


def test_translations() -> None:
    assert rules.check_translations(INTEGRATION) == []


def test_translations_have_no_unresolved_references() -> None:
    assert rules.unresolved_references(INTEGRATION) == []


def test_services_and_translations_agree() -> None:
    assert rules.check_services_translations(INTEGRATION) == []


def test_icons() -> None:
    assert rules.check_icons(INTEGRATION, manifest().get("integration_type", "hub")) == []


def test_config_flow() -> None:
    errors, notices = rules.check_config_flow(INTEGRATION, manifest())
    assert errors == []
    for notice in notices:  # hassfest's warnings for a custom integration: shown, not failed
        warnings.warn(f"hassfest would warn: {notice}", UserWarning, stacklevel=1)


def test_dependencies_declared() -> None:
    assert rules.check_dependencies(INTEGRATION, manifest()) == []


# Each rule catches what it is about.


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"homeassistant": "2026.11"}, "not a HA version"),
        ({"zip_release": True}, "filename is not set"),
        ({"render_readme": "yes"}, "render_readme"),
        ({"domains": ["sensor"]}, "'domains'"),
    ],
)
def test_hacs_json_rules(patch: dict[str, Any], expected: str) -> None:
    hacs = {**json.loads((ROOT / "hacs.json").read_text()), **patch}
    assert any(expected in p for p in rules.check_hacs_json(hacs))


@pytest.mark.parametrize(
    ("patch", "drop", "expected"),
    [
        ({"homeassistant": "2026.11.0"}, None, "'homeassistant'"),
        ({"iot_class": "local"}, None, "iot_class"),
        ({"integration_type": "virtual"}, None, "integration_type"),
        ({"version": "one"}, None, "not a valid version"),
        ({}, "version", "No 'version' key"),
        ({}, "iot_class", "missing an IoT Class"),
        ({"requirements": ["numpy>=2"]}, None, "not pinned"),
        ({"requirements": ["numpy == 2.3.2"]}, None, "contains a space"),
        ({"documentation": "https://www.home-assistant.io/integrations/galatea"}, None,
         "custom integration documentation"),
        ({"dependencies": ["no_such_integration"]}, None, "not a Home Assistant integration"),
        ({"domain": "demo"}, None, "Domain does not match"),
        ({"codeowners": ["galatea-home"]}, None, "start with @"),
    ],
)
def test_manifest_rules(patch: dict[str, Any], drop: str | None, expected: str) -> None:
    data = {**manifest(), **patch}
    if drop:
        del data[drop]
    assert any(expected in p for p in rules.check_manifest(data, INTEGRATION))


def test_manifest_key_order_rule() -> None:
    data = manifest()
    reordered = {"name": data["name"], **{k: v for k, v in data.items() if k != "name"}}
    assert any("sorted" in p for p in rules.check_manifest(reordered, INTEGRATION))


def test_hacs_manifest_rule() -> None:
    data = {k: v for k, v in manifest().items() if k != "issue_tracker"}
    assert any("issue_tracker" in p for p in rules.check_hacs_manifest(data))


@pytest.fixture
def integration_copy(tmp_path: Path) -> Path:
    target = tmp_path / "custom_components" / "galatea"
    shutil.copytree(INTEGRATION, target, ignore=shutil.ignore_patterns("__pycache__", "engine"))
    return target


def test_brand_rules(integration_copy: Path) -> None:
    brand = integration_copy / "brand"
    shutil.copy2(brand / "icon.png", brand / "icon@2x.png")
    (brand / "banner.png").write_bytes((brand / "icon.png").read_bytes())
    problems = rules.check_brand(integration_copy)
    assert any("icon@2x.png: 256x256, expected 512x512" in p for p in problems)
    assert any("banner.png: not an image HA serves" in p for p in problems)
    (brand / "icon.png").unlink()
    assert any("icon.png is missing" in p for p in rules.check_brand(integration_copy))


def test_repository_rules(tmp_path: Path) -> None:
    (tmp_path / "custom_components" / "a").mkdir(parents=True)
    (tmp_path / "custom_components" / "b").mkdir()
    (tmp_path / "LICENSE").write_text("MIT License\n")
    problems = rules.check_repository(tmp_path)
    assert any("no information file" in p for p in problems)
    assert any("no hacs.json" in p for p in problems)
    assert any("exactly one integration" in p for p in problems)
    assert any("not the Apache License" in p for p in problems)


def _edit_json(path: Path, edit: Any) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def test_services_rules(integration_copy: Path) -> None:
    services = integration_copy / "services.yaml"
    services.write_text(services.read_text() + "\nBad-Name:\n  fields: {}\n")
    assert any("services.yaml" in p for p in rules.check_services(integration_copy))
    services.write_text("remember:\n  fields:\n    text:\n      selector:\n        no_such: {}\n")
    assert any("services.yaml" in p for p in rules.check_services(integration_copy))
    services.unlink()
    assert rules.check_services(integration_copy) == [
        "Registers services but has no services.yaml"]


def test_service_translation_rules(integration_copy: Path) -> None:
    en = integration_copy / "translations" / "en.json"
    _edit_json(en, lambda d: d["services"].pop("remember"))
    _edit_json(en, lambda d: d["services"].update(
        {"vanish": {"name": "Vanish", "description": "Gone."}}))
    _edit_json(integration_copy / "icons.json", lambda d: d["services"].pop("forget"))
    problems = rules.check_services_translations(integration_copy)
    assert any("service remember has no name" in p for p in problems)
    assert any("names service vanish" in p for p in problems)
    assert any("service forget has no icon" in p for p in problems)


def test_translation_rules(integration_copy: Path) -> None:
    en = integration_copy / "translations" / "en.json"
    _edit_json(en, lambda d: d["services"]["remember"].update({"name": " Remember"}))
    problems = rules.check_translations(integration_copy)
    assert any("leading or trailing spaces" in p for p in problems)
    assert any("strings.json and translations/en.json differ" in p for p in problems)
    _edit_json(en, lambda d: d.update({"exceptions": {"x": {"message": "[%key:common::y%]"}}}))
    assert any("exceptions.x.message" in p for p in rules.unresolved_references(integration_copy))
    _edit_json(en, lambda d: d.update({"surprise": {}}))
    assert any("'surprise'" in p for p in rules.check_translations(integration_copy))


def test_icon_rules(integration_copy: Path) -> None:
    icons = integration_copy / "icons.json"
    _edit_json(icons, lambda d: d["services"]["forget"].update({"service": "trash"}))
    _edit_json(icons, lambda d: d["entity"]["sensor"].update({"ghost": {"default": "mdi:ghost"}}))
    problems = rules.check_icons(integration_copy, "service")
    assert any("mdi:" in p for p in problems)
    assert any("entity.sensor.ghost has no translation" in p for p in problems)


def test_config_flow_rules(integration_copy: Path) -> None:
    flow = integration_copy / "config_flow.py"
    flow.write_text("class Flow:\n    async def async_step_hassio(self, info):\n        pass\n")
    errors, notices = rules.check_config_flow(integration_copy, manifest())
    assert errors == []
    assert notices == ["Config flows that are discoverable need to set a unique ID"]
    flow.unlink()
    errors, _ = rules.check_config_flow(integration_copy, manifest())
    assert errors == ["Config flows need to be defined in the file config_flow.py"]


def test_dependency_rule(integration_copy: Path) -> None:
    (integration_copy / "extra.py").write_text(
        "from homeassistant.components.zwave_js import const\n"
        "from homeassistant.components import sensor\n")
    problems = rules.check_dependencies(integration_copy, manifest())
    assert len(problems) == 1
    assert "zwave_js" in problems[0]
