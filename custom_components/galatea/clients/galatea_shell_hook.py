#!/usr/bin/env python3
"""Galatea capture hook for bash and zsh. Python 3.9+, stdlib only.

Called by the shell after each command (see ``galatea.bash`` / ``galatea.zsh``) with the command
line on stdin (never on the command line, where ``ps`` would show it)::

    printf '%s' "$cmd" | python3 galatea_shell_hook.py --exit 0 --duration 3 --cwd "$PWD"

It sends ONE event ``{"kind": "command", "state": "<program name>"}`` with the exit code,
duration and the working directory's last part. Arguments are never sent: only the program's
name survives (``FOO=secret sudo -E git push`` becomes ``git``, with ``sudo`` noted). When Home
Assistant cannot be reached the event is queued locally (bounded) and sent later. Always exits 0.

Environment: ``GALATEA_URL`` (the webhook URL from Galatea's options; required to send),
``GALATEA_ACTOR`` (e.g. ``person.anna``), ``GALATEA_DEVICE`` (default: host name),
``GALATEA_SEND_CWD=1`` (full working directory), ``GALATEA_SHELL_IGNORE`` (space-separated program
names never sent; ``cd ls pwd clear history exit`` by default), ``GALATEA_QUEUE``,
``GALATEA_QUEUE_MAX``, ``GALATEA_TIMEOUT`` (as for ``galatea_agent_hook.py``).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
try:  # the queue/delivery code lives in the agent hook (keep both files side by side)
    from galatea_agent_hook import deliver
except ImportError:  # pragma: no cover - installed alone: nothing to send with
    deliver = None  # type: ignore[assignment,unused-ignore]

MAX_COMMAND = 64 * 1024
DEFAULT_IGNORE = "cd ls pwd clear history exit"
WRAPPERS = {"sudo", "doas", "env", "nohup", "time", "nice", "command", "builtin", "exec",
            "caffeinate", "watch", "xargs", "stdbuf", "timeout"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.+@:-]{1,64}$")


def program_name(command: str) -> tuple[str, str | None] | None:
    """(program, wrapper or None) from a command line; arguments are dropped."""
    first = command.strip().splitlines()[0] if command.strip() else ""
    first = re.split(r"\s*(?:\|\||&&|[|;&])\s*", first, maxsplit=1)[0]
    try:
        words: list[str] = shlex.split(first, comments=True)
    except ValueError:
        words = first.split()
    wrapper = None
    i = 0
    while i < len(words):
        word = words[i]
        if _ASSIGNMENT.match(word):  # VAR=value (often a secret): skipped, never sent
            i += 1
            continue
        base = os.path.basename(word)
        if base in WRAPPERS:
            wrapper = wrapper or base
            i += 1
            while i < len(words) and (words[i].startswith("-") or _ASSIGNMENT.match(words[i])
                                      or (base == "timeout" and words[i][:1].isdigit())):
                i += 1
            continue
        if not _SAFE_NAME.match(base):
            return None
        return base, wrapper
    return None


def build_event(command: str, exit_code: int | None, duration: float | None, cwd: str,
                shell: str, now: datetime | None = None) -> dict[str, Any] | None:
    found = program_name(command)
    if found is None:
        return None
    program, wrapper = found
    ignore = set((os.environ.get("GALATEA_SHELL_IGNORE", DEFAULT_IGNORE)).split())
    if program in ignore:
        return None
    data: dict[str, Any] = {"shell": shell[:32]}
    if exit_code is not None:
        data["exit"] = exit_code
    if duration is not None:
        data["duration_s"] = round(max(0.0, duration), 1)
    if wrapper:
        data["via"] = wrapper
    if cwd:
        full = os.environ.get("GALATEA_SEND_CWD") == "1"
        short = os.path.basename(cwd.rstrip("/")) or "/"
        data["cwd" if full else "dir"] = (cwd if full else short)[:255]
    event: dict[str, Any] = {
        "kind": "command",
        "ts": (now or datetime.now(timezone.utc)).isoformat(),  # noqa: UP017 - 3.9
        "state": program,
        "device": (os.environ.get("GALATEA_DEVICE") or socket.gethostname())[:255],
        "data": data,
        "summary": f"ran {program}" + (f" (exit {exit_code})" if exit_code else ""),
    }
    actor = os.environ.get("GALATEA_ACTOR")
    if actor:
        event["actor"] = actor[:255]
        event["actor_kind"] = "person" if actor.startswith("person.") else "user"
    return event


def main(argv: list[str] | None = None) -> int:
    try:
        parser = argparse.ArgumentParser(description="Send one shell command to Galatea.")
        parser.add_argument("--exit", type=int, default=None)
        parser.add_argument("--duration", type=float, default=None)
        parser.add_argument("--cwd", default="")
        parser.add_argument("--shell", default=os.path.basename(os.environ.get("SHELL", "sh")))
        args, _unknown = parser.parse_known_args(argv)
        command = sys.stdin.read(MAX_COMMAND)
        event = build_event(command, args.exit, args.duration, args.cwd, args.shell)
        if event is not None and deliver is not None:
            deliver(event)
    except Exception:
        pass
    except SystemExit:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
