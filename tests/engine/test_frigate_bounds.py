"""The Frigate tracker's memory stays bounded whatever a publisher makes up."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from galatea_engine.capture.frigate import FrigateOptions, FrigateTracker

T0 = datetime(2026, 11, 21, 18, 2, tzinfo=UTC)


def test_side_channel_updates_for_unknown_objects_are_capped() -> None:
    tracker = FrigateTracker(FrigateOptions(max_open=500))
    for i in range(30_000):
        tracker.handle("frigate/tracked_object_update", json.dumps(
            {"type": "description", "id": f"obj-{i}", "camera": "yard", "description": "x"}),
            T0 + timedelta(milliseconds=i))
        assert tracker.open_objects <= 500
    assert tracker.stats["evicted"] == 29_500
    assert tracker.open_objects == 500


def test_motion_and_presence_maps_are_capped_and_close_what_they_drop() -> None:
    tracker = FrigateTracker(FrigateOptions(max_cameras=8, max_presence=16))
    out = []
    for i in range(100):
        out += tracker.handle(f"frigate/cam{i}/motion", "ON", T0 + timedelta(seconds=i))
        out += tracker.handle(f"frigate/cam{i}/person", "2", T0 + timedelta(seconds=i))
    diag = tracker.diagnostics()
    assert diag["cameras_with_motion"] == 8
    assert diag["presence_pairs"] == 16
    assert len(tracker.counts) == 16
    # Each dropped ON period was closed with its OFF: no period is left without an end.
    motion_on = [a for a in out if a.kind == "motion" and a.state == "on"]
    motion_off = [a for a in out if a.kind == "motion" and a.state == "off"]
    assert len(motion_on) == 100
    assert len(motion_off) == 92
    assert {a.device for a in motion_off} == {f"cam{i}" for i in range(92)}


def test_a_recently_heard_camera_is_kept() -> None:
    tracker = FrigateTracker(FrigateOptions(max_cameras=3))
    for name in ("a", "b", "c", "a", "d"):  # "a" heard again: "b" is the oldest
        tracker.handle(f"frigate/{name}/motion", "ON", T0)
    assert list(tracker.signals.motion) == ["c", "a", "d"]


def test_a_wrong_frigate_clock_is_retimed_to_arrival() -> None:
    from galatea_engine.capture.clock import ORIGINAL_TS_KEY

    from tests.frigate_fixtures import object_life

    tracker = FrigateTracker()
    # The fixture's object is from December 2020: arriving in June 2020 it is from the future.
    arrival = datetime(2020, 6, 1, 12, 0, tzinfo=UTC)
    out = []
    for i, (topic, payload) in enumerate(object_life("0.16")):
        out += tracker.handle(topic, payload, arrival + timedelta(seconds=i))
    [activity] = out
    assert activity.ts == arrival + timedelta(seconds=2)
    assert activity.data[ORIGINAL_TS_KEY].startswith("2020-12-04")
    assert tracker.stats["retimed"] == 1
