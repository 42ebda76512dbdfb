"""The "Re-run" button on the `asyncguard/governance` check: re-evaluate the gate from the store,
confirming the approval label again, and ask for a fresh PR run when the app offers one."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio
from gidgethub.abc import GitHubAPI

from asyncguard.bot.governance import ghops
from asyncguard.bot.governance.context import resolve_context
from asyncguard.bot.governance.gate import CHECK_NAME, reconcile
from asyncguard.bot.governance.locks import pr_lock

router = routing.Router()


@router.register("check_run", action="rerequested")
async def on_rerequested(event: sansio.Event, gh: GitHubAPI, *args: Any, **kwargs: Any) -> None:
    run = event.data["check_run"]
    if run.get("name") != CHECK_NAME:
        return
    repo = event.data["repository"]["full_name"]
    ctx = resolve_context(kwargs)
    for pr in run.get("pull_requests") or []:
        number = int(pr["number"])
        pull = await ghops.get_pull(gh, repo, number)
        base = pull.get("base") or {}
        cfg = await ghops.fetch_repo_config(gh, repo, str(base.get("ref") or base.get("sha")))
        head = str((pull.get("head") or {}).get("sha", ""))
        async with pr_lock(ctx.store, repo, number):
            state = await ctx.store.state(repo, number)
            if state.head_sha == head:
                labels = await ghops.labels_on(gh, repo, number)
                author = str((pull.get("user") or {}).get("login") or "") or None
                await reconcile(gh, ctx.store, state, cfg, labels=labels, pr_author=author)
        if state.head_sha != head and ctx.rerun is not None and head:
            await ctx.rerun(repo, number, head)  # the gate has not seen this head: a full run evaluates it
