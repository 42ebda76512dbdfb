"""What counts as project code and who may silence a finding: dot-folders, other linters' `noqa`
codes, ruff-style `per-file-ignores` and the default for AG107 in test files (issue 10)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asyncguard.checks.config import ConfigError, Settings

BLOCKING = "import time\n\n\nasync def tick():\n    time.sleep(1)\n"
DROPPED = "import asyncio\n\n\nasync def work():\n    pass\n\n\nasync def main():\n    asyncio.create_task(work())\n"


def _found(run_cli: Callable[..., Any], root: Path, *args: str) -> list[tuple[str, str, int]]:
    done = run_cli("check", "--format", "json", "--no-cache", *args, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return sorted((f["code"], f["path"], f["line"]) for f in json.loads(done.stdout))


def test_dot_folders_are_not_project_code(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = make_project({
        "app.py": BLOCKING,
        ".idea/scratch.py": BLOCKING,
        ".nox/py311/lib/thing.py": BLOCKING,
        ".tox/py/x.py": BLOCKING,
        ".hidden/tool.py": BLOCKING,
    })
    assert _found(run_cli, root) == [("AG107", "app.py", 5)]
    # named on purpose, a dot-folder is checked
    assert _found(run_cli, root, ".idea/scratch.py") == [("AG107", ".idea/scratch.py", 5)]


def test_other_linters_noqa_codes_silence_the_equivalent_rule(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    root = make_project({
        "a.py": DROPPED.replace("create_task(work())", "create_task(work())  # noqa: RUF006"),
        "b.py": BLOCKING.replace("sleep(1)", "sleep(1)  # noqa: E501, ASYNC251"),
        "c.py": BLOCKING.replace("sleep(1)", "sleep(1)  # noqa: RUF006"),  # another rule's code: kept
        "d.py": BLOCKING.replace("sleep(1)", "sleep(1)  # noqa"),  # bare: the linter's, not ours
        "e.py": DROPPED.replace("create_task(work())", "create_task(work())  # noqa: ASYNC100"),  # ambiguous
        "f.py": BLOCKING.replace("sleep(1)", "sleep(1)  # asyncguard: ignore[AG101]  # noqa: TRIO200"),
    })
    # f.py: the noqa silences AG107, so its `ignore[AG101]` suppresses nothing: AG001 says so
    assert _found(run_cli, root, "--extend-select", "AG109") == [
        ("AG001", "f.py", 5), ("AG107", "c.py", 5), ("AG107", "d.py", 5), ("AG109", "e.py", 9)
    ]


def test_ag107_is_off_in_test_files_by_default_and_per_file_ignores_changes_that(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/server.py": BLOCKING,
        "tests/test_server.py": BLOCKING,
        "pkg/conftest.py": BLOCKING,
        "pkg/worker_test.py": BLOCKING + DROPPED.replace("import asyncio\n", "import asyncio\nimport time\n"),
        "examples/demo.py": BLOCKING,
    }
    root = make_project(files)
    # tests lose AG107 only: the dropped task (opt-in AG109, selected here) in a test file is still reported
    assert _found(run_cli, root, "--extend-select", "AG109") == [
        ("AG107", "examples/demo.py", 5), ("AG107", "pkg/server.py", 5), ("AG109", "pkg/worker_test.py", 15),
    ]
    # the key replaces the default: `{}` turns AG107 back on in tests; globs follow `exclude`
    root2 = make_project(files, pyproject='[tool.asyncguard.per-file-ignores]\n"examples/*" = ["AG107"]\n')
    assert _found(run_cli, root2, "--extend-select", "AG109") == [
        ("AG107", "pkg/conftest.py", 5), ("AG107", "pkg/server.py", 5), ("AG107", "pkg/worker_test.py", 5),
        ("AG107", "tests/test_server.py", 5), ("AG109", "pkg/worker_test.py", 15),
    ]
    # extend-per-file-ignores adds to the default
    root3 = make_project(files, pyproject='[tool.asyncguard.extend-per-file-ignores]\n"pkg/server.py" = ["AG1"]\n')
    assert _found(run_cli, root3, "--extend-select", "AG109") == [
        ("AG107", "examples/demo.py", 5), ("AG109", "pkg/worker_test.py", 15)
    ]


def test_per_file_ignores_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"per-file-ignores: tests/\*: .*AG999"):
        Settings.from_mapping({"per-file-ignores": {"tests/*": ["AG999"]}})
    with pytest.raises(ConfigError, match="expected a table"):
        Settings.from_mapping({"per-file-ignores": ["tests/*"]})
    settings = Settings.from_mapping({"per_file_ignores": {"gen/*.py": "AG101, AG107"}})
    assert settings.ignored_in("gen/x.py") == {"AG101", "AG107"}
    assert settings.ignored_in("tests/test_x.py") == frozenset()  # the default was replaced
    assert Settings().ignored_in("tests/unit/test_x.py") == {"AG107", "AG114"}
    assert Settings().ignored_in("pkg/testing_tools.py") == frozenset()


FILE_IO = '''import io
import socket
import subprocess
import time
from pathlib import Path


def save(path, text):
    with open(path, "w") as f:
        f.write(text)


def save_then_wait(path):
    save(path, "x")
    time.sleep(1)


async def handler(path):
    with open(path) as f:
        data = f.read()
    Path(path).write_text(data)
    raw = Path(path).read_bytes()
    io.open(path).close()
    save(path, data)
    save_then_wait(path)
    subprocess.run(["true"])
    socket.getaddrinfo("example.com", 80)
    return raw
'''
# (line, what): every local-file call of `handler`, and the calls that stay reported either way.
FILE_IO_LINES = [19, 21, 22, 23]
OTHER_LINES = [25, 26, 27]  # helper chain down to time.sleep, subprocess wait, DNS


def test_local_file_io_is_not_blocking_by_default(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    """`open()` / `Path.read_text()` in `async def` are not AG107 findings unless opted in; a
    helper that only does file I/O is not blocking; network, subprocess, sleeps and DNS stay on."""
    root = make_project({"app.py": FILE_IO})
    assert _found(run_cli, root) == [("AG107", "app.py", line) for line in OTHER_LINES]
    done = run_cli("check", "--format", "json", "--no-cache", cwd=root)
    chain = next(f for f in json.loads(done.stdout) if f["line"] == 25)
    assert "time.sleep" in chain["message"] and "open" not in chain["message"]


def test_blocking_file_io_setting_reports_local_file_io(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    root = make_project({"app.py": FILE_IO}, pyproject="[tool.asyncguard]\nblocking-file-io = true\n")
    # direct calls only: `save(...)` (line 24), a helper that only writes a file, stays quiet
    assert _found(run_cli, root) == sorted(("AG107", "app.py", line) for line in FILE_IO_LINES + OTHER_LINES)
    off = make_project({"app.py": FILE_IO}, pyproject="[tool.asyncguard]\nblocking-file-io = false\n")
    assert _found(run_cli, off) == [("AG107", "app.py", line) for line in OTHER_LINES]


def test_blocking_file_io_setting_invalidates_the_cache(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    """The same tree checked with the cache after the setting flips: the findings follow it."""
    root = make_project({"app.py": FILE_IO})
    first = run_cli("check", "--format", "json", cwd=root)
    assert len(json.loads(first.stdout)) == len(OTHER_LINES)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "[tool.asyncguard]\nblocking-file-io = true\n")
    second = run_cli("check", "--format", "json", cwd=root)
    assert len(json.loads(second.stdout)) == len(FILE_IO_LINES + OTHER_LINES)


def test_blocking_file_io_needs_a_boolean(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = make_project({"app.py": FILE_IO}, pyproject='[tool.asyncguard]\nblocking-file-io = "yes"\n')
    done = run_cli("check", "--no-cache", cwd=root)
    assert done.returncode == 2
    assert "blocking-file-io: expected true or false, got 'yes'" in done.stderr
    assert Settings.from_mapping({"blocking_file_io": True}).rule_config().blocking_file_io is True
