"""Glob matching for `interface_paths` (`src/api/**`), with `**` crossing directories and `*` not.

`fnmatch` lets `*` match `/`, which would make `src/*.py` govern `src/deep/x.py` too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    pat = pattern.strip().lstrip("/")
    if pat.endswith("/"):
        pat += "**"
    out: list[str] = []
    i = 0
    while i < len(pat):
        ch = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif ch == "*":
            out.append("[^/]*")
            i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(ch))
            i += 1
    return re.compile("".join(out) + r"\Z")


def path_matches(path: str, patterns: Iterable[str]) -> bool:
    """True when the POSIX `path` matches any glob; an empty pattern list matches every path."""
    pats = list(patterns)
    if not pats:
        return True
    clean = path.replace("\\", "/").removeprefix("./")
    return any(_compile(p).match(clean) for p in pats)
