"""Parse `/asyncguard <command> [args]` lines out of a PR comment.

Robust to case and extra spaces, several commands in one comment, and text that merely quotes a
command: fenced code blocks, indented code, inline code, HTML comments and `>` quoted lines are ignored.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from asyncguard.bot.governance.repo_config import COMMANDS

_TRIGGER = re.compile(r"^\s{0,3}/asyncguard\b(?P<rest>.*)$", re.IGNORECASE)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Command:
    name: str  # lower-case; may be unknown (checked by `known`)
    args: str  # the rest of the line, stripped, case kept (reasons, rule codes)
    line: str  # the original line, for replies

    @property
    def known(self) -> bool:
        return self.name in COMMANDS

    @property
    def key(self) -> tuple[str, str]:
        """Identity used to tell an edit that adds a command from one that only reworded text."""
        return (self.name, " ".join(self.args.split()).lower())

    def suggestion(self) -> str | None:
        close = difflib.get_close_matches(self.name, COMMANDS, n=1, cutoff=0.6)
        return close[0] if close else None


def _live_lines(body: str) -> list[str]:
    """Lines outside fenced blocks, indented code and block quotes."""
    out: list[str] = []
    fence: str | None = None
    body = _HTML_COMMENT.sub("", body)  # hidden text (PR templates) is not something anyone asked for
    for raw in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = _FENCE.match(raw)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        if raw.lstrip().startswith(">") or raw.startswith(("    ", "\t")):
            continue
        out.append(raw)
    return out


def parse_commands(body: str | None) -> list[Command]:
    """Every command in the comment, in order; `/asyncguard` alone means `help`."""
    if not body:
        return []
    found: list[Command] = []
    for line in _live_lines(body):
        m = _TRIGGER.match(line)  # at line start only: a mention inside prose or `code` is not a command
        if not m:
            continue
        rest = m.group("rest")
        if rest and not rest[0].isspace():  # "/asyncguardx" or "/asyncguard-foo": not ours
            continue
        words = rest.split(None, 1)
        if not words:
            found.append(Command("help", "", line.strip()))
            continue
        name = words[0].lower().rstrip(":,.")
        args = words[1].strip().strip("`").strip() if len(words) > 1 else ""
        found.append(Command(name, args, line.strip()))
    return found


def new_commands(old_body: str | None, new_body: str | None) -> list[Command]:
    """Commands in an edited comment that were not already in its previous text."""
    seen = {c.key for c in parse_commands(old_body)}
    return [c for c in parse_commands(new_body) if c.key not in seen]
