"""Monitoring tables: false-positive reports, the findings PR runs showed, run timings, report issues."""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text, UniqueConstraint

from asyncguard.bot.storage.tables import metadata

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False),
    Column("repo", String(200), nullable=False),
    Column("pr", Integer, nullable=False),
    Column("rule", String(16), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("line", Integer, nullable=False),
    Column("message", Text, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("via", String(16), nullable=False),
    Column("snippet", Text, nullable=True),
    UniqueConstraint("repo", "pr", "fingerprint", "actor", name="feedback_once"),
    Index("feedback_ts", "ts"),
)

pr_findings = Table(
    "pr_findings",
    metadata,
    Column("repo", String(200), primary_key=True),
    Column("pr", Integer, primary_key=True),
    Column("fingerprint", String(64), primary_key=True),
    Column("rule", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("line", Integer, nullable=False),
    Column("message", Text, nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("snippet", Text, nullable=True),
    Column("head_sha", String(64), nullable=False),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Index("pr_findings_seen", "first_seen"),
)

pr_runs = Table(
    "pr_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False),
    Column("installation", Integer, nullable=True),
    Column("repo", String(200), nullable=False),
    Column("pr", Integer, nullable=False),
    Column("head_sha", String(64), nullable=False),
    Column("conclusion", String(16), nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("queue_wait_s", Float, nullable=False),
    Column("findings", Text, nullable=False, server_default="{}"),
    Index("pr_runs_ts", "ts"),
)

report_issues = Table(
    "report_issues",
    metadata,
    Column("target_repo", String(200), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("issue_number", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
)
