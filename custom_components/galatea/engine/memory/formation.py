"""Form memories from what the engine mined: episodic, semantic and procedural.

Every engine-made memory has a *slot* (what it is about: a routine, a preference, a day) and a
versioned ``key`` (``slot@valid_from``). Seeing the same slot again reinforces the open version
(confidence up, evidence merged); seeing a different value for it (a routine moved by more than its
spread, a new setpoint) closes the open version (``valid_to``) and opens a new one, so history is
kept. Inferences nobody confirmed and the engine stops seeing decay and are closed once weak.
Importance comes from statistics only: rarity, surprise, who caused it and security relevance.

Between nightly passes the engine loop forms memories incrementally: in the transaction of its
commit it notes what it changed (``note_changes``: episodes from a time on, routines by key,
sequences, preferences; merged into the ``memory_pending`` state, so a failed formation loses
nothing), and ``form_memories(incremental=True)`` reads only that: the episodes and day summaries
from the local midnight before the watermark, the memories valid from then, the changed
routines. It creates, contradicts and rewrites what says something new but neither reinforces
nor decays (confidence moves once a night, in the full pass). Inferences it creates are
provisional: the next full pass keeps them when it finds them too and closes them otherwise, so
incremental runs followed by a full pass leave the memories the full passes alone would.
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from collections.abc import Sequence as Seq
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Protocol

from ..models import Episode, Memory, Preference, Routine, Sequence
from ..store.derived import EpisodeSpan, EpisodeStat
from . import phrases
from .embedding import Embedder, LocalEmbedder, to_bytes
from .recall import index_text

_LOGGER = logging.getLogger(__name__)

STATE_REVISION = "memory_revision"
"""Store state key bumped whenever memories change (readers rebuild their index)."""
STATE_PENDING = "memory_pending"
"""Store state key: what the engine changed since memories were last formed (the watermark).
Written by the engine loop in the transaction of its own commit (``note_changes``), consumed
and cleared by an incremental ``form_memories``; a full pass clears it too."""
STATE_FORMED = "memory_formed"
"""Store state key: when the last full formation pass ran (incremental runs need one first)."""

DECAY_HALF_LIFE_DAYS = 14.0
CLOSE_BELOW_CONFIDENCE = 0.2
REINFORCE_RATE = 0.15
MAX_EVIDENCE = 200
INCREMENTAL_WINDOW = timedelta(days=3)
STATS_WINDOW = timedelta(days=28)
MIN_SESSION_MIN = 10.0  # shorter sessions stay episodes but are not remembered one by one
DAY_SESSION_MIN = 20.0  # sessions this long may appear in a day's summary
DAY_SESSIONS = 5  # at most this many sessions per day summary (the longest)
SECURITY_WORDS = frozenset(
    {"door", "front_door", "lock", "alarm", "garage", "gate", "doorbell", "window", "visit",
     "person", "intrusion", "siren", "smoke"}
)


class MemoryStore(Protocol):
    """The part of ``ActivityStore`` formation uses."""

    def episodes(self, start: datetime | None = ..., end: datetime | None = ...,
                 kind: str | None = ..., area: str | None = ...,
                 actor: str | None = ..., *, evidence: bool = ...,
                 started_from: datetime | None = ...,
                 sessions_from_min: float | None = ...) -> list[Episode]: ...
    def episode_stats(self, start: datetime | None = ...) -> list[EpisodeStat]: ...
    def episode_spans(self) -> list[EpisodeSpan]: ...
    def routines(self, include_invalid: bool = ..., actor: str | None = ...) -> list[Routine]: ...
    def sequences(self) -> list[Sequence]: ...
    def preferences(self) -> list[Preference]: ...
    def memories(self, type: str | None = ..., status: str | None = ...,
                 include_closed: bool = ..., *, valid_since: datetime | None = ...,
                 without_embedding: bool = ..., evidence: bool = ...,
                 ids: Seq[int] | None = ...) -> list[Memory]: ...
    def memory_evidence(self, ids: Seq[int]) -> dict[int, list[int]]: ...
    def unit_of_work(self) -> Any: ...
    def embeddings(self) -> dict[int, bytes]: ...
    def set_embeddings(self, vectors: dict[int, bytes | None]) -> None: ...
    def get_state(self, key: str) -> Any: ...
    def set_state(self, key: str, value: Any) -> None: ...


@dataclass(slots=True)
class FormationSummary:
    created: int = 0
    reinforced: int = 0
    closed: int = 0
    decayed: int = 0
    embedded: int = 0
    removed: int = 0
    keys: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Candidates: what the mined results say now (pure functions, testable without a store)


def _slot(memory: Memory) -> str:
    slot = memory.detail.get("slot") if memory.detail else None
    if isinstance(slot, str):
        return slot
    return (memory.key or "").split("@", 1)[0]


def _security(*words: str | None) -> bool:
    for word in words:
        if not word:
            continue
        low = word.lower()
        if any(s in low for s in SECURITY_WORDS):
            return True
    return False


def episode_importance(ep: Episode, counts: Counter[tuple[str, str | None, str | None]],
                       durations: dict[str, tuple[float, float]], days: float) -> float:
    """0..1 from rarity, surprise (duration z-score), user-initiated and security relevance."""
    per_week = counts[(ep.kind, ep.label, ep.area)] * 7.0 / max(days, 1.0)
    rarity = 1.0 / (1.0 + per_week)
    surprise = 0.0
    mean_sd = durations.get(ep.kind)
    if mean_sd and mean_sd[1] > 0:
        minutes = (ep.end - ep.start).total_seconds() / 60
        surprise = min(1.0, abs(minutes - mean_sd[0]) / (3 * mean_sd[1]))
    automated = bool(ep.detail.get("automated")) if ep.detail else False
    user = 0.0 if automated else (1.0 if ep.actor else 0.5)
    entities = (ep.detail or {}).get("entities", [])
    relevant = ep.kind == "visit" or _security(ep.area, ep.label, *entities)
    security = 1.0 if relevant else 0.0
    value = 0.15 + 0.35 * rarity + 0.2 * surprise + 0.1 * user + 0.2 * security
    return round(min(1.0, max(0.0, value)), 3)


def _episode_stats(
    eps: list[Episode],
) -> tuple[Counter[tuple[str, str | None, str | None]], dict[str, tuple[float, float]], float]:
    return _span_stats([(e.kind, e.label, e.area, e.actor, e.start, e.end) for e in eps])


def _span_stats(
    spans: Seq[EpisodeSpan],
) -> tuple[Counter[tuple[str, str | None, str | None]], dict[str, tuple[float, float]], float]:
    """How often each (kind, label, area) happens, each kind's duration (mean, sd) in minutes
    and the days the episodes span."""
    counts: Counter[tuple[str, str | None, str | None]] = Counter(
        (kind, label, area) for kind, label, area, _, _, _ in spans
    )
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, _, _, _, start, end in spans:
        by_kind[kind].append((end - start).total_seconds() / 60)
    durations = {
        k: (statistics.fmean(v), statistics.pstdev(v)) for k, v in by_kind.items() if len(v) >= 3
    }
    if spans:
        first = min(s[4] for s in spans)
        last = max(s[5] for s in spans)
        span = (last - first).total_seconds() / 86400
    else:
        span = 1.0
    return counts, durations, max(span, 1.0)


EpisodeStats = tuple[Counter[tuple[str, str | None, str | None]], dict[str, tuple[float, float]],
                     float]


def stats_from_aggregates(rows: list[EpisodeStat]) -> EpisodeStats:
    """What ``_episode_stats`` computes, from the store's per-group aggregates."""
    counts: Counter[tuple[str, str | None, str | None]] = Counter()
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for r in rows:
        counts[(r.kind, r.label, r.area)] += r.number
        acc = sums[r.kind]
        acc[0] += r.number
        acc[1] += r.minutes
        acc[2] += r.minutes_sq
    durations = {}
    for kind, (n, total, sq) in sums.items():
        if n >= 3:
            mean = total / n
            durations[kind] = (mean, max(0.0, sq / n - mean * mean) ** 0.5)
    if rows:
        first = min(r.first for r in rows)
        last = max(r.last for r in rows)
        span = (last - first).total_seconds() / 86400
    else:
        span = 1.0
    return counts, durations, max(span, 1.0)


