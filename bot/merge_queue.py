"""Merge queues: GitHub's `merge_group` `checks_requested` runs both checks on the group's head.

A repository with a merge queue requires its checks on the merge group's commit, not only on the
PR's head; without this handler a required `asyncguard` would block every merge. The group's
change is `base_sha` (its parent: the branch tip or the group ahead) -> `head_sha`, so a caller
that another queued or just-merged PR added and this one broke is caught here, where the PR's
own run could not see it. The run is the PR run's pipeline on that pair of commits: findings on
the changed lines and at the call sites the change broke block, warn-mode rules make it neutral.
Then `bot.governance.merge_group` posts `asyncguard/governance` on the same commit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gidgethub import BadRequest, routing, sansio

from asyncguard.bot import output
from asyncguard.bot.pr_run import (
    CHECK_NAME,
    SUMMARY_ROOM,
    _explain,
    blocking_findings,
    changed_from_files,
    enforced_split,
    now_iso,
    read_repo_config,
    run_settings,
)

if TYPE_CHECKING:
    from asyncguard.bot.context import BotContext

log = logging.getLogger("asyncguard.merge_queue")

router = routing.Router()
COMPARE_FILE_CAP = 300  # repos/compare-commits lists at most this many files


@dataclass(frozen=True)
class MergeGroup:
    installation_id: int
    repo: str
    head_sha: str
    head_ref: str
    base_sha: str
    base_ref: str


def group_from_event(data: dict[str, Any]) -> MergeGroup | None:
    """The merge group of a `checks_requested` delivery (None without an installation)."""
    inst = data.get("installation") or {}
    group = data["merge_group"]
    if inst.get("id") is None:
        return None
    return MergeGroup(int(inst["id"]), data["repository"]["full_name"], group["head_sha"], group["head_ref"],
                      group["base_sha"], group["base_ref"])


@router.register("merge_group", action="checks_requested")
async def on_merge_group(event: sansio.Event, gh: Any, *args: Any, bot: Any = None, **kwargs: Any) -> None:
    group = group_from_event(event.data)
    if group is None:
        return
    await MergeGroupRun(bot, group).execute()


class MergeGroupRun:
    """One run on a merge group's head: the `asyncguard` check, then `asyncguard/governance`."""

    def __init__(self, ctx: BotContext, group: MergeGroup) -> None:
        self.ctx = ctx
        self.group = group
        self.gh = ctx.github_client(group.installation_id)
        self.notes: list[str] = []
        self.started = time.monotonic()
        self.check_run_id: int | None = None

    @property
    def repo(self) -> str:
        return self.group.repo

    async def execute(self) -> str:
        """Run and post both checks; returns the `asyncguard` conclusion."""
        from asyncguard.bot.checkruns import find_ours

        g = self.group
        output_ = {"title": "Analyzing the merge group…", "summary": f"asyncguard is checking `{g.head_sha[:7]}`."}
        # a retried delivery (its worker was killed) reuses the run it left in progress: no twin stays open
        self.check_run_id = await find_ours(self.gh, self.repo, g.head_sha, CHECK_NAME, open_only=True)
        if self.check_run_id is None:
            created = await self.gh.post(f"/repos/{self.repo}/check-runs", data={
                "name": CHECK_NAME, "head_sha": g.head_sha, "status": "in_progress", "started_at": now_iso(),
                "external_id": f"{self.repo}@{g.head_ref}", "output": output_,
            })
            self.check_run_id = int(created["id"])
        try:
            async with asyncio.timeout(self.ctx.settings_run_timeout):
                return await self._run()
        except Exception as exc:
            log.exception("merge group run %s@%s failed", self.repo, g.head_sha[:7])
            what, hint = _explain(exc)
            summary = output.render_check_summary(error=what, hint=hint, head_sha=g.head_sha, base_sha=g.base_sha,
                                                  duration=time.monotonic() - self.started)
            conclusion = "timed_out" if isinstance(exc, TimeoutError) else "failure"
            await self._complete(conclusion, "asyncguard could not finish", summary)
            await self._governance(None, None, evaluated=False)
            return conclusion

    async def _run(self) -> str:
        g = self.group
        snaps = self.ctx.snapshots
        head_root, base_root = await asyncio.gather(
            snaps.get(self.gh, self.repo, g.head_sha), snaps.get(self.gh, self.repo, g.base_sha))
        compare = await self.gh.getitem(f"/repos/{self.repo}/compare/{g.base_sha}...{g.head_sha}")
        files = list(compare.get("files") or [])
        if len(files) >= COMPARE_FILE_CAP:
            self.notes.append(f"GitHub compares at most {COMPARE_FILE_CAP} files; findings in files beyond them "
                              "are not matched to changed lines.")
        changed = await asyncio.to_thread(changed_from_files, files, head_root)
        repo_config = await asyncio.to_thread(read_repo_config, base_root, self.notes)
        settings = run_settings(self.ctx, self.repo, repo_config, base_root, self.notes)
        report = await self.ctx.analyze(base_root, head_root, changed, settings, annotate=repo_config.annotate,
                                        extra_checklist=tuple(repo_config.checklist_extra))
        await asyncio.to_thread(snaps.evict, frozenset({head_root, base_root}))
        blocking, warned = enforced_split(blocking_findings(report.findings, changed, report.broken_sites), settings)
        conclusion = "failure" if blocking else ("neutral" if warned else self.ctx.clean_conclusion)
        base_url = settings.training_url
        title, body = output.report_summary(report, base_url, SUMMARY_ROOM)
        bypass = await self._bypass()
        if bypass is not None:
            conclusion = "success"
            title = f"Bypassed by @{bypass[1].actor} (#{bypass[0]}): {title}"
            self.notes.insert(0, f"Emergency bypass by @{bypass[1].actor} on #{bypass[0]}: {bypass[1].reason}")
        from asyncguard.bot.checkruns import annotations_posted

        rejected = 0
        assert self.check_run_id is not None
        # GitHub appends annotations across updates: a retry posts only those an earlier attempt did not
        done = await annotations_posted(self.gh, self.repo, g.head_sha, CHECK_NAME, self.check_run_id)
        anns = [a for batch in output.annotation_batches(report.findings, base_url) for a in batch][done:]
        step = output.ANNOTATION_BATCH
        batches = [anns[i:i + step] for i in range(0, len(anns), step)]
        for i, batch in enumerate(batches, 1):
            try:
                await self.gh.patch(self._run_url, data={"output": {
                    "title": output.clip_title(title), "summary": f"Posting annotations ({i}/{len(batches)})…",
                    "annotations": batch}})
            except BadRequest as exc:
                rejected += len(batch)
                log.warning("merge group annotation batch %d/%d rejected: %s", i, len(batches), exc)
        if rejected:
            self.notes.append(f"GitHub rejected {rejected} of {len(report.findings)} annotations.")
        summary = output.render_check_summary(
            blocking=len(blocking), warned=len(warned), body=body,
            config_note=repo_config.error_note() if repo_config.errors else "",
            annotation_notes=[f"Merge group `{g.head_ref.removeprefix('refs/heads/')}` into `{g.base_ref.removeprefix('refs/heads/')}`.",
                              *self.notes],
            head_sha=g.head_sha, base_sha=g.base_sha, duration=time.monotonic() - self.started)
        await self._complete(conclusion, title, summary)
        await self._governance(report.contract_diff, repo_config, evaluated=True)
        return conclusion

    @property
    def _run_url(self) -> str:
        return f"/repos/{self.repo}/check-runs/{self.check_run_id}"

    async def _bypass(self) -> tuple[int, Any] | None:
        """A `/asyncguard bypass` in force on the current head of a PR the group adds."""
        from asyncguard.bot.governance.merge_group import queued_prs

        store = self.ctx.governance_store()
        for pr in queued_prs(self.group.head_ref):
            state = await store.state(self.repo, pr)
            b = state.bypassed(state.head_sha)
            if b is not None:
                return pr, b
        return None

    async def _complete(self, conclusion: str, title: str, summary: str) -> None:
        try:
            await self.gh.patch(self._run_url, data={
                "status": "completed", "conclusion": conclusion, "completed_at": now_iso(),
                "output": {"title": output.clip_title(title), "summary": summary}})
        except Exception:
            log.exception("could not complete the merge group check run %s", self.check_run_id)

    async def _governance(self, contract_diff: Any, repo_config: Any, *, evaluated: bool) -> None:
        from asyncguard.bot.governance.ghops import fetch_repo_config
        from asyncguard.bot.governance.merge_group import after_group_run

        try:
            cfg = repo_config or await fetch_repo_config(self.gh, self.repo, self.group.base_sha)
            await after_group_run(
                self.gh, store=self.ctx.governance_store(), repo_full_name=self.repo, head_sha=self.group.head_sha,
                head_ref=self.group.head_ref, contract_diff=contract_diff, repo_config=cfg, evaluated=evaluated)
        except Exception:
            log.exception("could not post the governance check on merge group %s@%s", self.repo,
                          self.group.head_sha[:7])
