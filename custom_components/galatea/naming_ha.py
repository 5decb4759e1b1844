"""Optional LLM session naming in embedded mode: settings, endpoint checks, the after-run step.

Off by default. When the options pick an OpenAI-compatible endpoint or a conversation agent,
the runner calls ``EmbeddedNaming.name_after_run`` in its executor job right after each engine
run: recent sessions get a title and a one-line summary (``engine/naming.py``: budget per run,
timeout, cache in the store so a session signature is asked once, rules on any failure). A
daily budget, kept in the store so restarts do not reset it, caps the calls across runs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant

from .const import (
    CONF_LLM_API_KEY,
    CONF_LLM_BASE_URL,
    CONF_LLM_DAILY_CALLS,
    CONF_LLM_MAX_CALLS,
    CONF_LLM_MODEL,
    CONF_LLM_TIMEOUT,
    CONF_NAMING,
    CONF_NAMING_AGENT,
    DEFAULT_LLM_DAILY_CALLS,
    DEFAULT_LLM_MAX_CALLS,
    DEFAULT_LLM_MODEL,
    DEFAULT_LLM_TIMEOUT,
    LOGGER,
    NAMING_AGENT,
    NAMING_OFF,
    NAMING_OPENAI,
)
from .engine.models import Episode
from .engine.naming import (
    Completer,
    NamingOptions,
    NamingReport,
    SessionNamer,
    StoreCache,
    messages_for,
    name_recent_sessions,
    openai_completer,
    validate_reply,
)
from .naming_agent import BUILTIN_AGENTS, agent_completer, async_ask_agent, prompt_text

if TYPE_CHECKING:
    from .engine.store import ActivityStore

NAMING_MODES = (NAMING_OFF, NAMING_OPENAI, NAMING_AGENT)
BUDGET_STATE_KEY = "naming_budget"  # {"day": "YYYY-MM-DD" (local), "calls": n}
# Sessions younger than ASK_WINDOW may cost a call; older ones (re-mined by an incremental run,
# or every session after the nightly full re-mine) get their cached name or the rules.
ASK_WINDOW = timedelta(hours=48)
INCREMENTAL_WINDOW = timedelta(days=7)
# A session that ended less than this ago may go on (the sessions miner joins pauses up to 10 min):
# it is named once it is over, so the model is told its final shape once.
SETTLE_TIME = timedelta(minutes=10)
FULL_RUN_WINDOW = timedelta(days=3660)


def _number(value: Any, default: float) -> float:
    """An option's number, or the default when it is missing or not a number."""
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True, slots=True)
class NamingSettings:
    """The options flow's naming choices with defaults (the key never shows in a repr)."""

    mode: str = NAMING_OFF
    base_url: str | None = None
    model: str = DEFAULT_LLM_MODEL
    api_key: str | None = field(default=None, repr=False)
    agent_id: str | None = None
    max_calls: int = DEFAULT_LLM_MAX_CALLS
    daily_calls: int = DEFAULT_LLM_DAILY_CALLS
    timeout_s: float = DEFAULT_LLM_TIMEOUT

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> NamingSettings:
        mode = options.get(CONF_NAMING, NAMING_OFF)
        if mode not in NAMING_MODES:
            mode = NAMING_OFF
        return cls(
            mode=mode,
            base_url=str(options.get(CONF_LLM_BASE_URL) or "").strip() or None,
            model=str(options.get(CONF_LLM_MODEL) or "").strip() or DEFAULT_LLM_MODEL,
            api_key=str(options.get(CONF_LLM_API_KEY) or "").strip() or None,
            agent_id=str(options.get(CONF_NAMING_AGENT) or "").strip() or None,
            max_calls=int(_number(options.get(CONF_LLM_MAX_CALLS), DEFAULT_LLM_MAX_CALLS)),
            daily_calls=int(_number(options.get(CONF_LLM_DAILY_CALLS), DEFAULT_LLM_DAILY_CALLS)),
            timeout_s=max(0.1, _number(options.get(CONF_LLM_TIMEOUT), DEFAULT_LLM_TIMEOUT)),
        )

    @property
    def enabled(self) -> bool:
        if self.mode == NAMING_OPENAI:
            return self.base_url is not None
        return self.mode == NAMING_AGENT and self.agent_id is not None

    def naming_options(self) -> NamingOptions:
        """Engine options. With an agent the cache key names the agent, so picking another
        agent asks again instead of reusing the first one's names."""
        model = f"agent:{self.agent_id}" if self.mode == NAMING_AGENT else self.model
        return NamingOptions(
            base_url=self.base_url if self.mode == NAMING_OPENAI else None,
            model=model,
            api_key=self.api_key if self.mode == NAMING_OPENAI else None,
            max_calls=max(0, self.max_calls),
            timeout_s=self.timeout_s,
        )


# -- checks made by the options flow ------------------------------------------------------------


def probe_episode() -> Episode:
    """A typical session to ask about when checking an endpoint or agent."""
    start = datetime(2026, 1, 12, 7, 30, tzinfo=UTC)  # a morning (no local clock needed)
    return Episode(
        kind="session",
        start=start,
        end=start + timedelta(minutes=20),
        area="Kitchen",
        label="cooking",
        detail={"role": "kitchen", "entities": ["switch.kettle", "light.kitchen"]},
    )


