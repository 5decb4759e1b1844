"""The shipped capture clients, run as subprocesses against the real HA webhook."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.galatea.const import CONF_WEBHOOK_ID
from custom_components.galatea.engine.models import ActivityEvent

from .conftest import flush, setup_galatea

CLIENTS = Path(__file__).parents[2] / "custom_components" / "galatea" / "clients"
# The clients promise Python 3.9+: use a 3.9 interpreter when the machine has one.
PY39 = Path.home() / ".pyenv" / "versions" / "3.9.18" / "bin" / "python"
PYTHON = str(PY39) if PY39.exists() else (shutil.which("python3.9") or sys.executable)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def _run(script: str, stdin: bytes, env: dict[str, str], *args: str) -> tuple[int, bytes]:
    proc = await asyncio.create_subprocess_exec(
        PYTHON, str(CLIENTS / script), *args, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={"PATH": os.environ.get("PATH", ""), "HOME": env["HOME"], **env},
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), 30)
    assert proc.returncode is not None
    return proc.returncode, out + err



@pytest.fixture(autouse=True)
async def _unload_galatea(hass: HomeAssistant) -> AsyncIterator[None]:
    """Unload (flush, stop the writer thread) inside the test, not in HA's teardown."""
    yield
    for entry in hass.config_entries.async_entries("galatea"):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
