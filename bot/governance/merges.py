"""Merges: record every merge of governed breaking changes, and flag a merge past a failing gate."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio
from gidgethub.abc import GitHubAPI

from asyncguard.bot.governance.audit_store import NewRecord
from asyncguard.bot.governance.context import resolve_context
from asyncguard.bot.governance.locks import pr_lock

router = routing.Router()


@router.register("pull_request", action="closed")
async def on_closed(event: sansio.Event, gh: GitHubAPI, *args: Any, **kwargs: Any) -> None:
    pull = event.data["pull_request"]
    if not pull.get("merged"):
        return
    repo = event.data["repository"]["full_name"]
    number = int(pull["number"])
    ctx = resolve_context(kwargs)
    merged_by = (pull.get("merged_by") or event.data.get("sender") or {}).get("login")
    head = str((pull.get("head") or {}).get("sha", "")) or None
    async with pr_lock(ctx.store, repo, number):
        state = await ctx.store.state(repo, number)
        if state.head_sha is None:
            return  # the gate never evaluated this PR: nothing known to record
        detail = {
            "gate": state.conclusion,
            "gated_head": state.head_sha,
            "approved_by": state.approval.actor if state.approval else None,
            "merge_commit": pull.get("merge_commit_sha"),
        }
        records = [NewRecord("merge", repo, number, head, merged_by, state.fingerprint, state.changes, detail)]
        # a bypass: merged while the gate failed, or merged at a head the gate never saw
        if state.conclusion == "failure" or (state.changes and head and head != state.head_sha):
            records.append(NewRecord("bypass", repo, number, head, merged_by, state.fingerprint, state.changes, detail))
        await ctx.store.commit(None, records)
