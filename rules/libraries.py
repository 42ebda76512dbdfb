"""Installed third-party libraries, read on demand so calls into them resolve like project calls.

Which of `session.execute_command()` or `pool.acquire()` is async is written in the library's own
source (or its `.pyi` stub). The analyzer reads only the modules a resolution actually reaches,
never imports them, and never reports findings inside them.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable
from pathlib import Path

from asyncguard.rules.summary import ModuleSummary, summarize

MAX_LIBRARY_FILE = 2 * 1024 * 1024


def site_packages_of(python: Path) -> list[Path]:
    """The site-packages folders of an interpreter, read from its prefix's layout.

    Never runs the interpreter: the bot analyzes code it must not execute, and a config naming
    an "interpreter" must not become a way to run something.
    """
    env = Path(python).parent.parent
    return (sorted(env.glob("lib/python3*/site-packages")) + sorted(env.glob("lib/python3*/dist-packages"))
            + sorted(env.glob("Lib/site-packages")))


def find_library_paths(root: Path, python: str | None = None) -> list[Path]:
    """Where the project's dependencies are installed: `python` if given, else a venv in or for root."""
    if python:
        interpreter = Path(python)
        return site_packages_of(interpreter if interpreter.is_absolute() else root / interpreter)
    candidates = [root / ".venv", root / "venv"]
    active = os.environ.get("VIRTUAL_ENV")
    if active and Path(active).resolve().is_relative_to(root):
        candidates.insert(0, Path(active))
    for env in candidates:
        interpreter = env / "bin" / "python"
        if interpreter.exists():
            return site_packages_of(interpreter)
    return []


def module_file(paths: list[Path], module: str) -> tuple[Path, bool] | None:
    """The file defining `module` in the library paths (a `.pyi` stub preferred), and is-package."""
    rel = Path(*module.split("."))
    for base in paths:
        for candidate, is_package in (
            (base / rel / "__init__.pyi", True),
            (base / rel / "__init__.py", True),
            (base / rel.with_suffix(".pyi"), False),
            (base / rel.with_suffix(".py"), False),
        ):
            if candidate.is_file():
                return candidate, is_package
        stubs = base / f"{rel.parts[0]}-stubs" / Path(*rel.parts[1:])
        for candidate, is_package in ((stubs / "__init__.pyi", True), (stubs.with_suffix(".pyi"), False)):
            if len(rel.parts) > 1 and candidate.is_file():
                return candidate, is_package
    return None


LibraryCache = dict[str, tuple[int, int, ModuleSummary | None]]


def make_loader(paths: list[Path], cache: LibraryCache) -> Callable[[str], ModuleSummary | None]:
    """A loader for ProjectIndex.library_loader; `cache` (path -> mtime, size, summary) is kept by the caller."""

    def load(module: str) -> ModuleSummary | None:
        found = module_file(paths, module)
        if found is None:
            return None
        path, is_package = found
        try:
            st = path.stat()
        except OSError:
            return None
        key = str(path)
        hit = cache.get(key)
        if hit is not None and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
            return hit[2]
        summary: ModuleSummary | None = None
        if st.st_size <= MAX_LIBRARY_FILE:
            try:
                tree = ast.parse(path.read_bytes(), filename=key)
                summary = summarize(tree, module, key, is_package)
            except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
                summary = None
        cache[key] = (st.st_mtime_ns, st.st_size, summary)
        return summary

    return load
