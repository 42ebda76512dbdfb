"""`asyncguard audit report --month YYYY-MM` and `asyncguard feedback export` (plugged in by entry point)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from asyncguard.bot.storage.db import SQLITE_FILE as DB_NAME


def add_audit_report(audit: argparse.ArgumentParser) -> None:
    """`audit report` under the governance `audit` command."""
    from asyncguard.bot.monitoring.report import RENDERERS

    sub = audit.add_subparsers(dest="audit_command", metavar="{report}")
    p = sub.add_parser("report", help="the monthly governance report, with the change since the month before",
                       description="Breaking changes and approvals, bypasses with reasons, unapproved merges, "
                       "time to approval, reported false positives per rule and run performance for one month.")
    p.add_argument("--month", required=True, help="the month, YYYY-MM (UTC)")
    p.add_argument("--format", choices=sorted(RENDERERS), default="md", help="output format (default md)")
    p.add_argument("--repo", help="only this repository (owner/name)")
    p.add_argument("--data-dir", type=Path, help="the bot's data directory (default $ASYNCGUARD_DATA_DIR)")
    p.add_argument("-o", "--output", type=Path, help="write the report here instead of stdout")
    p.set_defaults(func=run_report)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `feedback`; it sets `func=` to a callable(args) -> int exit code."""
    p = subparsers.add_parser("feedback", help="false-positive reports on findings",
                              description="The findings people reported as wrong on pull requests.")
    sub = p.add_subparsers(dest="feedback_command", metavar="{export}", required=True)
    e = sub.add_parser("export", help="write the reported cases as data for must-not-flag tests",
                       description="One record per reported finding: rule, message, where, why, and a minimal "
                       "snippet (string literals and comments removed) when the repository's .asyncguard.yml "
                       "allows it (feedback: {share_snippets: true}).")
    e.add_argument("--format", choices=["json", "jsonl"], default="json")
    e.add_argument("--since", default=None, help="only reports from this duration ago or date (e.g. 90d)")
    e.add_argument("--repo", help="only this repository (owner/name)")
    e.add_argument("--rule", help="only this rule (e.g. AG101)")
    e.add_argument("--data-dir", type=Path, help="the bot's data directory (default $ASYNCGUARD_DATA_DIR)")
    e.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    e.set_defaults(func=run_export)


def _database(args: argparse.Namespace, prog: str) -> Any:
    """The bot's Database (ASYNCGUARD_DATABASE_URL, else the data dir's SQLite file), or an error line."""
    from asyncguard.bot.governance.context import default_data_dir
    from asyncguard.bot.storage import Database
    from asyncguard.bot.storage.db import StorageError

    url = os.environ.get("ASYNCGUARD_DATABASE_URL", "").strip()
    data_dir = Path(args.data_dir or default_data_dir())
    if args.data_dir is not None or not url:
        if not (data_dir / DB_NAME).is_file():
            return f"no store at {data_dir / DB_NAME} (set --data-dir, ASYNCGUARD_DATA_DIR or ASYNCGUARD_DATABASE_URL)"
        url = ""
    try:
        return Database.for_data_dir(data_dir, url or None)
    except StorageError as exc:
        return str(exc)


def _emit(args: argparse.Namespace, text: str) -> None:
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _fail(prog: str, message: str) -> int:
    print(f"asyncguard {prog}: {message}", file=sys.stderr)
    return 2


def run_report(args: argparse.Namespace) -> int:
    from asyncguard.bot.governance.audit_store import AuditStore
    from asyncguard.bot.monitoring.collect import monthly
    from asyncguard.bot.monitoring.metrics import month_bounds
    from asyncguard.bot.monitoring.report import RENDERERS
    from asyncguard.bot.monitoring.store import MonitoringStore

    try:
        month_bounds(args.month)
    except ValueError as exc:
        return _fail("audit report", str(exc))
    db = _database(args, "audit report")
    if isinstance(db, str):
        return _fail("audit report", db)

    async def read() -> Any:
        try:
            return await monthly(AuditStore(db), MonitoringStore(db), args.month, args.repo)
        finally:
            await db.close()

    try:
        cur, prev, prev_name = asyncio.run(read())
    except Exception as exc:  # a file that is not our store, an unreachable server
        return _fail("audit report", f"{db.describe()} is not a readable store: {exc.__class__.__name__}: {exc}")
    _emit(args, RENDERERS[args.format](args.month, cur, prev, prev_name))
    return 0


async def export_records(store: Any, since: float | None, repo: str | None, rule: str | None) -> list[dict[str, Any]]:
    """One entry per reported finding (several reporters merged), as rule authors need it."""
    merged: dict[tuple[str, int, str], dict[str, Any]] = {}
    for fb in await store.feedback(since=since, repo=repo):
        if rule and fb.rule != rule.upper():
            continue
        key = (fb.repo, fb.pr, fb.fingerprint)
        entry = merged.setdefault(key, {
            "rule": fb.rule, "message": fb.message, "repo": fb.repo, "pr": fb.pr, "path": fb.path,
            "line": fb.line, "fingerprint": fb.fingerprint, "code_hash": fb.code_hash, "snippet": fb.snippet,
            "reports": [],
        })
        entry["reports"].append({"by": fb.actor, "via": fb.via, "reason": fb.reason, "at": fb.ts})
    return sorted(merged.values(), key=lambda e: (e["rule"], e["repo"], e["pr"], e["path"], e["line"]))


def run_export(args: argparse.Namespace) -> int:
    from asyncguard.bot.governance.audit_report import SinceError, parse_since
    from asyncguard.bot.monitoring.store import MonitoringStore

    try:
        since = parse_since(args.since) if args.since else None
    except SinceError as exc:
        return _fail("feedback export", str(exc))
    db = _database(args, "feedback export")
    if isinstance(db, str):
        return _fail("feedback export", db)

    async def read() -> list[dict[str, Any]]:
        try:
            return await export_records(MonitoringStore(db), since, args.repo, args.rule)
        finally:
            await db.close()

    try:
        rows = asyncio.run(read())
    except Exception as exc:
        return _fail("feedback export", f"{db.describe()} is not a readable store: {exc.__class__.__name__}: {exc}")
    if args.format == "jsonl":
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)
    else:
        text = json.dumps({"reported_false_positives": rows}, indent=2, sort_keys=True) + "\n"
    _emit(args, text)
    return 0
