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
