"""Every table of the bot's store, on one MetaData (what the migrations must produce).

Times are unix seconds (float) on both engines: the code compares them with `time.time()` and
never depends on a database's clock or time zone. JSON documents are text (portable, small).
Adding a table: define it here (or in a module imported below), then add a migration under
`migrations/versions/`; `tests/storage/test_migrations.py` fails while the two disagree.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

# -- webhook delivery de-duplication: one row per X-GitHub-Delivery ------------------------
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("event", String(100), nullable=False),
    Column("received", Float, nullable=False),
    # queued: its job is committed; done: the job finished; dead: the job gave up (a redelivery is accepted)
    Column("status", String(16), nullable=False, server_default="queued"),
    Column("done_at", Float, nullable=True),
    Index("deliveries_received", "received"),
)

# -- governance: append-only audit trail and the gate's per-PR state ------------------------
audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("repo", String(200), nullable=False),
    Column("pr", Integer, nullable=False),
    Column("head_sha", String(64), nullable=True),
    Column("actor", String(100), nullable=True),
    Column("fingerprint", String(128), nullable=True),
    Column("changes", Text, nullable=False, server_default="[]"),
    Column("detail", Text, nullable=False, server_default="{}"),
    Index("audit_ts", "ts"),
    Index("audit_pr", "repo", "pr", "ts"),
)

pr_state = Table(
    "pr_state",
    metadata,
    Column("repo", String(200), primary_key=True),
    Column("pr", Integer, primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)

head_fingerprint = Table(
    "head_fingerprint",
    metadata,
    Column("repo", String(200), primary_key=True),
    Column("pr", Integer, primary_key=True),
    Column("head_sha", String(64), primary_key=True),
    Column("fingerprint", String(128), nullable=False),
)

# feature tables live in their own modules; importing them here puts them on `metadata`
from asyncguard.bot.storage import tables_monitoring  # noqa: E402, F401
