"""Slash-commands through the fake GitHub: replies, reactions, permissions, edge cases."""

from __future__ import annotations

import re
from collections.abc import Callable

from fakegithub.governance_routes import gov, require_check, ruleset_requires

from asyncguard.bot.governance.context import GovernanceContext

from .support import REPO, Env


def reactions(env: Env, payload: dict[str, object]) -> list[str]:
    cid = payload["comment"]["id"]  # type: ignore[index]
    return [r["content"] for r in gov(env.fake).reactions.get(cid, [])]


async def test_help_and_unknown_command(env: Env) -> None:
    p = env.comment_payload("/asyncguard help", "stranger")
    await env.dispatch("issue_comment", p)
    assert reactions(env, p) == ["+1"]
    body = env.bot_comments()[0].body
    assert "/asyncguard approve [reason]" in body and "@acme/architecture" in body
    p = env.comment_payload("/asyncguard aprove", "stranger")
    await env.dispatch("issue_comment", p)
    assert reactions(env, p) == ["confused"]
    body = env.bot_comments()[0].body
    assert "Unknown command `aprove`" in body and "Did you mean `approve`" in body
    assert len(env.bot_comments()) == 1


async def test_explain_posts_training_page(env: Env) -> None:
    from asyncguard.checks.training import load_page

    p = env.comment_payload("/asyncguard explain ag101", "stranger")
    await env.dispatch("issue_comment", p)
    page = load_page("AG101")
    body = env.bot_comments()[0].body
    assert page.title in body and page.body.strip()[:80] in body and "/rules/AG101.html" in body
    # Links between pages work from a GitHub comment: no relative `X.md` targets remain.
    assert re.search(r"\]\((?!https?://)[^)]*\.md", body) is None
    p = env.comment_payload("/asyncguard explain AG999", "stranger")
    await env.dispatch("issue_comment", p)
    assert reactions(env, p) == ["confused"] and "No training page for `AG999`" in env.bot_comments()[0].body


async def test_contract_and_checklist(env: Env, write_config: Callable[[str], None]) -> None:
    write_config("governance:\n  review_teams: [acme/architecture]\nchecklist: {extra: ['Bump the major version']}\n")
    p = env.comment_payload("/asyncguard contract", "rita")
    await env.dispatch("issue_comment", p)
    assert "have not run" in env.bot_comments()[0].body
    await env.run_gate()
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard contract\n/asyncguard checklist", "rita"))
    body = env.bot_comments()[0].body
    assert "AG202" in body and "Migration guide" in body and "pkg.api.fetch" in body
    assert "- [ ] Bump the major version" in body
    state = await env.store.state(REPO, 1)
    assert state.migration_guide and state.migration_guide.strip()[:40] in body


async def test_read_commands_need_read_access(env: Env) -> None:
    await env.run_gate()
    p = env.comment_payload("/asyncguard contract", "stranger")
    await env.dispatch("issue_comment", p)
    assert reactions(env, p) == ["confused"] and "needs `read` permission" in env.bot_comments()[0].body
    assert (await env.kinds())[-1] == "unauthorized"


async def test_recheck_calls_rerun_or_reevaluates(env: Env) -> None:
    await env.run_gate()
    calls: list[tuple[str, int, str]] = []

    async def rerun(repo: str, number: int, head: str) -> None:
        calls.append((repo, number, head))

    env.ctx = GovernanceContext(store=env.store, rerun=rerun)
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard recheck", "dev"))  # the PR's author
    assert calls == [(REPO, 1, env.pull.head_sha)]
    p = env.comment_payload("/asyncguard recheck", "rita")  # read only, not the author
    await env.dispatch("issue_comment", p)
    assert reactions(env, p) == ["confused"] and len(calls) == 1


async def test_approve_and_revoke_by_command(env: Env) -> None:
    await env.run_gate()
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard approve", "alice"))
    assert env.conclusion() == "success" and "api-change-approved" in env.labels()
    p = env.comment_payload("/asyncguard revoke", "mallory")
    await env.dispatch("issue_comment", p)
    assert reactions(env, p) == ["confused"] and env.conclusion() == "success"
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard revoke changed my mind", "alice"))
    assert env.conclusion() == "failure" and "api-change-approved" not in env.labels()
    assert (await env.kinds())[-3:] == ["unauthorized", "revocation", "gate"]
    p = env.comment_payload("/asyncguard revoke", "alice")
    await env.dispatch("issue_comment", p)
    assert "no approval to revoke" in env.bot_comments()[0].body


