"""The simulated home on a real Home Assistant: ``scripts/run`` and the card's e2e test use it.

- ``seed_store``: a few weeks of the simulated home (``tests.simulator.simulate``) ingested with
  ``galatea replay`` and mined once by the engine, so routines exist before HA starts.
- ``Feeder``: a thread that keeps the simulated home going on the live HA: each simulated event
  whose time has come is posted to ``/api/states`` (state changes) or ``/api/events`` (others).
- ``dashboard_config``: the demo dashboard with the Galatea card.
- ``main``: ``python -m tests.e2e.demo`` is the README's main job (see ``scripts/run``).
"""

from __future__ import annotations

import argparse
import heapq
import json
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .harness import (
    DEFAULT_INTEGRATIONS,
    MOSQUITTO_BIN,
    REPO,
    HAError,
    HassProcess,
    Mosquitto,
    _local_time_zone,
    free_port,
)

RUN_DIR = REPO / "run"
DEFAULT_USER = "galatea"
DEFAULT_PASSWORD = "galatea"  # local-only demo login, printed on start
CARD_TYPE = "custom:galatea-routines-card"
# HA exits with this code when asked to restart (homeassistant.const.RESTART_EXIT_CODE); its
# container or Supervisor starts it again, and so does the run command.
RESTART_EXIT_CODE = 100
# The harness's integrations plus what the Assist button needs (pipelines: conversation, and
# the speech pieces it depends on; ffmpeg is a system package of the run).
DEMO_INTEGRATIONS = (*DEFAULT_INTEGRATIONS, "assist_pipeline")


@dataclass
class SimulatedHome:
    """The simulated events split at ``now``: ``history`` (before) and ``live`` (after)."""

    tz: str
    now: datetime
    history: list[dict[str, Any]] = field(default_factory=list)
    live: list[dict[str, Any]] = field(default_factory=list)
    areas: dict[str, Any] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)


def simulate(
    *, history_days: int = 21, live_days: int = 2, tz: str | None = None, seed: int = 7,
    now: datetime | None = None,
) -> SimulatedHome:
    """Simulate ``history_days`` up to now (today included) and ``live_days`` after today."""
    from tests.simulator.simulate import home_areas, iter_home_events

    tz = tz or _local_time_zone()
    zone = ZoneInfo(tz)
    now = (now or datetime.now(zone)).astimezone(zone)
    start = now.date() - timedelta(days=history_days - 1)
    truth: list[Any] = []
    home = SimulatedHome(tz=tz, now=now, areas=home_areas())
    for event in iter_home_events(
        history_days + live_days, seed, start=start, tz=tz,
        change_day=max(history_days - 8, 1), truth_out=truth,
    ):
        when = datetime.fromisoformat(event["time_fired"])
        (home.history if when <= now else home.live).append(event)
    home.truth = truth[0].to_dict() if truth else {}
    return home


def seed_store(db_path: Path, home: SimulatedHome, workdir: Path) -> dict[str, Any]:
    """Ingest ``home.history`` into ``db_path`` with ``galatea replay`` (which mines it once).

    Returns ``{"events": n, "routines": n, "replay": <replay output>}``.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    events_file = workdir / "history.jsonl"
    areas_file = workdir / "areas.json"
    with events_file.open("w", encoding="utf-8") as out:
        for event in home.history:
            out.write(json.dumps(event, separators=(",", ":")) + "\n")
    areas_file.write_text(json.dumps(home.areas))
    replay = subprocess.run(
        [sys.executable, "-m", "galatea_engine", "replay", str(events_file),
         "--db", str(db_path), "--areas", str(areas_file), "--tz", home.tz],
        capture_output=True, text=True, check=False,
    )
    if replay.returncode != 0:
        raise RuntimeError(f"galatea replay failed:\n{replay.stdout}\n{replay.stderr}")
    return {"events": len(home.history), "routines": count_routines(db_path),
            "replay": replay.stdout.strip()}


def count_routines(db_path: Path) -> int:
    """How many current routines the store holds."""
    from galatea_engine.store import ActivityStore

    store = ActivityStore(path=db_path)
    try:
        return len(store.routines())
    finally:
        store.stop()


def last_states(events: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The newest ``new_state`` per entity among ``state_changed`` events."""
    states: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.get("event_type") == "state_changed":
            new = event["data"].get("new_state")
            if new is not None:
                states[event["data"]["entity_id"]] = new
    return states


