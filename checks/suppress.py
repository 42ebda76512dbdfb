"""Inline suppressions: `# asyncguard: ignore[AG101, AG107]` or a bare `# asyncguard: ignore`.

A line that already silences the same problem for ruff or flake8-async (`# noqa: RUF006`,
`# noqa: ASYNC251`) silences the AG rule that reports it too (`NOQA_EQUIVALENTS`): the
maintainer has judged that line once. A bare `# noqa` does not: it was written for whatever the
linter said, which was never an async finding of ours.

Comments are found with tokenize, so the marker inside a string literal does not count. A file
that stops tokenizing part-way keeps what was read so far, and its remaining lines fall back to a
line scan: a suppression is never lost because a later line is broken.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from asyncguard.rules.model import Finding, Fix, Severity, TextEdit

_MARKER = re.compile(r"#\s*asyncguard\s*:\s*ignore\b(?:\[([^\]]*)\])?", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa\s*:\s*([A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)

# Other linters' codes -> the AG rule that reports the same problem. Only codes with one meaning
# across ruff, flake8-async and its predecessor flake8-trio; ASYNC100-102 are left out: ruff once
# used them for blocking calls, flake8-async uses them for cancel scopes and shielding.
NOQA_EQUIVALENTS: dict[str, str] = {
    "RUF006": "AG109",  # asyncio-dangling-task
    "ASYNC105": "AG101", "TRIO105": "AG101",  # a trio async function called without `await`
    **{f"ASYNC{n}": "AG107" for n in (200, 210, 211, 212, 220, 221, 222, 230, 231, 232, 240, 250, 251)},
    **{f"TRIO{n}": "AG107" for n in (200, 210, 211, 212, 220, 221, 222, 230, 231, 232, 240)},
}
MARKER = _MARKER  # the language server's "suppress on this line" writes what this reads
ALL = None  # a bare marker suppresses every code on its line

Suppressions = dict[int, frozenset[str] | None]


def _parse_marker(comment: str) -> tuple[bool, frozenset[str] | None]:
    """(found, codes) of the comment's markers: ours, and other linters' codes we take as ours."""
    noqa = _NOQA.search(comment)
    equivalent = frozenset(
        NOQA_EQUIVALENTS[c.upper()] for c in re.split(r"[\s,]+", noqa.group(1)) if c.upper() in NOQA_EQUIVALENTS
    ) if noqa else frozenset()
    m = _MARKER.search(comment)
    if not m:
        return (True, equivalent) if equivalent else (False, None)
    if m.group(1) is None:
        return True, ALL
    codes = frozenset(c.strip().upper() for c in m.group(1).split(",") if c.strip())
    return True, (codes | equivalent) if codes else ALL


def _merge(out: Suppressions, line: int, codes: frozenset[str] | None) -> None:
    if line in out and (out[line] is ALL or codes is ALL):
        out[line] = ALL
    elif line in out:
        out[line] = (out[line] or frozenset()) | (codes or frozenset())
    else:
        out[line] = codes


def parse_suppressions(source: bytes | str) -> Suppressions:
    """Line number -> suppressed codes (None = all) for every marker comment in the source."""
    data = source.encode("utf-8", "surrogateescape") if isinstance(source, str) else source
    out: Suppressions = {}
    lowered = data.lower()
    if b"asyncguard" not in lowered and not (b"noqa" in lowered and (b"ruf006" in lowered or b"async" in lowered
                                                                     or b"trio" in lowered)):
        return out  # no marker anywhere (the usual case): no need to tokenize the file
    last_line = 0
    try:
        for tok in tokenize.tokenize(io.BytesIO(data).readline):
            last_line = max(last_line, tok.end[0]) if tok.type != tokenize.ENDMARKER else last_line
            if tok.type == tokenize.COMMENT:
                found, codes = _parse_marker(tok.string)
                if found:
                    _merge(out, tok.start[0], codes)
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, LookupError):
        text = data.decode("utf-8", "replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if number <= last_line:
                continue
            found, codes = _parse_marker(line)
            if found:
                _merge(out, number, codes)
    return out


@dataclass(frozen=True)
class Marker:
    """One `# asyncguard: ignore[...]` comment, where it is on its line (0-based columns)."""

    line: int
    comment_start: int  # the comment token
    comment: str
    start: int  # the marker inside the comment
    end: int
    codes: frozenset[str] | None  # None: a bare marker
    own_line: bool  # nothing but the comment on its line
    code_end: int  # where the code before the comment ends (its trailing whitespace excluded)


def find_markers(source: bytes) -> list[Marker]:
    """Every marker comment of a source that tokenizes (one that does not: none, AG000 says why)."""
    if b"asyncguard" not in source.lower():
        return []
    out: list[Marker] = []
    try:
        for tok in tokenize.tokenize(io.BytesIO(source).readline):
            if tok.type != tokenize.COMMENT:
                continue
            m = _MARKER.search(tok.string)
            if not m:
                continue
            _, codes = _parse_marker(tok.string)
            code = tok.line[: tok.start[1]]
            own = not code.strip()
            out.append(Marker(tok.start[0], tok.start[1], tok.string, m.start(), m.end(), codes, own,
                              len(code.rstrip())))
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, LookupError):
        return []
    return out


def unused_suppressions(
    path: str,
    markers: Iterable[Marker],
    used: set[tuple[int, str]],
    enabled: frozenset[str],
    narrowed: bool,
) -> list[Finding]:
    """AG001 for each marker that suppressed nothing in this run, with a fix that removes it (or
    just its unused codes), as ruff's RUF100 does for `noqa`.

    `used`: (line, code) of every finding a marker dropped. A code that is not enabled is left
    alone (another configuration may need it); a bare marker is judged only when every default
    rule ran (`narrowed` False). Unknown codes are always unused.
    """
    from asyncguard.checks.codes import all_codes

    known = all_codes()
    out: list[Finding] = []
    for mk in markers:
        used_here = {code for line, code in used if line == mk.line}
        if mk.codes is None:
            if used_here or narrowed:
                continue
            unused: set[str] = set()
            drop_all = True
        else:
            unused = {c for c in mk.codes if c not in known or (c in enabled and c not in used_here)}
            if not unused:
                continue
            drop_all = unused == set(mk.codes)
        kept = sorted(set(mk.codes or ()) - unused)
        what = "suppresses nothing" if drop_all else f"does not need {', '.join(sorted(unused))}"
        detail = "" if mk.codes is None else f" ({', '.join(sorted(unused))})"
        out.append(Finding(
            code="AG001", name="unused-suppression",
            message=f"unused suppression{detail}: `{mk.comment[mk.start:mk.end]}` {what}",
            path=path, line=mk.line, column=mk.comment_start + mk.start + 1,
            end_line=mk.line, end_column=mk.comment_start + mk.end + 1,
            severity=Severity.WARNING, fix=_removal(mk, kept),
        ))
    return out


def _removal(mk: Marker, kept: list[str]) -> Fix:
    """The edit that drops the marker (the comment too when it was all there was; the line too when
    the comment was all there was on it), or rewrites it with only the codes still needed."""
    start_col = mk.comment_start + 1
    end_col = mk.comment_start + len(mk.comment) + 1
    if kept:
        marker = f"# asyncguard: ignore[{', '.join(kept)}]"
        comment = mk.comment[: mk.start] + marker + mk.comment[mk.end :]
        return Fix("keep only the codes still suppressed", (TextEdit(mk.line, start_col, mk.line, end_col, comment),))
    before = mk.comment[: mk.start].rstrip()
    after = mk.comment[mk.end :].strip()
    if after and not after.startswith("#"):
        after = "# " + after
    rest = "  ".join(part for part in (before, after) if part)
    if rest:
        return Fix("remove the unused suppression", (TextEdit(mk.line, start_col, mk.line, end_col, rest),))
    if mk.own_line:
        return Fix("remove the unused suppression", (TextEdit(mk.line, 1, mk.line + 1, 1, ""),))
    # the whitespace between the code and the comment goes too: line[:comment_start].rstrip()
    return Fix("remove the unused suppression", (TextEdit(mk.line, mk.code_end + 1, mk.line, end_col, ""),))


def is_suppressed(finding: Finding, suppressions: Suppressions) -> bool:
    if finding.line not in suppressions:
        return False
    codes = suppressions[finding.line]
    return codes is ALL or finding.code in codes


def filter_suppressed(
    root: Path,
    findings: Iterable[Finding],
    texts: Mapping[str, str] | None = None,
    used: set[tuple[str, int, str]] | None = None,
) -> tuple[list[Finding], int]:
    """Drop suppressed findings; returns the kept ones and how many were dropped.

    `texts`: files' current texts by relative path where they differ from the disk (an editor's
    unsaved buffers). `used` collects (path, line, code) of each finding a marker dropped (for
    AG001). AG000 (the file does not parse) cannot be suppressed inline: the comment may be the
    broken part.
    """
    cache: dict[str, Suppressions] = {}
    kept: list[Finding] = []
    dropped = 0
    for f in findings:
        if f.code == "AG000":
            kept.append(f)
            continue
        if f.path not in cache and texts is not None and f.path in texts:
            cache[f.path] = parse_suppressions(texts[f.path])
        if f.path not in cache:
            try:
                cache[f.path] = parse_suppressions((root / f.path).read_bytes())
            except OSError:
                cache[f.path] = {}
        if is_suppressed(f, cache[f.path]):
            dropped += 1
            if used is not None:
                used.add((f.path, f.line, f.code))
        else:
            kept.append(f)
    return kept, dropped
