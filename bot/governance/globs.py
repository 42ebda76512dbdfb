"""Glob matching for `interface_paths` (`src/api/**`), with `**` crossing directories and `*` not.

`fnmatch` lets `*` match `/`, which would make `src/*.py` govern `src/deep/x.py` too. The glob
syntax is the checklist's (checks.checklist.glob_regex), so a repository's globs mean the same
thing in `interface_paths` and in `checklist` conditions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from asyncguard.checks.checklist import glob_regex


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    pat = pattern.strip().lstrip("/")
    if pat.endswith("/"):
        pat += "**"
    return glob_regex(pat)


def path_matches(path: str, patterns: Iterable[str]) -> bool:
    """True when the POSIX `path` matches any glob; an empty pattern list matches every path."""
    pats = list(patterns)
    if not pats:
        return True
    clean = path.replace("\\", "/").removeprefix("./")
    return any(_compile(p).fullmatch(clean) for p in pats)
