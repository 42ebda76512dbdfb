"""Run the analyzer over a project: index every module, then check the files asked for.

Pure: source in, findings out. The on-disk cache keeps each file's summary (keyed by content
hash) and its findings together with the summaries they depended on, so an unchanged tree is
re-checked without parsing, and one edited file re-checks only itself and the files whose
resolution consulted it.
"""

from __future__ import annotations

import ast
import functools
import gc
import hashlib
import importlib.util
import os
import pickle
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from asyncguard.rules import run_memo
from asyncguard.rules.blocking import BlockingAnalysis
from asyncguard.rules.checker import ModuleChecker
from asyncguard.rules.index import ProjectIndex, module_name_for, namespace_module_name
from asyncguard.rules.libraries import (
    LibraryCache,
    find_library_paths,
    make_loader,
    make_mentions,
    module_file,
)
from asyncguard.rules.model import Finding, Severity
from asyncguard.rules.parallel import Worker, WorkerLost, available_jobs
from asyncguard.rules.registry import RULES
from asyncguard.rules.summary import ModuleSummary, summarize
from asyncguard.rules.walk import ScopeInfo, walk_module

CACHE_VERSION = 15
# The cache keeps the files' entries as pickles of up to this many files each: a run that changed
# one file pickles its chunk again, not the whole project, and a cold run shared with a helper
# process writes the pickles the two processes already made to swap their summaries.
CHUNK_FILES = 128
MAX_FILE_BYTES = 2 * 1024 * 1024  # larger .py files are generated code: reported (AG000) and skipped
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
                       "build", "dist", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".asyncguard_cache",
                       "site-packages", ".eggs"})


def skipped_dir(name: str) -> bool:
    """Folders that are not the project's code: virtualenvs, VCS and build output, and every
    dot-folder (`.idea`, `.tox`, `.nox`, `.github`'s scripts are not what callers import)."""
    return name.startswith(".") or name in SKIP_DIRS or name.endswith(".egg-info")


@dataclass(frozen=True)
class RuleConfig:
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    extend_select: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    blocking_calls: tuple[str, ...] = ()
    async_callables: tuple[str, ...] = ()
    blocking_file_io: bool = False  # AG107 reports local-file I/O (`open()`, `Path.read_text()`) too
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
                     self.blocking_file_io, self.python, self.libraries))
        return hashlib.sha1(data.encode()).hexdigest()


@dataclass
class AnalysisResult:
    findings: list[Finding]
    index: ProjectIndex
    files: list[str]  # relative POSIX paths of the files reported on
    notes: list[str] = field(default_factory=list)  # problems that are not findings (unreadable files)
    reused: int = 0  # files whose findings came from the cache
    processes: int = 1  # 2 when a forked helper parsed and checked part of the files


@dataclass
class _FileEntry:
    mtime_ns: int
    size: int
    sha: str
    module: str
    summary: ModuleSummary | None
    error: tuple[int, int, str] | None  # (line, column, message) of AG000


def discover_python_files(root: Path) -> list[Path]:
    """Every .py file under root, skipping virtualenvs, VCS and build folders; symlink-loop safe.

    The order of os.walk (a folder's files, then its sub-folders, each sorted by name), from
    os.scandir: a regular file is known from its directory entry, without a stat of its own.
    """
    out: list[Path] = []

    def visit(directory: str) -> None:
        try:
            with os.scandir(directory) as it:
                found = list(it)
        except OSError:
            return
        subdirs: list[str] = []
        files: list[os.DirEntry[str]] = []
        for entry in found:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not skipped_dir(entry.name):
                    subdirs.append(entry.name)
            elif entry.name.endswith(".py"):
                files.append(entry)
        base = Path(directory)
        for entry in sorted(files, key=lambda e: e.name):
            path = base / entry.name
            try:
                if entry.is_symlink():
                    if stat.S_ISREG(path.stat().st_mode):
                        out.append(path)
                elif entry.is_file(follow_symlinks=False):  # not a FIFO or device named *.py
                    out.append(path)
            except OSError:
                out.append(path)  # dangling link, loop: reported when read
        for name in sorted(subdirs):
            child = os.path.join(directory, name)
            if not os.path.islink(child):  # followlinks=False
                visit(child)

    visit(str(root))
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


