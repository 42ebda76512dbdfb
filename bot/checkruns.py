"""Our check runs as GitHub has them: found by (repository, head sha, name, our App) before one is made.

Creating a check run on GitHub and recording its id in the store cannot be one transaction. A
worker killed between the two (SIGKILL, out of memory, a lost node) leaves a check run the store
never heard of; the retried job would create a second one for the same head and the first would
stay "in progress" for good. So every creation looks on GitHub first, the only place that knows,
and reuses what it finds: creating is idempotent per (repository, head sha, name) however often a
job is retried. The same holds for a run's annotations: GitHub's count says how many a killed
attempt already added, and the retry posts only the rest.
"""

from __future__ import annotations

from typing import Any

from gidgethub.abc import GitHubAPI


def app_id_of(gh: GitHubAPI) -> int | None:
    """The App id behind a client of `bot.github` (None for another client: no App filter)."""
    app_id = getattr(getattr(gh, "app", None), "app_id", None)
    return int(app_id) if isinstance(app_id, int) else None


async def ours_on_head(gh: GitHubAPI, repo: str, head_sha: str, name: str) -> list[dict[str, Any]]:
    """Our App's check runs named `name` on `head_sha`, oldest first."""
    owner, _, short = repo.partition("/")
    app_id = app_id_of(gh)
    url_vars: dict[str, Any] = {"owner": owner, "repo": short, "ref": head_sha, "check_name": name, "filter": "all",
                "per_page": "100"}
    template = "/repos/{owner}/{repo}/commits/{ref}/check-runs{?check_name,filter,per_page}"
    if app_id is not None:
        url_vars["app_id"] = str(app_id)
        template = "/repos/{owner}/{repo}/commits/{ref}/check-runs{?check_name,filter,app_id,per_page}"
    data: Any = await gh.getitem(template, url_vars=url_vars)
    runs = [r for r in (data.get("check_runs") or []) if isinstance(r, dict) and r.get("name") == name
            and (app_id is None or (r.get("app") or {}).get("id") in (None, app_id))]
    return sorted(runs, key=lambda r: int(r["id"]))


async def find_ours(gh: GitHubAPI, repo: str, head_sha: str, name: str, *, open_only: bool) -> int | None:
    """The id of our newest check run `name` on `head_sha` (`open_only`: not yet completed), if any."""
    runs = await ours_on_head(gh, repo, head_sha, name)
    if open_only:
        runs = [r for r in runs if r.get("status") != "completed"]
    return int(runs[-1]["id"]) if runs else None


async def annotations_posted(gh: GitHubAPI, repo: str, head_sha: str, name: str, check_run_id: int) -> int:
    """How many annotations the check run already has (an earlier attempt may have added some)."""
    for run in await ours_on_head(gh, repo, head_sha, name):
        if int(run["id"]) == check_run_id:
            return int((run.get("output") or {}).get("annotations_count") or 0)
    return 0
