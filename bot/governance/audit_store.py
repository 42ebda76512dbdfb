"""The governance store: an append-only audit trail plus the gate's per-PR state, in one SQLite file.

WAL mode with `synchronous=FULL`: every record is committed in its own transaction together with
the state change it explains, so a restart or a crash mid-write never loses or half-writes one.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DB_NAME = "governance.sqlite3"
# "bypass": merged while the gate failed; "emergency-bypass": `/asyncguard bypass <reason>` by the
# governance team or an admin, for one head; "bypass-expired": a push moved the PR past that head
KINDS = ("gate", "approval", "revocation", "unauthorized", "merge", "bypass", "stale", "emergency-bypass",
         "bypass-expired")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    repo TEXT NOT NULL,
    pr INTEGER NOT NULL,
    head_sha TEXT,
    actor TEXT,
    fingerprint TEXT,
    changes TEXT NOT NULL DEFAULT '[]',
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
CREATE INDEX IF NOT EXISTS audit_pr ON audit (repo, pr, ts);
CREATE TABLE IF NOT EXISTS pr_state (
    repo TEXT NOT NULL,
    pr INTEGER NOT NULL,
    data TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (repo, pr)
);
CREATE TABLE IF NOT EXISTS head_fingerprint (
    repo TEXT NOT NULL,
    pr INTEGER NOT NULL,
    head_sha TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (repo, pr, head_sha)
);
"""


@dataclass
class Approval:
    actor: str
    via: str  # "label" | "command" | "label-confirmed"
    fingerprint: str | None  # the breaking-change diff it covers; None: bound to head_sha only
    head_sha: str | None
    at: float
    reason: str = ""


@dataclass
class Bypass:
    """`/asyncguard bypass <reason>`: both checks pass at `head_sha` only; the next push ends it."""

    actor: str
    reason: str
    head_sha: str
    at: float


@dataclass
class PRState:
    """What the gate knows about one PR: the last evaluated head and its governed breaking changes."""

    repo: str
    pr: int
    head_sha: str | None = None
    base_ref: str | None = None
    fingerprint: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    conclusion: str | None = None
    check_run_id: int | None = None
    check_head_sha: str | None = None
    first_failing_at: float | None = None
    approval: Approval | None = None
    migration_guide: str = ""
    checklist: list[str] = field(default_factory=list)
    reply_comment_id: int | None = None
    notes: list[str] = field(default_factory=list)
    bypass: Bypass | None = None

    def bypassed(self, head_sha: str | None) -> Bypass | None:
        """The emergency bypass in force at `head_sha`, if any."""
        b = self.bypass
        return b if b is not None and head_sha is not None and b.head_sha == head_sha else None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PRState:
        data = json.loads(text)
        approval = data.pop("approval", None)
        bypass = data.pop("bypass", None)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known, approval=Approval(**approval) if approval else None,
                   bypass=Bypass(**bypass) if bypass else None)


@dataclass(frozen=True)
class AuditRecord:
    id: int
    ts: float
    kind: str
    repo: str
    pr: int
    head_sha: str | None
    actor: str | None
    fingerprint: str | None
    changes: list[dict[str, Any]]
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class NewRecord:
    kind: str
    repo: str
    pr: int
    head_sha: str | None = None
    actor: str | None = None
    fingerprint: str | None = None
    changes: Sequence[dict[str, Any]] = ()
    detail: dict[str, Any] = field(default_factory=dict)
    ts: float | None = None


class AuditStore:
    """Thread-safe wrapper over one SQLite connection; every public write is one transaction."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self._lock:
            self._db.executescript(_SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: str | os.PathLike[str]) -> AuditStore:
        return cls(Path(data_dir) / DB_NAME)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")

    @staticmethod
    def _insert(cur: sqlite3.Cursor, rec: NewRecord) -> int:
        if rec.kind not in KINDS:
            raise ValueError(f"unknown audit kind {rec.kind!r}")
        cur.execute(
            "INSERT INTO audit (ts, kind, repo, pr, head_sha, actor, fingerprint, changes, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rec.ts if rec.ts is not None else time.time(),
                rec.kind,
                rec.repo,
                rec.pr,
                rec.head_sha,
                rec.actor,
                rec.fingerprint,
                json.dumps(list(rec.changes), sort_keys=True),
                json.dumps(rec.detail, sort_keys=True),
            ),
        )
        return int(cur.lastrowid or 0)

    def record(self, rec: NewRecord) -> int:
        """Append one audit record in its own transaction; returns its id."""
        with self._tx() as cur:
            return self._insert(cur, rec)

    def commit(self, state: PRState | None, records: Sequence[NewRecord] = ()) -> list[int]:
        """Save the PR state and its audit records together, all or nothing."""
        with self._tx() as cur:
            ids = [self._insert(cur, r) for r in records]
            if state is not None:
                cur.execute(
                    "INSERT INTO pr_state (repo, pr, data, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (repo, pr) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                    (state.repo, state.pr, state.to_json(), time.time()),
                )
                if state.head_sha and state.fingerprint is not None:
                    cur.execute(
                        "INSERT OR REPLACE INTO head_fingerprint (repo, pr, head_sha, fingerprint) VALUES (?, ?, ?, ?)",
                        (state.repo, state.pr, state.head_sha, state.fingerprint),
                    )
            return ids

    def state(self, repo: str, pr: int) -> PRState:
        """The PR's stored state, or a fresh one."""
        with self._lock:
            row = self._db.execute("SELECT data FROM pr_state WHERE repo = ? AND pr = ?", (repo, pr)).fetchone()
        return PRState.from_json(row["data"]) if row else PRState(repo=repo, pr=pr)

    def fingerprint_for_head(self, repo: str, pr: int, head_sha: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT fingerprint FROM head_fingerprint WHERE repo = ? AND pr = ? AND head_sha = ?",
                (repo, pr, head_sha),
            ).fetchone()
        return row["fingerprint"] if row else None

    def records(
        self, since: float | None = None, repo: str | None = None, pr: int | None = None
    ) -> list[AuditRecord]:
        """Audit records in time order, optionally from `since` (unix time) and for one repo/PR."""
        sql = "SELECT * FROM audit WHERE 1=1"
        params: list[Any] = []
        if since is not None:
            sql += " AND ts >= ?"
            params.append(since)
        if repo is not None:
            sql += " AND repo = ?"
            params.append(repo)
        if pr is not None:
            sql += " AND pr = ?"
            params.append(pr)
        sql += " ORDER BY ts, id"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [
            AuditRecord(
                id=r["id"],
                ts=r["ts"],
                kind=r["kind"],
                repo=r["repo"],
                pr=r["pr"],
                head_sha=r["head_sha"],
                actor=r["actor"],
                fingerprint=r["fingerprint"],
                changes=json.loads(r["changes"]),
                detail=json.loads(r["detail"]),
            )
            for r in rows
        ]