@functools.lru_cache(maxsize=1)
def analyzer_fingerprint() -> str:
    """The analyzer's own code, by the stat of its modules: an upgrade of asyncguard (or an edit of
    a checkout) makes every cached summary and finding stale, whatever CACHE_VERSION says."""
    here = Path(__file__).resolve().parent
    parts: list[str] = []
    for path in sorted(here.glob("*.py")):
        try:
            st = path.stat()
        except OSError:
            continue
        parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


class _Cache:
    def __init__(self, directory: Path | None, config_key: str) -> None:
        self.path = directory / f"index-v{CACHE_VERSION}.pickle" if directory else None
        self.files: dict[str, _FileEntry] = {}
        self.chunks: list[tuple[bytes, dict[str, _FileEntry]]] = []  # a pickle, and what it holds
        self.findings: dict[str, tuple[str, dict[str, str], list[Finding]]] = {}
        self.libs: LibraryCache = {}
        self.config_key = config_key
        self.dirty = False
        if self.path is None or not self.path.exists():
            return
        try:
            with self.path.open("rb") as fh:
                data = pickle.load(fh)
            if data.get("version") == CACHE_VERSION and data.get("analyzer") == analyzer_fingerprint():
                for blob in data["chunks"]:
                    self.add_chunk(blob, pickle.loads(blob))
                self.libs = data.get("libs", {})
                if data.get("config_key") == config_key:
                    self.findings = data["findings"]
        except Exception:  # a corrupt or foreign cache is simply rebuilt
            self.files, self.findings, self.chunks = {}, {}, []

    def add_chunk(self, blob: bytes, part: dict[str, _FileEntry]) -> None:
        """A pickle of `part` (made with _pickle_chunks), whose entries are or will be in self.files."""
        self.files.update(part)
        self.chunks.append((blob, part))

    def save(self) -> str | None:
        if self.path is None or not self.dirty:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# created by asyncguard\n*\n")
            # (not tempfile.mkstemp: importing tempfile costs more than this whole save on a warm run)
            tmp = self.path.parent / f".index-{os.getpid()}-{os.urandom(4).hex()}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            # A chunk whose entries are all still current is written as it was pickled.
            kept = [(blob, part) for blob, part in self.chunks
                    if all(self.files.get(rel) is entry for rel, entry in part.items())]
            covered = {rel for _, part in kept for rel in part}
            rest = _pickle_chunks({rel: e for rel, e in self.files.items() if rel not in covered})
            self.chunks = kept + rest
            with os.fdopen(fd, "wb") as fh:
                pickle.dump({"version": CACHE_VERSION, "analyzer": analyzer_fingerprint(), "config_key": self.config_key,
                             "chunks": [blob for blob, _ in self.chunks], "findings": self.findings,
                             "libs": self.libs}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError as exc:
            return f"cache not written ({exc.strerror or exc})"
        return None


def _pickle_chunks(entries: dict[str, _FileEntry]) -> list[tuple[bytes, dict[str, _FileEntry]]]:
    items = list(entries.items())
    out = []
    for start in range(0, len(items), CHUNK_FILES):
        part = dict(items[start:start + CHUNK_FILES])
        out.append((pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL), part))
    return out


_Read = tuple["_FileEntry | None", bool, list[str]]  # entry, read afresh, notes
_Checked = tuple[list[Finding], list[str], "tuple[str, dict[str, str], list[Finding]] | None", bool]
_HELPER, _PARENT, _CACHED = "helper", "parent", "cache"  # where the helper finds an entry not sent with the order
# A cold run forks a helper when this many bytes of source are to be parsed (below it, the fork,
# the pickles and the second index cost more than half the parsing and checking saves).
PARALLEL_MIN_BYTES = 256 * 1024


