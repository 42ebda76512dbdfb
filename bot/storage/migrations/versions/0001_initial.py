"""Initial schema: delivery de-duplication and the governance store.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("received", sa.Float, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("done_at", sa.Float, nullable=True),
    )
    op.create_index("deliveries_received", "deliveries", ["received"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("pr", sa.Integer, nullable=False),
        sa.Column("head_sha", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(100), nullable=True),
        sa.Column("fingerprint", sa.String(128), nullable=True),
        sa.Column("changes", sa.Text, nullable=False, server_default="[]"),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("audit_ts", "audit", ["ts"])
    op.create_index("audit_pr", "audit", ["repo", "pr", "ts"])
    op.create_table(
        "pr_state",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("pr", sa.Integer, primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "head_fingerprint",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("pr", sa.Integer, primary_key=True),
        sa.Column("head_sha", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("head_fingerprint")
    op.drop_table("pr_state")
    op.drop_index("audit_pr", "audit")
    op.drop_index("audit_ts", "audit")
    op.drop_table("audit")
    op.drop_index("deliveries_received", "deliveries")
    op.drop_table("deliveries")
