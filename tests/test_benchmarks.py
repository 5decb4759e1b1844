"""Every benchmark script starts as the README says (``.venv/bin/python benchmarks/<name>.py``):
its imports resolve from a checkout and its options parse. The measurements themselves are run
by hand, not in CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Scripts (loaders such as ordonez.py are imported by them, not run).
BENCHMARKS = sorted(
    p for p in (Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py")
    if '__name__ == "__main__"' in p.read_text(encoding="utf-8")
)


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.stem)
def test_benchmark_starts(script: Path) -> None:
    done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                          text=True, timeout=60, cwd=script.parent.parent, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage" in done.stdout.lower()


def test_accuracy_homes_scores_a_replayed_home_like_a_mined_one() -> None:
    """``--replay`` scores the engine's own loop (``galatea replay``); on a week of the single
    home both ways find every night and absence."""
    root = Path(__file__).resolve().parents[1]
    outs = []
    for extra in ([], ["--replay"]):
        done = subprocess.run(
            [sys.executable, str(root / "benchmarks" / "accuracy_homes.py"), "--real",
             "--variants", "single", "--subsets", "all sensors", "--seeds", "1", "--days", "7",
             "--worst", "0", *extra],
            capture_output=True, text=True, timeout=300, cwd=root, check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        row = next(line for line in done.stdout.splitlines() if line.startswith("single /"))
        outs.append(row.split())
    for cells in outs:
        assert cells[4] == "1.00", cells  # nights: recall
        assert cells[5] == "1.00", cells  # ... precision
        assert cells[9] == "1.00", cells  # absences: recall


def test_further_real_homes_are_read_by_their_layout(tmp_path: Path) -> None:
    """``--real-dir`` folders are read by their files: a van Kasteren house of another letter
    (its own place classes and activity spellings) and an Ordóñez home of another name."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import accuracy_homes  # type: ignore[import-not-found]

    house = tmp_path / "houseB"
    house.mkdir()
    (house / "sensorMapB-ids.txt").write_text(
        "3,Hall-Bedroom door,SleepDoor\n7,PIR bathroom,Washroom\n9,Frontdoor,Outside\n",
        encoding="latin-1",
    )
    (house / "actionMapB.txt").write_text("1,leave house\n2,goToBed\n", encoding="latin-1")
    (house / "houseB-ss.txt").write_text(
        "24-Jul-2009 22:00:00\t24-Jul-2009 22:00:05\t3\n"
        "25-Jul-2009 07:00:00\t25-Jul-2009 07:00:40\t7\n"
        "25-Jul-2009 08:00:00\t25-Jul-2009 08:00:03\t9\n",
        encoding="latin-1",
    )
    (house / "houseB-as.txt").write_text(
        "24-Jul-2009 22:01:00\t25-Jul-2009 06:59:00\t2\n"
        "25-Jul-2009 08:00:05\t25-Jul-2009 09:00:00\t1\n",
        encoding="latin-1",
    )
    home = tmp_path / "ordonez_b"
    home.mkdir()
    (home / "OrdonezB_Sensors.txt").write_text(
        "Start time\t\tEnd time\t\tLocation\tType\tPlace\n------\n"
        "2012-11-11 21:00:00\t\t2012-11-11 21:00:09\t\tMaindoor\tMagnetic\tEntrance\n",
        encoding="latin-1",
    )
    (home / "OrdonezB_ADLs.txt").write_text(
        "Start time\t\tEnd time\t\tActivity\n------\n"
        "2012-11-11 21:00:10\t\t2012-11-11 22:00:00\t\tLeaving\n",
        encoding="latin-1",
    )
    found = accuracy_homes.extra_real_homes([str(house), str(home), str(tmp_path / "none")])
    assert [name for name, _ in found] == ["houseB", "ordonez_b"]
    kasteren = accuracy_homes._loader("houseB", house)
    events, areas = kasteren.load_sensors(house)
    assert len(events) == 6
    assert areas["binary_sensor.b3_hall_bedroom_door"] == {
        "area": "Hall", "name": "Hall-Bedroom door", "device_class": "door"
    }
    assert areas["binary_sensor.b7_pir_bathroom"]["area"] == "Washroom"
    assert [lab.activity for lab in kasteren.load_labels(house)] == ["go-to-bed", "leave-house"]
    ordonez = accuracy_homes._loader("ordonez_b", home)
    assert ordonez.__name__ == "ordonez"
    assert [lab.activity for lab in ordonez.load_labels(home)] == ["Leaving"]
