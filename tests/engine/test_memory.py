"""Memory formation, recall and the GalateaAPI over a real SQLite store (no HA)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from galatea_engine.api import APIError, GalateaAPI
from galatea_engine.memory.embedding import LocalEmbedder
from galatea_engine.memory.formation import form_memories
from galatea_engine.models import ActivityEvent, Episode, Preference, Routine
from galatea_engine.store import ActivityStore

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=TZ)


def _routine(kind: str, time: str, actor: str = "person.anna", days: str = "weekdays",
             spread: float = 10.0) -> Routine:
    return Routine(key=f"{kind}:{actor}:{days}", kind=kind, label=kind.replace("_", " "),
                   days=days, time=time, spread_min=spread, support_days=20, confidence=0.8,
                   actor=actor, entities=["binary_sensor.bedroom_motion"], evidence=[1, 2])


@pytest.fixture
def store(tmp_path: Path) -> ActivityStore:
    s = ActivityStore(path=tmp_path / "g.db")
    evs = [
        ActivityEvent(ts=NOW - timedelta(hours=h), source="ha", kind="state_changed",
                      entity_id="binary_sensor.front_door", area="Hallway", device_class="door",
                      state="on", old_state="off")
        for h in (30, 5)
    ]
    evs.append(ActivityEvent(ts=NOW - timedelta(hours=2), source="ha", kind="state_changed",
                             entity_id="light.kitchen_ceiling", area="Kitchen", state="on",
                             old_state="off", actor="person.anna", actor_kind="person"))
    s.add_events(evs)
    day = NOW.replace(hour=0)
    eps = [
        Episode(kind="sleep", start=day - timedelta(hours=1, minutes=40),
                end=day + timedelta(hours=6, minutes=58), actor="person.anna", evidence=[1]),
        Episode(kind="away", start=day + timedelta(hours=8, minutes=12),
                end=day + timedelta(hours=11), actor="person.anna", evidence=[2]),
        Episode(kind="session", label="cooking", area="Kitchen",
                start=day - timedelta(hours=5, minutes=30),
                end=day - timedelta(hours=4, minutes=45),
                evidence=[3]),
    ]
    with s.unit_of_work() as uow:
        uow.replace_episodes(eps)
        uow.upsert_routines([_routine("wake_up", "06:58"), _routine("leave_home", "08:10"),
                             _routine("go_to_bed", "23:15", actor="person.ben", days="daily")])
        uow.replace_preferences([Preference(kind="climate_setpoint", subject="climate.living_room",
                                            value=21.0, when="18:00-22:00", spread=0.5,
                                            support=12, area="Living Room")])
    yield s
    s.stop()


def test_local_embedder_is_normalised_and_deterministic() -> None:
    emb = LocalEmbedder(dim=64)
    mat = emb.embed(["kitchen light on", "kitchen lights", "front door opened"])
    assert mat.dtype == np.float32
    assert np.allclose(np.linalg.norm(mat, axis=1), 1.0, atol=1e-5)
    assert (mat[0] @ mat[1]) > (mat[0] @ mat[2])
    assert np.array_equal(mat, LocalEmbedder(dim=64).embed(["kitchen light on", "kitchen lights",
                                                             "front door opened"]))


def test_formation_kinds_and_day_summary(store: ActivityStore) -> None:
    summary = form_memories(store, TZ, now=NOW)
    assert summary.created >= 6
    mems = store.memories()
    types = {m.type for m in mems}
    assert types == {"episodic", "semantic", "procedural"}
    day = next(m for m in mems if m.key == "day:2026-11-21")
    assert day.text.startswith("Sat 21 Nov: ")
    assert "up 06:58" in day.text
    assert "out 08:12-11:00" in day.text
    wake = next(m for m in mems if (m.key or "").startswith("routine:wake_up"))
    assert "06:58" in wake.text
    assert wake.evidence == [1, 2]
    assert wake.learned_at is not None
    assert wake.valid_from is not None
    assert len(store.embeddings()) == len(store.memories(include_closed=True))
    # reinforcement: same observations again raise confidence, keep one open version
    form_memories(store, TZ, now=NOW + timedelta(hours=1))
    again = [m for m in store.memories() if (m.key or "").startswith("routine:wake_up")]
    assert len(again) == 1
    assert again[0].confidence > wake.confidence


def test_contradiction_closes_and_decay(store: ActivityStore) -> None:
    form_memories(store, TZ, now=NOW)
    with store.unit_of_work() as uow:
        uow.upsert_routines([_routine("wake_up", "05:55")])
    form_memories(store, TZ, now=NOW + timedelta(days=1))
    wake = [m for m in store.memories(include_closed=True)
            if (m.key or "").startswith("routine:wake_up")]
    closed = [m for m in wake if m.valid_to is not None]
    open_ = [m for m in wake if m.valid_to is None]
    assert len(closed) == 1
    assert "06:58" in closed[0].text
    assert closed[0].status == "closed"
    assert len(open_) == 1
    assert "05:55" in open_[0].text
    # the preference disappears from mining: it decays, then closes
    with store.unit_of_work() as uow:
        uow.replace_preferences([])
    form_memories(store, TZ, now=NOW + timedelta(days=8))
    pref = next(m for m in store.memories(include_closed=True) if m.type == "semantic")
    assert pref.confidence < 0.8
    assert pref.valid_to is None
    form_memories(store, TZ, now=NOW + timedelta(days=60))
    pref = next(m for m in store.memories(include_closed=True) if m.type == "semantic")
    assert pref.valid_to is not None
    assert pref.status == "closed"


def test_api_routines_usual_last_time(store: ActivityStore) -> None:
    form_memories(store, TZ, now=NOW)
    api = GalateaAPI(store, TZ, clock=lambda: NOW.astimezone(UTC))
    routines = api.routines()["routines"]
    assert [r["kind"] for r in routines] == ["wake_up", "leave_home", "go_to_bed"]
    wake = routines[0]
    assert wake["next_expected"] == "2026-11-23T06:58:00+01:00"  # Saturday -> Monday
    usual = api.usual_time("wake up")
    assert usual["found"]
    assert usual["time"] == "06:58"
    assert "6:58 AM" in usual["text"]
    assert usual["text"].startswith("Anna usually wakes up")
    assert not api.usual_time("arrive_home")["found"]
    left = api.last_time("leave home")
    assert left["found"]
    assert "left home today at 8:12 AM" in left["text"]
    door = api.last_time("front door")
    assert door["found"]
    assert door["entity_id"] == "binary_sensor.front_door"
    assert datetime.fromisoformat(door["ts"]) == NOW - timedelta(hours=5)
    assert not api.last_time("garage")["found"]
    with pytest.raises(APIError):
        api.usual_time("dance")


def test_api_recall_remember_forget_confirm(store: ActivityStore) -> None:
    form_memories(store, TZ, now=NOW)
    api = GalateaAPI(store, TZ, clock=lambda: NOW.astimezone(UTC))
    res = api.recall("kitchen")
    assert res["memories"]
    assert "itchen" in res["memories"][0]["text"]
    told = api.remember("The spare key is under the blue flower pot", subject="Garden")
    hit = api.recall("where is the spare key")["memories"][0]
    assert hit["id"] == told["id"]
    assert hit["status"] == "confirmed"
    assert api.recall("when do I usually wake up")["answer"].startswith("Anna usually")
    api.forget(told["id"])
    assert all(m["id"] != told["id"] for m in api.recall("spare key")["memories"])
    with pytest.raises(APIError) as err:
        api.forget(told["id"])
    assert err.value.code == "not_found"
    key = "wake_up:person.anna:weekdays"
    assert api.confirm_routine(key)["status"] == "confirmed"
    mem = next(m for m in store.memories() if (m.key or "").startswith("routine:wake_up"))
    assert mem.status == "confirmed"
    assert mem.confidence >= 0.95
    assert api.reject_routine("leave_home:person.anna:weekdays")["status"] == "rejected"
    assert [r["kind"] for r in api.routines()["routines"]] == ["wake_up", "go_to_bed"]
    with pytest.raises(APIError):
        api.confirm_routine("nope")


def test_api_timeline_and_summary(store: ActivityStore) -> None:
    api = GalateaAPI(store, TZ, clock=lambda: NOW.astimezone(UTC))
    tl = api.timeline(period="yesterday_evening")
    assert any(it["label"] == "cooking" for it in tl["items"])
    today = api.timeline(period="today")
    assert any("Front door opened" in it["text"] for it in today["items"])
    summ = api.activity_summary()
    assert summ["total"] == 2
    assert summ["last"]["entity_id"] == "light.kitchen_ceiling"
    assert api.health()["ok"]


def test_big_index_probes_cells_and_finds_the_same_best(monkeypatch: pytest.MonkeyPatch) -> None:
    from galatea_engine.memory import recall
    from galatea_engine.models import Memory

    rooms = ["kitchen", "garage", "attic", "cellar", "garden", "office", "hallway", "bedroom"]
    things = ["lamp", "radio", "kettle", "heater", "blinds", "speaker", "fan", "oven"]
    mems = [Memory(type="semantic", id=i + 1, confidence=0.8, importance=0.5,
                   text=f"The {rooms[i % 8]} {things[(i // 8) % 8]} was used {i} times",
                   learned_at=NOW) for i in range(3000)]
    mems.append(Memory(type="semantic", id=9999, text="The spare key is under the blue pot",
                       confidence=1.0, importance=0.9, learned_at=NOW))
    exact = recall.MemoryIndex(mems, LocalEmbedder())
    monkeypatch.setattr(recall, "IVF_MIN_ROWS", 1000)
    monkeypatch.setattr(recall, "MAX_KEYWORD_CANDIDATES", 50)
    approx = recall.MemoryIndex(mems, LocalEmbedder())
    assert exact._cells is None
    assert approx._cells is not None
    assert approx._probe(approx.embedder.embed(["x"])[0])[0].size < len(mems) / 2
    for query in ("spare key", "blue pot", "garage heater", "attic radio used"):
        best_exact = exact.search(query, limit=1, now=NOW)[0]
        best_approx = approx.search(query, limit=1, now=NOW)[0]
        assert best_approx.memory.text.split(" was")[0] == best_exact.memory.text.split(" was")[0]
    assert approx.search("spare key", limit=1, now=NOW)[0].memory.id == 9999


def test_re_mined_episode_replaces_its_memory(store: ActivityStore) -> None:
    form_memories(store, TZ, now=NOW)
    before = [m for m in store.memories() if (m.key or "").startswith("episode:away")]
    assert len(before) == 1
    day = NOW.replace(hour=0)
    with store.unit_of_work() as uow:  # the engine re-mines: the outing started 3 min later
        uow.replace_episodes([Episode(kind="away", start=day + timedelta(hours=8, minutes=15),
                                      end=day + timedelta(hours=11), actor="person.anna")],
                             since=day + timedelta(hours=8), kinds={"away"})
    summary = form_memories(store, TZ, now=NOW + timedelta(minutes=5))
    after = [m for m in store.memories() if (m.key or "").startswith("episode:away")]
    assert summary.removed == 1
    assert len(after) == 1
    assert "08:15-11:00" in after[0].text


def test_importance_rarity_surprise_security() -> None:
    from collections import Counter

    from galatea_engine.memory.formation import episode_importance

    t0 = NOW.replace(hour=18)
    usual = Episode(kind="session", label="cooking", area="Kitchen", start=t0,
                    end=t0 + timedelta(minutes=40), actor="person.anna")
    counts: Counter[tuple[str, str | None, str | None]] = Counter(
        {("session", "cooking", "Kitchen"): 28, ("visit", None, "Front door"): 1})
    durations = {"session": (40.0, 10.0)}
    base = episode_importance(usual, counts, durations, 28)
    long_one = Episode(kind="session", label="cooking", area="Kitchen", start=t0,
                       end=t0 + timedelta(minutes=160), actor="person.anna")
    visit = Episode(kind="visit", area="Front door", start=t0, end=t0 + timedelta(minutes=3))
    automated = Episode(kind="session", label="cooking", area="Kitchen", start=t0,
                        end=t0 + timedelta(minutes=40), detail={"automated": True})
    assert episode_importance(long_one, counts, durations, 28) > base  # surprise
    assert episode_importance(visit, counts, durations, 28) > base  # rare + security
    assert episode_importance(automated, counts, durations, 28) < base  # not a person's doing


def test_day_summary_tells_a_night_once_with_two_mats(tmp_path: Path) -> None:
    """Two mats on one bed whose sleeper is unknown: each mat's night (scope bed) and the
    household's night; the day's summary says "in bed" and "up" once."""
    s = ActivityStore(path=tmp_path / "g.db")
    day = NOW.replace(hour=0)
    night = {"start": day - timedelta(hours=1), "end": day + timedelta(hours=7)}
    eps = [
        Episode(kind="sleep", **night, detail={"scope": "home"}, evidence=[1]),
        Episode(kind="sleep", **night, detail={"scope": "bed"}, evidence=[1]),
        Episode(kind="sleep", **night, detail={"scope": "bed"}, evidence=[2]),
    ]
    with s.unit_of_work() as uow:
        uow.replace_episodes(eps)
    form_memories(s, TZ, now=NOW)
    texts = [m.text for m in s.memories() if (m.key or "").startswith("day:")]
    s.stop()
    assert any("up 07:00" in t for t in texts)
    assert all(t.count("up 07:00") <= 1 and t.count("in bed 23:00") <= 1 for t in texts)


def test_day_summary_tells_a_night_once_when_the_sleeper_is_known(tmp_path: Path) -> None:
    """One resident whose mat is theirs: the night is hers (scope person) and the household's
    (scope home, same actor); the day's summary says "in bed" and "up" once."""
    s = ActivityStore(path=tmp_path / "g.db")
    day = NOW.replace(hour=0)
    night = {"start": day - timedelta(hours=1), "end": day + timedelta(hours=7)}
    eps = [
        Episode(kind="sleep", **night, actor="person.anna", detail={"scope": "home"}),
        Episode(kind="sleep", **night, actor="person.anna", detail={"scope": "person"}),
    ]
    with s.unit_of_work() as uow:
        uow.replace_episodes(eps)
    form_memories(s, TZ, now=NOW)
    texts = [m.text for m in s.memories() if (m.key or "").startswith("day:")]
    s.stop()
    assert any("up 07:00" in t for t in texts)
    assert all(t.count("up 07:00") <= 1 and t.count("in bed 23:00") <= 1 for t in texts)
