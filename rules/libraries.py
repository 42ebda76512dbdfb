"""Installed third-party libraries, read on demand so calls into them resolve like project calls.

Which of `session.execute_command()` or `pool.acquire()` is async is written in the library's own
source (or its `.pyi` stub). The analyzer reads only the modules a resolution actually reaches,
never imports them, and never reports findings inside them.
"""

from __future__ import annotations

import ast
import functools
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


# The standard library's async packages, read from their stubs. The rest of the standard library
# is the catalog's (blocking calls, `cast`, the typing protocols and ABCs it models by name):
# parsing `os`, `logging` or `typing` stubs on every cold run would cost more than it tells.
STDLIB_READ = frozenset({"asyncio", "concurrent", "contextlib"})


@functools.lru_cache(maxsize=1)
def stdlib_stubs() -> Path | None:
    """typeshed's standard-library stubs, as shipped in `typeshed_client` (the folder, not its API:
    the index reads stubs with the same summarizer as every other module; see STDLIB_READ)."""
    import importlib.util  # here, not in the shared import block

    # Found, not imported: the package's own modules are never used, and importing them costs
    # every run. Optional at run time: the analyzer works without it.
    spec = importlib.util.find_spec("typeshed_client")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "typeshed"
    return folder if (folder / "VERSIONS").is_file() else None


def find_library_paths(root: Path, python: str | None = None) -> list[Path]:
    """Where the project's dependencies are installed (`python` if given, else a venv in or for
    root), then the standard library's stubs: `asyncio.Lock`, `contextlib.AsyncExitStack`, a
    `asyncio.Protocol` base are types like any library's."""
    return _site_packages(root, python) + [p for p in (stdlib_stubs(),) if p is not None]


def _site_packages(root: Path, python: str | None) -> list[Path]:
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
    stdlib = stdlib_stubs()
    for base in paths:
        if base == stdlib and rel.parts[0] not in STDLIB_READ:
            continue
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


def make_mentions(paths: list[Path]) -> Callable[[str, str], bool]:
    """Whether a library module's text could define `name` (it mentions it, or re-exports with `*`).

    Asked before a star import is parsed to look for one name: `asyncio/__init__.pyi` star-imports
    thirty stubs, and a search for one name should parse the one that has it, not all of them.
    """
    texts: dict[str, bytes] = {}

    def mentions(module: str, name: str) -> bool:
        text = texts.get(module)
        if text is None:
            found = module_file(paths, module)
            try:
                text = found[0].read_bytes() if found is not None else b""
            except OSError:
                text = b""
            texts[module] = text
        return name.encode() in text or b"import *" in text

    return mentions
