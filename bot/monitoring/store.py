"""The monitoring store: false-positive reports, the findings each PR run showed, and run timings.

Tables in `bot/storage/tables_monitoring.py` (migration 0002) on the bot's one `Database`: SQLite
by default, PostgreSQL at scale. Every write is one transaction.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from asyncguard.bot.storage import Database, dialect
from asyncguard.bot.storage.db import SQLITE_FILE
from asyncguard.bot.storage.tables_monitoring import feedback, pr_findings, pr_runs, report_issues

DB_NAME = SQLITE_FILE


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
    """The monitoring tables of one `Database`."""

    def __init__(self, db: Database | str | os.PathLike[str]) -> None:
        if isinstance(db, Database):
            self.db, self._owned = db, False
        else:  # a SQLite file (tests, the CLI with --data-dir)
            self.db, self._owned = Database(f"sqlite+aiosqlite:///{os.fspath(db)}"), True

    @classmethod
    def in_data_dir(cls, data_dir: str | os.PathLike[str], url: str | None = None) -> MonitoringStore:
        store = cls(Database.for_data_dir(data_dir, url))
        store._owned = True
        return store

    async def close(self) -> None:
        if self._owned:
            await self.db.close()

    # ---- findings a run showed ------------------------------------------------------------
    async def record_run(self, run: RunRecord, seen: Sequence[SeenFinding] = ()) -> None:
        """The run's timings and per-rule counts, and the findings it showed, together."""
        async with self.db.begin() as conn:
            await conn.execute(pr_runs.insert().values(
                ts=run.ts, installation=run.installation, repo=run.repo, pr=run.pr, head_sha=run.head_sha,
                conclusion=run.conclusion, duration_s=run.duration_s, queue_wait_s=run.queue_wait_s,
                findings=json.dumps(run.findings, sort_keys=True)))
            for s in seen:
                stmt = dialect.insert(conn, pr_findings).values(
                    repo=s.repo, pr=s.pr, fingerprint=s.fingerprint, rule=s.rule, path=s.path, line=s.line,
                    message=s.message, code_hash=s.code_hash, snippet=s.snippet, head_sha=s.head_sha,
                    first_seen=run.ts, last_seen=run.ts)
                await conn.execute(stmt.on_conflict_do_update(
                    index_elements=[pr_findings.c.repo, pr_findings.c.pr, pr_findings.c.fingerprint],
                    set_={k: stmt.excluded[k] for k in ("path", "line", "message", "snippet", "head_sha",
                                                        "last_seen")}))

    async def _seen_rows(self, query: Select[Any]) -> list[SeenFinding]:
        async with self.db.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [SeenFinding(r["repo"], r["pr"], r["fingerprint"], r["rule"], r["path"], r["line"], r["message"],
                            r["code_hash"], r["head_sha"], r["snippet"]) for r in rows]

    async def seen_findings(self, repo: str, pr: int) -> list[SeenFinding]:
        """Every finding a run showed on this PR."""
        t = pr_findings.c
        return await self._seen_rows(select(pr_findings).where(t.repo == repo, t.pr == pr).order_by(t.path, t.line))

    async def latest_findings(self, repo: str, pr: int) -> list[SeenFinding]:
        """The findings the PR's most recent run showed."""
        t = pr_findings.c
        newest = select(func.max(t.last_seen)).where(t.repo == repo, t.pr == pr).scalar_subquery()
        return await self._seen_rows(select(pr_findings).where(t.repo == repo, t.pr == pr, t.last_seen == newest)
                                     .order_by(t.path, t.line))

    async def shown(self, since: float | None = None, until: float | None = None,
                    repo: str | None = None) -> list[SeenFinding]:
        """Every distinct finding first shown in the window (the denominator of the false rate)."""
        return await self._seen_rows(_window(select(pr_findings), pr_findings.c.first_seen, pr_findings.c.repo,
                                             since, until, repo))

    async def runs(self, since: float | None = None, until: float | None = None,
                   repo: str | None = None) -> list[RunRecord]:
        query = _window(select(pr_runs), pr_runs.c.ts, pr_runs.c.repo, since, until, repo)
        async with self.db.connect() as conn:
            rows = (await conn.execute(query.order_by(pr_runs.c.ts, pr_runs.c.id))).mappings().all()
        return [RunRecord(r["repo"], r["pr"], r["head_sha"], r["conclusion"], r["duration_s"], r["queue_wait_s"],
                          json.loads(r["findings"]), r["installation"], r["ts"]) for r in rows]

    async def repositories(self) -> dict[int | None, list[str]]:
        """installation -> repositories the bot has run on (for the dashboard's navigation)."""
        async with self.db.connect() as conn:
            rows = (await conn.execute(select(pr_runs.c.installation, pr_runs.c.repo).distinct()
                                       .order_by(pr_runs.c.repo))).all()
        out: dict[int | None, list[str]] = {}
        for inst, repo in rows:
            if repo not in out.setdefault(inst, []):
                out[inst].append(repo)
        return out

    # ---- feedback -------------------------------------------------------------------------
    async def add_feedback(self, fb: Feedback) -> bool:
        """Record a report; False when this person already reported this finding on this PR."""
        async with self.db.begin() as conn:
            stmt = dialect.insert(conn, feedback).values(
                ts=fb.ts, repo=fb.repo, pr=fb.pr, rule=fb.rule, fingerprint=fb.fingerprint, code_hash=fb.code_hash,
                path=fb.path, line=fb.line, message=fb.message, actor=fb.actor, reason=fb.reason, via=fb.via,
                snippet=fb.snippet).on_conflict_do_nothing()
            result = await conn.execute(stmt)
            return bool(result.rowcount)

    async def feedback(self, since: float | None = None, until: float | None = None, repo: str | None = None,
                       pr: int | None = None) -> list[Feedback]:
        query = _window(select(feedback), feedback.c.ts, feedback.c.repo, since, until, repo)
        if pr is not None:
            query = query.where(feedback.c.pr == pr)
        async with self.db.connect() as conn:
            rows = (await conn.execute(query.order_by(feedback.c.ts, feedback.c.id))).mappings().all()
        return [Feedback(r["repo"], r["pr"], r["rule"], r["fingerprint"], r["code_hash"], r["path"], r["line"],
                         r["message"], r["actor"], r["via"], r["reason"], r["snippet"], r["ts"]) for r in rows]

    async def reported_by(self, repo: str, pr: int) -> dict[str, set[str]]:
        """fingerprint -> who reported it, for the findings of this PR marked as wrong."""
        out: dict[str, set[str]] = {}
        for fb in await self.feedback(repo=repo, pr=pr):
            out.setdefault(fb.fingerprint, set()).add(fb.actor)
        return out

    # ---- the monthly report's issue -------------------------------------------------------
    async def report_issue(self, target_repo: str, month: str) -> int | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(select(report_issues.c.issue_number).where(
                report_issues.c.target_repo == target_repo, report_issues.c.month == month))).first()
        return int(row[0]) if row else None

    async def set_report_issue(self, target_repo: str, month: str, number: int) -> None:
        async with self.db.begin() as conn:
            stmt = dialect.insert(conn, report_issues).values(target_repo=target_repo, month=month,
                                                               issue_number=number, updated_at=time.time())
            await conn.execute(stmt.on_conflict_do_update(
                index_elements=[report_issues.c.target_repo, report_issues.c.month],
                set_={"issue_number": stmt.excluded.issue_number, "updated_at": stmt.excluded.updated_at}))


def _window(query: Select[Any], column: Any, repo_column: Any, since: float | None, until: float | None,
            repo: str | None) -> Select[Any]:
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    if repo is not None:
        query = query.where(repo_column == repo)
    return query
