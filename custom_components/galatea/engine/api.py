"""``GalateaAPI``: the one read/write surface over a store, with JSON-able results.

HA services, Assist intents, LLM tools and the add-on's HTTP API all call these methods (the
integration in an executor thread; the add-on over HTTP with the same names and shapes). Every
method returns a ``dict`` of JSON types only: strings, numbers, booleans, lists, dicts, None;
times are ISO-8601 strings with their UTC offset. ``engine/results.py`` types each answer
(``TypedDict``s: a *routine* is a ``RoutineRow``, an *episode* an ``EpisodeRow``, a *memory* a
``MemoryRow``). Errors raise ``APIError`` with a stable ``code`` (``not_found``, ``invalid``)
that callers translate.
"""

from __future__ import annotations

import re
import threading
import time as time_module
from collections.abc import Callable, Collection, Iterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from .kinds import KIND_BY_KEY, MAIN_KINDS, ROUTINE_KINDS
from .memory import phrases
from .memory.embedding import Embedder, LocalEmbedder
from .memory.formation import STATE_REVISION, bump_revision
from .memory.recall import MemoryIndex, query_terms
from .mining.changes import judged
from .models import ActivityEvent, Episode, Memory, Routine
from .results import (
    ActivitySummary,
    EpisodeRow,
    Episodes,
    Forgotten,
    Health,
    LastActivity,
    LastTime,
    Memories,
    MemoryRow,
    Recall,
    RecalledMemory,
    Remembered,
    RoutineRow,
    Routines,
    RoutineState,
    RoutineStates,
    RoutineStatus,
    SessionNames,
    Timeline,
    TimelineItem,
    UsualTime,
)
from .store.protocol import Store

MAX_LIMIT = 100
REVISION_TTL_S = 2.0
MAX_TEXT = 1000
PERIODS = ("today", "yesterday", "this_morning", "this_afternoon", "this_evening", "last_night",
           "yesterday_morning", "yesterday_afternoon", "yesterday_evening", "last_7_days")
USUAL_KINDS = MAIN_KINDS
_KIND_WORDS: tuple[tuple[tuple[str, ...], str], ...] = tuple(
    (kind.words, kind.key) for kind in ROUTINE_KINDS
)


class APIError(Exception):
    """A request the API cannot fulfil; ``code`` is stable for translation."""

    def __init__(self, code: str, message: str, **placeholders: Any) -> None:
        super().__init__(message)
        self.code = code
        self.placeholders = {k: str(v) for k, v in placeholders.items()}


def _session_names(e: Episode) -> SessionNames:
    """``title``/``summary`` of a session once it was named (naming.py: an LLM or the rules)."""
    names: SessionNames = {}
    if isinstance(title := e.detail.get("title"), str):
        names["title"] = title
    if isinstance(summary := e.detail.get("summary"), str):
        names["summary"] = summary
    return names


def _iso(ts: datetime | None) -> str | None:
    return ts.isoformat() if ts else None


def kind_from_text(text: str) -> str | None:
    """Map "wake up" / "go to bed" / "get home" / "leave" (or a kind name) to a routine kind."""
    low = text.lower().strip().replace("-", " ")
    if low.replace(" ", "_") in USUAL_KINDS:
        return low.replace(" ", "_")
    for words, kind in _KIND_WORDS:
        for word in words:
            if re.search(rf"\b{re.escape(word)}\b", low):
                return kind
    return None


