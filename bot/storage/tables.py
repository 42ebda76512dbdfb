"""Every table of the bot's store, on one MetaData (what the migrations must produce).

Times are unix seconds (float) on both engines: the code compares them with `time.time()` and
never depends on a database's clock or time zone. JSON documents are text (portable, small).
Adding a table: define it here (or in a module imported below), then add a migration under
`migrations/versions/`; `tests/storage/test_migrations.py` fails while the two disagree.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, MetaData, String, Table, Text

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

# -- the job queue: deliveries to dispatch and PR runs, claimed by workers with a lease ------
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # delivery | pr_run | resume
    Column("payload", Text, nullable=False),  # JSON
    Column("status", String(16), nullable=False),  # queued | running | done | dead
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False),
    Column("run_at", Float, nullable=False),  # not before
    Column("lease_until", Float, nullable=True),
    Column("worker", String(200), nullable=True),
    Column("lock_key", String(300), nullable=True),  # at most one running job per key
    Column("coalesce_key", String(300), nullable=True),  # at most one queued job per key (the newest wins)
    Column("delivery_id", String(100), nullable=True),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
    Column("last_error", Text, nullable=True),
    Index("jobs_ready", "status", "run_at"),
    Index("jobs_lock", "lock_key", "status"),
    Index("jobs_coalesce", "coalesce_key", "status"),
)

# -- the PR's newest head as the bot last heard it (a run for an older head stops early) -----
pr_heads = Table(
    "pr_heads",
    metadata,
    Column("pr_key", String(300), primary_key=True),  # installation:owner/name#number
    Column("head_sha", String(64), nullable=False),
    Column("updated", Float, nullable=False),
)

# -- the `asyncguard` check runs the bot created: reused for the same head, swept when left hanging
check_runs = Table(
    "check_runs",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # GitHub's check run id
    Column("pr_key", String(300), nullable=False),
    Column("head_sha", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # in_progress | completed
    Column("annotated", Integer, nullable=False, server_default="0"),  # annotations posted: a retry does not repeat them
    Column("updated", Float, nullable=False),
    Index("check_runs_head", "pr_key", "head_sha", "status"),
    Index("check_runs_status", "status", "updated"),
)
# feature tables live in their own modules; importing them here puts them on `metadata`
from asyncguard.bot.storage import tables_monitoring  # noqa: E402, F401
