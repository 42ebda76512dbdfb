"""One PR run: snapshots of base and head, the shared `checks` pipeline, and the results posted.

Order of work: the check run already exists (`in_progress`, created by the scheduler); fetch
the PR, snapshot both commits by sha, read `.asyncguard.yml` from the BASE, run
`checks.pipeline.run_pr` in a thread, post annotations in batches of 50, sync the review
suggestions, complete the check run, then hand the Report to governance. Any failure completes
the check run with an explanation; a run whose head is no longer the PR's ends `neutral`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gidgethub import BadRequest, GitHubException

from asyncguard.bot import checkruns, output, review
from asyncguard.bot.github import GitHubClient, GitHubUnavailable
from asyncguard.bot.scheduler import RunRequest
from asyncguard.bot.snapshots import SnapshotError
from asyncguard.checks.diffparse import FileDiff, parse_patch
from asyncguard.checks.fingerprint import fingerprints
from asyncguard.checks.pipeline import on_lines
from asyncguard.checks.render.summary import GITHUB_SUMMARY_LIMIT
from asyncguard.checks.report import Report
from asyncguard.contracts.model import ContractError
from asyncguard.rules.model import Finding, Severity

if TYPE_CHECKING:
    from asyncguard.bot.context import BotContext

log = logging.getLogger("asyncguard.pr_run")

CHECK_NAME = "asyncguard"
RERUN_ACTION = {"label": "Re-run", "description": "Run asyncguard on this commit again", "identifier": "rerun"}
CONFIG_FILE = ".asyncguard.yml"
SUMMARY_ROOM = GITHUB_SUMMARY_LIMIT - 4000  # the bot's own lines around the report's summary


class Superseded(Exception):
    def __init__(self, newer: str) -> None:
        super().__init__(newer)
        self.newer = newer


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


GITHUB_FILE_LIST_CAP = 3000  # pulls/list-files lists at most this many files


def changed_from_files(files: list[dict[str, Any]], head_root: Path | None = None) -> dict[str, FileDiff]:
    """pulls/list-files entries -> FileDiff per path (via the same diff parser as the CLI).

    Files without a `patch` still count as changed files. When GitHub left the patch out because
    the diff is too large, every line of the head's (text) file counts as changed; binary files
    get no lines. No hunk lines either way: no review comments where GitHub shows no diff.
    """
    changed: dict[str, FileDiff] = {}
    for f in files:
        if f.get("status") == "removed":
            continue
        path = f["filename"]  # data: a name may hold a newline, a tab, quotes or diff-header text
        patch = f.get("patch")
        new_file = f.get("status") == "added"
        if not patch:
            changed[path] = FileDiff(added_lines=_all_lines(head_root, path), new_file=new_file,
                                     old_path=f.get("previous_filename"))
            continue
        changed[path] = parse_patch(patch.rstrip("\n"), new_file=new_file, old_path=f.get("previous_filename"))
    return changed


def _all_lines(head_root: Path | None, path: str) -> set[int]:
    if head_root is None or not path.endswith(".py"):
        return set()
    try:
        text = (head_root / path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return set()
    return set(range(1, text.count("\n") + 2))


def blocking_findings(
    findings: list[Finding], changed: dict[str, FileDiff], broken_sites: set[tuple[str, int]] | None = None
) -> list[Finding]:
    """Errors on lines the PR changed, and errors at call sites it broke (also in files it never touched)."""
    out = []
    for f in findings:
        if f.severity is not Severity.ERROR:
            continue
        diff = changed.get(f.path)
        if f.code.startswith("AG2") or (f.path, f.line) in (broken_sites or set()) or (
                diff is not None and on_lines(f, diff.added_lines)):
            out.append(f)
    return out


def enforced_split(findings: list[Finding], settings: Any) -> tuple[list[Finding], list[Finding]]:
    """(blocking, warned): findings whose rule is in warn mode (`mode` of the base's settings) are
    reported and make the check neutral, never failing."""
    enforced = getattr(settings, "enforced", None)
    if enforced is None:
        return findings, []
    return [f for f in findings if enforced(f.code)], [f for f in findings if not enforced(f.code)]


def _explain(exc: BaseException) -> tuple[str, str | None]:
    """(what went wrong, a hint) in words for the check run."""
    if isinstance(exc, SnapshotError):
        return f"The source snapshot could not be used: {exc}.", None
    if isinstance(exc, GitHubUnavailable):
        return f"GitHub did not answer after several retries ({exc}).", "This is usually temporary."
    if isinstance(exc, GitHubException):
        status = getattr(exc, "status_code", None)
        return f"GitHub refused a request ({int(status) if status else '?'}: {exc}).", None
    if isinstance(exc, TimeoutError):
        return "The run took too long and was stopped.", None
    if isinstance(exc, ContractError):  # the repository's contract settings or files: not our bug
        return f"The interface contract could not be compared: {exc}.", "Fix this on the base branch."
    return f"The analysis failed: `{exc.__class__.__name__}: {str(exc)[:500]}`.", "Please report this with the commit sha."


def read_repo_config(base_root: Path, notes: list[str]) -> Any:
    """`.asyncguard.yml` of the base tree (defaults when absent or unreadable, said in `notes`)."""
    from asyncguard.bot.governance.repo_config import load_repo_config

    path = base_root / CONFIG_FILE
    text: str | None = None
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            notes.append(f"`{CONFIG_FILE}` could not be read ({exc.__class__.__name__}); defaults used")
    return load_repo_config(text)


def run_settings(ctx: BotContext, repo: str, repo_config: Any, base_root: Path, notes: list[str]) -> Any:
    """The checks settings of a bot run: the base's `.asyncguard.yml` rules, else its [tool.asyncguard]."""
    from asyncguard.checks.config import ConfigError, Settings
    from asyncguard.checks.config import load_settings as load_checks_settings

    settings = repo_config.settings
    if settings is None:
        # No `rules:` in .asyncguard.yml: the base tree's [tool.asyncguard], as `asyncguard pr` does.
        try:
            settings = load_checks_settings(base_root)
        except ConfigError as exc:
            notes.append(f"`pyproject.toml` [tool.asyncguard] is invalid, defaults used: {exc}")
            settings = Settings()
    cache = ctx.data_dir / "index-cache" / repo.replace("/", "__")
    training = settings.training_url or ctx.training_url
    # Snapshots hold no installed libraries, and no path from the repository may steer the bot.
    return replace(settings, cache_dir=str(cache), training_url=training, python=None, libraries=False)


class PRRun:
    """Everything one run needs; `execute` never raises (except cancellation)."""

    def __init__(self, ctx: BotContext, req: RunRequest, latest_head: Callable[[], Awaitable[str]]) -> None:
        self.ctx = ctx
        self.req = req
        self.latest_head = latest_head
        self.repo = req.key.repo
        self.number = req.key.number
        self.gh: GitHubClient = ctx.github_client(req.key.installation_id)
        self.started = self._mark = time.monotonic()
        self.timings: dict[str, float] = {}
        self.base_sha = ""
        self.notes: list[str] = []
        self.started_at = time.time()  # wall clock, against the request's time: the queue wait
        self.seen: list[Any] = []  # the findings this run showed (bot.monitoring.store.SeenFinding)
        self.pull: dict[str, Any] | None = None  # once fetched: governance is posted even if the run fails
        self.repo_config: Any = None

    @property
    def run_url(self) -> str:
        return f"/repos/{self.repo}/check-runs/{self.req.check_run_id}"

    async def _check_current(self) -> None:
        latest = await self.latest_head()
        if latest and latest != self.req.head_sha:
            raise Superseded(latest)

    async def execute(self) -> str:
        """Run and post; returns the conclusion."""
        conclusion = "failure"
        try:
            async with asyncio.timeout(self.ctx.settings_run_timeout):
                conclusion = await self._run()
        except Superseded as sup:
            conclusion = "neutral"
            await self.complete_superseded(sup.newer)
        except asyncio.CancelledError:
            await self._complete_quietly(
                "cancelled", "Run stopped", "asyncguard stopped before this run finished (restart or shutdown); "
                "re-run the check to get a result."
            )
            raise
        except Exception as exc:
            log.exception("PR run %s#%s@%s failed", self.repo, self.number, self.req.head_sha[:7])
            what, hint = _explain(exc)
            summary = output.render_check_summary(
                error=what, hint=hint, head_sha=self.req.head_sha, base_sha=self.base_sha,
                duration=time.monotonic() - self.started,
            )
            conclusion = "timed_out" if isinstance(exc, TimeoutError) else "failure"
            await self._complete_quietly(conclusion, "asyncguard could not finish", summary)
            await self._governance_unknown(what)
        self.ctx.metrics.runs.inc(conclusion=conclusion)
        self.ctx.metrics.jobs.observe(time.monotonic() - self.started, kind="pr_run", outcome=conclusion)
        await self._record_run(conclusion)
        return conclusion

    async def _record_run(self, conclusion: str) -> None:
        """Duration, queue wait and the findings shown, for the dashboard (never fails the run)."""
        from collections import Counter

        from asyncguard.bot.monitoring.store import RunRecord

        try:
            await self.ctx.monitoring_store().record_run(RunRecord(
                self.repo, self.number, self.req.head_sha, conclusion, time.monotonic() - self.started,
                max(0.0, self.started_at - self.req.requested_at), dict(Counter(s.rule for s in self.seen)),
                self.req.key.installation_id,
            ), self.seen)
        except Exception:
            log.exception("could not record run metrics for %s#%s", self.repo, self.number)

    async def _complete_quietly(self, conclusion: str, title: str, summary: str, rerun_button: bool = False) -> None:
        if self.req.check_run_id is None:
            return
        data: dict[str, Any] = {
            "status": "completed", "conclusion": conclusion, "completed_at": now_iso(),
            "output": {"title": output.clip_title(title), "summary": summary},
        }
        if rerun_button:
            data["actions"] = [RERUN_ACTION]
        try:
            await self.gh.patch(self.run_url, data=data)
            await self.ctx.check_run_done(self.req.check_run_id)
        except Exception:
            log.exception("could not complete check run %s", self.req.check_run_id)

    async def complete_superseded(self, newer: str) -> None:
        summary = output.render_check_summary(superseded_by=newer, head_sha=self.req.head_sha, base_sha=self.base_sha)
        await self._complete_quietly("neutral", f"Superseded by {newer[:7]}", summary)

    async def _run(self) -> str:
        pull: dict[str, Any] = await self.gh.getitem(f"/repos/{self.repo}/pulls/{self.number}")
        if pull["head"]["sha"] != self.req.head_sha:
            raise Superseded(pull["head"]["sha"])
        self.base_sha = pull["base"]["sha"]
        self.pull = pull
        if pull.get("state") != "open":
            await self._complete_quietly("neutral", "Pull request closed", "The pull request was closed before this run.")
            return "neutral"
        snaps = self.ctx.snapshots
        self._phase("pull")
        head_root, base_root = await asyncio.gather(
            snaps.get(self.gh, self.repo, self.req.head_sha), snaps.get(self.gh, self.repo, self.base_sha)
        )
        self._phase("snapshots")
        files = [f async for f in self.gh.getiter(f"/repos/{self.repo}/pulls/{self.number}/files?per_page=100")]
        changed = await asyncio.to_thread(changed_from_files, files, head_root)
        if len(files) >= GITHUB_FILE_LIST_CAP:
            self.notes.append(f"GitHub lists at most {GITHUB_FILE_LIST_CAP} changed files; findings in files "
                              "beyond them are not annotated by changed lines.")
        repo_config = self.repo_config = await asyncio.to_thread(self._repo_config, base_root)
        settings = self._settings(repo_config, base_root)
        await self._check_current()
        self._phase("files")
        report: Report = await self.ctx.analyze(
            base_root, head_root, changed, settings,
            annotate=repo_config.annotate, extra_checklist=tuple(repo_config.checklist_extra),
        )
        self._phase("analysis")
        await asyncio.to_thread(snaps.evict, frozenset({head_root, base_root}))
        await self._check_current()
        conclusion = await self._post(pull, report, changed, head_root, settings, repo_config)
        self._phase("post")
        log.info("%s#%s@%s %s in %s", self.repo, self.number, self.req.head_sha[:7], conclusion,
                 ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items()))
        return conclusion

    def _phase(self, name: str) -> None:
        """Record how long the phase that just ended took (logs and /metrics)."""
        now = time.monotonic()
        took = now - self._mark
        self._mark = now
        self.timings[name] = took
        self.ctx.metrics.jobs.observe(took, kind=f"pr_run_{name}", outcome="ok")

    def _repo_config(self, base_root: Path) -> Any:
        return read_repo_config(base_root, self.notes)

    def _settings(self, repo_config: Any, base_root: Path) -> Any:
        return run_settings(self.ctx, self.repo, repo_config, base_root, self.notes)

    async def _post(
        self, pull: dict[str, Any], report: Report, changed: dict[str, FileDiff], head_root: Path, settings: Any,
        repo_config: Any,
    ) -> str:
        base_url = settings.training_url
        fps = fingerprints(report.findings, head_root)
        existing = [c async for c in self.gh.getiter(f"/repos/{self.repo}/pulls/{self.number}/comments?per_page=100")]
        reported = await self._reported(existing)
        self.seen = await asyncio.to_thread(self._seen, report.findings, fps, head_root, repo_config)
        hidden = [f for f, fp in zip(report.findings, fps, strict=True) if fp in reported]
        if hidden:
            kept = [(f, fp) for f, fp in zip(report.findings, fps, strict=True) if fp not in reported]
            report = replace(report, findings=[f for f, _ in kept])
            fps = [fp for _, fp in kept]
        candidates = blocking_findings(report.findings, changed, report.broken_sites)
        blocking, warned = enforced_split(candidates, settings)
        conclusion = "failure" if blocking else ("neutral" if warned else self.ctx.clean_conclusion)
        title, body = output.report_summary(report, base_url, SUMMARY_ROOM)
        notes: list[str] = list(self.notes)
        bypass = await self._bypass()
        if bypass is not None:  # `/asyncguard bypass` for this very commit: findings shown, nothing blocks
            conclusion = "success"
            title = f"Bypassed by @{bypass.actor}: {title}"
            notes.insert(0, f"Emergency bypass by @{bypass.actor} for this commit: {bypass.reason}")

        # annotations, 50 a request; a rejected batch does not lose the others; a retried run (its
        # worker died after posting some or all of them) posts only those GitHub does not have yet:
        # the same head gives the same findings in the same order, and each batch lands whole or not at all
        assert self.req.check_run_id is not None
        to_post: Sequence[Finding] = report.findings
        if await self.ctx.check_run_annotated(self.req.check_run_id):
            to_post = []
        elif to_post:
            already = await checkruns.annotations_posted(self.gh, self.repo, self.req.head_sha, CHECK_NAME,
                                                         self.req.check_run_id)
            to_post = to_post[already:]
        batches = list(output.annotation_batches(to_post, base_url))
        rejected = 0
        for i, batch in enumerate(batches, 1):
            try:
                await self.gh.patch(self.run_url, data={"output": {
                    "title": output.clip_title(title),
                    "summary": f"Posting annotations ({i}/{len(batches)})…",
                    "annotations": batch,
                }})
            except BadRequest as exc:
                rejected += len(batch)
                log.warning("annotation batch %d/%d rejected: %s", i, len(batches), exc)
        if batches:
            await self.ctx.check_run_annotated(self.req.check_run_id, mark=True)
        if rejected:
            notes.append(f"GitHub rejected {rejected} of {len(report.findings)} annotations; they are listed in the summary counts.")
        if hidden:
            notes.append(f"{len(hidden)} finding{'s' if len(hidden) != 1 else ''} reported as false positive"
                         f"{'s' if len(hidden) != 1 else ''} on this pull request {'are' if len(hidden) != 1 else 'is'}"
                         " not shown again.")

        await self._check_current()
        review_note = await self._sync_review(report, fps, existing, reported, changed, head_root, base_url)
        await self._check_current()
        summary = output.render_check_summary(
            blocking=len(blocking), warned=len(warned), body=body, config_note=repo_config.error_note() if repo_config.errors else "",
            review=review_note, annotation_notes=notes, head_sha=self.req.head_sha, base_sha=self.base_sha,
            duration=time.monotonic() - self.started,
        )
        await self.gh.patch(self.run_url, data={
            "status": "completed", "conclusion": conclusion, "completed_at": now_iso(),
            "output": {"title": output.clip_title(title), "summary": summary},
        })
        await self.ctx.check_run_done(self.req.check_run_id)
        await self._governance(pull, report, repo_config)
        return conclusion

    async def _bypass(self) -> Any:
        """The governance store's emergency bypass for this head, if one is in force."""
        try:
            store = self.ctx.governance_store()
            state = await store.state(self.repo, self.number)
        except Exception:  # no store, no bypass: the run's own verdict stands
            log.exception("could not read the governance state of %s#%s", self.repo, self.number)
            return None
        return state.bypassed(self.req.head_sha)

    async def _reported(self, existing: list[dict[str, Any]]) -> set[str]:
        """Fingerprints reported as false positives on this PR (👎 on our comments recorded first)."""
        from asyncguard.bot.monitoring.handlers import collect_reactions

        store = self.ctx.monitoring_store()
        try:
            await collect_reactions(self.gh, store, self.repo, self.number, existing, await self.ctx.bot_login())
        except GitHubException as exc:  # the reactions are read again on the next run
            log.warning("could not read reactions on %s#%s: %s", self.repo, self.number, exc)
        return set(await store.reported_by(self.repo, self.number))

    def _seen(self, findings: list[Finding], fps: list[str], head_root: Path, repo_config: Any) -> list[Any]:
        from asyncguard.bot.monitoring.handlers import seen_records

        return seen_records(self.repo, self.number, self.req.head_sha, findings, fps, head_root,
                            bool(getattr(repo_config, "share_snippets", False)))

    async def _sync_review(self, report: Report, fps: list[str], existing: list[dict[str, Any]], reported: set[str],
                           changed: dict[str, FileDiff], head_root: Path, base_url: str | None) -> str:
        suggestions = review.build_suggestions(report.findings, fps, head_root, changed, base_url)
        plan = review.plan_review(suggestions, existing, await self.ctx.bot_login(), keep=reported)
        deleted = 0
        for cid in plan.delete:
            try:
                await self.gh.delete(f"/repos/{self.repo}/pulls/comments/{cid}")
                deleted += 1
            except BadRequest as exc:
                if getattr(exc, "status_code", None) != 404:
                    raise
        posted = 0
        note = ""
        if plan.post:
            try:
                await self.gh.post(f"/repos/{self.repo}/pulls/{self.number}/reviews",
                                   data=review.review_payload(self.req.head_sha, plan.post))
                posted = len(plan.post)
            except BadRequest as exc:
                log.warning("review rejected for %s#%s: %s", self.repo, self.number, exc)
                note = " GitHub rejected the review; the fixes remain as annotations."
        parts = []
        if posted:
            parts.append(f"{posted} suggested fix{'es' if posted != 1 else ''} posted as review comments")
        if plan.kept:
            parts.append(f"{plan.kept} already on the pull request")
        if deleted:
            parts.append(f"{deleted} outdated comment{'s' if deleted != 1 else ''} removed")
        if plan.over_limit:
            parts.append(f"{plan.over_limit} more left as annotations (at most {review.MAX_COMMENTS} on a pull request)")
        return ("; ".join(parts) + "." if parts else "") + note

    async def _governance_unknown(self, what: str) -> None:
        """The run failed after the PR was read: the gate still says something (failing, and why)."""
        if self.pull is None or self.pull.get("state") != "open":
            return
        try:
            from asyncguard.bot.governance.gate import after_failed_run
            from asyncguard.bot.governance.ghops import fetch_repo_config

            cfg = self.repo_config or await fetch_repo_config(self.gh, self.repo, self.base_sha)
            await after_failed_run(
                self.gh, store=self.ctx.governance_store(), repo_full_name=self.repo, pull=self.pull,
                head_sha=self.req.head_sha, reason=what, repo_config=cfg,
            )
        except Exception:
            log.exception("could not post the governance check for %s#%s", self.repo, self.number)

    async def _governance(self, pull: dict[str, Any], report: Report, repo_config: Any) -> None:
        try:
            from asyncguard.bot.governance.gate import after_pr_run

            await after_pr_run(
                self.gh, store=self.ctx.governance_store(), repo_full_name=self.repo, pull=pull,
                head_sha=self.req.head_sha, report=report, repo_config=repo_config,
            )
        except Exception:  # governance posts its own check; a failure there must not undo ours
            log.exception("governance after_pr_run failed for %s#%s", self.repo, self.number)
