"""What an area is for (bedroom, bathroom, kitchen, ...), from its name and from behaviour.

Names first (rooms.py: keywords in several languages); when a name says nothing, the detectors
fall back to behaviour (a sensor held "on" all night is a bed; a door used just before long
silences is an entrance).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any, Final

from ..rooms import (
    BATHROOM as BATHROOM,
)
from ..rooms import (
    BEDROOM as BEDROOM,
)
from ..rooms import (
    DINING as DINING,
)
from ..rooms import (
    ENTRANCE as ENTRANCE,
)
from ..rooms import (
    GARAGE as GARAGE,
)
from ..rooms import (
    KITCHEN as KITCHEN,
)
from ..rooms import (
    LAUNDRY as LAUNDRY,
)
from ..rooms import (
    LIVING as LIVING,
)
from ..rooms import (
    OFFICE as OFFICE,
)
from ..rooms import (
    OUTDOOR as OUTDOOR,
)
from ..rooms import (
    fold as fold,
)
from ..rooms import (
    role_from_name as role_from_name,
)
from .presence import Signal, Silence, blocks, silences, stirring_signals


class AreaRoles:
    """Roles of the areas of one home: names first, behaviour-learned roles fill the gaps."""

    def __init__(self, areas: set[str] | None = None) -> None:
        self._roles: dict[str, str | None] = {}
        self._learned: dict[str, str] = {}
        for area in areas or set():
            self.role(area)

    def role(self, area: str | None) -> str | None:
        if area is None:
            return None
        if area not in self._roles:
            self._roles[area] = role_from_name(area)
        return self._roles[area] or self._learned.get(area)

    def learn(self, area: str, role: str) -> None:
        """Record a role inferred from behaviour; a role the name gives is never overridden."""
        if self.role(area) is None:
            self._learned[area] = role

    def learned(self) -> dict[str, str]:
        """The roles learned from behaviour (area -> role), for diagnostics."""
        return dict(self._learned)

    def areas_with(self, role: str) -> set[str]:
        return {a for a in self._roles if self.role(a) == role}

    def unknown_may_be_bedroom(self) -> bool:
        """Whether an area of unknown role may be someone's bedroom: not where the bedroom is
        itself learned from where the nights start and end (no area named one), as in a home
        whose areas all say nothing; there the rest is the rest of the home."""
        bedrooms = self.areas_with(BEDROOM)
        return not bedrooms or any(self.named(a) for a in bedrooms)

    def night_roles(self) -> frozenset[str | None]:
        """The roles whose activity at night is someone getting up, not someone still up: the
        bedroom, the bathroom, and an unknown role where that may be a bedroom."""
        if self.unknown_may_be_bedroom():
            return frozenset({BEDROOM, BATHROOM, None})
        return frozenset({BEDROOM, BATHROOM})

    def named(self, area: str | None) -> bool:
        """True when the role comes from the name (more trustworthy than behaviour)."""
        return area is not None and self._roles.get(area) is not None


# -- roles from behaviour -------------------------------------------------------------------------

_APPLIANCES = frozenset({"plug", "power", "outlet", "running"})


def learn_roles(
    sigs: Sequence[Signal], quiet: Sequence[Silence], roles: AreaRoles, tz: tzinfo
) -> None:
    """Give unnamed areas a role from how they are used (names always win).

    * kitchen: appliances (plug/power/outlet) switched on, on at least two different days;
    * living: a seat/presence sensor held for half an hour or more in the daytime or evening, on
      at least two days (a sofa; a bed is held overnight instead);
    * bedroom, where no area is named one: the area of a bed held through three nights or more,
      else the area where the nights' longest silences start and end (see ``_bedroom``);
    * bathroom, where no area is named one: where the night's short trips out of the bedroom
      go (see ``_night_trips``); else the first other place used after the night (a
      night-long silence or a bed held overnight) on most mornings (at least three), in short
      stays.
    Beds (bedroom) and entrance doors are also learned by the sleep and away detectors.
    """
    appliance_days: dict[str, set[int]] = {}
    seat_days: dict[str, set[int]] = {}
    wakes: list[tuple[float, str | None]] = []  # (time, area of the bed if any)
    for s in sigs:
        if not s.area or roles.role(s.area) is not None:
            continue
        if s.opens and s.device_class in _APPLIANCES:
            appliance_days.setdefault(s.area, set()).add(int(s.t // 86400))
        if s.kind == "hold" and s.device_class in ("occupancy", "presence"):
            if s.end - s.t >= 3 * 3600 and spans_night(s.t, s.end, tz):
                wakes.append((s.end, s.area))
            elif s.end - s.t >= 1800 and 10 <= datetime.fromtimestamp(s.t, tz).hour < 23:
                seat_days.setdefault(s.area, set()).add(int(s.t // 86400))
    for area, days in appliance_days.items():
        if len(days) >= 2:
            roles.learn(area, KITCHEN)
    night_holds = Counter(a for _, a in wakes)
    for area, days in seat_days.items():
        if len(days) >= 2 and night_holds[area] < len(days):
            roles.learn(area, LIVING)  # held mostly by day: a sofa, even if dozed on once
    if not roles.areas_with(BEDROOM):
        # A bed held through the night (three hours or more across 03:00) on three nights or
        # more is the bedroom's, as the sleep detector reads it (beds.bed_sensors); known here
        # already, the rest of the home is read as such from the start (a pet's areas).
        for bed_area, n in night_holds.most_common(1):
            if n >= 3 and bed_area is not None and roles.role(bed_area) is None:
                roles.learn(bed_area, BEDROOM)
    bedroom = _bedroom(sigs, quiet, roles, tz)
    if bedroom is not None:
        roles.learn(bedroom, BEDROOM)
    toilet = _night_trips(sigs, roles, tz)
    if toilet is not None:
        roles.learn(toilet, BATHROOM)
        return
    morning = _first_after_night(sigs, quiet, wakes, bedroom, roles, tz)
    if morning is None:
        # Lone blips (a pet, a sensor tripping by itself) break the nights and come first after
        # them: read again without them.
        stirring = stirring_signals(sigs)
        if len(stirring) < len(sigs):
            calm = silences(blocks(stirring), min_s=3600)
            morning = _first_after_night(stirring, calm, wakes, bedroom, roles, tz)
    if morning is not None:
        roles.learn(morning, BATHROOM)


def _first_after_night(
    sigs: Sequence[Signal],
    quiet: Sequence[Silence],
    held: Sequence[tuple[float, str | None]],
    bedroom: str | None,
    roles: AreaRoles,
    tz: tzinfo,
) -> str | None:
    """The unnamed area used first after most nights (a bed ``held`` overnight, or a silence
    of three hours or more across 03:00), at least three, in short stays; None if none."""
    wakes = [
        *held,
        *(
            (g.end, bedroom)
            for g in quiet
            if g.duration >= 3 * 3600 and spans_night(g.start, g.end, tz)
        ),
    ]
    if len(wakes) < 3:
        return None
    times = [s.t for s in sigs]
    first_after: Counter[str] = Counter()
    for t, bed_area in wakes:
        k = bisect.bisect_left(times, t)
        # A door is passed through (a bedroom door is often filed under the hall): the first
        # place used is where someone moved or did something.
        while k < len(sigs) and (
            sigs[k].area is None or sigs[k].area == bed_area or sigs[k].kind == "contact"
        ):
            k += 1
        if k < len(sigs) and sigs[k].t - t <= 3600:
            first_after[str(sigs[k].area)] += 1
    stays = _stay_lengths(sigs)
    for area, n in first_after.most_common(1):
        short = sorted(stays.get(area, []))
        if (
            roles.role(area) is None
            and n >= max(3, 0.5 * len(wakes))
            and short
            and (short[len(short) // 2] <= 15 * 60)
        ):
            return area
    return None


BEDROOM_MIN_ROOMS: Final = 3


def _bedroom(
    sigs: Sequence[Signal], quiet: Sequence[Silence], roles: AreaRoles, tz: tzinfo
) -> str | None:
    """In a home where no area is named a bedroom: the unnamed area that both ends each
    night's longest silence (at least an hour, centred between 23:00 and 06:00) on most
    nights (at least three): where people go quiet and where they stir again. A pet's blips
    or a toilet trip may end one side of a night, seldom both. Only in a home with sensors in
    at least ``BEDROOM_MIN_ROOMS`` areas: with one motion sensor per floor, the landing ends
    the nights too, yet it is a whole floor (read as a bedroom, an evening upstairs in the
    study was the start of the night)."""
    if roles.areas_with(BEDROOM):
        return None
    if len({s.area for s in sigs if s.kind != "contact" and s.area}) < BEDROOM_MIN_ROOMS:
        return None
    longest = _longest_nights(quiet, tz)
    stirring = stirring_signals(sigs)
    if len(stirring) < len(sigs):
        # Lone blips (a sensor tripping by itself, a pet, a sleeper turning over) split a
        # night's silence at random places; going to bed and getting up are someone moving
        # about. Of the two readings, the one whose nights agree on a room more often counts.
        calm = _longest_nights(silences(blocks(stirring), min_s=3600), tz)
        if _night_ends(calm).most_common(1) and (
            not _night_ends(longest).most_common(1)
            or _night_ends(calm).most_common(1)[0][1] > _night_ends(longest).most_common(1)[0][1]
        ):
            longest = calm
    top = _night_ends(longest).most_common(2)
    if not top:
        return None
    area, n = top[0]
    runner_up = top[1][1] if len(top) > 1 else 0
    # Most nights, or far more of them than any other room (noise still ends a few).
    if roles.role(area) is None and n >= 3 and (n >= 0.5 * len(longest) or n >= 3 * runner_up):
        return area
    return None


def _longest_nights(quiet: Sequence[Silence], tz: tzinfo) -> dict[int, Silence]:
    """Each night's longest silence of at least an hour centred between 23:00 and 06:00."""
    longest: dict[int, Silence] = {}
    for g in quiet:
        if g.duration < 3600:
            continue
        middle = datetime.fromtimestamp((g.start + g.end) / 2, tz)
        if not (middle.hour >= 23 or middle.hour < 6):
            continue
        night = (middle - timedelta(hours=12)).toordinal()
        if night not in longest or g.duration > longest[night].duration:
            longest[night] = g
    return longest


def _night_ends(longest: dict[int, Silence]) -> Counter[str]:
    """Per area, the nights whose silence it both starts and ends."""
    ends: Counter[str] = Counter()
    for g in longest.values():
        # Where someone moved or did something: a bedroom door is often filed under the hall.
        last = next((s.area for s in reversed(g.before.signals) if s.kind != "contact"), None)
        first = next((s.area for s in g.after.signals if s.kind != "contact"), None)
        if last is not None and last == first:
            ends[last] += 1
    return ends


def spans_night(t0: float, t1: float, tz: tzinfo) -> bool:
    """True when [t0, t1] contains a local 03:00 (the middle of anyone's night)."""
    if t1 - t0 >= 86400:
        return True
    three = datetime.fromtimestamp(t0, tz).replace(hour=3, minute=0, second=0, microsecond=0)
    if three.timestamp() < t0:
        three = datetime.fromtimestamp(t0 + 86400, tz).replace(
            hour=3, minute=0, second=0, microsecond=0
        )
    return three.timestamp() <= t1


def _night_trips(sigs: Sequence[Signal], roles: AreaRoles, tz: tzinfo) -> str | None:
    """Where no area is named a bathroom: the unnamed area where people spend the most of
    their short trips out of the bedroom between 00:00 and 05:00 (out and back within half an
    hour), on at least three nights and at least twice as many as any other area. Toilet
    trips, however broken the nights (a restless sleeper's mornings say little), and even for
    someone who works nights: their nights off have them."""
    if roles.areas_with(BATHROOM):
        return None
    bedrooms = roles.areas_with(BEDROOM)
    if not bedrooms:
        return None
    visits: list[list[Any]] = []  # [area, start, end]
    for sig in sigs:
        if sig.area is None or sig.kind == "contact":
            continue  # a door is passed through (a bedroom door is often filed under the hall)
        if visits and visits[-1][0] == sig.area and sig.t - visits[-1][2] <= 120:
            visits[-1][2] = max(visits[-1][2], sig.end)
        else:
            visits.append([sig.area, sig.t, sig.end])
    nights: dict[str, set[int]] = {}
    out_at: int | None = None
    for k, (area, start, _end) in enumerate(visits):
        if area not in bedrooms:
            if out_at is None and k > 0 and visits[k - 1][0] in bedrooms:
                out_at = k
            continue
        if out_at is not None:
            trip = visits[out_at:k]
            t0, t1 = trip[0][1], start
            hour = datetime.fromtimestamp(t0, tz).hour
            if t1 - t0 <= 1800 and hour < 5:
                where = max(trip, key=lambda v: v[2] - v[1])[0]
                nights.setdefault(where, set()).add(
                    (datetime.fromtimestamp(t0, tz) - timedelta(hours=12)).toordinal()
                )
        out_at = None
    ranked = sorted(((len(d), a) for a, d in nights.items()), reverse=True)
    if not ranked:
        return None
    n, area = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0
    if roles.role(area) is None and n >= 3 and n >= 2 * runner_up:
        return area
    return None


def _stay_lengths(sigs: Sequence[Signal], gap_s: float = 300.0) -> dict[str, list[float]]:
    """Lengths of the stays in each area (signals closer than ``gap_s`` form one stay)."""
    spans: dict[str, list[list[float]]] = {}
    for s in sigs:
        if not s.area:
            continue
        lst = spans.setdefault(s.area, [])
        if lst and s.t <= lst[-1][1] + gap_s:
            lst[-1][1] = max(lst[-1][1], s.end)
        else:
            lst.append([s.t, s.end])
    return {a: [b - t for t, b in v] for a, v in spans.items()}
