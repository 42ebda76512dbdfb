"""Migrations build exactly the schema `bot/storage/tables.py` declares, on both engines, idempotently."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from asyncguard.bot.storage import Database
from asyncguard.bot.storage.migrate import current_revision, head_revision
from asyncguard.bot.storage.tables import metadata


def _diff(sync_conn: Any) -> list[Any]:
    ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
    return [d for d in compare_metadata(ctx, metadata) if not (d[0] == "remove_table" and d[1].name == "alembic_version")]


async def test_upgrade_matches_the_declared_tables(database_url: str) -> None:
    db = Database(database_url)
    applied = await db.upgrade()
    assert applied and applied[-1] == head_revision()
    async with db.engine.connect() as conn:
        assert await conn.run_sync(current_revision) == head_revision()
        assert await conn.run_sync(_diff) == []  # a table or column without its migration fails here
    assert await db.upgrade() == []  # a second start-up applies nothing
    await db.close()


async def test_replicas_migrating_at_once_do_not_collide(database_url: str) -> None:
    import asyncio

    dbs = [Database(database_url) for _ in range(3)]
    results = await asyncio.gather(*(d.upgrade() for d in dbs))
    assert sum(1 for r in results if r) == 1  # one migrated, the others found it done
    for d in dbs:
        await d.close()
