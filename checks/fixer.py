"""`--fix`: make the findings' fixes in the files, touching nothing else.

A finding's fix is a set of text edits (what editors and the GitHub bot apply; `fix_source` applies
them to a text). `apply_fixes` reads which change those edits describe (add or remove `await`,
`async with`, `async for`) and makes it as a libcst codemod (`checks.cst_fix`) on the decoded text,
so the rest of the file keeps its bytes: encoding (coding cookie, BOM), newline style, comments,
trailing whitespace. Both paths choose the same fixes: a fix whose edits overlap one already taken
waits for the next run, the same fix twice is one change. A file libcst cannot parse (or would not
print back byte for byte) is left alone, and so is one whose result would not parse.
"""

from __future__ import annotations

import ast
import io
import os
import re
import tempfile
import tokenize
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from asyncguard.checks.cst_fix import CstError, Target, target_of, transform
from asyncguard.rules.model import Finding, Fix, TextEdit

_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass
class FixResult:
    fixed: int = 0  # findings whose fix was applied
    files_changed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line each: what was not applied and why
    originals: dict[str, bytes] = field(default_factory=dict)  # each changed file as it was before
    fixed_in: dict[str, int] = field(default_factory=dict)  # findings fixed, per changed file

    def revert(self, root: Path, rel: str) -> None:
        """Put one changed file back as it was (its fixes introduced a problem)."""
        _write_atomic(Path(root) / rel, self.originals[rel])
        self.fixed -= self.fixed_in.pop(rel, 0)
        self.files_changed.remove(rel)


def _line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in _NEWLINE.finditer(text))]


def _offset(starts: list[int], text: str, line: int, column: int) -> int | None:
    if line < 1 or line > len(starts) or column < 1:
        return None
    line_end = starts[line] if line < len(starts) else len(text)
    offset = starts[line - 1] + column - 1
    return offset if offset <= line_end else None


def _newline_of(text: str) -> str:
    m = _NEWLINE.search(text)
    return m.group(0) if m else "\n"


def _spans(fix: Fix, starts: list[int], text: str) -> list[tuple[int, int, TextEdit]] | None:
    spans = []
    for e in fix.edits:
        a = _offset(starts, text, e.line, e.column)
        b = _offset(starts, text, e.end_line, e.end_column)
        if a is None or b is None or b < a:
            return None
        spans.append((a, b, e))
    return spans


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a[0] == a[1] == b[0] == b[1]:
        return True  # two insertions at one point: their order would be a guess
    return (a[0] < b[1] and b[0] < a[1]) or a[0] == b[0]


def _select(
    text: str, fixes: list[tuple[Fix, Finding | None]]
) -> tuple[list[tuple[Fix, Finding | None]], dict[tuple[TextEdit, ...], int], list[str]]:
    """The fixes to apply, in order, and how often each was reported again; why the others wait."""
    starts = _line_starts(text)
    taken: list[tuple[int, int]] = []
    chosen: list[tuple[Fix, Finding | None]] = []
    repeats: dict[tuple[TextEdit, ...], int] = {}
    problems: list[str] = []
    for fix, finding in sorted(
        fixes, key=lambda p: min(p[0].edits) if p[0].edits else TextEdit(0, 0, 0, 0, "")
    ):
        key = tuple(sorted(fix.edits))
        if key in repeats:
            repeats[key] += 1  # the same edit reported twice: one change
            continue
        spans = _spans(fix, starts, text)
        if spans is None:
            problems.append(f"{fix.description}: edit outside the file, skipped")
            continue
        if any(_overlaps((a, b), t) for a, b, _ in spans for t in taken):
            problems.append(f"{fix.description}: overlaps another fix, left for the next run")
            continue
        repeats[key] = 0
        taken.extend((a, b) for a, b, _ in spans)
        chosen.append((fix, finding))
    return chosen, repeats, problems


def fix_source(text: str, fixes: list[Fix]) -> tuple[str, int, list[str]]:
    """Apply the non-overlapping fixes' text edits; returns the new text, how many fixes applied, and why others did not."""
    newline = _newline_of(text)
    chosen, repeats, problems = _select(text, [(fix, None) for fix in fixes])
    starts = _line_starts(text)
    edits: list[tuple[int, int, str]] = []
    for fix, _ in chosen:
        spans = _spans(fix, starts, text) or []
        edits.extend((a, b, e.replacement.replace("\n", newline)) for a, b, e in spans)
    for a, b, replacement in sorted(edits, key=lambda s: (s[0], s[1]), reverse=True):
        text = text[:a] + replacement + text[b:]
    return text, len(chosen) + sum(repeats.values()), problems


def _where(fix: Fix) -> str:
    first = min(fix.edits)
    return f"{fix.description} at {first.line}:{first.column}"


