"""Frigate payloads are untrusted: decoding and field readers that reject anything too big, not
UTF-8, not JSON, deeply nested, of the wrong type or of an unknown shape (HA-free)."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from .bounded_json import MAX_JSON_DEPTH, JSONTooDeep, loads_bounded

MAX_PAYLOAD_BYTES: Final = 64 * 1024
MAX_LIST_ITEMS: Final = 64
MAX_NAME_CHARS: Final = 128
MAX_DESCRIPTION_CHARS: Final = 500
# Frigate clocks outside this window are not believed (fall back to the receive time).
_MIN_EPOCH: Final = 946_684_800.0  # 2000-01-01
_MAX_EPOCH: Final = 4_102_444_800.0  # 2100-01-01


class FrigatePayloadError(ValueError):
    """A message Galatea does not accept; ``reason`` is the counter key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def printable(text: str) -> str:
    """Text safe for any log handler (lone surrogates and control characters escaped)."""
    return text.encode("ascii", "backslashreplace").decode("ascii")


def decode(payload: bytes | str | bytearray | memoryview, limit: int) -> str:
    if isinstance(payload, bytearray | memoryview):
        payload = bytes(payload)
    if isinstance(payload, bytes):
        if len(payload) > limit:
            raise FrigatePayloadError("too_large", f"{len(payload)} bytes")
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError as err:
            raise FrigatePayloadError("not_utf8", "") from err
    if isinstance(payload, str):
        if len(payload) > limit:
            raise FrigatePayloadError("too_large", f"{len(payload)} characters")
        return payload
    raise FrigatePayloadError("malformed", f"payload of type {type(payload).__name__}")


def load_object(text: str) -> Mapping[str, Any]:
    try:
        value = loads_bounded(text, MAX_JSON_DEPTH)
    except JSONTooDeep as err:
        raise FrigatePayloadError("too_deep", str(err)) from err
    except ValueError as err:
        raise FrigatePayloadError("not_json", str(err)[:80]) from err
    if not isinstance(value, dict):
        raise FrigatePayloadError("malformed", "payload must be a JSON object")
    return value


def record_header(
    msg: Mapping[str, Any], topic: str, allowed: Collection[str]
) -> tuple[str, Mapping[str, Any], str, str]:
    """An events/reviews message's ``type``, ``after`` object and the latter's id and camera."""
    kind = checked_type(msg, topic, allowed)
    after = msg.get("after")
    if not isinstance(after, Mapping):
        raise FrigatePayloadError("malformed", f"{topic}.after must be an object")
    return kind, after, required_name(after, "id"), required_name(after, "camera")


def checked_type(msg: Mapping[str, Any], topic: str, allowed: Collection[str]) -> str:
    """The message's ``type``, one of ``allowed``."""
    kind = msg.get("type")
    if kind not in allowed:
        raise FrigatePayloadError("unknown_type", f"{topic} type {str(kind)[:20]!r}")
    return str(kind)


def name(raw: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise FrigatePayloadError("malformed", f"{key} is required")
        return None
    if not isinstance(value, str):
        raise FrigatePayloadError("malformed", f"{key} must be a string")
    if not value:
        if required:
            raise FrigatePayloadError("malformed", f"{key} must not be empty")
        return None
    if len(value) > MAX_NAME_CHARS:
        raise FrigatePayloadError("malformed", f"{key} longer than {MAX_NAME_CHARS}")
    return value


def required_name(raw: Mapping[str, Any], key: str) -> str:
    value = name(raw, key, required=True)
    assert value is not None
    return value


def names(raw: Mapping[str, Any], key: str) -> list[str]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise FrigatePayloadError("malformed", f"{key} must be a list")
    out = []
    for item in value[:MAX_LIST_ITEMS]:
        if not isinstance(item, str) or len(item) > MAX_NAME_CHARS:
            raise FrigatePayloadError("malformed", f"{key} items must be short strings")
        out.append(item)
    return out


def number(value: Any, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FrigatePayloadError("malformed", f"{key} must be a number")
    result = float(value)
    if not math.isfinite(result):
        raise FrigatePayloadError("malformed", f"{key} must be finite")
    return result


def epoch(value: Any, key: str) -> float | None:
    result = number(value, key)
    if result is None or result == 0:
        return None
    if not _MIN_EPOCH <= result <= _MAX_EPOCH:
        raise FrigatePayloadError("malformed", f"{key} out of range")
    return result


def to_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def sub_label(value: Any) -> tuple[str | None, float | None]:
    """0.12: "name" | None; 0.13+: ["name", score] | None."""
    if value is None:
        return None, None
    if isinstance(value, str):
        return (value[:MAX_NAME_CHARS] or None), None
    if isinstance(value, list) and value and isinstance(value[0], str):
        score = number(value[1], "sub_label") if len(value) > 1 else None
        return (value[0][:MAX_NAME_CHARS] or None), score
    raise FrigatePayloadError("malformed", "sub_label must be a string or [name, score]")


def union(target: list[str], items: Iterable[str]) -> None:
    for item in items:
        if item not in target and len(target) < MAX_LIST_ITEMS:
            target.append(item)
