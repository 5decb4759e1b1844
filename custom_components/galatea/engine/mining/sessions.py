"""Activity ``session`` episodes: contiguous activity in one area, with a guessed intent.

A session is a run of activity in one area (or, for PC/phone activity with no area, one actor)
whose pauses are shorter than ``gap_min``. Its intent is guessed from what the area is for and what
was used in it (kitchen + appliance -> cooking, a media player playing -> watching TV, PC focus ->
working at the PC). Labels are plain rule output; an optional LLM may rename them (naming.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from ..models import ActivityEvent, Episode
from .areas import (
    BATHROOM,
    BEDROOM,
    DINING,
    ENTRANCE,
    GARAGE,
    KITCHEN,
    LAUNDRY,
    LIVING,
    OFFICE,
    OUTDOOR,
    AreaRoles,
)
from .away import WhoIsHome
from .presence import Signal, signals
from .robots import robot_runs, without_robot
from .unattended import unattended


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """Thresholds with the reasoning behind each default."""

    # Pauses up to 10 min stay in one session: stirring a pot or reading a page fires nothing.
    gap_min: float = 10.0
    # A held sensor (sofa mat, media playing) longer than this is probably stuck.
    max_hold_h: float = 6.0
    # Kitchen time this long counts as cooking even without an appliance sensor.
    cooking_min: float = 10.0
    max_evidence: int = 200


# Digital activity kinds (CAPTURE-EXT) that mean someone is at a computer.
PC_KINDS = frozenset(
    {
        "app_focus",
        "window_focus",
        "command",
        "coding_session",
        "prompt_submitted",
        "tool_use",
        "browse",
        "shell",
        "editor",
    }
)
# Digital kinds that say someone stopped (or nothing at all): they never extend a session.
IDLE_KINDS = frozenset(
    {
        "idle",
        "lock",
        "screen_off",
        "session_end",
        "notification",
        "unavailable",
    }
)


SEAT_CLASSES = frozenset({"occupancy", "presence"})
_PRESENCE_KINDS = frozenset({"hold", "contact", "appliance", "control", "media"})


@dataclass(slots=True)
class _Run:
    start: float
    end: float
    sigs: list[Signal]
    events: list[ActivityEvent]


def _session_signals(
    events: Sequence[ActivityEvent], max_hold_s: float
) -> list[tuple[Signal, ActivityEvent | None]]:
    """Presence signals plus digital activity (PC agents, companion apps) that carries no area."""
    sigs = signals(
        events,
        max_hold_s=max_hold_s,
        kinds=_PRESENCE_KINDS,
        held=frozenset({"hold", "media", "appliance"}),  # an oven on is someone cooking
    )
    # A TV left on for the night is no evening of television (unattended.py).
    data_end = max((e.ts.timestamp() for e in events), default=0.0)
    # ... nor is a robot vacuum's run someone in the rooms it cleans (robots.py).
    kept = without_robot(unattended(sigs, data_end), robot_runs(events))
    out: list[tuple[Signal, ActivityEvent | None]] = [(s, None) for s in kept]
    for ev in events:
        if ev.entity_id is None and ev.source != "digital":
            continue
        digital = ev.source == "digital" or (
            ev.domain == "sensor"
            and ev.kind == "state_changed"
            and ev.device_class is None
            and ev.actor_kind not in ("automation", "script")
            and ev.area is not None
        )
        if not digital or ev.kind in IDLE_KINDS:
            continue
        t = ev.ts.timestamp()
        key = ev.entity_id or f"digital.{ev.actor or ev.device or 'unknown'}"
        out.append((Signal(t, t, key, ev.area, "digital", ev.kind, ev.id, True), ev))
    out.sort(key=lambda p: p[0].t)
    return out


# What a session in an area of this role most likely is, when nothing more specific (a device
# used, how long) says otherwise: (label, confidence, reason).
ROLE_INTENTS: dict[str, tuple[str, float, str]] = {
    DINING: ("eating", 0.6, "dining area"),
    BATHROOM: ("personal care", 0.7, "bathroom"),
    LIVING: ("living room activity", 0.45, "living room"),
    BEDROOM: ("resting", 0.5, "bedroom"),
    OFFICE: ("working", 0.6, "office"),
    ENTRANCE: ("coming and going", 0.5, "entrance"),
    LAUNDRY: ("doing laundry", 0.6, "laundry room"),
    GARAGE: ("in the garage", 0.45, "garage"),
    OUTDOOR: ("outdoors", 0.45, "outdoor area"),
}


def guess_intent(
    role: str | None,
    kinds: Counter[str],
    digital_kinds: set[str],
    duration_min: float,
    opts: SessionOptions,
    media_classes: frozenset[str | None] = frozenset(),
) -> tuple[str, float, list[str]]:
    """(label, confidence before role trust, reasons) from area role and the devices used."""
    if digital_kinds & PC_KINDS or (role == OFFICE and kinds["digital"]):
        return "working at the PC", 0.8, ["computer activity"]
    if "call" in digital_kinds:
        return "on a call", 0.7, ["call on a device"]
    if role == KITCHEN and kinds["appliance"]:
        return "cooking", 0.8, ["kitchen appliance used"]
    if kinds["media"]:
        tv = media_classes & {"tv"} or (not media_classes - {None} and role in (LIVING, BEDROOM))
        if tv:
            return "watching TV", 0.8, ["TV playing"]
        return "listening to music", 0.7, ["speaker playing"]
    if role == KITCHEN:
        if duration_min >= opts.cooking_min:
            return "cooking", 0.6, [f"{duration_min:.0f} min in the kitchen"]
        return "kitchen visit", 0.55, ["short kitchen visit"]
    if role == LIVING and kinds["seat"]:
        return "relaxing", 0.65, ["seat/presence held in the living room"]
    if role is not None and role in ROLE_INTENTS:
        label, confidence, reason = ROLE_INTENTS[role]
        return label, confidence, [reason]
    if kinds["digital"]:
        return "using a device", 0.4, ["digital activity"]
    return "activity", 0.3, ["no area role"]


def _most_common_actor(
    ids: list[int], by_id: dict[int, ActivityEvent], events: list[ActivityEvent]
) -> str | None:
    """Who did most of a run: its signals' user-initiated events, then its digital ones."""
    names = [
        a
        for a in (
            *(by_id[i].actor for i in ids if i in by_id and by_id[i].user_initiated),
            *(e.actor for e in events),
        )
        if a
    ]
    if not names:  # most runs: no Counter to build
        return None
    return Counter(names).most_common(1)[0][0]


