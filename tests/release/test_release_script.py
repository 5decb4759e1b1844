"""scripts/release: one version, bumped in every place, and nothing else changed."""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "release"
PLACES = ("custom_components/galatea/manifest.json", "pyproject.toml", "addon/config.yaml",
          "addon/galatea_addon/__init__.py")
CHANGELOG = "addon/CHANGELOG.md"
NOTES = "- Routines learn faster.\n- The add-on image is smaller."


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args, "--root", str(root)],
                          capture_output=True, text=True, check=False)


def current(root: Path = ROOT) -> str:
    result = run(root, "--check")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the files that carry the version, with release notes under "Unreleased"."""
    for name in (*PLACES, CHANGELOG):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    changelog = tmp_path / CHANGELOG
    text = changelog.read_text(encoding="utf-8")
    if "## Unreleased\n" in text:
        text = text.replace("## Unreleased\n", f"## Unreleased\n\n{NOTES}\n", 1)
    else:
        text = text.replace("# Changelog\n", f"# Changelog\n\n## Unreleased\n\n{NOTES}\n", 1)
    changelog.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_repository_agrees_on_one_version() -> None:
    assert current()


def test_release_bumps_every_place_and_nothing_else(repo: Path) -> None:
    before = {name: (repo / name).read_text(encoding="utf-8") for name in (*PLACES, CHANGELOG)}
    old = current(repo)
    new = "9.8.7"
    result = run(repo, new)
    assert result.returncode == 0, result.stderr
    assert current(repo) == new
    for name in PLACES:
        after = (repo / name).read_text(encoding="utf-8")
        changed = [line for line in difflib.ndiff(before[name].splitlines(), after.splitlines())
                   if line.startswith(("- ", "+ "))]
        assert len(changed) == 2, (name, changed)  # one line out, one line in
        assert old in changed[0]
        assert new in changed[1]
        assert changed[0].replace(old, new)[2:] == changed[1][2:]
    changelog = (repo / CHANGELOG).read_text(encoding="utf-8")
    assert "## Unreleased" not in changelog
    assert f"## {new}\n" in changelog
    assert f"## {old}\n" in changelog
    notes = run(repo, "--notes")
    assert notes.returncode == 0
    assert NOTES in notes.stdout
    assert f"## {old}" not in notes.stdout


def test_the_image_build_sees_the_new_version(repo: Path) -> None:
    """The build context script reads the same places (and refuses a disagreement)."""
    sys.path.insert(0, str(ROOT / "scripts" / "tools"))
    try:
        import addon_context
    finally:
        sys.path.pop(0)
    assert run(repo, "1.0.0rc1").returncode == 0
    assert addon_context.check_versions(repo) == "1.0.0rc1"
    (repo / PLACES[0]).write_text(
        (repo / PLACES[0]).read_text().replace('"1.0.0rc1"', '"1.0.0"'), encoding="utf-8")
    with pytest.raises(addon_context.ContextError, match="disagree"):
        addon_context.check_versions(repo)


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("0.0.1", "not newer"),
        ("v1.0.0", "not a version"),
        ("1.0", "not a version"),
        ("1.0.0-beta", "not a version"),
    ],
)
def test_release_refuses_bad_versions(repo: Path, version: str, message: str) -> None:
    before = {name: (repo / name).read_text(encoding="utf-8") for name in PLACES}
    result = run(repo, version)
    assert result.returncode == 1
    assert message in result.stderr
    assert before == {name: (repo / name).read_text(encoding="utf-8") for name in PLACES}


def test_release_needs_notes(repo: Path) -> None:
    changelog = repo / CHANGELOG
    changelog.write_text(changelog.read_text().replace("## Unreleased", "## Later"))
    result = run(repo, "5.0.0")
    assert result.returncode == 1
    assert "Unreleased" in result.stderr
    assert current(repo) != "5.0.0"


def test_check_reports_a_disagreement(repo: Path) -> None:
    init = repo / "addon" / "galatea_addon" / "__init__.py"
    init.write_text(init.read_text().replace(f'"{current(repo)}"', '"7.7.7"'))
    result = run(repo, "--check")
    assert result.returncode == 1
    assert "disagree" in result.stderr
    assert run(repo, "8.0.0").returncode == 1  # nor does it release from a mixed state


def test_prereleases_order_before_their_release(repo: Path) -> None:
    assert run(repo, "5.0.0b1").returncode == 0
    changelog = repo / CHANGELOG
    changelog.write_text(changelog.read_text().replace("# Changelog\n",
                                                       "# Changelog\n\n## Unreleased\n\n- x\n"))
    assert "not newer" in run(repo, "5.0.0a3").stderr
    assert run(repo, "5.0.0").returncode == 0
