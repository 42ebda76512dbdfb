"""A `/asyncguard recheck` comment (governance's slash-command) re-runs our check through the scheduler."""

from __future__ import annotations

import copy
from collections.abc import Callable

from bot_scenario import REPO, open_pr
from fakegithub import FakeGitHub, GitRepo
from fakegithub.botserver import BotServer
from fakegithub.webhooks import example_payload, validate_payload


def comment_payload(fake: FakeGitHub, number: int, body: str, login: str) -> dict[str, object]:
    payload = copy.deepcopy(example_payload("issue_comment", "created.with-installation"))
    repo = fake.repos[REPO]
    payload["repository"]["full_name"] = REPO
    payload["repository"]["name"] = repo.name
    payload["repository"]["owner"]["login"] = repo.owner
    payload["repository"]["id"] = repo.id
    payload["issue"]["number"] = number
    payload["issue"]["pull_request"] = {"url": f"https://api.github.com/repos/{REPO}/pulls/{number}",
                                        "html_url": f"https://github.com/{REPO}/pull/{number}",
                                        "diff_url": f"https://github.com/{REPO}/pull/{number}.diff",
                                        "patch_url": f"https://github.com/{REPO}/pull/{number}.patch"}
    payload["issue"]["user"]["login"] = login
    payload["comment"]["body"] = body
    payload["comment"]["user"]["login"] = login
    payload["comment"]["user"]["type"] = "User"
    payload["sender"]["login"] = login
    payload["installation"] = {"id": repo.installation_id, "node_id": "I_x"}
    validate_payload("issue_comment", "created", payload)
    return payload


async def test_recheck_command_starts_a_fresh_run(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], GitRepo], bot_server: BotServer
) -> None:
    pr = open_pr(fake_github, make_git_repo("shop"), bot_server)
    await pr.event("opened")
    await bot_server.settle()
    assert len(pr.runs(pr.head)) == 1
    author = fake_github.repos[REPO].pulls[1].user
    status, _ = await bot_server.webhook.deliver(
        "issue_comment", comment_payload(fake_github, 1, "/asyncguard recheck", author))
    assert status == 202
    await bot_server.settle()
    runs = pr.runs(pr.head)
    assert len(runs) == 2 and all(r.status == "completed" for r in runs)
    assert any("Re-running the checks" in c.body for c in fake_github.issue_comments.values())
