"""The project index kept in memory for an editor, with the open buffers overlaid on the disk files.

Pure: texts in, findings out. `Workspace` indexes the project once through `engine.analyze` (from
the on-disk cache when it is warm). After that an edit re-summarizes only the edited module; when
its summary (what the rest of the project sees of it) changed, the modules whose last check
consulted it are the ones to check again. So the caller in another open file is re-checked the
moment its callee turns `async def`, and an edit inside a function body that changes nothing the
index knows re-checks the edited file alone.

A buffer that does not parse reports AG000 and keeps its last good summary in the index: while a
line is half typed, the other files' findings do not come and go.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from asyncguard.rules.blocking import BlockingAnalysis
from asyncguard.rules.checker import ModuleChecker
from asyncguard.rules.engine import MAX_FILE_BYTES, RuleConfig, analyze
from asyncguard.rules.index import ProjectIndex, module_name_for, namespace_module_name
from asyncguard.rules.model import Finding
from asyncguard.rules.registry import RULES
from asyncguard.rules.summary import ModuleSummary, summarize
from asyncguard.rules.walk import ScopeInfo, walk_module

Error = tuple[int, int, str]  # AG000: line, column, message


@dataclass
class _Parsed:
    """One module's current text as the rules need it (or why it cannot be read)."""

    text: str
    tree: ast.Module | None
    walked: tuple[ScopeInfo, dict[int, ast.AST]] | None
    error: Error | None


def _parse(text: str, rel: str) -> _Parsed:
    """The same reading as the engine's: a syntax error or an unparsable tree becomes AG000."""
    if len(text) > MAX_FILE_BYTES:
        return _Parsed(text, None, None, (1, 1, f"file skipped: over the {MAX_FILE_BYTES // 1_000_000} MB "
                                                "limit for a source file (generated code?)"))
    try:
        tree = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        return _Parsed(text, None, None, (exc.lineno or 1, exc.offset or 1, f"syntax error: {exc.msg}"))
    except (ValueError, RecursionError, MemoryError) as exc:
        return _Parsed(text, None, None, (1, 1, f"cannot parse: {exc}"))
    return _Parsed(text, tree, walk_module(tree), None)


