"""`asyncguard audit report --month YYYY-MM` and `asyncguard feedback export` (plugged in by entry point)."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from bot.governance.audit_store import DB_NAME as AUDIT_DB
from bot.monitoring.store import DB_NAME


def add_audit_report(audit: argparse.ArgumentParser) -> None:
    """`audit report` under the governance `audit` command."""
    from bot.monitoring.report import RENDERERS

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


def _data_dir(args: argparse.Namespace) -> Path:
    from bot.governance.context import default_data_dir

    return Path(args.data_dir or default_data_dir())


def _emit(args: argparse.Namespace, text: str) -> None:
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _fail(prog: str, message: str) -> int:
    print(f"asyncguard {prog}: {message}", file=sys.stderr)
    return 2


def run_report(args: argparse.Namespace) -> int:
    from bot.governance.audit_store import AuditStore
    from bot.monitoring.collect import monthly
    from bot.monitoring.metrics import month_bounds
    from bot.monitoring.report import RENDERERS
    from bot.monitoring.store import MonitoringStore

    try:
        month_bounds(args.month)
    except ValueError as exc:
        return _fail("audit report", str(exc))
    data_dir = _data_dir(args)
    if not (data_dir / AUDIT_DB).is_file():
        return _fail("audit report", f"no governance store at {data_dir / AUDIT_DB} (set --data-dir or "
                                     "ASYNCGUARD_DATA_DIR)")
    try:
        audit, store = AuditStore(data_dir / AUDIT_DB), MonitoringStore(data_dir / DB_NAME)
        try:
            cur, prev, prev_name = monthly(audit, store, args.month, args.repo)
        finally:
            audit.close()
            store.close()
    except sqlite3.DatabaseError as exc:
        return _fail("audit report", f"{data_dir} does not hold readable stores: {exc}")
    _emit(args, RENDERERS[args.format](args.month, cur, prev, prev_name))
    return 0


def export_records(store: Any, since: float | None, repo: str | None, rule: str | None) -> list[dict[str, Any]]:
    """One entry per reported finding (several reporters merged), as rule authors need it."""
    merged: dict[tuple[str, int, str], dict[str, Any]] = {}
    for fb in store.feedback(since=since, repo=repo):
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
    from bot.governance.audit_report import SinceError, parse_since
    from bot.monitoring.store import MonitoringStore

    try:
        since = parse_since(args.since) if args.since else None
    except SinceError as exc:
        return _fail("feedback export", str(exc))
    db = _data_dir(args) / DB_NAME
    if not db.is_file():
        return _fail("feedback export", f"no monitoring store at {db} (set --data-dir or ASYNCGUARD_DATA_DIR)")
    try:
        store = MonitoringStore(db)
        try:
            rows = export_records(store, since, args.repo, args.rule)
        finally:
            store.close()
    except sqlite3.DatabaseError as exc:
        return _fail("feedback export", f"{db} is not a readable monitoring store: {exc}")
    if args.format == "jsonl":
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)
    else:
        text = json.dumps({"reported_false_positives": rows}, indent=2, sort_keys=True) + "\n"
    _emit(args, text)
    return 0
