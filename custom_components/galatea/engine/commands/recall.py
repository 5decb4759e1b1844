"""``galatea recall "QUERY" --db PATH [--json]``: ask Galatea's memory from the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..api import APIError, GalateaAPI
from ..memory.embedding import Embedder, LocalEmbedder, OpenAIEmbedder
from ..memory.formation import form_memories


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "recall", help="search memories (and answer 'when did I last/usually ...')"
    )
    parser.add_argument("query", help="what to recall, e.g. 'kitchen' or 'when do I wake up'")
    parser.add_argument("--db", required=True, help="database file or SQLAlchemy URL")
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--tz", default=None, help="IANA time zone (default: local)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--form", action="store_true",
                        help="form memories from mined results first")
    parser.add_argument("--include-closed", action="store_true",
                        help="also show memories that are no longer true")
    parser.add_argument("--embeddings-url", default=os.environ.get("GALATEA_EMBEDDINGS_URL"),
                        help="OpenAI-compatible base URL (default: built-in local embedding)")
    parser.add_argument("--embeddings-model", default=os.environ.get(
        "GALATEA_EMBEDDINGS_MODEL", "text-embedding-3-small"))
    parser.set_defaults(func=run)


def _tz(name: str | None) -> Any:
    if name:
        return ZoneInfo(name)
    return datetime.now().astimezone().tzinfo or UTC


def run(args: argparse.Namespace) -> int:
    from ..store import ActivityStore

    url = args.db if "://" in args.db else None
    path = None if url else args.db
    if path and not os.path.exists(path):
        print(f"error: no database at {path}", file=sys.stderr)
        return 2
    embedder: Embedder = LocalEmbedder()
    if args.embeddings_url:
        embedder = OpenAIEmbedder(base_url=args.embeddings_url,
                                  api_key=os.environ.get("OPENAI_API_KEY"),
                                  model=args.embeddings_model)
    store = ActivityStore(url, path=path)
    try:
        tz = _tz(args.tz)
        if args.form:
            form_memories(store, tz, embedder=embedder)
        api = GalateaAPI(store, tz, embedder=embedder)
        try:
            result = api.recall(args.query, args.limit, include_closed=args.include_closed)
        except APIError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    finally:
        store.stop()
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    if result["answer"]:
        print(result["answer"])
        print()
    if not result["memories"]:
        print("No matching memories.")
    for mem in result["memories"]:
        when = (mem["valid_from"] or "")[:10]
        closed = f" (until {mem['valid_to'][:10]})" if mem["valid_to"] else ""
        print(f"[{mem['score']:.2f}] {mem['type']:<10} {when}{closed}  {mem['text']}")
    return 0
