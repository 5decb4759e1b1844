"""Sequences: "A then B within N minutes" (arrive home -> hallway light -> kitchen light).

People's choices and automations' chains are mined apart:
- **people**: state changes people made (user contexts, physical switches, person arrivals)
  are items ``entity_id:state``; a pair counts once per A followed by B within the window.
  ``confidence`` = P(B follows | A), ``lift`` = confidence / P(B in a random window of that
  length) (Poisson rate of B), so frequent things do not look related by chance alone.
- **automations**: an ``automation_triggered`` event's context parent is the trigger's context;
  the state changes in its own context are its effects. Each (trigger item, effect item) pair
  is a sequence with ``automated=True`` and the automation as ``actor``.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo

import numpy as np
import numpy.typing as npt

from ..models import ActivityEvent
from ..models import Sequence as SequenceModel
from .actions import habit_item, is_person_action
from .order import by_time


@dataclass(frozen=True, slots=True)
class SequenceOptions:
    window_min: float = 10.0
    min_support: int = 5
    min_days: int = 4
    min_confidence: float = 0.5
    min_lift: float = 3.0
    max_evidence: int = 30


def person_item(ev: ActivityEvent) -> str | None:
    """``entity_id:state`` for a person's own action (or a person coming/going), else None."""
    if ev.entity_id is None or ev.kind != "state_changed":
        return None
    if ev.domain == "person":
        return f"{ev.entity_id}:{ev.state}" if ev.state != ev.old_state and ev.state else None
    if not is_person_action(ev):
        return None
    item = habit_item(ev)
    return f"{ev.entity_id}:{item}" if item else None


def _entity(item: str) -> str:
    return item.rsplit(":", 1)[0]


def mine_sequences(
    events: Sequence[ActivityEvent],
    tz: tzinfo,
    *,
    options: SequenceOptions | None = None,
    cache: PairCache | None = None,
) -> list[SequenceModel]:
    """People's sequences and automation chains in ``events`` (pure).

    ``cache`` (the engine loop keeps one between runs): the pairs counted for each day, with
    what they were counted from; a day whose actions are unchanged since the previous call
    (all but the last one or two of a window) is not counted again. Same result either way.
    """
    opts = options or SequenceOptions()
    evs = by_time(events)
    if not evs:
        return []
    span_min = max(1.0, (evs[-1].ts - evs[0].ts).total_seconds() / 60)
    return _people(evs, tz, span_min, opts, cache) + _automations(evs, span_min, opts)


def _p_random(count: int, span_min: float, window: float) -> float:
    """Chance that an item with ``count`` occurrences falls in a random window (Poisson)."""
    return max(1e-9, 1.0 - math.exp(-count / span_min * window))


Item = tuple[float, str, int, str]
"""A person's action: (epoch seconds, ``entity_id:state``, activity id, local day)."""
Hit = tuple[int, int, float, str]
"""One "A then B": (A's activity id, B's activity id, delay in seconds, A's local day)."""
PairHits = dict[tuple[str, str], list[Hit]]
_CODE_BITS = 20  # an item's code; a pair's code is both, side by side


@dataclass(slots=True)
class _Day:
    """One day's pairs, compactly (a year of a large home's days would otherwise take 100 MB):
    the items they were counted from (the day's own and those within the window after it)
    and, per pair found, in finding order, its code, both activity ids and the delay."""

    times: array[float]
    items: array[int]
    ids: array[int]
    pairs: array[int]
    first: array[int]
    then: array[int]
    delay: array[float]
    distinct: npt.NDArray[np.int64]  # the pairs' codes, each once


@dataclass(slots=True)
class PairCache:
    """``mine_sequences``' memo of each day's pairs, by local day; items by code."""

    codes: dict[str, int] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    days: dict[str, _Day] = field(default_factory=dict)
    counted_for: tuple[float, tzinfo] | None = None  # the window and zone the days were counted in
    # Each activity's item (None: not a person's action), by activity id, in ``items_zone``.
    items_seen: dict[int, Item | None] = field(default_factory=dict)
    items_zone: tzinfo | None = None

    def code(self, item: str) -> int:
        found = self.codes.get(item)
        if found is None:
            found = self.codes[item] = len(self.names)
            self.names.append(item)
        return found

    def clear(self) -> None:
        self.forget_counts()
        self.items_seen.clear()
        self.items_zone = None

    def forget_counts(self) -> None:
        """Drop the days' pairs and the item codes (not the activities' items)."""
        self.codes.clear()
        self.names.clear()
        self.days.clear()
        self.counted_for = None


def _item(ev: ActivityEvent, tz: tzinfo) -> Item | None:
    item = person_item(ev)
    if item is None:
        return None
    return (ev.ts.timestamp(), item, ev.id or 0, ev.ts.astimezone(tz).date().isoformat())


