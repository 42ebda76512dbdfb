"""Merge queues: a `merge_group` `checks_requested` delivery gets both checks on the group's head.

Through the real bot (signed webhooks, its job queue, the analysis worker) and the fake GitHub
that validates every request against GitHub's OpenAPI; the group is a real merge commit on a
`gh-readonly-queue/...` branch of the repository the fake serves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fakegithub import pull_request_payload
from fakegithub.webhooks import merge_group_payload

from asyncguard.bot.governance.audit_store import Approval, Bypass, PRState
from asyncguard.bot.governance.changes import fingerprint
from asyncguard.bot.governance.merge_group import decide_group, queued_prs
from asyncguard.bot.governance.repo_config import load_repo_config

from .support import CONFIG, REPO, Env

FIXED_APP = "from pkg.api import fetch\n\n\nasync def main():\n    await fetch('x')\n"
# merged into main while PR #1 waited: a sync caller of `fetch`, fine until #1 makes it async
NIGHTLY = "from pkg.api import fetch\n\n\ndef nightly():\n    fetch('n')\n"


async def _deliver(bot: Any, event: str, payload: dict[str, Any]) -> None:
    status, text = await bot.webhook.deliver(event, payload)
    assert status == 202, text
    await bot.settle()


def _queue_group(env: Env, number: int = 1) -> tuple[str, str]:
    """What GitHub does when PR `number` enters the queue: merge it onto main's tip on a queue branch."""
    base = env.git.resolve("main")
    env.git.checkout("main", new_branch=f"gh-readonly-queue/main/pr-{number}-{base}")
    env.git.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{number}", "feature")
    head = env.git.head()
    env.git.checkout("main")
    return base, head


def _check(env: Env, head: str, name: str) -> Any:
    runs = env.fake.runs_for(REPO, head, name=name)
    assert runs, f"no {name} check on {head[:7]}"
    return runs[-1]


async def _approved_pr(env: Env, bot: Any) -> None:
    env.push({"app.py": FIXED_APP}, "update the caller")
    await _deliver(bot, "pull_request", pull_request_payload(env.fake, REPO, 1, "synchronize"))
    assert _check(env, env.pull.head_sha, "asyncguard").conclusion == "success"
    assert env.conclusion() == "failure"  # `fetch` became async: governed, needs approval
    await _deliver(bot, "issue_comment", env.comment_payload("/asyncguard approve API review done", "alice"))
    assert env.conclusion() == "success"


async def test_group_gets_both_checks_and_catches_a_caller_the_base_gained(
    env: Env, start_bot: Callable[..., Awaitable[Any]]
) -> None:
    bot = await start_bot()
    await _approved_pr(env, bot)
    env.git.commit("another PR merged: a nightly job", {"jobs.py": NIGHTLY})  # on main
    base, head = _queue_group(env)

    await _deliver(bot, "merge_group", merge_group_payload(env.fake, REPO, head_sha=head, base_sha=base, number=1))
    analysis = _check(env, head, "asyncguard")
    assert analysis.status == "completed" and analysis.conclusion == "failure"
    # the caller neither PR's own run could see: added on main, broken by #1's change
    failing = [(a["path"], a["start_line"], a["title"]) for a in analysis.annotations
               if a["annotation_level"] == "failure" and a["path"] != "pkg/api.py"]
    assert failing == [("jobs.py", 5, "AG202 sync-to-async")]
    assert "call sites: 1 old-style `jobs.py:5`" in analysis.output["summary"]
    assert "Merge group `gh-readonly-queue/main/pr-1-" in analysis.output["summary"]
    gate = _check(env, head, "asyncguard/governance")
    assert gate.conclusion == "success" and gate.output["title"] == "1 breaking change(s) approved on #1"
    assert "#1 approved by @alice" in gate.output["summary"]
    (rec,) = [r for r in await bot.ctx.governance_store().records(repo=REPO, pr=1) if r.head_sha == head]
    assert rec.kind == "gate" and rec.detail["conclusion"] == "success" and rec.detail["approved_by"] == "alice"
    assert rec.detail["merge_group"].endswith(f"pr-1-{base}")
    # nothing was posted on the PR's own head by the group's run
    assert env.conclusion() == "success"


async def test_group_without_an_approval_fails_governance_and_says_what_to_approve(
    env: Env, start_bot: Callable[..., Awaitable[Any]]
) -> None:
    bot = await start_bot()
    env.push({"app.py": FIXED_APP}, "update the caller")
    await _deliver(bot, "pull_request", pull_request_payload(env.fake, REPO, 1, "synchronize"))
    base, head = _queue_group(env)

    await _deliver(bot, "merge_group", merge_group_payload(env.fake, REPO, head_sha=head, base_sha=base, number=1))
    assert _check(env, head, "asyncguard").conclusion == "success"  # every caller was updated
    gate = _check(env, head, "asyncguard/governance")
    assert gate.conclusion == "failure"
    assert gate.output["title"] == "1 breaking change(s) in the merge group lack an approval"
    assert "`pkg.api.fetch`" in gate.output["summary"] and "Approve them on the pull request" in gate.output["summary"]
    (rec,) = [r for r in await bot.ctx.governance_store().records(repo=REPO, pr=1) if r.head_sha == head]
    assert rec.detail["conclusion"] == "failure" and rec.detail["uncovered"] == 1


