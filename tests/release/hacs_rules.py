"""The checks HACS's action and hassfest run on this repository, reproduced where they need no
GitHub. HACS's checks that ask GitHub's API (description, topics, issues enabled, archived) cannot
run here, nor can GitHub's own license detection: here LICENSE must be the Apache-2.0 text exactly.

Written from reading hacs/integration (custom_components/hacs/validate/*.py; utils/validate.py:
HACS_MANIFEST_JSON_SCHEMA, INTEGRATION_MANIFEST_JSON_SCHEMA; repositories/integration.py: where
HACS finds the integration) and home-assistant/core's script/hassfest: manifest.py
(CUSTOM_INTEGRATION_MANIFEST_SCHEMA, key order, version, IoT class), requirements.py, json.py,
services.py (CUSTOM_INTEGRATION_SERVICES_SCHEMA), translations.py (gen_strings_schema, run on
strings.json and translations/en.json for custom integrations), icons.py, config_flow.py and
dependencies.py (ImportCollector, ALLOWED_USED_COMPONENTS). The validators hassfest borrows from
Home Assistant (config validation, selectors) come from the installed Home Assistant, as in
hassfest; the schema library is the one HA uses (probatio). Each check returns its problems.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import struct
from pathlib import Path
from typing import Any

import homeassistant.components as ha_components
import homeassistant.helpers.config_validation as cv
import probatio as vol
from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.components.brands.const import ALLOWED_IMAGES
from homeassistant.const import Platform
from homeassistant.helpers import selector
from homeassistant.requirements import DISCOVERY_INTEGRATIONS
from homeassistant.util.yaml import load_yaml_dict
from probatio.humanize import humanize_error

CORE_COMPONENTS = Path(ha_components.__path__[0])
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def _invalid(schema: Any, data: Any, where: str) -> list[str]:
    try:
        schema(data)
    except vol.Invalid as err:
        return [f"{where}: {humanize_error(data, err)}"]
    return []


# --- HACS -----------------------------------------------------------------------------------

HACS_JSON_SCHEMA = vol.Schema(
    {
        vol.Optional("content_in_root"): bool,
        vol.Optional("country"): vol.Any(str, [str]),
        vol.Optional("filename"): str,
        vol.Optional("hacs"): str,
        vol.Optional("hide_default_branch"): bool,
        vol.Optional("homeassistant"): str,
        vol.Optional("persistent_directory"): str,
        vol.Optional("render_readme"): bool,
        vol.Optional("zip_release"): bool,
        vol.Required("name"): str,
    },
    extra=vol.PREVENT_EXTRA,
)

HACS_INTEGRATION_MANIFEST_SCHEMA = vol.Schema(
    {
        vol.Required("codeowners"): list,
        vol.Required("documentation"): cv.url,
        vol.Required("domain"): str,
        vol.Required("issue_tracker"): cv.url,
        vol.Required("name"): str,
        vol.Required("version"): vol.Coerce(AwesomeVersion),
    },
    extra=vol.ALLOW_EXTRA,
)


def check_hacs_json(data: Any) -> list[str]:
    """hacsjson.py: the schema, zip_release needs filename; a minimum HA version that parses."""
    problems = _invalid(HACS_JSON_SCHEMA, data, "hacs.json")
    if problems:
        return problems
    if data.get("zip_release") and not data.get("filename"):
        problems.append("hacs.json: zip_release is True, but filename is not set")
    if "homeassistant" in data and not re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", data["homeassistant"]):
        problems.append(f"hacs.json: homeassistant {data['homeassistant']!r} is not a HA version")
    return problems


def integration_dirs(root: Path) -> list[Path]:
    """repositories/integration.py: HACS installs the first directory under custom_components."""
    return sorted(p for p in (root / "custom_components").iterdir()
                  if p.is_dir() and p.name != "__pycache__")


def check_repository(root: Path) -> list[str]:
    """information.py (a README), hacsjson.py (a hacs.json), the integration's place, license."""
    problems = []
    if not any((root / name).is_file() for name in ("README.md", "README", "info.md", "info")):
        problems.append("the repository has no information file (README)")
    if not (root / "hacs.json").is_file():
        problems.append("the repository has no hacs.json")
    dirs = integration_dirs(root)
    if len(dirs) != 1:
        problems.append(f"custom_components/ must hold exactly one integration, found "
                        f"{[d.name for d in dirs]}")
    elif not (dirs[0] / "manifest.json").is_file():
        problems.append(f"{dirs[0].name}/ has no manifest.json")
    license_file = root / "LICENSE"
    if not license_file.is_file():
        problems.append("the repository has no license (LICENSE)")
    else:
        digest = hashlib.sha256(license_file.read_bytes()).hexdigest()
        if digest != APACHE_2_SHA256:
            problems.append("LICENSE is not the Apache License 2.0 text (GitHub would not "
                            "identify it as Apache-2.0)")
    return problems


