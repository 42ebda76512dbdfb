"""Shared fixtures: a fake GitHub on loopback, real git repos, and the bot server.

`fake_github` fails the test if the bot sent any request that does not validate against
GitHub's OpenAPI description. Other test folders add their own fixtures in
`tests/<dir>/conftest.py`; the fake lives in `tests/fakegithub/` (importable as `fakegithub`).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakegithub import FakeGitHub, GitRepo

WEBHOOK_SECRET = "It's a Secret to Everybody"


@pytest.fixture
def make_git_repo(tmp_path: Path) -> Callable[[str], GitRepo]:
    """Factory: a fresh real git repository under tmp_path (name = folder)."""

    def make(name: str = "repo") -> GitRepo:
        return GitRepo(tmp_path / "git" / name)

    return make


@pytest.fixture
async def fake_github() -> AsyncIterator[FakeGitHub]:
    """A started fake GitHub; the test fails if any request was invalid for GitHub's API."""
    fake = FakeGitHub()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()
    assert not fake.invalid, "requests GitHub would reject:\n" + "\n".join(fake.invalid)


@pytest.fixture
def webhook_secret() -> str:
    return WEBHOOK_SECRET