def _add_line(
    by_day: dict[str, list[tuple[datetime, str, Episode, bool]]],
    day: str,
    line: tuple[datetime, str, Episode, bool],
) -> None:
    """Add a day's line unless it says the same thing at the same time (a person's night is
    often the household's too: one bed, one sleeper)."""
    if not any(it[0] == line[0] and it[1] == line[1] for it in by_day[day]):
        by_day[day].append(line)


def _minutes(ep: Episode) -> float:
    return (ep.end - ep.start).total_seconds() / 60


def episode_memories(eps: list[Episode], stats_eps: list[Episode], tz: tzinfo, *,
                     from_day: datetime | None = None,
                     to_day: datetime | None = None,
                     multi_person: bool | None = None,
                     stats: EpisodeStats | None = None,
                     people_days: set[tuple[str, str]] | None = None) -> list[Memory]:
    """One memory per episode (sessions shorter than ``MIN_SESSION_MIN`` are left out) and one
    short summary per local day: "Sat 21 Nov: Anna up 06:58, Anna out 08:12-17:50, cooking
    18:30-19:15, Anna in bed 23:20" (sleep and away always; the longest sessions).

    ``from_day`` (a local midnight): only memories of episodes starting from then on and of the
    days from then on (``eps`` must hold every episode ending at or after it); ``to_day``
    likewise: only those before it (``eps`` must hold every episode starting before it).
    ``people_days``: the (day, kind) with a person's own sleep or away (``_people_days``),
    when ``eps`` are not all episodes that could tell."""
    counts, durations, span = stats or _episode_stats(stats_eps or eps)
    out: list[Memory] = []
    by_day: dict[str, list[tuple[datetime, str, Episode, bool]]] = defaultdict(list)
    first_day = from_day.astimezone(tz).date().isoformat() if from_day is not None else ""
    last_day = to_day.astimezone(tz).date().isoformat() if to_day is not None else "~"
    for ep in eps:
        if ep.kind == "session" and _minutes(ep) < MIN_SESSION_MIN:
            continue
        if from_day is not None and ep.start < from_day:
            continue
        if to_day is not None and ep.start >= to_day:
            continue
        imp = episode_importance(ep, counts, durations, span)
        start_iso = ep.start.astimezone(UTC).strftime("%Y%m%dT%H%M")
        slot = f"episode:{ep.kind}:{ep.area or '-'}:{ep.actor or '-'}:{start_iso}"
        out.append(
            Memory(
                type="episodic",
                text=phrases.episode_text(ep, tz),
                key=slot,
                subject=ep.area or ep.actor,
                confidence=round(ep.confidence, 3),
                importance=imp,
                valid_from=ep.start,
                valid_to=None,
                evidence=list(ep.evidence[:MAX_EVIDENCE]),
                detail={
                    "slot": slot, "kind": ep.kind, "label": ep.label, "area": ep.area,
                    "person": ep.actor, "start": ep.start.isoformat(), "end": ep.end.isoformat(),
                    "episode_id": ep.id,
                },
            )
        )
    if people_days is None:
        people_days = _people_days(
            [(e.kind, e.label, e.area, e.actor, e.start, e.end) for e in eps], tz)
    if multi_person is None:
        multi_person = len({e.actor for e in eps if e.actor}) > 1
    for ep in eps:
        who = f"{phrases.person_name(ep.actor)} " if ep.actor and multi_person else ""
        start_l, end_l = ep.start.astimezone(tz), ep.end.astimezone(tz)
        d_start, d_end = start_l.date().isoformat(), end_l.date().isoformat()
        if ep.kind in ("sleep", "away") and not ep.actor and (
                (d_start, ep.kind) in people_days or (d_end, ep.kind) in people_days):
            continue  # the household line repeats what the people's lines say
        if ep.kind == "sleep" and ep.detail.get("scope") == "bed":
            continue  # a bed whose sleeper is unknown: the household's night says it
        if ep.kind == "sleep":
            _add_line(by_day, d_start, (start_l, f"{who}in bed {start_l:%H:%M}", ep, True))
            _add_line(by_day, d_end, (end_l, f"{who}up {end_l:%H:%M}", ep, True))
        elif ep.kind == "away":
            _add_line(
                by_day, d_start, (start_l, f"{who}out {start_l:%H:%M}-{end_l:%H:%M}", ep, True)
            )
        elif _minutes(ep) >= DAY_SESSION_MIN:
            label = phrases.episode_label(ep)
            by_day[d_start].append(
                (start_l, f"{who}{label} {start_l:%H:%M}-{end_l:%H:%M}", ep, False))
    for day, items in sorted(by_day.items()):
        if day < first_day or day >= last_day:
            continue  # a day before the changes: its summary is not rebuilt from a part of it
        sessions = sorted((it for it in items if not it[3]), key=lambda it: -_minutes(it[2]))
        kept = [it for it in items if it[3]] + sessions[:DAY_SESSIONS]
        kept.sort(key=lambda it: it[0])
        label = phrases.day_label(kept[0][0])
        evidence: list[int] = []
        for _, _, ep, _ in kept:
            evidence.extend(ep.evidence[:20])
        slot = f"day:{day}"
        areas = sorted({ep.area for _, _, ep, _ in kept if ep.area})
        out.append(
            Memory(
                type="episodic",
                text=f"{label}: " + ", ".join(text for _, text, _, _ in kept),
                key=slot,
                subject=None,
                confidence=1.0,
                importance=round(max(0.2, 0.8 * max(
                    episode_importance(ep, counts, durations, span) for _, _, ep, _ in kept)), 3),
                valid_from=datetime.fromisoformat(day).replace(tzinfo=tz),
                evidence=evidence[:MAX_EVIDENCE],
                detail={"slot": slot, "kind": "day", "day": day, "areas": areas},
            )
        )
    return out