def _split(
    paths: Sequence[Path], rel_of: Callable[[Path], str], cache: _Cache, jobs: int | None
) -> tuple[list[Path], list[Path]] | None:
    """The parent's and the helper's shares of the files to parse, or None for a one-process run.

    Only files the cache cannot answer are shared, balanced by size; one process when they are
    too few to pay for the fork.
    """
    if available_jobs(jobs) < 2:
        return None
    todo: list[tuple[int, Path]] = []
    total = 0
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        cached = cache.files.get(rel_of(path))
        if cached is not None and cached.mtime_ns == st.st_mtime_ns and cached.size == st.st_size:
            continue
        todo.append((st.st_size, path))
        total += st.st_size
    if total < PARALLEL_MIN_BYTES or len(todo) < 2:
        return None
    mine: list[Path] = []
    theirs: list[Path] = []
    weight = [0, 0]
    for size, path in sorted(todo, key=lambda t: -t[0]):
        side = 0 if weight[0] <= weight[1] else 1
        (mine, theirs)[side].append(path)
        weight[side] += size
    return mine, theirs


def _summary_fingerprint(entry: _FileEntry) -> str:
    return entry.sha + ("!" if entry.summary is None else "")


def analyze(
    root: Path,
    files: Sequence[Path] | None = None,
    config: RuleConfig | None = None,
    cache_dir: Path | None = None,
    index_files: Iterable[Path] | None = None,
    jobs: int | None = None,
    need_index: bool = True,
) -> AnalysisResult:
    """Index every module under `root`, then report on `files` (default: all of them).

    `jobs`: processes to use (1 or 2); default: 2 on a multi-core machine when a large tree is
    to be parsed (`ASYNCGUARD_JOBS` overrides). The findings are the same either way.
    `need_index=False`: the caller reads only the findings, files and notes, so a whole-project
    run whose inputs did not change since the last one returns that run's answer (`rules.run_memo`)
    with an empty index.
    """
    # Millions of short-lived AST nodes and no reference cycles worth collecting: the cyclic GC
    # would re-scan them over and over (3x slower on large trees), so it pauses for the run.
    was_enabled = gc.isenabled()
    gc.disable()
    helpers: list[Worker] = []
    try:
        return _analyze(root, files, config, cache_dir, index_files, jobs, helpers, need_index)
    finally:
        for helper in helpers:  # only if the run failed half-way: stop a helper still waiting
            helper.close(kill=True)
        if was_enabled:
            gc.enable()


