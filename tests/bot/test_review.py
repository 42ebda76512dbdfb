"""Suggestion blocks from fixes, and the plan that keeps review comments in step across pushes."""

from __future__ import annotations

from pathlib import Path

from asyncguard.bot.review import (
    MAX_COMMENTS,
    Suggestion,
    build_suggestions,
    marker,
    plan_review,
    review_payload,
    suggested_lines,
)
from asyncguard.checks.diffparse import FileDiff
from asyncguard.rules.model import Finding, Fix, Severity, TextEdit

SRC = "async def f():\n    g()\n    return 1\n"


def _finding(line: int, edits: tuple[TextEdit, ...], path: str = "m.py") -> Finding:
    return Finding("AG101", "missing-await", "never awaited", path, line, 5, line, 8, Severity.ERROR,
                   Fix("Add `await`", edits))


def test_insertion_becomes_whole_line_suggestion() -> None:
    assert suggested_lines(SRC, (TextEdit(2, 5, 2, 5, "await "),)) == (2, 2, "    await g()")


def test_multi_line_and_deleting_edits() -> None:
    edits = (TextEdit(2, 5, 3, 5, "x = g()\n    "),)
    assert suggested_lines(SRC, edits) == (2, 3, "    x = g()\n    return 1")
    # an edit removing a whole line (ending at column 1 of the next) suggests the empty line range
    assert suggested_lines(SRC, (TextEdit(2, 1, 3, 1, ""),)) == (2, 2, "")
    assert suggested_lines(SRC, (TextEdit(9, 1, 9, 1, "x"),)) is None


def test_only_inside_hunks(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(SRC)
    f = _finding(2, (TextEdit(2, 5, 2, 5, "await "),))
    inside = build_suggestions([f], ["ab" * 8], tmp_path, {"m.py": FileDiff(hunk_lines={1, 2, 3})})
    assert len(inside) == 1 and "```suggestion\n    await g()\n```" in inside[0].body
    assert marker("ab" * 8) in inside[0].body
    outside = build_suggestions([f], ["ab" * 8], tmp_path, {"m.py": FileDiff(hunk_lines={3})})
    assert outside == []
    assert build_suggestions([f], ["ab" * 8], tmp_path, {}) == []


def test_fence_is_longer_than_backticks_in_the_code(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text('x = """```"""\n')
    f = _finding(1, (TextEdit(1, 1, 1, 1, "y = 1; "),))
    (s,) = build_suggestions([f], ["cd" * 8], tmp_path, {"m.py": FileDiff(hunk_lines={1})})
    assert "````suggestion\n" in s.body


def _ours(cid: int, fp: str) -> dict[str, object]:
    return {"id": cid, "body": f"fix\n{marker(fp)}", "user": {"login": "asyncguard[bot]"}}


def test_plan_posts_new_keeps_present_deletes_gone_unless_replied() -> None:
    sugg = [Suggestion("a" * 16, "m.py", 1, 1, "A"), Suggestion("b" * 16, "m.py", 2, 2, "B")]
    existing = [
        _ours(1, "a" * 16),  # still present: kept
        _ours(2, "c" * 16),  # gone: deleted
        _ours(3, "d" * 16),  # gone but a human replied: kept
        {"id": 4, "body": "hmm", "in_reply_to_id": 3, "user": {"login": "alice"}},
        {"id": 5, "body": f"quoting {marker('e' * 16)}", "user": {"login": "mallory"}},  # not ours
    ]
    plan = plan_review(sugg, existing, "asyncguard[bot]")
    assert [s.fingerprint for s in plan.post] == ["b" * 16]
    assert plan.delete == [2] and plan.kept == 1


def test_plan_caps_comments_per_review() -> None:
    sugg = [Suggestion(f"{i:016x}", "m.py", i, i, "x") for i in range(1, 41)]
    plan = plan_review(sugg, [], "asyncguard[bot]")
    assert len(plan.post) == MAX_COMMENTS and plan.over_limit == 10
    body = review_payload("f" * 40, plan.post)
    assert body["event"] == "COMMENT" and len(body["comments"]) == MAX_COMMENTS
    assert all(c["side"] == "RIGHT" and "start_line" not in c for c in body["comments"])
    # the cap is per pull request: once those 30 are on it, a re-run posts none of the other 10
    posted = [_ours(100 + i, s.fingerprint) for i, s in enumerate(plan.post)]
    again = plan_review(sugg, posted, "asyncguard[bot]")
    assert again.post == [] and again.kept == MAX_COMMENTS and again.over_limit == 10