def _people_days(spans: Iterable[EpisodeSpan], tz: tzinfo) -> set[tuple[str, str]]:
    """(local day, kind) with a person's own sleep or away starting or ending on it."""
    out: set[tuple[str, str]] = set()
    for kind, _, _, actor, start, end in spans:
        if actor and kind in ("sleep", "away"):
            for ts in (start, end):
                out.add((ts.astimezone(tz).date().isoformat(), kind))
    return out


FULL_PIECE_DAYS = 28
"""The nightly pass reads episodes this many days at a time (years of them, with their details
and evidence, are never all in memory)."""


def all_episode_memories(store: MemoryStore, tz: tzinfo,
                         piece_days: int = FULL_PIECE_DAYS) -> list[Memory]:
    """``episode_memories`` of every stored episode, read a few weeks at a time: the same
    memories in the same order (statistics, who is a person and the people's days come from
    one light read of all episodes first, so sessions too short to tell need not be read)."""
    spans = store.episode_spans()
    if not spans:
        return []
    stats = _span_stats(spans)
    multi = len({actor for _, _, _, actor, _, _ in spans if actor}) > 1
    people = _people_days(spans, tz)
    day = min(s[4] for s in spans).astimezone(tz).date()
    last = max(s[5] for s in spans).astimezone(tz).date()
    longest = max(s[5] - s[4] for s in spans)  # an index bound for each piece's read
    del spans
    episodic: list[Memory] = []
    days: list[Memory] = []
    while day <= last:
        lo = datetime(day.year, day.month, day.day, tzinfo=tz)
        day += timedelta(days=piece_days)
        hi = datetime(day.year, day.month, day.day, tzinfo=tz)
        # Shorter sessions are neither remembered nor in a day's summary: left unread.
        eps = store.episodes(start=lo, end=hi, started_from=lo - longest,
                             sessions_from_min=MIN_SESSION_MIN)
        for mem in episode_memories(eps, [], tz, from_day=lo, to_day=hi, multi_person=multi,
                                    stats=stats, people_days=people):
            (days if mem.detail.get("kind") == "day" else episodic).append(mem)
    return episodic + days  # as one call over all: the episodes' memories, then the days'