async def test_nothing_to_approve(env: Env, write_config: Callable[[str], None]) -> None:
    write_config("governance:\n  interface_paths: ['src/**']\n  reviewers: [alice]\n")
    await env.run_gate()
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard approve", "alice"))
    assert "Nothing to approve" in env.bot_comments()[0].body
    assert "approval" not in (await env.kinds())


async def test_ignored_comments_make_no_requests(env: Env) -> None:
    before = len(env.fake.requests)
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard approve", "ci-bot[bot]", user_type="Bot"))
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard approve", "alice", on_pull=False))
    await env.dispatch("issue_comment", env.comment_payload("great work!", "alice"))
    await env.dispatch("issue_comment", env.comment_payload("> /asyncguard approve\n\nno thanks", "alice"))
    old = "/asyncguard help"
    await env.dispatch("issue_comment", env.comment_payload(old + "\n\n(typo fixed)", "alice", edited_from=old))
    assert env.fake.requests[before:] == []
    assert await env.store.records() == []


async def test_edit_that_adds_a_command_runs_only_it(env: Env) -> None:
    old = "/asyncguard help"
    p = env.comment_payload(old + "\n/asyncguard doctor", "rita", edited_from=old)
    await env.dispatch("issue_comment", p)
    body = env.bot_comments()[0].body
    assert "doctor" in body and "| `/asyncguard help` |" not in body


async def test_disabled_command(env: Env, write_config: Callable[[str], None]) -> None:
    write_config("commands: {disabled: [checklist]}\n")
    p = env.comment_payload("/asyncguard checklist", "rita")
    await env.dispatch("issue_comment", p)
    assert "disabled" in env.bot_comments()[0].body and reactions(env, p) == ["confused"]


async def test_doctor_protection_rulesets_and_neither(env: Env) -> None:
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard doctor", "rita"))
    body = env.bot_comments()[0].body
    assert "**is not required** on `main`" in body and "no classic protection rule" in body
    require_check(env.fake, REPO, "main", ["ci/tests"])
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard doctor", "rita"))
    body = env.bot_comments()[0].body
    assert "**is not required**" in body and "ci/tests" in body
    require_check(env.fake, REPO, "main", ["ci/tests", "asyncguard/governance"])
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard doctor", "rita"))
    assert "**is required** on `main`" in env.bot_comments()[0].body
    gov(env.fake).protection.clear()
    ruleset_requires(env.fake, REPO, "main", ["asyncguard/governance"], ruleset_id=42)
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard doctor", "rita"))
    body = env.bot_comments()[0].body
    assert "**is required**" in body and "ruleset 42" in body
    assert len(env.bot_comments()) == 1


async def test_reply_comment_recreated_if_deleted(env: Env) -> None:
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard help", "rita"))
    [c] = env.bot_comments()
    del env.fake.issue_comments[c.id]
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard help", "rita"))
    assert len(env.bot_comments()) == 1


async def test_a_github_error_in_one_command_does_not_sink_the_others(env: Env) -> None:
    env.fake.inject("repos/get-branch-protection", "500", times=1)
    p = env.comment_payload("/asyncguard doctor\n/asyncguard help", "rita")
    await env.dispatch("issue_comment", p)
    body = env.bot_comments()[0].body
    assert "Failed: GitHub answered" in body and "/asyncguard approve [reason]" in body
    assert reactions(env, p) == ["confused"]


async def test_echo_of_our_label_after_a_quick_revoke_is_quiet(env: Env) -> None:
    await env.run_gate()
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard approve", "alice"))
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard revoke", "alice"))
    # only now does the `labeled` webhook of the bot's own label arrive
    await env.dispatch("pull_request", env.label_payload("labeled", "api-change-approved", "asyncguard[bot]", "Bot"))
    assert "unauthorized" not in (await env.kinds()) and env.conclusion() == "failure"
    # another app's bot adding the label is an outsider
    await env.dispatch("pull_request", env.label_payload("labeled", "api-change-approved", "other[bot]", "Bot"))
    assert (await env.kinds())[-1] == "unauthorized"


async def test_approval_is_recorded_even_if_posting_the_verdict_fails(env: Env) -> None:
    import gidgethub
    import pytest

    await env.run_gate()
    env.fake.inject("checks/update", "500", times=1)
    with pytest.raises(gidgethub.GitHubBroken):
        await env.dispatch("issue_comment", env.comment_payload("/asyncguard approve", "alice"))
    assert (await env.kinds())[-1] == "approval"  # durable before GitHub was told
    assert env.conclusion() == "failure"
    await env.run_gate()  # the next evaluation posts the verdict the store already knows
    assert env.conclusion() == "success"
