"""The issue's scenario, end to end through the fake GitHub (every request OpenAPI-validated):
a breaking flip fails the gate; an unauthorized label is removed; a review-team member's
`/asyncguard approve` turns it green; a push changing the flip makes it stale; the audit shows it."""

from __future__ import annotations

import json
from collections.abc import Callable

from fakegithub.governance_routes import gov, human_labels

from asyncguard.bot.governance.audit_report import build_report, render_md
from asyncguard.bot.governance.replies import MARKER

from .support import API_ASYNC_2, REPO, Env

LABEL = "api-change-approved"


async def test_full_scenario(env: Env) -> None:
    head1 = env.pull.head_sha
    # 1. the breaking flip fails the gate, with the change, the call site and who may approve
    decision = await env.run_gate()
    assert decision is not None and decision.conclusion == "failure"
    run = env.gate_runs(head1)[-1]
    assert run.conclusion == "failure"
    summary = run.output["summary"]
    assert "AG202" in summary and "pkg.api.fetch" in summary and "/rules/AG202.html" in summary
    assert "app.py" in summary  # the old-style call site
    assert "@acme/architecture" in summary and LABEL in summary

    # 2. mallory (write access, not in the team) adds the label: removed, with a comment
    human_labels(env.fake, REPO, 1, LABEL, "mallory")
    await env.dispatch("pull_request", env.label_payload("labeled", LABEL, "mallory"))
    assert LABEL not in env.labels()
    assert env.fake.extra["label_log"][-1][0] == "remove"
    [reply] = env.bot_comments()
    assert MARKER in reply.body and "mallory" in reply.body and "@acme/architecture" in reply.body
    assert env.conclusion(head1) == "failure"

    # 3. pat's team invitation is still pending: not a member, not an approver
    p = env.comment_payload("/asyncguard approve", "pat")
    await env.dispatch("issue_comment", p)
    assert [r["content"] for r in gov(env.fake).reactions[p["comment"]["id"]]] == ["confused"]
    assert "pending" in env.bot_comments()[-1].body and env.bot_comments()[-1].body.startswith("@pat")  # a new comment
    assert env.conclusion(head1) == "failure"

    # 4. alice (active member) approves by command: +1, label added by the bot, gate green
    p = env.comment_payload("/asyncguard approve reviewed with the API team", "alice")
    await env.dispatch("issue_comment", p)
    assert [r["content"] for r in gov(env.fake).reactions[p["comment"]["id"]]] == ["+1"]
    assert LABEL in env.labels()
    assert env.conclusion(head1) == "success"
    assert "alice" in env.gate_runs(head1)[-1].output["title"]
    assert len(env.gate_runs(head1)) == 1  # the same check run, updated in place
    # one governance reply, edited in place; pat's refusal was a new comment of its own (it notifies pat)
    assert len([c for c in env.bot_comments() if MARKER in c.body]) == 1 and len(env.bot_comments()) == 2

    # the bot's own `labeled` event comes back: ignored, still green
    await env.dispatch("pull_request", env.label_payload("labeled", LABEL, "asyncguard[bot]", "Bot"))
    assert env.conclusion(head1) == "success" and LABEL in env.labels()

    # 5. a push that changes the flip: approval stale, label removed, comment, failing again
    head2 = env.push({"pkg/api.py": API_ASYNC_2}, "add timeout")
    decision = await env.run_gate()
    assert decision is not None and decision.conclusion == "failure"
    assert env.conclusion(head2) == "failure"
    assert LABEL not in env.labels()
    assert "stale" in env.bot_comments()[0].body and len([c for c in env.bot_comments() if MARKER in c.body]) == 1

    # 6. the audit trail has every step, in order
    kinds = (await env.kinds())
    assert kinds == ["gate", "unauthorized", "unauthorized", "approval", "gate", "stale", "gate"]
    recs = await env.store.records(repo=REPO, pr=1)
    assert recs[1].actor == "mallory" and recs[1].detail["action"] == "label"
    assert recs[2].actor == "pat" and recs[2].detail["action"] == "approve"
    assert recs[3].actor == "alice" and recs[3].detail["reason"] == "reviewed with the API team"
    assert recs[3].head_sha == head1 and recs[5].head_sha == head2
    assert recs[3].fingerprint == recs[0].fingerprint != recs[6].fingerprint
    assert [r.detail["conclusion"] for r in recs if r.kind == "gate"] == ["failure", "success", "failure"]
    rep = build_report(recs, since=0)
    assert rep.approvals_by == {"alice": 1} and len(rep.time_to_approval) == 1
    md = render_md(rep)
    assert "1 approvals" in md and "1 stale approvals" in md and "2 unauthorized attempts" in md


