"""AG001: suppressions that no longer suppress anything are reported (as ruff's RUF100), and
`--fix` removes them, keeping every other comment. The real CLI over real files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

DB = "async def connect():\n    ...\n"
APP = '''from pkg.db import connect


def main():
    conn = connect()  # asyncguard: ignore[AG101]
    conn.close()
    x = 1  # asyncguard: ignore[AG101]
    y = 2  # keep this  # asyncguard: ignore
    # asyncguard: ignore[AG101]
    z = connect()  # asyncguard: ignore[AG101, AG107, AG999]
    z.close()
    s = "# asyncguard: ignore"
    return x, y, s


async def later():
    connect()  # asyncguard: ignore
'''
FIXED = '''from pkg.db import connect


def main():
    conn = connect()  # asyncguard: ignore[AG101]
    conn.close()
    x = 1
    y = 2  # keep this
    z = connect()  # asyncguard: ignore[AG101]
    z.close()
    s = "# asyncguard: ignore"
    return x, y, s


async def later():
    connect()  # asyncguard: ignore
'''


def _tree(make_project: Callable[..., Path], app: str = APP, pyproject: str = "") -> Path:
    return make_project({"pkg/__init__.py": "", "pkg/db.py": DB, "pkg/app.py": app}, pyproject=pyproject)


def _ag001(stdout: str) -> list[tuple[int, str]]:
    return [(d["line"], d["message"]) for d in json.loads(stdout) if d["code"] == "AG001"]


def test_reported_and_fixed(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = _tree(make_project)
    done = run_cli("check", "--format", "json", cwd=root)
    assert done.returncode == 0, done.stderr  # a warning: reported, not failing
    assert _ag001(done.stdout) == [
        (7, "unused suppression (AG101): `# asyncguard: ignore[AG101]` suppresses nothing"),
        (8, "unused suppression: `# asyncguard: ignore` suppresses nothing"),
        (9, "unused suppression (AG101): `# asyncguard: ignore[AG101]` suppresses nothing"),  # the line above
        (10, "unused suppression (AG107, AG999): `# asyncguard: ignore[AG101, AG107, AG999]` does not need AG107, AG999"),
    ]
    assert run_cli("check", "--fail-on", "warning", cwd=root).returncode == 1
    fixed = run_cli("check", "--fix", cwd=root)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "fixed 4 findings in 1 file" in fixed.stderr
    assert (root / "pkg/app.py").read_text() == FIXED
    again = run_cli("check", "--fix", "--fail-on", "warning", cwd=root)
    assert again.returncode == 0 and "All clear" in again.stdout
    assert (root / "pkg/app.py").read_text() == FIXED  # idempotent


def test_fix_of_code_and_comment_on_one_line(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    """The codemod adds `await` before the comment; the comment edit still lands on the comment."""
    app = "from pkg.db import connect\n\n\nasync def f():\n    connect()  # asyncguard: ignore[AG107]\n"
    root = _tree(make_project, app)
    assert run_cli("check", "--fix", cwd=root).returncode == 0
    assert (root / "pkg/app.py").read_text().endswith("async def f():\n    await connect()\n")


def test_what_is_not_judged(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = _tree(make_project)
    # only AG101 runs: markers for other codes, and bare markers, are not judged
    narrowed = _ag001(run_cli("check", "--select", "AG101,AG001", "--format", "json", cwd=root).stdout)
    assert [line for line, _ in narrowed] == [7, 9, 10]
    assert narrowed[-1][1].endswith("does not need AG999")  # AG107 did not run: left alone
    # switched off
    off = _tree(make_project, pyproject='[tool.asyncguard]\nignore = ["AG001"]\n')
    assert _ag001(run_cli("check", "--format", "json", cwd=off).stdout) == []
    # a file that does not parse: its findings are unknown, so are its markers
    broken = _tree(make_project, APP + "\ndef broken(:\n")
    found = json.loads(run_cli("check", "--format", "json", cwd=broken).stdout)
    assert {d["code"] for d in found} == {"AG000"}
