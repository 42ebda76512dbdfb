from __future__ import annotations

from pathlib import Path

from asyncguard.checks.suppress import filter_suppressed, parse_suppressions
from asyncguard.rules.model import Finding, Severity


def _finding(code: str, line: int, path: str = "m.py") -> Finding:
    return Finding(code, "n", "msg", path, line, 1, line, 2, Severity.ERROR)


def test_codes_and_bare_markers() -> None:
    src = (
        "a()  # asyncguard: ignore[AG101, ag107]\n"
        "b()  # noqa: E501  # asyncguard: ignore\n"
        "c()  #asyncguard:ignore[]\n"
        "d()  # ASYNCGUARD: IGNORE[AG109]\n"
    )
    s = parse_suppressions(src)
    assert s == {1: frozenset({"AG101", "AG107"}), 2: None, 3: None, 4: frozenset({"AG109"})}


def test_marker_inside_strings_does_not_count() -> None:
    src = 'x = "# asyncguard: ignore"\ny = """\n# asyncguard: ignore[AG101]\n"""\nz()  # real one\n'
    assert parse_suppressions(src) == {}


def test_file_that_stops_tokenizing_keeps_earlier_and_later_markers() -> None:
    src = b"a()  # asyncguard: ignore[AG101]\nx = (\n  1,\nz()  # asyncguard: ignore\n"
    s = parse_suppressions(src)
    assert s[1] == frozenset({"AG101"})
    assert s[4] is None
    s2 = parse_suppressions(b"def f(:\n    '''unterminated\nq()  # asyncguard: ignore[AG102]\n")
    assert s2 == {3: frozenset({"AG102"})}  # the rest of a broken file is scanned line by line
    # undecodable bytes and a wrong coding cookie never raise either
    assert parse_suppressions(b"\xff\xfe\x00 garbage  # asyncguard: ignore\n") == {1: None}
    assert parse_suppressions(b"# -*- coding: nonesuch -*-\nx = 1  # asyncguard: ignore\n") == {2: None}


def test_filter_drops_only_matching_codes_on_the_line(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("a()  # asyncguard: ignore[AG101]\nb()  # asyncguard: ignore\nc()\n")
    findings = [_finding("AG101", 1), _finding("AG107", 1), _finding("AG101", 2), _finding("AG101", 3)]
    kept, dropped = filter_suppressed(tmp_path, findings)
    assert [(f.code, f.line) for f in kept] == [("AG107", 1), ("AG101", 3)]
    assert dropped == 2


def test_parse_errors_cannot_be_suppressed_and_missing_files_keep_findings(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def (:  # asyncguard: ignore\n")
    kept, _ = filter_suppressed(tmp_path, [_finding("AG000", 1), _finding("AG101", 1, "gone.py")])
    assert [f.code for f in kept] == ["AG000", "AG101"]
