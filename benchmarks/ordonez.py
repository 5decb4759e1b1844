"""Convert the UCI Ordóñez ADL dataset (home A or B) into what Home Assistant would have recorded.

The dataset (CC BY 4.0, non-commercial per its authors) is read from a path given by the caller and
never copied into this repository. Each sensor interval ``start, end, location, type, place``
becomes two ``state_changed`` events (``on`` then ``off``) shaped like ``Event.as_dict()``, with the
device class HA users give such sensors, and an areas mapping ``entity_id -> area`` like HA's
registries would give. Times are local Spanish time (CET, +01:00; the data covers Nov-Dec only).

Labels (``*_ADLs.txt``) are returned as ``Label(start, end, activity)``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

CET = timezone(timedelta(hours=1), "CET")
# Sensor type -> (HA domain, device_class). Flush sensors are vibration sensors on the cistern.
DEVICE_CLASSES: dict[str, str] = {
    "pir": "motion",
    "magnetic": "door",
    "pressure": "occupancy",
    "electric": "plug",
    "flush": "vibration",
}
_ROW = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+(.*)$")


@dataclass(frozen=True, slots=True)
class Interval:
    start: datetime
    end: datetime
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Label:
    start: datetime
    end: datetime
    activity: str


def _rows(path: Path) -> Iterator[Interval]:
    for line in path.read_text(encoding="latin-1").splitlines():
        m = _ROW.match(line.strip())
        if not m:
            continue
        start = datetime.fromisoformat(m[1]).replace(tzinfo=CET)
        end = datetime.fromisoformat(m[2]).replace(tzinfo=CET)
        yield Interval(start, end, tuple(m[3].split()))


def find_file(folder: Path, suffix: str) -> Path:
    matches = sorted(folder.glob(f"*{suffix}"))
    if not matches:
        raise FileNotFoundError(f"no *{suffix} in {folder}")
    return matches[0]


def entity_id_for(location: str, sensor_type: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", f"{location}_{sensor_type}".lower()).strip("_")
    return f"binary_sensor.{slug}"


def _event(
    entity_id: str, state: str, old: str | None, ts: datetime, attrs: dict[str, Any]
) -> dict[str, Any]:
    iso = ts.isoformat()
    ctx = {"id": uuid.uuid4().hex, "parent_id": None, "user_id": None}

    def st(value: str) -> dict[str, Any]:
        return {
            "entity_id": entity_id,
            "state": value,
            "attributes": attrs,
            "last_changed": iso,
            "last_updated": iso,
            "context": ctx,
        }

    return {
        "event_type": "state_changed",
        "data": {
            "entity_id": entity_id,
            "old_state": st(old) if old else None,
            "new_state": st(state),
        },
        "origin": "LOCAL",
        "time_fired": iso,
        "context": ctx,
    }


def load_sensors(
    folder: Path,
    *,
    drop_types: frozenset[str] = frozenset(),
    drop_places: frozenset[str] = frozenset(),
) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """HA events (time order) and the areas mapping. ``drop_*`` remove sensors for ablations."""
    timeline: list[tuple[datetime, int, str, str, dict[str, Any]]] = []
    areas: dict[str, dict[str, str]] = {}
    for row in _rows(find_file(folder, "_Sensors.txt")):
        if len(row.fields) < 3:
            continue
        location, sensor_type, place = row.fields[0], row.fields[1], row.fields[2]
        if sensor_type.lower() in drop_types or place.lower() in drop_places:
            continue
        dc = DEVICE_CLASSES.get(sensor_type.lower())
        if dc is None:
            continue
        entity_id = entity_id_for(location, sensor_type)
        areas[entity_id] = {"area": place, "device_class": dc, "name": f"{location} {sensor_type}"}
        attrs = {"device_class": dc, "friendly_name": f"{location} {sensor_type}"}
        timeline.append((row.start, 0, entity_id, "on", attrs))
        timeline.append((max(row.end, row.start), 1, entity_id, "off", attrs))
    timeline.sort(key=lambda r: (r[0], r[1]))
    last: dict[str, str] = {}
    events: list[dict[str, Any]] = []
    for ts, _, entity_id, state, attrs in timeline:
        old = last.get(entity_id)
        if old == state:
            continue  # overlapping intervals of one sensor: HA would not report "on" twice
        last[entity_id] = state
        events.append(
            _event(entity_id, state, old or ("off" if state == "on" else None), ts, attrs)
        )
    return events, areas


def load_labels(folder: Path) -> list[Label]:
    out = [
        Label(r.start, r.end, r.fields[0])
        for r in _rows(find_file(folder, "_ADLs.txt"))
        if r.fields
    ]
    out.sort(key=lambda lab: lab.start)
    return out
