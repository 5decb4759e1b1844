"""Start-up and shutdown of the add-on service."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import os
import signal
import sys
from datetime import UTC, tzinfo
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .settings import OptionsError, Settings, api_token, load_settings

if TYPE_CHECKING:
    from galatea_engine.store import ActivityStore

LOGGER = logging.getLogger("galatea_addon")


def _limit_threads(n: int) -> None:
    """Numeric libraries must not spawn one thread per core on a small HA box."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMEXPR_NUM_THREADS"):
        os.environ.setdefault(var, str(n))


def _zone(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        LOGGER.warning("Unknown time zone %r", name)
        return None


def rss_mb() -> float:
    """Resident memory of this process (Linux /proc), in MB."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1_048_576
    except (OSError, ValueError, IndexError):
        return 0.0


def _trim_memory() -> None:
    """Hand freed heap back to the OS after a big run (glibc; a no-op on musl)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _settle_memory(store: ActivityStore) -> None:
    """After a burst of requests: close the idle database connections (each keeps up to 16 MB
    of SQLite page cache from the reads it answered; the next request opens one in about a
    millisecond), collect what the requests left in cycles, then trim the heap."""
    store.engine.dispose()
    gc.collect()
    _trim_memory()


class AddonService:
    """Wires settings, store, engine worker, HTTP server and discovery together."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stop_event = asyncio.Event()
        self.over_memory = False

    async def run(self) -> int:
        import aiohttp
        from aiohttp import web
        from galatea_engine.api import GalateaAPI
        from galatea_engine.store import ActivityStore

        from .server import AddonApp
        from .supervisor import SupervisorClient
        from .worker import ChildConfig, EngineWorker, engine_options, make_namer

        s = self.settings
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop_event.set)

        session = aiohttp.ClientSession()
        supervisor = SupervisorClient(s, session)
        tz = _zone(s.time_zone) or _zone(await supervisor.ha_time_zone()) or _zone(
            os.environ.get("TZ")) or UTC
        LOGGER.info("Galatea add-on starting: database %s, time zone %s",
                    _safe_url(s.database_url), tz)

        store = await loop.run_in_executor(None, lambda: ActivityStore(s.database_url))
        api = GalateaAPI(store, tz, embedder=make_embedder(s))

        async def publish(summary: Any) -> None:
            from galatea_engine.models import to_jsonable

            for name, routines in (("galatea_routine_learned", getattr(summary, "learned", ())),
                                   ("galatea_routine_changed", getattr(summary, "changed", ()))):
                for routine in routines or ():
                    data = to_jsonable(routine)
                    data.pop("evidence", None)
                    data.pop("id", None)
                    await supervisor.fire_event(name, data)
            _trim_memory()
            self._check_memory()

        child = None
        if s.engine_isolated:
            child = ChildConfig(
                database_url=s.database_url, time_zone=str(tz), llm_endpoint=s.llm_endpoint,
                llm_model=s.llm_model, llm_api_key=s.llm_api_key,
                naming_cache=str(s.data_dir / "naming_cache.json"),
            )
        worker = EngineWorker(
            store, tz,
            interval_s=s.engine_interval_min * 60.0,
            nightly_hour=s.nightly_hour,
            options=engine_options(s),
            publish=publish,
            namer=None if child else make_namer(s.llm_endpoint, s.llm_model, s.llm_api_key,
                                                s.data_dir / "naming_cache.json"),
            child=child,
        )
        token = api_token(s.data_dir)
        addon = AddonApp(
            api=api, store=store, tz=tz, token=token, ingress_proxy_ip=s.ingress_proxy_ip,
            worker=worker, max_threads=s.max_threads, settle=partial(_settle_memory, store),
            extra_health=lambda: {
                "addon": {
                    "version": _version(), "rss_mb": round(rss_mb(), 1),
                    "max_memory_mb": s.max_memory_mb, "over_memory": self.over_memory,
                    "discovery_uuid": supervisor.discovery_uuid,
                }
            },
        )
        runner = web.AppRunner(addon.build(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, s.host, s.port)
        await site.start()
        LOGGER.info("HTTP API and web UI listening on %s:%d", s.host, s.port)

        worker.start()
        announce: asyncio.Task[None] | None = None
        if s.discovery and s.supervisor_token:
            announce = loop.create_task(supervisor.announce_until_done(
                {"host": s.announce_host, "port": s.port, "token": token}, self.stop_event))
        elif s.discovery:
            LOGGER.warning("No SUPERVISOR_TOKEN: not announcing the add-on to Home Assistant")

        await self.stop_event.wait()
        LOGGER.info("Stopping")
        if announce is not None:
            announce.cancel()
        # The announcement stays: the Supervisor drops it when the add-on is uninstalled, and
        # Home Assistant would otherwise treat a restart as the add-on going away.
        await worker.stop()
        await runner.cleanup()
        await session.close()
        await loop.run_in_executor(None, store.stop)
        return 0

    def _check_memory(self) -> None:
        used = rss_mb()
        over = used > self.settings.max_memory_mb
        if over and not self.over_memory:
            LOGGER.warning("Resident memory %.0f MB is above max_memory_mb=%d",
                           used, self.settings.max_memory_mb)
        self.over_memory = over


def make_embedder(settings: Settings) -> Any:
    """The OpenAI-compatible embedder when an embedding endpoint is configured, else None
    (GalateaAPI then uses its small local embedder)."""
    if not settings.embedding_endpoint:
        return None
    from galatea_engine.memory.embedding import OpenAIEmbedder

    return OpenAIEmbedder(
        base_url=settings.embedding_endpoint,
        api_key=settings.llm_api_key,
        model=settings.embedding_model or "text-embedding-3-small",
    )


def _version() -> str:
    from . import __version__

    return __version__


def _safe_url(url: str) -> str:
    """A database URL without its password, for the log."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url


def main(argv: list[str] | None = None) -> int:
    try:
        settings = load_settings()
    except OptionsError as err:
        print(f"Galatea add-on: invalid options: {err}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s (%(threadName)s) [%(name)s] %(message)s",
        stream=sys.stdout,
    )
    _limit_threads(settings.max_threads)
    return asyncio.run(AddonService(settings).run())
