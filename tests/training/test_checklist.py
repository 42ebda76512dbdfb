"""The tailored checklist: only the items a PR's real changes call for, plus the repo's own.

Changes are made in real git repositories and read back through `git diff` and the project's diff
parser, as the PR run does.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from asyncguard.checks.checklist import (
    ChecklistError,
    builtin_items,
    parse_extra,
    parse_items,
    path_matches,
    tailor,
)
from asyncguard.checks.gitdiff import changed_lines
from asyncguard.checks.training import KB_DIR
from asyncguard.contracts.codes import CHANGE_CODES
from asyncguard.contracts.model import Change, ContractDiff
from asyncguard.rules.model import Finding, Severity
from asyncguard.rules.registry import RULES

BASE = {
    "app/service.py": "import asyncio\n\n\ndef load(n: int) -> int:\n    return n\n",
    "README.md": "# demo\n",
}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "config", "user.email", "t@example.test")
    _git(tmp_path, "config", "user.name", "t")
    for rel, text in BASE.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def _change(repo: Path, files: dict[str, str]) -> dict[str, object]:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "head")
    return dict(changed_lines(repo, "HEAD~1"))


def _finding(code: str) -> Finding:
    return Finding(code, RULES[code].name, "m", "app/service.py", 1, 1, 1, 2, Severity.WARNING)


def _ids(items: list) -> list[str]:  # type: ignore[type-arg]
    return [i.id for i in items]


def test_docs_only_change_gets_no_items(repo: Path) -> None:
    changed = _change(repo, {"README.md": "# demo\n\nmore words\n"})
    assert tailor(repo, changed, [], None) == []


def test_new_async_def_brings_the_async_items(repo: Path) -> None:
    changed = _change(
        repo, {"app/service.py": BASE["app/service.py"] + "\n\nasync def fetch(n: int) -> int:\n    return n\n"}
    )
    items = tailor(repo, changed, [], None)
    assert _ids(items) == ["async-callers-updated", "async-no-blocking", "async-tests"]
    assert "app/service.py:8" in items[0].why and "async def" in items[0].why


def test_body_change_inside_existing_async_def_is_not_a_header_change(repo: Path) -> None:
    src = "import asyncio\n\n\nasync def fetch(n: int) -> int:\n    return n\n"
    _change(repo, {"app/service.py": src})
    changed = _change(repo, {"app/service.py": src.replace("return n", "return n + 1")})
    assert "async-callers-updated" not in _ids(tailor(repo, changed, [], None))


def test_websocket_globs_match_files_and_folders(repo: Path) -> None:
    changed = _change(repo, {"app/ws_handlers.py": "X = 1\n", "app/websocket/routes.py": "Y = 2\n"})
    items = tailor(repo, changed, [], None)
    assert _ids(items) == ["websocket-handlers"]
    assert "Applies because `app/ws_handlers.py` matches `**/ws*.py`." in items[0].why
    folder_only = tailor(repo, {"app/websocket/routes.py": {1}}, [], None)
    assert "`app/websocket/routes.py` matches `**/websocket*`" in folder_only[0].why
    assert path_matches("app/websocket/routes.py", "**/websocket*")
    assert path_matches("ws.py", "**/ws*.py")
    assert not path_matches("app/news.py", "**/ws*.py")
    assert not path_matches("app/answers.py", "**/ws*.py")


def test_imports_and_code_patterns(repo: Path) -> None:
    changed = _change(
        repo,
        {
            "app/repo.py": "from sqlalchemy.ext.asyncio import AsyncSession\n\nS = AsyncSession\n",
            "app/jobs.py": "import asyncio\n\n\ndef start(loop):\n    return loop.create_task(asyncio.sleep(1))\n",
        },
    )
    items = tailor(repo, changed, [], None)
    assert _ids(items) == ["tasks-owned", "db-sessions"]
    assert "a changed line in `app/jobs.py` matches `create_task\\(`" in items[0].why
    assert "the change touches code importing `sqlalchemy.ext.asyncio`" in items[1].why


def test_findings_and_contract_changes(repo: Path) -> None:
    changed = _change(repo, {"README.md": "# demo 2\n"})
    diff = ContractDiff(changes=[Change("AG202", "app.service.load", "became async", breaking=True)])
    items = tailor(repo, changed, [_finding("AG109"), _finding("AG108")], diff)
    assert _ids(items) == [
        "async-callers-updated",
        "interface-flip-shim",
        "breaking-change-versioned",
        "overrides-match",
        "tasks-owned",
    ]
    allowed = ContractDiff(changes=[Change("AG202", "x", "m", breaking=True, allowed=True)])
    assert "breaking-change-versioned" not in _ids(tailor(repo, changed, [], allowed))


def test_repo_extra_items(repo: Path) -> None:
    changed = _change(repo, {"app/ws.py": "X = 1\n"})
    extra = [
        "Ping #platform-oncall before merging",
        {"id": "migrations", "text": "Migration reviewed by a DBA", "when": {"files": ["migrations/**"]}},
        {"id": "ws-load", "text": "Load-tested with 1k sockets", "when": {"files": ["**/ws*.py"]}},
        {"text": "", "when": {"always": True}},  # malformed: skipped here, reported by parse_extra
    ]
    items = tailor(repo, changed, [], None, extra=extra, base_url="https://bot.example.test/training/")
    assert _ids(items)[0] == "websocket-handlers"
    assert "([guide](https://bot.example.test/training/kb/websocket-handlers.html))" in items[0].text
    assert [i.text for i in items[1:]] == ["Ping #platform-oncall before merging", "Load-tested with 1k sockets"]
    rules, errors = parse_extra(extra)
    assert len(rules) == 3 and len(errors) == 1 and "item 4: `text` is required" in errors[0]


@pytest.mark.parametrize(
    "raw,message",
    [
        ({"text": "x", "when": {"colour": ["red"]}}, "unknown condition"),
        ({"text": "x", "when": {"files": "*.py"}}, "must be a list of strings"),
        ({"text": "x", "when": {"code": ["(unclosed"]}}, "bad regular expression"),
        (42, "a string or a mapping"),
    ],
)
def test_malformed_items_are_clear_errors(raw: object, message: str) -> None:
    with pytest.raises(ChecklistError, match=message):
        parse_items([raw], "test.yaml")


def test_deleted_binary_and_unparsable_files_do_not_break_tailoring(repo: Path) -> None:
    (repo / "app" / "broken.py").write_text("def (:\n")
    (repo / "app" / "blob.py").write_bytes(b"\x00\xff\xfe" * 100)
    changed = {"app/broken.py": {1}, "app/blob.py": {1}, "app/gone.py": {1, 2}}
    assert tailor(repo, changed, [], None) == []


def test_shipped_items_are_sound() -> None:
    items = builtin_items()
    assert len({i.id for i in items}) == len(items) >= 12
    for item in items:
        if item.learn:
            assert (KB_DIR / Path(item.learn).name).is_file(), item.learn
        assert set(item.when.get("findings", [])) <= set(RULES), item.id
        assert set(item.when.get("contract_changes", [])) <= set(CHANGE_CODES), item.id
