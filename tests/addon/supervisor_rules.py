"""The Supervisor's add-on (app) config rules, re-implemented for the tests.

Written from reading home-assistant/supervisor ``supervisor/apps/validate.py``
(``_SCHEMA_APP_CONFIG``, ``SCHEMA_BUILD_CONFIG``, ``SCHEMA_APP_TRANSLATIONS``, ``RE_VOLUME``,
``RE_SERVICE``) and
``supervisor/apps/options.py`` (``RE_SCHEMA_ELEMENT``, ``AppOptions``: how option values are
checked against the schema), ``supervisor/validate.py`` (``docker_image``) and
``supervisor/apps/build.py`` (``build.yaml`` is deprecated: build parameters belong in the
Dockerfile). ``check_addon_lint`` adds the add-on linter's rules (frenck/action-addon-linter,
``src/lint.py`` and ``src/config.schema.json``: a key set to its default value is an error).
Nothing is imported from the Supervisor: the tests must run without it. Each function returns a
list of human-readable problems (empty = valid).
"""

from __future__ import annotations

import re
from typing import Any

ARCH_ALL = ("aarch64", "amd64")
ARCH_DEPRECATED = ("armhf", "armv7", "i386")
STARTUP = ("initialize", "system", "services", "application", "once")
BOOT = ("auto", "manual", "manual_only")
STAGE = ("stable", "experimental", "deprecated")
BACKUP = ("hot", "cold")
ROLES = ("default", "homeassistant", "backup", "manager", "admin")
RE_SLUG = re.compile(r"^[-_.A-Za-z0-9]+$")
RE_VOLUME = re.compile(
    r"^(data|config|ssl|local_apps|addons|backup|share|media|homeassistant_config"
    r"|all_app_configs|all_addon_configs|app_config|addon_config)(?::(rw|ro))?$"
)
LEGACY_VOLUMES = {"addons", "all_addon_configs", "addon_config"}
RE_SERVICE = re.compile(r"^(?P<service>mqtt|mysql):(?P<rights>provide|want|need)$")
RE_DOCKER_IMAGE_BUILD = re.compile(
    r"^([a-zA-Z\-\.:\d{}]+/)*?([\-\w{}]+)/([\-\w{}]+)(:[\.\-\w{}]+)?$"
)
RE_SCHEMA_ELEMENT = re.compile(
    r"^(?:"
    r"|bool"
    r"|email"
    r"|url"
    r"|port"
    r"|device(?:\((?P<filter>subsystem=[a-z]+)\))?"
    r"|str(?:\((?P<s_min>\d+)?,(?P<s_max>\d+)?\))?"
    r"|password(?:\((?P<p_min>\d+)?,(?P<p_max>\d+)?\))?"
    r"|int(?:\((?P<i_min>-?\d+)?,(?P<i_max>-?\d+)?\))?"
    r"|float(?:\((?P<f_min>-?\d*\.?\d+)?,(?P<f_max>-?\d*\.?\d+)?\))?"
    r"|match\((?P<match>.*)\)"
    r"|list\((?P<list>.+)\)"
    r")\??$"
)
RE_WATCHDOG = re.compile(r"^(?:https?|\[PROTO:\w+\]|tcp):\/\/\[HOST\]:(\[PORT:\d+\]|\d+).*$")
RE_WEBUI = re.compile(r"^(?:https?|\[PROTO:\w+\]):\/\/\[HOST\]:\[PORT:\d+\].*$")
RE_IMAGE_PATH_COMPONENT = re.compile(r"^[a-z0-9{][a-z0-9.\-_{}]*$")
RE_REGISTRY = re.compile(r"^([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}(:\d+)?$|^localhost(:\d+)?$")
RE_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s/?#]+[^\s]*$", re.IGNORECASE)

BOOL_KEYS = (
    "init", "ingress", "ingress_stream", "panel_admin", "host_network", "host_pid", "host_ipc",
    "host_uts", "host_dbus", "udev", "tmpfs", "apparmor", "full_access", "audio", "video", "gpio",
    "usb", "uart", "devicetree", "kernel_modules", "realtime", "hassio_api",
    "homeassistant_api", "stdin", "legacy", "docker_api", "auth_api", "journald", "advanced",
)
STR_KEYS = (
    "name", "description", "ingress_entry", "panel_icon", "panel_title", "backup_pre",
    "backup_post", "image",
)
LIST_STR_KEYS = ("devices", "discovery", "backup_exclude", "breaking_versions")
KNOWN_KEYS = set(BOOL_KEYS) | set(STR_KEYS) | set(LIST_STR_KEYS) | {
    "version", "slug", "arch", "machine", "url", "startup", "boot", "stage", "ports",
    "ports_description", "watchdog", "webui", "ingress_port", "homeassistant", "map",
    "environment", "privileged", "hassio_role", "services", "backup", "options", "schema",
    "ulimits", "timeout",
}