def check_hacs_manifest(manifest: Any) -> list[str]:
    """integration_manifest.py."""
    return _invalid(HACS_INTEGRATION_MANIFEST_SCHEMA, manifest, "manifest.json (HACS)")


def png_size(path: Path) -> tuple[int, int] | None:
    data = path.read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def check_brand(integration: Path) -> list[str]:
    """brands.py: ``brand/icon.png`` in the integration. The image rules are HA's brands
    repository's: PNG, icons square, icon 256x256 and icon@2x 512x512 (dark_ the same); only
    the names HA serves (``homeassistant.components.brands.const.ALLOWED_IMAGES``)."""
    brand = integration / "brand"
    if not (brand / "icon.png").is_file():
        return [f"{integration.name}/brand/icon.png is missing (HACS's brands check)"]
    problems = []
    sizes = {"icon.png": 256, "icon@2x.png": 512, "dark_icon.png": 256, "dark_icon@2x.png": 512}
    for path in sorted(brand.iterdir()):
        if path.name not in ALLOWED_IMAGES:
            problems.append(f"brand/{path.name}: not an image HA serves ({sorted(ALLOWED_IMAGES)})")
            continue
        size = png_size(path)
        if size is None:
            problems.append(f"brand/{path.name}: not a PNG")
        elif path.name in sizes and size != (sizes[path.name], sizes[path.name]):
            problems.append(f"brand/{path.name}: {size[0]}x{size[1]}, expected "
                            f"{sizes[path.name]}x{sizes[path.name]}")
        elif path.name.startswith(("logo", "dark_logo")) and min(size) < 128:
            problems.append(f"brand/{path.name}: the shortest side must be at least 128")
    return problems


# --- hassfest: manifest ---------------------------------------------------------------------

SUPPORTED_IOT_CLASSES = ["assumed_state", "calculated", "cloud_polling", "cloud_push",
                         "local_polling", "local_push"]
INTEGRATION_TYPES = ["device", "entity", "hardware", "helper", "hub", "service", "system"]
CORE_DOCUMENTATION_BASE = "https://www.home-assistant.io/integrations"


def verify_version(value: str) -> str:
    try:
        AwesomeVersion(value, ensure_strategy=[
            AwesomeVersionStrategy.CALVER, AwesomeVersionStrategy.SEMVER,
            AwesomeVersionStrategy.SIMPLEVER, AwesomeVersionStrategy.BUILDVER,
            AwesomeVersionStrategy.PEP440])
    except Exception as err:
        raise vol.Invalid(f"'{value}' is not a valid version.") from err
    return value


def custom_documentation_url(value: str) -> str:
    if not value.startswith("https://"):
        raise vol.Invalid("Documentation url is not prefixed with https")
    if value.startswith(CORE_DOCUMENTATION_BASE):
        raise vol.Invalid("Documentation URL should point to the custom integration documentation")
    return value


