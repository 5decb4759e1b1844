"""``galatea replay --json``: the replay report schema, end to end through the CLI."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from galatea_engine.cli import main

from tests.simulator.__main__ import main as simulate_main

HHMM = re.compile(r"^\d\d:\d\d$")


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    d = tmp_path_factory.mktemp("replay")
    home, areas = d / "home.jsonl", d / "areas.json"
    assert simulate_main(["--days", "10", "--out", str(home), "--areas", str(areas)]) == 0
    out = d / "report.json"
    assert (
        main(
            [
                "replay",
                str(home),
                "--areas",
                str(areas),
                "--db",
                str(d / "g.db"),
                "--json",
                str(out),
            ]
        )
        == 0
    )
    return d, json.loads(out.read_text())


def test_report_sections(replayed: tuple[Path, dict[str, object]]) -> None:
    _, report = replayed
    assert set(report) >= {"meta", "episodes", "routines", "sequences", "preferences", "memories"}


def test_episodes_have_iso_times_with_offset(replayed: tuple[Path, dict[str, object]]) -> None:
    _, report = replayed
    episodes = report["episodes"]
    assert isinstance(episodes, list)
    kinds = {e["kind"] for e in episodes}
    assert {"sleep", "away"} <= kinds
    for e in episodes:
        start, end = datetime.fromisoformat(e["start"]), datetime.fromisoformat(e["end"])
        assert start.utcoffset() is not None
        assert start <= end
        assert "detail" in e
    assert episodes[0]["start"].endswith("+01:00")  # the offset the events carry


def test_routines_schema(replayed: tuple[Path, dict[str, object]]) -> None:
    _, report = replayed
    routines = report["routines"]
    assert isinstance(routines, list)
    assert {"wake_up", "go_to_bed", "leave_home", "arrive_home", "habit"} <= {
        r["kind"] for r in routines
    }
    for r in routines:
        assert HHMM.match(r["time"])
        assert r["days"] in ("daily", "weekdays", "weekends") or (
            isinstance(r["days"], list) and all(0 <= d <= 6 for d in r["days"])
        )
        for key in ("label", "spread_min", "support_days", "confidence", "entities", "evidence"):
            assert key in r


def test_sequences_and_preferences_schema(replayed: tuple[Path, dict[str, object]]) -> None:
    _, report = replayed
    for s in report["sequences"]:
        assert {"steps", "window_min", "support", "confidence", "lift", "automated"} <= set(s)
    for p in report["preferences"]:
        assert {"kind", "subject", "value", "when"} <= set(p)


def test_tz_option_moves_local_times(replayed: tuple[Path, dict[str, object]]) -> None:
    d, report = replayed
    out = d / "utc.json"
    assert (
        main(
            [
                "replay",
                str(d / "home.jsonl"),
                "--areas",
                str(d / "areas.json"),
                "--db",
                str(d / "g2.db"),
                "--json",
                str(out),
                "--tz",
                "UTC",
            ]
        )
        == 0
    )
    utc = json.loads(out.read_text())
    local = {
        r["key"]: r["time"] for r in report["routines"] if r["key"].startswith("wake_up:person")
    }
    moved = {r["key"]: r["time"] for r in utc["routines"] if r["key"].startswith("wake_up:person")}
    assert local
    for key, hhmm in local.items():
        if key in moved:
            h, m = map(int, hhmm.split(":"))
            h2, m2 = map(int, moved[key].split(":"))
            assert (h * 60 + m - (h2 * 60 + m2)) % 1440 == 60
    assert utc["episodes"][0]["start"].endswith("+00:00")