def _is_bool(value: Any) -> bool:
    # vol.Boolean() also takes "true"/"on"/1...; a YAML file should say true/false.
    return isinstance(value, bool)


def _port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def check_schema_element(typ: Any, where: str) -> list[str]:
    """SCHEMA_ELEMENT: a type string, a one-element list of one, or a dict of them."""
    if isinstance(typ, str):
        return [] if RE_SCHEMA_ELEMENT.match(typ) else [f"{where}: unknown schema type {typ!r}"]
    if isinstance(typ, list):
        if len(typ) != 1:
            return [f"{where}: a list schema holds exactly one element type"]
        inner = typ[0]
        if isinstance(inner, list):
            return [f"{where}: a list may not directly contain another list"]
        return check_schema_element(inner, where)
    if isinstance(typ, dict):
        problems: list[str] = []
        for key, sub in typ.items():
            problems += check_schema_element(sub, f"{where}.{key}")
        return problems
    return [f"{where}: schema entries are strings, lists or dicts"]


def check_option_value(typ: Any, value: Any, key: str) -> list[str]:
    """What ``AppOptions._validate_element`` would refuse for a default option value."""
    if isinstance(typ, list):
        if not isinstance(value, list):
            return [f"option {key}: must be a list"]
        return [p for item in value for p in check_option_value(typ[0], item, key)]
    if isinstance(typ, dict):
        if not isinstance(value, dict):
            return [f"option {key}: must be a dict"]
        problems = [p for k, v in value.items() if k in typ
                    for p in check_option_value(typ[k], v, k)]
        return problems + check_missing(typ, value, key)
    if value is None:
        return [f"option {key}: missing required value"]
    match = RE_SCHEMA_ELEMENT.match(typ)
    if not match:
        return [f"option {key}: unknown type {typ!r}"]
    ranges = {g: float(match.group(g)) for g in
              ("i_min", "i_max", "f_min", "f_max", "s_min", "s_max", "p_min", "p_max")
              if match.group(g)}
    if typ.startswith(("str", "password")):
        if not isinstance(value, str):
            return [f"option {key}: must be a string"]
        lo = ranges.get("s_min", ranges.get("p_min"))
        hi = ranges.get("s_max", ranges.get("p_max"))
        if (lo is not None and len(value) < lo) or (hi is not None and len(value) > hi):
            return [f"option {key}: length out of range"]
        return []
    if typ.startswith(("int", "float")):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [f"option {key}: must be a number"]
        if typ.startswith("int") and int(value) != value:
            return [f"option {key}: must be an integer"]
        lo = ranges.get("i_min", ranges.get("f_min"))
        hi = ranges.get("i_max", ranges.get("f_max"))
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            return [f"option {key}: {value} out of range"]
        return []
    if typ.startswith("bool"):
        return [] if isinstance(value, bool) else [f"option {key}: must be true/false"]
    if typ.startswith("url"):
        # vol.Url() rejects "" too: an optional url option must be left out, not empty.
        return [] if isinstance(value, str) and RE_URL.match(value) else [
            f"option {key}: {value!r} is not a URL (leave optional URLs out of options)"]
    if typ.startswith("port"):
        return [] if _port(value) else [f"option {key}: not a port"]
    if typ.startswith("email"):
        return [] if isinstance(value, str) and "@" in value else [f"option {key}: not an email"]
    if typ.startswith("match"):
        return [] if re.match(match.group("match"), str(value)) else [
            f"option {key}: does not match"]
    if typ.startswith("list"):
        return [] if str(value) in match.group("list").split("|") else [
            f"option {key}: {value!r} not one of {match.group('list')}"]
    return []  # device(...): needs real hardware, not checkable here


def check_missing(schema: dict[str, Any], options: dict[str, Any], root: str) -> list[str]:
    """``AppOptions._check_missing_options``: schema keys absent from options must end in '?'."""
    problems = []
    for key in set(schema) - set(options):
        typ = schema[key]
        if isinstance(typ, list) and typ:
            typ = typ[0]
        if isinstance(typ, str) and typ.endswith("?"):
            continue
        problems.append(f"{root}: missing option {key!r} (required by the schema)")
    return problems


def check_image(image: Any) -> list[str]:
    """``docker_image``: a lowercase name without a tag (the tag is the add-on's version)."""
    if not isinstance(image, str) or not image:
        return ["image: must be a non-empty string"]
    first, _, rest = image.partition("/")
    registry, path = (first, rest) if rest and ("." in first or ":" in first
                                                or first == "localhost") else ("", image)
    problems = []
    if registry and (registry != registry.lower() or not RE_REGISTRY.match(registry)):
        problems.append(f"image: invalid registry {registry!r}")
    if ":" in path:
        problems.append(f"image: {image!r} must not contain a tag")
    for component in path.split("/"):
        if not RE_IMAGE_PATH_COMPONENT.match(component.partition(":")[0]):
            problems.append(f"image: invalid path component {component!r}")
    return problems


