"""The add-on image's Python environment, proved without Docker.

With only what the image's build context holds (scripts/tools/addon_context.py: addon/ plus the
engine wheel built from this repository), a clean Python 3.14 venv is installed exactly as the
Dockerfile says (its one RUN line that installs calls install.sh; the same script runs here), the
service is started from that venv (no PYTHONPATH, not from the repository) with the environment
the Supervisor gives it, and its HTTP API answers. The third-party wheels come from the package
index, checked against the lock's hashes, so this test needs the index.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from galatea_engine.store import ActivityStore
from packaging.requirements import Requirement

from tests.addon.conftest import seed
from tests.addon.fake_supervisor import FakeSupervisor

from . import image_rules as rules

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "addon"
TOKEN = "supervisor-token-for-the-image-test"


def _load_script(name: str) -> ModuleType:
    path = ROOT / "scripts" / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"galatea_tools_{name}", path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


addon_context = _load_script("addon_context")
lock_tool = _load_script("lock_addon_requirements")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this machine's pip/uv settings or the test venv's paths: the
    install sees what a Docker build would. Only the CA bundle and timeout (transport, not
    content) are kept."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "UV_", "PYTHON", "VIRTUAL_ENV", "GALATEA_", "SUPERVISOR"))
           or k in ("PIP_CERT", "PIP_DEFAULT_TIMEOUT")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env.update(extra)
    return env


def python314() -> str:
    for candidate in (os.environ.get("GALATEA_PYTHON"), getattr(sys, "_base_executable", None),
                      shutil.which("python3.14")):
        if candidate and subprocess.run(
            [candidate, "-c", "import sys; sys.exit(sys.version_info[:2] != (3, 14))"],
            check=False).returncode == 0:
            return candidate
    pytest.fail("no Python 3.14 interpreter to make the image's venv with (set GALATEA_PYTHON)")


def make_clean_venv(python: str, target: Path) -> Path:
    """``python -m venv`` (pip included, as in the image). A distribution-packaged interpreter
    whose ensurepip cannot run gets pip from the wheel the distribution ships instead."""
    made = subprocess.run([python, "-m", "venv", str(target)], env=clean_env(),
                          capture_output=True, text=True, check=False)
    venv_python = target / "bin" / "python"
    if made.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run([python, "-m", "venv", "--without-pip", str(target)], env=clean_env(),
                       check=True)
        base = subprocess.run([python, "-c", "import sys; print(sys.base_prefix)"],
                              capture_output=True, text=True, check=True).stdout.strip()
        wheels = sorted((Path(base) / "share" / "python-wheels").glob("pip-*.whl"))
        if not wheels:
            pytest.fail(f"`{python} -m venv` failed and no pip wheel to bootstrap:\n"
                        f"{made.stderr}")
        subprocess.run([str(venv_python), f"{wheels[-1]}/pip", "install", "--quiet",
                        "--no-index", str(wheels[-1])], env=clean_env(), check=True)
    return venv_python


@dataclass
class Image:
    context: Path
    python: Path
    version: str
    install_log: str


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    tmp = tmp_path_factory.mktemp("image")
    uv = ROOT / ".cache" / "uv" / "bin" / "uv"  # scripts/_python.sh's pinned uv, when present
    context = addon_context.assemble(tmp / "context", uv=str(uv) if uv.is_file() else None)
    version = addon_context.addon_version()
    python = make_clean_venv(python314(), tmp / "venv")
    # Exactly the Dockerfile's install line, with the venv's python for the image's python3.
    installed = subprocess.run(["sh", str(context / "install.sh"), str(python), version],
                               cwd=tmp, env=clean_env(), capture_output=True, text=True,
                               check=False, timeout=900)
    log = installed.stdout + installed.stderr
    assert installed.returncode == 0, log
    return Image(context, python, version, log)


def test_build_context_is_the_addon_folder_plus_the_engine_wheel(image: Image) -> None:
    def files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}

    extra = files(image.context) - files(ADDON)
    assert extra == {f"wheels/galatea_home_engine-{image.version}-py3-none-any.whl"}
    with zipfile.ZipFile(image.context / sorted(extra)[0]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(f"galatea_home_engine-{image.version}.dist-info/METADATA").decode()
    assert f"Name: {rules.OWN_DISTRIBUTION}\n" in metadata
    assert f"Version: {image.version}\n" in metadata
    assert {n.split("/")[0] for n in names} == {
        "galatea_engine", f"galatea_home_engine-{image.version}.dist-info"}
    assert "galatea_engine/loop.py" in names


def test_engine_wheel_is_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With SOURCE_DATE_EPOCH fixed (the workflows use the commit time), the same source gives
    the same wheel, byte for byte: the image's engine can be checked against the release's."""
    uv = ROOT / ".cache" / "uv" / "bin" / "uv"
    builder = str(uv) if uv.is_file() else None
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764720000")
    wheels = [addon_context.build_engine_wheel(tmp_path / name, uv=builder) for name in "ab"]
    assert wheels[0].name == wheels[1].name
    assert wheels[0].read_bytes() == wheels[1].read_bytes()


