"""The monitoring store: false-positive reports, the findings each PR run showed, and run timings.

Same style as the governance audit store (one SQLite file in the data dir, WAL, one transaction
per write) behind the small `MonitoringStore` interface, so a server database can replace it.
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

DB_NAME = "monitoring.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    repo TEXT NOT NULL,
    pr INTEGER NOT NULL,
    rule TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    message TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    via TEXT NOT NULL,
    snippet TEXT,
    UNIQUE (repo, pr, fingerprint, actor)
);
CREATE INDEX IF NOT EXISTS feedback_ts ON feedback (ts);
CREATE TABLE IF NOT EXISTS pr_findings (
    repo TEXT NOT NULL,
    pr INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    rule TEXT NOT NULL,
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    message TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    snippet TEXT,
    head_sha TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (repo, pr, fingerprint)
);
CREATE INDEX IF NOT EXISTS pr_findings_seen ON pr_findings (first_seen);
CREATE TABLE IF NOT EXISTS pr_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    installation INTEGER,
    repo TEXT NOT NULL,
    pr INTEGER NOT NULL,
    head_sha TEXT NOT NULL,
    conclusion TEXT NOT NULL,
    duration_s REAL NOT NULL,
    queue_wait_s REAL NOT NULL,
    findings TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS pr_runs_ts ON pr_runs (ts);
CREATE TABLE IF NOT EXISTS report_issues (
    target_repo TEXT NOT NULL,
    month TEXT NOT NULL,
    issue_number INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (target_repo, month)
);
"""


@dataclass(frozen=True)
class SeenFinding:
    """A finding a PR run showed, as feedback needs it later (rule, where, what, the code's hash)."""

    repo: str
    pr: int
    fingerprint: str
    rule: str
    path: str
    line: int
    message: str
    code_hash: str
    head_sha: str
    snippet: str | None = None


@dataclass(frozen=True)
class Feedback:
    repo: str
    pr: int
    rule: str
    fingerprint: str
    code_hash: str
    path: str
    line: int
    message: str
    actor: str
    via: str  # "command" | "review-reply" | "reaction"
    reason: str = ""
    snippet: str | None = None
    ts: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunRecord:
    repo: str
    pr: int
    head_sha: str
    conclusion: str
    duration_s: float
    queue_wait_s: float
    findings: dict[str, int] = field(default_factory=dict)  # rule -> count shown by this run
    installation: int | None = None
    ts: float = field(default_factory=time.time)


