"""Review comments with ```suggestion blocks for fixable findings, kept in step across pushes.

Each comment carries a hidden fingerprint (`<!-- asyncguard:fp=... -->`). On the next push a
finding still present is not posted again; one that went away has its comment deleted unless
a human replied to it. Only lines inside the diff hunks get comments: GitHub rejects a whole
review (422) for one comment outside them, so the rest stay annotations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncguard.checks.diffparse import FileDiff
from asyncguard.checks.links import rule_url
from asyncguard.rules.model import Finding, TextEdit

MAX_COMMENTS = 30  # our suggestion comments on one pull request at a time
MARKER_RE = re.compile(r"<!-- asyncguard:fp=([0-9a-f]{8,64}) -->")


def marker(fp: str) -> str:
    return f"<!-- asyncguard:fp={fp} -->"


@dataclass(frozen=True)
class Suggestion:
    fingerprint: str
    path: str
    start_line: int
    line: int
    body: str


def _offset(starts: list[int], text_len: int, line: int, column: int) -> int | None:
    if line < 1 or line > len(starts) + 1:
        return None
    if line == len(starts) + 1:
        return text_len if column == 1 else None
    return starts[line - 1] + column - 1


def suggested_lines(source: str, edits: Sequence[TextEdit]) -> tuple[int, int, str] | None:
    """(first line, last line, new text of those whole lines) after applying `edits`, or None."""
    if not edits:
        return None
    lines = source.splitlines(keepends=True)
    starts, pos = [], 0
    for ln in lines:
        starts.append(pos)
        pos += len(ln)
    first = min(e.line for e in edits)
    last = max(e.end_line - 1 if e.end_column == 1 and e.end_line > e.line else e.end_line for e in edits)
    if first < 1 or last > len(lines) or last < first:
        return None
    block_start = starts[first - 1]
    block_end = starts[last - 1] + len(lines[last - 1])
    new = source
    delta = 0
    for e in sorted(edits, reverse=True):
        a = _offset(starts, len(source), e.line, e.column)
        b = _offset(starts, len(source), e.end_line, e.end_column)
        if a is None or b is None or b < a or a < block_start or b > block_end:
            return None
        new = new[:a] + e.replacement + new[b:]
        delta += len(e.replacement) - (b - a)
    block = new[block_start : block_end + delta]
    return first, last, block[:-1] if block.endswith("\n") else block


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    return "`" * max(3, longest + 1)


def comment_body(f: Finding, fp: str, suggestion: str, base_url: str | None) -> str:
    fence = _fence(suggestion)
    desc = f.fix.description if f.fix else ""
    return (
        f"**{f.code}** {f.message}\n\n"
        f"{desc + ':' if desc else 'Suggested fix:'}\n"
        f"{fence}suggestion\n{suggestion}\n{fence}\n\n"
        f"[About {f.code}]({rule_url(f.code, base_url)})\n{marker(fp)}"
    )


def build_suggestions(
    findings: Sequence[Finding],
    fingerprints: Sequence[str],
    head_root: Path,
    changed: Mapping[str, FileDiff],
    base_url: str | None = None,
) -> list[Suggestion]:
    """One suggestion per fixable finding whose lines all sit inside the PR's diff hunks."""
    out: list[Suggestion] = []
    sources: dict[str, str | None] = {}
    for f, fp in zip(findings, fingerprints, strict=True):
        if f.fix is None or not f.fix.edits or f.path not in changed:
            continue
        if f.path not in sources:
            try:
                sources[f.path] = (head_root / f.path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                sources[f.path] = None
        source = sources[f.path]
        if source is None:
            continue
        got = suggested_lines(source, f.fix.edits)
        if got is None:
            continue
        first, last, text = got
        hunk = changed[f.path].hunk_lines
        if not all(n in hunk for n in range(first, last + 1)):
            continue
        out.append(Suggestion(fp, f.path, first, last, comment_body(f, fp, text, base_url)))
    return out


@dataclass
class ReviewPlan:
    post: list[Suggestion]
    delete: list[int]  # our comment ids whose finding went away and nobody replied to
    kept: int  # still-present findings already commented
    over_limit: int  # suggestions left as annotations because the pull request has MAX_COMMENTS of ours


def plan_review(suggestions: Sequence[Suggestion], existing: Sequence[Mapping[str, Any]], bot_login: str | None,
                keep: Set[str] = frozenset()) -> ReviewPlan:
    """Compare what we would post with the PR's current review comments.

    `keep`: fingerprints whose comment stays although the finding is no longer posted (reported as
    a false positive: the thread is the record of why).
    """
    ours: dict[str, list[int]] = {}
    replied: set[int] = set()
    for c in existing:
        reply_to = c.get("in_reply_to_id")
        login = (c.get("user") or {}).get("login")
        if reply_to and login != bot_login:
            replied.add(int(reply_to))
        m = MARKER_RE.search(c.get("body") or "")
        if m and not reply_to and (bot_login is None or login == bot_login):
            ours.setdefault(m.group(1), []).append(int(c["id"]))
    wanted = {s.fingerprint for s in suggestions}
    new = [s for s in suggestions if s.fingerprint not in ours]
    delete = [cid for fp, ids in ours.items() if fp not in wanted and fp not in keep for cid in ids
              if cid not in replied]
    # the cap counts the suggestions already on the PR: a re-run (or a retried run whose worker died
    # after posting its review) adds none beyond it
    room = max(0, MAX_COMMENTS - (len(suggestions) - len(new)))
    return ReviewPlan(new[:room], delete, len(suggestions) - len(new), max(0, len(new) - room))


def review_payload(head_sha: str, post: Sequence[Suggestion]) -> dict[str, Any]:
    comments: list[dict[str, Any]] = []
    for s in post:
        c: dict[str, Any] = {"path": s.path, "line": s.line, "side": "RIGHT", "body": s.body}
        if s.start_line != s.line:
            c["start_line"] = s.start_line
            c["start_side"] = "RIGHT"
        comments.append(c)
    n = len(comments)
    return {
        "commit_id": head_sha,
        "event": "COMMENT",
        "body": f"asyncguard suggests {n} fix{'es' if n != 1 else ''} for findings on this change.",
        "comments": comments,
    }
