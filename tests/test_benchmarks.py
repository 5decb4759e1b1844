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