def routine_memory(r: Routine) -> Memory:
    slot = f"routine:{r.key}"
    return Memory(
        type="procedural",
        text=phrases.routine_text(r),
        key=slot,
        subject=r.actor,
        confidence=round(r.confidence, 3),
        importance=0.6 if r.kind in phrases.ROUTINE_VERBS else 0.45,
        valid_from=r.valid_from,
        valid_to=r.valid_to,
        evidence=list(r.evidence[:MAX_EVIDENCE]),
        status="confirmed" if r.status == "confirmed" else "active",
        detail={
            "slot": slot, "kind": r.kind, "label": r.label, "person": r.actor,
            "routine_key": r.key, "value": r.time, "tolerance_min": max(r.spread_min, 20.0),
            "days": r.days, "entities": list(r.entities[:10]),
        },
    )


def sequence_memory(s: Sequence) -> Memory:
    slot = "sequence:" + ">".join(s.steps)
    steps = " then ".join(step.replace(":", " ") for step in s.steps)
    who = "automatically" if s.automated else "usually"
    return Memory(
        type="procedural",
        text=f"{steps} {who} follow within {round(s.window_min)} min (seen {s.support} times)",
        key=slot,
        subject=s.actor,
        confidence=round(s.confidence, 3),
        importance=0.3 if s.automated else 0.4,
        evidence=list(s.evidence[:MAX_EVIDENCE]),
        detail={"slot": slot, "kind": "sequence", "person": s.actor,
                "entities": [st.split(":", 1)[0] for st in s.steps]},
    )


