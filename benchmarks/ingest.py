"""Ingest cost, like for like: HA's recorder vs Galatea on the same steady stream of state changes.

Usage: ``python benchmarks/ingest.py [--runs 3] [--rate 2000] [--warmup 4] [--seconds 12]
[--quick]`` (``--quick``: one run of each condition, shorter windows, about a minute).

Each *condition* runs in a fresh Python process (garbage and caches from one never distort the
next), and the order of conditions is rotated from run to run:

- ``bare``: HA core only, with one no-op ``state_changed`` listener (every real HA has some; the
  first one makes HA build an ``Event`` and its ``Context`` per state change).
- ``recorder``: HA's recorder with its defaults (SQLite, 5 s commit interval).
- ``galatea``: Galatea only (SQLite, default options), set up through its config flow.
- ``both``: the two together, as in a real home.

The home: 300 entities of the kinds a home has (lights, motion/door sensors, switches, covers,
locks, fans, media players, thermostats), each state change toggling one of them (so
both recorders write every event). Entities are written as HA's entity platform writes them:
with the ``state_info`` that names the component's unrecorded attributes (a light's brightness,
a media player's position, a thermostat's mode lists), so the recorder deduplicates attributes
as it does in a real home. Attributes follow the state (a light on at one of a few brightness
levels), so after warm-up the recorder's attribute rows are shared, as in a real home.

Per process: warm-up at ``--rate`` for ``--warmup`` seconds, a drain (everything committed), then
the measured window: ``--seconds`` at a steady ``--rate`` (ticks of 10 ms, drift-corrected), then
a drain again, so the window holds exactly the work of its events, commits included. Measured in
the window: CPU per event on the event-loop thread (``time.thread_time``), on the recorder's and
Galatea's writer threads (``/proc/self/task/<tid>/stat``, 10 ms ticks) and in the whole process;
event-loop lag (a probe sleeping 5 ms records how late it wakes: p99 and max); full (generation
2) garbage collections (``gc.callbacks``); after HA stopped, rows stored vs events fired (loss).
The parent prints each condition's median and spread (min-max) over runs, and ratios against the
recorder measured in the same invocation. Temporary databases are deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CONDITIONS = ("bare", "recorder", "galatea", "both")
WRITER_THREADS = {"recorder": "Recorder", "galatea": "galatea-store-writer"}
ENTITIES = 300

Entity = tuple[str, tuple[dict[str, Any], dict[str, Any]], tuple[str, str], frozenset[str]]


def home(n: int = ENTITIES) -> list[Entity]:
    """(entity_id, (attributes when off, when on), (off state, on state), unrecorded attributes)
    for ``n`` entities of a home's kinds, attribute sets as HA's platforms write them."""
    from homeassistant.components.climate import ClimateEntity
    from homeassistant.components.light import LightEntity
    from homeassistant.components.media_player import MediaPlayerEntity

    light_un = LightEntity._entity_component_unrecorded_attributes
    media_un = MediaPlayerEntity._entity_component_unrecorded_attributes
    climate_un = ClimateEntity._entity_component_unrecorded_attributes
    none: frozenset[str] = frozenset()
    out: list[Entity] = []
    for j in range(n):
        room, k = f"room_{j // 10}", j % 10
        name = f"{room} {k}"
        if k in (0, 1, 2):  # lights
            base = {"supported_color_modes": ["color_temp", "xy"], "min_color_temp_kelvin": 2000,
                    "max_color_temp_kelvin": 6500, "friendly_name": f"{name} light",
                    "supported_features": 44}
            on = {**base, "brightness": 77 + 60 * k, "color_mode": "color_temp",
                  "color_temp_kelvin": 2700 + 300 * k, "xy_color": [0.46, 0.41]}
            off = {**base, "brightness": None, "color_mode": None, "color_temp_kelvin": None}
            out.append((f"light.{room}_{k}", (off, on), ("off", "on"), light_un))
        elif k == 3:
            a = {"device_class": "motion", "friendly_name": f"{name} motion"}
            out.append((f"binary_sensor.{room}_motion", (a, a), ("off", "on"), none))
        elif k == 4:
            a = {"device_class": "door", "friendly_name": f"{name} door"}
            out.append((f"binary_sensor.{room}_door", (a, a), ("off", "on"), none))
        elif k == 5:
            a = {"friendly_name": f"{name} plug", "device_class": "outlet"}
            out.append((f"switch.{room}_plug", (a, a), ("off", "on"), none))
        elif k == 6:
            base = {"friendly_name": f"{name} TV", "source_list": ["HDMI 1", "Netflix"],
                    "supported_features": 152463, "device_class": "tv"}
            on = {**base, "media_title": "Episode 4", "source": "Netflix", "volume_level": 0.3,
                  "media_position": 1234, "media_position_updated_at": "2026-12-01T20:00:00",
                  "entity_picture": "/api/media_player_proxy/x?token=abc"}
            out.append((f"media_player.{room}_tv", (base, on), ("off", "playing"), media_un))
        elif k == 7:
            base = {"hvac_modes": ["off", "heat"], "min_temp": 7, "max_temp": 35,
                    "target_temp_step": 0.5, "preset_modes": ["eco", "comfort"],
                    "current_temperature": 19.5, "friendly_name": f"{name} thermostat",
                    "supported_features": 401}
            on = {**base, "temperature": 20.5, "hvac_action": "heating", "preset_mode": "comfort"}
            off = {**base, "temperature": None, "hvac_action": "off", "preset_mode": None}
            out.append((f"climate.{room}", (off, on), ("off", "heat"), climate_un))
        elif k == 8:
            a = {"current_position": 0, "device_class": "blind", "friendly_name": f"{name} blind",
                 "supported_features": 15}
            b = {**a, "current_position": 100}
            out.append((f"cover.{room}_blind", (a, b), ("closed", "open"), none))
        elif j % 20 == 9:
            a = {"friendly_name": f"{name} lock", "supported_features": 0}
            out.append((f"lock.{room}_door", (a, a), ("locked", "unlocked"), none))
        else:  # a person's state changes a few times a day: fans stand in for the rest
            a = {"friendly_name": f"{name} fan", "preset_modes": ["auto", "sleep"],
                 "supported_features": 57}
            b = {**a, "percentage": 66, "preset_mode": "auto"}
            out.append((f"fan.{room}", (a, b), ("off", "on"), none))
    return out


# -- child: one condition in this process ---------------------------------------------------


class GCWatch:
    """Full (generation 2) collections and how long each held the GIL."""

    def __init__(self) -> None:
        self.active = False
        self.full: list[float] = []
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2 or not self.active:
            return
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.full.append((time.perf_counter() - self._t0) * 1000)


def thread_cpu(native_id: int | None) -> float:
    """CPU seconds (user + system) of one thread of this process."""
    if native_id is None:
        return 0.0
    try:
        stat = Path(f"/proc/self/task/{native_id}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def writer_ids() -> dict[str, int | None]:
    by_name = {t.name: t.native_id for t in threading.enumerate()}
    return {k: by_name.get(v) for k, v in WRITER_THREADS.items()}


async def child(condition: str, rate: float, warmup: float, seconds: float,
                tmp: Path) -> dict[str, Any]:
    from homeassistant import loader
    from homeassistant.bootstrap import async_load_base_functionality
    from homeassistant.config_entries import ConfigEntries
    from homeassistant.const import EVENT_STATE_CHANGED
    from homeassistant.core import HomeAssistant, callback
    from homeassistant.helpers.recorder import async_initialize_recorder
    from homeassistant.setup import async_setup_component

    hass = HomeAssistant(str(tmp))
    hass.config.skip_pip = True
    loader.async_setup(hass)
    hass.config_entries = ConfigEntries(hass, {})
    await async_load_base_functionality(hass)
    async_initialize_recorder(hass)  # what bootstrap does before the recorder is set up
    await hass.async_start()
    hass.bus.async_listen(EVENT_STATE_CHANGED, callback(lambda event: None))
    if condition in ("recorder", "both"):
        assert await async_setup_component(hass, "recorder", {"recorder": {
            "db_url": f"sqlite:///{tmp / 'home-assistant_v2.db'}"}})
    if condition in ("galatea", "both"):
        result = await hass.config_entries.flow.async_init(
            "galatea", context={"source": "user"},
            data={"db_url": str(tmp / "galatea.db"), "backfill": False})
        assert result["type"] == "create_entry", result
        await hass.async_block_till_done(wait_background_tasks=True)
    await hass.async_block_till_done()

    entities = home()
    set_state = hass.states.async_set
    fired = 0

    async def drain() -> None:
        await hass.async_block_till_done()
        if condition in ("recorder", "both"):
            from homeassistant.components.recorder import get_instance

            instance = get_instance(hass)
            instance._async_commit(time.time())  # what HA's own tests do
            await instance.async_block_till_done()
        if condition in ("galatea", "both"):
            entry = hass.config_entries.async_entries("galatea")[0]
            assert await hass.async_add_executor_job(entry.runtime_data.store.flush, 60.0)

    async def fire(duration: float) -> None:
        nonlocal fired
        loop = asyncio.get_running_loop()
        per_tick = max(1, round(rate / 100))
        start = loop.time()
        ticks = round(duration * 100)
        for t in range(ticks):
            for _ in range(per_tick):
                entity_id, attrs, states, unrecorded = entities[fired % ENTITIES]
                on = (fired // ENTITIES) % 2
                set_state(entity_id, states[on], attrs[on],
                          state_info={"unrecorded_attributes": unrecorded})
                fired += 1
            await asyncio.sleep(max(0.0, start + (t + 1) / 100 - loop.time()))

    await fire(warmup)
    await drain()
    gc.collect()

    watch = GCWatch()
    gc.callbacks.append(watch)
    lags: list[float] = []
    stop = asyncio.Event()

    async def probe() -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            t0 = loop.time()
            await asyncio.sleep(0.005)
            lags.append(max(0.0, (loop.time() - t0 - 0.005) * 1000))

    probe_task = asyncio.create_task(probe())
    await asyncio.sleep(0.05)
    lags.clear()
    ids = writer_ids()
    first = fired
    watch.active = True
    w0 = {k: thread_cpu(v) for k, v in ids.items()}
    loop0, proc0, wall0 = time.thread_time(), time.process_time(), time.perf_counter()
    await fire(seconds)
    fire_wall = time.perf_counter() - wall0
    await drain()
    loop_cpu, proc_cpu = time.thread_time() - loop0, time.process_time() - proc0
    w1 = {k: thread_cpu(v) for k, v in ids.items()}
    watch.active = False
    stop.set()
    await probe_task
    events = fired - first
    await hass.async_stop()

    def rows(path: Path, sql: str) -> int | None:
        if not path.exists():
            return None
        with sqlite3.connect(path) as conn:
            return int(conn.execute(sql).fetchone()[0])

    lags.sort()
    return {
        "condition": condition, "events": events, "fired": fired, "rate": events / fire_wall,
        "loop_us": loop_cpu / events * 1e6, "process_us": proc_cpu / events * 1e6,
        "recorder_us": (w1["recorder"] - w0["recorder"]) / events * 1e6,
        "galatea_us": (w1["galatea"] - w0["galatea"]) / events * 1e6,
        "lag_p99": lags[min(len(lags) - 1, int(0.99 * len(lags)))] if lags else 0.0,
        "lag_max": lags[-1] if lags else 0.0,
        "full_gc": len(watch.full), "full_gc_ms": max(watch.full, default=0.0),
        "recorder_rows": rows(tmp / "home-assistant_v2.db", "SELECT count(*) FROM states"),
        "galatea_rows": rows(tmp / "galatea.db",
                             "SELECT count(*) FROM activity WHERE source = 'ha'"),
    }


# -- parent: fresh processes, rotated order, medians -------------------------------------------


def run_child(condition: str, args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"galatea-ingest-{condition}-"))
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", condition, "--rate", str(args.rate),
             "--warmup", str(args.warmup), "--seconds", str(args.seconds), "--tmp", str(tmp)],
            capture_output=True, text=True, check=False, timeout=600)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(f"{condition}: child failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def med(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    by: dict[str, list[dict[str, Any]]] = {c: [] for c in CONDITIONS}
    for r in results:
        by[r["condition"]].append(r)
    cols = ("loop_us", "recorder_us", "galatea_us", "process_us", "lag_p99", "lag_max")
    head = ("CPU µs/ev: loop", "recorder thr", "galatea thr", "process", "lag p99 ms",
            "lag max ms")
    print(f"{'condition':<10}{'ev/s':>6}" + "".join(f"{h:>21}" for h in head)
          + f"{'full GC':>9}{'loss':>7}")
    for c in CONDITIONS:
        rs = by[c]
        cells = "".join(f"{med([r[k] for r in rs]):>21}" for k in cols)
        gcs = "/".join(str(r["full_gc"]) for r in rs)
        lost = []
        for key, want in (("recorder_rows", c in ("recorder", "both")),
                          ("galatea_rows", c in ("galatea", "both"))):
            if want:
                lost += [r["fired"] - (r[key] or 0) for r in rs]
        loss = str(max(lost)) if lost else "-"
        print(f"{c:<10}{statistics.median(r['rate'] for r in rs):>6.0f}{cells}{gcs:>9}{loss:>7}")

    def m(c: str, k: str) -> float:
        return statistics.median(r[k] for r in by[c])

    bare_proc, bare_loop = m("bare", "process_us"), m("bare", "loop_us")
    rec_net = m("recorder", "process_us") - bare_proc
    gal_net = m("galatea", "process_us") - bare_proc
    rec_loop, gal_loop = m("recorder", "loop_us") - bare_loop, m("galatea", "loop_us") - bare_loop
    print(f"\nadded CPU per event over bare (process): recorder {rec_net:.1f} µs, Galatea "
          f"{gal_net:.1f} µs -> Galatea/recorder {gal_net / rec_net:.2f} (target <= 0.15)")
    print(f"  on the event loop: recorder +{rec_loop:.1f} µs, Galatea +{gal_loop:.1f} µs; "
          f"writer threads: recorder {m('recorder', 'recorder_us'):.1f} µs, Galatea "
          f"{m('galatea', 'galatea_us'):.1f} µs (ratio "
          f"{m('galatea', 'galatea_us') / m('recorder', 'recorder_us'):.2f})")
    for c in ("recorder", "galatea", "both"):
        print(f"  added loop lag by {c:<8}: p99 {m(c, 'lag_p99') - m('bare', 'lag_p99'):+.2f} ms,"
              f" max {m(c, 'lag_max') - m('bare', 'lag_max'):+.1f} ms (targets for Galatea: "
              f"p99 <= 1, max <= 20)")
    fired = sum(r["fired"] for r in by["galatea"] + by["both"])
    stored = sum(r["galatea_rows"] or 0 for r in by["galatea"] + by["both"])
    print(f"  loss: Galatea stored {stored} of {fired} events fired "
          f"({'zero loss' if stored == fired else 'LOSS'})")
    print(f"\n{args.runs} run(s) per condition, each in a fresh process, order rotated; "
          f"{ENTITIES} entities at {args.rate:.0f} ev/s: {args.warmup:g} s warm-up, "
          f"{args.seconds:g} s measured; median (min-max); Python {sys.version.split()[0]}; "
          f"{os.cpu_count()} CPUs; load average before/after: {args.load0} / "
          f"{os.getloadavg()[0]:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=2_000.0)
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--quick", action="store_true", help="one run each, ~1 minute")
    parser.add_argument("--child", choices=CONDITIONS, help=argparse.SUPPRESS)
    parser.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        logging.basicConfig(level=logging.WARNING)
        for name in ("homeassistant.loader", "aiohttp_fast_zlib"):
            logging.getLogger(name).setLevel(logging.ERROR)
        # The bare core has no http: Galatea's calendar platform is skipped (not on the path).
        logging.getLogger("homeassistant.setup").setLevel(logging.CRITICAL)
        result = asyncio.run(child(args.child, args.rate, args.warmup, args.seconds, args.tmp))
        print(json.dumps(result))
        return 0
    if args.quick:
        args.runs, args.warmup, args.seconds = 1, 2.0, 5.0
    args.load0 = f"{os.getloadavg()[0]:.2f}"
    results = []
    for run in range(args.runs):
        order = CONDITIONS[run % 4:] + CONDITIONS[:run % 4]
        for c in order:
            results.append(run_child(c, args))
            print(f"  run {run + 1}: {c} done", file=sys.stderr)
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
