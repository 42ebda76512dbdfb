"""The bot's one governance comment per PR, found again by a hidden marker and edited in place."""

from __future__ import annotations

import gidgethub
from gidgethub.abc import GitHubAPI

from asyncguard.bot.governance.ghops import clip, split

MARKER = "<!-- asyncguard:governance -->"
MAX_COMMENT = 65000


async def find_reply(gh: GitHubAPI, repo_full_name: str, number: int) -> int | None:
    async for comment in gh.getiter(
        "/repos/{owner}/{repo}/issues/{issue_number}/comments{?per_page}",
        url_vars={**split(repo_full_name), "issue_number": str(number), "per_page": "100"},
    ):
        if MARKER in (comment.get("body") or "") and (comment.get("user") or {}).get("type") == "Bot":
            return int(comment["id"])
    return None


async def upsert_reply(gh: GitHubAPI, repo_full_name: str, number: int, text: str, known_id: int | None = None) -> int:
    """Write `text` into the PR's governance comment (creating it once); returns its id."""
    body = clip(f"{MARKER}\n{text}", MAX_COMMENT)
    comment_id = known_id if known_id is not None else await find_reply(gh, repo_full_name, number)
    if comment_id is not None:
        try:
            await gh.patch(
                "/repos/{owner}/{repo}/issues/comments/{comment_id}",
                url_vars={**split(repo_full_name), "comment_id": str(comment_id)},
                data={"body": body},
            )
            return comment_id
        except gidgethub.BadRequest as exc:
            if exc.status_code != 404:  # deleted by someone: make a new one
                raise
            if known_id is not None:
                return await upsert_reply(gh, repo_full_name, number, text, None)
    data = await gh.post(
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        url_vars={**split(repo_full_name), "issue_number": str(number)},
        data={"body": body},
    )
    return int(data["id"])


async def post_reply(gh: GitHubAPI, repo_full_name: str, number: int, text: str) -> int:
    """A new comment (GitHub notifies the people it mentions; an edit notifies no one)."""
    data = await gh.post(
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        url_vars={**split(repo_full_name), "issue_number": str(number)},
        data={"body": clip(text, MAX_COMMENT)},
    )
    return int(data["id"])
