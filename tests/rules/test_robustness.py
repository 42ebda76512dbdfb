"""Files that vanish, lie about their encoding or are not source: a clear note or AG000, never a crash."""

from __future__ import annotations

import os
from pathlib import Path

from rules.engine import analyze

CALLER = "from pkg.db import connect\n\nasync def main():\n    connect()\n"


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "db.py").write_text("async def connect():\n    pass\n")
    (tmp_path / "pkg" / "app.py").write_text(CALLER)
    return tmp_path


def test_a_file_deleted_between_discovery_and_reading_is_a_note(tmp_path: Path) -> None:
    root = _project(tmp_path)
    files = sorted(root.rglob("*.py"))
    gone = root / "pkg" / "gone.py"
    result = analyze(root, index_files=[*files, gone])
    assert [(f.code, f.path) for f in result.findings] == [("AG101", "pkg/app.py")]
    assert any(n.startswith("pkg/gone.py: cannot read") for n in result.notes), result.notes


def test_a_file_deleted_after_it_was_cached_is_dropped_and_the_rest_reuses_the_cache(tmp_path: Path) -> None:
    root = _project(tmp_path)
    cache = tmp_path / ".cache"
    (root / "pkg" / "extra.py").write_text("x = 1\n")
    assert [f.code for f in analyze(root, cache_dir=cache).findings] == ["AG101"]
    os.remove(root / "pkg" / "extra.py")
    again = analyze(root, cache_dir=cache)
    assert [f.code for f in again.findings] == ["AG101"] and "pkg/extra.py" not in again.files
    assert again.reused == 3  # app, db and __init__ came from the cache


def test_undecodable_binary_and_syntax_errors_are_ag000_and_the_rest_is_analyzed(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "pkg" / "latin.py").write_bytes(b"x = '\xe9t\xe9'\n")  # not UTF-8, no coding cookie
    (root / "pkg" / "cookie.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9t\xe9'\n")  # fine
    (root / "pkg" / "blob.py").write_bytes(os.urandom(64) + b"\x00")
    (root / "pkg" / "broken.py").write_text("def oops(:\n")
    (root / "pkg" / "empty.py").write_text("")
    found = {(f.path, f.code): f.message for f in analyze(root).findings}
    assert set(found) == {("pkg/app.py", "AG101"), ("pkg/latin.py", "AG000"), ("pkg/blob.py", "AG000"),
                          ("pkg/broken.py", "AG000")}
    assert "cannot decode" in found[("pkg/latin.py", "AG000")]
    assert "NUL" in found[("pkg/blob.py", "AG000")]
    assert found[("pkg/broken.py", "AG000")].startswith("syntax error")
