"""One asyncio lock per pull request: a label and a push arriving together must not interleave.

Locks live in a weak dictionary, so a PR nobody is working on costs nothing.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_locks: weakref.WeakValueDictionary[tuple[int, str, int], asyncio.Lock] = weakref.WeakValueDictionary()


@asynccontextmanager
async def pr_lock(repo_full_name: str, number: int) -> AsyncIterator[None]:
    """Serialize all governance work on one PR (within this process and event loop)."""
    key = (id(asyncio.get_running_loop()), repo_full_name.lower(), number)
    lock = _locks.get(key)
    if lock is None:
        lock = asyncio.Lock()
        _locks[key] = lock
    async with lock:
        yield