async def test_group_that_could_not_be_analyzed_fails_closed(
    env: Env, start_bot: Callable[..., Awaitable[Any]]
) -> None:
    bot = await start_bot()
    base, head = _queue_group(env)
    env.fake.tarball_overrides[head] = b"this is not a tarball"
    await _deliver(bot, "merge_group", merge_group_payload(env.fake, REPO, head_sha=head, base_sha=base, number=1))
    assert _check(env, head, "asyncguard").conclusion == "failure"
    gate = _check(env, head, "asyncguard/governance")
    assert gate.conclusion == "failure" and "unknown" in gate.output["summary"]


# ---- the decision, as data ------------------------------------------------------------------
CHANGE = {"code": "AG201", "symbol": "pkg.api.fetch", "message": "became async", "path": "pkg/api.py", "line": 1,
          "new_symbol": None, "before": "def fetch(url)", "after": "async def fetch(url)", "call_sites": []}


def _state(pr: int, changes: list[dict[str, Any]], approved: bool = True, head: str = "a" * 40) -> PRState:
    fp = fingerprint(changes)
    return PRState(repo=REPO, pr=pr, head_sha=head, fingerprint=fp, changes=changes,
                   approval=Approval("alice", "command", fp, head, 0.0) if approved else None)


def test_queue_ref_names_the_pr() -> None:
    assert queued_prs("refs/heads/gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64") == [104]
    assert queued_prs("refs/heads/gh-readonly-queue/release/v2/pr-7-" + "0" * 40) == [7]
    assert queued_prs("refs/heads/feature/pr-1-" + "0" * 40) == []


def test_only_the_approved_change_itself_is_covered() -> None:
    cfg = load_repo_config(CONFIG)
    assert decide_group([CHANGE], {1: _state(1, [CHANGE])}, cfg).decision.conclusion == "success"
    # in the group the function gained a parameter the approval never saw
    wider = dict(CHANGE, after="async def fetch(url, timeout)")
    v = decide_group([wider], {1: _state(1, [CHANGE])}, cfg)
    assert v.decision.conclusion == "failure" and v.uncovered == [wider]
    # unapproved, or the approval stale against the PR's current changes
    assert decide_group([CHANGE], {1: _state(1, [CHANGE], approved=False)}, cfg).decision.conclusion == "failure"
    stale = _state(1, [CHANGE])
    stale.fingerprint = "something-else"
    assert decide_group([CHANGE], {1: stale}, cfg).decision.conclusion == "failure"
    # a PR the ref does not name cannot lend its approval: no states, no cover
    assert decide_group([CHANGE], {}, cfg).decision.conclusion == "failure"
    assert decide_group([], {}, cfg).decision.conclusion == "success"


def test_modes_and_bypass_carry_over() -> None:
    warn = load_repo_config(CONFIG + "  breaking_changes: warn\n")
    assert decide_group([CHANGE], {1: _state(1, [CHANGE], approved=False)}, warn).decision.conclusion == "neutral"
    off = load_repo_config(CONFIG + "  breaking_changes: off\n")
    assert decide_group([CHANGE], {}, off).decision.conclusion == "success"
    cfg = load_repo_config(CONFIG)
    state = _state(1, [CHANGE], approved=False)
    state.bypass = Bypass("olga", "INC-7 outage", state.head_sha or "", 0.0)
    v = decide_group([CHANGE], {1: state}, cfg)
    assert v.decision.conclusion == "success" and v.bypassed_by == "olga"
    state.bypass = Bypass("olga", "INC-7 outage", "b" * 40, 0.0)  # at an older head: over
    assert decide_group([CHANGE], {1: state}, cfg).decision.conclusion == "failure"


async def test_a_retried_delivery_completes_the_run_it_left_open(
    env: Env, start_bot: Callable[..., Awaitable[Any]]
) -> None:
    """A worker killed mid-run left our `asyncguard` run in progress on the group: the retry adopts it."""
    bot = await start_bot()
    env.push({"app.py": FIXED_APP}, "update the caller")
    env.git.commit("another PR merged: a nightly job", {"jobs.py": NIGHTLY})
    base, head = _queue_group(env)
    left = await env.gh.post(f"/repos/{REPO}/check-runs", data={
        "name": "asyncguard", "head_sha": head, "status": "in_progress",
        "output": {"title": "Analyzing the merge group…", "summary": "killed here"}})
    await _deliver(bot, "merge_group", merge_group_payload(env.fake, REPO, head_sha=head, base_sha=base, number=1))
    (run,) = env.fake.runs_for(REPO, head, name="asyncguard")
    assert run.id == left["id"] and run.status == "completed" and run.conclusion == "failure"
    assert [a["path"] for a in run.annotations].count("jobs.py") == 1
