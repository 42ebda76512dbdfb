"""rules.workspace: the in-memory index with buffers overlaid; what an edit re-checks."""

from __future__ import annotations

from pathlib import Path

from asyncguard.rules.engine import analyze
from asyncguard.rules.workspace import Workspace

DB = "def connect():\n    return 1\n\n\ndef other():\n    x = 1\n    return x\n"
APP = "from pkg.db import connect\n\n\nasync def main():\n    connect()\n"
LONE = "async def alone():\n    return 1\n"


def _project(root: Path) -> Path:
    (root / "pkg").mkdir()
    (root / "pyproject.toml").write_text("")
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "db.py").write_text(DB)
    (root / "pkg" / "app.py").write_text(APP)
    (root / "pkg" / "lone.py").write_text(LONE)
    return root


def test_interface_edit_rechecks_dependents_body_edit_only_itself(tmp_path: Path) -> None:
    ws = Workspace(_project(tmp_path))
    for rel in ("pkg/app.py", "pkg/db.py", "pkg/lone.py"):
        assert ws.check(rel) == []
    # A body edit that changes nothing the index knows: only the edited module.
    assert ws.set_buffer("pkg/db.py", DB.replace("x = 1", "x = 2")) == {"pkg/db.py"}
    # `connect` turns async: app.py consulted db.py, lone.py did not.
    todo = ws.set_buffer("pkg/db.py", "async " + DB)
    assert todo == {"pkg/db.py", "pkg/app.py"}
    (f,) = ws.check("pkg/app.py")
    assert (f.code, f.path, f.line) == ("AG101", "pkg/app.py", 5)


def test_overlay_findings_equal_a_fresh_analysis_of_the_same_text(tmp_path: Path) -> None:
    root = _project(tmp_path)
    ws = Workspace(root)
    ws.check("pkg/app.py")
    ws.set_buffer("pkg/db.py", "async " + DB)
    overlaid = ws.check("pkg/app.py")
    (root / "pkg" / "db.py").write_text("async " + DB)
    fresh = [f for f in analyze(root).findings if f.path == "pkg/app.py"]
    assert overlaid == fresh and overlaid


def test_unparsable_buffer_is_ag000_and_keeps_the_last_good_summary(tmp_path: Path) -> None:
    ws = Workspace(_project(tmp_path))
    ws.check("pkg/app.py")
    ws.set_buffer("pkg/db.py", "async " + DB)
    assert [f.code for f in ws.check("pkg/app.py")] == ["AG101"]
    assert ws.set_buffer("pkg/db.py", "async def connect(:\n") == {"pkg/db.py"}
    (err,) = ws.check("pkg/db.py")
    assert err.code == "AG000" and err.line == 1
    assert [f.code for f in ws.check("pkg/app.py")] == ["AG101"]


def test_closing_reverts_to_disk_and_deleted_file_leaves_the_index(tmp_path: Path) -> None:
    root = _project(tmp_path)
    ws = Workspace(root)
    ws.check("pkg/app.py")
    ws.set_buffer("pkg/db.py", "async " + DB)
    assert ws.check("pkg/app.py")
    assert "pkg/app.py" in ws.close_buffer("pkg/db.py")
    assert ws.check("pkg/app.py") == []
    (root / "pkg" / "db.py").unlink()
    assert "pkg/app.py" in ws.disk_changed("pkg/db.py")
    assert "pkg.db" not in ws.index.modules
    assert ws.check("pkg/db.py") == []
