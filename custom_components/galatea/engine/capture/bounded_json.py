"""JSON from untrusted sources with a bound on nesting.

Python 3.14's decoder parses arbitrarily deep input without a ``RecursionError``, so the depth
is checked here, for every door alike (webhook, MQTT, Frigate, replay files).
"""

from __future__ import annotations

import json
from typing import Any, Final

MAX_JSON_DEPTH: Final = 12


class JSONTooDeep(ValueError):
    """Nested deeper than allowed."""


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """Nesting depth of containers, walked iteratively; stops counting past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, level = stack.pop()
        if level > deepest:
            deepest = level
            if deepest > limit:
                break
        items = node.values() if isinstance(node, dict) else node
        stack.extend((v, level + 1) for v in items if isinstance(v, dict | list))
    return deepest


def loads_bounded(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that raises ``JSONTooDeep`` past ``max_depth`` (``ValueError`` when the
    text is not JSON). Only bracket-heavy texts are walked: fewer brackets than the bound
    cannot nest past it."""
    try:
        value = json.loads(text)
    except RecursionError as err:
        raise JSONTooDeep(f"nested deeper than {max_depth}") from err
    raw = text if isinstance(text, str) else text.decode("utf-8", "replace")
    if raw.count("[") + raw.count("{") > max_depth and json_depth(value, max_depth) > max_depth:
        raise JSONTooDeep(f"nested deeper than {max_depth}")
    return value
