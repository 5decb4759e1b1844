#!/usr/bin/env python3
"""Galatea capture hook for coding assistants (Claude Code style hooks). Python 3.9+, stdlib only.

Reads the hook's JSON from stdin (``session_id``, ``hook_event_name``, ``tool_name``, ``prompt``,
``cwd``...) and posts ONE compact event to Galatea's webhook: a session start/end, a prompt
submitted (its length, never its text unless ``GALATEA_SEND_PROMPT=1``), a tool used (its name,
never its input). When Home Assistant cannot be reached the event goes to a local queue file
(bounded) and is sent with the next event that gets through. It always exits 0 and prints
nothing, so it can never break or slow down the assistant for long (``GALATEA_TIMEOUT``, 2 s).

Set-up (Claude Code): add this command to the ``SessionStart``, ``UserPromptSubmit``,
``PostToolUse`` (matcher ``*``), ``Stop`` and ``SessionEnd`` hooks in ``~/.claude/settings.json``
(the README has the full JSON)::

    python3 ~/.local/share/galatea/galatea_agent_hook.py

and in the environment the assistant runs in::

    export GALATEA_URL="http://homeassistant.local:8123/api/webhook/<id from Galatea's options>"
    export GALATEA_ACTOR="person.anna"        # optional: who is typing
    export GALATEA_DEVICE="laptop"            # optional: default is the host name

Other settings: ``GALATEA_SEND_PROMPT=1`` (include the prompt, cut to 500 characters),
``GALATEA_SEND_CWD=1`` (full working directory instead of its last part),
``GALATEA_AGENT=claude-code`` (the assistant's name), ``GALATEA_QUEUE`` (queue file, default
``~/.cache/galatea/queue.jsonl``), ``GALATEA_QUEUE_MAX`` (lines kept, default 1000),
``GALATEA_TIMEOUT`` (seconds, default 2).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

MAX_STDIN = 1024 * 1024
MAX_PROMPT = 500
BATCH = 100

# hook_event_name -> activity kind; others are ignored.
KINDS = {
    "SessionStart": "session_start",
    "SessionEnd": "session_end",
    "UserPromptSubmit": "prompt_submitted",
    "PostToolUse": "tool_use",
    "Stop": "agent_turn_end",
    "SubagentStop": "agent_turn_end",
    "Notification": "notification",
}


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _short(value: Any, limit: int = 120) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\n", " ").strip()
    return text[:limit] or None


def build_event(hook: dict[str, Any], now: datetime | None = None) -> dict[str, Any] | None:
    """The compact event for one hook call, or None for hooks Galatea does not record."""
    name = hook.get("hook_event_name")
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        return None
    agent = os.environ.get("GALATEA_AGENT", "claude-code")[:64]
    data: dict[str, Any] = {"agent": agent, "hook": name}
    cwd = hook.get("cwd")
    if isinstance(cwd, str) and cwd:
        data["cwd" if os.environ.get("GALATEA_SEND_CWD") == "1" else "project"] = (
            cwd if os.environ.get("GALATEA_SEND_CWD") == "1" else os.path.basename(cwd.rstrip("/"))
        )[:255]
    state = None
    if kind == "prompt_submitted":
        prompt = hook.get("prompt")
        if isinstance(prompt, str):
            data["prompt_chars"] = len(prompt)
            if os.environ.get("GALATEA_SEND_PROMPT") == "1":
                data["prompt"] = prompt[:MAX_PROMPT]
    elif kind == "tool_use":
        state = _short(hook.get("tool_name"), 64)
    elif kind in ("session_start", "session_end"):
        data["reason"] = _short(hook.get("source") or hook.get("reason"), 64)
    elif kind == "notification":
        data["message"] = _short(hook.get("message"), 200)
    event: dict[str, Any] = {
        "kind": kind,
        "ts": (now or datetime.now(timezone.utc)).isoformat(),  # noqa: UP017 - 3.9
        "device": (os.environ.get("GALATEA_DEVICE") or socket.gethostname())[:255],
        "data": {k: v for k, v in data.items() if v is not None},
        "summary": f"{agent}: {kind.replace('_', ' ')}" + (f" ({state})" if state else ""),
    }
    if state:
        event["state"] = state
    session = _short(hook.get("session_id"), 255)
    if session:
        event["context_id"] = session
    actor = os.environ.get("GALATEA_ACTOR")
    if actor:
        event["actor"] = actor[:255]
        event["actor_kind"] = "person" if actor.startswith("person.") else "user"
    return event


# -- delivery with a local queue (shared with galatea_shell_hook.py) ------------------------


def queue_path() -> Path:
    default = Path.home() / ".cache" / "galatea" / "queue.jsonl"
    return Path(os.environ.get("GALATEA_QUEUE") or default)


class _Lock:
    """An exclusive lock on the queue file (several hooks may run at once)."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_suffix(path.suffix + ".lock")
        self.fh: Any = None

    def __enter__(self) -> _Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a")
        try:
            import fcntl

            fcntl.flock(self.fh, fcntl.LOCK_EX)
        except (ImportError, OSError):
            pass
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()


def _post(url: str, body: Any, timeout: float) -> int:
    data = json.dumps(body, separators=(",", ":")).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def deliver(event: dict[str, Any]) -> str:
    """Send the queue then ``event``; queue it when HA is unreachable. Returns what happened."""
    url = os.environ.get("GALATEA_URL", "").strip()
    path = queue_path()
    limit = max(1, _env_int("GALATEA_QUEUE_MAX", 1000))
    timeout = float(_env_int("GALATEA_TIMEOUT", 2))
    with _Lock(path):
        queued: list[dict[str, Any]] = []
        if path.exists():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    item = json.loads(line)
                except ValueError:
                    continue
                if isinstance(item, dict):
                    queued.append(item)
        pending = [*queued, event]
        if not url:
            _write_queue(path, pending, limit)
            return "queued"
        sent = 0
        try:
            while sent < len(pending):
                chunk = pending[sent:sent + BATCH]
                status = _post(url, {"events": chunk}, timeout)
                if status in (400, 413) and len(chunk) > 1:
                    # One bad or oversized old line must not block the rest: send one by one.
                    for item in chunk:
                        _post(url, item, timeout)
                elif status >= 500 or status in (404, 405):
                    break
                sent += len(chunk)
        except (OSError, urllib.error.URLError, ValueError):
            pass
        _write_queue(path, pending[sent:], limit)
        return "sent" if sent == len(pending) else "queued"


def _write_queue(path: Path, items: list[dict[str, Any]], limit: int) -> None:
    items = items[-limit:]
    if not items:
        if path.exists():
            path.unlink()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(i, separators=(",", ":")) + "\n" for i in items),
                   encoding="utf-8")
    os.replace(tmp, path)


def main() -> int:
    try:
        raw = sys.stdin.buffer.read(MAX_STDIN + 1)
        if len(raw) > MAX_STDIN:
            return 0
        hook = json.loads(raw.decode("utf-8", errors="replace") or "{}")
        if not isinstance(hook, dict):
            return 0
        event = build_event(hook)
        if event is not None:
            deliver(event)
    except Exception:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