def read_disk(path: Path) -> str | Error | None:
    """A file's text as Python decodes it; AG000's error when it is not text; None when it is gone."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return (1, 1, f"cannot read: {exc.strerror or exc}")
    if b"\0" in data:
        return (1, 1, "cannot decode: binary file (contains NUL bytes)")
    try:
        return importlib.util.decode_source(data)
    except (UnicodeDecodeError, SyntaxError) as exc:
        return (1, 1, f"cannot decode: not valid text in its declared encoding ({exc})")


class Workspace:
    """One project's index with overlays; `update` a module, then `check` the modules it returns."""

    def __init__(self, root: Path, config: RuleConfig | None = None, cache_dir: Path | None = None,
                 jobs: int | None = None) -> None:
        self.root = Path(root).resolve()
        self.config = config or RuleConfig()
        result = analyze(self.root, config=self.config, cache_dir=cache_dir, jobs=jobs)
        self.index: ProjectIndex = result.index
        self.notes = list(result.notes)
        self.enabled = self.config.enabled_codes()
        self._name_of: dict[str, str] = {s.path: name for name, s in self.index.modules.items()}
        self._parsed: dict[str, _Parsed] = {}  # modules read since the start, by relative path
        self._overlays: dict[str, str] = {}  # open buffers' texts
        self._deps: dict[str, frozenset[str]] = {}  # what each module's last check consulted
        self._blocking: BlockingAnalysis | None = None

    # -- names -----------------------------------------------------------------------------------

    def rel(self, path: Path) -> str:
        path = Path(path).resolve()
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def contains(self, path: Path) -> bool:
        return Path(path).resolve().is_relative_to(self.root)

    def module_name(self, rel: str) -> str:
        """The name the engine gave the module, or (a new file) the one its path gives."""
        found = self._name_of.get(rel)
        if found is not None:
            return found
        name = module_name_for(self.root, self.root / rel)[0]
        holder = self.index.modules.get(name)
        if holder is not None and holder.path != rel:
            name = f"{name}@{rel}"  # as the engine names a duplicate
        self._name_of[rel] = name
        alias = namespace_module_name(self.root, self.root / rel)
        if alias is not None and alias != name and alias not in self.index.aliases:
            self.index.add_alias(alias, name)
        return name

    # -- changes ---------------------------------------------------------------------------------

    def text_of(self, rel: str) -> str | None:
        """The text the rules see: the open buffer, else the file on disk."""
        if rel in self._overlays:
            return self._overlays[rel]
        parsed = self._parsed.get(rel)
        if parsed is not None:
            return parsed.text
        found = read_disk(self.root / rel)
        return found if isinstance(found, str) else None

    def buffers(self) -> dict[str, str]:
        """The open buffers' texts by relative path."""
        return dict(self._overlays)

    def set_buffer(self, rel: str, text: str) -> set[str]:
        """An open buffer's new text; returns the modules (relative paths) to check again."""
        self._overlays[rel] = text
        return self._update(rel, text)

    def close_buffer(self, rel: str) -> set[str]:
        """The buffer is closed: the file on disk counts again."""
        self._overlays.pop(rel, None)
        return self.disk_changed(rel)

    def disk_changed(self, rel: str) -> set[str]:
        """A file was written, created or deleted outside the buffers (an open buffer still wins)."""
        if rel in self._overlays:
            return set()
        found = read_disk(self.root / rel)
        if found is None:
            self._parsed.pop(rel, None)
            return self._replace(rel, None)
        if isinstance(found, tuple):
            self._parsed[rel] = _Parsed("", None, None, found)
            return {rel}
        return self._update(rel, found)

    def _update(self, rel: str, text: str) -> set[str]:
        previous = self._parsed.get(rel)
        if previous is not None and previous.text == text and previous.error is None:
            return {rel}
        parsed = _parse(text, rel)
        self._parsed[rel] = parsed
        if parsed.tree is None or parsed.walked is None:
            return {rel}  # AG000 here; the last good summary stays in the index
        name = self.module_name(rel)
        is_package = Path(rel).name == "__init__.py"
        summary = summarize(parsed.tree, name, rel, is_package, parsed.walked[0])
        return self._replace(rel, summary)

    def _replace(self, rel: str, summary: ModuleSummary | None) -> set[str]:
        """Put the module's new summary in the index; the modules whose findings may change."""
        name = self.module_name(rel)
        old = self.index.modules.get(name)
        if old == summary:
            return {rel}
        watched = {d for deps in self._deps.values() for d in deps if d.startswith("@")}
        before = {p: self.index.pseudo_fingerprint(p) for p in watched}
        if summary is None:
            self.index.remove(name)
        else:
            self.index.add(summary)
        self._blocking = None
        changed = {name} | {p for p, fp in before.items() if self.index.pseudo_fingerprint(p) != fp}
        return {rel} | {other for other, deps in self._deps.items() if deps & changed}

    # -- findings --------------------------------------------------------------------------------

    def check(self, rel: str) -> list[Finding]:
        """The module's findings on its current text (overlay or disk), with config severities."""
        parsed = self._parsed.get(rel)
        if parsed is None:
            text = self.text_of(rel)
            if text is None:
                self._deps.pop(rel, None)
                return []
            self._update(rel, text)
            parsed = self._parsed[rel]
        if parsed.error is not None or parsed.tree is None:
            self._deps[rel] = frozenset()
            if "AG000" not in self.enabled or parsed.error is None:
                return []
            line, col, msg = parsed.error
            rule = RULES["AG000"]
            return [self._severity(Finding("AG000", rule.name, msg, rel, line, col, line, col, rule.severity))]
        if self._blocking is None:
            self._blocking = BlockingAnalysis(self.index, self.config.blocking_calls, self.config.blocking_file_io)
        name = self.module_name(rel)
        self.index.touched = {name}
        checker = ModuleChecker(self.index, self._blocking, name, rel, parsed.tree, parsed.text.splitlines(),
                                set(self.enabled), parsed.walked)
        findings = checker.run()
        self._deps[rel] = frozenset(self.index.touched)
        return [self._severity(f) for f in findings]

    def forget(self, rels: Iterable[str]) -> None:
        """Stop tracking what these modules depend on (their buffers closed)."""
        for rel in rels:
            self._deps.pop(rel, None)

    def _severity(self, finding: Finding) -> Finding:
        level = self.config.severity.get(finding.code)
        return replace(finding, severity=level) if level is not None else finding
