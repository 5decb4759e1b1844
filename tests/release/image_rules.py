"""What the add-on image may install, checked from its Dockerfile, install.sh and lock file.

The rules (addon/DOCS.md, "The image"):
- Galatea's own code never comes from a package index: the engine is ``galatea-home-engine``
  (our name) installed ``--no-index`` from the build context's ``wheels/``, pinned to the add-on
  version; the service is copied from the context.
- Everything else comes from the index only as ``name==version`` with ``--hash`` for each file,
  installed ``--require-hashes --no-deps`` (nothing resolved at build time), wheels only.
- No ``galatea*`` name other than ours is installed from anywhere (``galatea`` on the index is an
  unrelated project).
- The Dockerfile installs nothing itself: its RUN lines only call install.sh, clean up, or chmod.
Each function returns a list of problems (empty = as the rules say).
"""

from __future__ import annotations

import re
import shlex

OWN_DISTRIBUTION = "galatea-home-engine"
RE_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[A-Za-z0-9_,.-]+\])?"
                    r"==(?P<version>[^\s=;]+)$")
RE_LITERAL_VERSION = re.compile(r"^[0-9][A-Za-z0-9.+!_-]*$")
RE_HASH = re.compile(r"^--hash=sha256:[0-9a-f]{64}$")
PIP_INSTALLERS = ("pip", "pip3", "uv", "easy_install", "poetry", "pipx", "conda")
OTHER_FETCHERS = ("apk", "curl", "wget", "git", "npm")


def normalize(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    return [line.strip() for line in joined.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def dockerfile_run_commands(dockerfile: str) -> list[str]:
    """The shell commands of every RUN instruction (``&&``/``;`` split), in order."""
    commands = []
    for line in logical_lines(dockerfile):
        instruction, _, rest = line.partition(" ")
        if instruction.upper() == "RUN":
            commands += [c.strip() for c in re.split(r"&&|;|\|\|", rest) if c.strip()]
    return commands


def check_dockerfile(dockerfile: str) -> list[str]:
    problems = []
    commands = dockerfile_run_commands(dockerfile)
    installs = [c for c in commands if re.fullmatch(
        r'sh /tmp/galatea/install\.sh python3 "\$\{?BUILD_VERSION\}?"', c)]
    if len(installs) != 1:
        problems.append("the Dockerfile must run install.sh exactly once, as "
                        "`sh /tmp/galatea/install.sh python3 \"${BUILD_VERSION}\"`")
    for command in commands:
        if command in installs:
            continue
        words = shlex.split(command)
        if words[:2] == ["rm", "-rf"] or words[:1] == ["chmod"]:
            continue
        problems.append(f"RUN installs or fetches outside install.sh: {command!r}")
    if not re.search(r"^ARG BUILD_VERSION\s*$", dockerfile, re.M):
        problems.append("the Dockerfile must declare ARG BUILD_VERSION (the add-on version)")
    for line in logical_lines(dockerfile):
        if line.upper().startswith("ADD ") and "://" in line:
            problems.append(f"ADD fetches from the network: {line!r}")
    return problems


def pip_install_commands(script: str) -> list[list[str]]:
    """Every ``... -m pip install ...`` of install.sh, as argument lists after ``install``."""
    found = []
    for line in logical_lines(script):
        words = shlex.split(line, posix=True)
        for i, word in enumerate(words):
            if word == "install" and i >= 1 and words[i - 1] in ("pip", "pip3"):
                found.append(words[i + 1:])
                break
    return found


def check_install_script(script: str) -> list[str]:
    problems = []
    installs = pip_install_commands(script)
    if len(installs) != 2:
        problems.append(f"install.sh must run pip install exactly twice, found {len(installs)}")
    for args in installs:
        requirement_files = [args[i + 1] for i, a in enumerate(args)
                             if a in ("-r", "--requirement")]
        targets = [a for a in args if not a.startswith("-") and a not in requirement_files
                   and args[args.index(a) - 1] not in ("--find-links", "-f")]
        if requirement_files:
            for flag in ("--require-hashes", "--no-deps", "--only-binary=:all:"):
                if flag not in args:
                    problems.append(f"the lock must be installed with {flag}: {args}")
            if targets:
                problems.append(f"a hashed lock install must install nothing else: {targets}")
            if any(not f.endswith("/requirements.txt") for f in requirement_files):
                problems.append(f"only the lock (requirements.txt) may be installed: {args}")
        else:
            for flag in ("--no-index", "--no-deps", "--find-links"):
                if flag not in args:
                    problems.append(f"Galatea's own wheel must be installed with {flag}: {args}")
            if "--find-links" in args and args[args.index("--find-links") + 1] != "$here/wheels":
                problems.append("the engine wheel must come from the build context's wheels/")
            for target in targets:
                match = RE_PIN.match(target)
                if not match or normalize(match.group("name")) != OWN_DISTRIBUTION:
                    problems.append(f"only {OWN_DISTRIBUTION}==VERSION may be installed from the "
                                    f"build context, not {target!r}")
                elif match.group("version") != "$version":
                    problems.append(f"{target!r}: pin it to the add-on version ($version)")
    for line in logical_lines(script):
        words = shlex.split(line)
        if words and (words[0] in PIP_INSTALLERS + OTHER_FETCHERS):
            problems.append(f"install.sh runs {words[0]} directly: {line!r}")
    return problems


def lock_entries(lock: str) -> list[tuple[str, list[str]]]:
    """``(requirement, [--hash=...])`` for every entry of a pip requirements file."""
    entries = []
    for line in logical_lines(lock):
        words = line.split()
        entries.append((words[0], words[1:]))
    return entries


def check_lock(lock: str) -> list[str]:
    problems = []
    entries = lock_entries(lock)
    if not entries:
        problems.append("the lock is empty")
    for requirement, options in entries:
        match = RE_PIN.match(requirement)
        if not match or not RE_LITERAL_VERSION.match(match.group("version")):
            problems.append(f"{requirement!r} is not pinned as name==version")
            continue
        if normalize(match.group("name")).startswith("galatea"):
            problems.append(f"{requirement!r}: Galatea is never installed from a package index")
        hashes = [o for o in options if RE_HASH.match(o)]
        if not hashes:
            problems.append(f"{requirement!r} has no --hash=sha256:...")
        if len(hashes) != len(options):
            problems.append(f"{requirement!r} has options other than hashes: {options}")
    return problems


def pinned_versions(lock: str) -> dict[str, str]:
    """Normalised name -> pinned version."""
    found = {}
    for requirement, _ in lock_entries(lock):
        match = RE_PIN.match(requirement)
        if match:
            found[normalize(match.group("name"))] = match.group("version")
    return found
