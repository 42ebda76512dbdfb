from __future__ import annotations

from pathlib import Path

from checks.fixer import apply_fixes, fix_source
from rules.model import Finding, Fix, Severity, TextEdit


def _f(path: str, line: int, col: int, edits: tuple[TextEdit, ...], safe: bool = True) -> Finding:
    return Finding(
        "AG101",
        "missing-await",
        "m",
        path,
        line,
        col,
        line,
        col + 1,
        Severity.ERROR,
        Fix("add await", edits, safe),
    )


def _insert(line: int, col: int, text: str = "await ") -> tuple[TextEdit, ...]:
    return (TextEdit(line, col, line, col, text),)


def test_edits_apply_bottom_up_keeping_crlf_bom_and_latin1(tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.py"
    crlf.write_bytes(b"async def f():\r\n    x = g()  \r\n    y = g()\r\n")
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfasync def f():\n    s = '\xc3\xa9'; x = g()\n")
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\nasync def f():\n    s = '\xe9'; x = g()\n")
    result = apply_fixes(
        tmp_path,
        [
            _f("crlf.py", 2, 9, _insert(2, 9)),
            _f("crlf.py", 3, 9, _insert(3, 9)),
            _f("bom.py", 2, 18, _insert(2, 18)),  # columns count characters: é is one
            _f("latin.py", 3, 18, _insert(3, 18)),
        ],
    )
    assert result.fixed == 4 and sorted(result.files_changed) == ["bom.py", "crlf.py", "latin.py"]
    assert crlf.read_bytes() == b"async def f():\r\n    x = await g()  \r\n    y = await g()\r\n"
    assert bom.read_bytes() == b"\xef\xbb\xbfasync def f():\n    s = '\xc3\xa9'; x = await g()\n"
    assert latin.read_bytes() == b"# -*- coding: latin-1 -*-\nasync def f():\n    s = '\xe9'; x = await g()\n"


def test_overlapping_fixes_take_the_first_and_report_the_other(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("async def f():\n    x = g()\n")
    result = apply_fixes(
        tmp_path,
        [
            _f("m.py", 2, 9, (TextEdit(2, 9, 2, 12, "await g()"),)),
            _f("m.py", 2, 10, (TextEdit(2, 10, 2, 11, "h"),)),
        ],
    )
    assert (tmp_path / "m.py").read_text() == "async def f():\n    x = await g()\n"
    assert result.fixed == 1
    assert any("overlaps another fix" in s for s in result.skipped)


def test_duplicate_fix_is_applied_once(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("async def f():\n    g()\n")
    result = apply_fixes(tmp_path, [_f("m.py", 2, 5, _insert(2, 5)), _f("m.py", 2, 5, _insert(2, 5))])
    assert (tmp_path / "m.py").read_text() == "async def f():\n    await g()\n"
    assert result.fixed == 2


def test_result_that_would_not_parse_leaves_the_file_alone(tmp_path: Path) -> None:
    original = "def f():\n    x = g()\n"
    (tmp_path / "m.py").write_text(original)
    result = apply_fixes(tmp_path, [_f("m.py", 2, 9, _insert(2, 9, "(("))])
    assert (tmp_path / "m.py").read_text() == original
    assert result.fixed == 0 and result.files_changed == []
    assert "would not parse" in result.skipped[0]


def test_unsafe_fixes_need_opt_in_and_out_of_range_edits_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("async def f():\n    g()\n")
    assert apply_fixes(tmp_path, [_f("m.py", 2, 5, _insert(2, 5), safe=False)]).fixed == 0
    assert (tmp_path / "m.py").read_text() == "async def f():\n    g()\n"
    res = apply_fixes(tmp_path, [_f("m.py", 9, 1, _insert(9, 1))])
    assert res.fixed == 0 and "outside the file" in res.skipped[0]
    res = apply_fixes(tmp_path, [_f("gone.py", 1, 1, _insert(1, 1))])
    assert "cannot read" in res.skipped[0]


def test_multi_edit_fix_and_file_mode_kept(tmp_path: Path) -> None:
    p = tmp_path / "m.py"
    p.write_text("async def f():\n    with lock():\n        pass\n")
    p.chmod(0o755)
    fix = (TextEdit(2, 5, 2, 5, "async "),)
    result = apply_fixes(tmp_path, [_f("m.py", 2, 5, fix)])
    assert result.fixed == 1
    assert p.read_text() == "async def f():\n    async with lock():\n        pass\n"
    assert p.stat().st_mode & 0o777 == 0o755
    assert [q.name for q in tmp_path.iterdir()] == ["m.py"]  # no temp file left behind


def test_fix_source_newline_in_replacement_follows_the_file() -> None:
    text, n, problems = fix_source("a\r\nb\r\n", [Fix("x", (TextEdit(2, 1, 2, 1, "c\n"),))])
    assert text == "a\r\nc\r\nb\r\n" and n == 1 and problems == []