class GalateaAPI:
    """JSON-able operations over an ``ActivityStore`` (see module docstring for shapes)."""

    def __init__(
        self,
        store: Store,
        tz: tzinfo,
        *,
        embedder: Embedder | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.tz = tz
        self.embedder: Embedder = embedder or LocalEmbedder()
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._index: MemoryIndex | None = None
        self._index_rev: Any = None
        self._rev_checked = 0.0

    # -- helpers ------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    def invalidate(self) -> None:
        """Forget the cached recall index (memories changed)."""
        with self._lock:
            self._index = None

    def _memory_index(self) -> MemoryIndex:
        mono = time_module.monotonic()
        with self._lock:
            # the revision is polled at most every REVISION_TTL_S (one query less per recall)
            if self._index is not None and mono - self._rev_checked < REVISION_TTL_S:
                return self._index
        rev = self.store.get_state(STATE_REVISION)
        with self._lock:
            self._rev_checked = mono
            if self._index is not None and rev == self._index_rev:
                return self._index
        memories = self.store.memories(include_closed=True)
        index = MemoryIndex(memories, self.embedder, embeddings=self.store.embeddings())
        if index.new_vectors:
            self.store.set_embeddings(index.new_vectors)
            index.new_vectors = {}  # stored: the index keeps only its matrix
        with self._lock:
            self._index, self._index_rev = index, rev
        return index

    def routine_dict(self, r: Routine, now: datetime | None = None) -> RoutineRow:
        now = now or self.now()
        nxt = phrases.next_occurrence(r, now, self.tz) if r.valid_to is None else None
        return {
            "key": r.key, "kind": r.kind, "label": r.label, "person": r.actor,
            "days": r.days, "time": r.time, "spread_min": round(r.spread_min, 1),
            "support_days": r.support_days, "confidence": round(r.confidence, 3),
            "status": r.status, "entities": list(r.entities),
            "next_expected": _iso(nxt), "valid_from": _iso(r.valid_from),
            "valid_to": _iso(r.valid_to), "text": phrases.routine_text(r),
        }

    def episode_dict(self, e: Episode) -> EpisodeRow:
        return {
            "id": e.id, "kind": e.kind, "label": e.label, "area": e.area, "person": e.actor,
            "start": e.start.isoformat(), "end": e.end.isoformat(),
            "duration_min": round((e.end - e.start).total_seconds() / 60, 1),
            "confidence": round(e.confidence, 3), "text": phrases.episode_text(e, self.tz),
            **_session_names(e),
        }

    @staticmethod
    def memory_dict(m: Memory) -> MemoryRow:
        return {
            "id": m.id, "type": m.type, "text": m.text, "subject": m.subject,
            "confidence": round(m.confidence, 3), "importance": round(m.importance, 3),
            "status": m.status, "origin": m.origin, "valid_from": _iso(m.valid_from),
            "valid_to": _iso(m.valid_to), "learned_at": _iso(m.learned_at),
            "evidence_count": len(m.evidence),
        }

    def _active_routines(self, person: str | None = None) -> list[Routine]:
        return [r for r in self.store.routines(actor=person) if r.status != "rejected"]

    # -- read ---------------------------------------------------------------------------------

    def health(self) -> Health:
        """``{ok, now, activity_last_id, routines, memories, store: stats()}``."""
        stats = self.store.stats()
        return {
            "ok": True,
            "now": self.now().isoformat(),
            "activity_last_id": self.store.last_activity_id(),
            "routines": len(self._active_routines()),
            "memories": len(self.store.memories(evidence=False)),
            "store": {k: (v.isoformat() if isinstance(v, datetime) else v)
                      for k, v in stats.items()},
        }

    def routines(self, person: str | None = None, *, include_rejected: bool = False
                 ) -> Routines:
        """``{routines: [routine...], kinds: [kind...]}``: current (not superseded) routines,
        ordered by time, and the main kinds as the registry declares them (engine/kinds.py), in
        the order of a day, for clients that draw them (the card)."""
        now = self.now()
        rows = self.store.routines(actor=person)
        if not include_rejected:
            rows = [r for r in rows if r.status != "rejected"]
        return {
            "routines": [self.routine_dict(r, now) for r in rows],
            "kinds": [
                {"key": k.key, "episode": k.episode, "edge": k.edge, "icon": k.icon}
                for k in ROUTINE_KINDS
            ],
        }

    def episodes(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        kind: str | None = None,
        area: str | None = None,
        person: str | None = None,
        *,
        limit: int = MAX_LIMIT,
    ) -> Episodes:
        """``{episodes: [episode...]}`` overlapping [start, end), newest last."""
        rows = self.store.episodes(start=start, end=end, kind=kind, area=area, actor=person)
        return {"episodes": [self.episode_dict(e) for e in rows[-max(1, limit):]]}

    def period_bounds(self, period: str, now: datetime | None = None) -> tuple[datetime, datetime]:
        """Local bounds of a named period (``PERIODS``)."""
        if period not in PERIODS:
            raise APIError("invalid", f"unknown period {period!r}", period=period)
        local = (now or self.now()).astimezone(self.tz)
        today = datetime.combine(local.date(), time(0), tzinfo=self.tz)
        yday = today - timedelta(days=1)
        spans = {
            "today": (today, local),
            "yesterday": (yday, today),
            "this_morning": (today + timedelta(hours=5), today + timedelta(hours=12)),
            "this_afternoon": (today + timedelta(hours=12), today + timedelta(hours=18)),
            "this_evening": (today + timedelta(hours=18), today + timedelta(days=1)),
            "last_night": (yday + timedelta(hours=21), today + timedelta(hours=7)),
            "yesterday_morning": (yday + timedelta(hours=5), yday + timedelta(hours=12)),
            "yesterday_afternoon": (yday + timedelta(hours=12), yday + timedelta(hours=18)),
            "yesterday_evening": (yday + timedelta(hours=18), today),
            "last_7_days": (today - timedelta(days=7), local),
        }
        start, end = spans[period]
        return start, min(end, max(local, start))

    def timeline(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        area: str | None = None,
        person: str | None = None,
        *,
        period: str | None = None,
        limit: int = 50,
    ) -> Timeline:
        """What happened in a window: ``{start, end, items: [{start, end, kind, label, area,
        person, text}], activity: {area: count}, summary}`` (items merge episodes and notable
        single activities such as doors and arrivals)."""
        if period:
            start, end = self.period_bounds(period)
        end = end or self.now()
        start = start or end - timedelta(days=1)
        if end <= start:
            raise APIError("invalid", "end must be after start")
        items: list[TimelineItem] = []
        for e in self.store.episodes(start=start, end=end, area=area, actor=person):
            minutes = (e.end - e.start).total_seconds() / 60
            weight = 3.0 if e.kind in ("sleep", "away", "visit") else min(3.0, minutes / 30)
            items.append({
                "start": e.start.isoformat(), "end": e.end.isoformat(), "kind": e.kind,
                "label": e.label,
                "area": e.area, "person": e.actor, "text": phrases.episode_short(e, self.tz),
                "weight": round(weight + (0.5 if e.actor else 0.0), 2), **_session_names(e),
            })
        per_area: dict[str, int] = {}
        for ev in self.store.iter_activity(start=start, end=end, area=area, actor=person):
            key = ev.area or "unknown"
            per_area[key] = per_area.get(key, 0) + 1
            if _is_notable(ev):
                items.append({
                    "start": ev.ts.isoformat(), "end": None, "kind": ev.kind, "label": None,
                    "area": ev.area, "person": ev.actor,
                    "text": f"{_event_text(ev, self.tz, short=True)} "
                            f"{phrases.hhmm(ev.ts, self.tz)}",
                    "weight": 2.0 if ev.domain == "person" or ev.source == "frigate" else 1.5,
                })
        # keep the most significant ``limit`` items, told in time order
        items.sort(key=lambda it: -it["weight"])
        items = sorted(items[:limit], key=lambda it: it["start"])
        return {
            "start": start.isoformat(), "end": end.isoformat(), "items": items,
            "activity": dict(sorted(per_area.items(), key=lambda kv: -kv[1])),
            "summary": self._timeline_summary(items, per_area),
        }

    def _timeline_summary(self, items: list[TimelineItem], per_area: dict[str, int]) -> str:
        """The five most significant items in time order, as one spoken line."""
        if not items and not per_area:
            return "Nothing happened that I know of."
        top = sorted(sorted(items, key=lambda it: -it["weight"])[:5],
                     key=lambda it: it["start"])
        if not top:
            areas = ", ".join(a.replace("_", " ") for a in list(per_area)[:3])
            return f"There was activity in the {areas}."
        return "; ".join(it["text"] for it in top) + "."

    def recall(self, query: str, limit: int = 5, *, include_closed: bool = False,
               subject: str | None = None) -> Recall:
        """Hybrid search: ``{query, answer, memories: [memory + score]}``. ``answer`` is set when
        the question is temporal ("when did I last ...", "usually when ...") and comes from the
        data, not from the memories' text."""
        query = (query or "").strip()
        if not query:
            raise APIError("invalid", "query is empty")
        limit = max(1, min(int(limit), MAX_LIMIT))
        answer = self._temporal_answer(query)
        index = self._memory_index()
        hits = index.search(query[:MAX_TEXT], limit=limit, now=self.now(),
                            include_closed=include_closed, subject=subject)
        out: list[RecalledMemory] = [
            {**self.memory_dict(hit.memory), "score": hit.score} for hit in hits]
        return {"query": query, "answer": answer, "memories": out}

    def _temporal_answer(self, query: str) -> str | None:
        low = query.lower()
        kind = kind_from_text(low)
        if ("usually" in low or "normally" in low or "typically" in low) and kind:
            return self.usual_time(kind)["text"]
        if re.search(r"\blast\b", low) and ("when" in low or "last time" in low):
            what = re.sub(r".*?\blast\b", "", low).strip(" ?.")
            return self.last_time(what=what or low)["text"]
        return None

    def usual_time(self, kind: str, person: str | None = None) -> UsualTime:
        """``{found, kind, person, time, spread_min, days, confidence, text, routines:[...]}``;
        several routines (weekdays/weekends, several people) are all listed in ``text``."""
        resolved = kind if kind in USUAL_KINDS else kind_from_text(kind)
        if resolved is None:
            raise APIError("invalid", f"unknown routine kind {kind!r}", kind=kind)
        rows = [r for r in self._active_routines(person) if r.kind == resolved]
        if not rows and person is not None:
            # nothing learned for this person (e.g. an HA user without tracked activity):
            # answer for the whole home rather than not at all
            rows = [r for r in self._active_routines(None) if r.kind == resolved]
        verb = phrases.ROUTINE_VERBS[resolved]
        if not rows:
            return {"found": False, "kind": resolved, "person": person, "time": None,
                    "spread_min": None, "days": None, "confidence": None, "routines": [],
                    "text": f"I haven't learned when {_who(person, verb)} yet."}
        rows.sort(key=lambda r: (-r.support_days, -r.confidence))
        now = self.now()
        if any(r.actor for r in rows):
            rows = [r for r in rows if r.actor] or rows  # people first; household as fallback
        best = rows[0]
        by_actor: dict[str | None, list[Routine]] = {}
        for r in rows:
            by_actor.setdefault(r.actor, []).append(r)
        sentences = []
        for actor, group in list(by_actor.items())[:4]:
            who = phrases.person_name(actor) if actor else "The household"
            form = verb
            times = " and ".join(
                f"around {phrases.spoken_time(r.time)} {phrases.days_phrase(r.days)}".rstrip()
                for r in group[:3]
            )
            sentences.append(f"{who} usually {form} {times}")
        text = "; ".join(sentences) + "."
        return {
            "found": True, "kind": resolved, "person": best.actor, "time": best.time,
            "spread_min": round(best.spread_min, 1), "days": best.days,
            "confidence": round(best.confidence, 3),
            "routines": [self.routine_dict(r, now) for r in rows], "text": text,
        }

    def last_time(
        self,
        what: str | None = None,
        *,
        entity_id: str | None = None,
        area: str | None = None,
        kind: str | None = None,
        person: str | None = None,
    ) -> LastTime:
        """When something last happened: ``{found, ts, what, entity_id, area, person, text}``.

        ``what`` may be a routine-like phrase ("leave home", "wake up") answered from episodes, or
        words naming an entity/area ("front door") matched against recent activity."""
        now = self.now()
        routine_kind = kind_from_text(what) if what else None
        if routine_kind and not entity_id and not area:
            found = self._last_from_episodes(routine_kind, person)
            if found is not None:
                ts, ep = found
                verb = KIND_BY_KEY[routine_kind].past
                who = phrases.person_name(ep.actor or person) if (ep.actor or person) else "Someone"
                return {"found": True, "ts": ts.isoformat(), "what": routine_kind,
                        "entity_id": None, "area": ep.area, "person": ep.actor,
                        "text": f"{who} last {verb} {phrases.ago_phrase(ts, now, self.tz)}."}
        terms = [t for t in query_terms(what or "") if len(t) > 1] if what else []
        ev = self._last_activity(terms, entity_id=entity_id, area=area, kind=kind, person=person)
        label = what or entity_id or area or kind or "that"
        if ev is None:
            return {"found": False, "ts": None, "what": label, "entity_id": entity_id,
                    "area": area, "person": person,
                    "text": f"I have no record of {label} recently."}
        return {
            "found": True, "ts": ev.ts.isoformat(), "what": label, "entity_id": ev.entity_id,
            "area": ev.area, "person": ev.actor,
            "text": f"{_event_text(ev, self.tz, short=True)} "
                    f"{phrases.ago_phrase(ev.ts, now, self.tz)}.",
        }

    def _last_from_episodes(self, kind: str, person: str | None
                            ) -> tuple[datetime, Episode] | None:
        main = KIND_BY_KEY[kind]
        now = self.now()
        rows = self.store.episodes(start=now - timedelta(days=30), end=now, kind=main.episode,
                                   actor=person)
        best: tuple[datetime, Episode] | None = None
        for ep in rows:
            ts = main.time_of(ep.start, ep.end)
            if ts > now:
                continue
            if main.edge == "end" and ep.end >= now - timedelta(minutes=1):
                continue  # still asleep/away: that end is "now", not an event
            if best is None or ts > best[0]:
                best = (ts, ep)
        return best

    def _last_activity(self, terms: list[str], **filters: Any) -> ActivityEvent | None:
        now = self.now()
        actor = filters.pop("person", None)
        for days in (1, 7, 30, 365):
            last: ActivityEvent | None = None
            last_active: ActivityEvent | None = None
            for ev in self._iter(start=now - timedelta(days=days), end=now, actor=actor,
                                 **filters):
                if terms and not _matches(ev, terms):
                    continue
                last = ev
                if ev.state not in _IDLE_STATES:
                    last_active = ev
            # "when was someone at the door": the opening, not the closing that followed it
            if last_active is not None and last is not None and (
                    last.ts - last_active.ts <= timedelta(minutes=30)):
                return last_active
            if last is not None:
                return last
        return None

    def _iter(self, **filters: Any) -> Iterator[ActivityEvent]:
        clean = {k: v for k, v in filters.items() if v is not None}
        yield from self.store.iter_activity(**clean)

    def memories(self, type: str | None = None, *, subject: str | None = None,
                 include_closed: bool = False, limit: int = MAX_LIMIT) -> Memories:
        """``{memories: [memory...]}`` newest learned first."""
        rows = self.store.memories(type=type, include_closed=include_closed)
        if subject:
            rows = [m for m in rows if m.subject == subject]
        return {"memories": [self.memory_dict(m) for m in rows[: max(1, min(limit, 1000))]]}

    def activity_summary(self, since: datetime | None = None, *, detail: bool = True
                         ) -> ActivitySummary:
        """Counters for sensors: ``{since, total, by_source, by_area, last: {ts, text, entity_id,
        area, person} | None}`` since local midnight by default. ``detail=False`` skips the
        per-source/area breakdown (two cheap queries instead of a scan)."""
        now = self.now()
        if since is None:
            local = now.astimezone(self.tz)
            since = datetime.combine(local.date(), time(0), tzinfo=self.tz)
        if not detail:
            last_id = self.store.last_activity_id()
            recent = list(self.store.iter_activity(since_id=max(0, last_id - 1))) if last_id else []
            return {
                "since": since.isoformat(), "total": self.store.count_activity(start=since),
                "by_source": {}, "by_area": {},
                "last": self._last_activity_row(recent[-1] if recent else None),
            }
        by_source: dict[str, int] = {}
        by_area: dict[str, int] = {}
        total = 0
        last: ActivityEvent | None = None
        for ev in self.store.iter_activity(start=since):
            total += 1
            by_source[ev.source] = by_source.get(ev.source, 0) + 1
            if ev.area:
                by_area[ev.area] = by_area.get(ev.area, 0) + 1
            last = ev
        return {
            "since": since.isoformat(), "total": total, "by_source": by_source,
            "by_area": by_area, "last": self._last_activity_row(last),
        }

    def _last_activity_row(self, ev: ActivityEvent | None) -> LastActivity | None:
        if ev is None:
            return None
        return {"ts": ev.ts.isoformat(), "text": _event_text(ev, self.tz, short=True),
                "entity_id": ev.entity_id, "area": ev.area, "person": ev.actor}

    def routine_states(self, *, absent: Collection[str] = ()) -> RoutineStates:
        """Where each routine stands now: ``{now, routines: [routine + {last_expected, done,
        late_min, margin_min, deviating}]}``. A routine *deviates* when its last expected time
        plus a margin (twice its spread, at least 15 min) has passed without it happening, for
        at most 6 hours; people in ``absent`` (away from home) are not expected to wake up,
        go to bed or leave; routines too loose to be late (spread over an hour,
        ``mining.changes.judged``) never deviate."""
        now = self.now()
        out: list[RoutineState] = []
        for r in self._active_routines():
            last = phrases.last_occurrence(r, now, self.tz)
            margin = max(2 * r.spread_min, 15.0)
            d: RoutineState = {
                **self.routine_dict(r, now), "last_expected": _iso(last),
                "margin_min": round(margin, 1), "done": None, "late_min": 0, "deviating": False}
            if last is not None and now - last < timedelta(hours=6):
                done = self._routine_done(r, last, margin)
                d["done"] = done
                late = (now - last).total_seconds() / 60
                away = r.actor in absent and r.kind in KIND_BY_KEY and KIND_BY_KEY[r.kind].at_home
                skip = away or not judged(r)
                if not done and not skip and late > margin:
                    d["late_min"] = round(late)
                    d["deviating"] = True
            out.append(d)
        return {"now": now.isoformat(), "routines": out}

    def _routine_done(self, r: Routine, expected: datetime, margin: float) -> bool:
        window_start = expected - timedelta(minutes=max(margin * 2, 60))
        now = self.now()
        if r.kind in KIND_BY_KEY:
            main = KIND_BY_KEY[r.kind]
            for ep in self.store.episodes(start=window_start - timedelta(hours=16), end=now,
                                          kind=main.episode, actor=r.actor):
                ts = main.time_of(ep.start, ep.end)
                if window_start <= ts <= now - timedelta(minutes=1):
                    return True
        for entity in r.entities[:10] or ([r.actor] if r.actor else []):
            if self.store.count_activity(start=window_start, end=now, entity_id=entity):
                return True
        return False

    # -- write --------------------------------------------------------------------------------

    def remember(self, text: str, subject: str | None = None) -> Remembered:
        """Store a fact the user told: ``{id, memory}`` (semantic, origin user, confirmed)."""
        text = (text or "").strip()
        if not text:
            raise APIError("invalid", "text is empty")
        if len(text) > MAX_TEXT:
            raise APIError("invalid", f"text longer than {MAX_TEXT} characters")
        now = self.now()
        mem = Memory(type="semantic", text=text, subject=subject or None, confidence=1.0,
                     importance=0.7, valid_from=now, learned_at=now, origin="user",
                     status="confirmed", detail={"kind": "fact", "told_at": now.isoformat()})
        mid = self.store.add_memory(mem)
        mem.id = mid
        bump_revision(self.store)
        self.invalidate()
        return {"id": mid, "memory": self.memory_dict(mem)}

    def _routine(self, key: str) -> Routine:
        for r in self.store.routines(include_invalid=True):
            if r.key == key:
                found: Routine = r
                return found
        raise APIError("not_found", f"no routine {key!r}", key=key)

    def _set_routine_memory(self, key: str, *, confirmed: bool) -> None:
        slot = f"routine:{key}"
        now = self.now()
        for m in self.store.memories(include_closed=True):
            if m.id is None or (m.detail or {}).get("slot", (m.key or "").split("@")[0]) != slot:
                continue
            if m.valid_to is not None and m.status == "closed":
                continue
            if confirmed:
                self.store.update_memory(m.id, status="confirmed",
                                         confidence=max(m.confidence, 0.95), valid_to=None)
            else:
                self.store.update_memory(m.id, status="rejected", confidence=0.05, valid_to=now)
        bump_revision(self.store)
        self.invalidate()

    def confirm_routine(self, key: str) -> RoutineStatus:
        """``{key, status: "confirmed", routine}``; raises ``not_found``."""
        r = self._routine(key)
        self.store.set_routine_status(key, "confirmed")
        self._set_routine_memory(key, confirmed=True)
        r = replace(r, status="confirmed")
        return {"key": key, "status": "confirmed", "routine": self.routine_dict(r)}

    def reject_routine(self, key: str) -> RoutineStatus:
        """``{key, status: "rejected", routine}``; raises ``not_found``."""
        r = self._routine(key)
        self.store.set_routine_status(key, "rejected")
        self._set_routine_memory(key, confirmed=False)
        r = replace(r, status="rejected")
        return {"key": key, "status": "rejected", "routine": self.routine_dict(r)}

    def forget(self, memory_id: int) -> Forgotten:
        """Delete a memory and its evidence links for real: ``{forgotten: id}``."""
        if not self.store.delete_memory(int(memory_id)):
            raise APIError("not_found", f"no memory {memory_id}", memory_id=memory_id)
        bump_revision(self.store)
        self.invalidate()
        return {"forgotten": int(memory_id)}


# -- text helpers -----------------------------------------------------------------------------


def _who(person: str | None, verb: str, *, capital: bool = False) -> str:
    if person:
        return f"{phrases.person_name(person)} {verb}"
    return f"{'Y' if capital else 'y'}ou {_verb_plural_from(verb)}"


def _verb_plural_from(verb: str) -> str:
    return {"wakes up": "wake up", "goes to bed": "go to bed", "leaves home": "leave home",
            "gets home": "get home"}.get(verb, verb)


def _verb_plural(kind: str) -> str:
    return _verb_plural_from(phrases.ROUTINE_VERBS.get(kind, kind))


_IDLE_STATES = frozenset({"off", "closed", "idle", "locked", "clear", "standby", "paused"})
_NOTABLE_DOMAINS = frozenset({"lock", "person", "cover", "alarm_control_panel", "camera"})
_NOTABLE_CLASSES = frozenset({"door", "garage_door", "opening", "lock", "window"})


def _is_notable(ev: ActivityEvent) -> bool:
    if ev.source == "frigate":
        return True
    if ev.domain in _NOTABLE_DOMAINS:
        return True
    return ev.device_class in _NOTABLE_CLASSES and ev.state in ("on", "open", "unlocked")


def _matches(ev: ActivityEvent, terms: list[str]) -> bool:
    hay = " ".join(x for x in (ev.entity_id, ev.area, ev.summary, ev.device, ev.kind,
                               ev.device_class, (ev.data or {}).get("label")
                               if isinstance((ev.data or {}).get("label"), str) else None)
                   if x).lower().replace("_", " ").replace(".", " ")
    words = set(hay.split())
    hits = sum(1 for t in terms if t in words)
    return hits >= max(1, (len(set(terms)) + 1) // 2) if terms else True


def _event_text(ev: ActivityEvent, tz: tzinfo, *, short: bool = False) -> str:
    """A short line for an activity: "Front door opened", "Kitchen light turned on by Anna"."""
    summary = (ev.summary or "").rstrip(".")
    if ev.kind == "state_changed" and ev.state and ev.entity_id:
        # the capture's summary is "<friendly name>: old → new"; say it in words instead
        name = summary.split(":", 1)[0] if ":" in summary else (
            ev.entity_id.split(".", 1)[-1].replace("_", " "))
        base = f"{name[:1].upper()}{name[1:]} {_state_word(ev)}"
    elif summary:
        base = summary
    elif ev.source == "frigate" or ev.kind.endswith("_detected"):
        name = (ev.entity_id or ev.kind).split(".", 1)[-1].replace("_", " ")
        label = (ev.data or {}).get("label", "someone")
        base = f"{str(label).capitalize()} seen at {name}"
    else:
        name = (ev.entity_id or "").split(".", 1)[-1].replace("_", " ")
        base = f"{name.capitalize()} {ev.kind.replace('_', ' ')}".strip()
    if (ev.actor and ev.actor_kind in ("person", "user") and " by " not in base
            and ev.actor != ev.entity_id and ev.domain != "person"):
        base += f" by {phrases.person_name(ev.actor)}"
    return base if short else f"{phrases.hhmm(ev.ts, tz)} {base}"


def _state_word(ev: ActivityEvent) -> str:
    st = ev.state or ""
    if ev.domain == "person":
        return {"home": "came home", "not_home": "left home"}.get(st, f"at {st}")
    if ev.device_class in ("door", "garage_door", "window", "opening"):
        return {"on": "opened", "off": "closed"}.get(st, st)
    if ev.device_class in ("motion", "occupancy", "presence"):
        return {"on": "detected motion", "off": "clear"}.get(st, st)
    return {"on": "turned on", "off": "turned off"}.get(st, f"became {st}")
