"""The governance store: an append-only audit trail plus the gate's per-PR state, on `bot.storage`.

Every record is committed in one transaction together with the state change it explains, so a
restart or a crash mid-write never loses or half-writes one. SQLite (the embedded default, WAL and
`synchronous=FULL`) or PostgreSQL; nothing here blocks the event loop.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from asyncguard.bot.storage import Database, dialect, locks
from asyncguard.bot.storage.db import SQLITE_FILE
from asyncguard.bot.storage.tables import audit, head_fingerprint, pr_state

DB_NAME = SQLITE_FILE
# "bypass": merged while the gate failed; "emergency-bypass": `/asyncguard bypass <reason>` by the
# governance team or an admin, for one head; "bypass-expired": a push moved the PR past that head
KINDS = ("gate", "approval", "revocation", "unauthorized", "merge", "bypass", "stale", "emergency-bypass",
         "bypass-expired")



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
    """The governance tables of one `Database`; every public write is one transaction."""

    def __init__(self, db: Database | str | os.PathLike[str]) -> None:
        if isinstance(db, Database):
            self.db = db
            self._owned = False
        else:  # a SQLite file (tests, `asyncguard audit --db`)
            self.db = Database(f"sqlite+aiosqlite:///{os.fspath(db)}")
            self._owned = True

    @classmethod
    def in_data_dir(cls, data_dir: str | os.PathLike[str], url: str | None = None) -> AuditStore:
        store = cls(Database.for_data_dir(data_dir, url))
        store._owned = True
        return store

    async def close(self) -> None:
        if self._owned:
            await self.db.close()

    async def __aenter__(self) -> AuditStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @asynccontextmanager
    async def lock_pr(self, repo: str, pr: int) -> AsyncIterator[None]:
        """Serialize governance work on one PR across every worker process (advisory lock on PostgreSQL)."""
        async with locks.hold(self.db, f"governance:{repo.lower()}#{pr}"):
            yield

    @staticmethod
    async def _insert(conn: AsyncConnection, rec: NewRecord) -> int:
        if rec.kind not in KINDS:
            raise ValueError(f"unknown audit kind {rec.kind!r}")
        result = await conn.execute(
            audit.insert().values(
                ts=rec.ts if rec.ts is not None else time.time(),
                kind=rec.kind,
                repo=rec.repo,
                pr=rec.pr,
                head_sha=rec.head_sha,
                actor=rec.actor,
                fingerprint=rec.fingerprint,
                changes=json.dumps(list(rec.changes), sort_keys=True),
                detail=json.dumps(rec.detail, sort_keys=True),
            ).returning(audit.c.id)
        )
        return int(result.scalar_one())

    async def record(self, rec: NewRecord) -> int:
        """Append one audit record in its own transaction; returns its id."""
        async with self.db.begin() as conn:
            return await self._insert(conn, rec)

    async def commit(self, state: PRState | None, records: Sequence[NewRecord] = ()) -> list[int]:
        """Save the PR state and its audit records together, all or nothing."""
        for r in records:  # refuse before writing anything
            if r.kind not in KINDS:
                raise ValueError(f"unknown audit kind {r.kind!r}")
        async with self.db.begin() as conn:
            ids = [await self._insert(conn, r) for r in records]
            if state is not None:
                now = time.time()
                stmt = dialect.insert(conn, pr_state).values(
                    repo=state.repo, pr=state.pr, data=state.to_json(), updated_at=now)
                await conn.execute(stmt.on_conflict_do_update(
                    index_elements=[pr_state.c.repo, pr_state.c.pr],
                    set_={"data": stmt.excluded.data, "updated_at": stmt.excluded.updated_at}))
                if state.head_sha and state.fingerprint is not None:
                    fp = dialect.insert(conn, head_fingerprint).values(
                        repo=state.repo, pr=state.pr, head_sha=state.head_sha, fingerprint=state.fingerprint)
                    await conn.execute(fp.on_conflict_do_update(
                        index_elements=[head_fingerprint.c.repo, head_fingerprint.c.pr, head_fingerprint.c.head_sha],
                        set_={"fingerprint": fp.excluded.fingerprint}))
            return ids

    async def state(self, repo: str, pr: int) -> PRState:
        """The PR's stored state, or a fresh one."""
        async with self.db.connect() as conn:
            row = (await conn.execute(
                select(pr_state.c.data).where(pr_state.c.repo == repo, pr_state.c.pr == pr))).first()
        return PRState.from_json(row[0]) if row else PRState(repo=repo, pr=pr)

    async def fingerprint_for_head(self, repo: str, pr: int, head_sha: str) -> str | None:
        async with self.db.connect() as conn:
            row = (await conn.execute(select(head_fingerprint.c.fingerprint).where(
                head_fingerprint.c.repo == repo, head_fingerprint.c.pr == pr,
                head_fingerprint.c.head_sha == head_sha))).first()
        return row[0] if row else None

    async def records(
        self, since: float | None = None, repo: str | None = None, pr: int | None = None
    ) -> list[AuditRecord]:
        """Audit records in time order, optionally from `since` (unix time) and for one repo/PR."""
        query = select(audit)
        if since is not None:
            query = query.where(audit.c.ts >= since)
        if repo is not None:
            query = query.where(audit.c.repo == repo)
        if pr is not None:
            query = query.where(audit.c.pr == pr)
        async with self.db.connect() as conn:
            rows = (await conn.execute(query.order_by(audit.c.ts, audit.c.id))).mappings().all()
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
