"""PR runs under GitHub faults and hostile input: the check run always completes and says why."""

from __future__ import annotations

import asyncio
import gzip
import io
import os
import tarfile
from collections.abc import Awaitable, Callable

from bot_scenario import BASE, HEAD_FIXED, REPO, open_pr
from fakegithub import FakeGitHub, GitRepo, pull_request_payload
from fakegithub.botserver import BotServer

MakeRepo = Callable[[str], GitRepo]
StartBot = Callable[..., Awaitable[BotServer]]


async def test_burst_collapses_to_newest_head(fake_github: FakeGitHub, make_git_repo: MakeRepo, start_bot: StartBot) -> None:
    bot = await start_bot(debounce_seconds=2.0)
    pr = open_pr(fake_github, make_git_repo("shop"), bot)
    # The git work comes first, so the three deliveries follow each other within milliseconds
    # whatever the machine's load: the burst is what arrives inside the debounce window.
    first = pr.head
    opened = pull_request_payload(fake_github, REPO, 1, "opened")
    second = await pr.push({"shop/extra.py": "x = 1\n"}, "two")
    pushed_second = pull_request_payload(fake_github, REPO, 1, "synchronize")
    third = await pr.push(HEAD_FIXED, "three")
    pushed_third = pull_request_payload(fake_github, REPO, 1, "synchronize")
    for payload in (opened, pushed_second, pushed_third):
        status, text = await bot.webhook.deliver("pull_request", payload)
        assert status == 202, text
    await bot.settle()
    old = [pr.run(first), pr.run(second)]
    assert [(r.status, r.conclusion) for r in old] == [("completed", "neutral")] * 2
    assert old[0].output["title"] in {f"Superseded by {second[:7]}", f"Superseded by {third[:7]}"}
    assert old[1].output["title"] == f"Superseded by {third[:7]}"
    assert pr.run(third).conclusion == "success"
    assert bot.ctx.scheduler.runs_started == 1  # one analysis for the whole burst
    assert fake_github.calls("repos/download-tarball-archive")  # and it fetched only what it needed
    assert len(fake_github.calls("repos/download-tarball-archive")) == 2


async def test_push_during_a_run_makes_it_neutral(fake_github: FakeGitHub, make_git_repo: MakeRepo, start_bot: StartBot) -> None:
    bot = await start_bot(debounce_seconds=0.0)
    pr = open_pr(fake_github, make_git_repo("shop"), bot)
    first = pr.head
    fake_github.inject("pulls/list-files", "hang", seconds=1.0)  # keep the first run busy (then 504, retried)
    await pr.event("opened")
    await asyncio.sleep(0.3)
    newer = await pr.push(HEAD_FIXED)
    await pr.event("synchronize")
    await bot.settle()
    assert pr.run(first).conclusion == "neutral" and newer[:7] in pr.run(first).output["title"]
    assert pr.run(newer).conclusion == "success"
    assert fake_github.reviews == {}  # the superseded run posted no review


async def test_github_faults_during_a_run_are_survived(fake_github: FakeGitHub, make_git_repo: MakeRepo, bot_server: BotServer) -> None:
    pr = open_pr(fake_github, make_git_repo("shop"), bot_server)
    fake_github.inject("pulls/get", "500", times=2)
    fake_github.inject("pulls/list-files", "429", retry_after=1)
    fake_github.inject("checks/update", "secondary", retry_after=1)
    fake_github.inject("pulls/create-review", "rate_limit", reset_in=0)
    await pr.event("opened")
    await asyncio.sleep(0.2)
    fake_github.expire_tokens()
    await bot_server.settle()
    run = pr.run()
    assert run.conclusion == "failure" and any(a["start_line"] == 5 for a in run.annotations)
    assert len(fake_github.review_comments) == 1
    assert fake_github.faults.pending == []


async def test_github_down_completes_with_explanation(fake_github: FakeGitHub, make_git_repo: MakeRepo, start_bot: StartBot) -> None:
    bot = await start_bot(max_retries=2)
    pr = open_pr(fake_github, make_git_repo("shop"), bot)
    fake_github.inject("pulls/list-files", "500", times=3)
    await pr.event("opened")
    await bot.settle()
    run = pr.run()
    assert (run.status, run.conclusion) == ("completed", "failure")
    assert "could not finish" in run.output["title"]
    assert "GitHub" in run.output["summary"]


async def test_hang_past_timeout_is_retried(fake_github: FakeGitHub, make_git_repo: MakeRepo, start_bot: StartBot) -> None:
    bot = await start_bot(request_timeout=0.5)
    pr = open_pr(fake_github, make_git_repo("shop"), bot)
    fake_github.inject("repos/download-tarball-archive", "hang", seconds=20)
    await pr.event("opened")
    await bot.settle()
    assert pr.run().conclusion == "failure"
    assert any(a["start_line"] == 5 for a in pr.run().annotations)