class Feeder(threading.Thread):
    """Posts the simulated home's events to HA when their time comes.

    ``speed`` > 1 runs the simulated clock faster than the wall clock (60: an hour a minute),
    starting from ``home.now``. State changes go to ``/api/states``; other events (automation
    triggers, service calls) are fired on the bus through ``/api/events``.
    """

    def __init__(self, hass: HassProcess, home: SimulatedHome, speed: float = 1.0) -> None:
        super().__init__(name="galatea-demo-feeder", daemon=True)
        self.hass = hass
        self.speed = max(speed, 0.001)
        self.sim_start = home.now.timestamp()
        self.queue = [
            (datetime.fromisoformat(e["time_fired"]).timestamp(), i, e)
            for i, e in enumerate(home.live)
        ]
        heapq.heapify(self.queue)
        self.initial = last_states(home.history)
        self.current: dict[str, dict[str, Any]] = dict(self.initial)
        self.stopping = threading.Event()
        self.posted = 0
        self.errors = 0

    def post_initial_states(self) -> int:
        """Give every simulated entity its current state (as of ``home.now``)."""
        for entity_id, state in sorted(self.initial.items()):
            self._post_state(entity_id, state)
        return len(self.initial)

    def repost_states(self) -> int:
        """After an HA restart: states set over the REST API are not restored by HA."""
        posted = 0
        for entity_id, state in sorted(self.current.items()):
            try:
                self._post_state(entity_id, state)
                posted += 1
            except (HAError, OSError) as err:
                print(f"!! feeder: {err}", file=sys.stderr)
        return posted

    def run(self) -> None:
        wall_start = time.time()
        while self.queue and not self.stopping.is_set():
            when, _, event = self.queue[0]
            due = wall_start + (when - self.sim_start) / self.speed
            delay = due - time.time()
            if delay > 0:
                self.stopping.wait(min(delay, 1.0))
                continue
            heapq.heappop(self.queue)
            self.send(event)

    def send(self, event: dict[str, Any]) -> None:
        try:
            if event["event_type"] == "state_changed":
                new = event["data"].get("new_state")
                if new is None:
                    return
                self.current[event["data"]["entity_id"]] = new
                self._post_state(event["data"]["entity_id"], new)
            else:
                self.hass.post(f"/api/events/{event['event_type']}", event.get("data") or {})
            self.posted += 1
        except (HAError, OSError) as err:
            self.errors += 1
            if self.errors <= 5:
                print(f"!! feeder: {err}", file=sys.stderr)

    def _post_state(self, entity_id: str, state: dict[str, Any]) -> None:
        self.hass.set_state(entity_id, state["state"], state.get("attributes") or {})

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)


def dashboard_config(card: dict[str, Any] | None = None) -> dict[str, Any]:
    """The demo dashboard: the Galatea card for the household and per person, plus the home."""
    card = card or {"type": CARD_TYPE}
    people = ["person.anna", "person.ben", "person.grandma"]
    return {
        "title": "Galatea",
        "views": [
            {
                "title": "Routines",
                "path": "routines",
                "icon": "mdi:home-heart",
                "type": "panel",
                "cards": [{"type": "vertical-stack", "cards": [
                    {**card, "title": "Household"},
                    {"type": "grid", "columns": 3, "square": False, "cards": [
                        {**card, "person": p, "compact": True} for p in people
                    ]},
                ]}],
            },
            {
                "title": "Home",
                "path": "home",
                "icon": "mdi:home",
                "cards": [
                    {"type": "entities", "title": "The home", "entities": [
                        *people, "binary_sensor.front_door", "light.kitchen",
                        "light.living_room", "switch.kettle", "media_player.living_room_tv",
                        "climate.living_room",
                    ]},
                    {"type": "logbook", "target": {"entity_id": people}, "hours_to_show": 24},
                ],
            },
        ],
    }


