"""A worker process SIGKILLed in the middle of a PR run: another worker finishes it, nothing twice.

Real processes: the web role runs here, the workers are `asyncguard worker` processes sharing the
store (PostgreSQL: two at once; SQLite, the embedded one-process default: the second starts after
the first is killed). The fake GitHub carries out the call the worker is killed at and holds the
answer back, so the worker dies exactly between changing GitHub and recording it in its own store,
the window where a retried job used to create a second check run, post annotations again or leave
a second governance verdict. Afterwards, for the head: one check run per name, none in progress,
every annotation and review comment once, one governance decision in the audit trail.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bot_scenario import BASE, REPO, open_pr
from fakegithub import FakeGitHub, GitRepo
from fakegithub.botserver import BotServer

from asyncguard.bot.governance.audit_store import AuditStore
from asyncguard.bot.storage import Database
from asyncguard.bot.storage.jobs import JobQueue

ASYNCGUARD = Path(sys.executable).parent / "asyncguard"
MakeRepo = Callable[[str], GitRepo]
StartBot = Callable[..., Awaitable[BotServer]]

# notify() becomes async and 60 callers still call it without await: 60 AG101 + the AG202 break, so
# the annotations go out in two batches (50 + 11) and a kill can fall between them
CALLS = 60
HEAD = {
    "shop/mail.py": "async def notify(user):\n    return f'hello {user}'\n",
    "shop/orders.py": "from shop.mail import notify\n\n\nasync def place_order(user):\n"
                      + "".join(f"    notify(user)  # call {i}\n" for i in range(CALLS)) + "    return user\n",
}


def _is_ours(name: str) -> Callable[[Any], bool]:
    return lambda body: isinstance(body, dict) and body.get("name") == name


# where the worker dies: (operation, which call of it) -- each right after GitHub took the change
KILL_POINTS = {
    "check-run-created": ("checks/create", _is_ours("asyncguard")),
    "first-annotations": ("checks/update", lambda b: bool(((b or {}).get("output") or {}).get("annotations"))),
    "review-posted": ("pulls/create-review", None),
    "governance-posted": ("checks/create", _is_ours("asyncguard/governance")),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Workers:
    """`asyncguard worker` processes against the fake GitHub and one store; all stopped at the end."""

    def __init__(self, fake: FakeGitHub, tmp: Path, database_url: str) -> None:
        self.fake = fake
        self.tmp = tmp
        self.database_url = database_url
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCGUARD_")}
        env.update({
            "ASYNCGUARD_APP_ID": str(self.fake.app_id), "ASYNCGUARD_PRIVATE_KEY": self.fake.private_key_pem,
            "ASYNCGUARD_WEBHOOK_SECRET": "unused-by-workers", "ASYNCGUARD_GITHUB_API_URL": self.fake.url,
            "ASYNCGUARD_DATA_DIR": str(self.tmp / f"worker-{len(self.procs)}"),
            "ASYNCGUARD_DATABASE_URL": self.database_url, "ASYNCGUARD_JOB_LEASE_SECONDS": "2",
            "ASYNCGUARD_DEBOUNCE_SECONDS": "0.05", "ASYNCGUARD_WRITE_SPACING": "0", "ASYNCGUARD_BACKOFF_BASE": "0.01",
        })
        log = (self.tmp / f"worker-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen([str(ASYNCGUARD), "worker", "--port", str(port), "--log-level", "INFO"],
                                env=env, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        self._wait_ready(proc, port)
        return proc

    @staticmethod
    def _wait_ready(proc: subprocess.Popen[bytes], port: int) -> None:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                    return
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"worker {proc.pid} did not become ready (exit {proc.poll()})") from None
                time.sleep(0.1)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(40)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)

    def logs(self) -> str:
        return "\n".join((self.tmp / f"worker-{i}.log").read_text(errors="replace")[-3000:]
                         for i in range(len(self.procs)))


@pytest.fixture
def workers(fake_github: FakeGitHub, tmp_path: Path, database_url: str) -> Iterator[Workers]:
    w = Workers(fake_github, tmp_path, database_url)
    yield w
    w.stop()


async def _holder(db: Database) -> int:
    """The pid of the worker running a job right now (the one that made the held call)."""
    running = [j for j in await JobQueue(db).listing("running")]
    assert running, "no job is running while GitHub holds the answer"
    from sqlalchemy import select

    from asyncguard.bot.storage.tables import jobs

    async with db.connect() as conn:
        names = (await conn.execute(select(jobs.c.worker).where(jobs.c.status == "running"))).scalars().all()
    pids = {int(str(n).split(":")[1]) for n in names if n}
    assert len(pids) == 1, names
    return pids.pop()


@pytest.mark.parametrize("kill_point", sorted(KILL_POINTS))
async def test_a_worker_killed_mid_run_is_finished_by_another_with_nothing_twice(
    fake_github: FakeGitHub, make_git_repo: MakeRepo, start_bot: StartBot, database_url: str, workers: Workers,
    kill_point: str,
) -> None:
    op, when = KILL_POINTS[kill_point]
    hold = fake_github.hold_after(op, when)
    web = await start_bot(role="web", database_url=database_url)
    pr = open_pr(fake_github, make_git_repo("shop"), web, head=HEAD, base=BASE)
    first = workers.start()
    if database_url.startswith("postgresql"):
        workers.start()  # a second one is there all along: whichever runs the job is the one killed
    await pr.event("opened")
    try:
        await asyncio.wait_for(hold.reached.wait(), 120)
    except TimeoutError:
        raise AssertionError(f"the worker never reached {op}:\n{workers.logs()}") from None
    db = Database(database_url)
    try:
        victim = await _holder(db)
        os.kill(victim, signal.SIGKILL)
        killed = next(p for p in workers.procs if p.pid == victim)
        await asyncio.to_thread(killed.wait, 10)
        hold.release.set()  # its answer now goes nowhere
        if not database_url.startswith("postgresql"):
            assert killed is first
            workers.start()
        await _until_done(fake_github, pr.head, db, workers)
        await _assert_once(fake_github, pr.head, db)
        [job] = [j for j in await JobQueue(db).listing() if j.kind == ("pr_run" if kill_point != "check-run-created"
                                                                          else "delivery")]
        assert job.attempts >= 2 and job.status == "done"  # the kill really cost an attempt, and it was redone
    finally:
        await db.close()


async def _until_done(fake: FakeGitHub, head: str, db: Database, workers: Workers, within: float = 120) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        runs = fake.runs_for(REPO, head) + fake.runs_for(REPO, head, "asyncguard/governance")
        if len(runs) >= 2 and all(r.status == "completed" for r in runs) and await JobQueue(db).idle():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the run was not finished by another worker:\n{workers.logs()}")


async def _assert_once(fake: FakeGitHub, head: str, db: Database) -> None:
    # one check run per name on the head, completed
    names = Counter(r.name for r in fake.check_runs.values() if r.repo == REPO and r.head_sha == head)
    assert names == {"asyncguard": 1, "asyncguard/governance": 1}, names
    [run] = fake.runs_for(REPO, head)
    [gov] = fake.runs_for(REPO, head, "asyncguard/governance")
    assert run.status == gov.status == "completed"
    assert run.conclusion == "failure" and gov.conclusion == "failure"  # 61 blocking findings; an unapproved break
    # every annotation once, and all of them (nothing skipped by the retry either)
    keys = Counter((a["path"], a["start_line"], a["message"]) for a in run.annotations)
    assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1][:3]
    assert len(run.annotations) == CALLS + 1, len(run.annotations)
    # every review suggestion once
    bodies = Counter(c.body for c in fake.review_comments.values() if c.repo == REPO and c.pull == 1)
    assert bodies and max(bodies.values()) == 1
    assert len(fake.calls("pulls/create-review")) == 1
    # one governance decision recorded for the head, one governance comment at most
    records = await AuditStore(db).records(repo=REPO)
    gates = [r for r in records if r.kind == "gate" and r.head_sha == head]
    assert len(gates) == 1, [(r.kind, r.head_sha) for r in records]
    comments = Counter(c.body for c in fake.issue_comments.values() if c.repo == REPO)
    assert not comments or max(comments.values()) == 1
    assert json.dumps(fake.invalid) == "[]"
