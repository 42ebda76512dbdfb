"""Approval labels and who may approve: teams (active only), reviewers, admin/maintain fallback,
labels added while the bot was down, removal revokes, API errors deny with a reason."""

from __future__ import annotations

from collections.abc import Callable

from fakegithub.governance_routes import gov, human_labels

from asyncguard.bot.governance.authz import may_approve, may_run, permission_level, team_state
from asyncguard.bot.governance.repo_config import Governance

from .support import REPO, Env

LABEL = "api-change-approved"


async def test_authorization_rules_against_the_fake(env: Env) -> None:
    teams = Governance(review_teams=("acme/architecture",))
    assert (await may_approve(env.gh, REPO, "alice", teams)).allowed
    pending = await may_approve(env.gh, REPO, "pat", teams)
    assert not pending.allowed and "pending" in pending.reason
    assert not (await may_approve(env.gh, REPO, "olga", teams)).allowed  # admin, but teams are configured
    listed = Governance(reviewers=("Olga",))
    assert (await may_approve(env.gh, REPO, "olga", listed)).allowed  # logins compare case-insensitively
    fallback = Governance()
    assert (await may_approve(env.gh, REPO, "olga", fallback)).allowed  # admin
    gov(env.fake).roles[REPO]["mia"] = "maintain"
    assert (await may_approve(env.gh, REPO, "mia", fallback)).allowed
    wrote = await may_approve(env.gh, REPO, "mallory", fallback)
    assert not wrote.allowed and "`write`" in wrote.reason
    assert not (await may_approve(env.gh, REPO, "asyncguard[bot]", fallback)).allowed
    assert not (await may_approve(env.gh, REPO, "olga", fallback, is_bot=True)).allowed
    assert await permission_level(env.gh, REPO, "mia") == "maintain"
    assert await permission_level(env.gh, REPO, "stranger") == "none"
    assert await team_state(env.gh, "acme/other", "alice") == "none"


async def test_team_lookup_forbidden_denies_with_reason(env: Env) -> None:
    gov(env.fake).team_forbidden = True
    res = await may_approve(env.gh, REPO, "alice", Governance(review_teams=("acme/architecture",)))
    assert not res.allowed and "403" in res.reason and "Members: read" in res.reason


async def test_command_levels(env: Env) -> None:
    g = Governance()
    assert (await may_run(env.gh, REPO, "stranger", "explain", g)).allowed
    assert not (await may_run(env.gh, REPO, "stranger", "doctor", g)).allowed
    assert (await may_run(env.gh, REPO, "rita", "doctor", g)).allowed
    assert not (await may_run(env.gh, REPO, "rita", "recheck", g)).allowed
    assert (await may_run(env.gh, REPO, "rita", "recheck", g, pr_author="Rita")).allowed
    assert (await may_run(env.gh, REPO, "mallory", "recheck", g)).allowed


async def test_label_added_while_bot_was_down_is_confirmed_from_events(env: Env) -> None:
    await env.run_gate()
    human_labels(env.fake, REPO, 1, LABEL, "alice")  # no webhook delivered
    await env.run_gate()
    assert env.conclusion() == "success"
    [approval] = [r for r in await env.store.records(repo=REPO, pr=1) if r.kind == "approval"]
    assert approval.actor == "alice" and approval.detail["via"] == "label-confirmed"
    assert env.fake.calls("issues/list-events")


async def test_unconfirmed_label_by_outsider_is_removed(env: Env) -> None:
    await env.run_gate()
    human_labels(env.fake, REPO, 1, LABEL, "mallory")
    await env.run_gate()
    assert env.conclusion() == "failure" and LABEL not in env.labels()
    assert (await env.kinds())[-2:] == ["unauthorized", "gate"]
    assert "mallory" in env.bot_comments()[0].body


async def test_label_then_unlabel_revokes(env: Env) -> None:
    await env.run_gate()
    human_labels(env.fake, REPO, 1, LABEL, "alice")
    await env.dispatch("pull_request", env.label_payload("labeled", LABEL, "alice"))
    assert env.conclusion() == "success"
    human_labels(env.fake, REPO, 1, LABEL, "mallory", add=False)
    await env.dispatch("pull_request", env.label_payload("unlabeled", LABEL, "mallory"))
    assert env.conclusion() == "failure"
    rev = (await env.store.records(repo=REPO, pr=1))[-2]
    assert rev.kind == "revocation" and rev.actor == "mallory" and rev.detail["approved_by"] == "alice"


async def test_other_labels_are_ignored(env: Env) -> None:
    await env.run_gate()
    before = len(env.fake.requests)
    human_labels(env.fake, REPO, 1, "bug", "mallory")
    await env.dispatch("pull_request", env.label_payload("labeled", "bug", "mallory"))
    ops = [r.operation_id for r in env.fake.requests[before:]]
    assert ops == ["repos/get-content"]  # read the base config, nothing else
    assert "bug" in env.labels()


async def test_custom_label_from_base_config(env: Env, write_config: Callable[[str], None]) -> None:
    write_config("governance:\n  approval_label: 'breaking ok: v2'\n  reviewers: [rita]\n")
    await env.run_gate()
    human_labels(env.fake, REPO, 1, LABEL, "rita")
    await env.dispatch("pull_request", env.label_payload("labeled", LABEL, "rita"))
    assert env.conclusion() == "failure"  # the default label means nothing here
    human_labels(env.fake, REPO, 1, "breaking ok: v2", "rita")
    await env.dispatch("pull_request", env.label_payload("labeled", "breaking ok: v2", "rita"))
    assert env.conclusion() == "success"
    human_labels(env.fake, REPO, 1, "breaking ok: v2", "rita", add=False)
    await env.dispatch("pull_request", env.label_payload("unlabeled", "breaking ok: v2", "rita"))
    assert env.conclusion() == "failure"
    # the bot removes an odd label name correctly too (URL-encoded path segment)
    human_labels(env.fake, REPO, 1, "breaking ok: v2", "mallory")
    await env.dispatch("pull_request", env.label_payload("labeled", "breaking ok: v2", "mallory"))
    assert "breaking ok: v2" not in env.labels()


async def test_label_before_first_run_binds_to_that_head(env: Env) -> None:
    human_labels(env.fake, REPO, 1, LABEL, "alice")
    await env.dispatch("pull_request", env.label_payload("labeled", LABEL, "alice"))
    assert env.gate_runs() == []  # nothing evaluated yet: nothing posted
    await env.run_gate()
    assert env.conclusion() == "success"
    state = await env.store.state(REPO, 1)
    assert state.approval is not None and state.approval.fingerprint == state.fingerprint


async def test_label_on_a_head_never_evaluated_goes_stale(env: Env) -> None:
    """alice labels head1 before any run; head1 is superseded before it is evaluated."""
    human_labels(env.fake, REPO, 1, LABEL, "alice")
    await env.dispatch("pull_request", env.label_payload("labeled", LABEL, "alice"))
    head2 = env.push({"pkg/api.py": "async def fetch(url, timeout):\n    return url\n"})
    await env.run_gate()
    assert env.conclusion(head2) == "failure" and LABEL not in env.labels()
    assert (await env.kinds())[-2:] == ["stale", "gate"]