def _items(evs: list[ActivityEvent], tz: tzinfo, cache: PairCache | None = None) -> list[Item]:
    """People's actions in ``evs``; ``cache`` keeps each activity's item for the next call
    (by activity id: activity rows never change)."""
    if cache is None:
        return [it for it in (_item(ev, tz) for ev in evs) if it is not None]
    if cache.items_zone != tz:
        cache.items_seen.clear()
        cache.items_zone = tz
    seen, kept = cache.items_seen, {}
    items: list[Item] = []
    for ev in evs:
        if ev.id is None:
            found = _item(ev, tz)
        else:
            found = seen[ev.id] if ev.id in seen else _item(ev, tz)
            kept[ev.id] = found
        if found is not None:
            items.append(found)
    cache.items_seen = kept
    return items


def _count_day(
    items: list[Item], codes: list[int], lo: int, hi: int, end: int, window_s: float
) -> _Day:
    """The pairs whose first step is one of ``items[lo:hi]``; ``items[lo:end]`` are all the
    items they can be counted from."""
    pairs, first, then, delay = array("q"), array("q"), array("q"), array("d")
    entities = [""] * lo + [_entity(it[1]) for it in items[lo:end]]  # by index, as items
    for i in range(lo, hi):
        t, _, aid, _ = items[i]
        a, entity_a = codes[i], entities[i]
        seen: set[int] = set()
        for j in range(i + 1, len(items)):
            t2, _, bid, _ = items[j]
            if t2 - t > window_s:
                break
            b = codes[j]
            if b in seen or entities[j] == entity_a:
                continue
            seen.add(b)
            pairs.append(a << _CODE_BITS | b)
            first.append(aid)
            then.append(bid)
            delay.append(t2 - t)
    distinct = np.unique(np.frombuffer(pairs, dtype=np.int64))
    return _Day(*_seen(items, codes, lo, end), pairs, first, then, delay, distinct)


def _seen(items: list[Item], codes: list[int], lo: int, end: int
          ) -> tuple[array[float], array[int], array[int]]:
    return (
        array("d", (it[0] for it in items[lo:end])),
        array("q", codes[lo:end]),
        array("q", (it[2] for it in items[lo:end])),
    )


def _pair_hits(
    items: list[Item], window_s: float, min_days: int, tz: tzinfo, cache: PairCache | None
) -> PairHits:
    """Every "A then B within the window" seen on at least ``min_days`` days (A's day), in
    the order one pass over all items finds them. Counted day by day: a day whose items (and
    those within the window after it) are unchanged since the previous call reuses its pairs
    from ``cache``."""
    memo = PairCache() if cache is None else cache
    if len(memo.names) >= 1 << _CODE_BITS or memo.counted_for != (window_s, tz):
        memo.forget_counts()  # other options, or codes running out (never in a home's window)
    memo.counted_for = (window_s, tz)
    codes = [memo.code(it[1]) for it in items]
    days: dict[str, _Day] = {}
    lo = 0
    while lo < len(items):
        day = items[lo][3]
        hi = lo
        while hi < len(items) and items[hi][3] == day:
            hi += 1
        last_t = items[hi - 1][0]
        end = hi  # the first item out of the last one's reach is read too
        while end < len(items) and items[end][0] - last_t <= window_s:
            end += 1
        end = min(end + 1, len(items))
        old = memo.days.get(day)
        if old is not None and (old.times, old.items, old.ids) == _seen(items, codes, lo, end):
            days[day] = old
        else:
            days[day] = _count_day(items, codes, lo, hi, end, window_s)
        lo = hi
    memo.days = days
    found = {day: np.frombuffer(c.pairs, dtype=np.int64) for day, c in days.items()}
    # Pairs seen on fewer days than a sequence needs are never kept: left out here.
    seen_on = np.concatenate([c.distinct for c in days.values()] or [np.empty(0, np.int64)])
    codes_of, days_of = np.unique(seen_on, return_counts=True)
    wanted = codes_of[days_of >= min_days]
    out: PairHits = defaultdict(list)
    names, mask = memo.names, (1 << _CODE_BITS) - 1
    for day, c in days.items():
        for k in np.flatnonzero(np.isin(found[day], wanted)).tolist():
            pair = c.pairs[k]
            out[(names[pair >> _CODE_BITS], names[pair & mask])].append(
                (c.first[k], c.then[k], c.delay[k], day)
            )
    return out


