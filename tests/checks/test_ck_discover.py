from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from asyncguard.checks.discover import DiscoveryError, discover, is_excluded, relpath


def _rels(root: Path, files: list[Path]) -> list[str]:
    return [relpath(root.resolve(), f) for f in files]


def test_walk_skips_tool_folders_and_non_python(make_project: Callable[..., Path]) -> None:
    root = make_project(
        {
            "pkg/__init__.py": "",
            "pkg/db.py": "x = 1\n",
            "pkg/notes.txt": "",
            ".venv/lib/site.py": "",
            "venv/x.py": "",
            "node_modules/a/b.py": "",
            "build/lib/pkg/db.py": "",
            "dist/x.py": "",
            "pkg/__pycache__/db.py": "",
            ".tox/py/x.py": "",
            ".git/hooks/x.py": "",
            "demo.egg-info/x.py": "",
        }
    )
    assert _rels(root, discover(root, [root]).files) == ["pkg/__init__.py", "pkg/db.py"]


def test_exclude_globs_match_paths_folders_and_names(make_project: Callable[..., Path]) -> None:
    root = make_project(
        {
            "gen/big.py": "",
            "pkg/a.py": "",
            "pkg/a_pb2.py": "",
            "pkg/sub/migrations/0001.py": "",
            "pkg/keep.py": "",
        }
    )
    found = discover(root, [root], exclude=["gen", "*_pb2.py", "pkg/sub/*"])
    assert _rels(root, found.files) == ["pkg/a.py", "pkg/keep.py"]
    # an explicitly named file that is excluded stays excluded (pre-commit passes names)
    assert discover(root, [root / "pkg" / "a_pb2.py"], exclude=["*_pb2.py"]).files == []


def test_is_excluded_variants() -> None:
    assert is_excluded("a/b/c.py", ["a/b"])
    assert is_excluded("a/b/c.py", ["./a/"])
    assert is_excluded("x/migrations/1.py", ["migrations"])
    assert not is_excluded("a/bc.py", ["a/b"])
    assert not is_excluded("pkg/x.py", [""])


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DiscoveryError, match=r"nope\.py: no such file or directory"):
        discover(tmp_path, [tmp_path / "nope.py"])


def test_symlink_loops_and_broken_links_do_not_hang_or_crash(make_project: Callable[..., Path]) -> None:
    root = make_project({"pkg/a.py": ""})
    os.symlink(root / "pkg", root / "pkg" / "loop")  # folder loop: not followed
    os.symlink(root / "missing.py", root / "pkg" / "broken.py")
    os.symlink(root / "pkg" / "self1.py", root / "pkg" / "self2.py")
    os.symlink(root / "pkg" / "self2.py", root / "pkg" / "self1.py")
    found = discover(root, [root])
    assert _rels(root, found.files) == ["pkg/a.py"]
    assert any("broken.py" in n for n in found.notes)
    assert any("self1.py" in n for n in found.notes)


def test_explicit_files_and_dedupe(make_project: Callable[..., Path]) -> None:
    root = make_project({"pkg/a.py": "", "pkg/b.py": ""})
    found = discover(root, [root / "pkg" / "a.py", root / "pkg", root / "pkg" / "a.py"])
    assert _rels(root, found.files) == ["pkg/a.py", "pkg/b.py"]


def test_relative_paths_resolve_from_cwd(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project({"src/pkg/a.py": ""})
    monkeypatch.chdir(root / "src")
    assert _rels(root, discover(root, [Path("pkg")]).files) == ["src/pkg/a.py"]


def test_named_scripts_with_a_python_shebang_count_other_files_do_not(make_project: Callable[..., Path]) -> None:
    root = make_project(
        {"bin/tool": "#!/usr/bin/env python3\nprint(1)\n", "bin/run.sh": "#!/bin/sh\n", "README.md": "# hi\n"}
    )
    found = discover(root, [root / "bin" / "tool", root / "bin" / "run.sh", root / "README.md"])
    assert _rels(root, found.files) == ["bin/tool"]
    assert sorted(n.split(":")[0].rsplit("/", 1)[-1] for n in found.notes) == ["README.md", "run.sh"]
    assert discover(root, [root]).files == []  # a walk takes .py files only


def test_a_fifo_named_py_is_skipped_not_read(make_project: Callable[..., Path]) -> None:
    root = make_project({"pkg/a.py": ""})
    os.mkfifo(root / "pkg" / "pipe.py")
    found = discover(root, [root])
    assert _rels(root, found.files) == ["pkg/a.py"]
    assert found.notes == ["pkg/pipe.py: not a regular file, skipped"]
    with pytest.raises(DiscoveryError, match="not a regular file or directory"):
        discover(root, [root / "pkg" / "pipe.py"])
