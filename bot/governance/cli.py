"""`asyncguard audit`: the governance audit report from the bot's store (plugged in by entry point)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from asyncguard.bot.governance.audit_report import RENDERERS, SinceError, build_report, parse_since
from asyncguard.bot.governance.audit_store import DB_NAME, AuditRecord, AuditStore
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
    p.add_argument("--db", type=Path, help=f"a SQLite store file (default <data-dir>/{DB_NAME}, or "
                   "ASYNCGUARD_DATABASE_URL when set)")
    p.add_argument("-o", "--output", type=Path, help="write the report here instead of stdout")
    p.set_defaults(func=run_audit)
    from asyncguard.bot.monitoring.cli import add_audit_report

    add_audit_report(p)


def run_audit(args: argparse.Namespace) -> int:
    try:
        since = parse_since(args.since)
    except SinceError as exc:
        print(f"asyncguard audit: {exc}", file=sys.stderr)
        return 2
    url = os.environ.get("ASYNCGUARD_DATABASE_URL", "").strip()
    if args.db is not None or not url:
        db = args.db or (args.data_dir or default_data_dir()) / DB_NAME
        if not db.is_file():
            print(f"asyncguard audit: no governance store at {db} (set --data-dir, ASYNCGUARD_DATA_DIR or "
                  "ASYNCGUARD_DATABASE_URL)", file=sys.stderr)
            return 2
        store = AuditStore(db)
        where = str(db)
    else:
        store = AuditStore.in_data_dir(args.data_dir or default_data_dir(), url)
        where = store.db.describe()
    try:
        records = asyncio.run(_read(store, since, args.repo))
    except Exception as exc:
        print(f"asyncguard audit: {where} is not a readable governance store: {exc.__class__.__name__}: {exc}",
              file=sys.stderr)
        return 2
    text = RENDERERS[args.format](build_report(records, since))
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


async def _read(store: AuditStore, since: float, repo: str | None) -> list[AuditRecord]:
    try:
        return await store.records(since=since, repo=repo)
    finally:
        await store.close()
