"""The engine loop: activity log -> episodes, routines, sequences, preferences.

Log-based change data capture: a persisted cursor (the last activity id consumed) says where
the previous run stopped. Each run

1. reads the activity with ``id > cursor`` (incremental, every few minutes) or everything
   (``full=True``, nightly, and on the first run);
2. re-mines episodes from the day of the earliest new event minus a margin (late events and
   episodes that span midnight are covered) and replaces stored episodes from that point;
3. re-mines routines, sequences and preferences over a bounded look-back window
   (``EngineOptions.window_days``) from an in-memory window of the relevant activity (people's
   actions, person/tracker states, automation chains), kept up to date incrementally;
4. writes all derived rows AND the new cursor in ONE ``store.unit_of_work()`` transaction.

A crash anywhere before that commit leaves the cursor and the derived tables as they were, so
the next run redoes the same work: the effect is exactly once. Mining is pure and derived
writes are replace/upsert, so a redo gives the same rows.

CPU: ``EngineOptions.cpu_share`` < 1 makes the loop sleep between chunks so that, embedded in
HA, it uses at most about that share of one core (a run taking 0.2 s of work with
``cpu_share=0.5`` spreads over about 0.4 s). Safe to call from a worker thread; never call it
on an event loop.
"""

from __future__ import annotations

import bisect
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from .capture.clock import TIME_FLOOR
from .capture.clock import ceiling as clock_ceiling
from .mining.actions import HABIT_DOMAINS
from .mining.changes import changed_routines
from .mining.episodes import EpisodeOptions, HomeHints, find_episodes
from .mining.order import by_time
from .mining.preferences import PreferenceCache, PreferenceOptions, mine_preferences
from .mining.routines import FitCache, RoutineOptions, mine_routines
from .mining.sequences import PairCache, SequenceOptions, mine_sequences
from .models import ActivityEvent, Episode, Routine
from .store.derived import EpisodeRow, episode_row
from .store.protocol import Store

_LOGGER = logging.getLogger(__name__)
LAST_RUN_KEY = "engine.last_run"
_KEEP_DOMAINS = HABIT_DOMAINS | {"person", "device_tracker"}


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """How much history each run looks at, and how hard it may work."""

    window_days: int = 56  # routines/sequences/preferences look-back
    episode_margin_h: float = 36.0  # re-mine episodes from the earliest new event minus this
    # A full re-mine reads the log in chunks of at least this many days: four weeks teach the
    # home's habits (a history of a few weeks is mined whole, as the benchmarks mine it).
    chunk_days: int = 28
    cpu_share: float = 1.0  # < 1: sleep between chunks to use at most this share of a core
    cursor_name: str = "engine"
    form_memories: bool = True  # memory formation after each commit (engine/memory)
    # The newest activity time learned from; None: the wall clock plus a small skew (rows
    # from a wrong clock are ignored). Benchmarks over simulated futures set it.
    trust_until: datetime | None = None
    episodes: EpisodeOptions = field(default_factory=EpisodeOptions)
    routines: RoutineOptions = field(default_factory=RoutineOptions)
    sequences: SequenceOptions = field(default_factory=SequenceOptions)
    preferences: PreferenceOptions = field(default_factory=PreferenceOptions)


@dataclass(slots=True)
class RunSummary:
    """What one run did; ``learned``/``changed`` feed the HA bus events."""

    new_activity: int
    learned: list[Routine]
    changed: list[Routine]
    duration_s: float
    full: bool = False
    cursor: int = 0
    episodes: int = 0
    routines: int = 0
    sequences: int = 0
    preferences: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "new_activity": self.new_activity,
            "learned": [r.key for r in self.learned],
            "changed": [r.key for r in self.changed],
            "duration_s": round(self.duration_s, 3),
            "full": self.full,
            "cursor": self.cursor,
            "episodes": self.episodes,
            "routines": self.routines,
            "sequences": self.sequences,
            "preferences": self.preferences,
        }


def _signature(row: Any) -> tuple[Any, ...] | None:
    """Everything but ids and evidence: equal signatures need no rewrite."""
    if row is None:
        return None
    return tuple(
        (k, repr(getattr(row, k))) for k in row.__dataclass_fields__ if k not in ("id", "evidence")
    )


