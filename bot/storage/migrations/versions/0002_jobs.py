"""The durable job queue, the PRs' newest heads, and the check runs the bot created.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("run_at", sa.Float, nullable=False),
        sa.Column("lease_until", sa.Float, nullable=True),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("lock_key", sa.String(300), nullable=True),
        sa.Column("coalesce_key", sa.String(300), nullable=True),
        sa.Column("delivery_id", sa.String(100), nullable=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("jobs_ready", "jobs", ["status", "run_at"])
    op.create_index("jobs_lock", "jobs", ["lock_key", "status"])
    op.create_index("jobs_coalesce", "jobs", ["coalesce_key", "status"])
    op.create_table(
        "pr_heads",
        sa.Column("pr_key", sa.String(300), primary_key=True),
        sa.Column("head_sha", sa.String(64), nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.create_table(
        "check_runs",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("pr_key", sa.String(300), nullable=False),
        sa.Column("head_sha", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("annotated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.create_index("check_runs_head", "check_runs", ["pr_key", "head_sha", "status"])
    op.create_index("check_runs_status", "check_runs", ["status", "updated"])


def downgrade() -> None:
    op.drop_table("check_runs")
    op.drop_table("pr_heads")
    op.drop_table("jobs")
