"""The replay report: what the engine learned, as one JSON document.

Schema (times ISO-8601 with the home's UTC offset; ``HH:MM`` is local time):

- ``meta``: ``tz``, ``generated_at``, ``activity`` (events in the store), ``engine`` (last run).
- ``episodes``: ``kind`` (``sleep`` | ``away`` | ``session`` ...), ``start``, ``end``, ``area``,
  ``actor``, ``label``, ``confidence``, ``detail`` (e.g. ``scope``, ``method``), ``evidence``
  (first activity ids).
- ``routines``: ``key``, ``kind`` (``wake_up`` | ``go_to_bed`` | ``leave_home`` |
  ``arrive_home`` | ``habit``), ``label``, ``days`` (``daily`` | ``weekdays`` | ``weekends`` |
  list of weekday numbers, Monday = 0), ``time`` (``HH:MM``), ``spread_min``, ``support_days``,
  ``confidence``, ``actor``, ``entities``, ``evidence``, ``status`` (``learned`` | ``confirmed``
  | ``rejected`` | ``superseded``), ``valid_from``, ``valid_to``, ``detail``.
- ``sequences``: ``steps`` (``entity_id:state``), ``window_min``, ``support``, ``confidence``,
  ``lift``, ``automated``, ``actor`` (the automation for automated ones), ``evidence``.
- ``preferences``: ``kind`` (``climate_setpoint`` | ``light_brightness`` (percent) |
  ``light_color_temp`` (kelvin) | ``media``), ``subject``, ``value``, ``when``
  (``HH:MM-HH:MM``), ``mode``, ``spread``, ``support``, ``area``, ``evidence``.
- ``memories``: ``type``, ``text``, ``subject``, ``confidence``, ``valid_from``, ``valid_to``,
  ``status``, ``evidence`` (when memory formation has run).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from .models import Episode, Memory, Preference, Routine, Sequence, to_jsonable
from .store.protocol import Store

MAX_EVIDENCE = 20


def _iso(value: datetime | None, tz: tzinfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


def episode_dict(e: Episode, tz: tzinfo) -> dict[str, Any]:
    return {
        "kind": e.kind,
        "start": _iso(e.start, tz),
        "end": _iso(e.end, tz),
        "area": e.area,
        "actor": e.actor,
        "label": e.label,
        "confidence": round(e.confidence, 3),
        "detail": to_jsonable(e.detail),
        "evidence": e.evidence[:MAX_EVIDENCE],
    }


def routine_dict(r: Routine, tz: tzinfo) -> dict[str, Any]:
    return {
        "key": r.key,
        "kind": r.kind,
        "label": r.label,
        "days": r.days,
        "time": r.time,
        "spread_min": r.spread_min,
        "support_days": r.support_days,
        "confidence": r.confidence,
        "actor": r.actor,
        "entities": list(r.entities),
        "evidence": r.evidence[:MAX_EVIDENCE],
        "status": r.status,
        "valid_from": _iso(r.valid_from, tz),
        "valid_to": _iso(r.valid_to, tz),
        "detail": to_jsonable(r.detail),
    }


def sequence_dict(s: Sequence) -> dict[str, Any]:
    return {
        "steps": list(s.steps),
        "window_min": s.window_min,
        "support": s.support,
        "confidence": s.confidence,
        "lift": s.lift,
        "automated": s.automated,
        "actor": s.actor,
        "evidence": s.evidence[:MAX_EVIDENCE],
    }


def preference_dict(p: Preference) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "subject": p.subject,
        "value": p.value,
        "when": p.when,
        "mode": p.mode,
        "spread": p.spread,
        "support": p.support,
        "area": p.area,
        "actor": p.actor,
        "evidence": p.evidence[:MAX_EVIDENCE],
    }


def memory_dict(m: Memory, tz: tzinfo) -> dict[str, Any]:
    return {
        "type": m.type,
        "text": m.text,
        "key": m.key,
        "subject": m.subject,
        "confidence": m.confidence,
        "importance": m.importance,
        "valid_from": _iso(m.valid_from, tz),
        "valid_to": _iso(m.valid_to, tz),
        "learned_at": _iso(m.learned_at, tz),
        "origin": m.origin,
        "status": m.status,
        "evidence": m.evidence[:MAX_EVIDENCE],
    }


def build_report(
    store: Store, tz: tzinfo, *, engine: dict[str, Any] | None = None, include_sessions: bool = True
) -> dict[str, Any]:
    """The report for everything the store holds now (see the module docstring)."""
    episodes = [e for e in store.episodes() if include_sessions or e.kind != "session"]
    routines = sorted(
        store.routines(include_invalid=True), key=lambda r: (r.kind, r.actor or "", r.time, r.key)
    )
    try:
        memories = store.memories(include_closed=True)
    except TypeError:  # an older store without the flag
        memories = store.memories()
    return {
        "meta": {
            "tz": str(tz),
            "generated_at": datetime.now(tz).isoformat(),
            "activity": store.count_activity(),
            "engine": engine or {},
        },
        "episodes": [episode_dict(e, tz) for e in episodes],
        "routines": [routine_dict(r, tz) for r in routines],
        "sequences": [sequence_dict(s) for s in store.sequences()],
        "preferences": [preference_dict(p) for p in store.preferences()],
        "memories": [memory_dict(m, tz) for m in memories],
    }


def replay_tz(tz_name: str | None, sample: datetime | None) -> tzinfo:
    """``--tz`` when given, else the UTC offset the replayed events carry (fixed offset)."""
    if tz_name:
        from zoneinfo import ZoneInfo

        return ZoneInfo(tz_name)
    if sample is not None and sample.tzinfo is not None:
        from datetime import timezone

        offset = sample.utcoffset()
        if offset is not None:
            return timezone(offset)
    from datetime import UTC

    return UTC


def run_engine_and_report(store: Store, *, tz: tzinfo, json_out: str | None) -> dict[str, Any]:
    """``galatea replay`` after ingest: a full engine run, then the report (written to
    ``json_out`` when given, ``-`` for stdout)."""
    import json
    import sys
    from pathlib import Path

    from .loop import Engine

    summary = Engine(store, tz).run_once(full=True)
    report = build_report(store, tz, engine=summary.as_dict())
    if json_out:
        text = json.dumps(report, indent=1, ensure_ascii=False, default=str)
        if json_out == "-":
            sys.stdout.write(text + "\n")
        else:
            Path(json_out).write_text(text + "\n", encoding="utf-8")
    return report