def relevant(ev: ActivityEvent) -> bool:
    """Activity the window miners need (people's actions, presence, automation chains)."""
    if ev.kind in ("automation_triggered", "script_started"):
        return True
    return ev.domain in _KEEP_DOMAINS


def _with_silence_start(
    carried: list[ActivityEvent],
    chunk_events: list[ActivityEvent],
    fresh: list[ActivityEvent],
    lead: datetime,
    margin: timedelta,
) -> list[ActivityEvent]:
    """``chunk_events`` with the last hour of activity before ``lead`` added when a silence
    longer than ``margin`` runs across it (a trip of several days): without where it began, the
    chunk sees someone come home from nowhere."""
    before = [e for e in carried if e.ts < lead]
    if not before:
        return chunk_events
    last = max(e.ts for e in before)
    after = [e.ts for e in chunk_events] + [e.ts for e in fresh[:1]]
    if after and min(after) - last <= margin:
        return chunk_events
    tail = [e for e in before if e.ts >= last - timedelta(hours=1)]
    return [*tail, *chunk_events]


def _chunk_length(span: timedelta, least: timedelta) -> timedelta:
    """Chunks of at least ``least`` covering ``span``, the remainder spread over them: a short
    last chunk (five days after two weeks) would learn the home's habits from too few nights,
    and its nights are the newest, the ones people look at. One second more, so that the last
    activity falls inside the last chunk."""
    count = max(1, int(span / least))
    return span / count + timedelta(seconds=1)


def _reported(episodes: Sequence[Any], ep: Episode) -> bool:
    """An episode of ``ep``'s kind, scope and person overlapping it is already among
    ``episodes`` (Episode objects or the store's plain rows)."""
    scope = ep.detail.get("scope")
    for other in episodes:
        if isinstance(other, Episode):
            kind, start, end, actor = other.kind, other.start, other.end, other.actor
        else:
            kind, start, end, actor = other[0], other[1], other[2], other[4]
        if kind != ep.kind or actor != ep.actor or not (start < ep.end and ep.start < end):
            continue
        if isinstance(other, Episode):
            o_scope = other.detail.get("scope")
        else:
            o_scope = json.loads(other[7]).get("scope") if other[7] else None
        if o_scope == scope:
            return True
    return False


def _learned_over(over: HomeHints, under: HomeHints) -> dict[str, Any]:
    """The facts only many nights teach (but a pet's rate), from ``over`` where it knows them,
    else from ``under``."""
    return {
        "pets": under.pets if over.pets is None else over.pets,
        "pets_by_day": under.pets_by_day if over.pets_by_day is None else over.pets_by_day,
        "usual_wake": under.usual_wake if over.usual_wake is None else over.usual_wake,
        "usual_bed": under.usual_bed if over.usual_bed is None else over.usual_bed,
        "bedroom_mornings": (
            under.bedroom_mornings if over.bedroom_mornings is None else over.bedroom_mornings
        ),
        "bedroom_evenings": (
            under.bedroom_evenings if over.bedroom_evenings is None else over.bedroom_evenings
        ),
        "inner_doors": over.inner_doors or under.inner_doors,
        "model": over.model or under.model,
        "noisy": under.noisy if over.noisy is None else over.noisy,
        "watching": under.watching if over.watching is None else over.watching,
        "timers": over.timers or under.timers,
        "elsewhere": over.elsewhere or under.elsewhere,
        "carried": over.carried or under.carried,
        "roles_learned": over.roles_learned or under.roles_learned,
    }


