"""Edges of a run: crashes complete the check run, huge outputs fit GitHub's limits, token expiry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot_scenario import REPO, open_pr
from fakegithub import FakeGitHub, GitRepo
from fakegithub.botserver import BotServer

from asyncguard.bot.output import render_check_summary
from asyncguard.checks.report import Report
from asyncguard.rules.model import Finding, Severity

MakeRepo = Callable[[str], GitRepo]
StartBot = Callable[..., Awaitable[BotServer]]


def crashing_pipeline(*args: Any, **kwargs: Any) -> Report:
    raise RecursionError("maximum recursion depth exceeded while walking a pathological file")


def flood_pipeline(base: Path, head: Path, changed: Any, settings: Any, **kwargs: Any) -> Report:
    """3,000 findings with long messages: the summary and annotations must still fit."""
    findings = [
        Finding("AG107", "blocking-call-in-async", "blocking call " + "x" * 5000, "shop/orders.py", 5, 1, 5, 2,
                Severity.WARNING)
        for _ in range(3000)
    ]
    return Report(root=str(head), findings=findings, files_checked=3)


async def test_crash_in_analysis_completes_with_explanation(fake_github: FakeGitHub, make_git_repo: MakeRepo,
                                                            start_bot: StartBot) -> None:
    bot = await start_bot(run_pr=crashing_pipeline)
    pr = open_pr(fake_github, make_git_repo("shop"), bot)
    await pr.event("opened")
    await bot.settle()
    run = pr.run()
    assert (run.status, run.conclusion) == ("completed", "failure")
    assert "could not finish" in run.output["title"]
    assert "RecursionError" in run.output["summary"] and pr.head[:7] in run.output["summary"]
    assert bot.ctx.metrics.runs.get(conclusion="failure") == 1


async def test_huge_report_fits_githubs_limits(fake_github: FakeGitHub, make_git_repo: MakeRepo,
                                               start_bot: StartBot) -> None:
    bot = await start_bot(run_pr=flood_pipeline)
    pr = open_pr(fake_github, make_git_repo("shop"), bot)
    await pr.event("opened")
    await bot.settle()
    run = pr.run()
    assert run.status == "completed" and run.conclusion == "success"  # warnings only
    assert len(run.annotations) == 3000
    assert max(len(h.get("output", {}).get("annotations", [])) for h in run.history) == 50
    assert all(len(a["message"]) <= 4000 for a in run.annotations)
    assert len(run.output["summary"]) <= 65535


def test_summary_truncates_with_a_note() -> None:
    text = render_check_summary(body="line\n" * 40_000, head_sha="a" * 40, base_sha="b" * 40)
    assert len(text) <= 65535 and "truncated" in text


async def test_tokens_refreshed_shortly_before_expiry(fake_github: FakeGitHub, make_git_repo: MakeRepo,
                                                      bot_server: BotServer) -> None:
    pr = open_pr(fake_github, make_git_repo("shop"), bot_server)
    fake_github.token_ttl = timedelta(minutes=4)  # inside the 5-minute margin: never reused
    await pr.event("opened")
    await bot_server.settle()
    short_lived = fake_github.tokens_issued
    assert short_lived > 3
    fake_github.token_ttl = timedelta(hours=1)
    bot_server.ctx.github.tokens.invalidate(42)
    before = fake_github.tokens_issued
    await pr.check_event("check_run", "rerequested")
    await bot_server.settle()
    assert fake_github.tokens_issued == before + 1  # one token for the whole run
    assert pr.runs() and all(r.status == "completed" for r in pr.runs())
    assert REPO in fake_github.repos


def test_changed_lines_from_github_file_entries(tmp_path: Path) -> None:
    from asyncguard.bot.pr_run import changed_from_files

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "huge.py").write_text("a = 1\nb = 2\nc = 3\n")
    (tmp_path / "pkg" / "blob.py").write_bytes(b"\xff\xfe\x00")
    files = [
        {"filename": "pkg/mod.py", "status": "modified", "patch": "@@ -1,2 +1,3 @@\n x = 1\n+y = 2\n z = 3"},
        {"filename": "pkg/new.py", "status": "renamed", "previous_filename": "pkg/old.py",
         "patch": "@@ -1 +1 @@\n-a\n+b"},
        {"filename": "pkg/huge.py", "status": "modified"},  # diff too large: GitHub sends no patch
        {"filename": "pkg/blob.py", "status": "added"},
        {"filename": "pkg/gone.py", "status": "removed", "patch": "@@ -1 +0,0 @@\n-x"},
    ]
    changed = changed_from_files(files, tmp_path)
    assert changed["pkg/mod.py"].added_lines == {2} and changed["pkg/mod.py"].hunk_lines == {1, 2, 3}
    assert changed["pkg/new.py"].added_lines == {1}
    assert changed["pkg/huge.py"].added_lines >= {1, 2, 3} and changed["pkg/huge.py"].hunk_lines == set()
    assert changed["pkg/blob.py"].added_lines == set()
    assert "pkg/gone.py" not in changed