def _analyze(
    root: Path,
    files: Sequence[Path] | None,
    config: RuleConfig | None,
    cache_dir: Path | None,
    index_files: Iterable[Path] | None,
    jobs: int | None,
    helpers: list[Worker],
    need_index: bool = True,
) -> AnalysisResult:
    config = config or RuleConfig()
    root = root.resolve()
    all_files = [p if p.is_absolute() else (root / p) for p in (index_files or discover_python_files(root))]
    report_paths = [p.resolve() if not p.is_absolute() else p for p in files] if files is not None else None
    report_set = set(report_paths) if report_paths is not None else None
    if report_paths is not None:
        known = set(all_files)
        all_files.extend(p for p in report_paths if p not in known)
    library_paths = find_library_paths(root, config.python) if config.libraries else []
    stat_of: dict[Path, os.stat_result] = {}  # taken once for the memo key, used again by `read`
    memo_file, memo_key = _memo_key(root, all_files, report_paths, config, cache_dir, library_paths, stat_of) \
        if index_files is None else (None, None)
    if memo_file is not None and memo_key is not None and not need_index:
        memo = run_memo.load(memo_file, memo_key)
        if memo is not None and run_memo.still_current(memo, lambda m: _library_fingerprint(library_paths, m)):
            return AnalysisResult(findings=list(memo.findings), index=ProjectIndex(), files=list(memo.files),
                                  notes=list(memo.notes), reused=len(memo.files))
    cache = _Cache(cache_dir, config.cache_key())
    index = ProjectIndex(extra_async=frozenset(config.async_callables))
    index.root = root
    libs_before = len(cache.libs)
    if library_paths:
        index.library_loader = make_loader(library_paths, cache.libs)
        index.library_mentions = make_mentions(library_paths)
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
    for path, name in name_of.items():
        alias = namespace_module_name(root, path)
        if alias is not None and alias != name and alias not in path_of:
            index.add_alias(alias, name)  # `cogs/utils/x.py` is `cogs.utils.x` too, below a namespace folder
            path_of[alias] = path

    rels: dict[Path, str] = {}

    def rel_of(path: Path) -> str:
        """_rel, memoised: the pending-imports loop asks again for the same files."""
        found = rels.get(path)
        if found is None:
            found = rels[path] = _rel(root, path)
        return found

    def read(path: Path, rel: str) -> _Read:
        """One file's entry (from the cache when its stat is unchanged), whether it is new, notes."""
        file_notes: list[str] = []
        try:
            st = stat_of.pop(path, None) or path.stat()
        except OSError as exc:
            file_notes.append(f"{rel}: cannot read ({exc.strerror or exc})")
            return None, False, file_notes
        cached = cache.files.get(rel)
        if cached is not None and cached.mtime_ns == st.st_mtime_ns and cached.size == st.st_size:
            return cached, False, file_notes
        checked = report_set is None or path in report_set
        fresh = _read_and_summarize(path, rel, plain_of[path], st, cached, texts, trees, file_notes, checked)
        return fresh, fresh is not None, file_notes

    def admit(rel: str, entry: _FileEntry, module: str) -> None:
        if entry.module != module:
            entry = replace(entry, module=module)
        entries[rel] = entry
        if entry.summary is not None:
            summary = entry.summary
            if summary.name != entry.module:
                summary = replace(summary, name=entry.module)
            index.add(summary)

    # Files read by the helper process (their entries, waiting for their turn in `load`).
    prepared: dict[str, _Read] = {}
    new_here: set[str] = set()  # files read afresh here or by the helper
    sources: dict[str, tuple[str, _FileEntry]] = {}  # rel -> (module name, entry as read), in index order

    def load(path: Path) -> None:
        """Read (or take from the cache or the helper) one file's summary and add it to the index."""
        rel = rel_of(path)
        if rel in entries:
            return
        got = prepared.pop(rel, None)
        entry, fresh, file_notes = got if got is not None else read(path, rel)
        notes.extend(file_notes)
        if entry is None:
            return
        if fresh:
            cache.files[rel] = entry
            cache.dirty = True
            new_here.add(rel)
        sources[rel] = (name_of[path], entry)
        admit(rel, entry, name_of[path])

    fingerprints: dict[str, str] = {}

    def fingerprint(module: str) -> str | None:
        if module.startswith("@"):  # the class table, one name's call sites, ...: once per run
            if module not in fingerprints:
                found_fp = index.pseudo_fingerprint(module)
                if found_fp is None:
                    return None
                fingerprints[module] = found_fp
            return fingerprints[module]
        if module in fingerprints or not library_paths:
            return fingerprints.get(module)
        # "missing" is remembered too: every file that imports `os` asks again.
        fingerprints[module] = _library_fingerprint(library_paths, module)
        return fingerprints[module]

    enabled = config.enabled_codes()
    blocking: list[BlockingAnalysis] = []

    def cached_findings(rel: str, entry: _FileEntry) -> list[Finding] | None:
        hit = cache.findings.get(rel)
        if hit is not None and hit[0] == entry.sha and all(fingerprint(m) == fp for m, fp in hit[1].items()):
            return hit[2]
        return None

    def check(rel: str) -> _Checked:
        """One reported file's findings, notes, the cache record to keep, whether reused."""
        entry = entries[rel]
        if entry.error is not None:
            if "AG000" not in enabled:
                return [], [], None, False
            line, col, msg = entry.error
            rule = RULES["AG000"]
            return [Finding("AG000", rule.name, msg, rel, line, col, line, col, rule.severity)], [], None, False
        reuse = cached_findings(rel, entry)
        if reuse is not None:
            return reuse, [], None, True
        parsed = trees.get(rel)
        text = texts.get(rel)
        if parsed is None or text is None:
            try:
                text = _decode((root / rel).read_bytes())
                tree = ast.parse(text, filename=rel)
            except (OSError, SyntaxError, ValueError, UnicodeDecodeError) as exc:
                return [], [f"{rel}: changed or vanished during the run ({exc})"], None, False
            parsed = (tree, walk_module(tree))
        if not blocking:
            blocking.append(BlockingAnalysis(index, config.blocking_calls, config.blocking_file_io))
        index.touched = {entry.module}
        checker = ModuleChecker(index, blocking[0], entry.module, rel, parsed[0], text.splitlines(), enabled,
                                parsed[1])
        file_findings = checker.run()
        if cache.path is None:  # nothing will be cached: no need to fingerprint what was consulted
            return file_findings, [], None, False
        deps = {m: fp for m in index.touched if (fp := fingerprint(m)) is not None}
        return file_findings, [], (entry.sha, deps, file_findings), False

    # A cold run of a large tree shares the work with a forked helper: each process parses, walks
    # and summarizes one share of the files, they swap summaries so both hold the whole index, and
    # each checks the files whose trees it holds.
    first = report_paths if report_paths is not None else all_files
    shares = _split(first, rel_of, cache, jobs)
    worker: Worker | None = None
    helper_share: set[str] = set()
    helper_trees: set[str] = set()
    sent_early: dict[str, _FileEntry] = {}
    run_chunks: list[tuple[bytes, dict[str, _FileEntry]]] = []
    processes = 1
    if shares is not None:
        mine, theirs = shares

        def helper(w: Worker) -> None:
            done = {}
            for path in theirs:
                rel = rel_of(path)
                done[rel] = read(path, rel)
            # The new entries go as the cache's chunks: the parent writes these very pickles.
            fresh = {rel: got[0] for rel, got in done.items() if got[1] and got[0] is not None}
            blobs = [blob for blob, _ in _pickle_chunks(fresh)]
            rest = {rel: (None if rel in fresh else got[0], got[1], got[2]) for rel, got in done.items()}
            w.send((blobs, rest, [rel for rel in done if rel in trees]))
            theirs_read: dict[str, _FileEntry] = {}
            for blob in w.recv():
                theirs_read.update(pickle.loads(blob))
            order, assigned = w.recv()
            index.load_rest = None
            for rel, module, sent in order:
                entry = (done[rel][0] if sent == _HELPER else theirs_read[rel] if sent == _PARENT
                         else cache.files[rel] if sent == _CACHED else sent)
                assert isinstance(entry, _FileEntry)
                admit(rel, entry, module)
            fingerprints.update({e.module: _summary_fingerprint(e) for e in entries.values()})
            libs = set(cache.libs)
            results = {rel: check(rel) for rel in assigned}
            w.send((results, {k: v for k, v in cache.libs.items() if k not in libs}))

        worker = Worker(helper)
        helpers.append(worker)
        for path in mine:
            rel = rel_of(path)
            prepared[rel] = read(path, rel)
        # Pickled while the helper may still be parsing, sent once it listens.
        sent_early = {rel: got[0] for rel, got in prepared.items() if got[1] and got[0] is not None}
        run_chunks = _pickle_chunks(sent_early)
        try:
            blobs, rest, held = worker.recv()
            worker.send([blob for blob, _ in run_chunks])
            their_chunks = [(blob, pickle.loads(blob)) for blob in blobs]
            run_chunks += their_chunks
            fresh = {rel: e for _, part in their_chunks for rel, e in part.items()}
            for rel, (entry, is_fresh, file_notes) in rest.items():
                prepared[rel] = (fresh[rel] if rel in fresh else entry, is_fresh, file_notes)
            helper_share = set(rest)
            helper_trees = set(held)
            processes = 2
        except WorkerLost:
            worker = None
            run_chunks = []
            for path in theirs:  # the helper's share, read here: the same entries, only later
                rel = rel_of(path)
                prepared[rel] = read(path, rel)

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
            if wanted is None or rel_of(wanted) in entries:
                continue
            load(wanted)
            found = entries.get(rel_of(wanted))
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

    fingerprints.update({e.module: _summary_fingerprint(e) for e in entries.values()})

    targets = [rel_of(p) for p in report_paths] if report_paths is not None else list(entries)
    outcomes: dict[str, _Checked] = {}
    if worker is not None:
        assigned = [rel for rel in dict.fromkeys(targets) if rel in helper_trees and rel in entries
                    and entries[rel].error is None and cached_findings(rel, entries[rel]) is None]
        order = [(rel, module, _HELPER if rel in helper_share else _PARENT if sent_early.get(rel) is raw
                  else raw if rel in new_here else _CACHED) for rel, (module, raw) in sources.items()]
        try:
            worker.send((order, assigned))
        except WorkerLost:
            worker = None
        mine_to_check = set(assigned) if worker is not None else set()
        for rel in dict.fromkeys(targets):
            if rel in entries and rel not in mine_to_check:
                outcomes[rel] = check(rel)
        if worker is not None:
            try:
                results, libs = worker.recv()
                worker.close()
                outcomes.update(results)
                for key, value in libs.items():
                    cache.libs.setdefault(key, value)
            except WorkerLost:
                pass  # the files it was checking are parsed again here, in the loop below
    findings: list[Finding] = []
    reported: list[str] = []
    reused = 0
    for rel in targets:
        if rel not in entries:
            continue
        reported.append(rel)
        outcome = outcomes.pop(rel) if rel in outcomes else check(rel)
        file_findings, file_notes, record, was_reused = outcome
        findings.extend(file_findings)
        notes.extend(file_notes)
        if record is not None:
            cache.findings[rel] = record
            cache.dirty = True
        reused += was_reused
    if library_paths and len(cache.libs) != libs_before:
        cache.dirty = True
    cache.chunks.extend(run_chunks)  # written as they are if their entries are still the current ones
    problem = cache.save()
    if problem:
        notes.append(problem)
    if config.severity:
        findings = [replace(f, severity=config.severity.get(f.code, f.severity)) for f in findings]
    findings.sort(key=lambda f: f.sort_key)
    if memo_file is not None and memo_key is not None and not problem:
        consulted = {m: fp for rel in reported if (record := cache.findings.get(rel)) is not None
                     for m, fp in record[1].items() if not m.startswith("@") and m not in index.modules}
        run_memo.save(memo_file, run_memo.Memo(memo_key, findings, reported, notes, consulted))
    return AnalysisResult(findings=findings, index=index, files=reported, notes=notes, reused=reused,
                          processes=processes)


