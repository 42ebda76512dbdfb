"""Who may do what: approvers (review teams, listed reviewers, else admins/maintainers) and command levels.

Team membership counts only with `state: active` (a pending invitation is not membership); bots
never approve. Every API failure denies, with a reason the reply can show.
"""

from __future__ import annotations

from dataclasses import dataclass

import gidgethub
from gidgethub.abc import GitHubAPI

from asyncguard.bot.governance.repo_config import Governance

_LEVELS = {"none": 0, "read": 1, "triage": 2, "write": 3, "maintain": 4, "admin": 5}

# the least repository permission each command needs ("approver" handled separately)
COMMAND_LEVEL = {
    "help": "none",
    "explain": "none",
    "contract": "read",
    "checklist": "read",
    "doctor": "read",
    "false-positive": "read",
    "recheck": "write",
    "approve": "approver",
    "revoke": "approver",
    "bypass": "bypasser",
}


@dataclass(frozen=True)
class AuthResult:
    allowed: bool
    reason: str


def _split(repo_full_name: str) -> tuple[str, str]:
    owner, _, name = repo_full_name.partition("/")
    return owner, name


async def permission_level(gh: GitHubAPI, repo_full_name: str, login: str) -> str:
    """The user's repository role (`admin`, `maintain`, `write`, `triage`, `read` or `none`)."""
    owner, repo = _split(repo_full_name)
    try:
        data = await gh.getitem(
            "/repos/{owner}/{repo}/collaborators/{username}/permission",
            url_vars={"owner": owner, "repo": repo, "username": login},
        )
    except gidgethub.BadRequest:  # 404: not a collaborator; 403: the app may not ask
        return "none"
    role = str(data.get("role_name") or "").lower()
    perm = str(data.get("permission") or "none").lower()
    # role_name carries maintain/triage, which `permission` folds into write/read
    return role if role in _LEVELS else (perm if perm in _LEVELS else "none")


async def team_state(gh: GitHubAPI, team: str, login: str) -> str:
    """`active`, `pending`, `none`, or `error: ...` for the user's membership in `org/slug`."""
    org, _, slug = team.partition("/")
    try:
        data = await gh.getitem(
            "/orgs/{org}/teams/{team_slug}/memberships/{username}",
            url_vars={"org": org, "team_slug": slug, "username": login},
        )
    except gidgethub.BadRequest as exc:
        if exc.status_code == 404:
            return "none"
        return f"error: GitHub answered {int(exc.status_code)} (the app needs the Members: read permission)"
    return str(data.get("state") or "none")


async def may_approve(
    gh: GitHubAPI,
    repo_full_name: str,
    login: str,
    governance: Governance,
    *,
    is_bot: bool = False,
    pr_author: str | None = None,
) -> AuthResult:
    """Whether `login` may approve (or, without `pr_author`, revoke) governed breaking changes here.

    `pr_author`: the pull request's author, who may not approve its own break unless the base's
    `governance.allow_self_approval` says so (revoking is never refused on that ground).
    """
    if is_bot or login.endswith("[bot]"):
        return AuthResult(False, f"`@{login}` is a bot; only people may approve")
    if pr_author and login.lower() == pr_author.lower() and not governance.allow_self_approval:
        return AuthResult(False, f"`@{login}` is the pull request's author and may not approve its own breaking "
                                 "change (`governance.allow_self_approval: true` in the base branch's "
                                 f"`.asyncguard.yml` allows it); who may: {governance.who_may_approve()}")
    if login.lower() in {r.lower() for r in governance.reviewers}:
        return AuthResult(True, f"`@{login}` is listed in `governance.reviewers`")
    notes = []
    for team in governance.review_teams:
        state = await team_state(gh, team, login)
        if state == "active":
            return AuthResult(True, f"`@{login}` is an active member of `@{team}`")
        if state == "pending":
            notes.append(f"the invitation to `@{team}` is still pending")
        elif state.startswith("error"):
            notes.append(f"`@{team}`: {state}")
    if not governance.review_teams and not governance.reviewers:
        level = await permission_level(gh, repo_full_name, login)
        if _LEVELS.get(level, 0) >= _LEVELS["maintain"]:
            return AuthResult(True, f"`@{login}` has `{level}` permission")
        notes.append(f"permission is `{level}`")
    why = f" ({'; '.join(notes)})" if notes else ""
    return AuthResult(False, f"`@{login}` may not approve{why}; who may: {governance.who_may_approve()}")


async def may_bypass(
    gh: GitHubAPI, repo_full_name: str, login: str, governance: Governance, *, is_bot: bool = False
) -> AuthResult:
    """Whether `login` may bypass both checks for one head: an active member of a review team, or a
    repository admin. Listed reviewers and maintainers may approve, but not bypass."""
    if is_bot or login.endswith("[bot]"):
        return AuthResult(False, f"`@{login}` is a bot; only people may bypass")
    notes = []
    for team in governance.review_teams:
        state = await team_state(gh, team, login)
        if state == "active":
            return AuthResult(True, f"`@{login}` is an active member of `@{team}`")
        if state.startswith("error"):
            notes.append(f"`@{team}`: {state}")
    level = await permission_level(gh, repo_full_name, login)
    if level == "admin":
        return AuthResult(True, f"`@{login}` has `admin` permission")
    notes.append(f"permission is `{level}`")
    return AuthResult(
        False, f"`@{login}` may not bypass ({'; '.join(notes)}); who may: {governance.who_may_bypass()}"
    )


async def may_run(
    gh: GitHubAPI,
    repo_full_name: str,
    login: str,
    command: str,
    governance: Governance,
    *,
    is_bot: bool = False,
    pr_author: str | None = None,
) -> AuthResult:
    """Check a slash-command against the commenter's permission."""
    need = COMMAND_LEVEL.get(command, "none")
    if need == "approver":
        author = pr_author if command == "approve" else None
        return await may_approve(gh, repo_full_name, login, governance, is_bot=is_bot, pr_author=author)
    if need == "bypasser":
        return await may_bypass(gh, repo_full_name, login, governance, is_bot=is_bot)
    if need == "none":
        return AuthResult(True, "open to everyone")
    if need == "write" and pr_author and login.lower() == pr_author.lower():
        return AuthResult(True, "the PR's author")
    level = await permission_level(gh, repo_full_name, login)
    if _LEVELS.get(level, 0) >= _LEVELS[need]:
        return AuthResult(True, f"`{level}` permission")
    return AuthResult(False, f"`/asyncguard {command}` needs `{need}` permission; `@{login}` has `{level}`")
