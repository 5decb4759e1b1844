"""FrigateTracker: Frigate 0.12-0.17 MQTT traffic folded into one activity per object/review."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from galatea_engine.capture.frigate import CameraInfo, FrigateOptions, FrigateTracker
from galatea_engine.models import ActivityEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.frigate_fixtures import EVENT_RELEASES, OBJECT_ID, load, object_life, review_life

T0 = datetime(2026, 11, 21, 18, 2, tzinfo=UTC)


def feed(tracker: FrigateTracker, msgs: list[tuple[str, str | bytes]],
         start: datetime = T0, step: float = 1.0) -> list[ActivityEvent]:
    out: list[ActivityEvent] = []
    for i, (topic, payload) in enumerate(msgs):
        out += tracker.handle(topic, payload, start + timedelta(seconds=i * step))
    return out


def people_tracker(**kw: object) -> FrigateTracker:
    return FrigateTracker(FrigateOptions(
        people={"John Smith": "person.john", "Anna": "person.anna", "Bob": "person.bob"},
        cameras_info={"front_door": CameraInfo("camera.front_door", "Porch")},
        **kw,  # type: ignore[arg-type]
    ))


@pytest.mark.parametrize("release", EVENT_RELEASES)
def test_one_activity_per_object_life(release: str) -> None:
    tracker = people_tracker()
    out = feed(tracker, object_life(release))
    assert len(out) == 1
    act = out[0]
    assert act.source == "frigate"
    assert act.kind == "person_detected"
    assert act.entity_id == "camera.front_door"
    assert act.area == "Porch"
    assert act.data["camera"] == "front_door"
    assert act.data["label"] == "person"
    assert act.data["id"] == OBJECT_ID
    assert set(act.data["zones"]) == {"yard", "driveway"}
    assert act.data["top_score"] == pytest.approx(0.959, abs=1e-3)
    assert act.data["has_snapshot"] is True
    assert act.ts == datetime.fromtimestamp(1607123955.475377, UTC)
    assert act.data["end"] > act.data["start"]
    if release == "0.12":  # no sub_label in the 0.12 example
        assert act.actor is None
    else:  # sub_label ["John Smith", 0.79] is an HA person
        assert act.data["sub_label"] == "John Smith"
        assert (act.actor, act.actor_kind) == ("person.john", "person")
    if release == "0.16":
        assert act.data["plate"] == "ABC12345"
    # The activity is valid for the store's schema (round trip through the edge validator).
    assert ActivityEvent.from_dict(act.to_dict()).data == act.data
    assert tracker.open_objects == 0


def test_zero_twelve_string_sub_label_and_other_objects() -> None:
    tracker = people_tracker()
    msgs = object_life("0.12")
    end = json.loads(msgs[-1][1])
    end["after"]["sub_label"] = "anna"  # 0.12: a plain string; case-insensitive match
    end["after"]["label"] = "car"
    out = feed(tracker, [*msgs[:-1], (msgs[-1][0], json.dumps(end))])
    assert out[0].kind == "object_detected"
    assert out[0].state == "car"
    assert out[0].actor == "person.anna"


def test_tracked_object_updates_fold_into_the_object() -> None:
    tracker = people_tracker()
    life = object_life("0.15")
    face = load("tracked_object_update__face_recognition.0.16.json")
    face["name"] = "Anna"
    lpr = load("tracked_object_update__license_plate_recognition.0.16.json")
    msgs = [life[0], life[1],
            ("frigate/tracked_object_update", json.dumps(face)),
            ("frigate/tracked_object_update", json.dumps(lpr)), life[2]]
    out = feed(tracker, msgs)
    assert len(out) == 1
    assert out[0].data["face"] == "Anna"
    assert out[0].data["plate"] == "123ABC"
    assert out[0].actor == "person.anna"  # the face wins over the sub_label
    # A description arrives after the end (GenAI runs later): a follow-up activity.
    desc = tracker.handle("frigate/tracked_object_update",
                          json.dumps(load("tracked_object_update.0.15.json")), T0)
    assert len(desc) == 1
    assert desc[0].kind == "object_described"
    assert desc[0].parent_id == out[0].context_id
    assert "red sedan" in desc[0].data["description"]


def test_face_before_first_event_is_kept() -> None:
    tracker = people_tracker()
    face = load("tracked_object_update__face_recognition.0.16.json")
    face["name"] = "Bob"
    out = feed(tracker, [("frigate/tracked_object_update", json.dumps(face)), *object_life("0.16")])
    assert len(out) == 1
    assert out[0].actor == "person.bob"


@pytest.mark.parametrize("name", ["reviews.0.14.json", "reviews.0.17.json"])
def test_review_becomes_one_episode(name: str) -> None:
    tracker = people_tracker()
    out = feed(tracker, review_life(name))
    assert len(out) == 1
    rev = out[0]
    assert rev.kind == "review"
    assert rev.state == "alert"  # the highest severity seen
    assert rev.data["severity"] == "alert"
    assert "person" in rev.data["objects"]
    assert rev.data["zones"]
    assert rev.data["cameras"] == [rev.data["camera"]]
    assert rev.data["end"] > rev.data["start"]
    if name == "reviews.0.14.json":
        assert rev.actor == "person.bob"
        assert set(rev.data["objects"]) == {"person", "car"}
    else:
        assert rev.actor == "person.anna"
        assert rev.data["objects"] == ["person"]  # "-verified" folded in
        assert rev.data["audio"] == ["speech"]
        assert rev.entity_id == "camera.front_door"
    assert " at " in (rev.summary or "")
    genai = json.loads(review_life(name)[-1][1])
    genai["type"] = "genai"
    genai["after"]["data"]["metadata"] = {
        "title": "Anna arrives", "shortSummary": "Anna comes home.", "potential_threat_level": 0,
    }
    described = tracker.handle("frigate/reviews", json.dumps(genai), T0)
    assert [d.kind for d in described] == ["review_described"]
    assert described[0].data["title"] == "Anna arrives"


def test_motion_is_debounced() -> None:
    tracker = people_tracker(motion_debounce=30.0)
    t = T0
    assert [a.state for a in tracker.handle("frigate/front_door/motion", "ON", t)] == ["on"]
    assert tracker.handle("frigate/front_door/motion", "ON", t + timedelta(seconds=1)) == []
    assert tracker.handle("frigate/front_door/motion", "OFF", t + timedelta(seconds=5)) == []
    # ON again within the debounce: still one motion period.
    assert tracker.handle("frigate/front_door/motion", "ON", t + timedelta(seconds=10)) == []
    assert tracker.handle("frigate/front_door/motion", "OFF", t + timedelta(seconds=20)) == []
    assert tracker.expire(t + timedelta(seconds=30)) == []
    off = tracker.expire(t + timedelta(seconds=51))
    assert [(a.kind, a.state, a.ts) for a in off] == [("motion", "off", t + timedelta(seconds=20))]
    assert off[0].entity_id == "camera.front_door"


def test_counts_availability_and_ignored_topics() -> None:
    tracker = people_tracker(motion_debounce=0.0)
    out = feed(tracker, [
        ("frigate/available", "online"),
        ("frigate/available", "online"),
        ("frigate/front_door/person", "1"),
        ("frigate/front_door/person", "2"),
        ("frigate/front_door/person/active", "1"),
        ("frigate/front_door/all", "2"),
        ("frigate/front_door/review_status", "DETECTION"),
        ("frigate/front_door/person/snapshot", b"\xff\xd8\xff\xe0 jpeg"),
        ("frigate/stats", "{}"),
        ("frigate/notifications/state", "ON"),
        ("frigate/front_door/birdseye_mode", "CONTINUOUS"),
        ("frigate/front_door/person", "-1"),
        ("frigate/front_door/zone/porch/state", "ON"),
        ("frigate/front_door/motion_mask/m1/state", "ON"),
        ("frigate/front_door/person", "0"),
        ("frigate/available", "offline"),
    ])
    kinds = [(a.kind, a.state) for a in out]
    assert kinds == [("frigate_available", "online"), ("object_present", "on"),
                     ("object_present", "off"), ("frigate_available", "offline")]
    assert out[2].data["peak_count"] == 2
    assert tracker.counts[("front_door", "person")] == 0
    assert tracker.stats["rejected"] == 0


def test_camera_filter_min_score_and_prefix() -> None:
    tracker = FrigateTracker(FrigateOptions(prefix="nvr", cameras=frozenset({"garage"})))
    assert feed(tracker, object_life("0.15", prefix="nvr")) == []  # front_door filtered
    assert len(feed(tracker, object_life("0.15", prefix="nvr", camera="garage"))) == 1
    assert feed(tracker, object_life("0.15", camera="garage")) == []  # other prefix
    strict = FrigateTracker(FrigateOptions(min_score=0.97))
    assert feed(strict, object_life("0.15")) == []
    assert strict.stats["below_min_score"] == 1


def test_object_whose_end_never_arrives_times_out() -> None:
    tracker = FrigateTracker(FrigateOptions(object_timeout=600))
    assert feed(tracker, object_life("0.15")[:2]) == []
    assert tracker.expire(T0 + timedelta(seconds=300)) == []
    out = tracker.expire(T0 + timedelta(seconds=700))
    assert len(out) == 1
    assert out[0].data["ended"] == "timeout"
    # The late end of a timed-out object does not make a second activity.
    assert tracker.handle(*object_life("0.15")[2], T0 + timedelta(seconds=800)) == []


def test_flush_closes_open_objects() -> None:
    tracker = FrigateTracker()
    feed(tracker, object_life("0.16")[:2])
    feed(tracker, review_life()[:1])
    out = tracker.flush(T0)
    assert sorted(a.kind for a in out) == ["person_detected", "review"]
    assert all(a.data["ended"] == "interrupted" for a in out)


def test_open_objects_are_bounded() -> None:
    tracker = FrigateTracker(FrigateOptions(max_open=5))
    out: list[ActivityEvent] = []
    for i in range(20):
        out += tracker.handle(*object_life("0.15", obj_id=f"obj-{i}")[0], T0)
    assert tracker.open_objects == 5
    assert len(out) == 15
    assert all(a.data["ended"] == "evicted" for a in out)


HOSTILE: list[tuple[str, str | bytes, str]] = [
    ("frigate/events", b"\xff\xfe\x00garbage", "not_utf8"),
    ("frigate/events", "{" * 5, "not_json"),
    ("frigate/events", "[" * 50_000 + "]" * 50_000, "too_large"),
    ("frigate/events", "x" * 200_000, "too_large"),
    ("frigate/events",
     '{"type": "update", "after": {"a": ' + "[" * 300 + "]" * 300 + "}}", "too_deep"),
    ("frigate/events", "[" * 30_000 + "]" * 30_000, "too_deep"),  # beyond the parser's limit
    ("frigate/events", json.dumps({"type": "explode", "after": {}}), "unknown_type"),
    ("frigate/events", json.dumps({"type": "update"}), "malformed"),
    ("frigate/events", json.dumps([1, 2]), "malformed"),
    ("frigate/events", json.dumps({"type": "end", "after": {"id": 5, "camera": "x"}}), "malformed"),
    ("frigate/events", json.dumps({"type": "end", "after": {"id": "a", "camera": "x",
                                                            "top_score": "high"}}), "malformed"),
    ("frigate/events", json.dumps({"type": "end", "after": {"id": "a", "camera": "x",
                                                            "start_time": 1e300}}), "malformed"),
    ("frigate/events", '{"type": "end", "after": {"id": "a", "camera": "x", "score": NaN}}',
     "malformed"),
    ("frigate/reviews", json.dumps({"type": "new", "after": {"id": "r", "camera": "c",
                                                             "severity": "doom"}}), "malformed"),
    ("frigate/tracked_object_update", json.dumps({"type": "face"}), "malformed"),
    ("frigate/front_door/motion", "MAYBE", "malformed"),
    ("frigate/available", "x" * 10, "malformed"),
    ("frigate//events", "{}", "bad_topic"),
    ("frigate/events", "1" * 5000, "not_json"),  # int-digits limit: ValueError inside json
]


@pytest.mark.parametrize(("topic", "payload", "reason"), HOSTILE)
def test_hostile_payloads_are_rejected_and_counted(
    topic: str, payload: str | bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = people_tracker()
    before = feed(tracker, object_life("0.15")[:2])  # an open object that must survive
    with caplog.at_level(logging.WARNING):
        assert tracker.handle(topic, payload, T0) == []
    assert tracker.rejected == {reason: 1}
    assert "Rejected a Frigate message" in caplog.text
    assert before == []
    assert len(feed(tracker, object_life("0.15")[2:])) == 1  # state untouched


def test_rejection_log_is_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    tracker = FrigateTracker()
    with caplog.at_level(logging.WARNING):
        for _ in range(50):
            tracker.handle("frigate/events", b"\xff", T0)
    assert tracker.rejected["not_utf8"] == 50
    assert len([r for r in caplog.records if "Rejected" in r.message]) == 1


def test_bad_update_leaves_open_object_unchanged() -> None:
    tracker = people_tracker()
    life = object_life("0.15")
    feed(tracker, life[:2])
    bad = json.loads(life[1][1])
    bad["after"]["entered_zones"] = ["kitchen", 7]  # wrong type mid-way
    bad["after"]["label"] = "dog"
    assert tracker.handle("frigate/events", json.dumps(bad), T0) == []
    out = feed(tracker, life[2:])
    assert out[0].data["label"] == "person"
    assert "kitchen" not in out[0].data["zones"]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
_field_values = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=300) | (
    st.lists(st.text(max_size=5) | st.integers(), max_size=3))
_events = st.fixed_dictionaries({
    "type": st.sampled_from(["new", "update", "end", "bogus"]),
    "after": st.dictionaries(
        st.sampled_from(["id", "camera", "label", "sub_label", "top_score", "score", "start_time",
                         "end_time", "entered_zones", "current_zones", "attributes",
                         "false_positive", "has_snapshot", "recognized_license_plate"]),
        _field_values, max_size=8),
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topic=st.sampled_from(["frigate/events", "frigate/reviews", "frigate/tracked_object_update",
                              "frigate/available", "frigate/cam/motion", "frigate/cam/person",
                              "frigate/cam/x/y/z/w", "frigate"]),
       payload=_json.map(json.dumps) | st.binary(max_size=64) | _events.map(json.dumps))
def test_arbitrary_payloads_never_raise(topic: str, payload: str | bytes) -> None:
    tracker = people_tracker()
    feed(tracker, object_life("0.15")[:2])
    out = tracker.handle(topic, payload, T0)
    for act in out + tracker.expire(T0 + timedelta(days=1)) + tracker.flush(T0):
        ActivityEvent.from_dict(act.to_dict())  # whatever comes out fits the schema
    assert tracker.stats["messages"] == 3
