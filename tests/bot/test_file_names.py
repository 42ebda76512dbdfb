"""File names are data (issue 15): a changed file whose name holds a newline, a tab, a quote or
`diff --git` text is analyzed under its own name, through the real bot and the fake GitHub."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from bot_scenario import BASE, open_pr
from fakegithub import FakeGitHub
from fakegithub.botserver import BotServer

from bot.pr_run import changed_from_files

MISSING_AWAIT = (
    "import asyncio\n"
    "\n"
    "\n"
    "async def later():\n"
    "    await asyncio.sleep(0)\n"
    "\n"
    "\n"
    "async def main():\n"
    "    later()\n"
)
NAMES = ["shop/new\nline.py", "shop/tab\there.py", 'shop/"quoted".py', "shop/x.py b/shop/evil.py"]


@pytest.mark.parametrize("name", NAMES, ids=["newline", "tab", "quotes", "diff-header"])
async def test_unusual_file_name_is_analyzed(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], object], bot_server: BotServer, name: str
) -> None:
    pr = open_pr(fake_github, make_git_repo("shop"), bot_server, head={name: MISSING_AWAIT}, base=BASE)  # type: ignore[arg-type]
    await pr.event("opened")
    await bot_server.settle()
    run = pr.run()
    found = [a for a in run.annotations if a["path"] == name]
    assert found and any(a["title"].startswith("AG101") for a in found), [a["path"] for a in run.annotations]
    assert run.conclusion == "failure"
    assert not any(a["path"] != name and a["path"].startswith("shop/") and "new" in a["path"] for a in run.annotations)


def test_patch_lines_with_form_feeds_and_line_separators_count_once() -> None:
    """Only \\n ends a line in a diff: a form feed or U+2028 inside a line must not shift the counts."""
    patch = "@@ -1,2 +1,4 @@\n a = 1\n+b = '\u2028'  # \x0c\n c = 3\n+d = 4"
    changed = changed_from_files([{"filename": "m.py", "status": "modified", "patch": patch}])
    assert changed["m.py"].added_lines == {2, 4}
    assert changed["m.py"].hunk_lines == {1, 2, 3, 4}
