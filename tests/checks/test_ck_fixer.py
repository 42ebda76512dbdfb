"""`apply_fixes` (the libcst codemod) and `fix_source` (the text edits) on hand-made findings.

The findings' fixes have the shapes rules/checker.py gives them; test_ck_cst_fix.py runs the real
analyzer and cross-checks the two paths.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncguard.checks import fixer as checks_fixer
from asyncguard.checks.fixer import apply_fixes, fix_source, fix_source_cst
from asyncguard.rules.model import Finding, Fix, Severity, TextEdit


def _f(path: str, span: tuple[int, int, int, int], fix: Fix, code: str = "AG101") -> Finding:
    line, col, end_line, end_col = span
    return Finding(code, "rule", "m", path, line, col, end_line, end_col, Severity.ERROR, fix)


def _add_await(
    path: str, line: int, col: int, end_col: int, parens: bool = False, safe: bool = True
) -> Finding:
    """AG101 on the call at line:col..end_col, fixed as rules/checker.py `_await_fix` does."""
    if parens:
        edits = (TextEdit(line, col, line, col, "(await "), TextEdit(line, end_col, line, end_col, ")"))
    else:
        edits = (TextEdit(line, col, line, col, "await "),)
    return _f(path, (line, col, line, end_col), Fix("Add `await`", edits, safe))


def _remove_await(path: str, line: int, col: int, operand_col: int, end_col: int) -> Finding:
    fix = Fix("Remove `await`", (TextEdit(line, col, line, operand_col, ""),))
    return _f(path, (line, col, line, end_col), fix, "AG102")


def _make_async(path: str, line: int, col: int, code: str = "AG103") -> Finding:
    fix = Fix("Use `async with`", (TextEdit(line, col, line, col, "async "),))
    return _f(path, (line, col + 5, line, col + 9), fix, code)


def test_fixes_keep_crlf_bom_latin1_comments_and_trailing_whitespace(tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.py"
    crlf.write_bytes(b"async def f():\r\n    x = g()  \r\n    y = g()  # c\r\n")
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfasync def f():\n    s = '\xc3\xa9'; x = g()\n")
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\nasync def f():\n    s = '\xe9'; x = g()\n")
    result = apply_fixes(
        tmp_path,
        [
            _add_await("crlf.py", 2, 9, 12),
            _add_await("crlf.py", 3, 9, 12),
            _add_await("bom.py", 2, 18, 21),  # columns count characters: é is one
            _add_await("latin.py", 3, 18, 21),
        ],
    )
    assert result.fixed == 4 and sorted(result.files_changed) == ["bom.py", "crlf.py", "latin.py"]
    assert result.skipped == []
    assert crlf.read_bytes() == b"async def f():\r\n    x = await g()  \r\n    y = await g()  # c\r\n"
    assert bom.read_bytes() == b"\xef\xbb\xbfasync def f():\n    s = '\xc3\xa9'; x = await g()\n"
    assert latin.read_bytes() == b"# -*- coding: latin-1 -*-\nasync def f():\n    s = '\xe9'; x = await g()\n"


def test_nested_fixes_in_one_statement(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("async def f():\n    h(g()).x\n    await p(q())\n")
    result = apply_fixes(
        tmp_path,
        [
            _add_await("m.py", 2, 5, 11, parens=True),  # h(g()) is the value of `.x`
            _add_await("m.py", 2, 7, 10),
            _remove_await("m.py", 3, 5, 11, 17),
            _add_await("m.py", 3, 13, 16),
        ],
    )
    assert (tmp_path / "m.py").read_text() == "async def f():\n    (await h(await g())).x\n    p(await q())\n"
    assert result.fixed == 4 and result.skipped == []


def test_overlapping_fixes_take_one_and_leave_the_other_for_the_next_run(tmp_path: Path) -> None:
    source = "async def f():\n    x = g()()\n"
    (tmp_path / "m.py").write_text(source)
    inner = _add_await("m.py", 2, 9, 12, parens=True)  # g() is called: (await g())()
    outer = _add_await("m.py", 2, 9, 14)  # ... and so is what it returns: await g()()
    result = apply_fixes(tmp_path, [outer, inner])
    assert (tmp_path / "m.py").read_text() == "async def f():\n    x = (await g())()\n"
    assert result.fixed == 1
    assert result.skipped == ["m.py: Add `await`: overlaps another fix, left for the next run"]
    # the text edits choose the same one
    assert fix_source(source, [outer.fix, inner.fix])[:2] == ("async def f():\n    x = (await g())()\n", 1)  # type: ignore[list-item]
    # next run: the outer call's finding, now at its new place
    result = apply_fixes(tmp_path, [_add_await("m.py", 2, 9, 22)])
    assert (tmp_path / "m.py").read_text() == "async def f():\n    x = await (await g())()\n"
    assert result.fixed == 1 and result.skipped == []


def test_same_fix_twice_is_one_change_and_a_stale_fix_changes_nothing(tmp_path: Path) -> None:
    p = tmp_path / "m.py"
    p.write_text("async def f():\n    g()\n    with lock():\n        pass\n")
    findings = [_add_await("m.py", 2, 5, 8), _add_await("m.py", 2, 5, 8), _make_async("m.py", 3, 5)]
    result = apply_fixes(tmp_path, findings)
    fixed = "async def f():\n    await g()\n    async with lock():\n        pass\n"
    assert p.read_text() == fixed
    assert result.fixed == 3 and result.skipped == []
    again = apply_fixes(tmp_path, findings)  # the findings of before the fix, applied once more
    assert p.read_text() == fixed and again.fixed == 0 and again.files_changed == []
    assert again.skipped == [
        "m.py: Add `await` at 2:5: no matching node there (did the file change?), not applied",
    ]


def test_remove_await_keeps_the_parentheses_it_needs(tmp_path: Path) -> None:
    p = tmp_path / "m.py"
    p.write_text("async def f():\n    a = (await g()).x\n    b = await (g())\n    c = await  g()  # k\n")
    result = apply_fixes(
        tmp_path,
        [
            _remove_await("m.py", 2, 10, 16, 19),
            _remove_await("m.py", 3, 9, 16, 20),
            _remove_await("m.py", 4, 9, 16, 19),
        ],
    )
    assert p.read_text() == "async def f():\n    a = (g()).x\n    b = (g())\n    c = g()  # k\n"
    assert result.fixed == 3 and result.skipped == []


def test_multi_item_with_for_else_and_file_mode_kept(tmp_path: Path) -> None:
    p = tmp_path / "m.py"
    p.write_text(
        "async def f():\n    with lock() as a, other() as b:\n        pass\n"
        "    for x in it():\n        pass\n    else:\n        pass\n"
    )
    p.chmod(0o755)
    result = apply_fixes(tmp_path, [_make_async("m.py", 2, 5), _make_async("m.py", 4, 5, "AG105")])
    assert result.fixed == 2 and result.skipped == []
    assert p.read_text() == (
        "async def f():\n    async with lock() as a, other() as b:\n        pass\n"
        "    async for x in it():\n        pass\n    else:\n        pass\n"
    )
    assert p.stat().st_mode & 0o777 == 0o755
    assert [q.name for q in tmp_path.iterdir()] == ["m.py"]  # no temp file left behind


def test_an_edit_the_codemod_does_not_know_is_reported_not_applied(tmp_path: Path) -> None:
    original = "async def f():\n    x = g()\n"
    (tmp_path / "m.py").write_text(original)
    odd = _f("m.py", (2, 9, 2, 12), Fix("Rename", (TextEdit(2, 9, 2, 10, "h"),)))
    result = apply_fixes(tmp_path, [odd])
    assert (tmp_path / "m.py").read_text() == original and result.fixed == 0
    assert result.skipped == ["m.py: Rename at 2:9: no libcst codemod for this edit, not applied"]
    # an `await ` insertion the finding does not locate: which call is meant is a guess, so none
    vague = _f("m.py", (2, 5, 2, 12), Fix("Add `await`", (TextEdit(2, 9, 2, 9, "await "),)))
    assert fix_source_cst(original, [vague])[1:] == (
        0,
        ["Add `await` at 2:9: no libcst codemod for this edit, not applied"],
    )


def test_result_that_would_not_parse_leaves_the_file_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = "async def f():\n    x = g()\n"
    (tmp_path / "m.py").write_text(original)
    monkeypatch.setattr(checks_fixer, "transform", lambda text, targets: (text + "((\n", list(targets)))
    result = apply_fixes(tmp_path, [_add_await("m.py", 2, 9, 12)])
    assert (tmp_path / "m.py").read_text() == original
    assert result.fixed == 0 and result.files_changed == []
    assert result.skipped == ["m.py: the fixed file would not parse, left unchanged"]


def test_unparseable_file_is_left_alone_with_a_message(tmp_path: Path) -> None:
    original = "async def f():\n    x = g()\n    print(x\n"
    (tmp_path / "m.py").write_text(original)
    result = apply_fixes(tmp_path, [_add_await("m.py", 2, 9, 12)])
    assert (tmp_path / "m.py").read_text() == original and result.fixed == 0
    assert result.skipped == ["m.py: libcst cannot parse it (syntax error at line 3), not fixed"]


def test_unsafe_fixes_need_opt_in_and_out_of_range_edits_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("async def f():\n    g()\n")
    assert apply_fixes(tmp_path, [_add_await("m.py", 2, 5, 8, safe=False)]).fixed == 0
    assert (tmp_path / "m.py").read_text() == "async def f():\n    g()\n"
    assert apply_fixes(tmp_path, [_add_await("m.py", 2, 5, 8, safe=False)], include_unsafe=True).fixed == 1
    assert (tmp_path / "m.py").read_text() == "async def f():\n    await g()\n"
    res = apply_fixes(tmp_path, [_add_await("m.py", 9, 1, 4)])
    assert res.fixed == 0 and "outside the file" in res.skipped[0]
    res = apply_fixes(tmp_path, [_add_await("gone.py", 1, 1, 4)])
    assert "cannot read" in res.skipped[0]


def test_fix_source_newline_in_replacement_follows_the_file() -> None:
    text, n, problems = fix_source("a\r\nb\r\n", [Fix("x", (TextEdit(2, 1, 2, 1, "c\n"),))])
    assert text == "a\r\nc\r\nb\r\n" and n == 1 and problems == []
