"""End to end: `asyncguard pr` on a real git repository carries the tailored checklist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from asyncguard.checks.checklist import builtin_items

ASYNCGUARD = Path(sys.executable).parent / "asyncguard"
TEXTS = {i.id: i.text for i in builtin_items()}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _write(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)


def _checklist(repo: Path, base: str, head: str) -> list[str]:
    proc = subprocess.run(
        [str(ASYNCGUARD), "pr", str(repo), "--base", base, "--head", head, "--format", "markdown", "--exit-zero"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return [line[6:] for line in proc.stdout.splitlines() if line.startswith("- [ ] ")]


def _applies(lines: list[str], item_id: str) -> bool:
    return any(line.startswith(TEXTS[item_id]) for line in lines)


def test_pr_report_carries_only_the_items_that_apply(tmp_path: Path) -> None:
    repo = tmp_path
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.test")
    _git(repo, "config", "user.name", "t")
    _write(
        repo,
        {
            "pyproject.toml": '[project]\nname = "demo"\n',
            "app/__init__.py": "",
            "app/api.py": "def fetch(n: int) -> int:\n    return n\n",
            "app/ws_handler.py": "from app.api import fetch\n\n\ndef on_message(n: int) -> int:\n    return fetch(n)\n",
            ".asyncguard.yml": "checklist:\n  extra: [Ping the platform team]\n",
        },
    )
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")

    _git(repo, "checkout", "-q", "-b", "docs")
    _write(repo, {"README.md": "# demo\n"})
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "docs")
    # a docs-only change gets nothing from asyncguard, only the repository's own always-item
    assert _checklist(repo, "main", "docs") == ["Ping the platform team — From this repository's `.asyncguard.yml`."]

    _git(repo, "checkout", "-q", "-b", "flip", "main")
    _write(repo, {"app/api.py": "import asyncio\n\n\nasync def fetch(n: int) -> int:\n    await asyncio.sleep(0)\n    return n\n"})
    _git(repo, "commit", "-q", "-am", "flip")
    lines = _checklist(repo, "main", "flip")
    assert _applies(lines, "async-callers-updated") and _applies(lines, "interface-flip-shim")
    assert _applies(lines, "breaking-change-versioned")
    assert not _applies(lines, "websocket-handlers") and not _applies(lines, "db-sessions")
    assert lines[-1].startswith("Ping the platform team")
    assert "Applies because `async def` added or changed at app/api.py:4." in "\n".join(lines)

    _write(repo, {"app/ws_handler.py": "from app.api import fetch\n\n\nasync def on_message(n: int) -> int:\n    return await fetch(n)\n"})
    _git(repo, "commit", "-q", "-am", "callers")
    lines = _checklist(repo, "main", "flip")
    assert _applies(lines, "websocket-handlers")
    assert "`app/ws_handler.py` matches `**/ws*.py`" in "\n".join(lines)
