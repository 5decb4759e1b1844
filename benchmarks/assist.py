"""Assist understanding and answer latency per language, through HA's real default agent.

The simulated home of the integration tests (14 days; Anna, Ben and Grandma, with Grandma's
aliases) is learned into a fresh store; a bare HA core with ``conversation`` and ``person`` loads
Galatea on it with its clock pinned to the tests' "now". Each language's corpus
(``tests/fixtures/assist/<lang>.yaml``) is asked in order in one conversation per round, through
``conversation.async_converse``. A question is *understood* when Galatea's intent ran with exactly
the corpus's slots (first round). Latency is the wall time of ``async_converse`` (recognition,
the store query in the executor and the answer), p50/p95 over all rounds; target p95 < 200 ms.

Baseline, measured in the same run: HA's own "what time is it" in the same language (HA's
``HassGetCurrentTime``, no Galatea work), asked as often; the ratio is Galatea's p50 over it.
At the end Galatea is unloaded and the baseline is asked again: the difference is what
Galatea's sentence triggers add to every one of HA's own commands.

    .venv/bin/python benchmarks/assist.py [--rounds 3] [--languages en de]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402
from homeassistant import auth, loader  # noqa: E402
from homeassistant.bootstrap import async_load_base_functionality  # noqa: E402
from homeassistant.components import conversation  # noqa: E402
from homeassistant.config_entries import ConfigEntries  # noqa: E402
from homeassistant.core import Context, HomeAssistant  # noqa: E402
from homeassistant.helpers import entity_registry as er  # noqa: E402
from homeassistant.helpers import intent  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402

TZ_NAME = "Europe/Berlin"
TZ = ZoneInfo(TZ_NAME)
SIM_START = date(2026, 11, 7)
SIM_DAYS = 14
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=TZ)  # as tests/integration/memory_support.py
CORPUS = REPO / "tests" / "fixtures" / "assist"
LANGUAGES = ("en", "de", "nl", "fr", "es")
ALIASES = {
    "person.grandma": ("Grandma", {"Granny", "Oma", "Mamie", "Abuela"}),
    "light.kitchen": ("Kitchen light", {"Kitchen light", "Küchenlicht", "keukenlicht",
                                        "lampe de la cuisine", "luz de la cocina"}),
    "binary_sensor.front_door": ("Front door", {"Haustür", "voordeur", "porte d'entrée",
                                                "puerta principal"}),
}


def build_store(folder: Path) -> Path:
    """Simulate, replay, learn and form memories into ``folder/galatea.db``."""
    from galatea_engine.loop import Engine
    from galatea_engine.memory.formation import form_memories
    from galatea_engine.replay import ingest, load_areas
    from galatea_engine.store import ActivityStore

    from tests.simulator.simulate import home_areas, simulate_home

    events, _truth = simulate_home(days=SIM_DAYS, seed=1, start=SIM_START, tz=TZ_NAME,
                                   change_day=None)
    replay = folder / "home.jsonl"
    replay.write_text("".join(json.dumps(e) + "\n" for e in events))
    areas = folder / "areas.json"
    areas.write_text(json.dumps(home_areas()))
    db = folder / "galatea.db"
    store = ActivityStore(path=db)
    try:
        ingest([replay], store, load_areas(areas))
        Engine(store, TZ).run_once(full=True)
        form_memories(store, TZ, now=NOW, full=True)
    finally:
        store.stop()
    return db


async def make_hass(config_dir: Path) -> HomeAssistant:
    hass = HomeAssistant(str(config_dir))
    hass.config.skip_pip = True
    loader.async_setup(hass)
    hass.config_entries = ConfigEntries(hass, {})
    await async_load_base_functionality(hass)
    await hass.config.async_set_time_zone(TZ_NAME)
    # conversation needs http, http needs auth: a loopback server on a free port
    hass.auth = await auth.auth_manager_from_config(hass, [{"type": "homeassistant"}], [])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert await async_setup_component(hass, "http", {"http": {
        "server_host": "127.0.0.1", "server_port": port}})
    await hass.async_start()
    return hass


async def setup_home(hass: HomeAssistant, db: Path) -> Any:
    from custom_components.galatea.coordinator import get_api, get_coordinator

    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    result = await hass.config_entries.flow.async_init(
        "galatea", context={"source": "user"}, data={"db_url": str(db), "backfill": False})
    assert result["type"] == "create_entry", result
    entry = result["result"]
    await hass.async_block_till_done()
    api = get_api(entry)
    fixed: Callable[[], datetime] = lambda: NOW  # noqa: E731
    api.clock = fixed
    api.invalidate()
    await get_coordinator(entry).async_refresh()
    registry = er.async_get(hass)
    for entity_id, (name, aliases) in ALIASES.items():
        domain, object_id = entity_id.split(".")
        if registry.async_get(entity_id) is None:
            registry.async_get_or_create(domain, "bench", object_id, original_name=name,
                                         suggested_object_id=object_id)
        registry.async_update_entity(entity_id, aliases=aliases)
        hass.states.async_set(entity_id, "home" if domain == "person" else "off",
                              {"friendly_name": name})
    for person in ("Anna", "Ben"):  # people as states (no person integration needed)
        hass.states.async_set(f"person.{person.lower()}", "home", {"friendly_name": person})
    await hass.async_block_till_done()
    return entry


class Spy:
    """The Galatea intent and slots of the last question (``intent.async_handle`` wrapped)."""

    def __init__(self) -> None:
        self.last: tuple[str, dict[str, Any]] | None = None
        original = intent.async_handle

        async def spy(hass: HomeAssistant, platform: str, intent_type: str,
                      slots: dict[str, Any] | None = None, *args: Any,
                      **kwargs: Any) -> intent.IntentResponse:
            if platform == "galatea":
                self.last = (intent_type, {k: v.get("value") for k, v in (slots or {}).items()})
            return await original(hass, platform, intent_type, slots, *args, **kwargs)

        intent.async_handle = spy  # type: ignore[assignment]


async def ask(hass: HomeAssistant, text: str, language: str,
              conversation_id: str | None) -> tuple[float, str | None]:
    t0 = time.perf_counter()
    result = await conversation.async_converse(hass, text, conversation_id, Context(),
                                               language=language)
    return (time.perf_counter() - t0) * 1000, result.conversation_id


def pct(values: list[float], q: float) -> float:
    data = sorted(values)
    return data[min(len(data) - 1, int(q * len(data)))]


async def run_language(hass: HomeAssistant, spy: Spy, language: str,
                       rounds: int) -> dict[str, Any]:
    corpus = yaml.safe_load((CORPUS / f"{language}.yaml").read_text("utf-8"))
    questions = corpus["questions"]
    understood = 0
    latencies: list[float] = []
    for round_no in range(rounds):
        conversation_id: str | None = None
        for q in questions:
            spy.last = None
            ms, conversation_id = await ask(hass, q["text"], language, conversation_id)
            latencies.append(ms)
            if round_no == 0:
                want = (q["intent"], {k: v if isinstance(v, bool) else str(v)
                                      for k, v in (q.get("slots") or {}).items()})
                understood += spy.last == want
    baseline = [(await ask(hass, corpus["not_ours"][0], language, None))[0]
                for _ in range(len(questions) * rounds)]
    return {"language": language, "questions": len(questions), "understood": understood,
            "latencies": latencies, "baseline": baseline, "baseline_text": corpus["not_ours"][0]}


async def main_async(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="galatea-bench-assist-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        template = await asyncio.to_thread(build_store, folder)
        learn_s = time.perf_counter() - t0
        db = folder / "home" / "galatea.db"
        db.parent.mkdir()
        shutil.copy(template, db)
        hass = await make_hass(folder / "config")
        try:
            entry = await setup_home(hass, db)
            spy = Spy()
            for language in args.languages:  # warm-up: languages load lazily in HA
                await ask(hass, "warm up", language, None)
            rows = [await run_language(hass, spy, lang, args.rounds) for lang in args.languages]
            assert await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
            without = {lang: [(await ask(hass, row["baseline_text"], lang, None))[0]
                              for _ in range(len(row["baseline"]))]
                       for lang, row in zip(args.languages, rows, strict=True)}
        finally:
            await hass.async_stop()
    print(f"Assist benchmark: corpus tests/fixtures/assist/<lang>.yaml through HA's default "
          f"agent, {args.rounds} round(s); Python {sys.version.split()[0]}; "
          f"simulated home learned in {learn_s:.1f} s")
    print(f"{'lang':5} {'understood':>12} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}   "
          f"{'HA baseline p50/p95':>20} {'ratio p50':>9}   {'baseline w/o Galatea p50':>24}")
    total_q = total_ok = 0
    all_lat: list[float] = []
    for row in rows:
        lat, base = row["latencies"], row["baseline"]
        total_q += row["questions"]
        total_ok += row["understood"]
        all_lat += lat
        ratio = statistics.median(lat) / statistics.median(base)
        flag = " !" if pct(lat, 0.95) >= 200 else ""
        print(f"{row['language']:5} {row['understood']:>5}/{row['questions']:<3} "
              f"({row['understood'] / row['questions']:>4.0%}) {pct(lat, 0.5):>6.1f} "
              f"{pct(lat, 0.95):>8.1f}{flag} {max(lat):>8.1f}   "
              f"{pct(base, 0.5):>9.1f}/{pct(base, 0.95):<10.1f} {ratio:>8.1f}x   "
              f"{pct(without[row['language']], 0.5):>12.1f}")
    print(f"all   {total_ok:>5}/{total_q:<3} ({total_ok / total_q:>4.0%}) "
          f"{pct(all_lat, 0.5):>6.1f} {pct(all_lat, 0.95):>8.1f}   (target p95 < 200 ms)")
    print("HA baseline: HA's own current-time intent in the same language, same run; "
          "'w/o Galatea': the same after Galatea is unloaded (its triggers gone)")
    return 0 if total_ok == total_q and pct(all_lat, 0.95) < 200 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--languages", nargs="+", default=list(LANGUAGES))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for name in ("homeassistant.loader", "aiohttp_fast_zlib", "homeassistant.components.http"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
