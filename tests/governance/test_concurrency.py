"""Label + push for the same PR at once: serialized per PR, the final state is the right one in any order."""

from __future__ import annotations

import asyncio

from fakegithub.governance_routes import human_labels

from .support import API_ASYNC_2, REPO, Env

LABEL = "api-change-approved"
CALLER_FIX = "from pkg.api import fetch\n\n\nasync def main():\n    await fetch('x')\n"


async def _label_then_push_event(env: Env, new_api: dict[str, str | bytes | None], order: str) -> None:
    """alice labels while looking at head1; a push to head2 lands at the same moment."""
    head1 = env.pull.head_sha
    human_labels(env.fake, REPO, 1, LABEL, "alice")
    label_event = env.label_payload("labeled", LABEL, "alice", head_sha=head1)
    env.push(new_api)
    if order == "label-first":
        await env.dispatch("pull_request", label_event)
        await env.run_gate()
    elif order == "push-first":
        await env.run_gate()
        await env.dispatch("pull_request", label_event)
    else:
        await asyncio.gather(env.dispatch("pull_request", label_event), env.run_gate())


async def test_push_changing_the_diff_voids_a_simultaneous_label(env: Env) -> None:
    for order in ("label-first", "push-first", "together"):
        # a fresh PR state each round: the same PR number on a fresh head
        await env.run_gate()
        await _label_then_push_event(env, {"pkg/api.py": API_ASYNC_2 if order != "push-first" else API_ASYNC_2 + "\n"}, order)
        assert env.conclusion() == "failure", order
        assert LABEL not in env.labels(), order
        state = await env.store.state(REPO, 1)
        assert state.approval is None and state.head_sha == env.pull.head_sha, order
        # reset for the next round: back to the first flip
        env.push({"pkg/api.py": "async def fetch(url):\n    return url\n"})


async def test_push_keeping_the_diff_keeps_a_simultaneous_label(env: Env) -> None:
    for order in ("label-first", "push-first", "together"):
        await env.run_gate()
        await _label_then_push_event(env, {"app.py": CALLER_FIX + f"# {order}\n"}, order)
        assert env.conclusion() == "success", order
        assert LABEL in env.labels(), order
        state = await env.store.state(REPO, 1)
        assert state.approval is not None and state.approval.actor == "alice", order
        human_labels(env.fake, REPO, 1, LABEL, "alice", add=False)
        await env.dispatch("pull_request", env.label_payload("unlabeled", LABEL, "alice"))
        assert env.conclusion() == "failure", order


async def test_many_events_at_once_end_consistent(env: Env) -> None:
    """Five approvals, revocations and a gate run in flight together: one coherent final state."""
    await env.run_gate()
    p_approve = env.comment_payload("/asyncguard approve", "alice")
    p_revoke = env.comment_payload("/asyncguard revoke", "alice")
    await asyncio.gather(env.dispatch("issue_comment", p_approve), env.run_gate())
    await asyncio.gather(env.dispatch("issue_comment", p_revoke), env.run_gate())
    state = await env.store.state(REPO, 1)
    assert state.approval is None
    assert env.conclusion() == "failure"
    assert LABEL not in env.labels()
    kinds = (await env.kinds())
    assert kinds.count("approval") == 1 and kinds.count("revocation") == 1
