"""False-positive reports on findings, decided as data before anything is written or posted.

Three ways in: `/asyncguard false-positive AG101 [path:line] [reason]` in a PR comment, the same
as a reply to one of asyncguard's review comments (the comment names the finding), and a 👎
reaction on one of them. Each becomes a `Decision`: record it (with rule, fingerprint, the code's
hash, who and why), say it was already recorded, or refuse with a reason the reply can show.
"""

from __future__ import annotations

import hashlib
import io
import re
import token
import tokenize
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from asyncguard.bot.monitoring.store import Feedback, SeenFinding

COMMAND = "false-positive"
_RULE = re.compile(r"^AG\d{3}$", re.IGNORECASE)
_WHERE = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+)$")
MAX_REASON = 500
SNIPPET_CONTEXT = 2  # lines either side of the finding


@dataclass(frozen=True)
class Request:
    """What the person asked for: the rule, maybe a place, and why."""

    rule: str
    path: str | None
    line: int | None
    reason: str


@dataclass(frozen=True)
class Decision:
    outcome: str  # "record" | "duplicate" | "reject"
    message: str  # for the reply
    feedback: Feedback | None = None

    @property
    def reaction(self) -> str:
        return "confused" if self.outcome == "reject" else "+1"


def parse(args: str) -> Request | str:
    """`AG101 [path:line] [reason...]` -> Request, or the error to show."""
    words = args.split()
    if not words or not _RULE.match(words[0]):
        return ("Which rule? Write `/asyncguard false-positive AG101 path/to/file.py:12 why it is wrong` "
                "(or reply to the finding's review comment with `/asyncguard false-positive AG101 why`).")
    rule = words[0].upper()
    path = line = None
    rest = words[1:]
    if rest:
        m = _WHERE.match(rest[0].strip("`"))
        if m:
            path, line = m.group("path").removeprefix("./"), int(m.group("line"))
            rest = rest[1:]
    return Request(rule, path, line, " ".join(rest)[:MAX_REASON])


