"""The PRs' newest heads and the bot's own check runs: what a durable scheduler needs across replicas."""

from __future__ import annotations

import time

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from asyncguard.bot.storage import dialect
from asyncguard.bot.storage.tables import check_runs, jobs, pr_heads


async def set_head(conn: AsyncConnection, pr_key: str, head_sha: str) -> None:
    stmt = dialect.insert(conn, pr_heads).values(pr_key=pr_key, head_sha=head_sha, updated=time.time())
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=[pr_heads.c.pr_key], set_={"head_sha": stmt.excluded.head_sha, "updated": stmt.excluded.updated}))


async def head(conn: AsyncConnection, pr_key: str) -> str:
    row = (await conn.execute(select(pr_heads.c.head_sha).where(pr_heads.c.pr_key == pr_key))).first()
    return row[0] if row else ""


async def open_check_run(conn: AsyncConnection, pr_key: str, head_sha: str) -> tuple[int, bool] | None:
    """(id, annotated) of our in-progress check run for this head, if one was left open."""
    row = (await conn.execute(select(check_runs.c.id, check_runs.c.annotated).where(
        check_runs.c.pr_key == pr_key, check_runs.c.head_sha == head_sha, check_runs.c.status == "in_progress"
    ).order_by(check_runs.c.id.desc()).limit(1))).first()
    return (int(row[0]), bool(row[1])) if row else None


async def record_check_run(conn: AsyncConnection, check_run_id: int, pr_key: str, head_sha: str) -> None:
    stmt = dialect.insert(conn, check_runs).values(id=check_run_id, pr_key=pr_key, head_sha=head_sha,
                                                   status="in_progress", updated=time.time())
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=[check_runs.c.id], set_={"status": "in_progress", "updated": stmt.excluded.updated}))


async def mark_check_run(conn: AsyncConnection, check_run_id: int, *, completed: bool = False,
                         annotated: bool = False) -> None:
    values: dict[str, object] = {"updated": time.time()}
    if completed:
        values["status"] = "completed"
    if annotated:
        values["annotated"] = 1
    await conn.execute(update(check_runs).where(check_runs.c.id == check_run_id).values(**values))


async def is_annotated(conn: AsyncConnection, check_run_id: int) -> bool:
    row = (await conn.execute(select(check_runs.c.annotated).where(check_runs.c.id == check_run_id))).first()
    return bool(row and row[0])


async def hanging(conn: AsyncConnection, older_than: float) -> list[tuple[int, str, str]]:
    """Our check runs still in progress, untouched for a while, with no queued or running PR run job."""
    live = select(jobs.c.id).where(jobs.c.coalesce_key == check_runs.c.pr_key,
                                   jobs.c.status.in_(("queued", "running"))).exists()
    rows = (await conn.execute(select(check_runs.c.id, check_runs.c.pr_key, check_runs.c.head_sha).where(
        check_runs.c.status == "in_progress", check_runs.c.updated < time.time() - older_than, ~live))).all()
    return [(int(r[0]), r[1], r[2]) for r in rows]
