"""One PR run at a time per pull request, for its newest head.

Every event creates (or reuses) the `asyncguard` check run for its head at once, so the PR
shows the check immediately. Events for the same PR within the debounce window collapse into
one run for the newest head; a queued run for an older head ends `neutral` ("superseded by
<sha>"), and a run in progress checks `latest_head` before it posts anything.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from cachetools import TTLCache

log = logging.getLogger("asyncguard.scheduler")


@dataclass(frozen=True)
class PRKey:
    installation_id: int
    repo: str  # owner/name
    number: int


@dataclass
class RunRequest:
    key: PRKey
    head_sha: str
    check_run_id: int | None
    reason: str
    requested_at: float = field(default_factory=time.time)  # wall clock (jobs cross processes): queue wait


@dataclass
class _Slot:
    latest_head: str = ""
    pending: RunRequest | None = None
    running: RunRequest | None = None
    task: asyncio.Task[None] | None = None
    heads_seen: list[str] = field(default_factory=list)


# create(key, head_sha) -> check run id (None when it could not be created)
CreateCheck = Callable[[PRKey, str], Awaitable[int | None]]
# run(request, latest_head) -> None: the PR run itself
RunFn = Callable[[RunRequest, Callable[[], str]], Awaitable[None]]
# supersede(request, newer_head) -> None: end a queued run's check run as neutral
SupersedeFn = Callable[[RunRequest, str], Awaitable[None]]

FORCE_REASONS = {"rerequested", "command", "reopened"}  # explicit asks for a fresh run


class Scheduler:
    def __init__(
        self,
        *,
        create_check: CreateCheck,
        run: RunFn,
        supersede: SupersedeFn,
        debounce: float = 1.0,
        max_concurrent: int = 2,
    ) -> None:
        self._create = create_check
        self._run = run
        self._supersede = supersede
        self.debounce = debounce
        self._sem = asyncio.Semaphore(max_concurrent)
        self._slots: dict[PRKey, _Slot] = {}
        self._recent: TTLCache[tuple[PRKey, str], bool] = TTLCache(maxsize=10_000, ttl=120)
        self._last_head: TTLCache[PRKey, str] = TTLCache(maxsize=10_000, ttl=120)
        self._lock = asyncio.Lock()
        self.runs_started = 0

    def latest_head(self, key: PRKey) -> str:
        slot = self._slots.get(key)
        return slot.latest_head if slot else ""

    def busy(self) -> bool:
        return any(s.task is not None for s in self._slots.values())

    async def request(self, key: PRKey, head_sha: str, reason: str) -> bool:
        """Ask for a run of `head_sha`; False when an equivalent run is already queued, running or just done."""
        async with self._lock:
            slot = self._slots.setdefault(key, _Slot())
            previous = slot.latest_head or self._last_head.get(key, "")
            slot.latest_head = head_sha
            self._last_head[key] = head_sha
            force = reason in FORCE_REASONS
            for current in (slot.pending, slot.running):
                if current is not None and current.head_sha == head_sha and not (force and current is slot.running):
                    return False
            if not force and previous == head_sha and (key, head_sha) in self._recent:
                return False
            self._recent[(key, head_sha)] = True
        check_run_id = await self._create(key, head_sha)
        req = RunRequest(key, head_sha, check_run_id, reason)
        async with self._lock:
            if slot.latest_head != head_sha:
                # a newer head arrived while we created this check run
                older: RunRequest | None = req
            else:
                older, slot.pending = slot.pending, req
            if slot.task is None:
                slot.task = asyncio.create_task(self._drive(key, slot), name=f"pr-run {key.repo}#{key.number}")
        if older is not None:
            await self._supersede(older, slot.latest_head)
        return True

    async def _drive(self, key: PRKey, slot: _Slot) -> None:
        try:
            while True:
                if self.debounce:
                    await asyncio.sleep(self.debounce)
                async with self._lock:
                    req, slot.pending = slot.pending, None
                    if req is None:
                        slot.task = None
                        if slot.running is None:
                            self._slots.pop(key, None)
                        return
                    slot.running = req
                try:
                    async with self._sem:
                        self.runs_started += 1
                        await self._run(req, lambda: slot.latest_head)
                except asyncio.CancelledError:
                    raise
                except Exception:  # the runner reports its own failures; never lose the loop
                    log.exception("PR run for %s#%s crashed", key.repo, key.number)
                finally:
                    slot.running = None
                    self._recent[(key, req.head_sha)] = True
        finally:
            if slot.task is asyncio.current_task():
                slot.task = None

    async def drain(self) -> None:
        """Wait until no PR run is queued or running (tests, shutdown; wrap in a timeout)."""
        while True:
            tasks = [s.task for s in self._slots.values() if s.task is not None]
            if not tasks:
                return
            await asyncio.wait(tasks)

    async def close(self) -> None:
        tasks = [s.task for s in self._slots.values() if s.task is not None]
        for t in tasks:
            t.cancel()
        for t in tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass
