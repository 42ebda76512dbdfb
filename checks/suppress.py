"""Inline suppressions: `# asyncguard: ignore[AG101, AG107]` or a bare `# asyncguard: ignore`.

Comments are found with tokenize, so the marker inside a string literal does not count. A file
that stops tokenizing part-way keeps what was read so far, and its remaining lines fall back to a
line scan: a suppression is never lost because a later line is broken.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from pathlib import Path

from asyncguard.rules.model import Finding

_MARKER = re.compile(r"#\s*asyncguard\s*:\s*ignore\b(?:\[([^\]]*)\])?", re.IGNORECASE)
ALL = None  # a bare marker suppresses every code on its line

Suppressions = dict[int, frozenset[str] | None]


def _parse_marker(comment: str) -> tuple[bool, frozenset[str] | None]:
    m = _MARKER.search(comment)
    if not m:
        return False, None
    if m.group(1) is None:
        return True, ALL
    codes = frozenset(c.strip().upper() for c in m.group(1).split(",") if c.strip())
    return True, codes or ALL


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
    if b"asyncguard" not in data.lower():
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


def is_suppressed(finding: Finding, suppressions: Suppressions) -> bool:
    if finding.line not in suppressions:
        return False
    codes = suppressions[finding.line]
    return codes is ALL or finding.code in codes


def filter_suppressed(root: Path, findings: Iterable[Finding]) -> tuple[list[Finding], int]:
    """Drop suppressed findings; returns the kept ones and how many were dropped.

    AG000 (the file does not parse) cannot be suppressed inline: the comment may be the broken part.
    """
    cache: dict[str, Suppressions] = {}
    kept: list[Finding] = []
    dropped = 0
    for f in findings:
        if f.code == "AG000":
            kept.append(f)
            continue
        if f.path not in cache:
            try:
                cache[f.path] = parse_suppressions((root / f.path).read_bytes())
            except OSError:
                cache[f.path] = {}
        if is_suppressed(f, cache[f.path]):
            dropped += 1
        else:
            kept.append(f)
    return kept, dropped
