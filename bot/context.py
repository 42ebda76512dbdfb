"""The running bot's shared pieces, built at start-up and handed to every handler as `bot=`.

Handlers are dispatched as `router.dispatch(event, gh, bot=BotContext, governance=GovernanceContext)`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import concurrent.futures.process
import functools
import logging
import multiprocessing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from asyncguard.bot.github import GitHubApp, GitHubClient, RetryPolicy
from asyncguard.bot.metrics import BotMetrics
from asyncguard.bot.pr_queue import PRQueue, pr_key
from asyncguard.bot.scheduler import PRKey, RunRequest
from asyncguard.bot.settings import BotSettings
from asyncguard.bot.snapshots import Limits, SnapshotCache

log = logging.getLogger("asyncguard.bot")

RUN_TIMEOUT = 900.0


def run_pr_job(*args: Any, **kwargs: Any) -> Any:
    """`checks.pipeline.run_pr` in an analysis worker process (module level: picklable)."""
    from asyncguard.checks.pipeline import run_pr

    return run_pr(*args, **kwargs)


def _noop() -> None:
    return None


def _analysis_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """Analysis runs in worker processes so CPU-bound work never holds the web process's GIL
    (webhook acks stay fast during runs). Forkserver workers start from a process that already
    imported the analyzer, never from the running event loop."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["asyncguard.checks.pipeline", "asyncguard.rules.engine", "asyncguard.contracts.api"])
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