def preference_memory(p: Preference) -> Memory:
    slot = f"preference:{p.kind}:{p.subject}:{p.when or '-'}:{p.mode or '-'}"
    what = {
        "climate_setpoint": "keeps {subj} at {val} °C",
        "light_brightness": "sets {subj} brightness to {val}",
        "light_color_temp": "sets {subj} colour temperature to {val} K",
        "media": "plays {val} on {subj}",
    }.get(p.kind, "prefers {val} for {subj}")
    subj = phrases.area_name(p.area) if p.area else p.subject
    text = what.format(subj=subj, val=p.value)
    who = phrases.person_name(p.actor) if p.actor else "The household"
    when = f" ({p.when})" if p.when else ""
    mode = f" in {p.mode} mode" if p.mode else ""
    conf = min(0.95, 0.4 + 0.05 * p.support)
    tolerance = max(p.spread or 0.0, 1.0) if isinstance(p.value, int | float) else None
    return Memory(
        type="semantic",
        text=f"{who} {text}{mode}{when}",
        key=slot,
        subject=p.area or p.subject,
        confidence=round(conf, 3),
        importance=0.4,
        evidence=list(p.evidence[:MAX_EVIDENCE]),
        detail={"slot": slot, "kind": p.kind, "value": p.value, "tolerance": tolerance,
                "area": p.area, "entity_id": p.subject, "person": p.actor},
    )


def _contradicts(old: Memory, new: Memory) -> bool:
    a, b = old.detail.get("value"), new.detail.get("value")
    if a is None or b is None:
        return False
    if isinstance(a, str) and isinstance(b, str) and ":" in a and ":" in b:
        try:
            ta, tb = phrases.parse_hhmm(a), phrases.parse_hhmm(b)
        except ValueError:
            return a != b
        diff = abs((ta.hour * 60 + ta.minute) - (tb.hour * 60 + tb.minute))
        diff = min(diff, 1440 - diff)
        tol = float(old.detail.get("tolerance_min") or 20.0)
        return diff > tol
    if isinstance(a, int | float) and isinstance(b, int | float):
        tol = float(old.detail.get("tolerance") or 1.0)
        return abs(float(a) - float(b)) > tol
    return bool(a != b)


_SEEN_KEYS = frozenset({"last_seen", "seen", "conf_seen"})


def _episode_changed(old: Memory, new: Memory) -> bool:
    """Whether an episode memory found again says something else than the stored one."""
    if (old.text, old.subject, old.confidence, old.importance, old.status, old.evidence,
            old.valid_to) != (new.text, new.subject, new.confidence, new.importance, new.status,
                              new.evidence, new.valid_to):
        return True
    if old.valid_from != (old.valid_from and new.valid_from):
        return True

    def plain(detail: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in detail.items() if k not in _SEEN_KEYS}

    return plain(old.detail) != plain(new.detail)


def _merge_evidence(old: list[int], new: Iterable[int]) -> list[int]:
    merged = list(dict.fromkeys([*old, *new]))
    return merged[-MAX_EVIDENCE:]


# ---------------------------------------------------------------------------------------------


def reconcile(
    existing: list[Memory], candidates: list[Memory], now: datetime, *, full: bool,
    decay: bool = True, reinforce: bool = True,
) -> tuple[list[Memory], FormationSummary]:
    """Decide what to write: reinforce, contradict (close + open) or create; decay the rest
    (unless not ``decay``: the candidates are only what changed, the rest was not re-seen).
    Without ``reinforce`` an inference seen again saying the same is left as it is (between
    nightly passes: confidence moves once a night, not every few minutes)."""
    summary = FormationSummary()
    open_by_slot: dict[str, Memory] = {}
    for mem in existing:
        if mem.valid_to is None and mem.status not in ("closed", "rejected"):
            open_by_slot[_slot(mem)] = mem
    rejected_slots = {_slot(m) for m in existing if m.status == "rejected"}
    writes: list[Memory] = []
    seen: set[str] = set()
    now_iso = now.isoformat()
    for cand in candidates:
        slot = _slot(cand)
        seen.add(slot)
        if slot in rejected_slots and cand.type != "episodic":
            continue  # the user said no: do not bring it back
        cand.detail["slot"] = slot
        cand.detail["last_seen"] = now_iso
        cand.detail["conf_seen"] = cand.confidence
        old = open_by_slot.get(slot)
        if cand.valid_to is not None:
            # the engine itself says it stopped (a superseded routine): close what is open
            if old is not None:
                writes.append(replace(old, valid_to=cand.valid_to, status="closed",
                                      detail={**old.detail, "closed_by": "superseded"}))
                summary.closed += 1
            continue
        # Inferences first formed between nightly passes are provisional: a nightly pass that
        # no longer finds them closes them at once (a pattern of a half-mined day, not history).
        provisional = {"provisional": True} if not reinforce and cand.type != "episodic" else {}
        if old is None:
            version = int((cand.valid_from or now).timestamp())
            new = replace(cand, key=slot if cand.type == "episodic" else f"{slot}@{version}",
                          learned_at=now, valid_from=cand.valid_from or now,
                          detail={**cand.detail, **provisional})
            writes.append(new)
            summary.created += 1
            summary.keys.append(new.key or slot)
            continue
        if cand.type != "episodic" and _contradicts(old, cand):
            writes.append(replace(old, valid_to=now, status="closed",
                                  detail={**old.detail, "closed_by": "contradiction",
                                          "replaced_by": cand.detail.get("value")}))
            version = int(now.timestamp())
            writes.append(replace(cand, key=f"{slot}@{version}", learned_at=now, valid_from=now,
                                  detail={**cand.detail, "previous": old.detail.get("value"),
                                          **provisional}))
            summary.closed += 1
            summary.created += 1
            continue
        if cand.type == "episodic" and old.origin == "engine":
            # The same episode found again by re-mining is not new evidence: it keeps the
            # episode's own confidence, and is only rewritten when what it says changed.
            if not _episode_changed(old, cand):
                summary.reinforced += 1
                continue
            writes.append(replace(cand, id=old.id, key=old.key, learned_at=old.learned_at,
                                  valid_from=old.valid_from or cand.valid_from))
            summary.reinforced += 1
            continue
        if not reinforce and old.text == cand.text:
            continue
        if not old.detail.get("provisional"):
            provisional = {}
        # reinforcement: same slot, compatible value
        if old.status == "confirmed" or old.origin == "user":
            conf = max(old.confidence, cand.confidence)
        else:
            conf = max(cand.confidence, old.confidence + (1 - old.confidence) * REINFORCE_RATE)
        seen_count = int(old.detail.get("seen", 1)) + 1
        writes.append(replace(
            cand, id=old.id, key=old.key, learned_at=old.learned_at,
            valid_from=old.valid_from or cand.valid_from, confidence=round(min(conf, 0.99), 3),
            status=old.status if old.status == "confirmed" else cand.status,
            evidence=_merge_evidence(old.evidence, cand.evidence),
            detail={**cand.detail, "seen": seen_count, "conf_seen": round(min(conf, 0.99), 3),
                    **provisional},
        ))
        summary.reinforced += 1
    # decay: engine inferences (not episodes, not user facts, not confirmed) no longer seen
    for slot, old in open_by_slot.items() if decay else ():
        if slot in seen or old.origin != "engine" or old.type == "episodic":
            continue
        if old.status == "confirmed":
            continue
        if old.detail.get("provisional"):
            writes.append(replace(old, valid_to=now, status="closed",
                                  detail={**old.detail, "closed_by": "unconfirmed"}))
            summary.closed += 1
            continue
        if not full and old.detail.get("kind") == "sequence":
            pass  # sequences are only re-mined on full runs; still decay by time below
        last_seen_raw = old.detail.get("last_seen")
        try:
            last_seen = datetime.fromisoformat(last_seen_raw) if last_seen_raw else old.learned_at
        except ValueError:
            last_seen = old.learned_at
        if last_seen is None:
            continue
        days = (now - last_seen).total_seconds() / 86400
        if days <= 0.5:
            continue
        base = float(old.detail.get("conf_seen", old.confidence))
        conf = round(base * 0.5 ** (days / DECAY_HALF_LIFE_DAYS), 3)
        if conf < CLOSE_BELOW_CONFIDENCE:
            writes.append(replace(old, confidence=conf, valid_to=now, status="closed",
                                  detail={**old.detail, "closed_by": "decay"}))
            summary.closed += 1
        elif abs(conf - old.confidence) >= 0.01:
            writes.append(replace(old, confidence=conf))
            summary.decayed += 1
    return writes, summary