async def test_rejected_annotation_batch_keeps_the_others(fake_github: FakeGitHub, make_git_repo: MakeRepo, bot_server: BotServer) -> None:
    calls = "".join(f"    notify(user{i})\n" for i in range(120))
    head = {"shop/mail.py": "async def notify(user):\n    return user\n",
            "shop/orders.py": "from shop.mail import notify\n\n\nasync def place_order(" +
            ", ".join(f"user{i}" for i in range(120)) + "):\n" + calls}
    pr = open_pr(fake_github, make_git_repo("shop"), bot_server, head=head)
    # the second annotation PATCH is rejected; the first, third... still land
    fake_github.inject("checks/update", "422", skip=1)
    await pr.event("opened")
    await bot_server.settle()
    run = pr.run()
    annotated_batches = [len(h["output"]["annotations"]) for h in run.history[1:] if h.get("output", {}).get("annotations")]
    assert len(annotated_batches) >= 3 and all(n <= 50 for n in annotated_batches)
    assert run.conclusion == "failure"
    assert "rejected 50" in run.output["summary"]
    assert len(run.annotations) >= 100
    comments = [c for c in fake_github.review_comments.values() if c.repo == REPO]
    assert len(comments) == 30  # at most 30 a review; the rest stay annotations
    assert "left as annotations" in run.output["summary"]


async def test_binary_file_named_py(fake_github: FakeGitHub, make_git_repo: MakeRepo, bot_server: BotServer) -> None:
    from bot_scenario import HEAD_BROKEN

    head = dict(HEAD_BROKEN)
    head["shop/blob.py"] = os.urandom(4096) + b"\x00\xff\xfe"
    pr = open_pr(fake_github, make_git_repo("shop"), bot_server, head=head)
    await pr.event("opened")
    await bot_server.settle()
    run = pr.run()
    assert (run.status, run.conclusion) == ("completed", "failure")
    # the rest is analysed (the broken caller is annotated) and the binary file is reported, not fatal
    assert any(a["path"] == "shop/orders.py" and a["start_line"] == 5 for a in run.annotations)
    assert any(a["path"] == "shop/blob.py" and a["title"].startswith("AG000") for a in run.annotations), [
        (a["path"], a["title"]) for a in run.annotations]


def _tarball_with_big_file(prefix: str, files: dict[str, str], size: int) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, text in {**files, "assets/big.bin": None}.items():
            data = os.urandom(size) if text is None else text.encode()
            info = tarfile.TarInfo(f"{prefix}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=1)


async def test_fifty_megabyte_tarball(fake_github: FakeGitHub, make_git_repo: MakeRepo, start_bot: StartBot) -> None:
    from bot_scenario import HEAD_BROKEN

    bot = await start_bot()
    pr = open_pr(fake_github, make_git_repo("shop"), bot)
    head_files = {**BASE, **HEAD_BROKEN}
    big = _tarball_with_big_file(f"octo-shop-{pr.head[:7]}", head_files, 50 * 1024**2)
    assert len(big) > 50 * 1024**2
    fake_github.tarball_overrides[pr.head] = big
    await pr.event("opened")
    await bot.settle()
    assert pr.run().conclusion == "failure"
    assert any(a["start_line"] == 5 for a in pr.run().annotations)

    # the same tarball over a smaller cap: a clear failure, not a crash
    small = await start_bot(tarball_max_bytes=10 * 1024**2, data_dir=bot.ctx.data_dir.parent / "other")
    await small.webhook.deliver("check_run", __import__("fakegithub.webhooks", fromlist=["x"]).check_payload(
        fake_github, REPO, 1, "check_run", "rerequested"))
    await small.settle()
    newest = max(pr.runs(pr.head), key=lambda r: r.id)
    assert newest.conclusion == "failure" and "larger than 10 MB" in newest.output["summary"]


async def test_no_check_run_possible_means_no_run(fake_github: FakeGitHub, make_git_repo: MakeRepo, start_bot: StartBot) -> None:
    bot = await start_bot(max_retries=1)
    pr = open_pr(fake_github, make_git_repo("shop"), bot)
    fake_github.inject("checks/create", "500", times=4)
    await pr.event("opened")
    await bot.settle()
    assert pr.runs() == [] and fake_github.calls("pulls/get") == []
    # GitHub is back: the next event gets its run
    await pr.check_event("check_run", "rerequested")
    await bot.settle()
    assert pr.run().conclusion == "failure"
