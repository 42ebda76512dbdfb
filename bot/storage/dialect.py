"""The few statements whose spelling differs between SQLite and PostgreSQL, chosen by connection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert(conn: AsyncConnection, table: Table) -> Any:
    """INSERT with `on_conflict_do_nothing` / `on_conflict_do_update` (same API on both engines)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
