"""Fixtures for contracts tests (helpers live in ct_helpers.py so test modules can import them)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ct_helpers import Repo, Run, git, run_cli


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Repo]:
    """`make_repo(base_files, head_files)`: a git repo tagged `base` (first commit) and `head` (second)."""

    def make(
        base: Mapping[str, str | None], head: Mapping[str, str | None] | None = None, name: str = "repo"
    ) -> Repo:
        path = tmp_path / name
        path.mkdir()
        git(path, "init", "-q", "-b", "main")
        repo = Repo(path)
        repo.commit(base, "base")
        git(path, "tag", "base")
        if head is not None:
            repo.commit(head, "head")
            git(path, "tag", "head")
        return repo

    return make


@pytest.fixture
def cli() -> Callable[..., Run]:
    return run_cli
