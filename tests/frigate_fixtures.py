"""Frigate MQTT message sequences built from the documented examples in tests/fixtures/frigate/."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "frigate"
EVENT_RELEASES = ("0.12", "0.13-0.14", "0.15", "0.16")
OBJECT_ID = "1607123955.475377-mxklsc"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def object_life(release: str, *, obj_id: str = OBJECT_ID, camera: str | None = None,
                prefix: str = "frigate") -> list[tuple[str, str]]:
    """new -> update (the docs' example) -> end, as (topic, payload) pairs."""
    example = load(f"events.{release}.json")
    before, after = copy.deepcopy(example["before"]), copy.deepcopy(example["after"])
    for obj in (before, after):
        obj["id"] = obj_id
        if camera:
            obj["camera"] = camera
    end = copy.deepcopy(after)
    end["end_time"] = after["frame_time"] + 3.0
    end["has_snapshot"] = True
    msgs = [
        {"type": "new", "before": before, "after": before},
        {"type": "update", "before": before, "after": after},
        {"type": "end", "before": after, "after": end},
    ]
    return [(f"{prefix}/events", json.dumps(m)) for m in msgs]


def review_life(
    name: str = "reviews.0.14.json", *, prefix: str = "frigate"
) -> list[tuple[str, str]]:
    example = load(name)
    after = copy.deepcopy(example["after"])
    first = copy.deepcopy(example["before"])
    end = copy.deepcopy(after)
    end["end_time"] = end["end_time"] or end["start_time"] + 95.0
    msgs = [
        {"type": "new", "before": first, "after": first},
        {"type": "update", "before": first, "after": after},
        {"type": "end", "before": after, "after": end},
    ]
    return [(f"{prefix}/reviews", json.dumps(m)) for m in msgs]
