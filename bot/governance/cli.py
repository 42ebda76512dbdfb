"""`asyncguard audit`: the governance audit report from the bot's store (plugged in by entry point)."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from asyncguard.bot.governance.audit_report import RENDERERS, SinceError, build_report, parse_since
from asyncguard.bot.governance.audit_store import DB_NAME, AuditStore
from asyncguard.bot.governance.context import default_data_dir


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `audit`; it sets `func=` to a callable(args) -> int exit code."""
    p = subparsers.add_parser(
        "audit",
        help="governance audit report: breaking changes merged, approvals, time to approval, bypasses",
        description="Report governance decisions recorded by the bot (SQLite store in the data directory).",
    )
    p.add_argument("--since", default="30d", help="window start: a duration (30d, 12h, 2w) or a date (default 30d)")
    p.add_argument("--format", choices=sorted(RENDERERS), default="md", help="output format (default md)")
    p.add_argument("--repo", help="only this repository (owner/name)")
    p.add_argument("--data-dir", type=Path, help="the bot's data directory (default $ASYNCGUARD_DATA_DIR)")
    p.add_argument("--db", type=Path, help=f"the store file itself (default <data-dir>/{DB_NAME})")
    p.add_argument("-o", "--output", type=Path, help="write the report here instead of stdout")
    p.set_defaults(func=run_audit)


def run_audit(args: argparse.Namespace) -> int:
    try:
        since = parse_since(args.since)
    except SinceError as exc:
        print(f"asyncguard audit: {exc}", file=sys.stderr)
        return 2
    db = args.db or (args.data_dir or default_data_dir()) / DB_NAME
    if not db.is_file():
        print(f"asyncguard audit: no governance store at {db} (set --data-dir or ASYNCGUARD_DATA_DIR)", file=sys.stderr)
        return 2
    try:
        store = AuditStore(db)
        try:
            records = store.records(since=since, repo=args.repo)
        finally:
            store.close()
    except sqlite3.DatabaseError as exc:
        print(f"asyncguard audit: {db} is not a readable governance store: {exc}", file=sys.stderr)
        return 2
    text = RENDERERS[args.format](build_report(records, since))
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