# ---- the README's main job ----------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/run",
        description="A real Home Assistant on 127.0.0.1 with Galatea (embedded engine), a few "
        "weeks of simulated history already learned and a simulated home feeding it live.",
    )
    parser.add_argument("--port", type=int, default=8123, help="HA's port (default 8123)")
    parser.add_argument("--dir", type=Path, default=RUN_DIR, help="working folder (./run)")
    parser.add_argument("--keep", action="store_true",
                        help="reuse the existing config and database instead of starting fresh")
    parser.add_argument("--days", type=int, default=21, help="days of simulated history (21)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="simulated clock speed for the live feed (1 = real time, 60 = an "
                        "hour a minute)")
    parser.add_argument("--tz", default=None, help="time zone (default: this machine's)")
    parser.add_argument("--no-mqtt", action="store_true", help="do not start Mosquitto")
    parser.add_argument("--exit-after", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    workdir: Path = args.dir.resolve()
    config_dir = workdir / "ha-config"
    state_file = workdir / "login.json"
    if config_dir.exists() and not (args.keep and state_file.exists()):
        shutil.rmtree(config_dir)
    workdir.mkdir(parents=True, exist_ok=True)

    port = args.port
    if not _port_free(port):
        port = free_port()
        print(f"!! port {args.port} is busy; using {port}", file=sys.stderr)

    tz = args.tz or _local_time_zone()
    fresh = not config_dir.exists()
    print(f">> simulating the home ({args.days} days of history, time zone {tz})")
    home = simulate(history_days=args.days, tz=tz)
    hass = HassProcess(config_dir, port=port, time_zone=tz, integrations=DEMO_INTEGRATIONS)
    broker: Mosquitto | None = None
    feeder: Feeder | None = None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Ctrl-C works even when started from a shell that ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        if fresh:
            hass.write_config()
            t0 = time.monotonic()
            seeded = seed_store(hass.db_path, home, workdir / "seed")
            print(f">> learned {seeded['routines']} routines from {seeded['events']} simulated "
                  f"events in {time.monotonic() - t0:.0f} s")
        if not args.no_mqtt and not Path(MOSQUITTO_BIN).exists():
            print("!! mosquitto is not installed: going on without MQTT", file=sys.stderr)
        elif not args.no_mqtt:
            broker = Mosquitto(workdir / "mosquitto", 1883 if _port_free(1883) else None)
            broker.start()
            print(f">> Mosquitto on {broker.host}:{broker.port}")
        print(">> starting Home Assistant (about 10-30 s)")
        device = HassProcess(config_dir, port=port)
        if not fresh:
            saved = json.loads(state_file.read_text())
            hass.token, device.token = saved["token"], saved["feeder_token"]
        hass.start()
        if fresh:
            hass.onboard(DEFAULT_USER, DEFAULT_PASSWORD, "Galatea")
            # HA only listens on 127.0.0.1 here: say so, so that the URLs it shows (Galatea's
            # webhook in the options) are ones this machine can reach.
            hass.ws({"type": "config/core/update", "internal_url": hass.url})
            # The feeder acts as its own user, not linked to a person: the simulated people's
            # actions must not be attributed to the demo login's person.
            device = hass.create_user("Simulated home", "simulator", secrets.token_hex(16))
            state_file.write_text(json.dumps({"token": hass.token, "feeder_token": device.token}))
            hass.setup_galatea({"user": {"db_url": "galatea.db", "backfill": False}})
            if broker is not None:
                setup_mqtt(hass, broker)
            hass.save_dashboard(dashboard_config())
        hass.wait_entry_loaded("galatea")
        feeder = Feeder(device, home, speed=args.speed)
        upcoming = ""
        if feeder.queue:
            nxt = datetime.fromtimestamp(min(feeder.queue)[0], ZoneInfo(tz))
            upcoming = f" (the next at {nxt:%H:%M} simulated time)"
        print(f">> the simulated home: {feeder.post_initial_states()} entities, "
              f"{len(feeder.queue)} events to come{upcoming}")
        feeder.start()
        _banner(hass, args.speed)
        deadline = time.monotonic() + args.exit_after if args.exit_after else None
        if supervise(hass, stop, feeder, deadline) != 0:
            return 1
    except KeyboardInterrupt:
        pass
    finally:
        print("\n>> stopping")
        if feeder is not None:
            feeder.stop()
            print(f">> feeder posted {feeder.posted} events")
        hass.stop()
        if broker is not None:
            broker.stop()
        print(">> stopped")
    return 0


def setup_mqtt(hass: HassProcess, broker: Mosquitto) -> None:
    """HA's MQTT entry for the local broker. Since HA 2026.10 the broker step holds a
    collapsed "other settings" section whose switches must be sent over REST too."""
    if not hass.config_entries("mqtt"):
        result = hass.config_flow("mqtt", {"broker": {
            "broker": broker.host, "port": broker.port,
            "other_settings": {"set_client_cert": False, "set_ca_cert": "off",
                               "transport": "tcp"},
        }})
        if result.get("type") != "create_entry":
            raise HAError(f"mqtt flow: {result}")
    hass.wait_entry_loaded("mqtt")


def supervise(
    hass: HassProcess, stop: threading.Event, feeder: Feeder | None = None,
    deadline: float | None = None,
) -> int:
    """Keep HA running until ``stop`` (or ``deadline``): a restart asked from HA's UI (the
    process exits with HA's restart code) starts it again, as HA's container or Supervisor
    would, and the simulated home's states are posted again. Any other exit ends the run (1)."""
    while not stop.is_set():
        code = hass.proc.poll() if hass.proc is not None else 1
        if code == RESTART_EXIT_CODE:
            print(">> Home Assistant is restarting (asked from its UI)", flush=True)
            hass.proc = None
            hass.start()
            if feeder is not None:
                feeder.repost_states()
            print(f">> Home Assistant is back at {hass.url}/", flush=True)
            continue
        if code is not None:
            print("!! Home Assistant exited:\n" + hass.log_tail(40), file=sys.stderr)
            return 1
        if deadline is not None and time.monotonic() > deadline:
            break
        stop.wait(1.0)
    return 0


def _banner(hass: HassProcess, speed: float) -> None:
    clock = "real time" if speed == 1 else f"{speed:g}x"
    print(
        "\n"
        "  Galatea is running.\n"
        f"  Open    {hass.url}/lovelace/routines   (the Galatea card; Assist: the chat icon)\n"
        f"  Login   {DEFAULT_USER} / {DEFAULT_PASSWORD}   (local demo account)\n"
        f"  Home    simulated, live feed in {clock}\n"
        f"  Folder  {hass.config_dir}\n"
        "  Stop    Ctrl-C\n",
        flush=True,
    )


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is free
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