class MonitoringStore:
    """Thread-safe over one SQLite connection; every write is one transaction."""

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
    def in_data_dir(cls, data_dir: str | os.PathLike[str]) -> MonitoringStore:
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

    # ---- findings a run showed ------------------------------------------------------------
    def record_run(self, run: RunRecord, seen: Sequence[SeenFinding] = ()) -> None:
        """The run's timings and per-rule counts, and the findings it showed, together."""
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO pr_runs (ts, installation, repo, pr, head_sha, conclusion, duration_s, queue_wait_s,"
                " findings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run.ts, run.installation, run.repo, run.pr, run.head_sha, run.conclusion, run.duration_s,
                 run.queue_wait_s, json.dumps(run.findings, sort_keys=True)),
            )
            cur.executemany(
                "INSERT INTO pr_findings (repo, pr, fingerprint, rule, path, line, message, code_hash, snippet,"
                " head_sha, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (repo, pr, fingerprint) DO UPDATE SET path = excluded.path, line = excluded.line,"
                " message = excluded.message, snippet = excluded.snippet, head_sha = excluded.head_sha,"
                " last_seen = excluded.last_seen",
                [(s.repo, s.pr, s.fingerprint, s.rule, s.path, s.line, s.message, s.code_hash, s.snippet,
                  s.head_sha, run.ts, run.ts) for s in seen],
            )

    def seen_findings(self, repo: str, pr: int, head_sha: str | None = None) -> list[SeenFinding]:
        sql = "SELECT * FROM pr_findings WHERE repo = ? AND pr = ?"
        params: list[Any] = [repo, pr]
        if head_sha is not None:
            sql += " AND head_sha = ?"
            params.append(head_sha)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY path, line", params).fetchall()
        return [_seen(r) for r in rows]

    def latest_findings(self, repo: str, pr: int) -> list[SeenFinding]:
        """The findings the PR's most recent run showed."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM pr_findings WHERE repo = ? AND pr = ? AND last_seen = (SELECT MAX(last_seen) FROM"
                " pr_findings WHERE repo = ? AND pr = ?) ORDER BY path, line", (repo, pr, repo, pr)).fetchall()
        return [_seen(r) for r in rows]

    def seen_finding(self, repo: str, pr: int, fingerprint: str) -> SeenFinding | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM pr_findings WHERE repo = ? AND pr = ? AND fingerprint = ?",
                                   (repo, pr, fingerprint)).fetchone()
        return _seen(row) if row else None

    def shown(self, since: float | None = None, until: float | None = None,
              repo: str | None = None) -> list[SeenFinding]:
        """Every distinct finding first shown in the window (the denominator of the false rate)."""
        sql, params = _window("SELECT * FROM pr_findings WHERE 1=1", "first_seen", since, until, repo)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [_seen(r) for r in rows]

    def runs(self, since: float | None = None, until: float | None = None, repo: str | None = None) -> list[RunRecord]:
        sql, params = _window("SELECT * FROM pr_runs WHERE 1=1", "ts", since, until, repo)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY ts, id", params).fetchall()
        return [RunRecord(r["repo"], r["pr"], r["head_sha"], r["conclusion"], r["duration_s"], r["queue_wait_s"],
                          json.loads(r["findings"]), r["installation"], r["ts"]) for r in rows]

    def repositories(self) -> dict[int | None, list[str]]:
        """installation -> repositories the bot has run on (for the dashboard's navigation)."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT installation, repo FROM pr_runs ORDER BY repo").fetchall()
        out: dict[int | None, list[str]] = {}
        for r in rows:
            out.setdefault(r["installation"], []).append(r["repo"])
        return out

    # ---- feedback -------------------------------------------------------------------------
    def add_feedback(self, fb: Feedback) -> bool:
        """Record a report; False when this person already reported this finding on this PR."""
        with self._tx() as cur:
            cur.execute(
                "INSERT OR IGNORE INTO feedback (ts, repo, pr, rule, fingerprint, code_hash, path, line, message,"
                " actor, reason, via, snippet) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (fb.ts, fb.repo, fb.pr, fb.rule, fb.fingerprint, fb.code_hash, fb.path, fb.line, fb.message,
                 fb.actor, fb.reason, fb.via, fb.snippet),
            )
            return cur.rowcount > 0

    def feedback(self, since: float | None = None, until: float | None = None, repo: str | None = None,
                 pr: int | None = None) -> list[Feedback]:
        sql, params = _window("SELECT * FROM feedback WHERE 1=1", "ts", since, until, repo)
        if pr is not None:
            sql += " AND pr = ?"
            params.append(pr)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY ts, id", params).fetchall()
        return [Feedback(r["repo"], r["pr"], r["rule"], r["fingerprint"], r["code_hash"], r["path"], r["line"],
                         r["message"], r["actor"], r["via"], r["reason"], r["snippet"], r["ts"]) for r in rows]

    def reported_fingerprints(self, repo: str, pr: int) -> dict[str, str]:
        """fingerprint -> who reported it first, for the findings of this PR marked as wrong."""
        with self._lock:
            rows = self._db.execute("SELECT fingerprint, actor FROM feedback WHERE repo = ? AND pr = ?"
                                    " ORDER BY ts DESC, id DESC", (repo, pr)).fetchall()
        return {r["fingerprint"]: r["actor"] for r in rows}

    # ---- the monthly report's issue -------------------------------------------------------
    def report_issue(self, target_repo: str, month: str) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT issue_number FROM report_issues WHERE target_repo = ? AND month = ?",
                                   (target_repo, month)).fetchone()
        return int(row["issue_number"]) if row else None

    def set_report_issue(self, target_repo: str, month: str, number: int) -> None:
        with self._tx() as cur:
            cur.execute("INSERT INTO report_issues (target_repo, month, issue_number, updated_at) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (target_repo, month) DO UPDATE SET issue_number = excluded.issue_number,"
                        " updated_at = excluded.updated_at", (target_repo, month, number, time.time()))


def _window(sql: str, column: str, since: float | None, until: float | None,
            repo: str | None) -> tuple[str, list[Any]]:
    params: list[Any] = []
    if since is not None:
        sql += f" AND {column} >= ?"
        params.append(since)
    if until is not None:
        sql += f" AND {column} < ?"
        params.append(until)
    if repo is not None:
        sql += " AND repo = ?"
        params.append(repo)
    return sql, params


def _seen(r: sqlite3.Row) -> SeenFinding:
    return SeenFinding(r["repo"], r["pr"], r["fingerprint"], r["rule"], r["path"], r["line"], r["message"],
                       r["code_hash"], r["head_sha"], r["snippet"])
