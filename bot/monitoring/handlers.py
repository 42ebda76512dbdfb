"""The bot's side of false-positive feedback: the command, review replies, 👎 reactions, and the PR run's
view of what was reported (so the same finding is not posted again on that PR).

GitHub sends no webhook for reactions: a 👎 is read when the PR's next run lists its review comments.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gidgethub
from gidgethub import routing, sansio
from gidgethub.abc import GitHubAPI

from asyncguard.bot.monitoring import feedback
from asyncguard.bot.monitoring.store import MonitoringStore, SeenFinding

log = logging.getLogger("asyncguard.monitoring")
router = routing.Router()
MAX_REACTION_LOOKUPS = 30  # per run: comments with 👎 whose reactors we list


async def _apply(store: MonitoringStore, decision: feedback.Decision) -> feedback.Decision:
    """Write a `record` decision; a race with the same report turns it into a duplicate."""
    if decision.outcome == "record" and decision.feedback is not None and not await store.add_feedback(decision.feedback):
        return feedback.Decision("duplicate", "Already recorded.")
    return decision


async def false_positive_command(store: MonitoringStore, repo: str, pr: int, actor: str,
                                 args: str) -> tuple[bool, str]:
    """`/asyncguard false-positive ...` in a PR comment: (ok, reply text)."""
    decision = feedback.decide(feedback.parse(args), await store.latest_findings(repo, pr), actor=actor,
                               via="command", reported_by=await store.reported_by(repo, pr))
    decision = await _apply(store, decision)
    return decision.outcome != "reject", decision.message


def _split(repo: str) -> dict[str, str]:
    owner, _, name = repo.partition("/")
    return {"owner": owner, "repo": name}


@router.register("pull_request_review_comment", action="created")
async def on_review_reply(event: sansio.Event, gh: GitHubAPI, *args: Any, **kwargs: Any) -> None:
    """A reply to one of our review comments that says `/asyncguard false-positive AG101 [reason]`."""
    from asyncguard.bot.governance.authz import may_run
    from asyncguard.bot.governance.commands import parse_commands
    from asyncguard.bot.governance.context import resolve_context
    from asyncguard.bot.governance.repo_config import Governance
    from asyncguard.bot.review import MARKER_RE

    data = event.data
    comment = data["comment"]
    user = comment.get("user") or {}
    if user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]"):
        return
    cmds = [c for c in parse_commands(comment.get("body")) if c.name == feedback.COMMAND]
    parent_id = comment.get("in_reply_to_id")
    if not cmds:
        return
    ctx = resolve_context(kwargs)
    store = MonitoringStore(ctx.store.db)  # the same database as the audit trail
    repo = data["repository"]["full_name"]
    pr = int(data["pull_request"]["number"])
    login = str(user.get("login", ""))
    parent_fp = None
    if parent_id:
        async for c in gh.getiter("/repos/{owner}/{repo}/pulls/{pull_number}/comments{?per_page}",
                                  url_vars={**_split(repo), "pull_number": str(pr), "per_page": "100"}):
            if int(c["id"]) == int(parent_id):
                m = MARKER_RE.search(c.get("body") or "")
                parent_fp = m.group(1) if m else None
                break
    auth = await may_run(gh, repo, login, feedback.COMMAND, Governance(), is_bot=False,
                         pr_author=((data["pull_request"].get("user") or {}).get("login")))
    if not auth.allowed:
        decision = feedback.Decision("reject", f"Not allowed: {auth.reason}.")
    elif parent_id and parent_fp is None:
        decision = feedback.Decision("reject", "That comment is not one of asyncguard's findings; name the place: "
                                               "`/asyncguard false-positive AG101 path:line reason`.")
    else:
        decision = await _apply(store, feedback.decide(
            feedback.parse(cmds[0].args), await store.latest_findings(repo, pr), actor=login, via="review-reply",
            reported_by=await store.reported_by(repo, pr), parent_fingerprint=parent_fp))
    await _acknowledge(gh, repo, pr, comment, decision)


async def _acknowledge(gh: GitHubAPI, repo: str, pr: int, comment: Mapping[str, Any],
                       decision: feedback.Decision) -> None:
    """👍/😕 on the reply; a refusal also answers in the thread (GitHub wants the path and commit)."""
    comment_id = int(comment["id"])
    try:
        await gh.post("/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions",
                      url_vars={**_split(repo), "comment_id": str(comment_id)},
                      data={"content": decision.reaction})
        if decision.outcome == "reject":
            await gh.post("/repos/{owner}/{repo}/pulls/{pull_number}/comments",
                          url_vars={**_split(repo), "pull_number": str(pr)},
                          data={"body": decision.message, "in_reply_to": comment_id,
                                "commit_id": str(comment.get("commit_id") or ""), "path": str(comment.get("path") or "")})
    except gidgethub.BadRequest as exc:  # an acknowledgement is a courtesy; the record is what counts
        log.warning("could not acknowledge feedback on %s#%s: %s", repo, pr, exc)


async def collect_reactions(gh: GitHubAPI, store: MonitoringStore, repo: str, pr: int,
                            existing: Sequence[Mapping[str, Any]], bot_login: str | None) -> int:
    """Record 👎 reactions on our review comments as reports; returns how many were new."""
    from asyncguard.bot.review import MARKER_RE

    ours: dict[int, str] = {}
    for c in existing:
        m = MARKER_RE.search(c.get("body") or "")
        login = (c.get("user") or {}).get("login")
        if m and not c.get("in_reply_to_id") and (bot_login is None or login == bot_login):
            if int(((c.get("reactions") or {}).get("-1")) or 0) > 0:
                ours[int(c["id"])] = m.group(1)
    if not ours:
        return 0
    down: dict[int, list[str]] = {}
    for cid in list(ours)[:MAX_REACTION_LOOKUPS]:
        async for r in gh.getiter("/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions{?content,per_page}",
                                  url_vars={**_split(repo), "comment_id": str(cid), "content": "-1",
                                            "per_page": "100"}):
            if r.get("content") == "-1" and (r.get("user") or {}).get("login"):
                down.setdefault(cid, []).append(str(r["user"]["login"]))
    from asyncguard.bot.governance.authz import may_run
    from asyncguard.bot.governance.repo_config import Governance

    allowed: dict[str, bool] = {}
    for login in {x for logins in down.values() for x in logins}:
        allowed[login] = (await may_run(gh, repo, login, feedback.COMMAND, Governance())).allowed
    down = {cid: [x for x in logins if allowed[x]] for cid, logins in down.items()}
    new = feedback.from_reactions(ours, down, await store.seen_findings(repo, pr), await store.reported_by(repo, pr))
    recorded = 0
    acked: set[int] = set()
    for fb in new:
        if await store.add_feedback(fb):
            recorded += 1
            cid = next(i for i, fp in ours.items() if fp == fb.fingerprint)
            if cid not in acked:
                acked.add(cid)
                try:
                    await gh.post("/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions",
                                  url_vars={**_split(repo), "comment_id": str(cid)}, data={"content": "eyes"})
                except gidgethub.BadRequest:
                    pass
    return recorded


def seen_records(repo: str, pr: int, head_sha: str, findings: Sequence[Any], fps: Sequence[str],
                 head_root: Path, share_snippets: bool) -> list[SeenFinding]:
    """What a run showed, with each finding's code hash (and a redacted snippet when the repo allows)."""
    sources: dict[str, list[str] | None] = {}
    texts: dict[str, str | None] = {}
    out = []
    for f, fp in zip(findings, fps, strict=True):
        if f.path not in sources:
            try:
                texts[f.path] = (head_root / f.path).read_text(encoding="utf-8")
                sources[f.path] = (texts[f.path] or "").splitlines()
            except (OSError, UnicodeDecodeError, ValueError):
                sources[f.path] = texts[f.path] = None
        lines = sources[f.path]
        text = lines[f.line - 1] if lines and 1 <= f.line <= len(lines) else f"#{f.line}"
        src = texts[f.path]
        snip = feedback.snippet(src, f.line) if share_snippets and src is not None else None
        out.append(SeenFinding(repo, pr, fp, f.code, f.path, f.line, f.message, feedback.code_hash(text), head_sha,
                               snip))
    return out