def fix_source_cst(text: str, findings: list[Finding]) -> tuple[str, int, list[str]]:
    """`fix_source` for the findings' fixes, made as a libcst codemod instead of by splicing text.

    Chooses the same fixes as `fix_source`; a fix whose edits describe no change the codemod knows,
    or whose node is not where the finding says, is not applied (and said so). Raises
    `CstError` when libcst cannot parse `text` or would not print it back exactly.
    """
    chosen, repeats, problems = _select(
        text, [(f.fix, f) for f in findings if f.fix is not None and f.fix.edits]
    )
    targets: list[tuple[Target, Fix]] = []
    for fix, finding in chosen:
        target = target_of(fix, finding)
        if target is None:
            problems.append(f"{_where(fix)}: no libcst codemod for this edit, not applied")
        else:
            targets.append((target, fix))
    if not targets:
        return text, 0, problems
    new_text, applied = transform(text, [t for t, _ in targets])
    done = 0
    for target, fix in targets:
        if target in applied:
            applied.remove(target)
            done += 1 + repeats[tuple(sorted(fix.edits))]
        else:
            problems.append(f"{_where(fix)}: no matching node there (did the file change?), not applied")
    return new_text, done, problems


COMMENT_CODES = frozenset({"AG001"})  # fixes that edit only comments: applied as text, after the codemod


def _comment_fixes(old: str, new: str, findings: list[Finding]) -> tuple[str, int, list[str]]:
    """Apply comment-only edits (AG001) made against `old` to `new`, the codemod's result.

    The codemod changes code before a line's comment, never the comment nor the number of lines,
    so each edit moves along its line by however much the code before it grew or shrank.
    """
    old_lines, new_lines = _NEWLINE.split(old), _NEWLINE.split(new)
    if len(old_lines) != len(new_lines):
        return new, 0, ["the fixes changed the number of lines; unused suppressions left for the next run"]
    fixes: list[Fix] = []
    problems: list[str] = []
    for f in findings:
        if f.fix is None:
            continue
        moved: list[TextEdit] = []
        for e in f.fix.edits:
            if e.end_line != e.line:  # a whole line: the codemod never touches a comment-only line
                if 1 <= e.line <= len(old_lines) and old_lines[e.line - 1] == new_lines[e.line - 1]:
                    moved.append(e)
                else:
                    problems.append(f"{_where(f.fix)}: the line changed, not applied")
                continue
            old_line, new_line = old_lines[e.line - 1], new_lines[e.line - 1]
            tail = old_line[e.column - 1 :]
            if not new_line.endswith(tail):
                problems.append(f"{_where(f.fix)}: the comment moved, not applied")
                continue
            shift = len(new_line) - len(old_line)
            moved.append(TextEdit(e.line, e.column + shift, e.end_line, e.end_column + shift, e.replacement))
        if len(moved) == len(f.fix.edits):
            fixes.append(Fix(f.fix.description, tuple(moved), f.fix.safe))
    text, applied, more = fix_source(new, fixes)
    return text, applied, problems + more


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".asyncguard")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def apply_fixes(root: Path, findings: Iterable[Finding], include_unsafe: bool = False) -> FixResult:
    """Apply every safe fix carried by `findings` (and the unsafe ones with `include_unsafe`) to the
    files under `root`."""
    result = FixResult()
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.fix is None or not f.fix.edits:
            continue
        if not f.fix.safe and not include_unsafe:
            continue
        by_path[f.path].append(f)
    for rel, path_findings in sorted(by_path.items()):
        path = Path(root) / rel
        try:
            data = path.read_bytes()
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            text = data.decode(encoding)
        except (OSError, SyntaxError, LookupError, UnicodeDecodeError) as exc:
            result.skipped.append(f"{rel}: cannot read as Python source ({exc}), not fixed")
            continue
        code_findings = [f for f in path_findings if f.code not in COMMENT_CODES]
        comment_findings = [f for f in path_findings if f.code in COMMENT_CODES]
        new_text, applied = text, 0
        problems: list[str] = []
        if code_findings:
            try:
                new_text, applied, problems = fix_source_cst(text, code_findings)
            except CstError as exc:
                result.skipped.append(f"{rel}: {exc}, not fixed")
                continue
        if comment_findings:
            new_text, n_comments, more = _comment_fixes(text, new_text, comment_findings)
            applied += n_comments
            problems += more
        result.skipped.extend(f"{rel}: {p}" for p in problems)
        if new_text == text:
            continue
        if not _parses(new_text) and _parses(text):
            result.skipped.append(f"{rel}: the fixed file would not parse, left unchanged")
            continue
        try:
            _write_atomic(path, new_text.encode(encoding))
        except (OSError, UnicodeEncodeError) as exc:
            result.skipped.append(f"{rel}: cannot write ({exc}), not fixed")
            continue
        result.fixed += applied
        result.files_changed.append(rel)
        result.originals[rel] = data
        result.fixed_in[rel] = applied
    return result
