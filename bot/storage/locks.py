"""Named mutual exclusion across every process that shares the database.

PostgreSQL: a session advisory lock on a connection of its own (autocommit, so no transaction
stays open while the lock is held); a process that dies releases its locks with its connections.
SQLite (the embedded default, one process on one machine): an asyncio lock per name within the
process; run one worker process on SQLite (the job queue keeps its own claims atomic either way).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from asyncguard.bot.storage.db import Database

_local: weakref.WeakValueDictionary[tuple[int, str], asyncio.Lock] = weakref.WeakValueDictionary()


@asynccontextmanager
async def hold(db: Database, name: str) -> AsyncIterator[None]:
    """Hold the lock `name` for the duration of the block."""
    if db.is_postgresql:
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("SELECT pg_advisory_lock(hashtextextended(:n, 0))"), {"n": name})
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(hashtextextended(:n, 0))"), {"n": name})
        return
    key = (id(asyncio.get_running_loop()), name)
    lock = _local.get(key)
    if lock is None:
        lock = _local[key] = asyncio.Lock()
    async with lock:
        yield


async def xact_lock(conn: AsyncConnection, name: str) -> None:
    """Hold `name` until the caller's transaction ends (PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:n, 0))"), {"n": name})
