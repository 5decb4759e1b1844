"""``galatea activity --db PATH [--since ISO] [--source S] [--json]``: print stored activity."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..models import ActivityEvent, ValidationError, parse_ts
from .replay import DEFAULT_DB, open_store


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "activity", help="print the stored activity log (JSONL with --json)"
    )
    parser.add_argument("--db", default=DEFAULT_DB,
                        help=f"SQLite file or SQLAlchemy URL (default ./{DEFAULT_DB})")
    parser.add_argument("--since", help="only activity at/after this ISO-8601 time")
    parser.add_argument("--until", help="only activity before this ISO-8601 time")
    parser.add_argument("--source", help="only this source (ha, frigate, digital, backfill)")
    parser.add_argument("--kind", help="only this kind")
    parser.add_argument("--entity", help="only this entity_id")
    parser.add_argument("--limit", type=int, help="print at most this many")
    parser.add_argument("--json", action="store_true",
                        help="one ActivityEvent JSON object per line")
    parser.set_defaults(func=run)


def format_line(ev: ActivityEvent) -> str:
    """A readable one-line rendering."""
    where = f" [{ev.area}]" if ev.area else ""
    who = f" by {ev.actor}" if ev.actor else ""
    what = ev.summary or " ".join(x for x in (ev.entity_id, ev.state) if x) or ev.kind
    return f"{ev.id:>8} {ev.ts.isoformat()} {ev.source:<8} {ev.kind:<16} {what}{where}{who}"


def run(args: argparse.Namespace) -> int:
    try:
        start = parse_ts(args.since, "--since") if args.since else None
        end = parse_ts(args.until, "--until") if args.until else None
    except ValidationError as err:
        print(f"galatea activity: {err}", file=sys.stderr)
        return 2
    if "://" not in args.db and not Path(args.db).is_file():
        print(f"galatea activity: no database at {args.db}", file=sys.stderr)
        return 2
    store = open_store(args.db)
    printed = 0
    try:
        for ev in store.iter_activity(start=start, end=end, source=args.source, kind=args.kind,
                                      entity_id=args.entity):
            if args.limit is not None and printed >= args.limit:
                break
            if args.json:
                sys.stdout.write(json.dumps(ev.to_dict(), ensure_ascii=False) + "\n")
            else:
                sys.stdout.write(format_line(ev) + "\n")
            printed += 1
    except BrokenPipeError:
        pass
    finally:
        store.stop()
    return 0