async def test_head_edits_config_to_off_still_gated(env: Env) -> None:
    """The PR's own `.asyncguard.yml` says `off`; the base's config governs."""
    env.push({".asyncguard.yml": "governance:\n  breaking_changes: off\n"}, "loosen my own gate")
    decision = await env.run_gate()
    assert decision is not None and decision.conclusion == "failure"
    assert env.conclusion() == "failure"
    gate = (await env.store.records(repo=REPO, pr=1))[-1]
    assert gate.detail["mode"] == "require-approval"


async def test_base_config_off_and_warn(env: Env, write_config: Callable[[str], None]) -> None:
    write_config("governance:\n  breaking_changes: off\n")
    assert (await env.run_gate()).conclusion == "success"
    write_config("governance:\n  breaking_changes: warn\n")
    d = await env.run_gate()
    assert d is not None and d.conclusion == "neutral" and "AG202" in d.summary


async def test_malformed_base_config_keeps_gate_on_and_says_so(env: Env, write_config: Callable[[str], None]) -> None:
    write_config("governance: [this is: not valid\n")
    d = await env.run_gate()
    assert d is not None and d.conclusion == "failure"
    summary = env.gate_runs()[-1].output["summary"]
    assert "not valid YAML" in summary and "gate stays on" in summary


async def test_interface_paths_outside_are_not_gated(env: Env, write_config: Callable[[str], None]) -> None:
    write_config("governance:\n  interface_paths: ['src/api/**']\n")
    d = await env.run_gate()
    assert d is not None and d.conclusion == "success" and "No governed" in d.title


async def test_stale_on_push_false_keeps_approval(env: Env, write_config: Callable[[str], None]) -> None:
    write_config("governance:\n  reviewers: [alice]\n  stale_on_push: false\n")
    await env.run_gate()
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard approve", "alice"))
    assert env.conclusion() == "success"
    head2 = env.push({"pkg/api.py": API_ASYNC_2})
    await env.run_gate()
    assert env.conclusion(head2) == "success"
    assert "stale" not in (await env.kinds())


async def test_push_that_keeps_the_diff_keeps_the_approval(env: Env) -> None:
    await env.run_gate()
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard approve", "alice"))
    head2 = env.push({"app.py": "from pkg.api import fetch\n\n\nasync def main():\n    return await fetch('x')\n"})
    await env.run_gate()
    assert env.conclusion(head2) == "success"  # only the caller changed: same breaking changes
    body = json.dumps([r.detail for r in await env.store.records(repo=REPO, pr=1) if r.kind == "gate"])
    assert "alice" in body


async def test_run_without_contract_diff_fails_closed(env: Env) -> None:
    from asyncguard.bot.governance.gate import after_pr_run
    from asyncguard.bot.governance.ghops import fetch_repo_config
    from asyncguard.checks.report import Report

    cfg = await fetch_repo_config(env.gh, REPO, "main")
    pull = await env.gh.getitem(f"/repos/{REPO}/pulls/1")
    d = await after_pr_run(env.gh, store=env.store, repo_full_name=REPO, pull=pull, head_sha=env.pull.head_sha,
                           report=Report(root="."), repo_config=cfg)
    assert d is not None and d.conclusion == "failure" and "did not run" in d.summary


async def test_reverting_the_break_keeps_the_approval_dormant(env: Env) -> None:
    await env.run_gate()
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard approve", "alice"))
    env.push({"pkg/api.py": "def fetch(url):\n    return url\n"}, "revert")
    assert (await env.run_gate()).conclusion == "success"
    assert "stale" not in (await env.kinds()) and "api-change-approved" in env.labels()
    head3 = env.push({"pkg/api.py": API_ASYNC_2}, "a different break")
    await env.run_gate()
    assert env.conclusion(head3) == "failure" and (await env.kinds())[-2:] == ["stale", "gate"]
