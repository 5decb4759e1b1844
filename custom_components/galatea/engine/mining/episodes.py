"""Episodes of a home's life: ``sleep``, ``away`` and activity ``session`` s.

``find_episodes`` is the one entry point the engine loop calls. It is pure: a list of
ActivityEvents (any order) and the home's time zone in, ``Episode`` s out, sorted by start.

Every episode carries ``detail["scope"]``: ``home`` (the household as a whole; one sleep per night,
absences of everybody) or ``person`` (``actor`` names the person) / ``bed`` (a bed sensor whose
owner is unknown). Routines such as wake_up/go_to_bed/leave_home/arrive_home should be built from
``scope == "home"`` episodes, and per person from ``scope == "person"`` ones. Only finished
episodes are returned: a night still in bed or an absence still going on has no end yet.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from typing import Any

from ..models import ActivityEvent, Episode
from .areas import BATHROOM, BEDROOM, OUTDOOR, AreaRoles, learn_roles
from .away import (
    AwayOptions,
    WhoIsHome,
    check_tracker_away,
    door_away,
    entrance_doors,
    everyone_out,
    in_their_beds,
    pet_areas,
    pet_day_areas,
    pet_fills_rooms,
    pet_rate,
    quietest_windows,
    tracker_away,
)
from .carried import at_home, away_spans, carried_entities, elsewhere, glances
from .doors import inner_doors, reassign
from .home_model import (
    ASLEEP,
    AWAY,
    HomeModel,
    HomeModelOptions,
    HomeModelParams,
    fit_home_model,
)
from .nights import SleepOptions
from .noise import noisy_sensors
from .presence import Signal, blocks, signals, silences
from .robots import robot_runs, without_robot
from .sensors import characterise, diagnostics, hold_caps, motion_like
from .sessions import SessionOptions, find_sessions
from .sleep import (
    bedroom_evenings,
    bedroom_mornings,
    find_sleep,
    usual_bed,
    usual_wake,
    watching_beds,
)
from .timers import Windows, clockwork, off_the_clock
from .tracker_doors import at_the_door
from .unattended import unattended

# A night's model_asleep_before_min: how long before its end the home model's mean "asleep"
# stays at least this sure, looked at up to this far back.
MODEL_SURE = 0.8
MODEL_SURE_LONGEST_S = 8 * 3600.0


@dataclass(frozen=True, slots=True)
class HomeHints:
    """What earlier runs learned about the home from behaviour (which door is the entrance,
    which occupancy sensor is a bed, what an unnamed area is for). Short incremental windows may
    hold too little evidence to learn these again; passing them keeps results stable."""

    entrance_doors: frozenset[str] = frozenset()
    beds: frozenset[str] = frozenset()
    area_roles: Mapping[str, str] = field(default_factory=dict)
    # Learned over many nights (see find_episodes' ``learned``): where a pet roams, how many
    # blips an hour it makes, the home's usual wake-up (local minute of day). A window of a
    # few days cannot learn them; None: not known.
    pets: frozenset[str] | None = None
    pet_rate: float | None = None
    # ... and where it also goes when left alone (away.pet_day_areas).
    pets_by_day: frozenset[str] | None = None
    # ... and whether it trips several PIRs of one room together (away.pet_fills_rooms).
    pet_fills_rooms: bool | None = None
    usual_wake: float | None = None
    # ... and its usual bedtime (local minute of day; sleep.usual_bed).
    usual_bed: float | None = None
    # Whether the home's mornings start in the bedroom (sleep.bedroom_mornings).
    bedroom_mornings: bool | None = None
    # ... and whether its nights do (sleep.bedroom_evenings).
    bedroom_evenings: bool | None = None
    # Inner doors filed under another area (see doors.py): entity_id -> the room they serve.
    inner_doors: Mapping[str, str] = field(default_factory=dict)
    # The home model's learned tables (home_model.py), to decode windows too short to fit.
    model: HomeModelParams | None = None
    # Sensors that trip by themselves at night, with their stray pulses per hour (noise.py).
    noisy: Mapping[str, float] | None = None
    # Bedroom motion sensors that see the bed: their brief trips at night are a sleeper
    # turning over (sleep.watching_beds).
    watching: frozenset[str] | None = None
    # Devices on their own clock: entity_id -> scheduled (from, to) local minutes (timers.py).
    timers: Mapping[str, Windows] = field(default_factory=dict)
    # Sensors with no area that keep going while the home is empty: a phone whose location
    # HA is not told (carried.elsewhere).
    elsewhere: frozenset[str] = frozenset()
    # Entities of a device its tracker says is away at times (a phone's charger and screen):
    # counted only while it is home (carried.at_home). For diagnostics.
    carried: frozenset[str] = frozenset()
    # Roles of areas their names did not give, learned from behaviour (area -> role: a
    # bedroom where the nights start and end, ...). For diagnostics.
    roles_learned: Mapping[str, str] = field(default_factory=dict)

    def to_state(self) -> dict[str, Any]:
        """The learned facts as JSON for the store's state (doors, beds, roles are re-learned
        from episodes by :func:`learn_hints`)."""
        return {
            "pets": None if self.pets is None else sorted(self.pets),
            "pet_rate": self.pet_rate,
            "pets_by_day": None if self.pets_by_day is None else sorted(self.pets_by_day),
            "pet_fills_rooms": self.pet_fills_rooms,
            "usual_wake": self.usual_wake,
            "usual_bed": self.usual_bed,
            "bedroom_mornings": self.bedroom_mornings,
            "bedroom_evenings": self.bedroom_evenings,
            "inner_doors": dict(self.inner_doors),
            "model": None if self.model is None else self.model.to_state(),
            "noisy": None if self.noisy is None else dict(self.noisy),
            "watching": None if self.watching is None else sorted(self.watching),
            "timers": {k: [list(w) for w in v] for k, v in self.timers.items()},
            "elsewhere": sorted(self.elsewhere),
            "carried": sorted(self.carried),
            "roles_learned": dict(self.roles_learned),
        }

    @classmethod
    def from_state(cls, raw: Any) -> HomeHints:
        """Inverse of :meth:`to_state`; anything malformed is simply not known."""
        if not isinstance(raw, dict):
            return cls()
        pets = raw.get("pets")
        by_day = raw.get("pets_by_day")
        fills = raw.get("pet_fills_rooms")
        rate = raw.get("pet_rate")
        wake = raw.get("usual_wake")
        bed = raw.get("usual_bed")
        inner = raw.get("inner_doors")
        model = raw.get("model")
        noisy = raw.get("noisy")
        mornings = raw.get("bedroom_mornings")
        evenings = raw.get("bedroom_evenings")
        timers = raw.get("timers")
        gone = raw.get("elsewhere")
        carried = raw.get("carried")
        watching = raw.get("watching")
        learned_roles = raw.get("roles_learned")
        return cls(
            roles_learned=(
                {str(k): str(v) for k, v in learned_roles.items()}
                if isinstance(learned_roles, dict)
                else {}
            ),
            watching=_names(watching) if isinstance(watching, list) else None,
            carried=_names(carried),
            elsewhere=_names(gone),
            timers=_timers(timers) if isinstance(timers, dict) else {},
            bedroom_mornings=mornings if isinstance(mornings, bool) else None,
            bedroom_evenings=evenings if isinstance(evenings, bool) else None,
            noisy=(
                {str(k): float(v) for k, v in noisy.items() if isinstance(v, int | float)}
                if isinstance(noisy, dict)
                else None
            ),
            model=HomeModelParams.from_state(model) if isinstance(model, dict) else None,
            inner_doors=(
                {str(k): str(v) for k, v in inner.items()} if isinstance(inner, dict) else {}
            ),
            pets=frozenset(str(a) for a in pets) if isinstance(pets, list) else None,
            pet_rate=float(rate) if isinstance(rate, int | float) else None,
            pets_by_day=frozenset(str(a) for a in by_day) if isinstance(by_day, list) else None,
            pet_fills_rooms=fills if isinstance(fills, bool) else None,
            usual_wake=float(wake) if isinstance(wake, int | float) else None,
            usual_bed=float(bed) if isinstance(bed, int | float) else None,
        )


def _names(raw: Any) -> frozenset[str]:
    """A stored list of entity ids; anything else is none."""
    return frozenset(str(e) for e in raw) if isinstance(raw, list) else frozenset()


def _timers(raw: dict[Any, Any]) -> dict[str, Windows]:
    out: dict[str, Windows] = {}
    for k, v in raw.items():
        if isinstance(v, list):
            out[str(k)] = tuple(
                (float(w[0]), float(w[1]))
                for w in v
                if isinstance(w, list)
                and len(w) == 2
                and all(isinstance(x, int | float) for x in w)
            )
    return out


def learn_hints(episodes: Iterable[Episode]) -> HomeHints:
    """Hints from episodes a previous (full) run found."""
    doors: set[str] = set()
    beds: set[str] = set()
    roles: dict[str, str] = {}
    for ep in episodes:
        if ep.kind == "away" and ep.detail.get("method") == "door":
            doors.update(str(d) for d in ep.detail.get("doors", []))
        elif ep.kind == "sleep" and ep.detail.get("method") == "bed":
            beds.update(str(b) for b in ep.detail.get("entities", []))
        elif ep.kind == "session" and ep.area and isinstance(ep.detail.get("role"), str):
            roles.setdefault(ep.area, ep.detail["role"])
    return HomeHints(frozenset(doors), frozenset(beds), roles)


@dataclass(frozen=True, slots=True)
class EpisodeOptions:
    """All detector thresholds; each sub-options class documents its defaults."""

    sleep: SleepOptions = field(default_factory=SleepOptions)
    away: AwayOptions = field(default_factory=AwayOptions)
    sessions: SessionOptions = field(default_factory=SessionOptions)
    model: HomeModelOptions = field(default_factory=HomeModelOptions)
    # A sensor held on longer than this is treated as stuck when judging presence.
    max_hold_h: float = 18.0
    kinds: frozenset[str] = frozenset({"sleep", "away", "session"})
    hints: HomeHints = field(default_factory=HomeHints)


def find_episodes(
    events: Sequence[ActivityEvent],
    tz: tzinfo,
    *,
    options: EpisodeOptions | None = None,
    learned: list[HomeHints] | None = None,
    model_out: list[HomeModel] | None = None,
) -> list[Episode]:
    """Sleep, away and session episodes found in ``events`` (times in ``tz``).

    What needs many nights to learn (the pet's areas and rate, the usual wake-up) is learned
    from ``events`` when they hold enough, else taken from ``options.hints``; when ``learned``
    is given, what this call learned is appended to it (for the engine to keep between runs).
    ``model_out``: when given, the fitted home model (home_model.py) is appended to it (for
    diagnostics: what each sensor says in each state).
    """
    opts = options or EpisodeOptions()
    evs = sorted(events, key=lambda e: (e.ts.timestamp(), e.id or 0))
    if not evs:
        return []
    roles = AreaRoles({e.area for e in evs if e.area})
    for area, role in opts.hints.area_roles.items():
        roles.learn(area, role)
    profiles = characterise(evs)
    sigs = signals(
        evs,
        max_hold_s=opts.max_hold_h * 3600,
        caps=hold_caps(profiles),
        motion_like=motion_like(profiles),
    )
    # A phone's screen or charger says nothing of the home while the phone is elsewhere
    # (carried.py).
    carried = away_spans(evs)
    sigs = at_home(sigs, carried)
    gone = elsewhere(sigs) or opts.hints.elsewhere
    if gone:
        sigs = [s for s in sigs if s.entity_id not in gone]
    # A thermostat's program or blinds on a timer are nobody (timers.py).
    timers = clockwork(sigs, tz) or dict(opts.hints.timers)
    if timers:
        sigs = off_the_clock(sigs, timers, tz)
    # A TV left on for the night, switching itself off hours later, is nobody (unattended.py).
    sigs = unattended(sigs, evs[-1].ts.timestamp())
    # A robot vacuum's run trips the motion sensors of the rooms it cleans (robots.py).
    sigs = without_robot(sigs, robot_runs(evs))
    # Outside (a garden, a driveway camera's person detection) passers-by, cats and branches
    # move at any hour: only a door out there is someone of the home.
    sigs = [s for s in sigs if s.kind == "contact" or roles.role(s.area) != OUTDOOR]
    blks = blocks(sigs)
    quiet_min_s = min(opts.away.min_away_min, opts.sleep.min_quiet_piece_min) * 60
    quiet = silences(blks, min_s=quiet_min_s)
    learn_roles(sigs, quiet, roles, tz)
    # A bedroom or toilet door filed under the hallway behaves like the room it serves: file
    # its signals there (learned from behaviour, kept in the hints for short windows). A short
    # window may tell one door and not another (a day's toilet visits, no night yet): what
    # it tells adds to the hints rather than replacing them.
    found = inner_doors(sigs, roles, quiet=quiet, tz=tz)
    inner = {**opts.hints.inner_doors, **found}
    if inner:
        sigs = reassign(sigs, inner)
        blks = blocks(sigs)
        quiet = silences(blks, min_s=quiet_min_s)
    # A phone lit for a moment in the night, nobody moving: its owner in bed (carried.py).
    bed_rooms = frozenset(roles.areas_with(BEDROOM) | roles.areas_with(BATHROOM))
    phones = carried_entities(evs)
    sleep_sigs = glances(sigs, phones, bed_rooms) if phones else sigs
    if len(sleep_sigs) < len(sigs):
        sleep_blks = blocks(sleep_sigs)
        sleep_quiet = silences(sleep_blks, min_s=quiet_min_s)
    else:
        sleep_blks, sleep_quiet = blks, quiet
    out: list[Episode] = []

    # Where a pet roams at night (learned from a first pass over the nights, see pet_areas)
    # tells its blips from a person at home or still up.
    # Where a pet roams is learned from the home's quietest hours of the day (the core of
    # its nights), not from nights found by tolerating a pet: a quiet day of someone sitting in
    # the living room must not teach us that a cat lives there.
    windows = quietest_windows(blks, tz, opts.away, roles=roles)
    learned_watching = watching_beds(windows, blks, roles, tz, opts.sleep)
    watching = learned_watching if learned_watching is not None else opts.hints.watching
    watching = watching or frozenset()
    # A bed held all night would fold every blip of the night into one long block with it.
    unbedded = blocks([s for s in sigs if not _bed_hold(s, roles)])
    learned_pets = pet_areas(windows, unbedded, roles, opts.away, watching)
    learned_day_pets: frozenset[str] | None = None
    learned_rate = pet_rate(windows, unbedded, roles, opts.away) if learned_pets else None
    pets = opts.hints.pets if learned_pets is None else learned_pets
    rate = opts.hints.pet_rate if learned_pets is None else learned_rate
    learned_fills = (
        pet_fills_rooms(windows, unbedded, learned_pets, opts.away) if learned_pets else None
    )
    fills = opts.hints.pet_fills_rooms if learned_fills is None else learned_fills
    # The first pass assumes every night-time trip is followed by more sleep after half a
    # cycle: the usual wake-up learned from it is not pulled early by trips it mistook for it.
    first = replace(
        opts.sleep,
        min_back_to_sleep_min=opts.sleep.min_back_to_sleep_early_min,
        evening_visits=10**6,
    )
    first_nights = find_sleep(
        evs,
        sleep_quiet,
        sleep_blks,
        roles,
        tz,
        first,
        known_beds=opts.hints.beds,
        pets=pets,
        profiles=profiles,
        watching=watching,
    )
    nights_init = [
        (e.start.timestamp(), e.end.timestamp(), ASLEEP)
        for e in first_nights
        if e.detail.get("scope") == "home"
    ]
    model: HomeModel | None = None
    away = tracker_away(evs, tz, opts.away)
    contacts = [s for s in sigs if s.kind == "contact"]
    if away is not None:
        away = in_their_beds(check_tracker_away(away, blks, opts.away, watching), first_nights)
        # Phones tell HA late that their people left: the entrance door knows when.
        doors = (
            entrance_doors(contacts, quiet, roles, tz, opts.away, sigs) | opts.hints.entrance_doors
        )
        away = at_the_door(away, contacts, doors, opts.away)
        init = [
            (e.start.timestamp(), e.end.timestamp(), AWAY)
            for e in away
            if e.detail.get("scope") == "home"
        ]
        model = fit_home_model(sigs, tz, init + nights_init, opts.model, params=opts.hints.model)
    else:
        doors = (
            entrance_doors(contacts, quiet, roles, tz, opts.away, sigs) | opts.hints.entrance_doors
        )
        night_areas = frozenset(roles.areas_with(BEDROOM) | roles.areas_with(BATHROOM))
        persons = len({e.entity_id for e in evs if e.domain == "person"})
        away_pets = pets
        if pets:
            # Where the pet also goes when left alone (the dog waiting by the front door).
            learned_day_pets = pet_day_areas(
                blks, contacts, doors, pets, rate, tz, opts.away, night_areas
            ) | (opts.hints.pets_by_day or frozenset())
            away_pets = pets | learned_day_pets
        def absences(
            fitted: HomeModel | None = None, stray: frozenset[str] = frozenset()
        ) -> list[Episode]:
            return door_away(
                blks,
                contacts,
                doors,
                tz,
                opts.away,
                away_pets,
                rate if pets else None,
                night_areas,
                fitted,
                persons,
                stray,
                bool(fills),
            )

        away = absences()
        stray: frozenset[str] = frozenset()
        if pets and night_areas:
            # Sensors that trip by themselves (in the nights' core and in the absences just
            # found): false triggers of two of them falling together are not someone walking
            # from room to room.
            found_away = [(e.start.timestamp(), e.end.timestamp()) for e in away]
            stray = frozenset(noisy_sensors(windows, blks, found_away) or ())
            if any(s.area in night_areas for b in blks for s in b.signals if s.entity_id in stray):
                away = absences(stray=stray)
        # The home model, started from what the rules found, learns from this home's weeks
        # which sensors fire in an empty home; door-framed spans it calls empty are absences.
        init = [(e.start.timestamp(), e.end.timestamp(), AWAY) for e in away]
        door_times = [s.t for s in contacts if s.entity_id in doors]
        model = fit_home_model(
            sigs, tz, init + nights_init, opts.model, door_times or None, opts.hints.model
        )
        if model is not None:
            away = absences(model, stray)
    if model is not None and model_out is not None:
        model_out.append(model)
    home_away = [
        (e.start.timestamp(), e.end.timestamp()) for e in away if e.detail.get("scope") == "home"
    ]
    if "away" in opts.kinds:
        out.extend(away)
    # Sensors that trip by themselves, in the core of the nights and in the empty home alike
    # (noise.py): their few stray pulses neither end a quiet night nor start one.
    learned_noisy = noisy_sensors(windows, blks, home_away)
    noisy = opts.hints.noisy if learned_noisy is None else learned_noisy

    wake = usual_wake(first_nights, tz, opts.sleep)
    bed = usual_bed(first_nights, tz, opts.sleep)
    mornings = bedroom_mornings(first_nights, roles, opts.sleep)
    if mornings is None:
        mornings = opts.hints.bedroom_mornings
    learned_evenings = bedroom_evenings(first_nights, roles, opts.sleep)
    evenings = opts.hints.bedroom_evenings if learned_evenings is None else learned_evenings
    sleep = find_sleep(
        evs,
        sleep_quiet,
        sleep_blks,
        roles,
        tz,
        opts.sleep,
        away=home_away,
        known_beds=opts.hints.beds,
        pets=pets,
        wake=opts.hints.usual_wake if wake is None else wake,
        profiles=profiles,
        noisy=noisy,
        bedroom_only=bool(mornings),
        bedroom_evenings=bool(evenings),
        pet_rate=rate if pets else None,
        quiet_min_s=quiet_min_s,
        asleep=None if model is None else (lambda a, b: model.share(a, b, ASLEEP)),
        bed=opts.hints.usual_bed if bed is None else bed,
        watching=watching,
    )
    if model is not None:
        # Each night keeps what the home model made of it: its share in "asleep", and how long
        # before its end the model was sure the home still slept (routines.py: a late
        # wake-up the model slept through is a lie-in, not a misread morning).
        for ep in sleep:
            end = ep.end.timestamp()
            ep.detail["model_asleep"] = round(model.share(ep.start.timestamp(), end, ASLEEP), 3)
            ep.detail["model_asleep_before_min"] = round(
                model.sure_before(end, ASLEEP, sure=MODEL_SURE, longest_s=MODEL_SURE_LONGEST_S)
                / 60
            )
    if learned is not None:
        learned.append(
            HomeHints(
                pets=learned_pets,
                pets_by_day=learned_day_pets or opts.hints.pets_by_day,
                pet_fills_rooms=(
                    opts.hints.pet_fills_rooms if learned_fills is None else learned_fills
                ),
                pet_rate=learned_rate,
                usual_wake=wake,
                usual_bed=bed,
                bedroom_mornings=bedroom_mornings(first_nights, roles, opts.sleep),
                bedroom_evenings=learned_evenings,
                inner_doors=found or dict(opts.hints.inner_doors),
                noisy=learned_noisy,
                watching=learned_watching,
                timers=timers,
                elsewhere=gone,
                carried=frozenset(carried),
                roles_learned=roles.learned(),
                # Only a model fitted here (not one decoded with earlier tables) teaches.
                model=model.params() if model is not None and model.fitted else None,
            )
        )
    if "sleep" in opts.kinds:
        out.extend(sleep)
    if "away" in opts.kinds:
        out.extend(everyone_out(away, sleep))

    if "session" in opts.kinds:
        who = WhoIsHome(evs)
        sessions = find_sessions(evs, roles, tz, opts.sessions, who if who else None)
        nights = _SleepIndex(sleep)
        out.extend(s for s in sessions if not nights.covers(s))
    out.sort(key=lambda e: (e.start, e.kind))
    return out


def _bed_hold(sig: Signal, roles: AreaRoles) -> bool:
    """A bedroom sensor held an hour or more: a bed (or someone still in the bedroom)."""
    return sig.kind == "hold" and roles.role(sig.area) == BEDROOM and sig.end - sig.t >= 3600


def home_diagnostics(
    events: Sequence[ActivityEvent], tz: tzinfo, options: EpisodeOptions | None = None
) -> dict[str, Any]:
    """What Galatea made of a home, as plain JSON-able data for the integration's diagnostics:
    per sensor its profile (role, duty cycle, on-times, ``latched``/``stuck``), and the home
    model's summary (what each telling sensor does in each state; None without enough data) and
    the sensors found tripping by themselves at night, with their stray pulses per hour, and
    the bedroom sensors found to see the bed (a sleeper turning over in their view)."""
    opts = replace(options or EpisodeOptions(), kinds=frozenset({"sleep", "away"}))
    models: list[HomeModel] = []
    learned: list[HomeHints] = []
    find_episodes(events, tz, options=opts, model_out=models, learned=learned)
    return {
        "sensors": diagnostics(characterise(events)),
        "model": models[0].summary() if models else None,
        "noisy_sensors": dict(learned[0].noisy or {}) if learned else {},
        "watching_beds": sorted(learned[0].watching or ()) if learned else [],
    }


class _SleepIndex:
    """Sleep episodes by start, to test sessions against the few nights near them."""

    def __init__(self, sleep: Sequence[Episode]) -> None:
        # Sort by times only: a person's and the household's night can share a start, and
        # their areas (None vs a name) do not compare.
        rows = sorted(
            ((e.start.timestamp(), e.end.timestamp(), e.area) for e in sleep),
            key=lambda r: (r[0], r[1]),
        )
        self.rows = rows
        self.starts = [r[0] for r in rows]
        self.longest = max((r[1] - r[0] for r in rows), default=0.0)

    def covers(self, session: Episode) -> bool:
        """A bedroom session that is mostly a night's sleep would only repeat it."""
        s0, s1 = session.start.timestamp(), session.end.timestamp()
        length = max(s1 - s0, 1.0)
        lo = bisect.bisect_left(self.starts, s0 - self.longest)
        hi = bisect.bisect_right(self.starts, s1)
        for start, end, area in self.rows[lo:hi]:
            if area is not None and session.area != area:
                continue
            if area is None and session.detail.get("role") != "bedroom":
                continue
            if (min(s1, end) - max(s0, start)) / length >= 0.5:
                return True
        return False
