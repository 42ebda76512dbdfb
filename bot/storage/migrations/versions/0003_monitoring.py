"""Monitoring: false-positive feedback, findings shown by PR runs, run timings, monthly report issues.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("pr", sa.Integer, nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("snippet", sa.Text, nullable=True),
        sa.UniqueConstraint("repo", "pr", "fingerprint", "actor", name="feedback_once"),
    )
    op.create_index("feedback_ts", "feedback", ["ts"])
    op.create_table(
        "pr_findings",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("pr", sa.Integer, primary_key=True),
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("snippet", sa.Text, nullable=True),
        sa.Column("head_sha", sa.String(64), nullable=False),
        sa.Column("first_seen", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
    )
    op.create_index("pr_findings_seen", "pr_findings", ["first_seen"])
    op.create_table(
        "pr_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("installation", sa.Integer, nullable=True),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("pr", sa.Integer, nullable=False),
        sa.Column("head_sha", sa.String(64), nullable=False),
        sa.Column("conclusion", sa.String(16), nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("queue_wait_s", sa.Float, nullable=False),
        sa.Column("findings", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("pr_runs_ts", "pr_runs", ["ts"])
    op.create_table(
        "report_issues",
        sa.Column("target_repo", sa.String(200), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("issue_number", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_issues")
    op.drop_index("pr_runs_ts", "pr_runs")
    op.drop_table("pr_runs")
    op.drop_index("pr_findings_seen", "pr_findings")
    op.drop_table("pr_findings")
    op.drop_index("feedback_ts", "feedback")
    op.drop_table("feedback")