# The add-on linter's config.schema.json defaults: a key set to one of these should be removed.
LINT_DEFAULTS: dict[str, Any] = {
    "advanced": False, "apparmor": True, "audio": False, "auth_api": False, "auto_uart": False,
    "backup": "hot", "boot": "auto", "devicetree": False, "docker_api": False,
    "full_access": False, "gpio": False, "hassio_api": False, "hassio_role": "default",
    "homeassistant_api": False, "host_dbus": False, "host_ipc": False, "host_network": False,
    "host_pid": False, "host_uts": False, "ingress": False, "ingress_port": 8099,
    "ingress_stream": False, "init": True, "journald": False, "kernel_modules": False,
    "legacy": False, "options": {}, "panel_admin": True, "panel_icon": "mdi:puzzle",
    "realtime": False, "schema": {}, "stage": "stable", "startup": "application", "stdin": False,
    "timeout": 10, "tmpfs": False, "uart": False, "udev": False, "ulimits": {}, "usb": False,
    "video": False,
}


def check_addon_lint(cfg: dict[str, Any]) -> list[str]:
    """The add-on linter's errors (not its warnings) for a config."""
    problems = [f"{key!r} should be removed, it uses a default value"
                for key, default in LINT_DEFAULTS.items()
                if key in cfg and cfg[key] == default and type(cfg[key]) is type(default)]
    if cfg.get("ingress") and cfg.get("webui"):
        problems.append("'webui' should be removed, Ingress is enabled")
    if cfg.get("ingress") and not cfg.get("host_network") and cfg.get("ingress_port", 8099) == 0:
        problems.append("'ingress_port' need not be randomized (0) off the host network")
    if cfg.get("watchdog"):
        problems.append("'watchdog' is obsolete: use the Dockerfile's HEALTHCHECK")
    for key in ("codenotary", "auto_uart"):
        if key in cfg:
            problems.append(f"{key!r} is deprecated")
    return problems


def check_app_config(cfg: Any) -> list[str]:
    """``_SCHEMA_APP_CONFIG`` (+ the migrate/warn steps that can reject or drop entries)."""
    if not isinstance(cfg, dict):
        return ["config must be a mapping"]
    problems: list[str] = []
    for key in ("name", "version", "slug", "description", "arch"):
        if key not in cfg:
            problems.append(f"required key {key!r} missing")
    unknown = sorted(set(cfg) - KNOWN_KEYS)
    if unknown:  # REMOVE_EXTRA would silently drop them: almost always a typo
        problems.append(f"unknown keys (the Supervisor would drop them): {unknown}")
    for key in STR_KEYS:
        if key in cfg and not isinstance(cfg[key], str):
            problems.append(f"{key}: must be a string")
    if "version" in cfg and not isinstance(cfg["version"], str):
        problems.append("version: must be a string (quote it in YAML)")
    if "slug" in cfg and not (isinstance(cfg["slug"], str) and RE_SLUG.match(cfg["slug"])):
        problems.append("slug: must match [-_.A-Za-z0-9]+")
    arch = cfg.get("arch")
    if not isinstance(arch, list) or not arch:
        problems.append("arch: must be a non-empty list")
    else:
        for a in arch:
            if a not in ARCH_ALL + ARCH_DEPRECATED:
                problems.append(f"arch: unknown architecture {a!r}")
            elif a in ARCH_DEPRECATED:
                problems.append(f"arch: {a!r} is deprecated")
    for key, allowed in (("startup", STARTUP), ("boot", BOOT), ("stage", STAGE),
                         ("backup", BACKUP), ("hassio_role", ROLES)):
        if key in cfg and cfg[key] not in allowed:
            problems.append(f"{key}: {cfg[key]!r} not one of {allowed}")
    for key in BOOL_KEYS:
        if key in cfg and not _is_bool(cfg[key]):
            problems.append(f"{key}: must be true or false")
    for key in LIST_STR_KEYS:
        if key in cfg and not (isinstance(cfg[key], list)
                               and all(isinstance(x, str) for x in cfg[key])):
            problems.append(f"{key}: must be a list of strings")
    if "ingress_port" in cfg and not (_port(cfg["ingress_port"]) or cfg["ingress_port"] == 0):
        problems.append("ingress_port: must be a port number or 0")
    if "watchdog" in cfg and not RE_WATCHDOG.match(str(cfg["watchdog"])):
        problems.append("watchdog: bad format")
    if "webui" in cfg and not RE_WEBUI.match(str(cfg["webui"])):
        problems.append("webui: bad format")
    if "image" in cfg:
        problems += check_image(cfg["image"])
    if "url" in cfg and not RE_URL.match(str(cfg["url"])):
        problems.append("url: not a URL")
    if "timeout" in cfg and not (isinstance(cfg["timeout"], int) and 10 <= cfg["timeout"] <= 300):
        problems.append("timeout: must be 10..300")
    for entry in cfg.get("map", []) or []:
        if isinstance(entry, str):
            m = RE_VOLUME.match(entry)
            if not m:
                problems.append(f"map: {entry!r} is not a valid mapping (it would be dropped)")
            elif m.group(1) in LEGACY_VOLUMES:
                problems.append(f"map: {entry!r} is a legacy mapping type")
            elif m.group(1) == "config":
                problems.append("map: 'config' is deprecated; use homeassistant_config")
        elif isinstance(entry, dict):
            if "type" not in entry or not RE_VOLUME.match(str(entry["type"])):
                problems.append(f"map: {entry!r} lacks a valid type")
        else:
            problems.append(f"map: {entry!r} must be a string or a mapping")
    for svc in cfg.get("services", []) or []:
        if not (isinstance(svc, str) and RE_SERVICE.match(svc)):
            problems.append(f"services: {svc!r} must look like mqtt:want")
    env = cfg.get("environment", {})
    if not (isinstance(env, dict) and all(isinstance(v, str) for v in env.values())):
        problems.append("environment: must map names to strings")
    options = cfg.get("options", {})
    schema = cfg.get("schema", {})
    if not isinstance(options, dict):
        problems.append("options: must be a mapping")
        options = {}
    if schema is not False:
        if not isinstance(schema, dict):
            problems.append("schema: must be a mapping or false")
        else:
            for key, typ in schema.items():
                problems += check_schema_element(typ, f"schema.{key}")
            for key, value in options.items():
                if key not in schema:
                    problems.append(f"options: {key!r} has no schema entry (it would be dropped)")
                else:
                    problems += check_option_value(schema[key], value, key)
            problems += check_missing(schema, options, "options")
    if cfg.get("ingress") and cfg.get("ingress_port") == 0:
        for port in (cfg.get("ports") or {}):
            number = str(port).partition("/")[0]
            if number.isdigit() and 62000 <= int(number) <= 65000:
                problems.append(f"ports: {port} collides with dynamic ingress ports")
    return problems


