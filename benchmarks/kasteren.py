"""Convert a van Kasteren 2010 house (C; A or B in the same layout) into what HA would record.

The dataset is read from a path given by the caller and never copied into this repository (its
authors published it for research). Each sensor interval ``start<TAB>end<TAB>id`` becomes two
``state_changed`` events (``on`` then ``off``) shaped like ``Event.as_dict()``; the areas mapping
gives each sensor the area and device class an ordinary HA user would give it:

* the front door and the bedroom door are door contacts in an area named "Hall" (the bedroom door
  is an inner door: closing it at night is not leaving home);
* the two bed mats and the couch mat are ``occupancy`` sensors (they report movement, not presence);
* PIRs are ``motion``; cupboard reeds are ``opening``; the toilet/sink flushes and the keys sensor
  have no device class at all (what a user who never set one would have).

Labels: ``go-to-bed`` is the whole night in bed, ``leave-house`` an absence (activity names are
read as ``go-to-bed`` whether a house's map writes ``go to bed``, ``go_to_bed`` or ``goToBed``).
Times are local (CET, +01:00; no DST change in the range).

The files are found by their pattern (``sensorMap?-ids.txt``, ``house?-ss.txt``,
``house?-as.txt``, ``actionMap?.txt``), so another house of the same release reads the same way;
a place class not in :data:`AREAS` becomes an area of that name.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

CET = timezone(timedelta(hours=1), "CET")
# The authors' place class -> the HA area a user would create.
AREAS = {
    "Sleep": "Bedroom",
    "SleepDoor": "Hall",
    "Outside": "Hall",
    "Toilet": "Toilet",
    "Bathroom": "Bathroom",
    "BathroomDoor": "Bathroom",
    "Kitchen": "Kitchen",
    "KitchStor": "Kitchen",
    "KitchHeat": "Kitchen",
    "Other": "Living room",
}


def _device_class(description: str) -> str | None:
    d = description.lower()
    if "mat" in d:
        return "occupancy"
    if "pir" in d:
        return "motion"
    if "flush" in d or "keys" in d:
        return None
    if "door" in d:
        return "door"
    return "opening"


@dataclass(frozen=True, slots=True)
class Label:
    start: datetime
    end: datetime
    activity: str


def find_file(folder: Path, pattern: str) -> Path:
    """The one file in ``folder`` matching ``pattern`` (e.g. ``house?-ss.txt``)."""
    matches = sorted(folder.glob(pattern))
    if not matches:
        raise FileNotFoundError(f"no {pattern} in {folder}")
    return matches[0]


def is_house(folder: Path) -> bool:
    """Whether ``folder`` holds a house in this layout."""
    return any(folder.glob("house?-ss.txt")) and any(folder.glob("sensorMap?-ids.txt"))


def activity_name(text: str) -> str:
    """``go to bed``, ``go_to_bed``, ``goToBed`` -> ``go-to-bed``."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", "-", text.strip())
    return "-".join(re.split(r"[\s_\-]+", spaced.lower())).strip("-")


def _time(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%d-%b-%Y %H:%M:%S").replace(tzinfo=CET)


def _rows(path: Path) -> list[tuple[datetime, datetime, str]]:
    out = []
    for line in path.read_text(encoding="latin-1").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[2].strip():
            continue
        out.append((_time(parts[0]), _time(parts[1]), parts[2].strip()))
    return out


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
    folder: Path, *, drop_places: frozenset[str] = frozenset()
) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """HA events (time order) and the areas mapping (``entity_id -> area, device_class, name``)."""
    sensors: dict[str, tuple[str, str]] = {}
    ss = find_file(folder, "house?-ss.txt")
    letter = ss.name[5].lower()
    for line in find_file(folder, "sensorMap?-ids.txt").read_text(encoding="latin-1").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 3 and parts[0].isdigit():
            sensors[parts[0]] = (parts[1], parts[2])
    areas: dict[str, dict[str, str]] = {}
    timeline: list[tuple[datetime, int, str, str, dict[str, Any]]] = []
    for start, end, sid in _rows(ss):
        if sid not in sensors or sensors[sid][1] in drop_places:
            continue
        desc, place = sensors[sid]
        words = "_".join(desc.lower().split()[:2])
        entity_id = f"binary_sensor.{letter}{sid}_" + re.sub(r"[^a-z0-9_]+", "_", words)
        dc = _device_class(desc)
        info = {"area": AREAS.get(place, place or "Living room"), "name": desc}
        attrs: dict[str, Any] = {"friendly_name": desc}
        if dc:
            info["device_class"] = dc
            attrs["device_class"] = dc
        areas[entity_id] = info
        timeline.append((start, 0, entity_id, "on", attrs))
        timeline.append((max(end, start), 1, entity_id, "off", attrs))
    timeline.sort(key=lambda r: (r[0], r[1]))
    last: dict[str, str] = {}
    events: list[dict[str, Any]] = []
    for ts, _, entity_id, state, attrs in timeline:
        old = last.get(entity_id)
        if old == state:
            continue
        last[entity_id] = state
        events.append(
            _event(entity_id, state, old or ("off" if state == "on" else None), ts, attrs)
        )
    return events, areas


def load_labels(folder: Path) -> list[Label]:
    names: dict[str, str] = {}
    actions = find_file(folder, "actionMap?.txt")
    for line in actions.read_text(encoding="latin-1").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 2:
            names[parts[0]] = activity_name(parts[1])
    rows = _rows(find_file(folder, "house?-as.txt"))
    out = [Label(a, b, names.get(i, i)) for a, b, i in rows]
    out.sort(key=lambda lab: lab.start)
    return out