CUSTOM_INTEGRATION_MANIFEST_SCHEMA = vol.Schema(
    {
        vol.Required("domain"): str,
        vol.Required("name"): str,
        vol.Optional("integration_type", default="hub"): vol.In(INTEGRATION_TYPES),
        vol.Optional("config_flow"): bool,
        vol.Optional("mqtt"): [str],
        vol.Optional("zeroconf"): list,
        vol.Optional("ssdp"): list,
        vol.Optional("bluetooth"): list,
        vol.Optional("homekit"): dict,
        vol.Optional("dhcp"): list,
        vol.Optional("usb"): list,
        vol.Required("documentation"): vol.All(vol.Url(), custom_documentation_url),
        vol.Optional("quality_scale"): vol.In(
            ["bronze", "silver", "gold", "platinum", "custom", "no_score", "internal", "legacy"]),
        vol.Optional("requirements"): [str],
        vol.Optional("dependencies"): [str],
        vol.Optional("after_dependencies"): [str],
        vol.Required("codeowners"): [str],
        vol.Optional("loggers"): [str],
        vol.Optional("disabled"): str,
        vol.Optional("iot_class"): vol.In(SUPPORTED_IOT_CLASSES),
        vol.Optional("single_config_entry"): bool,
        vol.Optional("preview_features"): dict,
        vol.Optional("version"): vol.All(str, verify_version),
        vol.Optional("issue_tracker"): vol.Url(),
        vol.Optional("import_executor"): bool,
    }
)


def check_manifest(manifest: Any, integration: Path) -> list[str]:
    """manifest.py (+ requirements.py's format check, pinned the way HA core pins)."""
    problems = _invalid(CUSTOM_INTEGRATION_MANIFEST_SCHEMA, manifest, "manifest.json")
    if not isinstance(manifest, dict):
        return problems
    domain = manifest.get("domain")
    if domain != integration.name:
        problems.append("manifest.json: Domain does not match dir name")
    if (CORE_COMPONENTS / str(domain)).exists():
        problems.append(f"manifest.json: Domain {domain!r} collides with a core integration")
    if "iot_class" not in manifest:
        problems.append("manifest.json: Domain is missing an IoT Class")
    if not manifest.get("version"):
        problems.append("manifest.json: No 'version' key in the manifest file.")
    keys = list(manifest)
    expected = sorted(keys, key=lambda k: {"domain": ".domain", "name": ".name"}.get(k, k))
    if keys != expected:
        problems.append("manifest.json: keys are not sorted correctly: domain, name, then "
                        "alphabetical order")
    for requirement in manifest.get("requirements", []):
        if " " in requirement:
            problems.append(f"requirements: {requirement!r} contains a space")
        elif not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9_,-]+\])?==[^=,;<>~!]+",
                              requirement):
            problems.append(f"requirements: {requirement!r} is not pinned as <pkg>==<version>")
    for key in ("dependencies", "after_dependencies"):
        for dep in manifest.get(key, []):
            if not (CORE_COMPONENTS / dep / "manifest.json").is_file():
                problems.append(f"{key}: {dep!r} is not a Home Assistant integration")
    both = set(manifest.get("dependencies", [])) & set(manifest.get("after_dependencies", []))
    if both:
        problems.append(f"{sorted(both)} are both in dependencies and after_dependencies")
    if any(not str(owner).startswith("@") for owner in manifest.get("codeowners", [])):
        problems.append("codeowners: GitHub handles start with @")
    return problems


def check_json_files(integration: Path) -> list[str]:
    """json.py: every JSON file parses."""
    problems = []
    for path in sorted(integration.rglob("*.json")):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            problems.append(f"{path.relative_to(integration)}: invalid JSON: {err}")
    return problems


# --- hassfest: services ---------------------------------------------------------------------

def _exists(value: Any) -> Any:
    if value is None:
        raise vol.Invalid("Value cannot be None")
    return value


_FIELD = {
    vol.Optional("example"): _exists,
    vol.Optional("default"): _exists,
    vol.Optional("required"): bool,
    vol.Optional("advanced"): bool,
    vol.Optional("selector"): selector.validate_selector,
    vol.Optional("filter"): dict,
    vol.Optional("description"): str,
    vol.Optional("name"): str,
}
_SECTION = {
    vol.Optional("collapsed"): bool,
    vol.Required("fields"): vol.Schema({str: vol.Schema(_FIELD)}),
    vol.Optional("description"): str,
    vol.Optional("name"): str,
}


def _service_schema(targeted: bool) -> vol.Schema:
    schema: dict[Any, Any] = {
        vol.Optional("fields"): vol.Schema({str: vol.Any(vol.Schema(_FIELD),
                                                          vol.Schema(_SECTION))}),
        vol.Optional("description"): str,
        vol.Optional("name"): str,
    }
    if targeted:
        schema[vol.Required("target")] = selector.TargetSelector.CONFIG_SCHEMA
    return vol.Schema(schema)


