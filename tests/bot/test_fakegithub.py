"""The fake GitHub itself: validation, real git data, auth, faults (the bot's tests rely on it)."""

from __future__ import annotations

import gzip
import io
import tarfile
import time

import aiohttp
import jwt
import pytest
from fakegithub import FakeGitHub, GitRepo
from fakegithub.routes import hunk_lines


def _app_jwt(fake: FakeGitHub) -> str:
    now = int(time.time())
    return jwt.encode({"iat": now - 60, "exp": now + 600, "iss": str(fake.app_id)}, fake.private_key_pem, "RS256")


async def _token(session: aiohttp.ClientSession, fake: FakeGitHub, installation: int = 1) -> str:
    async with session.post(
        f"{fake.url}/app/installations/{installation}/access_tokens",
        headers={"Authorization": f"Bearer {_app_jwt(fake)}", "Accept": "application/vnd.github+json"},
    ) as resp:
        assert resp.status == 201
        return str((await resp.json())["token"])


@pytest.fixture
def repo_with_pr(fake_github: FakeGitHub, make_git_repo: object) -> GitRepo:
    git = make_git_repo("demo")  # type: ignore[operator]
    git.commit("base", {"pkg/a.py": "def f():\n    return 1\n", "pkg/b.py": "from pkg.a import f\n\nx = f()\n"})
    git.checkout("main", new_branch="feature")
    git.commit("head", {"pkg/a.py": "async def f():\n    return 1\n", "data.bin": b"\x00\x01\x02"})
    git.checkout("main")
    fake_github.add_repo("octo/demo", git, installation_id=1)
    fake_github.open_pull("octo/demo", base_ref="main", head_ref="feature", number=7)
    return git


async def test_real_patches_and_tarball(fake_github: FakeGitHub, repo_with_pr: GitRepo) -> None:
    async with aiohttp.ClientSession() as s:
        tok = await _token(s, fake_github)
        h = {"Authorization": f"token {tok}"}
        async with s.get(f"{fake_github.url}/repos/octo/demo/pulls/7/files", headers=h) as r:
            files = {f["filename"]: f for f in await r.json()}
        assert files["pkg/a.py"]["patch"].startswith("@@ -1,2 +1,2 @@")
        assert "+async def f():" in files["pkg/a.py"]["patch"]
        assert "patch" not in files["data.bin"]  # binary: GitHub omits the patch
        assert hunk_lines(files["pkg/a.py"]["patch"]) == {1, 2}
        head = repo_with_pr.resolve("feature")
        async with s.get(f"{fake_github.url}/repos/octo/demo/tarball/{head}", headers=h) as r:
            assert r.status == 200
            data = await r.read()
    names = tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))).getnames()
    assert f"octo-demo-{head[:7]}/pkg/a.py" in names


async def test_invalid_request_is_recorded(fake_github: FakeGitHub, repo_with_pr: GitRepo) -> None:
    async with aiohttp.ClientSession() as s:
        tok = await _token(s, fake_github)
        h = {"Authorization": f"token {tok}"}
        # completed without conclusion violates checks/create's oneOf
        async with s.post(f"{fake_github.url}/repos/octo/demo/check-runs", headers=h,
                          json={"name": "x", "head_sha": "a" * 40, "status": "completed"}) as r:
            assert r.status == 422
        async with s.get(f"{fake_github.url}/repos/octo/demo/no-such-thing", headers=h) as r:
            assert r.status == 404
    assert len(fake_github.invalid) == 2
    fake_github.invalid.clear()  # expected here; the fixture would fail the test otherwise


async def test_auth_and_faults(fake_github: FakeGitHub, repo_with_pr: GitRepo) -> None:
    async with aiohttp.ClientSession() as s:
        url = f"{fake_github.url}/repos/octo/demo/pulls/7"
        async with s.get(url, headers={"Authorization": "token nope"}) as r:
            assert r.status == 401
        tok = await _token(s, fake_github)
        h = {"Authorization": f"token {tok}"}
        fake_github.inject("pulls/get", "500", times=2)
        fake_github.inject("pulls/get", "429", retry_after=3)
        statuses = []
        for _ in range(4):
            async with s.get(url, headers=h) as r:
                statuses.append((r.status, r.headers.get("Retry-After")))
        assert statuses == [(500, None), (500, None), (429, "3"), (200, None)]
        fake_github.expire_tokens()
        async with s.get(url, headers=h) as r:
            assert r.status == 401
        async with s.post(f"{fake_github.url}/app/installations/1/access_tokens",
                          headers={"Authorization": "Bearer not-a-jwt"}) as r:
            assert r.status == 401


async def test_review_outside_hunk_rejected(fake_github: FakeGitHub, repo_with_pr: GitRepo) -> None:
    async with aiohttp.ClientSession() as s:
        tok = await _token(s, fake_github)
        h = {"Authorization": f"token {tok}"}
        url = f"{fake_github.url}/repos/octo/demo/pulls/7/reviews"
        bad = {"event": "COMMENT", "body": "b", "comments": [{"path": "pkg/b.py", "line": 3, "side": "RIGHT", "body": "x"}]}
        async with s.post(url, headers=h, json=bad) as r:
            assert r.status == 422
        good = {"event": "COMMENT", "body": "b", "comments": [{"path": "pkg/a.py", "line": 1, "side": "RIGHT", "body": "x"}]}
        async with s.post(url, headers=h, json=good) as r:
            assert r.status == 200
    assert [c.path for c in fake_github.review_comments.values()] == ["pkg/a.py"]