def form_memories(
    store: MemoryStore,
    tz: tzinfo,
    *,
    now: datetime | None = None,
    full: bool = False,
    embedder: Embedder | None = None,
    incremental: bool = False,
) -> FormationSummary:
    """Read mined results from ``store``, reconcile them with memories, write, embed.

    Call it after each engine run (``Engine.run_once``); ``full`` re-reads all episodes instead of
    the last few days. Safe to call repeatedly: the same inputs only reinforce.

    ``incremental`` (the engine loop between nightly passes): only fold in what the engine noted
    as changed since the last formation (``note_changes``: episodes from a time on, routines by
    key, sequences, preferences); no decay (the nightly full pass does it). Falls back to a full
    pass when none ran yet or one was asked for.
    """
    now = now or datetime.now(UTC)
    pending = store.get_state(STATE_PENDING) if incremental and not full else None
    if incremental and not full:
        if isinstance(pending, dict) and not pending.get("full") and store.get_state(STATE_FORMED):
            return _form_incremental(store, tz, now, pending, embedder)
        full = True
    existing = store.memories(include_closed=True)
    first = not existing
    ep_since = None if (full or first) else now - INCREMENTAL_WINDOW
    if ep_since is None:
        candidates = all_episode_memories(store, tz)
    else:
        candidates = episode_memories(store.episodes(start=ep_since),
                                      store.episodes(start=now - STATS_WINDOW), tz)
    candidates.extend(routine_memory(r) for r in store.routines(include_invalid=True)
                      if r.status != "rejected")
    candidates.extend(sequence_memory(s) for s in store.sequences())
    candidates.extend(preference_memory(p) for p in store.preferences())
    writes, summary = reconcile(existing, candidates, now, full=full or first)
    stale = stale_episode_memories(existing, candidates, ep_since)
    complete = ep_since is None
    if writes or stale or complete:
        with store.unit_of_work() as uow:
            uow.upsert_memories(writes)
            for mid in stale:
                uow.delete_memory(mid)
            if complete:  # everything is formed: nothing is pending any more
                uow.set_state(STATE_PENDING, None)
                uow.set_state(STATE_FORMED, now.isoformat())
    summary.removed = len(stale)
    return _finish(store, summary, embedder)


def _finish(store: MemoryStore, summary: FormationSummary,
            embedder: Embedder | None, ids: Seq[int] | None = None) -> FormationSummary:
    summary.embedded = embed_missing(store, embedder or LocalEmbedder(), ids=ids)
    # Readers rebuild their recall index on a new revision: only when the set of memories or
    # their texts changed, not for a reinforced confidence (that would rebuild every run).
    if summary.created or summary.closed or summary.embedded or summary.removed:
        bump_revision(store)
    return summary


def note_changes(
    uow: Any,
    *,
    full: bool = False,
    episodes_since: datetime | None = None,
    routines: Iterable[str] = (),
    sequences: bool = False,
    preferences: bool = False,
) -> None:
    """Record, in the caller's unit of work (the engine's commit), what changed for the next
    incremental ``form_memories``: merged with what is still pending (a formation that failed
    or did not run yet loses nothing)."""
    old = uow.get_state(STATE_PENDING)
    pending: dict[str, Any] = dict(old) if isinstance(old, dict) else {}
    if full:
        pending["full"] = True
    if episodes_since is not None:
        prev = pending.get("episodes_since")
        since = episodes_since.astimezone(UTC)
        if isinstance(prev, str):
            since = min(since, datetime.fromisoformat(prev))
        pending["episodes_since"] = since.isoformat()
    keys = sorted(set(pending.get("routines") or []) | set(routines))
    if keys:
        pending["routines"] = keys
    pending["sequences"] = bool(pending.get("sequences")) or sequences
    pending["preferences"] = bool(pending.get("preferences")) or preferences
    uow.set_state(STATE_PENDING, pending)