CUSTOM_INTEGRATION_SERVICES_SCHEMA = vol.Schema(
    {cv.slug: vol.Any(_service_schema(True), _service_schema(False), None)})
RE_REGISTERS_SERVICES = re.compile(
    r"(hass\.services\.(register|async_register))|async_register_entity_service"
    r"|async_register_admin_service")


def load_services(integration: Path) -> dict[str, Any] | None:
    path = integration / "services.yaml"
    return dict(load_yaml_dict(str(path))) if path.is_file() else None


def check_services(integration: Path) -> list[str]:
    """services.py: services.yaml exists if the code registers services, and its schema."""
    services = load_services(integration)
    if services is None:
        registers = any(RE_REGISTERS_SERVICES.search(p.read_text(encoding="utf-8"))
                        for p in integration.rglob("*.py"))
        return ["Registers services but has no services.yaml"] if registers else []
    return _invalid(CUSTOM_INTEGRATION_SERVICES_SCHEMA, services, "services.yaml")


# --- hassfest: translations -----------------------------------------------------------------

RE_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
RE_COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
RE_PLACEHOLDER_IN_SINGLE_QUOTES = re.compile(r"'{\w+}'")


def translation_key(value: str) -> str:
    if RE_TRANSLATION_KEY.match(value) is None:
        raise vol.Invalid(f"Invalid translation key '{value}'")
    return value


def translation_value(value: Any) -> str:
    text = cv.string_with_no_html(value)
    if RE_PLACEHOLDER_IN_SINGLE_QUOTES.search(text):
        raise vol.Invalid("the string should not contain placeholders inside single quotes")
    if RE_COMBINED_REFERENCE.search(text):
        raise vol.Invalid("the string should not contain combined translations")
    if text != text.strip():
        raise vol.Invalid("the string should not contain leading or trailing spaces")
    return text


def _flow_schema() -> vol.All:
    schema = vol.Schema({
        vol.Optional("flow_title"): translation_value,
        vol.Required("step"): {str: {
            vol.Optional("title"): translation_value,
            vol.Optional("description"): translation_value,
            vol.Optional("data"): {str: translation_value},
            vol.Optional("data_description"): {str: translation_value},
            vol.Optional("menu_options"): {str: translation_value},
            vol.Optional("submit"): translation_value,
            vol.Optional("sections"): {str: {
                vol.Optional("data"): {str: translation_value},
                vol.Optional("data_description"): {str: translation_value},
                vol.Optional("description"): translation_value,
                vol.Optional("name"): translation_value,
            }},
        }},
        vol.Optional("error"): {str: translation_value},
        vol.Optional("abort"): {str: translation_value},
        vol.Optional("progress"): {str: translation_value},
        vol.Optional("create_entry"): {str: translation_value},
    })

    def data_description_in_data(value: dict[str, Any]) -> dict[str, Any]:
        for step_id, step in value["step"].items():
            for key in step.get("data_description", {}):
                if key not in step.get("data", {}):
                    raise vol.Invalid(f"step {step_id}: data_description key {key} is not in "
                                      "data")
        return value

    return vol.All(schema, data_description_in_data)


