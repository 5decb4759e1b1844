"""What the store admits: events it can certainly write, so that accepted means stored.

Doors validate untrusted input themselves (and answer with the reason). Events made inside
Galatea (HA's bus, Frigate, backfill) pass through ``admit``: text the database cannot hold is
repaired (lone surrogates replaced, over-long fields cut) rather than failing at commit time.
Only a time outside what can be stored makes an event inadmissible.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..models import (
    MAX_DATA_BYTES,
    MAX_SUMMARY_CHARS,
    MAX_TEXT_FIELD_CHARS,
    ActivityEvent,
    ValidationError,
    check_storable,
    check_storable_time,
)

_TEXT_FIELDS = (
    "source", "kind", "entity_id", "area", "floor", "device", "device_class", "actor",
    "actor_kind", "state", "old_state", "context_id", "parent_id", "blob",
)


_SURROGATES = re.compile("[\ud800-\udfff]")


def _clean(value: str, limit: int) -> str:
    return _SURROGATES.sub("\ufffd", value)[:limit]


def _clean_data(data: Any) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        return {"unreadable": True}
    try:
        text = json.dumps(data, default=str, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        try:
            text = json.dumps({str(k): str(v) for k, v in dict(data).items()}, sort_keys=True,
                              ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            return {"unreadable": True}
    text = _SURROGATES.sub("\ufffd", text)
    if len(text.encode("utf-8")) > MAX_DATA_BYTES:
        return {"truncated": True}
    cleaned: dict[str, Any] = json.loads(text)
    return cleaned


def admit(ev: ActivityEvent) -> ActivityEvent:
    """``ev`` as the store will write it; raises ``ValidationError`` when its time cannot be
    stored (the only thing not repaired)."""
    try:
        check_storable(ev)
    except ValidationError as err:
        if err.field == "ts":
            raise
    else:
        return ev
    check_storable_time(ev.ts)
    fields: dict[str, Any] = {}
    for key in _TEXT_FIELDS:
        value = getattr(ev, key)
        if value is not None:
            fields[key] = _clean(str(value), MAX_TEXT_FIELD_CHARS)
    if ev.summary is not None:
        fields["summary"] = _clean(str(ev.summary), MAX_SUMMARY_CHARS)
    fields["data"] = _clean_data(ev.data) if ev.data else {}
    fields["source"] = fields.get("source") or "ha"
    fields["kind"] = fields.get("kind") or "unknown"
    fixed = replace(ev, **fields)
    check_storable(fixed)
    return fixed