def test_environment_is_the_lock_plus_galatea(image: Image) -> None:
    listed = subprocess.run([str(image.python), "-m", "pip", "list", "--format=json"],
                            env=clean_env(), capture_output=True, text=True, check=True)
    installed = {rules.normalize(p["name"]): p["version"] for p in json.loads(listed.stdout)}
    expected = rules.pinned_versions((ADDON / "requirements.txt").read_text())
    expected[rules.OWN_DISTRIBUTION] = image.version
    installed.pop("pip")
    assert installed == expected
    where = subprocess.run(
        [str(image.python), "-c",
         "import json, galatea_addon, galatea_engine; print(json.dumps("
         "[galatea_addon.__file__, galatea_engine.__file__, galatea_addon.__version__]))"],
        cwd=image.context.parent, env=clean_env(), capture_output=True, text=True, check=True)
    addon_file, engine_file, addon_version = json.loads(where.stdout)
    venv = image.python.parent.parent
    assert Path(addon_file).is_relative_to(venv)
    assert Path(engine_file).is_relative_to(venv)
    assert addon_version == image.version


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def supervisor(socket_enabled: None) -> AsyncIterator[FakeSupervisor]:
    sup = FakeSupervisor(TOKEN)
    await sup.start()
    yield sup
    await sup.stop()


async def test_service_from_the_image_environment_answers(
    image: Image, supervisor: FakeSupervisor, tmp_path: Path
) -> None:
    """``python3 -m galatea_addon`` (what the s6 service runs) from the installed venv."""
    config_dir, data_dir = tmp_path / "homeassistant", tmp_path / "data"
    config_dir.mkdir()
    data_dir.mkdir()
    store = ActivityStore(f"sqlite:///{config_dir / 'galatea.db'}")
    seed(store)
    store.stop()
    (data_dir / "options.json").write_text(json.dumps(
        {"log_level": "info", "engine_interval": 5, "nightly_hour": 3, "max_memory_mb": 256,
         "max_threads": 2}))
    port = free_port()
    log = tmp_path / "addon.log"
    env = clean_env(
        PYTHONUNBUFFERED="1", GALATEA_OPTIONS=str(data_dir / "options.json"),
        GALATEA_DATA_DIR=str(data_dir), GALATEA_CONFIG_DIR=str(config_dir),
        SUPERVISOR_TOKEN=TOKEN, GALATEA_SUPERVISOR_URL=supervisor.url,
        GALATEA_HA_URL=supervisor.url + "/core", GALATEA_HOST="127.0.0.1",
        GALATEA_PORT=str(port), GALATEA_ANNOUNCE_HOST="127.0.0.1",
        GALATEA_INGRESS_PROXY="127.0.0.1", GALATEA_ENGINE_INTERVAL_MIN="0.02",
    )
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, then polled over HTTP
        [str(image.python), "-m", "galatea_addon"], cwd=tmp_path, env=env,
        stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        await asyncio.wait_for(supervisor.discovered.wait(), 60)
        token = supervisor.discoveries[0]["config"]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        body: dict[str, Any] = {}
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/api/health",
                                        headers=auth) as resp:
                        assert resp.status == 200
                        body = await resp.json()
                except aiohttp.ClientError:
                    body = {}
                if body.get("engine", {}).get("runs", 0) >= 1 or proc.poll() is not None:
                    break
                await asyncio.sleep(0.2)
            assert body.get("engine", {}).get("runs", 0) >= 1, log.read_text()
            assert body["engine"]["last_error"] is None, body["engine"]
            async with http.get(f"http://127.0.0.1:{port}/api/routines", headers=auth) as resp:
                assert resp.status == 200
                assert isinstance(await resp.json(), list | dict)
            async with http.get(f"http://127.0.0.1:{port}/",
                                headers={"X-Ingress-Path": "/api/hassio_ingress/x"}) as resp:
                assert resp.status == 200
                assert "<title>Galatea</title>" in await resp.text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


