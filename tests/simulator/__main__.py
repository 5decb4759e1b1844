"""``python -m tests.simulator``: write a simulated home as replay JSONL (+ ground truth, areas
file), to feed ``galatea replay``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from .simulate import (
    HOUSEHOLDS,
    PEOPLE,
    GroundTruth,
    home_areas,
    household_areas,
    iter_home_events,
)


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="write a simulated multi-person home as HA events (replay JSONL) with ground truth",
    )
    parser.add_argument("--days", type=int, default=42, help="number of days (default 42)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", required=True, type=Path, help="JSONL file to write")
    parser.add_argument("--truth", type=Path, help="write the ground truth JSON here")
    parser.add_argument(
        "--areas", type=Path, help="write the areas file (entity -> area/floor) here"
    )
    parser.add_argument(
        "--start", type=date.fromisoformat, help="first day, YYYY-MM-DD (default 2026-01-05)"
    )
    parser.add_argument(
        "--tz", default="Europe/Berlin", help="the home's time zone (default Europe/Berlin)"
    )
    parser.add_argument(
        "--entities",
        type=int,
        default=0,
        help="pad the home with filler entities up to this many (e.g. 300)",
    )
    parser.add_argument(
        "--change-day",
        type=int,
        default=-1,
        help="day index of the routine change (default: two thirds in; -2 for none)",
    )
    parser.add_argument("--utc", action="store_true", help="timestamps in UTC like a raw HA dump")
    parser.add_argument(
        "--people", default=",".join(PEOPLE), help="comma-separated person entities"
    )
    parser.add_argument(
        "--household",
        choices=sorted(HOUSEHOLDS),
        help="simulate a variant home instead of the default three-person one"
        " (--people, --change-day and --entities are then ignored)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    truth: list[GroundTruth] = []
    count = 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    change = None if args.change_day == -2 else args.change_day
    people = tuple(p.strip() for p in args.people.split(",") if p.strip())
    with args.out.open("w", encoding="utf-8") as out:
        for event in iter_home_events(
            args.days,
            args.seed,
            start=args.start,
            tz=args.tz,
            people=people,
            change_day=change,
            n_entities=args.entities,
            utc=args.utc,
            truth_out=truth,
            household=args.household,
        ):
            out.write(json.dumps(event, separators=(",", ":")))
            out.write("\n")
            count += 1
    if args.truth:
        args.truth.write_text(json.dumps(truth[0].to_dict(), indent=1), encoding="utf-8")
    if args.areas:
        areas = household_areas(args.household) if args.household else home_areas(args.entities)
        args.areas.write_text(json.dumps(areas, indent=1), encoding="utf-8")
    print(f"wrote {count} events over {args.days} days to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.simulator [--days N] --out FILE ...`` (the same options as before)."""
    parser = argparse.ArgumentParser(prog="python -m tests.simulator")
    add_parser(parser.add_subparsers(dest="command", required=True))
    raw = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(raw if raw[:1] == ["simulate"] else ["simulate", *raw])
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
