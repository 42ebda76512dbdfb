"""Which .py files a run reports on: the paths given, minus tool folders and `exclude` globs.

Walks without following directory symlinks (a symlink loop cannot trap it) and tolerates files
vanishing while it walks; a path the user named that does not exist is a clear error.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".env",
        "env",
        "node_modules",
        "build",
        "dist",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".asyncguard_cache",
        ".eggs",
        "site-packages",
    }
)


class DiscoveryError(ValueError):
    """A path the user named is unusable; the message is for the user as it is."""


@dataclass
class Discovered:
    files: list[Path] = field(default_factory=list)  # absolute, sorted, unique
    notes: list[str] = field(default_factory=list)  # things skipped, worth a line in the report


def relpath(root: Path, path: Path) -> str:
    """POSIX path of `path` relative to `root` (as findings carry it)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, root)).as_posix()


def is_excluded(rel: str, patterns: Iterable[str]) -> bool:
    """A glob matches the whole relative path, a leading folder of it, or (without `/`) any part."""
    parts = rel.split("/")
    for pat in patterns:
        pat = pat.strip().rstrip("/")
        if not pat:
            continue
        if pat.startswith("./"):
            pat = pat[2:]
        if fnmatch.fnmatchcase(rel, pat) or fnmatch.fnmatchcase(rel, pat + "/*"):
            return True
        if "/" not in pat and any(fnmatch.fnmatchcase(part, pat) for part in parts):
            return True
        prefixes = ("/".join(parts[:i]) for i in range(1, len(parts)))
        if any(fnmatch.fnmatchcase(prefix, pat) for prefix in prefixes):
            return True
    return False


def is_python_file(path: Path) -> bool:
    """A `.py` file, or a script whose shebang names python (pre-commit's `types: [python]` passes those)."""
    if path.suffix == ".py":
        return True
    if path.suffix:
        return False
    try:
        with path.open("rb") as fh:
            first = fh.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def discover(root: Path, paths: Sequence[Path], exclude: Iterable[str] = ()) -> Discovered:
    """The .py files under `paths` (files named explicitly are kept even if a folder rule would skip them)."""
    root = root.resolve()
    patterns = tuple(exclude)
    out = Discovered()
    seen: set[Path] = set()
    for given in paths or [root]:
        path = Path(given)
        if not path.is_absolute():
            path = Path.cwd() / path
        if not os.path.lexists(path):
            raise DiscoveryError(f"{given}: no such file or directory")
        if path.is_symlink() and not path.exists():
            out.notes.append(f"{given}: broken or looping symlink, skipped")
            continue
        if path.is_file():
            if is_python_file(path):
                _add(out, seen, root, path.absolute(), patterns)
            else:
                out.notes.append(f"{given}: not a Python file, skipped")
        elif path.is_dir():
            for file in _walk(path, root, patterns, out):
                _add(out, seen, root, file, patterns)
        else:
            raise DiscoveryError(f"{given}: not a regular file or directory")
    out.files.sort()
    return out


def _add(out: Discovered, seen: set[Path], root: Path, path: Path, patterns: tuple[str, ...]) -> None:
    key = Path(os.path.normpath(path))
    if key in seen:
        return
    # `exclude` applies to named files too: pre-commit passes file names, and an excluded
    # generated file must stay excluded there (the built-in tool folders only skip walks).
    if is_excluded(relpath(root, key), patterns):
        return
    seen.add(key)
    out.files.append(key)


def _walk(top: Path, root: Path, patterns: tuple[str, ...], out: Discovered) -> Iterable[Path]:
    def onerror(err: OSError) -> None:
        out.notes.append(f"{err.filename}: cannot read folder ({err.strerror}), skipped")

    for dirpath, dirnames, filenames in os.walk(top, onerror=onerror, followlinks=False):
        base = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            if d in SKIP_DIRS or d.startswith(".") or d.endswith(".egg-info"):
                continue  # tool folders, and dot-folders (.idea, .tox, .nox): not the project's code
            if is_excluded(relpath(root, base / d), patterns):
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            file = base / name
            if file.is_symlink() and not file.exists():
                out.notes.append(f"{relpath(root, file)}: broken or looping symlink, skipped")
                continue
            if not file.is_file():  # a FIFO or device named .py would block the reader forever
                out.notes.append(f"{relpath(root, file)}: not a regular file, skipped")
                continue
            yield file