class Engine:
    """Runs the miners over the store; one instance per store, one run at a time."""

    def __init__(self, store: Store, tz: tzinfo, options: EngineOptions | None = None) -> None:
        self.store = store
        self.tz = tz
        self.options = options or EngineOptions()
        self._window: list[ActivityEvent] | None = None  # relevant events, ts >= window start
        self._window_max_id = 0
        self._days: set[date] = set()  # local days with any activity
        self._latest: datetime | None = None
        self._ceiling = clock_ceiling()  # the newest time trusted (set at each run)
        self._triggers: OrderedDict[str, ActivityEvent] = OrderedDict()
        self._work_started = time.monotonic()
        self._written_routines: dict[str, Routine] | None = None
        self._lock = threading.Lock()
        self._written_episodes: list[Episode] | None = None  # sleep/away in the window
        self._recent: list[ActivityEvent] = []  # all activity of the last days, by time
        self._recent_from: datetime | None = None  # _recent is complete from this time on
        self._written_sequences: list[tuple[Any, ...] | None] | None = None
        self._written_preferences: list[tuple[Any, ...] | None] | None = None
        # Routine fits of the previous run, by their inputs (mine_routines): between two runs
        # of a day most series are unchanged. Keyed by all inputs, so never stale; emptied by
        # a full run anyway (the nightly re-mine starts from nothing).
        self._fits = FitCache()
        # People's "A then B" pairs of each day of the previous run, with what they were
        # counted from (mine_sequences): a new run counts only the days that changed.
        self._pairs = PairCache()
        # Each subject's preferences of the previous run, with what they were found from.
        self._prefs = PreferenceCache()
        # What only many nights teach (the pet's areas and rate, the usual wake-up), from the
        # last scan of whole chunks: an incremental run sees a few days, too few to learn it.
        self._home = HomeHints()

    # -- what the home taught ----------------------------------------------------------------

    def _episode_options(self) -> EpisodeOptions:
        """The episode options, with what earlier chunks learned where the user set nothing."""
        opts = self.options.episodes
        h = opts.hints
        return replace(
            opts,
            hints=replace(
                h,
                **_learned_over(h, self._home),
                pet_rate=self._home.pet_rate if h.pet_rate is None else h.pet_rate,
            ),
        )

    def _learn(self, learned: Iterable[HomeHints]) -> None:
        for facts in learned:
            self._home = HomeHints(
                **_learned_over(facts, self._home),
                # A new finding about pets brings its own rate, even none.
                pet_rate=self._home.pet_rate if facts.pets is None else facts.pet_rate,
            )

    def home_facts(self) -> dict[str, Any]:
        """What the home's own history taught (for diagnostics): the pet's areas (at night and,
        left alone, by day) and blip rate, the usual wake-up and bedtime, inner doors, sensors
        that trip by themselves, bedroom sensors that see the bed, the roles of areas learned
        from behaviour, and how many absences and nights the home model was fitted on."""
        h = self._home
        return {
            "pet_areas": None if h.pets is None else sorted(h.pets),
            "pet_blips_per_hour": h.pet_rate,
            "pet_areas_by_day": None if h.pets_by_day is None else sorted(h.pets_by_day),
            "usual_wake_minute": h.usual_wake,
            "usual_bedtime_minute": h.usual_bed,
            "mornings_start_in_bedroom": h.bedroom_mornings,
            "nights_start_in_bedroom": h.bedroom_evenings,
            "inner_doors": dict(h.inner_doors),
            "noisy_sensors": None if h.noisy is None else dict(h.noisy),
            "sensors_seeing_the_bed": None if h.watching is None else sorted(h.watching),
            "scheduled_devices": {k: [list(w) for w in v] for k, v in h.timers.items()},
            "sensors_elsewhere": sorted(h.elsewhere),
            "carried_sensors": sorted(h.carried),
            "area_roles_learned": dict(h.roles_learned),
            "model": (
                None
                if h.model is None
                else {
                    "sensors": len(h.model.entities),
                    "absences_seen": h.model.absences_seen,
                    "nights_seen": h.model.nights_seen,
                }
            ),
        }

    # -- CPU share --------------------------------------------------------------------------

    def _pause(self) -> None:
        """Sleep long enough that work so far is at most ``cpu_share`` of the elapsed time."""
        share = self.options.cpu_share
        if share >= 1.0:
            return
        worked = time.monotonic() - self._work_started
        time.sleep(worked * (1.0 / max(share, 0.01) - 1.0))
        self._work_started = time.monotonic()

    # -- window of relevant activity ----------------------------------------------------------

    def _plausible(self, ev: ActivityEvent) -> bool:
        """Rows with a wrong clock (stored before the doors checked time) are not learned from."""
        return TIME_FLOOR <= ev.ts <= self._ceiling

    def _take(self, ev: ActivityEvent) -> None:
        """Feed one event (ascending id) into the in-memory window and day set."""
        if not self._plausible(ev):
            return
        self._days.add(ev.ts.astimezone(self.tz).date())
        if self._recent_from is None or ev.ts >= self._recent_from:
            if self._recent and ev.ts < self._recent[-1].ts:
                bisect.insort(self._recent, ev, key=lambda e: e.ts)
            else:
                self._recent.append(ev)
        if self._latest is None or ev.ts > self._latest:
            self._latest = ev.ts
        if ev.id is not None and ev.id > self._window_max_id:
            self._window_max_id = ev.id
        assert self._window is not None
        if relevant(ev):
            if ev.kind in ("automation_triggered", "script_started") and ev.parent_id:
                trigger = self._triggers.pop(ev.parent_id, None)
                if trigger is not None and not relevant(trigger):
                    self._window.append(trigger)  # the automation's trigger (e.g. motion)
            self._window.append(ev)
        elif ev.context_id:
            self._triggers[ev.context_id] = ev
            while len(self._triggers) > 2048:
                self._triggers.popitem(last=False)

    def _trim(self) -> datetime | None:
        if self._latest is None or self._window is None:
            return None
        start = self._latest - timedelta(days=self.options.window_days)
        if self._window and self._window[0].ts < start:
            self._window = [e for e in self._window if e.ts >= start]
        first_day = start.astimezone(self.tz).date()
        self._days = {d for d in self._days if d >= first_day}
        # Keep all activity (motion too) of the last days for incremental episode mining.
        keep = self._latest - timedelta(hours=3 * self.options.episode_margin_h + 24)
        if self._recent and self._recent[0].ts < keep:
            self._recent = [e for e in self._recent if e.ts >= keep]
        if self._recent_from is not None:
            self._recent_from = max(self._recent_from, keep)
        return start

    # -- the run ------------------------------------------------------------------------------

    def run_once(self, full: bool = False) -> RunSummary:
        """One pass; ``full`` re-mines all episodes (nightly). Raises on store errors (the
        caller retries later; nothing is half-written). Concurrent calls run one after the
        other."""
        with self._lock:
            return self._run(full)

    def _run(self, full: bool) -> RunSummary:
        t0 = time.monotonic()
        self._work_started = t0
        self._ceiling = self.options.trust_until or clock_ceiling()
        name = self.options.cursor_name
        with self.store.unit_of_work() as uow:
            cursor = uow.get_cursor(name)
        last_id = self.store.last_activity_id()
        if cursor == 0:
            full = True  # first run: everything is new
        if last_id <= cursor and not full:
            return RunSummary(0, [], [], time.monotonic() - t0, cursor=cursor)
        # What the last commit of this engine wrote (no need to re-read it, with its evidence).
        before = (
            list(self._written_routines.values())
            if self._written_routines is not None
            else self.store.routines(include_invalid=True)
        )
        if full:
            self._fits.clear()
            self._pairs.clear()
            self._prefs.clear()
        episodes_new: list[Episode | EpisodeRow]
        if full or self._window is None:
            episodes_new, since, new_count = self._full_scan(cursor, last_id, full)
        else:
            found, since, new_count = self._incremental(cursor, last_id)
            episodes_new = list(found)
        window_start = self._trim()
        self._pause()
        # Episodes the window miners see: stored ones not being replaced + the new ones
        # (those kept as plain rows all ended before the window).
        new_eps = [e for e in episodes_new if isinstance(e, Episode)]
        if since is None:
            episodes_all = new_eps
        else:
            if self._written_episodes is None:  # after a restart: what the store holds
                self._written_episodes = [
                    e
                    for kind in ("sleep", "away")
                    for e in self.store.episodes(start=window_start, kind=kind)
                ]
            stored = [e for e in self._written_episodes if e.start < since]
            episodes_all = stored + [e for e in new_eps if e.kind in ("sleep", "away")]
        window_eps = [e for e in episodes_all if window_start is None or e.end >= window_start]
        events = self._window or []
        routines = mine_routines(
            events,
            window_eps,
            self.tz,
            observed_days=sorted(self._days),
            options=self.options.routines,
            cache=self._fits,
        )
        self._pause()
        sequences = mine_sequences(
            events, self.tz, options=self.options.sequences, cache=self._pairs
        )
        preferences = mine_preferences(
            events, self.tz, options=self.options.preferences, cache=self._prefs
        )
        routines += self._retired(before, routines)
        learned, changed = changed_routines(before, routines)
        self._pause()
        with self.store.unit_of_work() as uow:
            current = uow.get_cursor(name)
            # Only the kinds this engine finds: other writers' episodes stay.
            uow.replace_episodes(episodes_new, since=since, kinds=set(self.options.episodes.kinds))
            # Unchanged rows are not rewritten (a routine's evidence changes with its support).
            written = self._written_routines or {}
            rewritten = [r for r in routines if _signature(r) != _signature(written.get(r.key))]
            uow.upsert_routines(rewritten)
            seq_sig = [_signature(q) for q in sequences]
            if seq_sig != self._written_sequences:
                uow.replace_sequences(sequences)
            pref_sig = [_signature(p) for p in preferences]
            if pref_sig != self._written_preferences:
                uow.replace_preferences(preferences)
            if self.options.form_memories:
                from .memory.formation import note_changes

                # The watermark for incremental memory formation, in this very commit.
                note_changes(
                    uow,
                    full=full,
                    episodes_since=since,
                    routines=[r.key for r in rewritten],
                    sequences=seq_sig != self._written_sequences,
                    preferences=pref_sig != self._written_preferences,
                )
            uow.set_cursor(name, max(current, last_id))
            summary = RunSummary(
                new_count,
                learned,
                changed,
                time.monotonic() - t0,
                full=full,
                cursor=max(current, last_id),
                episodes=len(episodes_new),
                routines=len(routines),
                sequences=len(sequences),
                preferences=len(preferences),
            )
            uow.set_state(
                LAST_RUN_KEY, {**summary.as_dict(), "at": datetime.now().astimezone().isoformat()}
            )
        # Only after the commit: the in-memory copy must never run ahead of the database.
        self._written_routines = {r.key: r for r in before} | {r.key: r for r in routines}
        self._written_sequences, self._written_preferences = seq_sig, pref_sig
        self._written_episodes = [e for e in window_eps if e.kind in ("sleep", "away")]
        _LOGGER.debug("Galatea engine run: %s", summary.as_dict())
        del episodes_new  # written: formation reads what it needs, years of rows go first
        if self.options.form_memories:
            self._form_memories(full)
        return summary

    def _form_memories(self, full: bool) -> None:
        """Turn what was mined into memories (after the commit: it never blocks learning)."""
        try:
            from .memory.formation import form_memories

            form_memories(self.store, self.tz, full=full, incremental=not full)
        except Exception:  # a memory problem must not stop the engine
            _LOGGER.exception("Galatea could not form memories")

    def _retired(self, before: list[Routine], mined: list[Routine]) -> list[Routine]:
        """Routines learned earlier that the window no longer supports: no longer valid."""
        keys = {r.key for r in mined}
        out = []
        for r in before:
            if r.key in keys or r.valid_to is not None or r.status in ("superseded", "rejected"):
                continue
            out.append(replace(r, valid_to=self._latest, detail={**r.detail, "retired": True}))
        return out

    def _full_scan(
        self, cursor: int, last_id: int, full: bool
    ) -> tuple[list[Episode | EpisodeRow], datetime | None, int]:
        """Read the whole log in time chunks: all episodes (when ``full``) and the window.

        Episodes that ended before the window are only written: they are kept as plain rows
        (``episode_row``), few objects for the garbage collector to walk at every chunk."""
        self._window, self._days, self._window_max_id = [], set(), 0
        self._latest = None
        self._triggers.clear()
        # By time and within plausible times: the first/last row by id may carry any clock.
        bounds = self.store.time_bounds(TIME_FLOOR, self._ceiling, max_id=last_id)
        if bounds is None:
            return [], None, 0
        first_ts, latest = bounds
        window_from = latest - timedelta(days=self.options.window_days + 1)
        self._recent = []
        self._recent_from = latest - timedelta(hours=3 * self.options.episode_margin_h + 24)
        margin = timedelta(hours=self.options.episode_margin_h)
        start = first_ts if full else window_from
        # No activity before the first: chunks count from there (not from an empty window).
        start = max(min(start, window_from), first_ts)
        chunk = _chunk_length(latest - start, timedelta(days=self.options.chunk_days))
        episodes: list[Episode | EpisodeRow] = []
        new_count = 0
        c0 = start
        # Chunks overlap by twice the margin: what the previous chunk read from c0 - margin on
        # is kept and only the rest is read (the same events, in the same id order).
        carried: list[ActivityEvent] = []
        read_from = c0 - margin
        # Where the previous two chunks' episodes begin in ``episodes`` (an episode left open by
        # one is looked for there).
        recent_from = chunk_from = 0
        while c0 <= latest:
            c1 = c0 + chunk
            fresh = [
                ev
                for ev in self.store.iter_activity(0, start=read_from, end=c1 + margin)
                if (ev.id is None or ev.id <= last_id) and self._plausible(ev)
            ]
            chunk_events = [e for e in carried if e.ts >= c0 - margin]
            chunk_events = _with_silence_start(carried, chunk_events, fresh, c0 - margin, margin)
            if chunk_events:
                chunk_events.extend(fresh)
                chunk_events.sort(key=lambda e: e.id or 0)  # two runs in id order: a merge
            else:
                chunk_events = fresh
            carried, read_from = chunk_events, c1 + margin
            inside = [e for e in chunk_events if c0 <= e.ts < c1]  # in id order
            for ev in inside:
                if ev.ts >= window_from:
                    self._take(ev)
                if (ev.id or 0) > cursor:
                    new_count += 1
            if full or c1 >= window_from:
                learned: list[HomeHints] = []
                found = find_episodes(
                    chunk_events, self.tz, options=self._episode_options(), learned=learned
                )
                # An episode that began before the chunk (a trip of several days across its
                # start, seen whole thanks to the activity before it) is the chunk's when the
                # one before could not finish it.
                open_before = [
                    e
                    for e in found
                    if e.start < c0 <= e.end and not _reported(episodes[recent_from:], e)
                ]
                recent_from, chunk_from = chunk_from, len(episodes)
                episodes += [
                    e if e.end >= window_from else episode_row(e)
                    for e in [*open_before, *(e for e in found if c0 <= e.start < c1)]
                ]
                self._learn(learned)
            c0 = c1
            self._pause()
        self._window_max_id = last_id
        self._window.sort(key=lambda e: (e.ts, e.id or 0))
        since = None if full else start
        return episodes, since, new_count

    def _incremental(self, cursor: int, last_id: int) -> tuple[list[Episode], datetime | None, int]:
        """New activity since the cursor; episodes re-mined from its earliest day minus a margin."""
        earliest: datetime | None = None
        count = 0
        for ev in self.store.iter_activity(cursor):
            if ev.id is not None and ev.id > last_id:
                break
            count += 1
            if not self._plausible(ev):
                continue
            if earliest is None or ev.ts < earliest:
                earliest = ev.ts
            if (ev.id or 0) > self._window_max_id:
                self._take(ev)
        self._window_max_id = max(self._window_max_id, last_id)
        if earliest is None:
            return [], None, 0
        local = earliest.astimezone(self.tz)
        since = datetime(local.year, local.month, local.day, tzinfo=self.tz) - timedelta(
            hours=self.options.episode_margin_h
        )
        margin = timedelta(hours=self.options.episode_margin_h)
        need_from = since - margin
        if self._recent_from is not None and self._recent_from <= need_from:
            # The last days of activity are in memory: no store read for the usual case.
            events = [ev for ev in self._recent if ev.ts >= need_from]
        else:  # a late batch of old activity (backfill): read what it touches
            events = [
                ev
                for ev in self.store.iter_activity(0, start=need_from, end=self._ceiling)
                if (ev.id is None or ev.id <= last_id) and self._plausible(ev)
            ]
        episodes = [
            e
            for e in find_episodes(events, self.tz, options=self._episode_options())
            if e.start >= since
        ]
        self._window = by_time(self._window or [])
        return episodes, since, count
