"""The mypy plugin, run by real mypy on fixture packages: asyncguard's codes and messages from mypy's types."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

DB = '''\
import asyncio
from collections.abc import Awaitable
from typing import Any


async def connect(url: str) -> int:
    return 1


def plain(url: str) -> int:
    return 1


def later(url: str) -> "asyncio.Future[int]":
    return asyncio.get_running_loop().create_future()


def run_it(job: Awaitable[int]) -> None:
    pass


def anything(job: Any) -> None:
    pass


class Notifier:
    def send(self, text):
        pass

    async def close(self) -> None:
        return None

    def flush(self, x):
        return x

    def ping(self) -> int:
        return 1
'''

USE = '''\
import asyncio
import logging

from app.db import Notifier, anything, connect, later, plain, run_it

log = logging.getLogger(__name__)


async def bad() -> None:
    print(connect("x"))
    log.info("got %s", connect("x"))
    s = f"value {connect('x')}"
    t = "{}".format(connect("x"))
    await plain("x")


async def good() -> None:
    print(await connect("x"))
    log.info("got %s", await connect("x"))
    s = f"value {await connect('x')}"
    await asyncio.gather(connect("a"), connect("b"))
    task = asyncio.create_task(connect("x"))
    await task
    run_it(connect("x"))
    anything(connect("x"))
    await later("x")
    print(plain("x"))


class Slack(Notifier):
    async def send(self, text):
        return None

    def close(self) -> None:
        return None


class Buffered(Notifier):
    async def flush(self, x):
        return x


class AsyncTwin(Notifier):
    """Flips three of the four methods it overrides, on purpose: a family, not an accident."""

    async def send(self, text):
        return None

    def close(self) -> None:
        return None

    async def flush(self, x):
        return x

    def ping(self) -> int:
        return 2
'''

ERROR = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: (?P<message>.*?)  \[(?P<code>[\w-]+)\]$")


def _project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "db.py").write_text(DB)
    (tmp_path / "app" / "use.py").write_text(USE)
    (tmp_path / "mypy.ini").write_text("[mypy]\nplugins = asyncguard.checks.mypy_plugin\n")
    return tmp_path


def _mypy(root: Path) -> list[tuple[str, int, str, str]]:
    out = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--config-file", "mypy.ini", "app"],
                         cwd=root, capture_output=True, text=True, timeout=240)
    assert "INTERNAL ERROR" not in out.stdout + out.stderr, out.stdout + out.stderr
    found = []
    for line in out.stdout.splitlines():
        m = ERROR.match(line)
        if m:
            found.append((Path(m["path"]).as_posix(), int(m["line"]), m["code"], m["message"]))
    return found


def test_plugin_reports_asyncguard_codes_where_mypy_knows_the_types(tmp_path: Path) -> None:
    root = _project(tmp_path)
    found = _mypy(root)
    ours = sorted((p, line, code) for p, line, code, _ in found if code.startswith("AG"))
    assert ours == [
        ("app/use.py", 10, "AG101"),  # print(...)
        ("app/use.py", 11, "AG101"),  # logging
        ("app/use.py", 12, "AG101"),  # f-string
        ("app/use.py", 13, "AG101"),  # str.format
        ("app/use.py", 14, "AG102"),  # await plain()
        ("app/use.py", 31, "AG108"),  # async def over an unannotated plain def
        ("app/use.py", 34, "AG108"),  # plain def -> None over async def
    ]
    # Nothing in good(): awaited, gathered, scheduled, passed to Awaitable / Any, await on a Future.
    assert not [f for f in found if f[0] == "app/use.py" and 17 <= f[1] <= 27 and f[2].startswith("AG")]
    # `flush` returns its argument in the base (perhaps an awaitable): not reported by the plugin;
    # AsyncTwin flips 3 of the 4 methods it overrides: a deliberate family, as the CLI decides.
    assert not [f for f in found if f[0] == "app/use.py" and f[1] >= 37 and f[2] == "AG108"]
    codes = {code for _, _, code, _ in found}
    assert "unused-coroutine" not in codes  # the fixture has no discarded call: that one is mypy's own


def test_plugin_messages_are_the_cli_messages(tmp_path: Path) -> None:
    root = _project(tmp_path)
    mypy = {(p, line, code): message for p, line, code, message in _mypy(root) if code.startswith("AG")}
    out = subprocess.run([sys.executable, "-m", "asyncguard", "check", str(root), "--format", "json", "--no-cache"],
                         cwd=root, capture_output=True, text=True, timeout=240)
    cli = {(f["path"], f["line"], f["code"]): f["message"] for f in json.loads(out.stdout)}
    shared = set(mypy) & set(cli)
    # AG101 and AG102 are reported by both at the same places; so is AG108, where both see the
    # mismatch (Slack) and where both call it a deliberate family (AsyncTwin: neither reports). The
    # CLI alone reports `Buffered.flush` (async over a base that returns its argument: the plugin,
    # from mypy's types, cannot tell that value is not an awaitable).
    calls = {k for k in mypy if k[2] in ("AG101", "AG102")}
    assert len(calls) == 5 and calls <= shared, (sorted(mypy), sorted(cli))
    overrides = {k for k in mypy if k[2] == "AG108"}
    assert overrides == {("app/use.py", 31, "AG108"), ("app/use.py", 34, "AG108")} and overrides <= shared
    assert {k for k in cli if k[2] == "AG108"} - overrides == {("app/use.py", 39, "AG108")}
    for key in shared:
        assert mypy[key] == cli[key], key


def test_without_the_plugin_mypy_reports_none_of_the_value_uses(tmp_path: Path) -> None:
    """What the plugin adds: mypy alone accepts the coroutine passed to print/logging/format."""
    root = _project(tmp_path)
    (root / "mypy.ini").write_text("[mypy]\n")
    lines = {line for p, line, _, _ in _mypy(root) if p == "app/use.py"}
    assert not lines & {10, 11, 12, 13, 31}
