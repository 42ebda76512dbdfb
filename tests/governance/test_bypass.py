"""`/asyncguard bypass <reason>`: the governance team or admins only, a reason required, both checks
pass at that one commit, recorded in the audit trail and the compliance report, ended by the next
push. Through the governance router, and through the real bot."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fakegithub import pull_request_payload
from fakegithub.governance_routes import gov
from fakegithub.webhooks import check_payload

from asyncguard.bot.governance.audit_report import build_report, render_csv, render_md

from .support import API_ASYNC_2, REPO, Env


def _reactions(env: Env, payload: dict[str, Any]) -> list[str]:
    return [r["content"] for r in gov(env.fake).reactions.get(payload["comment"]["id"], [])]


def _analysis(env: Env, head: str) -> Any:
    runs = env.fake.runs_for(REPO, head, name="asyncguard")
    return runs[-1] if runs else None


async def test_who_may_bypass_and_the_reason_is_required(env: Env) -> None:
    await env.run_gate()
    assert env.conclusion() == "failure"
    no_reason = env.comment_payload("/asyncguard bypass", "alice")
    await env.dispatch("issue_comment", no_reason)
    assert _reactions(env, no_reason) == ["confused"]
    assert "A reason is required" in env.bot_comments()[-1].body
    for login in ("mallory", "pat", "rita"):  # write access; a pending team invitation; read access
        p = env.comment_payload("/asyncguard bypass prod is down", login)
        await env.dispatch("issue_comment", p)
        assert _reactions(env, p) == ["confused"], login
        assert f"`@{login}` may not bypass" in env.bot_comments()[-1].body
    bot = env.comment_payload("/asyncguard bypass prod is down", "deployer[bot]", user_type="Bot")
    await env.dispatch("issue_comment", bot)  # bots are never answered, let alone obeyed
    assert env.conclusion() == "failure"
    assert "emergency-bypass" not in env.kinds()
    assert env.kinds().count("unauthorized") == 3
    assert _analysis(env, env.pull.head_sha) is None  # nothing posted on the main check

    # an admin who is not in the team may
    ok = env.comment_payload("/asyncguard bypass INC-7 payment outage, fix verified on staging", "olga")
    await env.dispatch("issue_comment", ok)
    assert _reactions(env, ok) == ["+1"]
    assert env.conclusion() == "success"
    gate = env.gate_runs()[-1]
    assert gate.output["title"] == "Bypassed by @olga" and "INC-7 payment outage" in gate.output["summary"]
    main = _analysis(env, env.pull.head_sha)
    assert (main.conclusion, main.output["title"]) == ("success", "Bypassed by @olga")
    (rec,) = [r for r in env.store.records(repo=REPO, pr=1) if r.kind == "emergency-bypass"]
    assert (rec.actor, rec.head_sha, rec.detail["reason"]) == (
        "olga", env.pull.head_sha, "INC-7 payment outage, fix verified on staging"
    )


async def test_team_member_bypass_expires_with_the_next_push_and_is_reported(env: Env) -> None:
    await env.run_gate()
    head1 = env.pull.head_sha
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard bypass hotfix for INC-9", "alice"))
    assert env.conclusion(head1) == "success"
    head2 = env.push({"pkg/api.py": API_ASYNC_2}, "follow-up")
    await env.run_gate()
    assert env.conclusion(head2) == "failure"  # a new commit: the gate applies again
    assert "bypass-expired" in env.kinds()
    assert "ended with the push" in env.bot_comments()[-1].body
    assert env.store.state(REPO, 1).bypass is None

    rep = build_report(env.store.records(), since=0)
    (b,) = rep.emergency_bypasses
    assert (b["actor"], b["head_sha"], b["reason"]) == ("alice", head1, "hotfix for INC-9") and b["ended"]
    md = render_md(rep)
    assert "## Emergency bypasses: `/asyncguard bypass` (1)" in md
    assert f"| @alice | `{head1[:7]}` | hotfix for INC-9 |" in md
    assert "1 emergency bypasses" in md
    assert "emergency_bypass,acme/widgets,1," in render_csv(rep)


async def test_bypass_through_the_bot(env: Env, start_bot: Callable[..., Awaitable[Any]], tmp_path: Path) -> None:
    bot = await start_bot()
    data_dir = tmp_path / "bot-data"

    async def deliver(event: str, payload: dict[str, Any]) -> None:
        status, text = await bot.webhook.deliver(event, payload)
        assert status == 202, text
        await bot.settle()

    head1 = env.pull.head_sha
    await deliver("pull_request", pull_request_payload(env.fake, REPO, 1, "opened"))
    assert _analysis(env, head1).conclusion == "failure" and env.conclusion(head1) == "failure"
    await deliver("issue_comment", env.comment_payload("/asyncguard bypass release blocker INC-11", "alice"))
    assert _analysis(env, head1).conclusion == "success" and env.conclusion(head1) == "success"
    # the main check run again at the same commit keeps the bypass (the PR run reads it)
    await deliver("check_run", check_payload(env.fake, REPO, 1, "check_run", "rerequested", name="asyncguard"))
    rerun = _analysis(env, head1)
    assert rerun.conclusion == "success" and rerun.output["title"].startswith("Bypassed by @alice")
    assert "Emergency bypass by @alice for this commit: release blocker INC-11" in rerun.output["summary"]
    head2 = env.push({"pkg/api.py": API_ASYNC_2}, "more")
    await deliver("pull_request", pull_request_payload(env.fake, REPO, 1, "synchronize"))
    assert _analysis(env, head2).conclusion == "failure" and env.conclusion(head2) == "failure"

    exe = Path(sys.executable).with_name("asyncguard")
    done = await asyncio.to_thread(
        subprocess.run, [str(exe), "audit", "--since", "1d", "--format", "json", "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=60, env={**os.environ},
    )
    assert done.returncode == 0, done.stderr
    (b,) = json.loads(done.stdout)["emergency_bypasses"]
    assert (b["actor"], b["reason"], b["head_sha"]) == ("alice", "release blocker INC-11", head1) and b["ended"]
