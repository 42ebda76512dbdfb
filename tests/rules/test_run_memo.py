"""A whole-project run whose inputs did not change returns the last run's answer (rules.run_memo).

Every input the answer depends on is varied once here: a project file's content, a new file, the
configuration, an installed library the findings consulted. Each must make the next run analyse
again; an unchanged tree must not (no summary is unpickled, the index is left empty).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from asyncguard.rules import engine
from asyncguard.rules.engine import RuleConfig, analyze
from tests.rules.helpers import codes

SITE = ".venv/lib/python3.11/site-packages"


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write(tmp_path, {
        f"{SITE}/extlib/__init__.py": "async def fetch(url):\n    pass\n",
        ".venv/bin/python": "",
        "app.py": """
            import extlib
            from helpers import connect

            async def main():
                extlib.fetch("x")
                connect()
        """,
        "helpers.py": "async def connect():\n    pass\n",
    })
    return tmp_path


def run(root: Path, need_index: bool = False, config: dict[str, Any] | None = None) -> engine.AnalysisResult:
    return analyze(root, config=RuleConfig(**(config or {})), cache_dir=root / ".cache", need_index=need_index)


def bump(path: Path, text: str) -> None:
    """Rewrite a file so that its stat surely changes (size or mtime), as an editor's save does."""
    before = path.stat()
    path.write_text(text)
    if path.stat().st_size == before.st_size:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))


def test_an_unchanged_tree_gets_the_last_answer_without_building_the_index(tree: Path) -> None:
    first = run(tree)
    assert codes(first.findings) == [("AG101", "app.py", 6), ("AG101", "app.py", 7)]
    assert first.index.modules  # a real run
    again = run(tree)
    assert again.findings == first.findings and again.files == first.files
    assert not again.index.modules  # the memo: nothing was read
    assert again.reused == len(first.files)


def test_a_caller_that_needs_the_index_always_gets_one(tree: Path) -> None:
    run(tree)
    assert run(tree, need_index=True).index.modules


@pytest.mark.parametrize("change", ["edit", "new file", "config", "library", "severity"])
def test_any_input_that_changed_makes_the_run_analyse_again(tree: Path, change: str) -> None:
    first = run(tree)
    config: dict[str, object] = {}
    expected = [("AG101", "app.py", 6), ("AG101", "app.py", 7)]
    if change == "edit":
        bump(tree / "helpers.py", "def connect():\n    pass\n")  # no longer async: line 7 is fine now
        expected = [("AG101", "app.py", 6)]
    elif change == "new file":
        write(tree, {"worker.py": "from helpers import connect\n\nasync def loop():\n    connect()\n"})
        expected = [*expected, ("AG101", "worker.py", 4)]
    elif change == "config":
        config = {"select": ["AG102"]}
        expected = []
    elif change == "library":
        bump(tree / SITE / "extlib" / "__init__.py", "def fetch(url):\n    pass\n")
        expected = [("AG101", "app.py", 7)]
    else:
        config = {"severity": {"AG101": "warning"}}
    again = run(tree, config=config)
    assert again.index.modules, "analysed again"
    assert codes(again.findings) == expected
    if change == "severity":
        assert {f.severity for f in again.findings} == {"warning"} != {f.severity for f in first.findings}


def test_a_new_analyzer_does_not_reuse_the_old_ones_cache(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upgrade of asyncguard (or an edit of its rules in a checkout) with the same cache format
    must not serve findings or summaries made by the old code: neither the memo nor the cache."""
    first = run(tree)
    warm = run(tree, need_index=True)
    assert warm.reused == len(first.files)  # the cache serves an unchanged tree...
    for build, need_index in (("build 2", False), ("build 3", True)):
        monkeypatch.setattr(engine, "analyzer_fingerprint", lambda build=build: build)
        again = run(tree, need_index=need_index)
        assert again.index.modules and again.reused == 0, build  # ...but not to other code
        assert again.findings == first.findings
    assert run(tree, need_index=True).reused == len(first.files)  # build 3's own cache serves build 3
