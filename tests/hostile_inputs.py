"""Hostile input for every door, and the checks each answer must pass.

Shared by the property tests (``tests/engine/test_hostile.py``, ``tests/integration/
test_hostile_ha.py``) and the long run (``benchmarks/hostile.py``). Strategies build what a
broken or malicious device sends: wrong clocks (year 9999, epoch 0, 2100), text a database cannot
hold (lone surrogates, NUL), oversize and deeply nested JSON, huge numbers, NaN, unknown fields,
made-up Frigate topics. The door drivers feed one input through the same validation the live
doors use and report how it ended: ``rejected`` (with a reason), ``stored`` (rows queued, all of
them written), ``held`` (Frigate state kept until the object ends, bounded) or ``skipped``
(valid, not activity).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from galatea_engine.capture.clock import ClockStats
from galatea_engine.capture.digital import DigitalMqttHandler, parse_body
from galatea_engine.capture.frigate import FrigateTracker
from galatea_engine.models import ActivityEvent, ValidationError
from galatea_engine.replay import ingest
from galatea_engine.store import ActivityStore
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

# -- values ------------------------------------------------------------------------------------

_NASTY_TEXT = [
    "", " ", "\x00", "a\x00b", "'; DROP TABLE activity;--", "\u202egnp.exe", "%s%n%x",
    "../../etc/passwd", "x" * 256, "y" * 600, "\ufeff", "😀" * 70, "\ud800", "a\udfffb",
    "light.kitchen", "person.anna", "Light.KITCHEN", ".", "a.", "app_focus",
]
_NASTY_TS: list[Any] = [
    "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+00:00",
    "2100-01-01T00:00:00+00:00", "1970-01-01T00:00:00Z", "1999-12-31T23:59:59+00:00",
    "2026-06-01T11:59:00+00:00", "2026-06-01T12:04:00+02:00", "2026-06-01T10:00:00",
    "not a time", "2026-13-45T99:99:99+00:00", "", 0, -1, 1e20, -1e20, 4102444800,
    1780315200, 1780315200.5, True, None, [], {},
]

lone_surrogates = st.text(
    alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3)
hostile_text = st.one_of(st.text(max_size=30), st.sampled_from(_NASTY_TEXT), lone_surrogates,
                         st.text(min_size=250, max_size=700))
hostile_ts = st.one_of(
    st.sampled_from(_NASTY_TS),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.sampled_from([UTC])).map(lambda d: d.isoformat()),
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 6, 1),
                 timezones=st.sampled_from([UTC])).map(lambda d: d.isoformat()),
)
json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**300, max_value=10**310),
    st.floats(), hostile_text,
)
json_tree = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(hostile_text, children, max_size=4),
    max_leaves=12,
)


def _dumps(value: Any) -> bytes:
    """JSON as a client would send it (NaN allowed: some do; surrogates escaped)."""
    return json.dumps(value, allow_nan=True).encode()


# -- digital doors (webhook, MQTT galatea/activity, the record_activity action) ------------------

_KINDS = st.one_of(st.sampled_from(["note", "app_focus", "command", "tool_use"]), hostile_text)
_EVENT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "ts": hostile_ts, "kind": _KINDS, "summary": hostile_text, "state": hostile_text | json_leaf,
    "device": hostile_text, "actor": hostile_text, "actor_kind": hostile_text,
    "entity_id": hostile_text, "area": hostile_text, "data": json_tree, "context_id": hostile_text,
    "source": st.sampled_from(["digital", "ha", "frigate", "evil"]), "v": json_leaf,
    "zzz_unknown": json_leaf,
}


@st.composite
def digital_event(draw: st.DrawFn) -> dict[str, Any]:
    """An event object: mostly plausible, with one to three hostile fields."""
    event: dict[str, Any] = {"kind": draw(st.sampled_from(["note", "app_focus", "command"]))}
    if draw(st.booleans()):
        event["ts"] = draw(st.datetimes(
            min_value=datetime(2026, 5, 1), max_value=datetime(2026, 6, 1),
            timezones=st.sampled_from([UTC]))).isoformat()
    for name in draw(st.lists(st.sampled_from(sorted(_EVENT_FIELDS)), max_size=3, unique=True)):
        event[name] = draw(_EVENT_FIELDS[name])
    return event


digital_body = st.one_of(
    digital_event().map(_dumps),
    st.lists(digital_event(), min_size=0, max_size=6).map(_dumps),
    st.lists(digital_event(), min_size=1, max_size=4).map(lambda e: _dumps({"events": e})),
    json_tree.map(_dumps),
    st.binary(max_size=200),
    st.sampled_from([
        b"[" * 5000 + b"]" * 5000, b'{"kind": "note", "data": ' + b"[" * 200 + b"]" * 200 + b"}",
        b'{"kind": "note", "n": 1' + b"0" * 5000 + b"}", b'{"kind": "note", "ts": NaN}',
        b"\xff\xfe\x00", b'{"kind": "note"}' * 2, b"null", b"{}", b"[]",
        _dumps([{"kind": "note"}] * 501), _dumps({"kind": "note", "summary": "s" * 300_000}),
    ]),
)
digital_topic = st.one_of(
    st.just("galatea/activity"),
    st.text(alphabet="abcXYZ09_-./", max_size=40).map(lambda t: f"galatea/activity/{t}"),
)

# -- Frigate -------------------------------------------------------------------------------------

_FRIGATE_IDS = st.one_of(st.sampled_from([f"1700000000.{i}-abc" for i in range(5)]), hostile_text)
_CAMERAS = st.one_of(st.sampled_from(["front_door", "yard", "garage"]), hostile_text)


@st.composite
def frigate_object(draw: st.DrawFn) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": draw(_FRIGATE_IDS), "camera": draw(_CAMERAS),
        "label": draw(st.sampled_from(["person", "car", "dog"]) | hostile_text),
        "score": draw(st.floats(0, 1) | json_leaf), "top_score": draw(st.floats(0, 1) | json_leaf),
        "start_time": draw(st.floats(1.7e9, 1.8e9) | json_leaf),
    }
    for name in draw(st.lists(st.sampled_from(
            ["end_time", "sub_label", "current_zones", "entered_zones", "attributes",
             "has_snapshot", "false_positive", "stationary", "zzz"]), max_size=3, unique=True)):
        obj[name] = draw(json_tree)
    return obj


@st.composite
def frigate_message(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["events", "reviews", "tracked_object_update", "available",
                                 "motion", "count", "snapshot", "odd"]))
    if kind == "events":
        payload: Any = {"type": draw(st.sampled_from(["new", "update", "end", "bogus"])),
                        "before": draw(frigate_object()), "after": draw(frigate_object())}
        return "frigate/events", _dumps(payload)
    if kind == "reviews":
        after = {"id": draw(_FRIGATE_IDS), "camera": draw(_CAMERAS),
                 "severity": draw(st.sampled_from(["alert", "detection"]) | hostile_text),
                 "start_time": draw(st.floats(1.7e9, 1.8e9) | json_leaf),
                 "data": draw(json_tree)}
        payload = {"type": draw(st.sampled_from(["new", "update", "end"])), "after": after,
                   "before": after}
        return "frigate/reviews", _dumps(payload)
    if kind == "tracked_object_update":
        payload = {"type": draw(st.sampled_from(["description", "face", "lpr", "other"])),
                   "id": draw(_FRIGATE_IDS), "camera": draw(_CAMERAS),
                   "description": draw(hostile_text), "name": draw(hostile_text),
                   "score": draw(json_leaf)}
        return "frigate/tracked_object_update", _dumps(payload)
    camera = draw(st.text(alphabet="abcxyz_-09", min_size=1, max_size=20))
    if kind == "available":
        return "frigate/available", draw(st.sampled_from([b"online", b"offline"]) | st.binary(
            max_size=20))
    if kind == "motion":
        return f"frigate/{camera}/motion", draw(st.sampled_from([b"ON", b"OFF"]) | st.binary(
            max_size=10))
    if kind == "count":
        return f"frigate/{camera}/person", draw(st.sampled_from([b"0", b"1", b"3"]) | st.binary(
            max_size=10))
    if kind == "snapshot":
        return f"frigate/{camera}/person/snapshot", draw(st.binary(max_size=50))
    topic = "frigate/" + "/".join(draw(st.lists(hostile_text, min_size=0, max_size=6)))
    return topic, draw(st.binary(max_size=100) | json_tree.map(_dumps))


# -- replay lines --------------------------------------------------------------------------------


@st.composite
def replay_line(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["state", "service", "mqtt", "activity", "junk"]))
    if kind == "state":
        entity = draw(st.sampled_from(["light.hall", "person.anna", "binary_sensor.door"])
                      | hostile_text)
        new = {"entity_id": entity, "state": draw(hostile_text | json_leaf),
               "attributes": draw(json_tree), "last_updated": draw(hostile_ts)}
        line: Any = {"event_type": "state_changed", "time_fired": draw(hostile_ts),
                     "context": {"id": draw(hostile_text), "user_id": draw(hostile_text)},
                     "data": {"entity_id": entity, "new_state": new,
                              "old_state": draw(st.none() | st.just(new))}}
    elif kind == "service":
        line = {"event_type": "call_service", "time_fired": draw(hostile_ts),
                "context": {"id": "c", "user_id": draw(hostile_text)},
                "data": {"domain": draw(st.sampled_from(["light", "galatea"]) | hostile_text),
                         "service": draw(hostile_text), "service_data": draw(json_tree)}}
    elif kind == "mqtt":
        topic, payload = draw(frigate_message())
        line = {"topic": topic, "payload": payload.decode("utf-8", "replace"),
                "ts": draw(hostile_ts)}
    elif kind == "activity":
        line = draw(digital_event())
        line.setdefault("ts", "2026-05-20T08:00:00+00:00")
        line["source"] = draw(st.sampled_from(["digital", "ha", "bogus"]))
    else:
        return draw(st.binary(max_size=120).filter(lambda b: b"\n" not in b))
    return _dumps(line)


# -- driving the doors ---------------------------------------------------------------------------


@dataclass
class Tally:
    """How every input ended, per door."""

    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    rows: int = 0  # rows the doors said yes to (all must be in the store)

    def add(self, door: str, outcome: str, rows: int = 0, reason: str | None = None) -> None:
        self.outcomes[f"{door}:{outcome}"] += 1
        self.rows += rows
        if reason:
            self.reasons[f"{door}:{reason}"] += 1


class Doors:
    """One store and the engine-side doors in front of it (the live doors call the same code)."""

    def __init__(self, store: ActivityStore, tmp: Path) -> None:
        self.store = store
        self.tmp = tmp
        self.tally = Tally()
        self.mqtt = DigitalMqttHandler()
        self.frigate = FrigateTracker()
        self.clock = ClockStats()  # the webhook door's re-timed events
        self._files = 0

    def _queue(self, door: str, events: list[ActivityEvent]) -> None:
        if not events:
            self.tally.add(door, "skipped")
            return
        queued = self.store.enqueue_many(events)
        # Accepted means stored: what passed validation is always admitted by the store.
        assert queued == len(events), (door, events)
        self.tally.add(door, "stored", queued)

    def digital(self, body: bytes) -> None:
        try:
            events = parse_body(body, now=NOW, clock=self.clock)
        except ValidationError as err:
            rejection = err
        else:
            self._queue("webhook", events)
            return
        assert rejection.field  # a clear rejection names the field and says why
        assert rejection.message
        self.tally.add("webhook", "rejected",
                       reason=rejection.field.split(".")[-1].split("[")[0])

    def mqtt_digital(self, topic: str, body: bytes) -> None:
        before = self.mqtt.rejected
        events = self.mqtt.handle(topic, body, NOW)
        if self.mqtt.rejected > before:
            assert not events
            assert self.mqtt.last_error is not None
            self.tally.add("mqtt", "rejected", reason=self.mqtt.last_error.field.split("[")[0])
            return
        self._queue("mqtt", events)

    def frigate_message(self, topic: str, payload: bytes, offset_s: float = 0.0) -> None:
        before = sum(self.frigate.rejected.values())
        events = self.frigate.handle(topic, payload, NOW + timedelta(seconds=offset_s))
        if sum(self.frigate.rejected.values()) > before:
            self.tally.add("frigate", "rejected")
        elif not events:
            self.tally.add("frigate", "held")
        if events:
            self._queue("frigate", events)

    def replay(self, lines: list[bytes]) -> None:
        self._files += 1
        path = self.tmp / f"replay-{self._files}.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        assert self.store.flush(30)  # what other doors queued is written first
        before = self.store.count_activity()
        report = ingest([path], self.store, skip_seen=False)
        assert self.store.count_activity() - before == report.stored
        assert report.stored == report.activities
        self.tally.outcomes["replay:stored"] += report.stored
        self.tally.outcomes["replay:rejected"] += report.rejected
        self.tally.outcomes["replay:skipped"] += report.skipped
        self.tally.outcomes["replay:implausible_time"] += report.implausible_time
        self.tally.rows += report.stored

    def check_store(self, baseline: list[ActivityEvent]) -> None:
        """Everything accepted is stored, nothing was refused at write time, and the rows that
        were there before are unchanged."""
        assert self.store.flush(30)
        stats = self.store.stats()
        total = self.store.count_activity()
        assert total == len(baseline) + self.tally.rows, (total, stats)
        assert stats["rejected"] == 0
        assert stats["dropped"] == 0
        assert list(self.store.iter_activity())[: len(baseline)] == baseline


def baseline_events(n: int = 40) -> list[ActivityEvent]:
    """Ordinary rows that must come through unchanged."""
    t0 = NOW - timedelta(days=2)
    return [ActivityEvent(ts=t0 + timedelta(minutes=7 * i), source="ha", kind="state_changed",
                          entity_id="light.hall", state="on" if i % 2 else "off",
                          old_state="off" if i % 2 else "on", actor="person.anna",
                          actor_kind="person", summary=f"Hall light {i}", data={"i": i})
            for i in range(n)]


def examples[T](strategy: st.SearchStrategy[T], n: int, seed: int | None = None) -> list[T]:
    """``n`` generated inputs (collected with ``@given``: shrinking off, no example database)."""
    out: list[T] = []

    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: T) -> None:
        out.append(value)

    if seed is not None:
        from hypothesis import seed as seed_decorator

        seed_decorator(seed)(collect)()
    else:
        collect()
    return out


def run_doors(doors: Doors, *, digital: list[bytes], mqtt: list[tuple[str, bytes]],
              frigate: list[tuple[str, bytes]], replay: list[bytes],
              progress: Callable[[str], None] | None = None) -> None:
    """Feed every input through its door."""
    for body in digital:
        doors.digital(body)
    for topic, body in mqtt:
        doors.mqtt_digital(topic, body)
    for i, (topic, payload) in enumerate(frigate):
        doors.frigate_message(topic, payload, i * 0.5)
    for chunk in _chunks(replay, 200):
        doors.replay(chunk)
    if progress is not None:
        progress("fed")


def _chunks[T](items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
