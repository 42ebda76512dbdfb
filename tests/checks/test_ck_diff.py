from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asyncguard.checks.diffparse import parse_unified_diff
from asyncguard.checks.gitdiff import GitError, changed_lines

DIFF = """\
diff --git a/pkg/a.py b/pkg/a.py
index 1111111..2222222 100644
--- a/pkg/a.py
+++ b/pkg/a.py
@@ -1,4 +1,5 @@
 import x
-y = 1
+y = 2
+z = 3
 q = 4
 r = 5
@@ -10,0 +12,2 @@ def f():
+a()
+b()
diff --git a/gone.py b/gone.py
deleted file mode 100644
--- a/gone.py
+++ /dev/null
@@ -1,2 +0,0 @@
--- a/looks_like_a_header.py
-+++ b/still_deleted_text.py
diff --git a/old.py b/new.py
similarity index 90%
rename from old.py
rename to new.py
--- a/old.py
+++ b/new.py
@@ -3 +3 @@
-x
+y
diff --git "a/sp\\303\\244ce \\"q\\".py" "b/sp\\303\\244ce \\"q\\".py"
new file mode 100644
--- /dev/null
+++ "b/sp\\303\\244ce \\"q\\".py"
@@ -0,0 +1,2 @@
+one
+two
\\ No newline at end of file
diff --git a/img.png b/img.png
Binary files a/img.png and b/img.png differ
"""


def test_added_and_hunk_lines() -> None:
    files = parse_unified_diff(DIFF)
    a = files["pkg/a.py"]
    assert a.added_lines == {2, 3, 12, 13}
    assert a.hunk_lines == {1, 2, 3, 4, 5, 12, 13}
    assert not a.new_file


def test_deleted_binary_renamed_and_quoted_paths() -> None:
    files = parse_unified_diff(DIFF)
    assert set(files) == {"pkg/a.py", "new.py", 'späce "q".py'}
    assert files["new.py"].old_path == "old.py" and files["new.py"].added_lines == {3}
    quoted = files['späce "q".py']
    assert quoted.new_file and quoted.added_lines == {1, 2}


def test_empty_and_garbage_input() -> None:
    assert parse_unified_diff("") == {}
    assert parse_unified_diff("not a diff\n@@ nonsense @@\n+x\n") == {}


def test_changed_lines_covers_committed_staged_unstaged_and_untracked(
    make_project: Callable[..., Path], make_git: Callable[[Path], Any]
) -> None:
    root = make_project(
        {"pkg/a.py": "a = 1\nb = 2\nc = 3\nd = 4\n", "pkg/b.py": "x = 1\n", "pkg/c.py": "k = 1\n"}
    )
    git = make_git(root)
    base = git.commit(message="base")
    git.commit({"pkg/a.py": "a = 1\nB = 2\nc = 3\nd = 4\n"}, message="committed")
    (root / "pkg" / "b.py").write_text("x = 1\ny = 2\n")
    git("add", "pkg/b.py")
    (root / "pkg" / "c.py").write_text("k = 1\n\nm = 3\n")  # unstaged
    (root / "pkg" / "new.py").write_text("n = 1\nm = 2\nlast = 3")  # untracked, no final newline
    (root / "notes.txt").write_text("not python\n")
    changed = changed_lines(root, base)
    assert changed["pkg/a.py"].added_lines == {2}
    assert changed["pkg/b.py"].added_lines == {2}
    assert changed["pkg/c.py"].added_lines == {2, 3}
    assert changed["pkg/new.py"].added_lines == {1, 2, 3} and changed["pkg/new.py"].new_file
    assert "notes.txt" not in changed


def test_changed_lines_in_a_subproject_are_relative_to_it(
    tmp_path: Path, make_git: Callable[[Path], Any]
) -> None:
    repo = tmp_path / "mono"
    (repo / "svc" / "pkg").mkdir(parents=True)
    (repo / "svc" / "pkg" / "a.py").write_text("a = 1\n")
    (repo / "other.py").write_text("o = 1\n")
    git = make_git(repo)
    base = git.commit(message="base")
    (repo / "svc" / "pkg" / "a.py").write_text("a = 2\n")
    (repo / "other.py").write_text("o = 2\n")
    changed = changed_lines(repo / "svc", base)
    assert set(changed) == {"pkg/a.py"}


def test_bad_ref_and_not_a_repo_are_clear_errors(
    make_project: Callable[..., Path], make_git: Callable[[Path], Any], tmp_path: Path
) -> None:
    root = make_project({"a.py": "x = 1\n"})
    make_git(root).commit(message="c")
    with pytest.raises(GitError, match="unknown git ref 'nope'"):
        changed_lines(root, "nope")
    with pytest.raises(GitError, match="not a git ref"):
        changed_lines(root, "--output=/tmp/x")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError):
        changed_lines(plain, "HEAD")
