"""The bot applies the BASE branch's baseline, never the head's: a pull request cannot bless its
own findings by writing them into the baseline. Through the real bot and the fake GitHub."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot_scenario import open_pr
from fakegithub import FakeGitHub
from fakegithub.botserver import BotServer

from asyncguard.checks.baseline import render_baseline
from asyncguard.checks.config import Settings
from asyncguard.checks.pipeline import run_check
from tests.checks.conftest import write_tree

CONFIG = "annotate: all\nrules:\n  baseline: ci/asyncguard-baseline.json\n"
BASE = {
    "shop/__init__.py": "",
    "shop/db.py": "async def connect():\n    ...\n",
    "shop/legacy.py": "from shop.db import connect\n\n\ndef old():\n    conn = connect()\n    conn.close()\n",
}
NEW = "from shop.db import connect\n\n\ndef new():\n    conn = connect()\n    conn.close()\n"


def _baseline_of(files: dict[str, str], where: Path) -> str:
    root = write_tree(where, {"pyproject.toml": "", **files})
    report = run_check(root, [root], Settings(), use_cache=False)
    assert report.findings, "the scenario needs findings to record"
    return render_baseline(root, report.findings)


async def test_base_baseline_hides_legacy_and_head_baseline_is_ignored(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], object], bot_server: BotServer, tmp_path: Path
) -> None:
    base = {**BASE, ".asyncguard.yml": CONFIG, "ci/asyncguard-baseline.json": _baseline_of(BASE, tmp_path / "b")}
    # the head adds a new finding AND rewrites the baseline to contain it
    head_tree = {**BASE, "shop/new.py": NEW}
    head = {"shop/new.py": NEW, "ci/asyncguard-baseline.json": _baseline_of(head_tree, tmp_path / "h")}
    pr = open_pr(fake_github, make_git_repo("shop"), bot_server, base=base, head=head)  # type: ignore[arg-type]
    await pr.event("opened")
    await bot_server.settle()
    run = pr.run()
    paths = {a["path"] for a in run.annotations}
    assert "shop/new.py" in paths  # new: reported although the head's baseline lists it
    assert "shop/legacy.py" not in paths  # in the base's baseline
    assert run.conclusion == "failure", run.output["title"]
    assert "1 finding recorded in the baseline `ci/asyncguard-baseline.json` (base branch) not shown" in run.output["summary"]


async def test_a_baseline_added_by_the_pull_request_does_not_apply(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], object], bot_server: BotServer, tmp_path: Path
) -> None:
    base = {**BASE, ".asyncguard.yml": "annotate: all\n"}
    head = {".asyncguard.yml": CONFIG, "ci/asyncguard-baseline.json": _baseline_of(BASE, tmp_path / "b"),
            "shop/db.py": "async def connect():\n    ...\n\n\nasync def close():\n    ...\n"}
    pr = open_pr(fake_github, make_git_repo("shop"), bot_server, base=base, head=head)  # type: ignore[arg-type]
    await pr.event("opened")
    await bot_server.settle()
    run = pr.run()
    assert "shop/legacy.py" in {a["path"] for a in run.annotations}
    assert "baseline" not in run.output["summary"]


async def test_a_missing_base_baseline_is_said_and_everything_reported(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], object], bot_server: BotServer
) -> None:
    base = {**BASE, ".asyncguard.yml": CONFIG.replace("ci/asyncguard-baseline.json", "../../etc/passwd")}
    pr = open_pr(fake_github, make_git_repo("shop"), bot_server, base=base, head={"shop/new.py": NEW})  # type: ignore[arg-type]
    await pr.event("opened")
    await bot_server.settle()
    run = pr.run()
    assert {"shop/new.py", "shop/legacy.py"} <= {a["path"] for a in run.annotations}
    assert "is outside the repository" in run.output["summary"]
