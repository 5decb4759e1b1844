"""Real processes for end-to-end tests and for ``scripts/run``: Mosquitto, ``hass``, onboarding.

One module serves both the e2e fixtures (tests/e2e/conftest.py) and the run command
(``python -m tests.e2e.harness run``), so the way Home Assistant is configured, started,
onboarded and fed is written once.

Everything here is synchronous (subprocess + urllib) so pytest fixtures of any scope can use it
without sharing an event loop with HA's test plugin; websocket calls run on a private event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[2]
GALATEA_COMPONENT = REPO / "custom_components" / "galatea"
HOST = "127.0.0.1"
CLIENT_ID = f"http://{HOST}/"  # any URL works as client_id for HA's IndieAuth-style login
MOSQUITTO_BIN = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
CHROMIUM_BIN = shutil.which("chromium") or "/usr/bin/chromium"

# ``default_config`` minus what cannot run here: go2rtc (no binary), the network discovery members
# (bluetooth, dhcp, ssdp, usb, zeroconf: no hardware, multicast noise) and the two that reach the
# internet (cloud, homeassistant_alerts). ``conversation`` and ``assist_pipeline`` keep Assist.
DEFAULT_INTEGRATIONS = (
    "assist_pipeline",
    "config",
    "conversation",
    "energy",
    "file",
    "frontend",
    "history",
    "logbook",
    "media_source",
    "mobile_app",
    "my",
    "person",
    "stream",
    "sun",
    "usage_prediction",
    "webhook",
)


def _section_defaults(section: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in section.get("schema") or []:
        suggested = (field.get("description") or {}).get("suggested_value")
        if suggested is not None:
            values[field["name"]] = suggested
        elif "default" in field:
            values[field["name"]] = field["default"]
    return values


def hass_python() -> str:
    """The interpreter that runs ``hass``: the newest HA's venv (scripts/_python.sh makes it and
    exports GALATEA_HASS_PYTHON), else this interpreter."""
    return os.environ.get("GALATEA_HASS_PYTHON") or sys.executable

# Errors HA logs on any machine without these optional native libraries; not Galatea's.
KNOWN_LOG_NOISE = ("Error loading libturbojpeg",)


def free_port() -> int:
    """A TCP port on loopback that is free right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until something listens on HOST:port (fail early if ``proc`` exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {HOST}:{port} after {timeout:.0f} s")


def run_async[T](coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a private event loop (never touches the thread's current loop)."""
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        return runner.run(coro)


def stop_process(proc: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> int | None:
    """SIGTERM, wait up to ``timeout``, then SIGKILL. Returns the exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode


class Mosquitto:
    """A private Mosquitto broker on a free loopback port (anonymous, no persistence)."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.host = HOST
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / "mosquitto.log"

    def start(self, timeout: float = 15.0) -> Mosquitto:
        """Start the broker and wait until it accepts connections."""
        if not Path(MOSQUITTO_BIN).exists():
            raise FileNotFoundError(
                "mosquitto is not installed: run scripts/services/system-packages.sh"
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} {HOST}\nallow_anonymous true\npersistence false\n"
            "log_dest stdout\n"
        )
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [MOSQUITTO_BIN, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
            )
        wait_for_port(self.port, timeout, self.proc)
        return self

    def stop(self) -> None:
        """Stop the broker."""
        stop_process(self.proc, 5)
        self.proc = None

    def __enter__(self) -> Mosquitto:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class HAError(RuntimeError):
    """A REST or websocket call to Home Assistant failed."""


class HassProcess:
    """A real ``hass`` process in its own config folder with Galatea linked in.

    Usage: ``HassProcess(tmp).start()``; ``onboard()`` creates the owner user and a long-lived
    token (``self.token``); ``get``/``post``/``ws`` talk to it; ``stop()`` ends it.
    """

    def __init__(
        self,
        config_dir: Path,
        *,
        port: int | None = None,
        integrations: tuple[str, ...] = DEFAULT_INTEGRATIONS,
        extra_yaml: str = "",
        galatea_db: Path | None = None,
        log_level: str = "warning",
        time_zone: str | None = None,
    ) -> None:
        self.config_dir = Path(config_dir)
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.integrations = integrations
        self.extra_yaml = extra_yaml
        self.galatea_db = galatea_db
        self.log_level = log_level
        self.time_zone = time_zone
        self.proc: subprocess.Popen[bytes] | None = None
        self.token: str | None = None  # long-lived access token
        self.refresh_token: str | None = None
        self.username: str | None = None
        self.password: str | None = None

    # ---- config folder -------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        """Galatea's default database file inside the config folder."""
        return self.config_dir / "galatea.db"

    @property
    def log_path(self) -> Path:
        return self.config_dir / "home-assistant.log"

    @property
    def stdout_path(self) -> Path:
        return self.config_dir / "hass.stdout.log"

    def write_config(self) -> None:
        """configuration.yaml, custom_components/galatea (symlink) and an optional store."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        lines = [
            "homeassistant:",
            "  name: Galatea home",
            "  latitude: 52.37",
            "  longitude: 4.89",
            "  elevation: 0",
            "  unit_system: metric",
            "  currency: EUR",
            "  country: NL",
            f"  time_zone: {self.time_zone or _local_time_zone()}",
            "http:",
            f"  server_host: {HOST}",
            f"  server_port: {self.port}",
            "logger:",
            f"  default: {self.log_level}",
            "  logs:",
            "    custom_components.galatea: info",
        ]
        lines += [f"{domain}:" for domain in self.integrations]
        text = "\n".join(lines) + "\n" + self.extra_yaml
        (self.config_dir / "configuration.yaml").write_text(text)
        for name in ("automations.yaml", "scripts.yaml", "scenes.yaml"):
            (self.config_dir / name).touch()
        custom = self.config_dir / "custom_components"
        custom.mkdir(exist_ok=True)
        link = custom / "galatea"
        if not link.exists():
            link.symlink_to(GALATEA_COMPONENT, target_is_directory=True)
        if self.galatea_db is not None and not self.db_path.exists():
            shutil.copy(self.galatea_db, self.db_path)
        # Mark every onboarding step but the user step done, so onboarding over REST creates
        # only the owner and HA does not add its onboarding integrations (met, radio_browser,
        # google_translate: they need packages or the internet).
        storage = self.config_dir / ".storage"
        storage.mkdir(exist_ok=True)
        onboarding = storage / "onboarding"
        if not onboarding.exists():
            onboarding.write_text(
                json.dumps(
                    {
                        "version": 4,
                        "minor_version": 1,
                        "key": "onboarding",
                        "data": {"done": ["core_config", "analytics", "integration"]},
                    }
                )
            )

    # ---- process -------------------------------------------------------------------------
    def start(self, timeout: float = 180.0) -> HassProcess:
        """Write the config, start hass and wait until HA is RUNNING."""
        self.write_config()  # idempotent: keeps the store, onboarding and auth
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        with self.stdout_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    hass_python(),
                    "-m",
                    "homeassistant",
                    "--config",
                    str(self.config_dir),
                    "--skip-pip",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.config_dir,
                start_new_session=True,  # Ctrl-C in scripts/run reaches us, we stop hass
            )
        try:
            self.wait_running(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_running(self, timeout: float) -> None:
        """Wait until the HTTP server answers and (if onboarded) core state is RUNNING."""
        deadline = time.monotonic() + timeout
        wait_for_port(self.port, timeout, self.proc)
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"hass exited with {self.proc.returncode}\n{self.log_tail()}")
            try:
                if self.token is None:
                    status, _ = self._request("GET", "/api/onboarding", auth=False)
                    if status == 200:
                        return
                else:
                    status, body = self._request("GET", "/api/config")
                    if status == 200 and body.get("state") == "RUNNING":
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.3)
        raise TimeoutError(f"hass not ready after {timeout:.0f} s\n{self.log_tail()}")

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``."""
        code = stop_process(self.proc, timeout)
        self.proc = None
        return code

    def restart(self, timeout: float = 180.0) -> None:
        self.stop()
        self.start(timeout)

    def log_tail(self, lines: int = 150) -> str:
        """The end of HA's log (and stdout), for failure reports."""
        parts = []
        for path in (self.log_path, self.stdout_path):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name} ---\n" + "\n".join(text))
        return "\n".join(parts)

    def log_errors(self) -> list[str]:
        """Lines of HA's log at ERROR level or worse, minus this machine's known noise."""
        if not self.log_path.exists():
            return []
        return [
            line
            for line in self.log_path.read_text(errors="replace").splitlines()
            if (" ERROR " in line or " CRITICAL " in line)
            and not any(noise in line for noise in KNOWN_LOG_NOISE)
        ]

    def galatea_log_problems(self) -> list[str]:
        """Warnings and errors in HA's log that name Galatea (deprecations included), minus the
        notice HA logs for every custom integration."""
        if not self.log_path.exists():
            return []
        return [
            line
            for line in self.log_path.read_text(errors="replace").splitlines()
            if any(level in line for level in (" WARNING ", " ERROR ", " CRITICAL "))
            and "galatea" in line.lower()
            and "which has not been tested by Home Assistant" not in line
        ]

    # ---- REST ----------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        data: Any = None,
        *,
        auth: bool = True,
        form: bool = False,
        token: str | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, Any]:
        headers = {}
        body: bytes | None = None
        if data is not None:
            if form:
                body = urllib.parse.urlencode(data).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                body = json.dumps(data).encode()
                headers["Content-Type"] = "application/json"
        if auth and (token or self.token):
            headers["Authorization"] = f"Bearer {token or self.token}"
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def get(self, path: str, *, expect: int | None = 200) -> Any:
        """GET a REST path with the long-lived token; checks the status (None: any)."""
        status, body = self._request("GET", path)
        if expect is not None and status != expect:
            raise HAError(f"GET {path} -> {status}: {body}")
        return body

    def post(self, path: str, data: Any = None, *, expect: int | None = 200, **kw: Any) -> Any:
        """POST JSON to a REST path with the long-lived token; checks the status."""
        status, body = self._request("POST", path, {} if data is None else data, **kw)
        if expect is not None and status not in ((expect, 201) if expect == 200 else (expect,)):
            raise HAError(f"POST {path} -> {status}: {body}")
        return body

    def set_state(
        self, entity_id: str, state: str, attributes: dict[str, Any] | None = None
    ) -> Any:
        """POST /api/states/<entity_id> (a state change fired by the API user)."""
        body = {"state": state, "attributes": attributes or {}}
        return self.post(f"/api/states/{entity_id}", body)

    def call_service(
        self,
        domain: str,
        service: str,
        data: dict[str, Any] | None = None,
        *,
        return_response: bool = False,
    ) -> Any:
        """POST /api/services/<domain>/<service> (optionally with ?return_response)."""
        suffix = "?return_response" if return_response else ""
        return self.post(f"/api/services/{domain}/{service}{suffix}", data or {})

    def states(self) -> dict[str, dict[str, Any]]:
        return {s["entity_id"]: s for s in self.get("/api/states")}

    # ---- websocket -----------------------------------------------------------------------
    def ws(self, *messages: dict[str, Any], token: str | None = None) -> list[Any]:
        """Send websocket commands in one authenticated session; return their results."""
        return run_async(self.ws_async(*messages, token=token))

    async def ws_async(self, *messages: dict[str, Any], token: str | None = None) -> list[Any]:
        results = []
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(self.url + "/api/websocket") as ws,
        ):
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": token or self.token})
            reply = await ws.receive_json()
            if reply.get("type") != "auth_ok":
                raise HAError(f"websocket auth failed: {reply}")
            for msg_id, message in enumerate(messages, start=1):
                await ws.send_json({"id": msg_id, **message})
                while True:
                    reply = await ws.receive_json(timeout=60)
                    if reply.get("id") == msg_id and reply.get("type") == "result":
                        break
                if not reply.get("success"):
                    raise HAError(f"websocket {message['type']} failed: {reply.get('error')}")
                results.append(reply.get("result"))
        return results

    # ---- onboarding and login ------------------------------------------------------------
    def onboard(
        self, username: str = "galatea", password: str = "galatea", name: str = "Galatea"
    ) -> str:
        """Create the owner user (the only onboarding step left open) and a long-lived token."""
        self.username, self.password = username, password
        status, body = self._request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": CLIENT_ID,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
            auth=False,
        )
        if status != 200:
            raise HAError(f"onboarding users -> {status}: {body}")
        tokens = self._exchange_code(body["auth_code"])
        access = tokens["access_token"]
        self.refresh_token = tokens.get("refresh_token")
        (self.token,) = self.ws(
            {
                "type": "auth/long_lived_access_token",
                "client_name": "galatea-e2e",
                "lifespan": 3650,
            },
            token=access,
        )
        return self.token

    def _exchange_code(self, code: str, client_id: str = CLIENT_ID) -> dict[str, Any]:
        status, body = self._request(
            "POST",
            "/auth/token",
            {"grant_type": "authorization_code", "code": code, "client_id": client_id},
            auth=False,
            form=True,
        )
        if status != 200:
            raise HAError(f"auth/token -> {status}: {body}")
        return dict(body)

    def login_code(self, client_id: str | None = None) -> str:
        """Log in through /auth/login_flow like the frontend does; return the auth code."""
        client_id = client_id or self.url + "/"
        status, flow = self._request(
            "POST",
            "/auth/login_flow",
            {
                "client_id": client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": client_id + "?auth_callback=1",
            },
            auth=False,
        )
        if status != 200:
            raise HAError(f"login_flow -> {status}: {flow}")
        status, result = self._request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": client_id, "username": self.username, "password": self.password},
            auth=False,
        )
        if status != 200 or result.get("type") != "create_entry":
            raise HAError(f"login -> {status}: {result}")
        return str(result["result"])

    def create_user(self, name: str, username: str, password: str) -> HassProcess:
        """A second (admin, local-only, no person) user; returns a client acting as that user."""
        (user,) = self.ws({"type": "config/auth/create", "name": name,
                           "group_ids": ["system-admin"], "local_only": True})
        self.ws({"type": "config/auth_provider/homeassistant/create",
                 "user_id": user["user"]["id"], "username": username, "password": password})
        other = HassProcess(self.config_dir, port=self.port)
        other.username, other.password = username, password
        code = other.login_code(CLIENT_ID)
        access = other._exchange_code(code, CLIENT_ID)["access_token"]
        (other.token,) = other.ws(
            {"type": "auth/long_lived_access_token", "client_name": "galatea-e2e",
             "lifespan": 3650},
            token=access,
        )
        return other

    def frontend_login_url(self, path: str = "/") -> str:
        """A URL that logs the browser in (the frontend finishes the code exchange itself)."""
        code = self.login_code()
        state = _frontend_state(self.url)
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path}{sep}auth_callback=1&code={code}&state={state}"

    # ---- config entries ------------------------------------------------------------------
    def config_flow(
        self,
        handler: str,
        steps: dict[str, dict[str, Any]] | None = None,
        *,
        max_steps: int = 8,
    ) -> dict[str, Any]:
        """Run a config flow over REST to its end; ``steps`` maps step_id to the form input.

        Menus take ``{"next_step_id": ...}`` from ``steps[step_id]``; forms without an entry
        in ``steps`` are submitted empty (defaults). Returns the final result.
        """
        steps = steps or {}
        result = self.post(
            "/api/config/config_entries/flow", {"handler": handler, "show_advanced_options": True}
        )
        for _ in range(max_steps):
            kind = result.get("type")
            if kind in ("create_entry", "abort"):
                return dict(result)
            if kind not in ("form", "menu"):
                raise HAError(f"{handler} flow: unexpected {result}")
            if result.get("errors"):
                raise HAError(f"{handler} flow step {result['step_id']}: {result['errors']}")
            data = dict(steps.get(result["step_id"], {}))
            # As the frontend does: an untouched section is sent as an object of its fields'
            # suggested or default values.
            for field in result.get("data_schema") or []:
                if field.get("type") == "expandable" and field.get("name") not in data:
                    data[field["name"]] = _section_defaults(field)
            result = self.post(f"/api/config/config_entries/flow/{result['flow_id']}", data)
        raise HAError(f"{handler} flow did not finish: {result}")

    def config_entries(self, domain: str | None = None) -> list[dict[str, Any]]:
        entries = self.get("/api/config/config_entries/entry")
        return [e for e in entries if domain is None or e["domain"] == domain]

    def setup_galatea(self, steps: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        """Add the Galatea config entry (embedded engine, default database) and wait loaded."""
        existing = self.config_entries("galatea")
        if not existing:
            result = self.config_flow("galatea", steps)
            if result.get("type") != "create_entry":
                raise HAError(f"galatea flow: {result}\n{self.log_tail(60)}")
        return self.wait_entry_loaded("galatea")

    def setup_mqtt(self, broker: Mosquitto) -> dict[str, Any]:
        """Add the MQTT config entry pointing at ``broker``."""
        if not self.config_entries("mqtt"):
            result = self.config_flow(
                "mqtt",
                {"broker": {
                    "broker": broker.host, "port": broker.port,
                    # HA 2026.11's "other settings" section, as the form's toggles start out.
                    "other_settings": {"set_client_cert": False, "set_ca_cert": "off",
                                       "transport": "tcp"},
                }},
            )
            if result.get("type") != "create_entry":
                raise HAError(f"mqtt flow: {result}")
        entry = self.wait_entry_loaded("mqtt")
        time.sleep(1.5)  # HA debounces broker subscriptions by about a second
        return entry

    def wait_entry_loaded(self, domain: str, timeout: float = 60.0) -> dict[str, Any]:
        entries: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            entries = self.config_entries(domain)
            if entries and entries[0]["state"] == "loaded":
                return entries[0]
            if entries and entries[0]["state"] in ("setup_error", "migration_error"):
                break
            time.sleep(0.3)
        raise HAError(f"{domain} entry not loaded: {entries}\n{self.log_tail(80)}")

    # ---- dashboards ----------------------------------------------------------------------
    def save_dashboard(
        self,
        config: dict[str, Any],
        *,
        url_path: str | None = None,
        title: str = "Galatea",
        icon: str = "mdi:home-heart",
    ) -> None:
        """Create (if needed) a storage-mode dashboard and save its Lovelace config."""
        if url_path is not None:
            (dashboards,) = self.ws({"type": "lovelace/dashboards/list"})
            if not any(d["url_path"] == url_path for d in dashboards):
                self.ws(
                    {
                        "type": "lovelace/dashboards/create",
                        "url_path": url_path,
                        "title": title,
                        "icon": icon,
                        "show_in_sidebar": True,
                        "require_admin": False,
                        "mode": "storage",
                    }
                )
        message: dict[str, Any] = {"type": "lovelace/config/save", "config": config}
        if url_path is not None:
            message["url_path"] = url_path
        self.ws(message)

    def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 30.0,
        interval: float = 0.3,
        message: str = "condition",
    ) -> Any:
        """Poll ``predicate`` until it returns something truthy (and return that)."""
        return wait_until(predicate, timeout, interval, message, self)

    def __enter__(self) -> HassProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until(
    predicate: Callable[[], Any],
    timeout: float = 30.0,
    interval: float = 0.3,
    message: str = "condition",
    hass: HassProcess | None = None,
) -> Any:
    """Poll ``predicate`` until truthy; on timeout raise with HA's log tail."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = hass.log_tail(60) if hass else ""
            raise TimeoutError(f"{message} not met after {timeout:.0f} s\n{tail}")
        time.sleep(interval)


def _frontend_state(url: str) -> str:
    """The ``state`` the HA frontend expects back after login: base64 JSON of hassUrl/clientId."""
    import base64

    raw = json.dumps({"hassUrl": url, "clientId": url + "/"}).encode()
    return base64.b64encode(raw).decode()


def _local_time_zone() -> str:
    """This machine's IANA time zone name (for HA's core config), UTC when unknown."""
    if tz := os.environ.get("TZ"):
        return tz.lstrip(":")
    with contextlib.suppress(OSError):
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    with contextlib.suppress(OSError):
        name = Path("/etc/timezone").read_text().strip()
        if name:
            return name
    return "UTC"


@contextlib.contextmanager
def temp_dir(prefix: str = "galatea-e2e-") -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)

