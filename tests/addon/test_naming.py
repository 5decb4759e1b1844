"""The add-on names sessions with the engine's shared helper: recent ones may cost a model call,
and after the nightly full re-mine older ones get their cached titles back without one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from galatea_addon.worker import name_sessions
from galatea_engine.models import Episode
from galatea_engine.naming import DictCache, NamingOptions, SessionNamer, signature
from galatea_engine.store import ActivityStore


def _session(hours_ago: float) -> Episode:
    start = datetime.now(UTC) - timedelta(hours=hours_ago)
    return Episode(
        kind="session",
        start=start,
        end=start + timedelta(minutes=25),
        area="Kitchen",
        label="cooking",
        confidence=0.8,
        detail={"role": "kitchen", "domains": ["light", "switch"]},
    )


def test_full_run_restores_old_titles_from_the_cache_without_calls(tmp_path: Path) -> None:
    store = ActivityStore(path=tmp_path / "galatea.db")
    old, recent = _session(60), _session(3)
    options = NamingOptions(base_url="http://127.0.0.1:9", model="local")
    cache = DictCache()
    cache.set(signature(old, options.model), {"title": "Slow dinner", "summary": "A long meal."})
    asked: list[int] = []

    def complete(messages: list[dict[str, str]]) -> str:
        asked.append(len(messages))
        return json.dumps({"title": "Quick lunch", "summary": "Something light was cooked."})

    with store.unit_of_work() as uow:  # what the nightly re-mine wrote: no names yet
        uow.replace_episodes([old, recent], since=old.start - timedelta(hours=1))
    namer = SessionNamer(options, cache=cache, completer=complete)
    counts = name_sessions(store, namer, full=True)
    titles = {e.detail["title"]: e.detail["named_by"] for e in store.episodes(kind="session")}
    assert titles == {"Slow dinner": "cache", "Quick lunch": "llm"}
    assert len(asked) == 1  # only the recent session cost a call
    assert counts == {"calls": 1, "cache_hits": 1, "fallbacks": 0}
    assert name_sessions(store, namer) == {}  # nothing left to name
    store.stop()