def find_sessions(
    events: Sequence[ActivityEvent],
    roles: AreaRoles,
    tz: tzinfo,
    opts: SessionOptions | None = None,
    who_is_home: WhoIsHome | None = None,
) -> list[Episode]:
    """Sessions per area (digital activity without an area: per actor). When person trackers
    say exactly one person was home, the session is theirs."""
    opts = opts or SessionOptions()
    gap = opts.gap_min * 60
    runs: dict[tuple[str | None, str | None], list[_Run]] = {}
    for sig, ev in _session_signals(events, opts.max_hold_h * 3600):
        key = (sig.area, None) if sig.area else (None, ev.actor if ev else None)
        if key == (None, None) and ev is None:
            continue  # presence evidence with no area: nothing to attach a session to
        lst = runs.setdefault(key, [])
        if lst and sig.t <= lst[-1].end + gap:
            run = lst[-1]
            run.end = max(run.end, sig.end)
            run.sigs.append(sig)
        else:
            lst.append(_Run(sig.t, sig.end, [sig], []))
        if ev is not None:
            lst[-1].events.append(ev)
    by_id = {e.id: e for e in events if e.id is not None}
    out: list[Episode] = []
    for (area, actor_key), lst in runs.items():
        role = roles.role(area)
        for run in lst:
            kinds = Counter(s.kind for s in run.sigs)
            kinds["seat"] = sum(
                1 for s in run.sigs if s.kind == "hold" and s.device_class in SEAT_CLASSES
            )
            digital_kinds = {e.kind for e in run.events}
            duration_min = (run.end - run.start) / 60
            media = frozenset(s.device_class for s in run.sigs if s.kind == "media")
            label, conf, reasons = guess_intent(
                role, kinds, digital_kinds, duration_min, opts, media
            )
            if area is not None and not roles.named(area):
                conf *= 0.8  # role guessed from behaviour, not from the name
            conf = min(0.95, conf + min(0.1, len(run.sigs) / 100))
            ids = [s.event_id for s in run.sigs if s.event_id is not None]
            actor = actor_key or _most_common_actor(ids, by_id, run.events)
            if actor is None and who_is_home is not None:
                home = who_is_home.during(run.start, run.end)
                if len(home) == 1:
                    actor = next(iter(home))  # the only person home did it
                    reasons = [*reasons, "only person home"]
            out.append(
                Episode(
                    kind="session",
                    start=datetime.fromtimestamp(run.start, tz),
                    end=datetime.fromtimestamp(run.end, tz),
                    area=area,
                    actor=actor,
                    label=label,
                    confidence=round(conf, 3),
                    detail={
                        "intent": label,
                        "role": role,
                        "reasons": reasons,
                        "entities": sorted({s.entity_id for s in run.sigs})[:20],
                        "events": len(run.sigs),
                        "duration_min": round(duration_min, 1),
                    },
                    evidence=sorted(set(ids))[: opts.max_evidence],
                )
            )
    out.sort(key=lambda e: e.start)
    return out