STRINGS_SCHEMA = vol.Schema({
    vol.Optional("title"): translation_value,
    vol.Optional("config"): _flow_schema(),
    vol.Optional("options"): _flow_schema(),
    vol.Optional("selector"): cv.schema_with_slug_keys(
        {"options": cv.schema_with_slug_keys(translation_value, slug_validator=translation_key)},
        slug_validator=vol.Any("_", cv.slug)),
    vol.Optional("issues"): {str: vol.All(
        cv.has_at_least_one_key("description", "fix_flow"),
        vol.Schema({
            vol.Required("title"): translation_value,
            vol.Exclusive("description", "fixable"): translation_value,
            vol.Exclusive("fix_flow", "fixable"): _flow_schema(),
        }))},
    vol.Optional("device"): cv.schema_with_slug_keys(
        {vol.Optional("name"): translation_value}, slug_validator=translation_key),
    vol.Optional("entity"): cv.schema_with_slug_keys(
        cv.schema_with_slug_keys({
            vol.Optional("name"): translation_value,
            vol.Optional("state"): cv.schema_with_slug_keys(translation_value,
                                                            slug_validator=translation_key),
            vol.Optional("state_attributes"): cv.schema_with_slug_keys({
                vol.Optional("name"): translation_value,
                vol.Optional("state"): cv.schema_with_slug_keys(
                    translation_value, slug_validator=translation_key),
            }, slug_validator=translation_key),
            vol.Optional("unit_of_measurement"): translation_value,
        }, slug_validator=translation_key),
        slug_validator=cv.slug),
    vol.Optional("exceptions"): cv.schema_with_slug_keys(
        {vol.Optional("message"): translation_value}, slug_validator=cv.slug),
    vol.Optional("services"): cv.schema_with_slug_keys({
        vol.Required("name"): translation_value,
        vol.Required("description"): translation_value,
        vol.Optional("fields"): cv.schema_with_slug_keys({
            vol.Required("name"): str,
            vol.Required("description"): translation_value,
            vol.Optional("example"): translation_value,
        }, slug_validator=translation_key),
        vol.Optional("sections"): cv.schema_with_slug_keys({
            vol.Required("name"): str,
            vol.Optional("description"): translation_value,
        }, slug_validator=translation_key),
    }, slug_validator=translation_key),
    vol.Optional("system_health"): {vol.Optional("info"): cv.schema_with_slug_keys(
        translation_value, slug_validator=translation_key)},
    vol.Optional("common"): vol.Schema({cv.slug: translation_value}),
})
RE_REFERENCE = re.compile(r"\[%key:[^%]+%\]")


def _strings(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, f"{prefix}.{k}".lstrip("."))]
    return [(prefix, value)] if isinstance(value, str) else []


def check_translations(integration: Path) -> list[str]:
    """translations.py: strings.json and (custom integrations) translations/en.json follow the
    strings schema. HA loads only translations/<lang>.json for a custom integration, so en.json
    must exist and must not hold ``[%key:...%]`` references (nothing resolves them at run time);
    strings.json, when kept, must say the same."""
    problems = []
    if (integration / ".translations").is_dir():
        problems.append("the '.translations' directory must be called 'translations'")
    en = integration / "translations" / "en.json"
    if not en.is_file():
        return [*problems, "translations/en.json is missing"]
    files = [integration / "strings.json", en]
    loaded = {}
    for path in files:
        if not path.is_file():
            continue
        name = str(path.relative_to(integration))
        loaded[name] = json.loads(path.read_text(encoding="utf-8"))
        problems += _invalid(STRINGS_SCHEMA, loaded[name], name)
    if "strings.json" in loaded:
        source = dict(_strings(loaded["strings.json"]))
        english = dict(_strings(loaded["translations/en.json"]))
        for key in sorted(set(source) | set(english)):
            if key not in english or key not in source:
                where = "translations/en.json" if key not in english else "strings.json"
                problems.append(f"strings.json and translations/en.json differ: {key} is not in "
                                f"{where}")
            elif source[key] != english[key] and not RE_REFERENCE.fullmatch(source[key]):
                # strings.json may hold a [%key:%] reference that en.json spells out.
                problems.append(f"strings.json and translations/en.json differ at {key}")
    return problems


def unresolved_references(integration: Path) -> list[str]:
    """``[%key:...%]`` references in translations/en.json. Core's build resolves them into the
    translation files; for a custom integration nothing does, and the UI shows them raw."""
    strings = json.loads((integration / "translations" / "en.json").read_text(encoding="utf-8"))
    return [f"translations/en.json {key}: {text}" for key, text in _strings(strings)
            if RE_REFERENCE.search(text)]


