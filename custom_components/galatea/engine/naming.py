"""Optional LLM titles and one-line summaries for activity sessions.

The rule-based intent (``Episode.label``) stays the source of truth; an LLM behind any
OpenAI-compatible chat-completions endpoint may add a friendlier ``detail["title"]`` and
``detail["summary"]``. Numbers never come from the model: it is told nothing exact, replies that
contain digits are rejected, and durations/times are added by this module from the statistics.

Safety rails: a call budget per run, a per-call timeout with no retries, a stop after repeated
failures, a cache keyed by the session's signature (not its times, so one answer serves every
similar session), and a deterministic rule-based fallback on any error or bad reply.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping, MutableMapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from .capture.bounded_json import loads_bounded
from .models import Episode

_LOGGER = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You name activity sessions recorded by a smart home. Given a JSON description, reply with "
    'JSON only: {"title": "...", "summary": "..."}. The title is 2-5 words (like "Making '
    'breakfast"); the summary one short sentence. Never write numbers, times, durations or '
    "counts, and do not invent people or devices that are not in the description."
)


@dataclass(frozen=True, slots=True)
class NamingOptions:
    """Where the model is and how much of it one engine run may use."""

    base_url: str | None = None  # e.g. http://localhost:11434/v1 ; None = the library default
    model: str = "gpt-4o-mini"
    api_key: str | None = None
    max_calls: int = 20  # per run: naming is a nicety, never a cost surprise
    timeout_s: float = 10.0
    max_failures: int = 2  # stop calling for the rest of the run after this many errors
    max_title_chars: int = 40
    max_summary_chars: int = 160
    temperature: float = 0.2

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> NamingOptions:
        """From integration/add-on options: ``base_url``, ``model``, ``api_key``, ``max_calls``,
        ``timeout_s`` (each also accepted with an ``llm_`` prefix); unknown keys are ignored."""
        kw: dict[str, Any] = {}
        for name, kind in (
            ("base_url", str),
            ("model", str),
            ("api_key", str),
            ("max_calls", int),
            ("timeout_s", float),
        ):
            value = raw.get(f"llm_{name}", raw.get(name))
            if value is None or value == "":
                continue
            try:
                kw[name] = kind(value)
            except (TypeError, ValueError):
                continue  # a bad option value keeps the default
        return cls(**kw)


@dataclass(frozen=True, slots=True)
class Naming:
    title: str
    summary: str
    source: str  # llm | cache | rules


@dataclass(slots=True)
class NamingReport:
    calls: int = 0
    cache_hits: int = 0
    fallbacks: int = 0
    errors: list[str] = field(default_factory=list)


class NameCache(Protocol):
    def get(self, key: str) -> dict[str, str] | None: ...

    def set(self, key: str, value: dict[str, str]) -> None: ...


class DictCache:
    """In-memory cache; wrap any mapping (e.g. one persisted through the store's state kv)."""

    def __init__(self, data: MutableMapping[str, dict[str, str]] | None = None) -> None:
        self.data: MutableMapping[str, dict[str, str]] = data if data is not None else {}

    def get(self, key: str) -> dict[str, str] | None:
        return self.data.get(key)

    def set(self, key: str, value: dict[str, str]) -> None:
        self.data[key] = value


class FileCache(DictCache):
    """A JSON file on disk; written atomically after each new entry."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        data: dict[str, dict[str, str]] = {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(raw, dict):
                data = {k: v for k, v in raw.items() if isinstance(v, dict)}
        except (OSError, ValueError):
            pass  # missing or corrupt: start empty, it is only a cache
        super().__init__(data)
        self._lock = threading.Lock()

    def set(self, key: str, value: dict[str, str]) -> None:
        with self._lock:
            super().set(key, value)
            tmp = self.path.with_suffix(self.path.suffix + ".tmp")
            tmp.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self.data, ensure_ascii=False, sort_keys=True), "utf-8")
            tmp.replace(self.path)


class StateStore(Protocol):
    """The part of ActivityStore a cache needs (its small JSON key-value state)."""

    def get_state(self, key: str, default: Any = None) -> Any: ...

    def set_state(self, key: str, value: Any) -> None: ...


class StoreCache:
    """Names kept in the engine store's state table, so they survive restarts with the data."""

    def __init__(self, store: StateStore, prefix: str = "naming:") -> None:
        self.store = store
        self.prefix = prefix

    def get(self, key: str) -> dict[str, str] | None:
        value = self.store.get_state(self.prefix + key)
        if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            return value
        return None

    def set(self, key: str, value: dict[str, str]) -> None:
        self.store.set_state(self.prefix + key, value)


# -- what the model is told ---------------------------------------------------------------------


def _part_of_day(ep: Episode) -> str:
    hour = ep.start.hour
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


def _length_word(minutes: float) -> str:
    if minutes < 5:
        return "brief"
    if minutes < 20:
        return "short"
    if minutes < 90:
        return "medium"
    return "long"


def describe(ep: Episode) -> dict[str, Any]:
    """The session as the model sees it: words, no numbers (so none can be echoed back)."""
    minutes = (ep.end - ep.start).total_seconds() / 60
    entities = [str(e) for e in ep.detail.get("entities", [])][:8]
    return {
        "area": ep.area,
        "area_kind": ep.detail.get("role"),
        "guessed_activity": ep.label,
        "devices": [re.sub(r"[\d_]+", " ", e.split(".", 1)[-1]).strip() for e in entities],
        "domains": sorted({e.split(".", 1)[0] for e in entities}),
        "part_of_day": _part_of_day(ep),
        "length": _length_word(minutes),
        "person_known": ep.actor is not None,
    }


def signature(ep: Episode, model: str = "") -> str:
    """Cache key: what the model is told (and which model), never the exact times."""
    blob = json.dumps([model, describe(ep)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


# -- rules and validation -----------------------------------------------------------------------


def rule_naming(ep: Episode) -> Naming:
    """Deterministic title and summary from the rule intent and the statistics."""
    label = (ep.label or "activity").strip()
    title = label[:1].upper() + label[1:]
    where = f" in {ep.area}" if ep.area else ""
    return Naming(
        title, f"{title}{where}, {_length_word(_minutes(ep))} ({_part_of_day(ep)}).", "rules"
    )


def _minutes(ep: Episode) -> float:
    return (ep.end - ep.start).total_seconds() / 60


def with_facts(summary: str, ep: Episode) -> str:
    """Append the numbers ourselves: times and duration come from the data, not the model."""
    start = ep.start.strftime("%H:%M")
    end = ep.end.strftime("%H:%M")
    return f"{summary.rstrip('.')} ({start}-{end}, {round(_minutes(ep))} min)."


_ALLOWED = re.compile(r"^[^\d\n\r\t<>{}\[\]`|\\]+$")


def validate_reply(content: str, opts: NamingOptions) -> tuple[str, str]:
    """Parse and check a model reply; raises ValueError when it is not usable."""
    text = content.strip()
    fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.S)
    if fenced:
        text = fenced.group(1)
    data = loads_bounded(text)
    if not isinstance(data, dict):
        raise ValueError("reply is not a JSON object")
    title, summary = data.get("title"), data.get("summary")
    if not isinstance(title, str) or not isinstance(summary, str):
        raise ValueError("title/summary missing")
    title, summary = " ".join(title.split()), " ".join(summary.split())
    if not title or len(title) > opts.max_title_chars:
        raise ValueError("title empty or too long")
    if not summary or len(summary) > opts.max_summary_chars:
        raise ValueError("summary empty or too long")
    for value in (title, summary):
        if not _ALLOWED.match(value):
            raise ValueError("reply contains digits or markup")
    return title, summary


# -- the namer ----------------------------------------------------------------------------------


def messages_for(ep: Episode) -> list[dict[str, str]]:
    """The chat messages one naming request sends: the instructions, then ``describe(ep)``."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": json.dumps(describe(ep), ensure_ascii=False)},
    ]


class Completer(Protocol):
    """One chat completion: messages in, the assistant's text out (raises on any failure)."""

    def __call__(self, messages: list[dict[str, str]]) -> str: ...


def openai_completer(opts: NamingOptions) -> Completer:
    """A completer on the ``openai`` package (sync client: the engine runs in a worker thread)."""
    from openai import OpenAI

    client = OpenAI(
        base_url=opts.base_url,
        api_key=opts.api_key or "not-needed",
        timeout=opts.timeout_s,
        max_retries=0,
    )

    def complete(messages: list[dict[str, str]]) -> str:
        reply = client.chat.completions.create(
            model=opts.model,
            messages=messages,  # type: ignore[arg-type]
            temperature=opts.temperature,
            max_tokens=120,
        )
        content = reply.choices[0].message.content if reply.choices else None
        if not isinstance(content, str):
            raise ValueError("empty reply")
        return content

    return complete


class SessionNamer:
    """Names sessions with an LLM when configured, and by rules otherwise or on any failure."""

    def __init__(
        self,
        options: NamingOptions | None = None,
        *,
        cache: NameCache | None = None,
        completer: Completer | None = None,
        enabled: bool = True,
    ) -> None:
        self.options = options or NamingOptions()
        self.cache: NameCache = cache if cache is not None else DictCache()
        self._completer = completer
        self.enabled = enabled

    def _complete(self) -> Completer | None:
        if not self.enabled:
            return None
        if self._completer is None:
            try:
                self._completer = openai_completer(self.options)
            except Exception as err:
                _LOGGER.debug("LLM naming unavailable: %s", err)
                self.enabled = False
                return None
        return self._completer

    def name(self, episodes: Iterable[Episode]) -> NamingReport:
        """Add ``title``/``summary``/``named_by`` to each session's detail (in place)."""
        report = NamingReport()
        failures = 0
        for ep in episodes:
            if ep.kind != "session":
                continue
            key = signature(ep, self.options.model)
            naming = self._cached(key)
            if naming is not None:
                report.cache_hits += 1
            else:
                complete = self._complete() if failures < self.options.max_failures else None
                if complete is not None and report.calls < self.options.max_calls:
                    report.calls += 1
                    naming = self._ask(complete, ep, key, report)
                    if naming is None:
                        failures += 1
                if naming is None:
                    naming = rule_naming(ep)
                    report.fallbacks += 1
            ep.detail["title"] = naming.title
            ep.detail["summary"] = with_facts(naming.summary, ep)
            ep.detail["named_by"] = naming.source
        return report

    def _cached(self, key: str) -> Naming | None:
        hit = self.cache.get(key)
        if hit and isinstance(hit.get("title"), str) and isinstance(hit.get("summary"), str):
            return Naming(hit["title"], hit["summary"], "cache")
        return None

    def _ask(
        self, complete: Completer, ep: Episode, key: str, report: NamingReport
    ) -> Naming | None:
        try:
            title, summary = validate_reply(complete(messages_for(ep)), self.options)
        except Exception as err:
            report.errors.append(f"{type(err).__name__}: {str(err)[:120]}")
            return None
        self.cache.set(key, {"title": title, "summary": summary})
        return Naming(title, summary, "llm")


# -- naming what the engine found -------------------------------------------------------------

NAMING_WINDOW = timedelta(hours=48)  # the engine re-mines recent sessions every run; the cache
# makes naming the same session again free.


class SessionStore(StateStore, Protocol):
    """The part of ActivityStore that naming recent sessions needs."""

    def episodes(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        kind: str | None = None,
    ) -> list[Episode]: ...

    def unit_of_work(self) -> AbstractContextManager[Any]: ...


def name_recent_sessions(
    store: SessionStore,
    namer: SessionNamer,
    now: datetime,
    window: timedelta = NAMING_WINDOW,
    *,
    ask_window: timedelta | None = None,
    settle: timedelta = timedelta(0),
) -> NamingReport | None:
    """Title and summarise the sessions that started in ``window`` before ``now`` and are not
    named yet, and write them back in one transaction (None when there was nothing to do).

    Only sessions inside ``ask_window`` (default: all of ``window``) may cost a model call; older
    ones get their cached name or the rules (after a full re-mine, old sessions keep the names
    they had without asking again). Sessions that ended less than ``settle`` ago may still grow
    (and change what the model would be told): they are left for a later call. ``now`` must be
    timezone-aware."""
    since = now - window
    sessions = [e for e in store.episodes(start=since, kind="session") if e.start >= since]
    todo = [e for e in sessions if "named_by" not in e.detail and e.end <= now - settle]
    if not todo:
        return None
    ask_since = now - (ask_window if ask_window is not None else window)
    report = namer.name(e for e in todo if e.start >= ask_since)
    old = [e for e in todo if e.start < ask_since]
    if old:
        offline = SessionNamer(namer.options, cache=namer.cache, enabled=False).name(old)
        report.cache_hits += offline.cache_hits
        report.fallbacks += offline.fallbacks
    with store.unit_of_work() as uow:
        uow.replace_episodes(sessions, since=since, kinds={"session"})
    return report
