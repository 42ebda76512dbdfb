"""Merges: breaking changes merged are recorded; a merge past a failing gate is a bypass."""

from __future__ import annotations

import asyncio

from asyncguard.bot.governance.audit_report import build_report
from asyncguard.bot.governance.audit_store import AuditStore
from asyncguard.bot.governance.locks import pr_lock
from asyncguard.bot.storage import Database

from .support import REPO, Env


async def test_merge_while_failing_is_a_bypass(env: Env) -> None:
    await env.run_gate()
    await env.dispatch("pull_request", env.closed_payload("mallory"))
    recs = await env.store.records(repo=REPO, pr=1)
    assert [r.kind for r in recs] == ["gate", "merge", "bypass"]
    assert recs[-1].actor == "mallory" and recs[-1].changes[0]["code"] == "AG202"
    rep = build_report(recs, since=0)
    assert [b["actor"] for b in rep.bypasses] == ["mallory"] and len(rep.merged_breaking) == 1


async def test_approved_merge_is_not_a_bypass(env: Env) -> None:
    await env.run_gate()
    await env.dispatch("issue_comment", env.comment_payload("/asyncguard approve", "alice"))
    await env.dispatch("pull_request", env.closed_payload("olga"))
    recs = await env.store.records(repo=REPO, pr=1)
    assert recs[-1].kind == "merge" and recs[-1].detail["approved_by"] == "alice"
    assert "bypass" not in [r.kind for r in recs]


async def test_closed_without_merge_or_without_gate_records_nothing(env: Env) -> None:
    p = env.closed_payload("olga")
    await env.dispatch("pull_request", p)  # never evaluated: nothing known
    p["pull_request"]["merged"] = False
    await env.run_gate()
    await env.dispatch("pull_request", p)
    assert [r.kind for r in await env.store.records(repo=REPO, pr=1)] == ["gate"]


async def test_pr_lock_serializes_one_pr_not_others(database_url: str) -> None:
    """On both engines (an advisory lock on PostgreSQL, held across processes)."""
    trace: list[str] = []
    store = AuditStore(Database(database_url))

    async def work(repo: str, n: int, tag: str) -> None:
        async with pr_lock(store, repo, n):
            trace.append(f"{tag}-in")
            await asyncio.sleep(0.02)
            trace.append(f"{tag}-out")

    await asyncio.gather(work("o/r", 1, "a"), work("O/R", 1, "b"), work("o/r", 2, "c"))
    a, b = trace.index("a-in"), trace.index("b-in")
    first, second = ("a", "b") if a < b else ("b", "a")
    assert trace.index(f"{first}-out") < trace.index(f"{second}-in")  # same PR: one after the other
    assert trace.index("c-in") < trace.index(f"{first}-out")  # another PR: not blocked
    await store.db.close()
