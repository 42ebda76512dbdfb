"""Rollout: `mode = "warn"` reports findings without failing, per repository and per rule; the
bot's check concludes neutral. The real CLI, and the real bot against the fake GitHub."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot_scenario import open_pr
from fakegithub import FakeGitHub
from fakegithub.botserver import BotServer

ERROR_TREE = {
    "pkg/__init__.py": "",
    "pkg/db.py": "async def connect():\n    ...\n",
    "pkg/app.py": "from pkg.db import connect\ndef main():\n    conn = connect()\n    conn.close()\n",
}


def test_cli_warn_mode_per_repository_and_rule(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    warn = make_project(ERROR_TREE, pyproject='[tool.asyncguard]\nmode = "warn"\n')
    done = run_cli("check", cwd=warn)
    assert done.returncode == 0, done.stdout
    assert "pkg/app.py:3:12: AG101 " in done.stdout  # reported
    assert "note: 1 finding in warn mode (AG101): reported, not failing" in done.stdout
    per_rule = make_project(ERROR_TREE, pyproject='[tool.asyncguard]\nmode = { AG101 = "warn" }\n')
    assert run_cli("check", cwd=per_rule).returncode == 0
    other_rule = make_project(ERROR_TREE, pyproject='[tool.asyncguard]\nmode = { AG107 = "warn" }\n')
    assert run_cli("check", cwd=other_rule).returncode == 1
    enforced_one = make_project(
        ERROR_TREE, pyproject='[tool.asyncguard]\nmode = { default = "warn", AG10 = "enforce" }\n'
    )
    failing = run_cli("check", cwd=enforced_one)
    assert failing.returncode == 1 and "warn mode" not in failing.stdout
    bad = make_project(ERROR_TREE, pyproject='[tool.asyncguard]\nmode = "lenient"\n')
    done = run_cli("check", cwd=bad)
    assert done.returncode == 2 and "mode: unknown mode 'lenient' (use enforce or warn)" in done.stderr
    bad_code = make_project(ERROR_TREE, pyproject='[tool.asyncguard]\nmode = { AG999 = "warn" }\n')
    assert "unknown rule code 'AG999'" in run_cli("check", cwd=bad_code).stderr


BASE = {
    "shop/__init__.py": "",
    "shop/db.py": "async def connect():\n    ...\n",
    "shop/app.py": "def main():\n    return 1\n",
}
HEAD = {"shop/app.py": "from shop.db import connect\n\n\ndef main():\n    conn = connect()\n    conn.close()\n"}


async def _conclusion(fake: FakeGitHub, git: object, bot: BotServer, config: str) -> Any:
    pr = open_pr(fake, git, bot, base={**BASE, ".asyncguard.yml": config}, head=HEAD)  # type: ignore[arg-type]
    await pr.event("opened")
    await bot.settle()
    return pr.run()


async def test_bot_warn_mode_concludes_neutral(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], object], bot_server: BotServer
) -> None:
    run = await _conclusion(fake_github, make_git_repo("shop"), bot_server, "rules:\n  mode: warn\n")
    assert run.conclusion == "neutral", run.output
    assert [a["title"].split()[0] for a in run.annotations if a["path"] == "shop/app.py"] == ["AG101"]
    assert "1 error in warn mode" in run.output["summary"]


async def test_bot_rule_enforced_over_warn_default_fails(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], object], bot_server: BotServer
) -> None:
    config = "rules:\n  mode: {default: warn, AG101: enforce}\n"
    run = await _conclusion(fake_github, make_git_repo("shop"), bot_server, config)
    assert run.conclusion == "failure", run.output
    assert "warn mode" not in run.output["summary"]
