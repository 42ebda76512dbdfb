"""The few GitHub calls governance makes, each a thin wrapper with the right URL variables."""

from __future__ import annotations

import base64
import time
from typing import Any

import gidgethub
from gidgethub.abc import GitHubAPI

from asyncguard.bot.governance.repo_config import CONFIG_FILE, RepoConfig, load_repo_config

MAX_SUMMARY = 65000  # GitHub's limit on check-run output.summary is 65535 characters


def split(repo_full_name: str) -> dict[str, str]:
    owner, _, repo = repo_full_name.partition("/")
    return {"owner": owner, "repo": repo}


def clip(text: str, limit: int = MAX_SUMMARY) -> str:
    if len(text) <= limit:
        return text
    note = "\n\n_(truncated: the full text exceeds GitHub's size limit)_"
    return text[: limit - len(note)] + note


async def fetch_repo_config(gh: GitHubAPI, repo_full_name: str, ref: str) -> RepoConfig:
    """`.asyncguard.yml` at `ref` (the PR's BASE); unreadable means defaults with the gate on."""
    try:
        data = await gh.getitem(
            "/repos/{owner}/{repo}/contents/{path}{?ref}",
            url_vars={**split(repo_full_name), "path": CONFIG_FILE, "ref": ref},
        )
    except gidgethub.BadRequest as exc:
        if exc.status_code == 404:
            return load_repo_config(None)
        cfg = load_repo_config(None)
        cfg.errors.append(f"could not read `{CONFIG_FILE}` from `{ref}` (GitHub answered {int(exc.status_code)})")
        return cfg
    if not isinstance(data, dict) or data.get("type", "file") != "file":
        cfg = load_repo_config(None)
        cfg.errors.append(f"`{CONFIG_FILE}` on `{ref}` is not a file")
        return cfg
    try:
        text = base64.b64decode(data.get("content") or "").decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        cfg = load_repo_config(None)
        cfg.errors.append(f"`{CONFIG_FILE}` on `{ref}` is not UTF-8 text")
        return cfg
    return load_repo_config(text)


async def get_pull(gh: GitHubAPI, repo_full_name: str, number: int) -> dict[str, Any]:
    return dict(
        await gh.getitem(
            "/repos/{owner}/{repo}/pulls/{pull_number}", url_vars={**split(repo_full_name), "pull_number": str(number)}
        )
    )


async def labels_on(gh: GitHubAPI, repo_full_name: str, number: int) -> list[str]:
    names = []
    async for label in gh.getiter(
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        url_vars={**split(repo_full_name), "issue_number": str(number)},
    ):
        names.append(str(label.get("name", "")))
    return names


# labels we added ourselves, so their `labeled` echo (sender: our bot) is not taken for an outsider's
_OUR_LABELS: dict[tuple[str, int, str], float] = {}
_ECHO_TTL = 600.0


def expect_echo(repo_full_name: str, number: int, label: str) -> None:
    now = time.monotonic()
    for key in [k for k, t in _OUR_LABELS.items() if now - t > _ECHO_TTL]:
        del _OUR_LABELS[key]
    _OUR_LABELS[(repo_full_name.lower(), number, label)] = now


def is_our_echo(repo_full_name: str, number: int, label: str) -> bool:
    """True (once) when we added this label recently."""
    t = _OUR_LABELS.pop((repo_full_name.lower(), number, label), None)
    return t is not None and time.monotonic() - t <= _ECHO_TTL


async def add_label(gh: GitHubAPI, repo_full_name: str, number: int, label: str) -> None:
    expect_echo(repo_full_name, number, label)
    await gh.post(
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        url_vars={**split(repo_full_name), "issue_number": str(number)},
        data={"labels": [label]},
    )


async def remove_label(gh: GitHubAPI, repo_full_name: str, number: int, label: str) -> bool:
    """Remove the label; False when it was not there (404)."""
    try:
        await gh.delete(
            "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
            url_vars={**split(repo_full_name), "issue_number": str(number), "name": label},
        )
    except gidgethub.BadRequest as exc:
        if exc.status_code == 404:
            return False
        raise
    return True


async def last_labeler(gh: GitHubAPI, repo_full_name: str, number: int, label: str) -> tuple[str, bool] | None:
    """(login, is_bot) of whoever last added `label`, from the issue's events; None if unknown."""
    found: tuple[str, bool] | None = None
    async for ev in gh.getiter(
        "/repos/{owner}/{repo}/issues/{issue_number}/events{?per_page}",
        url_vars={**split(repo_full_name), "issue_number": str(number), "per_page": "100"},
    ):
        if ev.get("event") == "labeled" and (ev.get("label") or {}).get("name") == label:
            actor = ev.get("actor") or {}
            found = (str(actor.get("login", "")), actor.get("type") == "Bot" or ev.get("performed_via_github_app") is not None)
        elif ev.get("event") == "unlabeled" and (ev.get("label") or {}).get("name") == label:
            found = None
    return found


async def react(gh: GitHubAPI, repo_full_name: str, comment_id: int, content: str) -> None:
    try:
        await gh.post(
            "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
            url_vars={**split(repo_full_name), "comment_id": str(comment_id)},
            data={"content": content},
        )
    except gidgethub.BadRequest:
        pass  # an acknowledgement is a courtesy; never fail a command over it


async def post_check(
    gh: GitHubAPI,
    repo_full_name: str,
    *,
    head_sha: str,
    name: str,
    conclusion: str,
    title: str,
    summary: str,
    check_run_id: int | None = None,
    adopt: bool = True,
) -> int:
    """Complete the named check run on `head_sha` (update in place when we made one there).

    Without a known id, GitHub is asked for ours on that head first: a worker killed after posting
    the verdict but before the store recorded it must not leave a second verdict beside the first.
    `adopt=False` always makes a new one (a bypass re-posts the analysis check as the newest run).
    """
    output = {"title": clip(title, 250), "summary": clip(summary)}
    if check_run_id is None and adopt:
        from asyncguard.bot.checkruns import find_ours

        check_run_id = await find_ours(gh, repo_full_name, head_sha, name, open_only=False)
    if check_run_id is not None:
        try:
            await gh.patch(
                "/repos/{owner}/{repo}/check-runs/{check_run_id}",
                url_vars={**split(repo_full_name), "check_run_id": str(check_run_id)},
                data={"name": name, "status": "completed", "conclusion": conclusion, "output": output},
            )
            return check_run_id
        except gidgethub.BadRequest as exc:
            if exc.status_code != 404:
                raise
    data = await gh.post(
        "/repos/{owner}/{repo}/check-runs",
        url_vars={**split(repo_full_name)},
        data={"name": name, "head_sha": head_sha, "status": "completed", "conclusion": conclusion, "output": output},
    )
    return int(data["id"])
