"""Which events start a PR run: pull requests, check suites, the "Re-run" button, installations.

Handlers only ask the scheduler for a run (cheap); the run itself happens in the background.
"""

from __future__ import annotations

import logging
from typing import Any

from gidgethub import routing, sansio

from asyncguard.bot.scheduler import PRKey

log = logging.getLogger("asyncguard.events")

router = routing.Router()


def _installation(event: sansio.Event) -> int | None:
    inst = event.data.get("installation") or {}
    return int(inst["id"]) if inst.get("id") is not None else None


@router.register("pull_request", action="opened")
@router.register("pull_request", action="reopened")
@router.register("pull_request", action="synchronize")
@router.register("pull_request", action="ready_for_review")
@router.register("pull_request", action="edited")
async def on_pull_request(event: sansio.Event, gh: Any, *args: Any, bot: Any = None, **kwargs: Any) -> None:
    data = event.data
    pr = data["pull_request"]
    action = data["action"]
    if action == "edited" and "base" not in (data.get("changes") or {}):
        return  # a title or body edit changes nothing we analyze
    if pr.get("state", "open") != "open":
        return
    if pr.get("draft") and not bot.settings.check_drafts:
        log.info("%s#%s is a draft: skipped (ASYNCGUARD_CHECK_DRAFTS=true to check drafts)",
                 data["repository"]["full_name"], pr["number"])
        return
    installation = _installation(event)
    if installation is None:
        return
    key = PRKey(installation, data["repository"]["full_name"], int(pr["number"]))
    await bot.scheduler.request(key, pr["head"]["sha"], action)


def _same_repo_prs(obj: dict[str, Any], repository: dict[str, Any]) -> list[dict[str, Any]]:
    prs = obj.get("pull_requests") or []
    return [p for p in prs if ((p.get("base") or {}).get("repo") or {}).get("id") in (None, repository.get("id"))]


@router.register("check_suite", action="requested")
@router.register("check_suite", action="rerequested")
async def on_check_suite(event: sansio.Event, gh: Any, *args: Any, bot: Any = None, **kwargs: Any) -> None:
    installation = _installation(event)
    suite = event.data["check_suite"]
    if installation is None:
        return
    repo = event.data["repository"]["full_name"]
    reason = "rerequested" if event.data["action"] == "rerequested" else "check_suite"
    for pr in _same_repo_prs(suite, event.data["repository"]):
        await bot.scheduler.request(PRKey(installation, repo, int(pr["number"])), suite["head_sha"], reason)


@router.register("check_run", action="rerequested")
@router.register("check_run", action="requested_action")
async def on_check_run_rerequested(event: sansio.Event, gh: Any, *args: Any, bot: Any = None, **kwargs: Any) -> None:
    """GitHub's Re-run, or our own Re-run button on a run that gave up."""
    from asyncguard.bot.pr_run import CHECK_NAME

    run = event.data["check_run"]
    if event.data["action"] == "requested_action" and (event.data.get("requested_action") or {}).get("identifier") != "rerun":
        return
    if run.get("name") != CHECK_NAME:
        return  # not ours (the governance check handles its own re-runs)
    app = run.get("app") or (run.get("check_suite") or {}).get("app") or {}
    if bot.settings.app_id is not None and app.get("id") not in (None, bot.settings.app_id):
        return
    installation = _installation(event)
    if installation is None:
        return
    repo = event.data["repository"]["full_name"]
    for pr in _same_repo_prs(run, event.data["repository"]):
        await bot.scheduler.request(PRKey(installation, repo, int(pr["number"])), run["head_sha"], "rerequested")


@router.register("installation")
@router.register("installation_repositories")
async def on_installation(event: sansio.Event, gh: Any, *args: Any, bot: Any = None, **kwargs: Any) -> None:
    installation = _installation(event)
    account = ((event.data.get("installation") or {}).get("account") or {}).get("login", "?")
    log.info("%s %s for %s (installation %s)", event.event, event.data.get("action"), account, installation)
    if event.data.get("action") in {"deleted", "suspend"} and installation is not None and bot.github is not None:
        bot.github.tokens.invalidate(installation)


@router.register("ping")
async def on_ping(event: sansio.Event, gh: Any, *args: Any, bot: Any = None, **kwargs: Any) -> None:
    log.info("ping: %s", event.data.get("zen", ""))