def _form_incremental(
    store: MemoryStore, tz: tzinfo, now: datetime, pending: dict[str, Any],
    embedder: Embedder | None,
) -> FormationSummary:
    """Reconcile only the memories of what changed: the days from the episode watermark on,
    the routines re-written by key, sequences/preferences when re-mined differently."""
    existing: list[Memory] = []
    candidates: list[Memory] = []
    stale: list[int] = []
    since_raw = pending.get("episodes_since")
    if isinstance(since_raw, str):
        since = datetime.fromisoformat(since_raw)
        day = since.astimezone(tz).date().isoformat()
        day_start = datetime.fromisoformat(day).replace(tzinfo=tz)  # as day summaries use
        aggregates = store.episode_stats(start=day_start - STATS_WINDOW)
        eps = store.episodes(start=day_start)
        multi = len({r.actor for r in aggregates if r.actor}) > 1
        candidates = episode_memories(eps, [], tz, from_day=day_start, multi_person=multi,
                                      stats=stats_from_aggregates(aggregates))
        existing = store.memories(type="episodic", include_closed=True, valid_since=day_start,
                                  evidence=False)
        stale = stale_episode_memories(existing, candidates, day_start)
    keys = set(pending.get("routines") or [])
    if keys or pending.get("sequences") or pending.get("preferences"):
        for kind in ("procedural", "semantic"):  # open ones and the user's rejections only:
            existing += store.memories(type=kind, evidence=False)  # closed versions pile up
            existing += store.memories(type=kind, status="rejected", evidence=False)
    if keys:
        candidates.extend(routine_memory(r) for r in store.routines(include_invalid=True)
                          if r.key in keys and r.status != "rejected")
    if pending.get("sequences"):
        candidates.extend(sequence_memory(s) for s in store.sequences())
    if pending.get("preferences"):
        candidates.extend(preference_memory(p) for p in store.preferences())
    # Without decay, reconcile only looks at memories of the candidates' slots: only those
    # need their evidence (a reinforced or closed inference keeps it, an episode compares it).
    slots = {_slot(c) for c in candidates}
    existing = [m for m in existing if _slot(m) in slots]
    evidence = store.memory_evidence([m.id for m in existing if m.id is not None])
    for m in existing:
        m.evidence = evidence.get(m.id or 0, [])
    writes, summary = reconcile(existing, candidates, now, full=False, decay=False,
                                reinforce=False)
    with store.unit_of_work() as uow:
        uow.upsert_memories(writes)
        for mid in stale:
            uow.delete_memory(mid)
        uow.set_state(STATE_PENDING, None)
    summary.removed = len(stale)
    # Only what this run wrote can lack a vector (the nightly pass embeds any other).
    return _finish(store, summary, embedder, ids=[m.id for m in writes if m.id is not None])


def stale_episode_memories(
    existing: list[Memory], candidates: list[Memory], since: datetime | None
) -> list[int]:
    """Ids of episode memories whose episode the re-mining no longer finds (its boundaries
    moved, or it was merged): they were derived data, not history, so they go."""
    produced = {_slot(c) for c in candidates if c.type == "episodic"}
    return [
        m.id for m in existing
        if m.id is not None and m.origin == "engine" and m.type == "episodic"
        and _slot(m).startswith("episode:") and _slot(m) not in produced
        and (since is None or (m.valid_from is not None and m.valid_from >= since))
    ]


def embed_missing(store: MemoryStore, embedder: Embedder,
                  ids: Seq[int] | None = None) -> int:
    """Store embedding vectors for memories that have none (only among ``ids`` when given)."""
    # Only memories without any vector: a vector of another width was stored by a reader with
    # another embedder (an OpenAI-compatible endpoint); that reader keeps its own up to date.
    if ids is not None and not ids:
        return 0
    todo = [m for m in store.memories(include_closed=True, without_embedding=True,
                                      evidence=False, ids=ids)
            if m.id is not None]
    if not todo:
        return 0
    try:
        mat = embedder.embed([index_text(m) for m in todo])
    except Exception as err:
        _LOGGER.warning("Embedding %d memories failed: %s", len(todo), err)
        return 0
    vectors: dict[int, bytes | None] = {
        m.id: to_bytes(mat[i]) for i, m in enumerate(todo) if m.id is not None
    }
    store.set_embeddings(vectors)
    return len(todo)


def bump_revision(store: MemoryStore) -> None:
    rev = store.get_state(STATE_REVISION)
    store.set_state(STATE_REVISION, (int(rev) if isinstance(rev, int) else 0) + 1)
