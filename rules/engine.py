"""Run the analyzer over a project: index every module, then check the files asked for.

Pure: source in, findings out. The on-disk cache keeps each file's summary (keyed by content
hash) and its findings together with the summaries they depended on, so an unchanged tree is
re-checked without parsing, and one edited file re-checks only itself and the files whose
resolution consulted it.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import importlib.util
import os
import pickle
import stat
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rules.blocking import BlockingAnalysis
from rules.checker import ModuleChecker
from rules.index import GLOBAL_CALLS, GLOBAL_CLASSES, ProjectIndex, module_name_for
from rules.libraries import LibraryCache, find_library_paths, make_loader, module_file
from rules.model import Finding, Severity
from rules.registry import RULES
from rules.summary import ModuleSummary, summarize
from rules.walk import ScopeInfo, walk_module

CACHE_VERSION = 5
MAX_FILE_BYTES = 2 * 1024 * 1024  # larger .py files are generated code: reported (AG000) and skipped
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
                       "build", "dist", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".asyncguard_cache",
                       "site-packages", ".eggs"})


@dataclass(frozen=True)
class RuleConfig:
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    extend_select: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    blocking_calls: tuple[str, ...] = ()
    async_callables: tuple[str, ...] = ()
    # Installed libraries are read to resolve calls into them: the interpreter whose site-packages
    # to read (default: a .venv/venv in the project root), or libraries=False to read none.
    python: str | None = None
    libraries: bool = True

    def enabled_codes(self) -> set[str]:
        if self.select is not None:
            codes = {c for c in RULES if any(c.startswith(s) for s in self.select)}
        else:
            codes = {c for c, r in RULES.items() if r.default_enabled}
        codes |= {c for c in RULES if any(c.startswith(s) for s in self.extend_select)}
        codes -= {c for c in RULES if any(c.startswith(s) for s in self.ignore)}
        return codes

    def cache_key(self) -> str:
        data = repr((sorted(self.enabled_codes()), sorted(self.blocking_calls), sorted(self.async_callables),
                     self.python, self.libraries))
        return hashlib.sha1(data.encode()).hexdigest()


@dataclass
class AnalysisResult:
    findings: list[Finding]
    index: ProjectIndex
    files: list[str]  # relative POSIX paths of the files reported on
    notes: list[str] = field(default_factory=list)  # problems that are not findings (unreadable files)
    reused: int = 0  # files whose findings came from the cache


@dataclass
class _FileEntry:
    mtime_ns: int
    size: int
    sha: str
    module: str
    summary: ModuleSummary | None
    error: tuple[int, int, str] | None  # (line, column, message) of AG000


def discover_python_files(root: Path) -> list[Path]:
    """Every .py file under root, skipping virtualenvs, VCS and build folders; symlink-loop safe."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(filenames):
            if name.endswith(".py"):
                path = Path(dirpath) / name
                try:
                    if stat.S_ISREG(path.stat().st_mode):  # not a FIFO or device named *.py
                        out.append(path)
                except OSError:
                    out.append(path)  # dangling link, loop: reported when read
    return out


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _decode(data: bytes) -> str:
    """Source text as Python itself decodes it (BOM, PEP 263 coding cookie)."""
    if b"\0" in data:
        raise ValueError("binary file (contains NUL bytes)")
    return importlib.util.decode_source(data)


