"""The seed's outage in its three shapes, as a new user meets it: a multi-module project through
the real `asyncguard check`. Each shape printed "All clear" before (issue 10, part 0)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

WS = """\
class Manager:
    def send(self, text):
        print(text)

    def throw(self, exc):
        print(exc)

    def broadcast(self, text):
        print(text)


async def initialize_websocket_manager(config):
    return Manager()


async def create_websocket_manager(config):
    return Manager()
"""


def _findings(run_cli: Callable[..., Any], root: Path, *args: str) -> list[tuple[str, str, int]]:
    done = run_cli("check", "--format", "json", "--no-cache", *args, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return [(f["code"], f["path"], f["line"]) for f in json.loads(done.stdout)]


def test_project_send_on_a_coroutine_is_reported(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = make_project({
        "app/__init__.py": "",
        "app/ws.py": WS,
        "app/use.py": (
            "from app.ws import initialize_websocket_manager\n\n\n"
            "def run():\n    m = initialize_websocket_manager({})\n    m.send('hi')\n\n\n"
            "def run_throw():\n    initialize_websocket_manager({}).throw(ValueError())\n"
        ),
    })
    assert _findings(run_cli, root) == [("AG101", "app/use.py", 5), ("AG101", "app/use.py", 10)]


def test_a_coroutine_driven_by_hand_is_not_reported(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    """`send(None)` primes a coroutine; a loop that sends until StopIteration drives it."""
    root = make_project({
        "app/__init__.py": "",
        "app/ws.py": WS,
        "app/drive.py": (
            "from app.ws import create_websocket_manager\n\n\n"
            "def prime():\n    coro = create_websocket_manager({})\n    coro.send(None)\n    coro.send('x')\n\n\n"
            "def drive(value):\n    coro = create_websocket_manager({})\n    while True:\n        try:\n"
            "            value = coro.send(value)\n        except StopIteration as done:\n"
            "            return done.value\n\n\n"
            "def once():\n    return create_websocket_manager({}).send(None)\n"
        ),
    })
    assert _findings(run_cli, root) == []


def test_coroutine_returned_through_a_local_from_async_def(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    root = make_project({
        "app/__init__.py": "",
        "app/ws.py": WS,
        "app/boot.py": (
            "from app.ws import create_websocket_manager\n\n\n"
            "async def startup(config):\n    manager = create_websocket_manager(config)\n    return manager\n\n\n"
            "async def fine(config):\n    manager = create_websocket_manager(config)\n    if config:\n"
            "        return await manager\n    return manager\n"
        ),
    })
    assert _findings(run_cli, root) == [("AG101", "app/boot.py", 5)]
    # the fix makes the caller get a manager, and the fixed tree is clean
    done = run_cli("check", "--fix", "--no-cache", cwd=root)
    assert "manager = await create_websocket_manager(config)" in (root / "app/boot.py").read_text()
    assert _findings(run_cli, root) == [], done.stdout


def test_sync_override_of_async_base_in_another_module_reported_at_the_override(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    root = make_project({
        "app/__init__.py": "",
        "app/base.py": "class AgentBase:\n    async def execute(self, ctx):\n        raise NotImplementedError\n",
        "app/triage.py": (
            "from app.base import AgentBase\n\n\nclass Triage(AgentBase):\n"
            "    def execute(self, ctx):\n        print(ctx)\n"
        ),
    })
    # once, where the mistake was made; not a second copy at the base
    assert _findings(run_cli, root) == [("AG108", "app/triage.py", 5)]
    # a run scoped to the override's file says the same
    assert _findings(run_cli, root, "app/triage.py") == [("AG108", "app/triage.py", 5)]
