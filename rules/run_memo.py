"""The last whole-project run's answer, reused when nothing it depended on has changed.

A warm run with no change still unpickles every module summary to rebuild the index, although
every finding then comes from the cache. When the caller needs only the findings (a whole-project
`asyncguard check`, the pre-commit hook on `--all-files`), the same files with the same stats,
configuration and library files give the same findings: this small file holds them, keyed by all
of that, so such a run reads one short pickle instead of the index.

The key covers: the cache format, the rule configuration (and severities), the root, the library
folders, and every project file's path, mtime and size. The library modules the findings consulted
are checked again by their own stat. Anything else is a miss, and the run proceeds as before.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from asyncguard.rules.model import Finding

MEMO_VERSION = 1


@dataclass(frozen=True)
class Memo:
    key: str
    findings: list[Finding]
    files: list[str]
    notes: list[str]
    libraries: dict[str, str]  # library module -> its fingerprint when the findings were made


def memo_path(cache_dir: Path, cache_version: int) -> Path:
    return cache_dir / f"run-v{cache_version}.{MEMO_VERSION}.pickle"


def run_key(parts: Iterable[object], files: Iterable[tuple[str, int, int]]) -> str:
    """A digest of the run's inputs: `parts` (configuration, root, library folders) and every
    project file as (relative path, mtime_ns, size)."""
    digest = hashlib.sha256(repr(tuple(parts)).encode())
    for rel, mtime, size in files:
        digest.update(f"\0{rel}\0{mtime}\0{size}".encode())
    return digest.hexdigest()


def load(path: Path, key: str) -> Memo | None:
    """The memo for exactly this key, or None (absent, another key, unreadable)."""
    try:
        with path.open("rb") as fh:
            memo = pickle.load(fh)
    except Exception:  # absent, corrupt or from another version: just not reused
        return None
    return memo if isinstance(memo, Memo) and memo.key == key else None


def still_current(memo: Memo, fingerprint: Callable[[str], str]) -> bool:
    """Whether every library module the findings consulted still has its fingerprint."""
    return all(fingerprint(module) == fp for module, fp in memo.libraries.items())


def save(path: Path, memo: Memo) -> None:
    """Written atomically; a failure only means the next run does not reuse it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".run-{os.getpid()}-{os.urandom(4).hex()}"
        with tmp.open("wb") as fh:
            pickle.dump(memo, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass
