"""Approval by label: the `sender` of a `labeled` event must be an approver; removing it revokes."""

from __future__ import annotations

import time
from typing import Any

from gidgethub import routing, sansio
from gidgethub.abc import GitHubAPI

from asyncguard.bot.governance import ghops
from asyncguard.bot.governance.audit_store import Approval, NewRecord
from asyncguard.bot.governance.authz import may_approve
from asyncguard.bot.governance.context import resolve_context
from asyncguard.bot.governance.gate import Work, how_to_approve, reconcile
from asyncguard.bot.governance.locks import pr_lock
from asyncguard.bot.governance.replies import upsert_reply

router = routing.Router()


def _basics(event: sansio.Event) -> tuple[str, dict[str, Any], str, str, bool]:
    data = event.data
    pull = data["pull_request"]
    sender = data.get("sender") or {}
    return (
        data["repository"]["full_name"],
        pull,
        str((data.get("label") or {}).get("name", "")),
        str(sender.get("login", "")),
        sender.get("type") == "Bot",
    )


@router.register("pull_request", action="labeled")
async def on_labeled(event: sansio.Event, gh: GitHubAPI, *args: Any, **kwargs: Any) -> None:
    repo, pull, label, sender, is_bot = _basics(event)
    base = pull.get("base") or {}
    cfg = await ghops.fetch_repo_config(gh, repo, str(base.get("ref") or base.get("sha")))
    gov = cfg.governance
    if label != gov.approval_label:
        return
    ctx = resolve_context(kwargs)
    number = int(pull["number"])
    head = str((pull.get("head") or {}).get("sha", ""))
    async with pr_lock(ctx.store, repo, number):
        state = await ctx.store.state(repo, number)
        if is_bot and (ghops.is_our_echo(repo, number, label) or state.approval is not None):
            return  # our own label, added when an approval was recorded by command
        work = Work()
        auth = await may_approve(gh, repo, sender, gov, is_bot=is_bot,
                                 pr_author=str((pull.get("user") or {}).get("login") or "") or None)
        fp = await ctx.store.fingerprint_for_head(repo, number, head) if head else None
        if auth.allowed:
            state.approval = Approval(sender, "label", fp, head or None, time.time())
            work.records.append(
                NewRecord("approval", repo, number, head, sender, fp, state.changes, {"via": "label", "why": auth.reason})
            )
            await reconcile(gh, ctx.store, state, cfg, work)
            return
        await ghops.remove_label(gh, repo, number, label)
        note = f"Removed the `{label}` label: {auth.reason}.\n\n{how_to_approve(gov)}"
        state.reply_comment_id = await upsert_reply(gh, repo, number, note, state.reply_comment_id)
        await ctx.store.commit(
            state,
            [NewRecord("unauthorized", repo, number, head, sender, fp, state.changes, {"action": "label", "why": auth.reason})],
        )


@router.register("pull_request", action="unlabeled")
async def on_unlabeled(event: sansio.Event, gh: GitHubAPI, *args: Any, **kwargs: Any) -> None:
    repo, pull, label, sender, _is_bot = _basics(event)
    base = pull.get("base") or {}
    cfg = await ghops.fetch_repo_config(gh, repo, str(base.get("ref") or base.get("sha")))
    if label != cfg.governance.approval_label:
        return
    ctx = resolve_context(kwargs)
    number = int(pull["number"])
    async with pr_lock(ctx.store, repo, number):
        state = await ctx.store.state(repo, number)
        a = state.approval
        if a is None:
            return  # already revoked (e.g. the bot removed a stale or unauthorized label)
        state.approval = None
        work = Work()
        work.records.append(
            NewRecord(
                "revocation",
                repo,
                number,
                str((pull.get("head") or {}).get("sha", "")) or state.head_sha,
                sender,
                state.fingerprint,
                state.changes,
                {"via": "unlabeled", "approved_by": a.actor},
            )
        )
        await reconcile(gh, ctx.store, state, cfg, work)
