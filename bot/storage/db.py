"""One async engine for the whole bot: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) at scale.

The URL comes from `ASYNCGUARD_DATABASE_URL`; without it the store is one SQLite file in the data
directory, so the bot runs with nothing installed. Migrations (Alembic) run once per process before
first use, and under an advisory lock on PostgreSQL so replicas starting together do not race.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

log = logging.getLogger("asyncguard.storage")

SQLITE_FILE = "asyncguard.sqlite3"
MIGRATION_LOCK = 0x61677374  # advisory lock id held while migrating ("agst")
_DRIVERS = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}


class StorageError(Exception):
    """The database URL is unusable (bad scheme, missing driver): a clear line for the operator."""


def database_url_for(data_dir: str | os.PathLike[str], url: str | None = None) -> str:
    """The SQLAlchemy URL: `url` (plain postgresql:// and sqlite:// get their async driver), else the data-dir file."""
    if not url:
        return f"sqlite+aiosqlite:///{Path(data_dir).resolve() / SQLITE_FILE}"
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise StorageError(f"ASYNCGUARD_DATABASE_URL: expected postgresql://... or sqlite:///..., got {url!r}")
    scheme = _DRIVERS.get(scheme, scheme)
    if scheme not in {"postgresql+asyncpg", "sqlite+aiosqlite"}:
        raise StorageError(f"ASYNCGUARD_DATABASE_URL: unsupported scheme {scheme!r} "
                           "(use postgresql:// or sqlite:///path)")
    return f"{scheme}://{rest}"


class Database:
    """The engine plus what every store needs: transactions, the dialect, readiness, migrations."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()  # "sqlite" | "postgresql"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            # no pre-ping: one round trip less per transaction; a connection broken by a database restart
            # fails its one transaction (the webhook answers 503) and the pool drops it
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800,
                          connect_args={"timeout": 5, "command_timeout": 30})
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _sqlite_pragmas(self.engine)
        self._ready = False
        self._ready_lock = asyncio.Lock()

    @classmethod
    def for_data_dir(cls, data_dir: str | os.PathLike[str], url: str | None = None) -> Database:
        return cls(database_url_for(data_dir, url))

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"

    def describe(self) -> str:
        """The URL without its password (logs, `asyncguard db`)."""
        return make_url(self.url).render_as_string(hide_password=True)

    async def ensure_schema(self) -> None:
        """Run pending migrations once per process (cheap after the first call)."""
        if self._ready:
            return
        async with self._ready_lock:
            if not self._ready:
                await self.upgrade()
                self._ready = True

    async def upgrade(self, revision: str = "head") -> list[str]:
        """Apply migrations up to `revision`; returns the revisions applied."""
        from asyncguard.bot.storage.migrate import run_upgrade

        async with self.engine.connect() as conn:
            if self.is_postgresql:
                await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            try:
                applied = await conn.run_sync(run_upgrade, revision)
                await conn.commit()
            finally:
                if self.is_postgresql:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                    await conn.commit()
        if applied:
            log.info("database %s migrated: %s", self.describe(), ", ".join(applied))
        return applied

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        await self.ensure_schema()
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (and for locks held across several transactions)."""
        await self.ensure_schema()
        async with self.engine.connect() as conn:
            yield conn

    async def ping(self, within: float = 2.0) -> str | None:
        """None when the database answers within `within` seconds, else what went wrong (for /readyz)."""
        try:
            async with asyncio.timeout(within):
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except TimeoutError:
            return f"the database did not answer within {within:g}s"
        except Exception as exc:
            return f"the database is unreachable ({exc.__class__.__name__})"
        return None

    async def close(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    """WAL, a busy timeout, and BEGIN IMMEDIATE: writers queue instead of failing on a lock upgrade."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=30000")  # first, so the pragmas below wait for a lock too
        _switch_to_wal(cur)
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _switch_to_wal(cur: Any, attempts: int = 50) -> None:
    """WAL mode is a property of the file; several processes opening a new file at once may race to
    switch it, and SQLite answers "database is locked" to the losers without calling the busy
    handler. Once one has switched it, the others find it done."""
    for attempt in range(attempts):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # sqlite3's OperationalError, as the driver adapter re-raises it
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
