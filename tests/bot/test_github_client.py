"""The GitHub client against the fake: retries, rate limits, token cache/refresh, write pacing."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from fakegithub import FakeGitHub, GitRepo
from gidgethub import BadRequest

from asyncguard.bot.github import GitHubApp, GitHubClient, GitHubUnavailable, RetryPolicy, rate_limit_wait
from asyncguard.bot.metrics import BotMetrics

PULL = "/repos/octo/demo/pulls/1"


@pytest.fixture
async def app(fake_github: FakeGitHub, make_git_repo: object) -> AsyncIterator[GitHubApp]:
    git: GitRepo = make_git_repo("demo")  # type: ignore[operator]
    git.commit("base", {"a.py": "x = 1\n"})
    git.checkout("main", new_branch="feature")
    git.commit("head", {"a.py": "x = 2\n"})
    fake_github.add_repo("octo/demo", git, installation_id=9)
    fake_github.open_pull("octo/demo")
    async with aiohttp.ClientSession() as session:
        yield GitHubApp(session=session, app_id=fake_github.app_id, private_key=fake_github.private_key_pem,
                        base_url=fake_github.url, metrics=BotMetrics(),
                        policy=RetryPolicy(max_retries=3, backoff_base=0.01, max_rate_wait=3, request_timeout=0.5,
                                           write_spacing=0))


def client(app: GitHubApp) -> GitHubClient:
    return app.client(9)


async def test_token_cached_and_refreshed_on_401(app: GitHubApp, fake_github: FakeGitHub) -> None:
    gh = client(app)
    for _ in range(3):
        assert (await gh.getitem(PULL))["number"] == 1
    assert fake_github.tokens_issued == 1
    fake_github.expire_tokens()
    assert (await gh.getitem(PULL))["number"] == 1
    assert fake_github.tokens_issued == 2
    assert [r.status for r in fake_github.calls("pulls/get")] == [200, 200, 200, 401, 200]


async def test_server_errors_and_dropped_connections_are_retried(app: GitHubApp, fake_github: FakeGitHub) -> None:
    fake_github.inject("pulls/get", "500", times=2, status=502)
    assert (await client(app).getitem(PULL))["number"] == 1
    assert len(fake_github.calls("pulls/get")) == 3
    assert app.metrics.api_calls.get(method="GET", status="502") == 2
    # a POST is not retried by aiohttp itself on a dropped connection: ours must
    fake_github.inject("checks/create", "disconnect")
    created = await client(app).post("/repos/octo/demo/check-runs", data={"name": "x", "head_sha": "a" * 40})
    assert created["name"] == "x"
    assert app.metrics.api_calls.get(method="POST", status="error") == 1


async def test_gives_up_after_retries(app: GitHubApp, fake_github: FakeGitHub) -> None:
    fake_github.inject("pulls/get", "500", times=10)
    with pytest.raises(Exception) as info:
        await client(app).getitem(PULL)
    assert "500" in str(info.value) or "Server Error" in str(info.value)
    assert len(fake_github.calls("pulls/get")) == 4  # 1 + max_retries


async def test_hang_times_out_then_retries(app: GitHubApp, fake_github: FakeGitHub) -> None:
    fake_github.inject("pulls/get", "hang", seconds=30)
    started = time.monotonic()
    assert (await client(app).getitem(PULL))["number"] == 1
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("kind,options", [("429", {"retry_after": 1}), ("rate_limit", {"reset_in": 0}),
                                          ("secondary", {"retry_after": 1}), ("429", {"reset_in": 0})])
async def test_rate_limits_wait_then_succeed(app: GitHubApp, fake_github: FakeGitHub, kind: str, options: dict[str, int]) -> None:
    fake_github.inject("pulls/get", kind, **options)
    started = time.monotonic()
    assert (await client(app).getitem(PULL))["number"] == 1
    assert time.monotonic() - started >= 0.9  # waited as told (reset is rounded up to the next second)
    assert [r.status for r in fake_github.calls("pulls/get")][-1] == 200


async def test_long_rate_limit_is_not_waited_out(app: GitHubApp, fake_github: FakeGitHub) -> None:
    fake_github.inject("pulls/get", "429", retry_after=3600)
    started = time.monotonic()
    with pytest.raises(GitHubUnavailable, match="rate limited"):
        await client(app).getitem(PULL)
    assert time.monotonic() - started < 2


async def test_client_errors_are_not_retried(app: GitHubApp, fake_github: FakeGitHub) -> None:
    fake_github.inject("checks/create", "422")
    with pytest.raises(BadRequest):
        await client(app).post("/repos/octo/demo/check-runs", data={"name": "x", "head_sha": "a" * 40})
    assert len(fake_github.calls("checks/create")) == 1


async def test_writes_are_serialized_and_spaced(app: GitHubApp, fake_github: FakeGitHub) -> None:
    app.policy = RetryPolicy(max_retries=1, backoff_base=0.01, write_spacing=0.2, request_timeout=2)
    gh = client(app)
    await gh.getitem(PULL)  # token first
    started = time.monotonic()
    await asyncio.gather(*(gh.post("/repos/octo/demo/issues/1/comments", data={"body": f"c{i}"}) for i in range(4)))
    assert time.monotonic() - started >= 0.55
    stamps = [r.at for r in fake_github.calls("issues/create-comment")]
    assert all(b - a >= 0.18 for a, b in itertools.pairwise(stamps))


def test_rate_limit_wait_rules() -> None:
    assert rate_limit_wait(403, {"x-ratelimit-remaining": "10"}, b'{"message": "Resource not accessible"}') is None
    assert rate_limit_wait(429, {}, b"") == 60.0
    assert rate_limit_wait(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1010"}, b"", now=1000) == 11
    assert rate_limit_wait(403, {"Retry-After": "7"}, b"secondary rate limit") == 7
    assert rate_limit_wait(200, {"Retry-After": "7"}, b"") is None


async def test_slows_down_when_few_calls_remain(app: GitHubApp, fake_github: FakeGitHub) -> None:
    app.policy = RetryPolicy(max_retries=1, backoff_base=0.01, max_rate_wait=0.6, write_spacing=0)
    gh = client(app)
    await gh.getitem(PULL)
    fake_github.rate_remaining[9] = 10  # reset is an hour away: spread the last calls (bounded)
    started = time.monotonic()
    await gh.getitem(PULL)
    assert time.monotonic() - started >= 0.55
    assert app.metrics.rate_remaining.get(installation="9") == 9


async def test_pagination_follows_link_headers(fake_github: FakeGitHub, make_git_repo: object, app: GitHubApp) -> None:
    git: GitRepo = make_git_repo("wide")  # type: ignore[operator]
    git.commit("base", {"README": "x\n"})
    git.checkout("main", new_branch="feature")
    git.commit("many", {f"pkg/m{i:03d}.py": f"x = {i}\n" for i in range(150)})
    git.checkout("main")
    fake_github.add_repo("octo/wide", git, installation_id=9)
    fake_github.open_pull("octo/wide")
    # The fixture's 0.5 s timeout is for the timeout tests; listing 150 files runs git on the fake's side,
    # which takes longer than that on a loaded 2-core machine.
    app.policy = dataclasses.replace(app.policy, request_timeout=30)
    files = [f async for f in client(app).getiter("/repos/octo/wide/pulls/1/files?per_page=100")]
    assert len(files) == 150 and files[-1]["filename"] == "pkg/m149.py"
    assert len(fake_github.calls("pulls/list-files")) == 2