def check_build_config(cfg: Any, arch: list[str]) -> list[str]:
    """``SCHEMA_BUILD_CONFIG`` + every architecture the add-on lists has a base image."""
    if not isinstance(cfg, dict):
        return ["build config must be a mapping"]
    problems: list[str] = []
    build_from = cfg.get("build_from", {})
    if isinstance(build_from, str):
        if not RE_DOCKER_IMAGE_BUILD.match(build_from):
            problems.append(f"build_from: {build_from!r} is not an image")
    elif isinstance(build_from, dict):
        for a, image in build_from.items():
            if a not in ARCH_ALL + ARCH_DEPRECATED:
                problems.append(f"build_from: unknown architecture {a!r}")
            if not (isinstance(image, str) and RE_DOCKER_IMAGE_BUILD.match(image)):
                problems.append(f"build_from.{a}: {image!r} is not an image")
        missing = sorted(set(arch) - set(build_from))
        if missing:
            problems.append(f"build_from: no base image for {missing}")
    else:
        problems.append("build_from: must be an image or a mapping arch -> image")
    for key in ("args", "labels"):
        value = cfg.get(key, {})
        if not (isinstance(value, dict)
                and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())):
            problems.append(f"{key}: must map strings to strings")
    if "squash" in cfg and not isinstance(cfg["squash"], bool):
        problems.append("squash: must be true or false")
    return problems


def check_translations(tr: Any, schema: dict[str, Any]) -> list[str]:
    """``SCHEMA_APP_TRANSLATIONS``: configuration.<option> = {name, description?}."""
    if not isinstance(tr, dict):
        return ["translations must be a mapping"]
    problems: list[str] = []
    conf = tr.get("configuration", {})
    if not isinstance(conf, dict):
        return ["configuration: must be a mapping"]
    for key, entry in conf.items():
        if key not in schema:
            problems.append(f"configuration.{key}: not an option of the add-on")
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            problems.append(f"configuration.{key}: needs a name")
        elif "description" in entry and not isinstance(entry["description"], str | None):
            problems.append(f"configuration.{key}.description: must be a string")
    for key in schema:
        if key not in conf:
            problems.append(f"configuration.{key}: option has no translation")
    network = tr.get("network", {})
    if not isinstance(network, dict):
        problems.append("network: must be a mapping")
    return problems