def _people(
    evs: list[ActivityEvent],
    tz: tzinfo,
    span_min: float,
    o: SequenceOptions,
    cache: PairCache | None = None,
) -> list[SequenceModel]:
    items = _items(evs, tz, cache)
    counts = Counter(i[1] for i in items)
    pair_hits = _pair_hits(items, o.window_min * 60, o.min_days, tz, cache)
    out: list[SequenceModel] = []
    kept: PairHits = {}
    for (a, b), hits in pair_hits.items():
        if len(hits) < o.min_support or len({h[3] for h in hits}) < o.min_days:
            continue
        conf = len(hits) / counts[a]
        delays = sorted(h[2] for h in hits)
        window = max(1.0, math.ceil(delays[int(0.9 * (len(delays) - 1))] / 60))
        lift = conf / _p_random(counts[b], span_min, window)
        if conf < o.min_confidence or lift < o.min_lift:
            continue
        kept[(a, b)] = hits
        evidence = [x for h in hits[: o.max_evidence // 2] for x in (h[0], h[1]) if x]
        out.append(
            SequenceModel(
                steps=[a, b],
                window_min=window,
                support=len(hits),
                confidence=round(conf, 3),
                lift=round(lift, 1),
                automated=False,
                evidence=evidence,
            )
        )
    # Three steps: A->B kept and B->C kept, and C follows that very B within the window.
    by_first: dict[str, list[str]] = defaultdict(list)
    for a, b in kept:
        by_first[a].append(b)
    for (a, b), hits in kept.items():
        for c in by_first.get(b, []):
            if c == a or _entity(c) == _entity(a):
                continue
            follow = {h[0]: h for h in kept[(b, c)]}  # B's activity id -> its hit
            chain = [(h, follow[h[1]]) for h in hits if h[1] in follow]
            if len(chain) < o.min_support or len({h[3] for h, _ in chain}) < o.min_days:
                continue
            conf = len(chain) / counts[a]
            if conf < o.min_confidence:
                continue
            total = [h[2] + g[2] for h, g in chain]
            window = max(1.0, math.ceil(sorted(total)[int(0.9 * (len(total) - 1))] / 60))
            lift = conf / (
                _p_random(counts[b], span_min, window) * _p_random(counts[c], span_min, window)
            )
            evidence = [x for h, g in chain[: o.max_evidence // 3] for x in (h[0], h[1], g[1]) if x]
            out.append(
                SequenceModel(
                    steps=[a, b, c],
                    window_min=window,
                    support=len(chain),
                    confidence=round(conf, 3),
                    lift=round(min(lift, 1e6), 1),
                    automated=False,
                    evidence=evidence,
                )
            )
    out.sort(key=lambda s: (-len(s.steps), -s.support))
    return out


def _automations(
    evs: list[ActivityEvent], span_min: float, o: SequenceOptions
) -> list[SequenceModel]:
    by_context: dict[str, ActivityEvent] = {}
    effects: dict[str, list[ActivityEvent]] = defaultdict(list)
    item_counts: Counter[str] = Counter()
    for ev in evs:
        if ev.kind == "state_changed" and ev.entity_id and ev.state is not None:
            item_counts[f"{ev.entity_id}:{ev.state}"] += 1
            if (
                ev.context_id
                and ev.actor_kind in ("automation", "script")
                and ev.state != ev.old_state
            ):
                effects[ev.context_id].append(ev)
        if ev.context_id and ev.context_id not in by_context:
            by_context[ev.context_id] = ev
    chains: dict[tuple[str, str, str], list[tuple[int, int, float]]] = defaultdict(list)
    for ev in evs:
        if ev.kind not in ("automation_triggered", "script_started") or not ev.context_id:
            continue
        trigger = by_context.get(ev.parent_id) if ev.parent_id else None
        if trigger is not None and trigger.entity_id and trigger.state is not None:
            first = f"{trigger.entity_id}:{trigger.state}"
            t0 = trigger.ts
        else:
            first = f"{ev.entity_id}:triggered"
            t0 = ev.ts
        for eff in effects.get(ev.context_id, []):
            second = f"{eff.entity_id}:{eff.state}"
            chains[(ev.entity_id or "", first, second)].append(
                (
                    (trigger.id if trigger else ev.id) or 0,
                    eff.id or 0,
                    (eff.ts - t0).total_seconds(),
                )
            )
    out: list[SequenceModel] = []
    fired = Counter(
        e.entity_id for e in evs if e.kind in ("automation_triggered", "script_started")
    )
    for (automation, first, second), hits in chains.items():
        if len(hits) < 2:
            continue
        base = item_counts.get(first) or fired.get(automation) or len(hits)
        conf = min(1.0, len(hits) / base)
        window = max(1.0, math.ceil(max(h[2] for h in hits) / 60))
        lift = conf / _p_random(item_counts.get(second, len(hits)), span_min, window)
        evidence = [x for h in hits[: o.max_evidence // 2] for x in (h[0], h[1]) if x]
        out.append(
            SequenceModel(
                steps=[first, second],
                window_min=window,
                support=len(hits),
                confidence=round(conf, 3),
                lift=round(min(lift, 1e6), 1),
                automated=True,
                actor=automation,
                evidence=evidence,
            )
        )
    out.sort(key=lambda s: -s.support)
    return out