# The install rules, on the real files and on broken copies (so they are not a rubber stamp).


def test_dockerfile_installs_only_through_install_sh() -> None:
    assert rules.check_dockerfile((ADDON / "Dockerfile").read_text()) == []


def test_install_script_follows_the_rules() -> None:
    assert rules.check_install_script((ADDON / "install.sh").read_text()) == []


def test_lock_is_pinned_and_hashed() -> None:
    assert rules.check_lock((ADDON / "requirements.txt").read_text()) == []


def test_lock_covers_what_pyproject_declares() -> None:
    """Every requirement of the engine and its addon/llm/postgres extras is in the lock, at a
    version pyproject.toml allows (re-lock with scripts/tools/lock_addon_requirements.py)."""
    pinned = rules.pinned_versions((ADDON / "requirements.txt").read_text())
    for text in lock_tool.declared_requirements(ROOT):
        requirement = Requirement(text)
        name = rules.normalize(requirement.name)
        assert name in pinned, f"{text} is not in addon/requirements.txt"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (text, pinned[name])
        for extra in requirement.extras:  # psycopg[binary] -> psycopg-binary
            assert f"{name}-{extra}" in pinned, f"{text}: {name}-{extra} is not locked"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('RUN pip3 install "galatea[addon,llm,postgres]==0.1.0"', "outside install.sh"),
        ("RUN pip3 install aiohttp", "outside install.sh"),
        ("RUN apk add --no-cache gcc", "outside install.sh"),
        ("ADD https://example.org/galatea.whl /tmp/", "network"),
    ],
)
def test_dockerfile_rules_catch_installs(line: str, expected: str) -> None:
    text = (ADDON / "Dockerfile").read_text() + "\n" + line + "\n"
    assert any(expected in p for p in rules.check_dockerfile(text))


def test_dockerfile_rules_want_the_install_script() -> None:
    text = (ADDON / "Dockerfile").read_text().replace("install.sh", "setup.sh")
    assert rules.check_dockerfile(text)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('"galatea-home-engine==$version"', '"galatea==$version"', "only galatea-home-engine"),
        ('"galatea-home-engine==$version"', '"galatea-home-engine"', "only galatea-home-engine"),
        ('"galatea-home-engine==$version"', '"galatea-home-engine==0.1.0"', "add-on version"),
        ("--no-index --find-links", "--find-links", "--no-index"),
        ("--require-hashes --only-binary=:all: --no-deps", "--only-binary=:all: --no-deps",
         "--require-hashes"),
        ('-r "$here/requirements.txt"', '-r "$here/requirements.txt" numpy', "nothing else"),
    ],
)
def test_install_script_rules_catch_mistakes(old: str, new: str, expected: str) -> None:
    text = (ADDON / "install.sh").read_text()
    assert old in text
    problems = rules.check_install_script(text.replace(old, new))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("aiohttp>=3.9 \\\n    --hash=sha256:" + "0" * 64, "not pinned"),
        ("aiohttp==3.14.5", "no --hash"),
        ("galatea==0.2.0 \\\n    --hash=sha256:" + "0" * 64, "never installed from a package"),
        ("numpy==2.3.2 --index-url=https://example.org --hash=sha256:" + "0" * 64,
         "other than hashes"),
    ],
)
def test_lock_rules_catch_mistakes(line: str, expected: str) -> None:
    problems = rules.check_lock(line + "\n")
    assert any(expected in p for p in problems), problems
