"""The GitHub workflows: actionlint finds nothing, they run what the release needs, and every
script they call exists (and is tested: scripts/release in test_release_script.py,
scripts/tools/addon_context.py in test_addon_image.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def actionlint() -> str:
    found = Path(sys.executable).parent / "actionlint"
    if found.is_file():
        return str(found)
    on_path = shutil.which("actionlint")
    if on_path:
        return on_path
    pytest.skip("actionlint is not installed in the test venv (requirements_test.txt)")


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def uses(workflow: dict[str, Any]) -> list[str]:
    return [s["uses"] for s in steps(workflow) if "uses" in s] + [
        job["uses"] for job in workflow["jobs"].values() if "uses" in job]


def runs(workflow: dict[str, Any]) -> str:
    return "\n".join(s["run"] for s in steps(workflow) if "run" in s)


def test_actionlint_finds_nothing() -> None:
    result = subprocess.run([actionlint(), "-no-color"], cwd=ROOT, capture_output=True,
                            text=True, check=False, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_is_not_a_rubber_stamp(tmp_path: Path) -> None:
    broken = (WORKFLOWS / "ci.yaml").read_text(encoding="utf-8").replace(
        "needs: addon-lint", "needs: addon-lnt")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    target = tmp_path / ".github" / "workflows" / "ci.yaml"
    target.write_text(broken, encoding="utf-8")
    result = subprocess.run([actionlint(), "-no-color", str(target)], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "addon-lnt" in result.stdout


def test_ci_runs_every_check() -> None:
    ci = load("ci.yaml")
    assert {"push", "pull_request"} <= set(ci["on"])
    assert "scripts/test" in runs(ci)  # the README's test command
    actions = uses(ci)
    assert any(u.startswith("home-assistant/actions/hassfest@") for u in actions)
    assert any(u.startswith("hacs/action@") for u in actions)
    assert any(u.startswith("frenck/action-addon-linter@") for u in actions)
    assert "./.github/workflows/addon-image.yaml" in actions
    hacs = next(s for s in steps(ci) if s.get("uses", "").startswith("hacs/action@"))
    assert hacs["with"]["category"] == "integration"
    lint = next(s for s in steps(ci) if s.get("uses", "").startswith("frenck/action-addon-lint"))
    assert lint["with"]["path"] == "./addon"
    assert ci["jobs"]["addon-image"]["with"]["publish"] is False


def test_image_workflow_builds_from_the_assembled_context() -> None:
    image = load("addon-image.yaml")
    text = runs(image)
    assert "scripts/tools/addon_context.py build/addon" in text
    assert "scripts/tools/addon_context.py --github-output" in text
    build = next(s for s in steps(image)
                 if s.get("uses", "").startswith("home-assistant/builder/actions/build-image@"))
    assert build["with"]["context"] == "./build/addon"
    assert any(u.startswith("home-assistant/builder/actions/publish-multi-arch-manifest@")
               for u in uses(image))


def test_release_bumps_tests_then_publishes_images_before_main_moves() -> None:
    release = load("release.yaml")
    jobs = release["jobs"]
    assert 'scripts/release "$VERSION"' in runs(release)
    assert "scripts/test" in runs(release)
    assert jobs["image"]["uses"] == "./.github/workflows/addon-image.yaml"
    assert jobs["image"]["with"]["publish"] is True
    assert set(jobs["image"]["needs"]) == {"bump", "tests"}
    assert "image" in jobs["publish"]["needs"]
    assert "refs/heads/main" in runs({"jobs": {"publish": jobs["publish"]}})


def test_every_script_a_workflow_calls_exists() -> None:
    called = set()
    for path in WORKFLOWS.glob("*.yaml"):
        called |= set(re.findall(r"\bscripts/[\w./-]+", runs(load(path.name))))
    assert called, "the workflows call the project's scripts"
    for script in called:
        target = ROOT / script
        assert target.is_file(), script
        if target.suffix != ".py":
            assert os.access(target, os.X_OK), f"{script} is not executable"