class _Cache:
    def __init__(self, directory: Path | None, config_key: str) -> None:
        self.path = directory / f"index-v{CACHE_VERSION}.pickle" if directory else None
        self.files: dict[str, _FileEntry] = {}
        self.findings: dict[str, tuple[str, dict[str, str], list[Finding]]] = {}
        self.libs: LibraryCache = {}
        self.config_key = config_key
        self.dirty = False
        if self.path is None or not self.path.exists():
            return
        try:
            with self.path.open("rb") as fh:
                data = pickle.load(fh)
            if data.get("version") == CACHE_VERSION:
                self.files = data["files"]
                self.libs = data.get("libs", {})
                if data.get("config_key") == config_key:
                    self.findings = data["findings"]
        except Exception:  # a corrupt or foreign cache is simply rebuilt
            self.files, self.findings = {}, {}

    def save(self) -> str | None:
        if self.path is None or not self.dirty:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# created by asyncguard\n*\n")
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".index-")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump({"version": CACHE_VERSION, "config_key": self.config_key, "files": self.files,
                             "findings": self.findings, "libs": self.libs}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError as exc:
            return f"cache not written ({exc.strerror or exc})"
        return None


def _summary_fingerprint(entry: _FileEntry) -> str:
    return entry.sha + ("!" if entry.summary is None else "")


def analyze(
    root: Path,
    files: Sequence[Path] | None = None,
    config: RuleConfig | None = None,
    cache_dir: Path | None = None,
    index_files: Iterable[Path] | None = None,
) -> AnalysisResult:
    """Index every module under `root`, then report on `files` (default: all of them)."""
    # Millions of short-lived AST nodes and no reference cycles worth collecting: the cyclic GC
    # would re-scan them over and over (3x slower on large trees), so it pauses for the run.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze(root, files, config, cache_dir, index_files)
    finally:
        if was_enabled:
            gc.enable()


def _analyze(
    root: Path,
    files: Sequence[Path] | None,
    config: RuleConfig | None,
    cache_dir: Path | None,
    index_files: Iterable[Path] | None,
) -> AnalysisResult:
    config = config or RuleConfig()
    root = root.resolve()
    all_files = [p if p.is_absolute() else (root / p) for p in (index_files or discover_python_files(root))]
    report_paths = [p.resolve() if not p.is_absolute() else p for p in files] if files is not None else None
    report_set = set(report_paths) if report_paths is not None else None
    if report_paths is not None:
        known = set(all_files)
        all_files.extend(p for p in report_paths if p not in known)
    cache = _Cache(cache_dir, config.cache_key())
    index = ProjectIndex(extra_async=frozenset(config.async_callables))
    index.root = root
    library_paths = find_library_paths(root, config.python) if config.libraries else []
    if library_paths:
        libs_before = len(cache.libs)
        index.library_loader = make_loader(library_paths, cache.libs)
    notes: list[str] = []
    entries: dict[str, _FileEntry] = {}
    texts: dict[str, str] = {}
    trees: dict[str, tuple[ast.Module, tuple[ScopeInfo, dict[int, ast.AST]]]] = {}

    # Module names for every project file, in a stable order (a duplicate name gets "@path").
    name_of: dict[Path, str] = {}
    path_of: dict[str, Path] = {}
    plain_of: dict[Path, tuple[str, bool]] = {}  # the name as the file's own imports see it
    for path in sorted(set(all_files)):
        plain_of[path] = module_name_for(root, path)
        name = plain_of[path][0]
        if name in path_of:
            name = f"{name}@{_rel(root, path)}"
        name_of[path] = name
        path_of[name] = path

    def load(path: Path) -> None:
        """Read (or take from the cache) one file's summary and add it to the index."""
        rel = _rel(root, path)
        if rel in entries:
            return
        try:
            st = path.stat()
        except OSError as exc:
            notes.append(f"{rel}: cannot read ({exc.strerror or exc})")
            return
        cached = cache.files.get(rel)
        if cached is not None and cached.mtime_ns == st.st_mtime_ns and cached.size == st.st_size:
            entry = cached
        else:
            checked = report_set is None or path in report_set
            fresh = _read_and_summarize(path, rel, plain_of[path], st, cached, texts, trees, notes, checked)
            if fresh is None:
                return
            entry = fresh
            cache.files[rel] = entry
            cache.dirty = True
        if entry.module != name_of[path]:
            entry = replace(entry, module=name_of[path])
        entries[rel] = entry
        if entry.summary is not None:
            summary = entry.summary
            if summary.name != entry.module:
                summary = replace(summary, name=entry.module)
            index.add(summary)

    if report_paths is None:
        for path in all_files:
            load(path)
    else:
        # The files reported on, then what they import, transitively: a check of `pkg/` never
        # reads `tests/`. The rest is read only when asked for (callers of a changed function).
        for path in report_paths:
            load(path)
        pending = [m for e in list(entries.values()) if e.summary for m in e.summary.references]
        while pending:
            wanted = path_of.get(pending.pop())
            if wanted is None or _rel(root, wanted) in entries:
                continue
            load(wanted)
            found = entries.get(_rel(root, wanted))
            if found is not None and found.summary is not None:
                pending.extend(found.summary.references)

        def load_rest() -> None:
            for path in all_files:
                load(path)

        index.load_rest = load_rest
    for gone in set(cache.files) - set(entries):
        if not (root / gone).exists():
            del cache.files[gone]
            cache.findings.pop(gone, None)
            cache.dirty = True

    fingerprints: dict[str, str] = {e.module: _summary_fingerprint(e) for e in entries.values()}

    def fingerprint(module: str) -> str | None:
        if module == GLOBAL_CLASSES:
            return index.class_table_fingerprint()
        if module == GLOBAL_CALLS:
            return index.calls_fingerprint()
        if module in fingerprints or not library_paths:
            return fingerprints.get(module)
        found = module_file(library_paths, module)
        if found is None:
            return "missing"
        try:
            st = found[0].stat()
        except OSError:
            return "missing"
        fingerprints[module] = f"{found[0]}:{st.st_mtime_ns}:{st.st_size}"
        return fingerprints[module]

    blocking = BlockingAnalysis(index, config.blocking_calls)
    enabled = config.enabled_codes()
    findings: list[Finding] = []
    reported: list[str] = []
    reused = 0
    targets = [_rel(root, p) for p in report_paths] if report_paths is not None else list(entries)
    for rel in targets:
        if rel not in entries:
            continue
        entry = entries[rel]
        reported.append(rel)
        if entry.error is not None:
            if "AG000" in enabled:
                line, col, msg = entry.error
                rule = RULES["AG000"]
                findings.append(Finding("AG000", rule.name, msg, rel, line, col, line, col, rule.severity))
            continue
        hit = cache.findings.get(rel)
        if hit is not None and hit[0] == entry.sha and all(fingerprint(m) == fp for m, fp in hit[1].items()):
            findings.extend(hit[2])
            reused += 1
            continue
        parsed = trees.get(rel)
        text = texts.get(rel)
        if parsed is None or text is None:
            try:
                text = _decode((root / rel).read_bytes())
                tree = ast.parse(text, filename=rel)
            except (OSError, SyntaxError, ValueError, UnicodeDecodeError) as exc:
                notes.append(f"{rel}: changed or vanished during the run ({exc})")
                continue
            parsed = (tree, walk_module(tree))
        index.touched = {entry.module}
        checker = ModuleChecker(index, blocking, entry.module, rel, parsed[0], text.splitlines(), enabled,
                                parsed[1])
        file_findings = checker.run()
        deps = {m: fp for m in index.touched if (fp := fingerprint(m)) is not None}
        cache.findings[rel] = (entry.sha, deps, file_findings)
        cache.dirty = True
        findings.extend(file_findings)
    if library_paths and len(cache.libs) != libs_before:
        cache.dirty = True
    problem = cache.save()
    if problem:
        notes.append(problem)
    if config.severity:
        findings = [replace(f, severity=config.severity.get(f.code, f.severity)) for f in findings]
    findings.sort(key=lambda f: f.sort_key)
    return AnalysisResult(findings=findings, index=index, files=reported, notes=notes, reused=reused)


def _read_and_summarize(
    path: Path,
    rel: str,
    name: tuple[str, bool],
    st: os.stat_result,
    cached: _FileEntry | None,
    texts: dict[str, str],
    trees: dict[str, tuple[ast.Module, tuple[ScopeInfo, dict[int, ast.AST]]]],
    notes: list[str],
    checked: bool = True,
) -> _FileEntry | None:
    module, is_package = name
    if not stat.S_ISREG(st.st_mode):
        notes.append(f"{rel}: skipped, not a regular file")
        return None
    if st.st_size > MAX_FILE_BYTES:
        return _FileEntry(st.st_mtime_ns, st.st_size, f"size:{st.st_size}", module, None,
                          (1, 1, f"file skipped: {st.st_size / 1e6:.1f} MB is over the "
                                 f"{MAX_FILE_BYTES // 1_000_000} MB limit for a source file (generated code?)"))
    try:
        data = path.read_bytes()
    except OSError as exc:
        notes.append(f"{rel}: cannot read ({exc.strerror or exc})")
        return None
    sha = hashlib.sha1(data).hexdigest()
    if cached is not None and cached.sha == sha:
        return replace(cached, mtime_ns=st.st_mtime_ns, size=st.st_size)
    try:
        text = _decode(data)
    except (UnicodeDecodeError, SyntaxError, ValueError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) and "NUL" in str(exc) else (
            f"not valid text in its declared encoding ({exc})")
        return _FileEntry(st.st_mtime_ns, st.st_size, sha, module, None, (1, 1, f"cannot decode: {reason}"))
    try:
        tree = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        line = exc.lineno or 1
        col = exc.offset or 1
        return _FileEntry(st.st_mtime_ns, st.st_size, sha, module, None,
                          (line, col, f"syntax error: {exc.msg}"))
    except (ValueError, RecursionError, MemoryError) as exc:
        return _FileEntry(st.st_mtime_ns, st.st_size, sha, module, None, (1, 1, f"cannot parse: {exc}"))
    walked = walk_module(tree, full=checked)
    summary = summarize(tree, module, rel, is_package, walked[0])
    if checked:  # kept for the rules; files only indexed are let go at once
        texts[rel] = text
        trees[rel] = (tree, walked)
    return _FileEntry(st.st_mtime_ns, st.st_size, sha, module, summary, None)