def code_hash(line_text: str) -> str:
    """The finding line's code, whitespace-squeezed: the same code reported in another PR or place matches."""
    return hashlib.sha256(" ".join(line_text.split()).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def decide(
    req: Request | str,
    candidates: Sequence[SeenFinding],
    *,
    actor: str,
    via: str,
    reported_by: Mapping[str, Iterable[str]],
    parent_fingerprint: str | None = None,
) -> Decision:
    """Which shown finding the request means, and whether to record it.

    `candidates`: the findings the PR's latest run showed; `reported_by`: fingerprint -> who already
    reported it on this PR; `parent_fingerprint`: the finding of the review comment replied to.
    """
    if isinstance(req, str):
        return Decision("reject", req)
    if req.rule.startswith("AG2"):
        return Decision("reject", f"{req.rule} is an interface change, not a finding that can be wrong: "
                                  "it is decided by approval (`/asyncguard approve`).")
    if parent_fingerprint is not None:
        matches = [c for c in candidates if c.fingerprint == parent_fingerprint]
        if not matches:
            return Decision("reject", "That review comment's finding is no longer on this pull request.")
        if matches[0].rule != req.rule:
            return Decision("reject", f"That comment is about {matches[0].rule}, not {req.rule}.")
    else:
        matches = [c for c in candidates if c.rule == req.rule]
        if req.path is not None:
            matches = [c for c in matches if c.path == req.path and c.line == req.line]
        if not matches:
            where = f" at `{req.path}:{req.line}`" if req.path else ""
            return Decision("reject", f"No {req.rule} finding{where} on the latest run of this pull request.")
        if len(matches) > 1:
            places = ", ".join(f"`{c.path}:{c.line}`" for c in matches[:10])
            return Decision("reject", f"{len(matches)} {req.rule} findings here ({places}): name one as "
                                      f"`/asyncguard false-positive {req.rule} path:line reason`.")
    found = matches[0]
    if actor in set(reported_by.get(found.fingerprint, ())):
        return Decision("duplicate", f"Already recorded: {found.rule} at `{found.path}:{found.line}`.")
    fb = Feedback(found.repo, found.pr, found.rule, found.fingerprint, found.code_hash, found.path, found.line,
                  found.message, actor, via, req.reason, found.snippet)
    return Decision("record", f"Recorded {found.rule} at `{found.path}:{found.line}` as a false positive"
                              + (f" ({req.reason})" if req.reason else "")
                              + ". asyncguard will not post it again on this pull request; thank you.", fb)


def from_reactions(
    ours: Mapping[int, str],
    thumbs_down: Mapping[int, Sequence[str]],
    candidates: Sequence[SeenFinding],
    reported_by: Mapping[str, Iterable[str]],
) -> list[Feedback]:
    """👎 on our review comments (comment id -> fingerprint) -> new reports, one per person and finding."""
    by_fp = {c.fingerprint: c for c in candidates}
    out = []
    for comment_id, fp in ours.items():
        found = by_fp.get(fp)
        if found is None:
            continue
        already = set(reported_by.get(fp, ()))
        for login in thumbs_down.get(comment_id, ()):
            if login in already or login.endswith("[bot]"):
                continue
            already.add(login)
            out.append(Feedback(found.repo, found.pr, found.rule, fp, found.code_hash, found.path, found.line,
                                found.message, login, "reaction", "", found.snippet))
    return out


def snippet(source: str, line: int, context: int = SNIPPET_CONTEXT) -> str | None:
    """The finding's lines with a little context, comments dropped and every string literal emptied.

    For must-not-flag tests the shape of the code matters, never its data: a literal may hold a
    password or a token, so none survives. None when the source does not tokenize.
    """
    lines = source.splitlines(keepends=True)
    if not 1 <= line <= len(lines):
        return None
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    edits: dict[int, list[tuple[int, int, str]]] = {}
    for (r0, c0), (r1, c1), replacement in _literal_spans(toks):
        if r0 == r1:
            edits.setdefault(r0, []).append((c0, c1, replacement))
            continue
        edits.setdefault(r0, []).append((c0, len(lines[r0 - 1].rstrip("\r\n")), replacement))
        for n in range(r0 + 1, r1 + 1):
            edits.setdefault(n, []).append((0, c1 if n == r1 else len(lines[n - 1].rstrip("\r\n")), ""))
    lo, hi = max(1, line - context), min(len(lines), line + context)
    out = []
    for n in range(lo, hi + 1):
        text = lines[n - 1].rstrip("\r\n")
        for a, b, rep in sorted(edits.get(n, []), reverse=True):
            text = text[:a] + rep + text[b:]
        out.append(text.rstrip())
    return "\n".join(out)


Span = tuple[tuple[int, int], tuple[int, int], str]


def _literal_spans(toks: Sequence[tokenize.TokenInfo]) -> list[Span]:
    """Where the comments and string literals (a whole f-string, nested ones included) are."""
    start = getattr(token, "FSTRING_START", -1)
    end = getattr(token, "FSTRING_END", -1)
    out: list[Span] = []
    depth, opened = 0, (0, 0)
    prefix = ""
    for t in toks:
        if t.type == start:
            if depth == 0:
                opened, prefix = t.start, _empty_literal(t.string + t.string.lstrip("rRbBfFuU"))
            depth += 1
        elif t.type == end:
            depth -= 1
            if depth == 0:
                out.append((opened, t.end, prefix))
        elif depth == 0 and t.type == token.STRING:
            out.append((t.start, t.end, _empty_literal(t.string)))
        elif depth == 0 and t.type == tokenize.COMMENT:
            out.append((t.start, t.end, ""))
    return out


def _empty_literal(text: str) -> str:
    """`b'secret'` -> `b''`, `f"{x}"` parts -> nothing but the quotes; prefixes and quotes kept."""
    m = re.match(r"^([A-Za-z]*)('''|\"\"\"|'|\")", text)
    if not m:
        return ""
    prefix, quote = m.groups()
    return f"{prefix}{quote}{quote}"
