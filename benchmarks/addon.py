"""Resident memory and CPU of the add-on's service, idle and busy, over a simulated year.

    python benchmarks/addon.py [--days 365] [--seed 3] [--start YYYY-MM-DD] [--workdir DIR]

1. The simulated home (``tests.simulator.simulate``) for ``--days`` days is ingested into a fresh
   ``galatea.db`` (``galatea replay --no-engine``: nothing mined yet).
2. The add-on service starts as a plain process on it (options file, no Supervisor) and mines
   the whole backlog in its first run: **busy** (peak RSS, CPU seconds, wall time).
3. **Idle**: the engine keeps running every few seconds with nothing new; RSS and CPU share are
   sampled for ``--idle`` seconds.
4. **API**: latency of the requests the UI and the integration make.
5. **Incremental**: one more simulated day is appended (as the integration would write it) and
   mined. **Full**: the nightly full re-mine on demand.

Baseline measured in the same run: a bare Python process importing the same libraries
(aiohttp, SQLAlchemy, numpy, the engine), printed alongside as the floor. Target: idle RSS
under 150 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ADDON_DIR = REPO / "addon"
sys.path.insert(0, str(REPO))  # the simulator (tests/simulator) when run as benchmarks/addon.py
TICK = os.sysconf("SC_CLK_TCK")
TZ = "Europe/Berlin"


# Engine bug at the time of writing (mining/episodes.py ``_SleepIndex``): sorting (start, end,
# area) tuples raises TypeError when a person's night and the household's night share start and
# end (area "Bedroom" vs None), which the simulated home produces within weeks. With
# ``--workaround-sleep-index`` the add-on process is started with this patch (identical nights
# folded into one, keeping the one with an area) so the year can be measured until it is fixed.
SLEEP_INDEX_WORKAROUND = """
import galatea_engine.mining.episodes as _episodes
_original = _episodes._SleepIndex.__init__
def _init(self, sleep):
    nights = {}
    for e in sleep:
        key = (e.start, e.end)
        if key not in nights or (nights[key].area is None and e.area is not None):
            nights[key] = e
    _original(self, list(nights.values()))
_episodes._SleepIndex.__init__ = _init
"""


def _children(pid: int) -> list[int]:
    """Child processes started by any thread of ``pid`` (the process pool spawns from its
    management thread)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                found += [int(p) for p in fh.read().split()]
        except OSError:
            continue
    return found


