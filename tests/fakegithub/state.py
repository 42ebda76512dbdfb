"""What the fake GitHub remembers: repositories, pull requests and everything the bot wrote."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from .gitrepo import GitRepo

_ids = itertools.count(1000)


def next_id() -> int:
    return next(_ids)


@dataclass
class FakePull:
    number: int
    base_ref: str
    head_ref: str
    base_sha: str
    head_sha: str
    draft: bool = False
    state: str = "open"
    title: str = "A pull request"
    user: str = "octocat"


@dataclass
class FakeRepo:
    full_name: str
    git: GitRepo
    installation_id: int
    id: int = field(default_factory=next_id)
    pulls: dict[int, FakePull] = field(default_factory=dict)
    default_branch: str = "main"

    @property
    def owner(self) -> str:
        return self.full_name.split("/")[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/")[1]


@dataclass
class CheckRun:
    id: int
    repo: str
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    output: dict[str, Any]
    annotations: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)  # every create/update body
    external_id: str | None = None
    details_url: str | None = None
    started_at: str | None = None
    completed_at: str | None = None


@dataclass
class ReviewComment:
    id: int
    repo: str
    pull: int
    review_id: int | None
    path: str
    line: int | None
    start_line: int | None
    side: str
    body: str
    user: str
    user_type: str
    commit_id: str
    in_reply_to_id: int | None = None


@dataclass
class Review:
    id: int
    repo: str
    pull: int
    body: str
    event: str
    user: str
    commit_id: str
    comment_ids: list[int] = field(default_factory=list)


@dataclass
class IssueComment:
    id: int
    repo: str
    issue: int
    body: str
    user: str
    user_type: str
