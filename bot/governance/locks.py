"""One lock per pull request: a label and a push arriving together must not interleave.

The lock is the store's (`AuditStore.lock_pr`): an advisory lock on PostgreSQL, so it holds across
every worker process and replica; an in-process lock on the embedded SQLite store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asyncguard.bot.governance.audit_store import AuditStore


@asynccontextmanager
async def pr_lock(store: AuditStore, repo_full_name: str, number: int) -> AsyncIterator[None]:
    """Serialize all governance work on one PR."""
    async with store.lock_pr(repo_full_name, number):
        yield
