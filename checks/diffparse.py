"""Unified diffs (from git or the GitHub API) to the lines each file gained.

`added_lines` are the right-side lines a change wrote; `hunk_lines` every right-side line inside a
hunk (added or context), which is where GitHub accepts review comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}


@dataclass
class FileDiff:
    added_lines: set[int] = field(default_factory=set)
    hunk_lines: set[int] = field(default_factory=set)
    new_file: bool = False
    old_path: str | None = None  # set on renames


def _unquote(raw: str) -> str:
    """git's C-style quoting of unusual paths: `"a/sp\\303\\244ce.py"`."""
    raw = raw.rstrip("\t\n")
    if not (raw.startswith('"') and raw.endswith('"') and len(raw) >= 2):
        return raw.split("\t")[0]
    body = raw[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and i + 3 < len(body) + 1 and re.fullmatch(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out.extend(_ESCAPES.get(nxt, nxt).encode())
            i += 2
            continue
        out.extend(ch.encode())
        i += 1
    return out.decode("utf-8", "replace")


def _strip_prefix(path: str) -> str | None:
    if path == "/dev/null":
        return None
    if path[:2] in ("a/", "b/", "i/", "w/", "c/", "o/"):
        return path[2:]
    return path


def _lines(text: str) -> list[str]:
    """Only `\n` ends a line in a diff (str.splitlines would also cut at \f, \v, U+2028, ...)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def parse_patch(patch: str, new_file: bool = False, old_path: str | None = None) -> FileDiff:
    """The hunks of ONE file (GitHub's `patch` field): the path stays data and is never parsed."""
    header = "--- /dev/null\n" if new_file else "--- a/f\n"
    parsed = parse_unified_diff(f"{header}+++ b/f\n{patch}")
    diff = parsed.get("f", FileDiff())
    diff.new_file = new_file
    diff.old_path = old_path
    return diff


def parse_unified_diff(text: str) -> dict[str, FileDiff]:
    """Path (right side, POSIX, relative) -> FileDiff. Deleted and binary files are left out."""
    files: dict[str, FileDiff] = {}
    current: FileDiff | None = None
    old_path: str | None = None
    new_file = False
    right = 0
    left_left = right_left = 0  # lines of the current hunk still to come on each side
    for line in _lines(text):
        if (left_left > 0 or right_left > 0) and line[:1] in (" ", "+", "-", "\\", ""):
            tag = line[:1]
            sink = current if current is not None else FileDiff()  # deleted file: count, keep nothing
            if tag == "+":
                sink.added_lines.add(right)
                sink.hunk_lines.add(right)
                right += 1
                right_left -= 1
            elif tag in (" ", ""):
                sink.hunk_lines.add(right)
                right += 1
                right_left -= 1
                left_left -= 1
            elif tag == "-":
                left_left -= 1
            continue  # "\ No newline at end of file" moves neither side
        left_left = right_left = 0
        if line.startswith("diff --git "):
            current, old_path, new_file = None, None, False
        elif line.startswith("new file mode"):
            new_file = True
        elif line.startswith("--- "):
            old_path = _strip_prefix(_unquote(line[4:]))
        elif line.startswith("+++ "):
            path = _strip_prefix(_unquote(line[4:]))
            if path is None:
                current = None  # deleted file: no right side
                continue
            current = files.setdefault(path, FileDiff())
            current.new_file = new_file or old_path is None
            if old_path is not None and old_path != path:
                current.old_path = old_path
        elif m := _HUNK.match(line):
            left_left = int(m.group(1)) if m.group(1) is not None else 1
            right = int(m.group(2))
            right_left = int(m.group(3)) if m.group(3) is not None else 1
    return files