class BotContext:
    def __init__(self, settings: BotSettings, *, run_pr: Callable[..., Any] | None = None) -> None:
        self.settings = settings
        self.data_dir = Path(settings.data_dir)
        self.metrics = BotMetrics()
        # an injected run_pr (tests) runs in a thread; the default runs in worker processes
        self.run_pr: Callable[..., Any] | None = run_pr
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self.training_url = settings.training_url
        self.clean_conclusion = settings.clean_conclusion
        self.settings_run_timeout = RUN_TIMEOUT
        self.session: aiohttp.ClientSession | None = None
        self.github: GitHubApp | None = None
        self.snapshots = SnapshotCache(
            self.data_dir / "snapshots",
            Limits(settings.tarball_max_bytes, settings.extract_max_bytes, settings.extract_max_files,
                   settings.snapshot_cache_bytes),
        )
        self._bot_login: str | None = None
        from asyncguard.bot.storage import Database

        self.db = Database.for_data_dir(self.data_dir, settings.database_url)
        self.wake_workers: Callable[[], None] = lambda: None  # set by an in-process worker
        from asyncguard.bot.storage.delivery_writer import DeliveryWriter

        self.delivery_writer = DeliveryWriter(self.db, on_commit=lambda: self.wake_workers())
        self.scheduler = PRQueue(
            self.db,
            create_check=self.create_check,
            supersede=self.supersede,
            debounce=settings.debounce_seconds,
            wake=lambda: self.wake_workers(),
        )
        self._store: Any = None
        self._monitoring: Any = None

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.session = aiohttp.ClientSession()
        if self.settings.configured:
            assert self.settings.app_id is not None and self.settings.private_key is not None
            self.github = GitHubApp(
                session=self.session,
                app_id=self.settings.app_id,
                private_key=self.settings.private_key,
                base_url=self.settings.github_api_url,
                metrics=self.metrics,
                policy=RetryPolicy(
                    max_retries=self.settings.max_retries,
                    backoff_base=self.settings.backoff_base,
                    max_rate_wait=self.settings.max_rate_wait,
                    request_timeout=self.settings.request_timeout,
                    write_spacing=self.settings.write_spacing,
                ),
            )

    async def analyze(self, *args: Any, **kwargs: Any) -> Any:
        """Run the checks pipeline off the event loop (worker process, or a thread when injected)."""
        if self.run_pr is not None:
            return await asyncio.to_thread(self.run_pr, *args, **kwargs)
        if self._pool is None:
            self._pool = _analysis_pool(self.settings.max_concurrent_runs)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, functools.partial(run_pr_job, *args, **kwargs))
        except concurrent.futures.process.BrokenProcessPool:
            self._pool = None  # a worker died (e.g. out of memory): the next run gets a fresh pool
            raise

    def prewarm(self) -> None:
        """Start the analysis workers now, so the first PR run does not pay for their imports."""
        if self.run_pr is None and self._pool is None:
            self._pool = _analysis_pool(self.settings.max_concurrent_runs)
            self._pool.submit(_noop)

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self.session is not None:
            await self.session.close()
        await self.db.close()

    def github_client(self, installation_id: int) -> GitHubClient:
        if self.github is None:
            raise RuntimeError("the GitHub App is not configured")
        return self.github.client(installation_id)

    async def bot_login(self) -> str | None:
        """`<app-slug>[bot]`, the author of our review comments (None if GitHub will not say)."""
        if self._bot_login is None and self.github is not None:
            try:
                app = await self.github.client(None).getitem("/app")
                self._bot_login = f"{app['slug']}[bot]"
            except Exception:
                log.warning("could not read the App's slug; matching our comments by fingerprint only")
                return None
        return self._bot_login

    def governance_store(self) -> Any:
        if self._store is None:
            from asyncguard.bot.governance.audit_store import AuditStore

            self._store = AuditStore(self.db)
        return self._store

    def monitoring_store(self) -> Any:
        if self._monitoring is None:
            from asyncguard.bot.monitoring.store import MonitoringStore

            self._monitoring = MonitoringStore(self.db)
        return self._monitoring

    def governance_context(self, installation_id: int | None) -> Any:
        """E's GovernanceContext, with `rerun` bound to this installation's scheduler."""
        from asyncguard.bot.governance.context import GovernanceContext

        async def rerun(repo: str, number: int, head_sha: str) -> None:
            if installation_id is not None:
                await self.scheduler.request(PRKey(installation_id, repo, number), head_sha, "command")

        return GovernanceContext(store=self.governance_store(), rerun=rerun)

    # ---- scheduler callbacks ------------------------------------------------------------
    async def create_check(self, key: PRKey, head_sha: str) -> int | None:
        """Our in-progress check run for this head if there is one (reused: none dangles), else a new one.

        Under a lock per head across every process, so two events for one head (a push and its
        check suite, handled by two workers) get one check run; and GitHub is asked before
        creating, so a worker killed after creating one but before recording it leaves no twin.
        """
        from asyncguard.bot import checkruns
        from asyncguard.bot.pr_run import CHECK_NAME, now_iso
        from asyncguard.bot.storage import locks, pr_state

        gh = self.github_client(key.installation_id)
        ck = pr_key(key)
        output = {"title": "Analyzing…", "summary": f"asyncguard is checking `{head_sha[:7]}`."}
        try:
            async with locks.hold(self.db, f"check-run:{ck}@{head_sha}"):
                async with self.db.connect() as conn:
                    found = await pr_state.open_check_run(conn, ck, head_sha)
                check_run_id = found[0] if found is not None else await checkruns.find_ours(
                    gh, key.repo, head_sha, CHECK_NAME, open_only=True)
                if check_run_id is not None:
                    await gh.patch(f"/repos/{key.repo}/check-runs/{check_run_id}",
                                   data={"status": "in_progress", "output": output})
                else:
                    data = await gh.post(f"/repos/{key.repo}/check-runs", data={
                        "name": CHECK_NAME, "head_sha": head_sha, "status": "in_progress", "started_at": now_iso(),
                        "external_id": f"{key.repo}#{key.number}", "output": output,
                    })
                    check_run_id = int(data["id"])
                async with self.db.begin() as conn:
                    await pr_state.record_check_run(conn, check_run_id, ck, head_sha)
        except Exception:
            log.exception("could not create the check run for %s@%s", key.repo, head_sha[:7])
            return None
        return check_run_id

    async def check_run_done(self, check_run_id: int | None) -> None:
        from asyncguard.bot.storage import pr_state

        if check_run_id is not None:
            async with self.db.begin() as conn:
                await pr_state.mark_check_run(conn, check_run_id, completed=True)

    async def check_run_annotated(self, check_run_id: int, mark: bool = False) -> bool:
        """Whether this check run already has its annotations (`mark=True`: it has them now)."""
        from asyncguard.bot.storage import pr_state

        if mark:
            async with self.db.begin() as conn:
                await pr_state.mark_check_run(conn, check_run_id, annotated=True)
            return True
        async with self.db.connect() as conn:
            return await pr_state.is_annotated(conn, check_run_id)

    async def run(self, req: RunRequest) -> str:
        from asyncguard.bot.pr_run import PRRun

        if req.check_run_id is None:
            # GitHub refused even the in_progress check run: try once more now, else give up
            req.check_run_id = await self.create_check(req.key, req.head_sha)
            if req.check_run_id is None:
                log.error("no check run for %s#%s@%s: run skipped (GitHub unavailable?)",
                          req.key.repo, req.key.number, req.head_sha[:7])
                return "skipped"
        self.scheduler.runs_started += 1

        async def latest() -> str:
            return await self.scheduler.latest_head(req.key)

        return await PRRun(self, req, latest).execute()

    async def supersede(self, req: RunRequest, newer: str) -> None:
        from asyncguard.bot.pr_run import PRRun

        async def latest() -> str:
            return newer

        await PRRun(self, req, latest).complete_superseded(newer)

    async def give_up(self, req: RunRequest, attempts: int, error: str) -> None:
        """A PR run that kept failing: end its check run with what happened and a re-run button."""
        from asyncguard.bot.pr_run import PRRun

        async def latest() -> str:
            return req.head_sha

        summary = (f"asyncguard tried {attempts} times and could not finish this run.\n\n"
                   f"Last error: `{error[:500]}`\n\nPress **Re-run** to try again.")
        await PRRun(self, req, latest)._complete_quietly("failure", "asyncguard could not finish", summary,
                                                         rerun_button=True)
