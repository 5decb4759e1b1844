"""A model of one home learned from its own history: away / home and awake / asleep, per slot.

A hidden Markov model over three home states, on time slots of a few minutes:

* **Emissions**: for every sensor, the chance that it shows activity in a slot in each state
  (independent Bernoulli per sensor). Activity is what :mod:`.presence` makes of the sensor
  after its own profile (:mod:`.sensors`): onsets and changes, and held intervals only for
  sensors whose "on" means a body is there (a latch counts by its onset only). A sensor that
  fires as often when the home is empty as when someone is up (a settling cushion, a noisy PIR,
  a fridge reed) learns equal rates and so says nothing; one that fires only in bed says
  "asleep". Nothing about a sensor's meaning is assumed: it is fitted.
* **Time of day**: each state's distribution over the hours of the local day (on the circle,
  smoothed across neighbouring hours), fitted like the emissions: the home's own rhythm is the
  prior that tells a quiet 03:00 (asleep) from a quiet 14:00 (out, or reading).
* **Transitions**: a 3x3 matrix fitted by EM, with away <-> asleep kept rare (people come home,
  then go to bed).

Fitting is Baum-Welch (EM) on the home's own last weeks, started from the rule-based episodes
(door-framed silences, bed sensors, night-time silences), which carry HA's semantics (device
class, area names, trackers) as the *starting point* rather than as the answer. The posterior
per slot is then available for the whole range, with the learned tables for diagnostics.

The empty-home rates stay what the starting absences showed (EM would otherwise let "away"
absorb a couple's quieter half), which biases them: a sensor that fires in an empty home got
those spans rejected and is learned as never doing so. :meth:`HomeModel.empty_odds` therefore
judges a sensor inside one span by its own record there (fired vs quiet slots), a test the
bias only makes stricter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import numpy as np

from .presence import Signal

AWAY, AWAKE, ASLEEP = 0, 1, 2
STATES = ("away", "awake", "asleep")


@dataclass(frozen=True, slots=True)
class HomeModelOptions:
    """Defaults with their reasons."""

    # Slot length: short enough for bedtimes to the minute after snapping to events, long
    # enough for a year to decode in well under a second.
    slot_min: float = 5.0
    # EM runs on the most recent weeks (enough nights and absences to learn rates from).
    fit_days: float = 42.0
    # Too few days: no model (the rules alone decide).
    min_days: float = 5.0
    iterations: int = 4
    # Beta prior pseudo-counts on emission rates (keeps unseen rates off 0 and 1).
    prior_on: float = 0.5
    prior_off: float = 5.0
    # Chance per slot of going straight between away and asleep.
    away_asleep: float = 1e-4
    # How strongly initial episode labels are believed before EM.
    init_weight: float = 0.99
    # Weight of the starting episodes' rates against what EM finds (1: as much as the slots
    # they cover).
    anchor_weight: float = 1.0
    # Upper bound on the chance of leaving (or coming back) in a slot where a door moved.
    max_gate_p: float = 0.5
    # A door event this many slots away still opens the gate (a door closed after passing).
    gate_slots: int = 1


@dataclass(frozen=True, slots=True)
class HomeModelParams:
    """What a fitted model learned, without its posterior: enough to decode a few new days the
    same way (an incremental run sees too little to fit). JSON-able through ``to_state``."""

    entities: tuple[str, ...]
    emission: tuple[tuple[float, ...], ...]  # (3, S)
    transition: tuple[tuple[float, ...], ...]  # (3, 3)
    hours: tuple[tuple[float, ...], ...]  # (3, 24)
    absences_seen: int = 0
    nights_seen: int = 0

    def to_state(self) -> dict[str, Any]:
        return {
            "entities": list(self.entities),
            "emission": [[round(x, 6) for x in row] for row in self.emission],
            "transition": [[round(x, 6) for x in row] for row in self.transition],
            "hours": [[round(x, 6) for x in row] for row in self.hours],
            "absences_seen": self.absences_seen,
            "nights_seen": self.nights_seen,
        }

    @classmethod
    def from_state(cls, raw: Any) -> HomeModelParams | None:
        """Inverse of :meth:`to_state`; None when malformed."""
        try:
            entities = tuple(str(e) for e in raw["entities"])
            emission = tuple(tuple(float(x) for x in row) for row in raw["emission"])
            transition = tuple(tuple(float(x) for x in row) for row in raw["transition"])
            hours = tuple(tuple(float(x) for x in row) for row in raw["hours"])
            if len(emission) != 3 or any(len(r) != len(entities) for r in emission):
                return None
            if len(transition) != 3 or len(hours) != 3 or any(len(r) != 24 for r in hours):
                return None
            return cls(
                entities,
                emission,
                transition,
                hours,
                int(raw.get("absences_seen", 0)),
                int(raw.get("nights_seen", 0)),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(slots=True)
class HomeModel:
    """The fitted model and its posterior over the data's slots."""

    t0: float
    slot_s: float
    posterior: np.ndarray  # (T, 3) float32: P(state | all data) per slot
    entities: list[str]
    emission: np.ndarray  # (3, S) P(activity in a slot | state)
    transition: np.ndarray  # (3, 3)
    hours: np.ndarray  # (3, 24) P(local hour | state)
    log_likelihood: float = 0.0
    # Starting episodes it was fitted from: how much it has seen of an empty / sleeping home.
    absences_seen: int = 0
    nights_seen: int = 0
    # False when decoded with an earlier fit's tables (a window too short to fit).
    fitted: bool = True
    # The activity it was decoded from: (slot, sensor) pairs sorted by slot.
    active_slots: np.ndarray | None = None
    active_sensors: np.ndarray | None = None

    def _idx(self, t: float) -> int:
        return int((t - self.t0) // self.slot_s)

    def share(self, t0: float, t1: float, state: int) -> float:
        """Mean posterior of ``state`` over the slots lying within [t0, t1)."""
        n = len(self.posterior)
        i = max(0, min(n, self._idx(t0)))
        j = max(i + 1, min(n, self._idx(t1)))
        if i >= n:
            return 0.0
        return float(self.posterior[i:j, state].mean())

    def sure_before(self, t: float, state: int, *, sure: float, longest_s: float) -> float:
        """Seconds before ``t`` over which the model is sure (mean posterior >= ``sure``) the
        home was in ``state``: the longest such stretch ending at ``t``, up to ``longest_s``."""
        j = max(0, min(len(self.posterior), self._idx(t)))
        i = max(0, j - int(longest_s // self.slot_s))
        back = self.posterior[i:j, state][::-1].astype(np.float64)
        if back.size == 0:
            return 0.0
        means = np.cumsum(back) / np.arange(1, back.size + 1)
        ok = np.flatnonzero(means >= sure)
        return 0.0 if ok.size == 0 else float((ok[-1] + 1) * self.slot_s)

    def params(self) -> HomeModelParams:
        """The learned tables, for decoding later windows (see :class:`HomeModelParams`)."""
        return HomeModelParams(
            tuple(self.entities),
            tuple(tuple(float(x) for x in row) for row in self.emission),
            tuple(tuple(float(x) for x in row) for row in self.transition),
            tuple(tuple(float(x) for x in row) for row in self.hours),
            self.absences_seen,
            self.nights_seen,
        )

    def empty_ratio(self, entity_id: str) -> float:
        """How much a sensor fires in an empty home relative to a home awake (1: as much, so
        its activity says nothing about anyone being there; near 0: only people trip it)."""
        try:
            i = self.entities.index(entity_id)
        except ValueError:
            return 0.0
        return float(self.emission[AWAY, i] / max(self.emission[AWAKE, i], 1e-9))

    def empty_odds(self, entity_id: str, t0: float, t1: float) -> float:
        """Log-odds that one sensor's own record over [t0, t1) comes from an empty home rather
        than one where someone is up: each slot it fired counts for someone, each slot it kept
        quiet (where someone up would often have tripped it) counts for nobody. Its empty-home
        rate is what the door-framed silences showed, so a sensor that fires by itself (and
        got those spans rejected) is judged as if it never did: the test only gets stricter."""
        try:
            k = self.entities.index(entity_id)
        except ValueError:
            return 0.0
        if self.active_slots is None or self.active_sensors is None:
            return 0.0
        i, j = max(0, self._idx(t0)), max(0, self._idx(t1))
        lo, hi = np.searchsorted(self.active_slots, (i, j))
        fired = int(np.count_nonzero(self.active_sensors[lo:hi] == k))
        p = np.clip(self.emission[[AWAY, AWAKE], k], 1e-6, 1 - 1e-6)
        quiet = max(0, j - i - fired)
        return float(fired * np.log(p[0] / p[1]) + quiet * np.log((1 - p[0]) / (1 - p[1])))

    def empty_count(self, entity_id: str, t0: float, t1: float) -> tuple[int, float]:
        """How many slots of [t0, t1) one sensor fired in, and how many an empty home's rate
        for it would give there (its learned "away" rate times the slots)."""
        try:
            k = self.entities.index(entity_id)
        except ValueError:
            return 0, 0.0
        if self.active_slots is None or self.active_sensors is None:
            return 0, 0.0
        i, j = max(0, self._idx(t0)), max(0, self._idx(t1))
        lo, hi = np.searchsorted(self.active_slots, (i, j))
        fired = int(np.count_nonzero(self.active_sensors[lo:hi] == k))
        return fired, float(self.emission[AWAY, k]) * max(0, j - i)

    def states(self) -> np.ndarray:
        """Most likely state per slot."""
        return np.asarray(self.posterior.argmax(axis=1), dtype=np.int8)

    def segments(self, state: int, min_s: float = 0.0) -> list[tuple[float, float]]:
        """Runs of slots whose most likely state is ``state``, as epoch spans."""
        s = self.states() == state
        if not s.any():
            return []
        d = np.diff(np.concatenate(([0], s.astype(np.int8), [0])))
        starts = np.flatnonzero(d == 1)
        ends = np.flatnonzero(d == -1)
        out = []
        for a, b in zip(starts, ends, strict=True):
            t0, t1 = self.t0 + a * self.slot_s, self.t0 + b * self.slot_s
            if t1 - t0 >= min_s:
                out.append((t0, t1))
        return out

    def summary(self, top: int = 10) -> dict[str, Any]:
        """What the model learned, as plain data for diagnostics: per sensor its activity rate
        in each state (the most telling sensors first), the transition matrix and the share of
        time in each state."""
        ratio = np.log((self.emission[AWAKE] + 1e-9) / (self.emission[AWAY] + 1e-9))
        order = np.argsort(-np.abs(ratio))[:top]
        return {
            "slot_min": self.slot_s / 60,
            "absences_seen": self.absences_seen,
            "nights_seen": self.nights_seen,
            "time_share": {
                name: round(float(self.posterior[:, k].mean()), 3) for k, name in enumerate(STATES)
            },
            "transition": [[round(float(x), 5) for x in row] for row in self.transition],
            "sensors": {
                self.entities[i]: {
                    name: round(float(self.emission[k, i]), 4) for k, name in enumerate(STATES)
                }
                for i in order
            },
        }


def _local_hours(t0: float, n: int, slot_s: float, tz: tzinfo) -> np.ndarray:
    """Local hour of day of every slot (UTC offsets looked up once an hour)."""
    out = np.empty(n, dtype=np.int8)
    step = max(1, int(3600 // slot_s))
    for i in range(0, n, step):
        t = t0 + i * slot_s
        local = datetime.fromtimestamp(t, tz)
        base = local.hour * 60 + local.minute + local.second / 60
        k = np.arange(i, min(n, i + step))
        out[k] = ((base + (k - i) * slot_s / 60) // 60 % 24).astype(np.int8)
    return out


def _activity(
    sigs: Sequence[Signal], t0: float, n: int, slot_s: float
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Sparse (slot, sensor) pairs where the sensor showed activity; unique pairs."""
    names: dict[str, int] = {}
    slots: list[int] = []
    sensors: list[int] = []
    for sig in sigs:
        k = names.setdefault(sig.entity_id, len(names))
        a = int((sig.t - t0) // slot_s)
        b = int((sig.end - t0) // slot_s) if sig.end > sig.t else a
        for i in range(max(0, a), min(n - 1, b) + 1):
            slots.append(i)
            sensors.append(k)
    if not slots:
        return list(names), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    key = np.unique(np.asarray(slots, dtype=np.int64) * len(names) + np.asarray(sensors))
    return list(names), key // len(names), key % len(names)


def _log_emission(
    emission: np.ndarray,
    hours_p: np.ndarray,
    hours: np.ndarray,
    ti: np.ndarray,
    si: np.ndarray,
    n: int,
    hour_weight: float,
) -> np.ndarray:
    """Log-likelihood of each slot's activity in each state, plus the time-of-day prior
    weighted ``hour_weight`` per slot (the slots of one hour are one piece of evidence about
    the hour, not twelve)."""
    p = np.clip(emission, 1e-6, 1 - 1e-6)
    log_off = np.log1p(-p)
    weight = np.log(p) - log_off  # (3, S)
    out = np.empty((n, 3))
    for k in range(3):
        out[:, k] = log_off[k].sum() + np.bincount(ti, weights=weight[k, si], minlength=n)[:n]
        out[:, k] += hour_weight * np.log(hours_p[k, hours])
    return out


def _forward_backward(
    logb: np.ndarray,
    trans: np.ndarray,
    gate: np.ndarray | None = None,
    pairs: list[list[float]] | None = None,
) -> tuple[np.ndarray, float]:
    """Posterior per slot (scaled forward-backward, plain floats: three states are faster in
    Python than through numpy's per-call overhead). ``gate`` (bool per slot): where someone
    may come or go (a door moved); elsewhere away <-> awake is all but impossible. ``pairs``
    (3x3, zeros): filled with the expected count of each transition (Baum-Welch's pairwise
    posteriors, summed over the slots)."""
    n = len(logb)
    b = np.exp(logb - logb.max(axis=1, keepdims=True))
    rows = b.tolist()
    shut = trans.copy()
    if gate is not None:
        shut[AWAY, AWAKE] = shut[AWAKE, AWAY] = 1e-6
        shut /= shut.sum(axis=1, keepdims=True)
    flags = gate.tolist() if gate is not None else [True] * n
    mats = [[[float(x) for x in row] for row in m] for m in (shut, trans)]
    a = mats[1]
    alpha = [[0.0, 0.0, 0.0]] * n
    scale = [0.0] * n
    f0, f1, f2 = rows[0][0] / 3, rows[0][1] / 3, rows[0][2] / 3
    c = f0 + f1 + f2 or 1e-300
    alpha[0] = [f0 / c, f1 / c, f2 / c]
    scale[0] = c
    a00, a01, a02 = a[0]
    a10, a11, a12 = a[1]
    a20, a21, a22 = a[2]
    p0, p1, p2 = alpha[0]
    for t in range(1, n):
        e = rows[t]
        (a00, a01, a02), (a10, a11, a12), (a20, a21, a22) = mats[flags[t]]
        f0 = (p0 * a00 + p1 * a10 + p2 * a20) * e[0]
        f1 = (p0 * a01 + p1 * a11 + p2 * a21) * e[1]
        f2 = (p0 * a02 + p1 * a12 + p2 * a22) * e[2]
        c = f0 + f1 + f2 or 1e-300
        p0, p1, p2 = f0 / c, f1 / c, f2 / c
        alpha[t] = [p0, p1, p2]
        scale[t] = c
    beta = [[1.0, 1.0, 1.0]] * n
    q0 = q1 = q2 = 1.0
    for t in range(n - 2, -1, -1):
        e = rows[t + 1]
        (a00, a01, a02), (a10, a11, a12), (a20, a21, a22) = mats[flags[t + 1]]
        x0, x1, x2 = e[0] * q0, e[1] * q1, e[2] * q2
        c = scale[t + 1]
        if pairs is not None:
            r0, r1, r2 = alpha[t]
            r0, r1, r2 = r0 / c, r1 / c, r2 / c
            pairs[0][0] += r0 * a00 * x0
            pairs[0][1] += r0 * a01 * x1
            pairs[0][2] += r0 * a02 * x2
            pairs[1][0] += r1 * a10 * x0
            pairs[1][1] += r1 * a11 * x1
            pairs[1][2] += r1 * a12 * x2
            pairs[2][0] += r2 * a20 * x0
            pairs[2][1] += r2 * a21 * x1
            pairs[2][2] += r2 * a22 * x2
        q0 = (a00 * x0 + a01 * x1 + a02 * x2) / c
        q1 = (a10 * x0 + a11 * x1 + a12 * x2) / c
        q2 = (a20 * x0 + a21 * x1 + a22 * x2) / c
        beta[t] = [q0, q1, q2]
    gamma = np.asarray(alpha) * np.asarray(beta)
    gamma /= gamma.sum(axis=1, keepdims=True)
    loglik = float(np.log(np.asarray(scale)).sum() + logb.max(axis=1).sum())
    return gamma, loglik


def _expected_transitions(
    gamma: np.ndarray, floor: float, pairs: list[list[float]] | None = None
) -> np.ndarray:
    """Transition estimate: from Baum-Welch's pairwise posteriors (``pairs``, the expected
    count of each transition) when given, else from consecutive posteriors (the starting
    labels, which are sure of every slot). Consecutive posteriors of an unsure stretch would
    count a switch at every slot: a night of 50/50 slots read as a state changing every 10
    minutes, which then made the model flicker between "asleep" and "up" on every blip."""
    counts = (np.asarray(pairs) if pairs is not None else gamma[:-1].T @ gamma[1:]) + floor
    return np.asarray(counts / counts.sum(axis=1, keepdims=True))


def _m_step(
    gamma: np.ndarray,
    ti: np.ndarray,
    si: np.ndarray,
    n_sensors: int,
    hours: np.ndarray,
    opts: HomeModelOptions,
    gate: np.ndarray | None = None,
    anchor: tuple[np.ndarray, np.ndarray] | None = None,
    pairs: list[list[float]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Re-estimate the tables from posteriors ``gamma``. ``anchor`` (rates, weight per
    state): a Beta prior centred on the rates the starting episodes gave, as strong as those
    episodes were long, so EM refines what "away" and "asleep" mean in this home rather than
    drifting into other splits of its time (one of a couple out is not "away")."""
    total = gamma.sum(axis=0)
    emission = np.empty((3, n_sensors))
    hours_p = np.empty((3, 24))
    for k in range(3):
        on = np.bincount(si, weights=gamma[ti, k], minlength=n_sensors)
        a0, w0 = (0.0, 0.0) if anchor is None else (anchor[0][k], float(anchor[1][k]))
        emission[k] = (on + opts.prior_on + a0 * w0) / (
            total[k] + opts.prior_on + opts.prior_off + w0
        )
        if anchor is not None and k == AWAY:
            # An empty home's rates are what the door-framed silences showed: EM would
            # otherwise let "away" absorb the quieter half of a couple's day.
            emission[k] = anchor[0][k]
        h = np.bincount(hours, weights=gamma[:, k], minlength=24) + 1.0
        # Smoothed on the circle: the hour after 23:00 is 00:00.
        h = 0.25 * np.roll(h, 1) + 0.5 * h + 0.25 * np.roll(h, -1)
        hours_p[k] = h / h.sum()
    trans = _expected_transitions(gamma, 1.0, pairs)
    trans[AWAY, ASLEEP] = trans[ASLEEP, AWAY] = opts.away_asleep
    if gate is not None and gate.any():
        # Comings and goings happen at the door: their rate is per door slot, not per slot.
        scale = len(gate) / max(1, int(gate.sum()))
        for i, j in ((AWAKE, AWAY), (AWAY, AWAKE)):
            trans[i, j] = min(opts.max_gate_p, trans[i, j] * scale)
    trans /= trans.sum(axis=1, keepdims=True)
    return emission, hours_p, trans


def fit_home_model(
    sigs: Sequence[Signal],
    tz: tzinfo,
    init: Sequence[tuple[float, float, int]],
    options: HomeModelOptions | None = None,
    doors: Sequence[float] | None = None,
    params: HomeModelParams | None = None,
) -> HomeModel | None:
    """Fit the model to ``sigs`` (presence signals, any order), started from ``init`` spans
    ``(start, end, state)`` (everything else starts as home and awake). ``doors``: times of
    entrance door events; when given, the home goes from home to away or back only at them
    (nobody leaves through a wall). With fewer than ``min_days`` of data, ``params`` (what an
    earlier fit learned) decodes the window unchanged; without them there is no model (None)."""
    opts = options or HomeModelOptions()
    if not sigs:
        return None
    slot_s = opts.slot_min * 60
    t_lo = min(s.t for s in sigs)
    t_hi = max(s.end for s in sigs)
    short = t_hi - t_lo < opts.min_days * 86400
    if short and params is None:
        return None
    t0 = math.floor(t_lo / slot_s) * slot_s
    n = int((t_hi - t0) // slot_s) + 1
    names, ti, si = _activity(sigs, t0, n, slot_s)
    hours = _local_hours(t0, n, slot_s, tz)
    gate: np.ndarray | None = None
    if doors:
        gate = np.zeros(n, dtype=bool)
        idx = ((np.asarray(doors, dtype=float) - t0) // slot_s).astype(np.int64)
        for d in range(-opts.gate_slots, opts.gate_slots + 2):
            k = idx + d
            gate[k[(k >= 0) & (k < n)]] = True
    gamma0 = np.zeros((n, 3))
    gamma0[:, AWAKE] = 1.0
    for a, b, state in init:
        # The edge slots of a span hold the leaver's or the sleeper's own last and first
        # activity: they teach nothing about the state itself.
        i, j = max(0, int((a - t0) // slot_s) + 1), min(n, int((b - t0) // slot_s))
        if j > i:
            gamma0[i:j] = 0.0
            gamma0[i:j, state] = 1.0
    w = opts.init_weight
    gamma0 = gamma0 * w + (1 - w) / 3
    hw = opts.slot_min / 60
    if short and params is not None:
        return _decode(params, names, ti, si, hours, n, t0, slot_s, hw, gate)
    # EM on the most recent weeks.
    first = max(0, n - int(opts.fit_days * 86400 // slot_s))
    fit = slice(first, n)
    mask = ti >= first
    fti, fsi = ti[mask] - first, si[mask]
    gamma = gamma0[fit]
    fgate = None if gate is None else gate[fit]
    emission, hours_p, trans = _m_step(gamma, fti, fsi, len(names), hours[fit], opts, fgate)
    anchor = (emission.copy(), opts.anchor_weight * gamma.sum(axis=0))
    for _ in range(opts.iterations):
        logb = _log_emission(emission, hours_p, hours[fit], fti, fsi, n - first, hw)
        pairs = [[0.0] * 3 for _ in range(3)]
        gamma, _ = _forward_backward(logb, trans, fgate, pairs)
        emission, hours_p, trans = _m_step(
            gamma, fti, fsi, len(names), hours[fit], opts, fgate, anchor, pairs
        )
    return _posterior_model(
        emission, trans, hours_p, names, (ti, si, hours, n, hw, gate), t0, slot_s,
        absences_seen=sum(1 for *_, k in init if k == AWAY),
        nights_seen=sum(1 for *_, k in init if k == ASLEEP),
        fitted=True,
    )


def _decode(
    params: HomeModelParams,
    names: list[str],
    ti: np.ndarray,
    si: np.ndarray,
    hours: np.ndarray,
    n: int,
    t0: float,
    slot_s: float,
    hw: float,
    gate: np.ndarray | None,
) -> HomeModel:
    """The posterior of a short window under tables learned earlier; a sensor the tables do
    not know says nothing (the same rate in every state)."""
    known = {e: i for i, e in enumerate(params.entities)}
    table = np.asarray(params.emission, dtype=float)
    emission = np.full((3, len(names)), 0.01)
    for j, name in enumerate(names):
        if name in known:
            emission[:, j] = table[:, known[name]]
    trans = np.asarray(params.transition, dtype=float)
    hours_p = np.asarray(params.hours, dtype=float)
    return _posterior_model(
        emission, trans, hours_p, names, (ti, si, hours, n, hw, gate), t0, slot_s,
        absences_seen=params.absences_seen, nights_seen=params.nights_seen, fitted=False,
    )


def _posterior_model(
    emission: np.ndarray,
    trans: np.ndarray,
    hours_p: np.ndarray,
    names: list[str],
    data: tuple[np.ndarray, np.ndarray, np.ndarray, int, float, np.ndarray | None],
    t0: float,
    slot_s: float,
    *,
    absences_seen: int,
    nights_seen: int,
    fitted: bool,
) -> HomeModel:
    """The posterior over every slot under these tables (fitted here or learned earlier)."""
    ti, si, hours, n, hw, gate = data
    logb = _log_emission(emission, hours_p, hours, ti, si, n, hw)
    posterior, loglik = _forward_backward(logb, trans, gate)
    return HomeModel(
        t0=t0,
        slot_s=slot_s,
        posterior=posterior.astype(np.float32),
        entities=names,
        emission=emission,
        transition=trans,
        hours=hours_p,
        log_likelihood=loglik,
        absences_seen=absences_seen,
        nights_seen=nights_seen,
        fitted=fitted,
        active_slots=ti.astype(np.int32),
        active_sensors=si.astype(np.int32),
    )