def check_services_translations(integration: Path) -> list[str]:
    """Every service and field of services.yaml has a name and description (in services.yaml
    or the English translations: HA shows the raw key otherwise); the translations name no
    service or field that does not exist; select selectors' translation keys exist; every
    service has an icon."""
    services = load_services(integration) or {}
    strings = json.loads((integration / "translations" / "en.json").read_text(encoding="utf-8"))
    icons_path = integration / "icons.json"
    icons = json.loads(icons_path.read_text(encoding="utf-8")) if icons_path.is_file() else {}
    translated = strings.get("services", {})
    problems = []
    for name, schema in services.items():
        schema = schema or {}
        text = translated.get(name, {})
        for key in ("name", "description"):
            if key not in schema and key not in text:
                problems.append(f"service {name} has no {key} in services.yaml or en.json")
        if name not in icons.get("services", {}):
            problems.append(f"service {name} has no icon in icons.json")
        fields = {}
        for field, field_schema in (schema.get("fields") or {}).items():
            if field_schema and "fields" in field_schema:  # a section
                fields.update(field_schema["fields"])
                if "name" not in field_schema and field not in text.get("sections", {}):
                    problems.append(f"service {name} section {field} has no name")
            else:
                fields[field] = field_schema or {}
        for field, field_schema in fields.items():
            for key in ("name", "description"):
                if key not in field_schema and key not in text.get("fields", {}).get(field, {}):
                    problems.append(f"service {name} field {field} has no {key}")
            select = (field_schema.get("selector") or {}).get("select") or {}
            if "translation_key" in select and \
                    select["translation_key"] not in strings.get("selector", {}):
                problems.append(f"service {name} field {field}: selector translation key "
                                f"{select['translation_key']} is not in en.json")
        for field in text.get("fields", {}):
            if field not in fields:
                problems.append(f"en.json names field {field} of service {name}, which has no "
                                "such field")
    for name in translated:
        if name not in services:
            problems.append(f"en.json names service {name}, which services.yaml does not have")
    for name in icons.get("services", {}):
        if name not in services:
            problems.append(f"icons.json names service {name}, which services.yaml does not have")
    return problems


# --- hassfest: icons ------------------------------------------------------------------------

def icon_value(value: Any) -> str:
    text = cv.string_with_no_html(value)
    if not text.startswith("mdi:"):
        raise vol.Invalid("The icon needs to be a Material Design Icon and start with `mdi:`")
    return text


def _no_state_same_as_default(value: dict[str, Any]) -> dict[str, Any]:
    for key, section in value.items():
        default, states = section.get("default"), section.get("state") or {}
        for state, icon in states.items():
            if icon == default:
                raise vol.Invalid(f"The icon for state `{key}.{state}` is the same as the "
                                  "default icon and thus can be removed")
    return value


_STATE_ICONS = cv.schema_with_slug_keys(icon_value, slug_validator=translation_key)
_DATA_ENTRY_ICONS = vol.Schema({"step": {str: {"section": {str: icon_value}}}})


def icons_schema(integration_type: str) -> vol.Schema:
    entity_icon = {
        vol.Optional("default"): icon_value,
        vol.Optional("state"): _STATE_ICONS,
        vol.Optional("range"): cv.schema_with_slug_keys(icon_value, slug_validator=str),
        vol.Optional("state_attributes"): vol.All(cv.schema_with_slug_keys(
            {vol.Optional("default"): icon_value, vol.Optional("state"): _STATE_ICONS},
            slug_validator=translation_key), _no_state_same_as_default),
    }
    schema: dict[Any, Any] = {
        vol.Optional("config"): _DATA_ENTRY_ICONS,
        vol.Optional("options"): _DATA_ENTRY_ICONS,
        vol.Optional("issues"): vol.Schema({str: {"fix_flow": _DATA_ENTRY_ICONS}}),
        vol.Optional("services"): cv.schema_with_slug_keys({
            vol.Required("service"): icon_value,
            vol.Optional("sections"): cv.schema_with_slug_keys(icon_value,
                                                               slug_validator=translation_key),
        }, slug_validator=translation_key),
    }
    if integration_type not in ("entity", "system"):
        schema[vol.Optional("entity")] = cv.schema_with_slug_keys(
            vol.All(cv.schema_with_slug_keys(entity_icon, slug_validator=translation_key),
                    _no_state_same_as_default),
            slug_validator=cv.slug)
    return vol.Schema(schema)


