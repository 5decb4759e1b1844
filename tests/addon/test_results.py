"""The engine's answers have the keys and types ``engine/results.py`` declares for them (a
``TypedDict`` is not checked when the program runs: this test holds the two together)."""

from __future__ import annotations

import types
from datetime import UTC, timedelta
from typing import Any, Union, get_args, get_origin, get_type_hints, is_typeddict

from galatea_engine import results
from galatea_engine.api import GalateaAPI
from galatea_engine.models import ActivityEvent, Episode
from galatea_engine.store import ActivityStore

from .conftest import NOW


def conforms(value: Any, hint: Any, where: str) -> None:
    """``value`` is of type ``hint`` (typed dicts with exactly their keys), else fail."""
    if hint is Any:
        return
    if is_typeddict(hint):
        assert isinstance(value, dict), where
        keys = set(value)
        assert hint.__required_keys__ <= keys, (where, hint.__required_keys__ - keys)
        assert keys <= hint.__required_keys__ | hint.__optional_keys__, (where, keys)
        hints = get_type_hints(hint)
        for key, item in value.items():
            conforms(item, hints[key], f"{where}.{key}")
        return
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        failures = []
        for option in args:
            try:
                conforms(value, option, where)
            except AssertionError as err:
                failures.append(err)
            else:
                return
        raise AssertionError(where, value, failures)
    if origin is list:
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            conforms(item, args[0], f"{where}[{i}]")
        return
    if origin is dict:
        assert isinstance(value, dict), where
        for key, item in value.items():
            conforms(key, args[0], where)
            conforms(item, args[1], f"{where}.{key}")
        return
    if hint is type(None):
        assert value is None, where
        return
    if hint in (float, int):
        assert not isinstance(value, bool), (where, value)
        assert isinstance(value, int if hint is int else float | int), (where, value)
        return
    assert isinstance(value, hint), (where, value, hint)


def test_every_answer_has_its_declared_shape(seeded_store: ActivityStore) -> None:
    with seeded_store.unit_of_work() as uow:
        uow.replace_episodes([
            Episode(kind="sleep", start=NOW - timedelta(hours=30),
                    end=NOW - timedelta(hours=22), actor="person.anna"),
            Episode(kind="session", start=NOW - timedelta(hours=3),
                    end=NOW - timedelta(hours=2), area="kitchen", actor="person.anna",
                    label="cooking",
                    detail={"title": "Cooking dinner", "summary": "Anna cooked."}),
        ])
    seeded_store.add_events([ActivityEvent(
        ts=NOW - timedelta(hours=1), source="ha", kind="state_changed",
        entity_id="binary_sensor.front_door", area="hall", device_class="door", state="on",
        old_state="off")])
    api = GalateaAPI(seeded_store, UTC, clock=lambda: NOW)
    timeline = api.timeline(NOW - timedelta(days=2), NOW)
    assert any("title" in item for item in timeline["items"])  # the optional keys are seen
    assert any(item["end"] is None for item in timeline["items"])
    remembered = api.remember("The plumber comes on Monday", subject="house")
    answers: list[tuple[Any, Any]] = [
        (api.health(), results.Health),
        (api.routines(include_rejected=True), results.Routines),
        (api.episodes(), results.Episodes),
        (timeline, results.Timeline),
        (api.recall("plumber"), results.Recall),
        (api.recall("when did I last turn on the kitchen light"), results.Recall),
        (api.usual_time("wake_up"), results.UsualTime),
        (api.usual_time("leave_home"), results.UsualTime),
        (api.last_time("kitchen light"), results.LastTime),
        (api.last_time("garage"), results.LastTime),
        (api.memories(), results.Memories),
        (api.activity_summary(NOW - timedelta(days=30)), results.ActivitySummary),
        (api.activity_summary(detail=False), results.ActivitySummary),
        (api.routine_states(absent={"person.bob"}), results.RoutineStates),
        (remembered, results.Remembered),
        (api.confirm_routine("wake_up:person.anna:weekdays"), results.RoutineStatus),
        (api.reject_routine("go_to_bed:household:daily"), results.RoutineStatus),
        (api.forget(remembered["id"]), results.Forgotten),
    ]
    for i, (answer, shape) in enumerate(answers):
        conforms(answer, shape, f"{i}:{shape.__name__}")
    assert "title" not in api.episodes()["episodes"][0]  # the sleep: never named
