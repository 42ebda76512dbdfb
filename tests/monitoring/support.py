"""Webhook payloads for monitoring tests: GitHub's examples rewritten to point at a fake PR, then
checked against octokit's schemas (so every delivery is one GitHub could have sent)."""

from __future__ import annotations

import copy
from typing import Any

from fakegithub import FakeGitHub
from fakegithub.governance_routes import human_comment
from fakegithub.routes import review_comment_json
from fakegithub.state import ReviewComment
from fakegithub.webhooks import example_payload, pull_request_payload, validate_payload


def _point_at(fake: FakeGitHub, p: dict[str, Any], repo_name: str) -> None:
    repo = fake.repos[repo_name]
    p["repository"].update(full_name=repo_name, name=repo.name, id=repo.id)
    p["repository"]["owner"]["login"] = repo.owner
    p["installation"] = {"id": repo.installation_id, "node_id": f"I_{repo.installation_id}"}


def issue_comment_payload(fake: FakeGitHub, repo_name: str, number: int, body: str, user: str) -> dict[str, Any]:
    """A PR comment the person made (stored in the fake) and its `issue_comment` delivery."""
    c = human_comment(fake, repo_name, number, body, user)
    p = copy.deepcopy(example_payload("issue_comment", "created.with-installation"))
    _point_at(fake, p, repo_name)
    p["issue"]["number"] = number
    p["issue"]["pull_request"] = {
        "url": f"https://api.github.com/repos/{repo_name}/pulls/{number}",
        "html_url": f"https://github.com/{repo_name}/pull/{number}",
        "diff_url": f"https://github.com/{repo_name}/pull/{number}.diff",
        "patch_url": f"https://github.com/{repo_name}/pull/{number}.patch",
    }
    p["comment"].update(id=c.id, body=body)
    p["comment"]["user"] = dict(p["comment"]["user"], login=user, type="User")
    p["sender"] = dict(p["sender"], login=user, type="User")
    validate_payload("issue_comment", "created", p)
    return p


def review_reply_payload(fake: FakeGitHub, repo_name: str, number: int, reply: ReviewComment) -> dict[str, Any]:
    """The `pull_request_review_comment` delivery for a reply already stored in the fake."""
    p = copy.deepcopy(example_payload("pull_request_review_comment", "created"))
    _point_at(fake, p, repo_name)
    pr = pull_request_payload(fake, repo_name, number, "opened")["pull_request"]
    for key in ("number", "head", "base", "user"):
        p["pull_request"][key] = copy.deepcopy(pr[key])
    comment = review_comment_json(fake, reply)
    p["comment"].update(id=reply.id, body=reply.body, path=reply.path, line=reply.line, original_line=reply.line or 1,
                        in_reply_to_id=reply.in_reply_to_id, commit_id=reply.commit_id,
                        original_commit_id=reply.commit_id, reactions=comment["reactions"])
    p["comment"]["user"] = dict(p["comment"]["user"], login=reply.user, type="User")
    p["sender"] = dict(p["sender"], login=reply.user, type="User")
    validate_payload("pull_request_review_comment", "created", p)
    return p