def _library_fingerprint(library_paths: list[Path], module: str) -> str:
    """An installed module's file and stat ("missing" when no library folder has it)."""
    found = module_file(library_paths, module)
    try:
        st = found[0].stat() if found is not None else None
    except OSError:
        st = None
    return f"{found[0]}:{st.st_mtime_ns}:{st.st_size}" if found is not None and st is not None else "missing"


def _memo_key(
    root: Path, all_files: list[Path], report_paths: list[Path] | None, config: RuleConfig,
    cache_dir: Path | None, library_paths: list[Path], stat_of: dict[Path, os.stat_result],
) -> tuple[Path | None, str | None]:
    """Where the run memo lives and the key of this run's inputs (None, None: no memo). The stats
    taken are left in `stat_of`, so a run that cannot reuse the memo does not take them again."""
    if cache_dir is None:
        return None, None
    stats: list[tuple[str, int, int]] = []
    for path in sorted(set(all_files)):
        try:
            st = stat_of[path] = path.stat()
        except OSError:
            return None, None  # an unreadable file: its note must come from a real run
        stats.append((_rel(root, path), st.st_mtime_ns, st.st_size))
    reported = None if report_paths is None else sorted(_rel(root, p) for p in report_paths)
    parts = (CACHE_VERSION, analyzer_fingerprint(), config.cache_key(), sorted(config.severity.items()), str(root),
             tuple(str(p) for p in library_paths), reported)
    return run_memo.memo_path(cache_dir, CACHE_VERSION), run_memo.run_key(parts, stats)


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