async def _setup(hass: HomeAssistant, tmp_path: Path,
                 hass_client_no_auth: ClientSessionGenerator) -> tuple[MockConfigEntry, str]:
    assert await async_setup_component(hass, "webhook", {})
    entry = await setup_galatea(hass, tmp_path)
    client = await hass_client_no_auth()
    url = str(client.make_url(f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"))
    return entry, url


async def _activity(hass: HomeAssistant, entry: MockConfigEntry) -> list[ActivityEvent]:
    await flush(hass, entry)
    store = entry.runtime_data.store
    return await hass.async_add_executor_job(lambda: list(store.iter_activity(source="digital")))


async def test_agent_hook_posts_compact_events(
    hass: HomeAssistant, tmp_path: Path, hass_client_no_auth: ClientSessionGenerator,
    socket_enabled: None,
) -> None:
    entry, url = await _setup(hass, tmp_path, hass_client_no_auth)
    env = {"HOME": str(tmp_path), "GALATEA_URL": url, "GALATEA_ACTOR": "person.anna",
           "GALATEA_DEVICE": "laptop"}
    secret = "my password is hunter2, please refactor the billing module"
    hooks: list[dict[str, Any]] = [
        {"session_id": "s-1", "hook_event_name": "SessionStart", "source": "startup",
         "cwd": "/home/anna/src/galatea"},
        {"session_id": "s-1", "hook_event_name": "UserPromptSubmit", "prompt": secret,
         "cwd": "/home/anna/src/galatea"},
        {"session_id": "s-1", "hook_event_name": "PreToolUse", "tool_name": "Bash",
         "tool_input": {"command": "rm -rf /"}},
        {"session_id": "s-1", "hook_event_name": "PostToolUse", "tool_name": "Bash",
         "tool_input": {"command": "pytest"}, "tool_response": {"stdout": "ok"}},
        {"session_id": "s-1", "hook_event_name": "Stop"},
    ]
    for hook in hooks:
        code, output = await _run("galatea_agent_hook.py", json.dumps(hook).encode(), env)
        assert (code, output) == (0, b"")
    acts = await _activity(hass, entry)
    assert [(a.kind, a.state) for a in acts] == [
        ("session_start", None), ("prompt_submitted", None), ("tool_use", "Bash"),
        ("agent_turn_end", None)]
    assert all(a.context_id == "s-1" and a.actor == "person.anna" and a.device == "laptop"
               for a in acts)
    assert acts[0].data["project"] == "galatea"
    assert acts[1].data["prompt_chars"] == len(secret)
    stored = json.dumps([a.to_dict() for a in acts])
    assert "hunter2" not in stored  # never the prompt unless opted in
    assert "pytest" not in stored  # nor the tool's input
    assert not (tmp_path / ".cache" / "galatea" / "queue.jsonl").exists()
    # Opt-in: the prompt (cut to 500 characters) is sent.
    env["GALATEA_SEND_PROMPT"] = "1"
    await _run("galatea_agent_hook.py", json.dumps(hooks[1]).encode(), env)
    acts = await _activity(hass, entry)
    assert acts[-1].data["prompt"] == secret


async def test_agent_hook_survives_garbage(tmp_path: Path, socket_enabled: None) -> None:
    env = {"HOME": str(tmp_path), "GALATEA_URL": f"http://127.0.0.1:{_closed_port()}/x"}
    for stdin in (b"", b"not json", b"[1,2]", b"\xff\xfe", b'{"hook_event_name": 5}'):
        assert await _run("galatea_agent_hook.py", stdin, env) == (0, b"")
    assert not (tmp_path / ".cache" / "galatea" / "queue.jsonl").exists()


async def test_queue_when_unreachable_then_sent(
    hass: HomeAssistant, tmp_path: Path, hass_client_no_auth: ClientSessionGenerator,
    socket_enabled: None,
) -> None:
    entry, url = await _setup(hass, tmp_path, hass_client_no_auth)
    queue = tmp_path / "q" / "queue.jsonl"
    down = {"HOME": str(tmp_path), "GALATEA_QUEUE": str(queue), "GALATEA_QUEUE_MAX": "3",
            "GALATEA_URL": f"http://127.0.0.1:{_closed_port()}/api/webhook/x"}
    for i in range(5):
        code, _ = await _run("galatea_shell_hook.py", f"make target{i}".encode(), down,
                             "--exit", str(i), "--duration", "1.5", "--cwd", "/srv/project")
        assert code == 0
    lines = queue.read_text().splitlines()
    assert len(lines) == 3  # bounded: the oldest were dropped
    assert [json.loads(line)["data"]["exit"] for line in lines] == [2, 3, 4]
    assert await _activity(hass, entry) == []
    up = {**down, "GALATEA_URL": url}
    code, _ = await _run("galatea_agent_hook.py",
                         json.dumps({"hook_event_name": "SessionEnd", "reason": "exit"}).encode(),
                         up)
    assert code == 0
    assert not queue.exists()
    acts = await _activity(hass, entry)
    assert [(a.kind, a.state) for a in acts] == [
        ("command", "make"), ("command", "make"), ("command", "make"), ("session_end", None)]
    # Queued events keep the time they happened, not the time they were sent.
    assert acts[0].ts < acts[-1].ts


@pytest.mark.parametrize(("command", "expected"), [
    ("git push origin main", ("git", None)),
    ("AWS_SECRET_ACCESS_KEY=abc123 aws s3 ls", ("aws", None)),
    ("sudo -E TOKEN=xyz /usr/bin/apt-get install foo", ("apt-get", "sudo")),
    ("curl -H 'Authorization: Bearer s3cr3t' https://x | jq .", ("curl", None)),
    ("timeout 5 ./deploy.sh --password=p4ss", ("deploy.sh", "timeout")),
    ("cd /tmp", None),  # ignored by default
    ("'unterminated", None),
])
async def test_shell_hook_sends_program_name_only(
    hass: HomeAssistant, tmp_path: Path, hass_client_no_auth: ClientSessionGenerator,
    socket_enabled: None, command: str, expected: tuple[str, str | None] | None,
) -> None:
    entry, url = await _setup(hass, tmp_path, hass_client_no_auth)
    env = {"HOME": str(tmp_path), "GALATEA_URL": url}
    code, out = await _run("galatea_shell_hook.py", command.encode(), env,
                           "--exit", "1", "--duration", "2", "--cwd", "/home/anna/secret-project",
                           "--shell", "zsh")
    assert (code, out) == (0, b"")
    acts = await _activity(hass, entry)
    if expected is None:
        assert acts == []
        return
    (act,) = acts
    assert (act.kind, act.state, act.data.get("via")) == ("command", *expected)
    assert act.data["exit"] == 1
    assert act.data["duration_s"] == 2.0
    assert act.data["dir"] == "secret-project"
    stored = json.dumps(act.to_dict())
    for secret in ("abc123", "xyz", "s3cr3t", "p4ss", "origin", "/home/anna"):
        assert secret not in stored


@pytest.mark.parametrize("shell", ["bash", "zsh"])
async def test_shell_snippet_reports_commands(tmp_path: Path, shell: str) -> None:
    """The bash/zsh snippet, sourced in an interactive shell, queues what was run (HA down)."""
    if shutil.which(shell) is None:
        pytest.skip(f"no {shell} here")
    queue = tmp_path / "queue.jsonl"
    env = {"HOME": str(tmp_path), "GALATEA_QUEUE": str(queue), "GALATEA_URL": "",
           "GALATEA_HOOK": str(CLIENTS / "galatea_shell_hook.py"), "HISTFILE": "/dev/null",
           "PATH": f"{Path(PYTHON).parent}:{os.environ.get('PATH', '')}", "PS1": "$ "}
    script = (f"source {CLIENTS / ('galatea.' + shell)}\n"
              "true --flag=secret\n\n"
              "false\n"
              "exit\n")
    proc = await asyncio.create_subprocess_exec(
        *([shell, "--norc", "--noprofile", "-i"] if shell == "bash" else [shell, "-f", "-i"]),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    await asyncio.wait_for(proc.communicate(script.encode()), 30)
    for _ in range(100):  # the hook runs in the background
        if queue.exists() and len(queue.read_text().splitlines()) >= 2:
            break
        await asyncio.sleep(0.1)
    events = [json.loads(line) for line in queue.read_text().splitlines()]
    await asyncio.sleep(0.5)  # nothing else (e.g. the "source" line) arrives late
    events = [json.loads(line) for line in queue.read_text().splitlines()]
    # Background hooks may finish in any order.
    assert sorted((e["state"], e["data"]["exit"]) for e in events) == [("false", 1), ("true", 0)]
    assert "secret" not in queue.read_text()