def _probe_endpoint(settings: NamingSettings) -> str | None:
    """One naming request to the endpoint (executor); an error key, or None when usable."""
    try:
        import openai
    except ImportError:
        return "llm_library_missing"

    opts = settings.naming_options()
    try:
        complete = openai_completer(opts)
        validate_reply(complete(messages_for(probe_episode())), opts)
    except (openai.AuthenticationError, openai.PermissionDeniedError):
        return "llm_invalid_auth"
    except openai.NotFoundError:
        return "llm_not_found"
    except (openai.APIConnectionError, openai.APITimeoutError):
        return "llm_cannot_connect"
    except (openai.APIError, ValueError) as err:
        LOGGER.debug("Galatea naming endpoint replied badly: %s", err)
        return "llm_bad_reply"
    except Exception:
        LOGGER.exception("Unexpected error checking the naming endpoint")
        return "unknown"
    return None


async def async_validate_endpoint(hass: HomeAssistant, settings: NamingSettings) -> str | None:
    """Error key for the options form, or None when the endpoint names a sample session."""
    return await hass.async_add_executor_job(_probe_endpoint, settings)


async def async_validate_agent(hass: HomeAssistant, settings: NamingSettings) -> str | None:
    """Error key for the options form, or None when the agent names a sample session."""
    agent_id = settings.agent_id
    if not agent_id or "conversation" not in hass.config.components:
        return "agent_not_found"
    if agent_id in BUILTIN_AGENTS:
        return "agent_cannot_name"
    from homeassistant.components.conversation.agent_manager import async_get_agent

    if async_get_agent(hass, agent_id) is None:
        return "agent_not_found"
    opts = settings.naming_options()
    try:
        async with asyncio.timeout(settings.timeout_s):
            reply = await async_ask_agent(
                hass, agent_id, prompt_text(messages_for(probe_episode()))
            )
        validate_reply(reply, opts)
    except Exception as err:  # an agent can fail in any way: the form says so
        LOGGER.debug("Galatea naming agent %s replied badly: %s", agent_id, err)
        return "agent_bad_reply"
    return None


# -- after each embedded engine run -------------------------------------------------------------


class EmbeddedNaming:
    """Names the engine's recent sessions after each run (called in the runner's executor job)."""

    def __init__(self, hass: HomeAssistant, settings: NamingSettings, store: ActivityStore) -> None:
        self._hass = hass
        self.settings = settings
        self._store = store
        self._completer: Completer | None = None
        self._prepared = settings.mode != NAMING_OPENAI
        self.totals: dict[str, int] = {"runs": 0, "calls": 0, "cache_hits": 0, "fallbacks": 0,
                                       "errors": 0}
        self.last_errors: list[str] = []
        self._cancelled = threading.Event()
        if settings.mode == NAMING_AGENT and settings.agent_id:
            self._completer = self._guarded(
                agent_completer(hass, settings.agent_id, timeout_s=settings.timeout_s)
            )

    def _guarded(self, complete: Completer) -> Completer:
        """No new request once the entry is unloading (the namer stops after two refusals)."""

        def call(messages: list[dict[str, str]]) -> str:
            if self._cancelled.is_set():
                raise RuntimeError("Galatea is stopping")
            return complete(messages)

        return call

    def cancel(self) -> None:
        """Unload: requests not yet made are skipped; one in flight ends within its timeout."""
        self._cancelled.set()

    async def async_prepare(self) -> None:
        """Before the first run (event loop). ``openai`` is a manifest requirement, installed
        by HA with the integration; nothing is installed here."""
        self._prepared = True

    @property
    def prepared(self) -> bool:
        return self._prepared

    def _used_today(self, day: str) -> int:
        used = self._store.get_state(BUDGET_STATE_KEY)
        if isinstance(used, dict) and used.get("day") == day:
            return int(used.get("calls", 0))
        return 0

    def name_after_run(self, now: datetime, *, full: bool = False) -> NamingReport | None:
        """Executor only. ``now`` is local (its date is the budget's day)."""
        day = now.date().isoformat()
        used = self._used_today(day)
        left = max(0, self.settings.daily_calls - used)
        opts = replace(self.settings.naming_options(),
                       max_calls=min(self.settings.max_calls, left))
        completer = self._completer
        if completer is None and self.settings.mode == NAMING_OPENAI and left > 0:
            try:
                completer = self._completer = self._guarded(openai_completer(opts))
            except Exception as err:  # no package, bad URL: rules for this run
                self.last_errors = [f"{type(err).__name__}: {str(err)[:120]}"]
                LOGGER.debug("Galatea naming endpoint unavailable: %s", err)
        namer = SessionNamer(
            opts,
            cache=StoreCache(self._store),
            completer=completer,
            enabled=completer is not None and left > 0 and not self._cancelled.is_set(),
        )
        report = name_recent_sessions(
            self._store,
            namer,
            now,
            FULL_RUN_WINDOW if full else INCREMENTAL_WINDOW,
            ask_window=ASK_WINDOW,
            settle=SETTLE_TIME,
        )
        if report is None:
            return None
        if report.calls:
            self._store.set_state(BUDGET_STATE_KEY, {"day": day, "calls": used + report.calls})
        self.totals["runs"] += 1
        self.totals["calls"] += report.calls
        self.totals["cache_hits"] += report.cache_hits
        self.totals["fallbacks"] += report.fallbacks
        self.totals["errors"] += len(report.errors)
        if report.errors:
            self.last_errors = report.errors[-5:]
            LOGGER.debug("Galatea session naming fell back to rules: %s", report.errors)
        return report

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics (the API key is scrubbed from error texts)."""
        errors = list(self.last_errors)
        if self.settings.api_key:
            errors = [e.replace(self.settings.api_key, "**REDACTED**") for e in errors]
        return {
            "mode": self.settings.mode,
            "model": self.settings.model if self.settings.mode == NAMING_OPENAI else None,
            "agent_id": self.settings.agent_id,
            "max_calls": self.settings.max_calls,
            "daily_calls": self.settings.daily_calls,
            "timeout_s": self.settings.timeout_s,
            **self.totals,
            "last_errors": errors,
        }
