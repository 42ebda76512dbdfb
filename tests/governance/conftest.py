"""Fixtures for governance tests (helpers in `support.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from fakegithub import FakeGitHub, GitRepo
from fakegithub.governance_routes import gov
from gidgethub import aiohttp as gh_aiohttp

from asyncguard.bot.governance.audit_store import AuditStore
from asyncguard.bot.governance.context import GovernanceContext

from .support import API_ASYNC, API_V1, APP, CONFIG, REPO, Env


@pytest.fixture
async def env(fake_github: FakeGitHub, tmp_path: Path) -> AsyncIterator[Env]:
    git = GitRepo(tmp_path / "git" / "widgets")
    git.commit("base", {".asyncguard.yml": CONFIG, "pkg/__init__.py": "", "pkg/api.py": API_V1, "app.py": APP})
    git.checkout("main", new_branch="feature")
    git.commit("flip fetch to async", {"pkg/api.py": API_ASYNC})
    git.checkout("main")
    fake_github.add_repo(REPO, git, installation_id=77)
    fake_github.open_pull(REPO, base_ref="main", head_ref="feature", user="dev")
    g = gov(fake_github)
    g.teams["acme/architecture"] = {"alice": "active", "pat": "pending"}
    g.roles[REPO] = {"alice": "write", "mallory": "write", "dev": "write", "olga": "admin", "rita": "read"}
    token, _ = fake_github.issue_token(77)
    store = AuditStore(tmp_path / "data" / "asyncguard.sqlite3")
    async with aiohttp.ClientSession() as session:
        gh = gh_aiohttp.GitHubAPI(session, "asyncguard-tests", oauth_token=token, base_url=fake_github.url)
        yield Env(fake_github, git, gh, store, GovernanceContext(store=store), tmp_path)
    await store.close()


@pytest.fixture
def write_config(env: Env) -> Callable[[str], None]:
    """Replace `.asyncguard.yml` on the BASE branch (main)."""

    def write(text: str) -> None:
        env.git.checkout("main")
        env.git.commit("config", {".asyncguard.yml": text})

    return write
