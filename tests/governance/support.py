"""Helpers for governance tests: a fake GitHub serving a real git repo with a PR that flips a
function to `async def`, an installation-token client, the store, and webhook payload builders
(GitHub's example payloads rewritten and re-checked against octokit's schemas)."""

from __future__ import annotations

import copy
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakegithub import FakeGitHub, GitRepo, example_payload, pull_request_payload, validate_payload
from fakegithub.governance_routes import gov, human_comment
from gidgethub import aiohttp as gh_aiohttp
from gidgethub import sansio

from asyncguard.bot.governance import router
from asyncguard.bot.governance.audit_store import AuditStore
from asyncguard.bot.governance.context import GovernanceContext
from asyncguard.bot.governance.gate import after_pr_run
from asyncguard.bot.governance.ghops import fetch_repo_config
from asyncguard.bot.governance.repo_config import RepoConfig
from asyncguard.checks.config import Settings
from asyncguard.checks.diffparse import parse_unified_diff
from asyncguard.checks.pipeline import run_pr
from asyncguard.checks.report import Report

REPO = "acme/widgets"
CONFIG = """\
governance:
  review_teams: [acme/architecture]
  interface_paths: ["pkg/**"]
"""
API_V1 = "def fetch(url):\n    return url\n"
API_ASYNC = "async def fetch(url):\n    return url\n"
API_ASYNC_2 = "async def fetch(url, timeout):\n    return url\n"
APP = "from pkg.api import fetch\n\n\ndef main():\n    fetch('x')\n"


def pr_report(git: GitRepo, base: str, head: str, tmp: Path, cfg: RepoConfig) -> Report:
    """What the PR run computes: `checks.pipeline.run_pr` over both trees (as archived by git)."""
    roots = []
    for sha in (base, head):
        dest = tmp / f"tree-{sha[:10]}"
        if not dest.exists():
            with tarfile.open(fileobj=io.BytesIO(git.archive(sha, "t")), mode="r:gz") as tar:
                tar.extractall(dest, filter="data")
        roots.append(dest / "t")
    changed = parse_unified_diff(git.git("diff", "--no-color", base, head).decode())
    settings = cfg.settings or Settings()
    return run_pr(roots[0], roots[1], changed, settings, annotate=cfg.annotate,
                  extra_checklist=cfg.checklist_extra, use_cache=False)


@dataclass
class Env:
    fake: FakeGitHub
    git: GitRepo
    gh: gh_aiohttp.GitHubAPI
    store: AuditStore
    ctx: GovernanceContext
    tmp: Path
    number: int = 1

    # ---- the PR ---------------------------------------------------------------------------
    @property
    def pull(self) -> Any:
        return self.fake.repos[REPO].pulls[self.number]

    def push(self, files: dict[str, str | bytes | None], message: str = "push") -> str:
        self.git.checkout("feature")
        sha = self.git.commit(message, files)
        self.git.checkout("main")
        self.fake.push(REPO, self.number)
        return sha

    async def run_gate(self) -> Any:
        """What the PR run does when it finishes: config from BASE, report, `after_pr_run`."""
        pull = self.pull
        cfg = await fetch_repo_config(self.gh, REPO, pull.base_ref)
        report = pr_report(self.git, pull.base_sha, pull.head_sha, self.tmp, cfg)
        pull_json = await self.gh.getitem(f"/repos/{REPO}/pulls/{self.number}")
        return await after_pr_run(self.gh, store=self.store, repo_full_name=REPO, pull=pull_json,
                                  head_sha=pull.head_sha, report=report, repo_config=cfg)

    # ---- what GitHub shows ----------------------------------------------------------------
    def gate_runs(self, head: str | None = None) -> list[Any]:
        return self.fake.runs_for(REPO, head or self.pull.head_sha, name="asyncguard/governance")

    def conclusion(self, head: str | None = None) -> str | None:
        runs = self.gate_runs(head)
        return runs[-1].conclusion if runs else None

    def labels(self) -> list[str]:
        return list(gov(self.fake).labels.get((REPO, self.number), []))

    def bot_comments(self) -> list[Any]:
        return [c for c in self.fake.issue_comments.values() if c.repo == REPO and c.user_type == "Bot"]

    async def kinds(self) -> list[str]:
        return [r.kind for r in await self.store.records(repo=REPO, pr=self.number)]

    # ---- webhook deliveries, dispatched to the governance router ----------------------------
    async def dispatch(self, event: str, payload: dict[str, Any]) -> None:
        await router.dispatch(sansio.Event(payload, event=event, delivery_id="d"), self.gh, governance=self.ctx)

    def label_payload(self, action: str, label: str, sender: str, sender_type: str = "User",
                      head_sha: str | None = None) -> dict[str, Any]:
        p = pull_request_payload(self.fake, REPO, self.number, action)
        p["label"] = dict(p.get("label") or example_payload("pull_request", "labeled")["label"], name=label)
        p["sender"] = dict(p["sender"], login=sender, type=sender_type)
        if head_sha:
            p["pull_request"]["head"]["sha"] = head_sha
        validate_payload("pull_request", action, p)
        return p

    def closed_payload(self, merged_by: str) -> dict[str, Any]:
        p = pull_request_payload(self.fake, REPO, self.number, "closed")
        p["pull_request"].update(merged=True, state="closed", merge_commit_sha="f" * 40,
                                 merged_by=dict(p["sender"], login=merged_by))
        p["sender"] = dict(p["sender"], login=merged_by)
        validate_payload("pull_request", "closed", p)
        return p

    def comment_payload(self, body: str, user: str, *, user_type: str = "User", on_pull: bool = True,
                        edited_from: str | None = None) -> dict[str, Any]:
        """A comment the person really made (stored in the fake) and its `issue_comment` delivery."""
        c = human_comment(self.fake, REPO, self.number, body, user, user_type)
        action = "edited" if edited_from is not None else "created"
        p = copy.deepcopy(example_payload("issue_comment", "created.with-installation"))
        p["action"] = action
        repo = self.fake.repos[REPO]
        p["repository"].update(full_name=REPO, name=repo.name)
        p["repository"]["owner"]["login"] = repo.owner
        p["issue"]["number"] = self.number
        if on_pull:
            p["issue"]["pull_request"] = {
                "url": f"https://api.github.com/repos/{REPO}/pulls/{self.number}",
                "html_url": f"https://github.com/{REPO}/pull/{self.number}",
                "diff_url": f"https://github.com/{REPO}/pull/{self.number}.diff",
                "patch_url": f"https://github.com/{REPO}/pull/{self.number}.patch",
            }
        else:
            p["issue"].pop("pull_request", None)
        p["comment"].update(id=c.id, body=body)
        p["comment"]["user"] = dict(p["comment"]["user"], login=user, type=user_type)
        p["sender"] = dict(p["sender"], login=user, type=user_type)
        p["installation"] = {"id": repo.installation_id, "node_id": f"I_{repo.installation_id}"}
        if edited_from is not None:
            p["changes"] = {"body": {"from": edited_from}}
        validate_payload("issue_comment", action, p)
        return p