def _status(pid: int) -> dict[str, float]:
    values: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    values[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return values


def rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) in MB of the service and its engine child, if one is running."""
    main = _status(pid)
    rss, hwm = main.get("VmRSS", 0.0), main.get("VmHWM", 0.0)
    for child in _children(pid):
        sub = _status(child)
        rss += sub.get("VmRSS", 0.0)
        hwm = max(hwm, sub.get("VmHWM", 0.0))
    return rss, hwm


def cpu_s(pid: int) -> float:
    """CPU seconds of the service, its finished children (reaped engine runs) and running ones."""
    def own(p: int, with_reaped: bool) -> float:
        try:
            with open(f"/proc/{p}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        ticks = int(fields[11]) + int(fields[12])
        if with_reaped:
            ticks += int(fields[13]) + int(fields[14])
        return ticks / TICK

    return own(pid, True) + sum(own(c, False) for c in _children(pid))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def simulate_to(path: Path, days: int, seed: int, start: date) -> int:
    from tests.simulator.simulate import iter_home_events

    n = 0
    with path.open("w", encoding="utf-8") as out:
        for event in iter_home_events(days, seed, start=start, tz=TZ):
            out.write(json.dumps(event, separators=(",", ":")) + "\n")
            n += 1
    return n


def replay(events: Path, db: Path, areas: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "galatea_engine", "replay", str(events), "--db", str(db),
         "--areas", str(areas), "--no-engine"],
        check=True, capture_output=True, text=True,
    )


def baseline_rss() -> float:
    """A Python process that imports what the add-on imports and does nothing."""
    code = (
        f"import aiohttp, sqlalchemy, numpy, sys; sys.path.insert(0, {str(ADDON_DIR)!r});"
        "import galatea_engine.api, galatea_engine.loop, galatea_engine.store;"
        "import galatea_addon.server; print('ready', flush=True); sys.stdin.read()"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdin is not None
    proc.stdout.readline()  # imports done
    time.sleep(0.5)
    rss, _ = rss_mb(proc.pid)
    proc.stdin.close()
    proc.wait()
    return rss


class Sampler(threading.Thread):
    """CPU seconds (service + every child seen, by its own counters) and peak RSS while on."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.halt = threading.Event()
        self.child_cpu: dict[int, float] = {}
        self.peak = 0.0
        self.cpu0 = self._own(pid)

    @staticmethod
    def _own(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / TICK

    def run(self) -> None:
        while not self.halt.is_set():
            self.peak = max(self.peak, rss_mb(self.pid)[0])
            for child in _children(self.pid):
                self.child_cpu[child] = max(self.child_cpu.get(child, 0.0), self._own(child))
            time.sleep(0.1)

    def stop(self) -> tuple[float, float]:
        self.halt.set()
        self.join(5)
        return self._own(self.pid) - self.cpu0 + sum(self.child_cpu.values()), self.peak


class Addon:
    def __init__(self, workdir: Path, config_dir: Path, interval_min: float,
                 workaround: bool = False, in_process: bool = False) -> None:
        self.port = free_port()
        data = workdir / "data"
        data.mkdir(exist_ok=True)
        (data / "options.json").write_text(json.dumps({
            "log_level": "warning", "engine_interval": 5, "nightly_hour": 3,
            "max_memory_mb": 256, "max_threads": 2, "time_zone": TZ}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GALATEA_", "SUPERVISOR"))}
        pythonpath = str(ADDON_DIR)
        if workaround:
            patch_dir = workdir / "workaround"
            patch_dir.mkdir(exist_ok=True)
            (patch_dir / "sitecustomize.py").write_text(SLEEP_INDEX_WORKAROUND)
            pythonpath = f"{patch_dir}{os.pathsep}{pythonpath}"
        env.update({
            "PYTHONPATH": pythonpath, "GALATEA_OPTIONS": str(data / "options.json"),
            "GALATEA_DATA_DIR": str(data), "GALATEA_CONFIG_DIR": str(config_dir),
            "GALATEA_HOST": "127.0.0.1", "GALATEA_PORT": str(self.port),
            "GALATEA_DISCOVERY": "0", "GALATEA_HA_URL": "http://127.0.0.1:9",
            "GALATEA_ENGINE_INTERVAL_MIN": str(interval_min),
            "GALATEA_ENGINE_IN_PROCESS": "1" if in_process else "0",
        })
        self.log = (workdir / "addon.log").open("wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "galatea_addon"], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.token = ""

    def api(self, path: str, body: Any = None, timeout: float = 600) -> Any:
        if not self.token:
            token_file = Path(self.log.name).parent / "data" / "api_token"
            self.token = token_file.read_text().strip()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            method="GET" if body is None else "POST",
        )
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return json.loads(resp.read())

    def wait(self, predicate: Any, limit_s: float, what: str) -> tuple[Any, dict[str, float]]:
        """Poll ``predicate(health)`` every second while sampling CPU and RSS."""
        sampler = Sampler(self.proc.pid)
        sampler.start()
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < limit_s:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"add-on exited:\n{Path(self.log.name).read_text()[-3000:]}")
                try:
                    health = self.api("health", timeout=30)
                except OSError:
                    health = None
                if health is not None and health["engine"].get("last_error"):
                    raise RuntimeError(f"engine run failed: {health['engine']['last_error']}")
                if health is not None and predicate(health):
                    wall = time.monotonic() - t0
                    cpu, peak = sampler.stop()
                    return health, {"peak_rss_mb": peak, "cpu_s": cpu, "wall_s": wall}
                time.sleep(1.0)
        finally:
            sampler.halt.set()
        raise TimeoutError(f"{what} not done in {limit_s:.0f} s")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--start", type=date.fromisoformat,
                        help="first simulated day (default: --days before today)")
    parser.add_argument("--idle", type=float, default=20.0, help="idle sampling seconds")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--in-process", action="store_true",
                        help="keep the engine in the service process (no child per run)")
    parser.add_argument("--workaround-sleep-index", action="store_true",
                        help="patch the engine's _SleepIndex sort bug in the add-on process")
    args = parser.parse_args()
    sys.path.insert(0, str(ADDON_DIR))

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="galatea-addon-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    config_dir = workdir / "homeassistant"
    config_dir.mkdir(exist_ok=True)
    db = config_dir / "galatea.db"
    try:
        from tests.simulator.simulate import home_areas

        start = args.start or date.today() - timedelta(days=args.days)
        t = time.monotonic()
        pristine = workdir / "galatea.ingested.db"
        if pristine.exists():  # --workdir of an earlier run: reuse its ingested (unmined) year
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copy(pristine, db)
            print(f"reusing the ingested year in {workdir} ({db.stat().st_size / 1e6:.1f} MB)")
        else:
            n = simulate_to(workdir / "year.jsonl", args.days, args.seed, start)
            (workdir / "areas.json").write_text(json.dumps(home_areas()))
            replay(workdir / "year.jsonl", db, workdir / "areas.json")
            (workdir / "year.jsonl").unlink()
            if args.workdir is not None:
                shutil.copy(db, pristine)
            print(f"simulated home: {args.days} days, {n} HA events, ingested in "
                  f"{time.monotonic() - t:.1f} s; database {db.stat().st_size / 1e6:.1f} MB")

        base = baseline_rss()
        print(f"baseline (bare Python + aiohttp/SQLAlchemy/numpy/engine imports): "
              f"{base:.1f} MB RSS")

        if args.workaround_sleep_index:
            print("!! engine patched in the add-on process: _SleepIndex sort workaround")
        print(f"engine: {'in the service process' if args.in_process else 'a child per run'}")
        addon = Addon(workdir, config_dir, interval_min=0.05,
                      workaround=args.workaround_sleep_index, in_process=args.in_process)
        try:
            health, busy = addon.wait(lambda h: h["engine"]["runs"] >= 1, 3600, "first run")
            last = health["last_activity_id"]
            print(f"busy  (first run, the whole year's backlog of {last} activities): "
                  f"{busy['wall_s']:.1f} s wall, {busy['cpu_s']:.1f} s CPU, "
                  f"peak RSS {busy['peak_rss_mb']:.1f} MB; "
                  f"{health['routines']} routines, {health['memories']} memories")

            # idle: incremental runs every 3 s find nothing new
            time.sleep(2)
            cpu0, t0 = cpu_s(addon.proc.pid), time.monotonic()
            samples = []
            while time.monotonic() - t0 < args.idle:
                samples.append(rss_mb(addon.proc.pid)[0])
                time.sleep(0.5)
            idle_cpu = (cpu_s(addon.proc.pid) - cpu0) / (time.monotonic() - t0)
            idle_rss = sum(samples) / len(samples)
            print(f"idle  (engine every 3 s, nothing new, {args.idle:.0f} s): RSS "
                  f"{idle_rss:.1f} MB (max {max(samples):.1f}), CPU {idle_cpu * 100:.2f} % of a "
                  f"core; ratio vs baseline {idle_rss / base:.2f}x; target < 150 MB: "
                  f"{'OK' if idle_rss < 150 else 'MISSED'}")

            timings = {}
            for name, path in (("health", "health"), ("routines", "routines"),
                               ("week heatmap (4 weeks)", "week?weeks=4"),
                               ("memories search", "memories?q=kettle"),
                               ("recall", "recall?query=when%20does%20grandma%20wake%20up"),
                               ("timeline (7 days)", "timeline?period=last_7_days")):
                t = time.monotonic()
                addon.api(path)
                first = time.monotonic() - t
                t = time.monotonic()
                addon.api(path)
                timings[name] = (first, time.monotonic() - t)
            print("api   " + "; ".join(f"{k} {a * 1000:.0f}/{b * 1000:.0f} ms"
                                       for k, (a, b) in timings.items()) + "  (first/second)")
            right_after = rss_mb(addon.proc.pid)[0]
            time.sleep(12.0)  # the add-on settles 10 s after the last request
            print(f"      RSS right after API requests: {right_after:.1f} MB; at rest 12 s later:"
                  f" {rss_mb(addon.proc.pid)[0]:.1f} MB (target < 150 MB)")

            # incremental: one more simulated day, written as the integration would
            from galatea_engine.replay import ingest
            from galatea_engine.store import ActivityStore

            day = workdir / "day.jsonl"
            simulate_to(day, 1, args.seed + 1, date.today())
            store = ActivityStore(path=db)
            ingest([day], store)
            new_last = store.last_activity_id()
            store.stop()
            health, inc = addon.wait(
                lambda h: h["engine"]["processed_upto"] >= new_last, 600, "incremental")
            print(f"busy  (incremental: one new day, {new_last - last} activities): "
                  f"~{inc['wall_s']:.1f} s until mined, {inc['cpu_s']:.1f} s CPU, "
                  f"peak RSS {inc['peak_rss_mb']:.1f} MB")

            sampler = Sampler(addon.proc.pid)
            sampler.start()
            t = time.monotonic()
            summary = addon.api("run", {"full": True}, timeout=3600)
            full_wall = time.monotonic() - t
            full_cpu, full_peak = sampler.stop()
            rss, _ = rss_mb(addon.proc.pid)
            print(f"busy  (nightly full re-mine): {full_wall:.1f} s wall, {full_cpu:.1f} s CPU, "
                  f"peak RSS {full_peak:.1f} MB, RSS after {rss:.1f} MB; "
                  f"{summary.get('routines')} routines")
            time.sleep(5)
            print(f"idle  (after the full run): RSS {rss_mb(addon.proc.pid)[0]:.1f} MB")
        finally:
            addon.stop()
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
