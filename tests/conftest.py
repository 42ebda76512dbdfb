"""Shared fixtures: a fake GitHub on loopback, real git repos, and the bot server.

`fake_github` fails the test if the bot sent any request that does not validate against
GitHub's OpenAPI description. Other test folders add their own fixtures in
`tests/<dir>/conftest.py`; the fake lives in `tests/fakegithub/` (importable as `fakegithub`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

sys.path.insert(0, str(Path(__file__).parent))

from fakegithub import FakeGitHub, GitRepo, WebhookSender
from fakegithub.botserver import BotServer

WEBHOOK_SECRET = "It's a Secret to Everybody"


DRIVER_THREAD = "_connection_worker_thread"  # aiosqlite runs each connection on its own thread


def _driver_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if DRIVER_THREAD in t.name}


@pytest.fixture(autouse=True)
def closes_its_database_connections() -> Any:
    """A test that leaves a database connection open fails here, by name.

    An open aiosqlite connection keeps a thread alive for the rest of the session, and the engine
    never forks beside other threads (`rules.parallel.available_jobs`), so a leak would otherwise
    surface much later as an unrelated failure. Autouse fixtures are set up first, so this teardown
    runs after every other fixture of the test has closed what it opened.
    """
    before = _driver_threads()
    yield
    deadline = time.monotonic() + 2.0
    while (_driver_threads() - before) and time.monotonic() < deadline:
        time.sleep(0.02)  # a closed connection's thread takes a moment to finish
    left = _driver_threads() - before
    assert not left, (
        f"{len(left)} database connection(s) left open by this test: close the Database/AuditStore "
        "(both are async context managers)"
    )


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


# ---- the bot server against the fake GitHub --------------------------------------------


@pytest.fixture
def bot_settings(fake_github: FakeGitHub, tmp_path: Path, webhook_secret: str) -> Callable[..., Any]:
    """Factory for BotSettings pointing at the fake GitHub, tuned for fast tests."""
    from asyncguard.bot.settings import BotSettings

    def make(**overrides: Any) -> BotSettings:
        values: dict[str, Any] = dict(
            app_id=fake_github.app_id,
            private_key=fake_github.private_key_pem,
            webhook_secret=webhook_secret,
            github_api_url=fake_github.url,
            data_dir=tmp_path / "bot-data",
            debounce_seconds=0.05,
            request_timeout=2.0,
            backoff_base=0.01,
            write_spacing=0.0,
            max_rate_wait=5.0,
            prewarm=False,
        )
        values.update(overrides)
        return BotSettings(**values)

    return make


@pytest.fixture
async def start_bot(bot_settings: Callable[..., Any], webhook_secret: str) -> AsyncIterator[Callable[..., Awaitable[BotServer]]]:
    """`await start_bot(**settings_overrides, run_pr=None, role="all"|"web"|"worker")` -> BotServer; all stopped at teardown."""
    from asyncguard.bot.app import make_app, make_worker_app

    runners: list[web.AppRunner] = []
    sessions: list[aiohttp.ClientSession] = []

    async def start(run_pr: Any = None, **overrides: Any) -> BotServer:
        role = overrides.pop("role", "all")  # all | web | worker
        settings = overrides.pop("settings", None) or bot_settings(**overrides)
        if role == "worker":
            app = make_worker_app(settings, run_pr=run_pr)
        else:
            app = make_app(settings, run_pr=run_pr, with_worker=role == "all")
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}"
        session = aiohttp.ClientSession()
        sessions.append(session)
        return BotServer(url, app, session, WebhookSender(session, f"{url}/webhook", webhook_secret))

    yield start
    for session in sessions:
        await session.close()
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def bot_server(start_bot: Callable[..., Awaitable[BotServer]]) -> BotServer:
    """The bot with default test settings, talking to `fake_github`."""
    return await start_bot()


# ---- the storage engines: every storage-backed test runs on SQLite and on PostgreSQL ------


@pytest.fixture(scope="session")
def postgres_server() -> Any:
    """One PostgreSQL server for the whole session (see tests/pgserver.py)."""
    import pgserver

    server = pgserver.start_server()
    try:
        yield server
    finally:
        pgserver.remove(server)


_db_counter = [0]


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database on each engine: a SQLite file, or a new database on the session's server."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}"
        return
    import asyncpg

    server = request.getfixturevalue("postgres_server")
    _db_counter[0] += 1
    name = f"t{os.getpid()}_{_db_counter[0]}"
    admin = await asyncpg.connect(server.url().replace("+asyncpg", ""))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield server.url(name)
    admin = await asyncpg.connect(server.url().replace("+asyncpg", ""))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


# ---- system pieces (tests/system_pieces.py): deselected and listed when missing; an error in CI --

NOT_RUN = pytest.StashKey[tuple[dict[str, str], list[str]]]()


def _needs_postgresql(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return "postgres_server" in getattr(item, "fixturenames", ()) or (
        callspec is not None and callspec.params.get("database_url") == "postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from tests.system_pieces import in_ci, missing

    for item in items:
        if _needs_postgresql(item):
            item.add_marker(pytest.mark.postgresql)
    gone = missing()
    needing = {m: [i for i in items if i.get_closest_marker(m)] for m in gone}
    needing = {m: found for m, found in needing.items() if found}
    if not needing:
        return
    if in_ci():
        lines = "; ".join(f"{gone[m]} ({len(found)} tests)" for m, found in needing.items())
        raise pytest.UsageError(f"CI=true and a system piece is missing, so tests would not run: {lines}")
    drop = {id(i) for found in needing.values() for i in found}
    config.hook.pytest_deselected(items=[i for i in items if id(i) in drop])
    items[:] = [i for i in items if id(i) not in drop]
    config.stash[NOT_RUN] = ({m: gone[m] for m in needing},
                             [f"[{m}] {i.nodeid}" for m, found in needing.items() for i in found])


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    not_run = config.stash.get(NOT_RUN, None)
    if not not_run:
        return
    why, ids = not_run
    terminalreporter.section(f"NOT RUN: {len(ids)} tests need what this machine lacks", sep="!", red=True)
    for marker, reason in why.items():
        terminalreporter.line(f"{marker}: {reason}")
    for nodeid in ids:
        terminalreporter.line(f"  not run {nodeid}")
    terminalreporter.line("Install them (scripts/test does, as root or with sudo) to run these too; "
                          "under CI=true this is an error.")
