"""``galatea replay FILE... [--db PATH] [--areas AREAS.json]``: ingest replay JSONL into a store.

``ingest`` (in ``..replay``) does the work and returns an ``IngestReport``; ``run`` opens the
store, ingests, prints the summary. Later steps (engine run, ``--json`` report) hook in after
``ingest_files``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..capture.ha_events import StaticRegistry
from ..replay import IngestReport, ingest, load_areas
from ..store import ActivityStore

DEFAULT_DB = "galatea.db"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE",
                        help="replay JSONL: HA events, MQTT {topic,payload,ts}, activities")
    parser.add_argument("--db", default=DEFAULT_DB,
                        help=f"SQLite file or SQLAlchemy URL (default ./{DEFAULT_DB})")
    parser.add_argument("--areas", type=Path, metavar="AREAS.json",
                        help="entity -> area (or {area, floor, device, person}) mapping")
    parser.add_argument("--force", action="store_true",
                        help="ingest files even if this database already has their content")
    parser.add_argument("--json", metavar="OUT",
                        help="run the engine and write the replay report JSON here ('-': stdout)")
    parser.add_argument("--tz", help="the home's time zone (default: the offset the events carry)")
    parser.add_argument("--no-engine", action="store_true", help="only ingest, do not mine")


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "replay", help="ingest recorded HA events / MQTT messages / activities into a store"
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def open_store(db: str) -> ActivityStore:
    """``--db``: a SQLAlchemy URL when it has ``://``, else a SQLite file path."""
    if "://" in db:
        return ActivityStore(db)
    return ActivityStore(path=db)


def ingest_files(
    args: argparse.Namespace, store: ActivityStore, registry: StaticRegistry | None
) -> IngestReport:
    return ingest(args.files, store, registry, skip_seen=not getattr(args, "force", False))


def print_report(report: IngestReport) -> None:
    print(report.summary())
    for err in report.errors[:20]:
        print(f"  rejected {err}", file=sys.stderr)
    if report.rejected > 20:
        print(f"  ... and {report.rejected - 20} more rejected line(s)", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print(f"galatea replay: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        registry = load_areas(args.areas) if args.areas else None
    except (OSError, ValueError) as err:
        print(f"galatea replay: cannot read the areas file: {err}", file=sys.stderr)
        return 2
    store = open_store(args.db)
    try:
        report = ingest_files(args, store, registry)
    finally:
        store.stop()
    print_report(report)
    if getattr(args, "json", None) or not getattr(args, "no_engine", True):
        from ..report import replay_tz, run_engine_and_report

        store = open_store(args.db)
        try:
            result = run_engine_and_report(
                store, tz=replay_tz(args.tz, report.last_ts), json_out=args.json)
        finally:
            store.stop()
        counts = {k: len(v) for k, v in result.items() if isinstance(v, list)}
        print(f"engine: {counts}", file=sys.stderr if args.json == "-" else sys.stdout)
    return 0