def check_icons(integration: Path, integration_type: str) -> list[str]:
    """icons.py: icons.json's schema for the integration type; entity icons name translation
    keys the English translations know."""
    path = integration / "icons.json"
    if not path.is_file():
        return []
    icons = json.loads(path.read_text(encoding="utf-8"))
    problems = _invalid(icons_schema(integration_type), icons, "icons.json")
    strings = json.loads((integration / "translations" / "en.json").read_text(encoding="utf-8"))
    for platform, keys in icons.get("entity", {}).items():
        for key in keys:
            if key not in strings.get("entity", {}).get(platform, {}):
                problems.append(f"icons.json entity.{platform}.{key} has no translation")
    return problems


# --- hassfest: config flow and dependencies -------------------------------------------------

DISCOVERY_STEPS = ("async_step_bluetooth", "async_step_discovery", "async_step_dhcp",
                   "async_step_hassio", "async_step_homekit", "async_step_mqtt",
                   "async_step_ssdp", "async_step_usb", "async_step_zeroconf")


def check_config_flow(integration: Path, manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """config_flow.py: (errors, warnings). A discoverable flow must set a unique ID; for a
    custom integration hassfest reports that as a warning."""
    flow = integration / "config_flow.py"
    if not flow.is_file():
        errors = (["Config flows need to be defined in the file config_flow.py"]
                  if manifest.get("config_flow") else [])
        return errors, []
    text = flow.read_text(encoding="utf-8")
    errors = [] if manifest.get("config_flow") else [
        "config_flow.py exists but the manifest does not say config_flow: true"]
    if any(step in text for step in DISCOVERY_STEPS) and not any(
            marker in text for marker in ("self.async_set_unique_id",
                                          "self._async_handle_discovery_without_unique_id",
                                          "register_discovery_flow",
                                          "AbstractOAuth2FlowHandler")):
        return errors, ["Config flows that are discoverable need to set a unique ID"]
    return errors, []


ALLOWED_USED_COMPONENTS = {
    *(platform.value for platform in Platform),
    "alert", "automation", "conversation", "default_config", "device_automation", "frontend",
    "group", "homeassistant", "input_boolean", "input_button", "input_datetime", "input_number",
    "input_select", "input_text", "media_source", "onboarding", "panel_custom",
    "persistent_notification", "person", "script", "shopping_list", "sun", "system_health",
    "system_log", "timer", "webhook", "websocket_api", "zone", "mjpeg", "stream",
}


class ImportCollector(ast.NodeVisitor):
    """Which HA integrations a module uses (imports of ``homeassistant.components.X``)."""

    def __init__(self) -> None:
        self.referenced: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module is None:
            return
        if node.module == "homeassistant.components.http.auth" and \
                [n.name for n in node.names] == ["async_sign_path"]:
            return
        if node.module.startswith("homeassistant.components."):
            self.referenced.add(node.module.split(".")[2])
        elif node.module == "homeassistant.components":
            self.referenced.update(n.name for n in node.names)

    def visit_Import(self, node: ast.Import) -> None:
        for name in node.names:
            if name.name.startswith("homeassistant.components."):
                self.referenced.add(name.name.split(".")[2])


def used_integrations(integration: Path) -> dict[str, set[str]]:
    """Referenced integration -> files referencing it."""
    found: dict[str, set[str]] = {}
    for path in sorted(integration.rglob("*.py")):
        collector = ImportCollector()
        collector.visit(ast.parse(path.read_text(encoding="utf-8")))
        for ref in collector.referenced:
            found.setdefault(ref, set()).add(str(path.relative_to(integration)))
    return found


def check_dependencies(integration: Path, manifest: dict[str, Any]) -> list[str]:
    """dependencies.py: every HA integration the code uses is in dependencies or
    after_dependencies (or always allowed, or a platform of this integration)."""
    allowed = (ALLOWED_USED_COMPONENTS | set(manifest.get("dependencies", []))
               | set(manifest.get("after_dependencies", [])) | {manifest["domain"]})
    for domain, keys in DISCOVERY_INTEGRATIONS.items():
        if any(key in manifest for key in keys):
            allowed.add(domain)
    problems = []
    for ref, files in sorted(used_integrations(integration).items()):
        if ref in allowed or (integration / f"{ref}.py").is_file() or (integration / ref).is_dir():
            continue
        problems.append(f"Using component {ref} ({', '.join(sorted(files))}) but it's not in "
                        "'dependencies' or 'after_dependencies'")
    return problems
