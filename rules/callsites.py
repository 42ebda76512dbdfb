"""Every call site of given project callables, resolved with the index, with how each uses the result.

Contracts use this to say who breaks when an interface flips between sync and async, and whether
each caller was already updated.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from asyncguard.rules import catalog
from asyncguard.rules.blocking import BlockingAnalysis
from asyncguard.rules.checker import ModuleChecker
from asyncguard.rules.index import Class, External, Func, ProjectIndex
from asyncguard.rules.scope import Scope, build_scope
from asyncguard.rules.walk import ScopeInfo


@dataclass(frozen=True)
class CallSite:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    caller: str  # qualified name of the enclosing function, or the module for top-level code
    in_async: bool
    awaited: bool
    usage: str  # await | discarded | scheduled | returned | assigned | argument | with | async with | for | other


class _SiteCollector(ModuleChecker):
    def __init__(self, index: ProjectIndex, module: str, path: str, tree: ast.Module, lines: list[str],
                 targets: set[str]) -> None:
        super().__init__(index, BlockingAnalysis(index), module, path, tree, lines, enabled=set())
        self.targets = targets
        self.sites: dict[str, list[CallSite]] = {}
        self._caller: list[str] = [module]

    def _check_children(self, info: ScopeInfo, scope: Scope, cls: Class | None) -> None:
        for child in info.children:
            node = child.node
            name = getattr(node, "name", "<lambda>")
            self._caller.append(f"{self._caller[-1]}.{name}")
            if isinstance(node, ast.ClassDef):
                inner = self._class_for(node, cls)
                self._check_body(child, Scope(self.index, self.module, inner, scope))
                self._check_children(child, scope, inner)
            else:
                fscope = build_scope(self.index, self.module, child, cls, scope, self.parents)
                self._check_body(child, fscope)
                self._check_children(child, fscope, None)
            self._caller.pop()

    def _check_await(self, node: ast.Await, scope: Scope) -> None:
        return

    def _check_with_item(self, stmt: ast.With | ast.AsyncWith, item: ast.withitem, scope: Scope) -> None:
        return

    def _check_for(self, node: ast.For | ast.AsyncFor | ast.comprehension, iter_expr: ast.expr, is_async: bool,
                   scope: Scope) -> None:
        return

    def _check_call(self, call: ast.Call, scope: Scope) -> None:
        callee = scope.eval(call.func)
        if isinstance(callee, Func):
            name = callee.qualname
            if name not in self.targets and callee.owner is not None:
                # A call through a subclass instance reaches the base's method: same target.
                name = f"{callee.module}.{callee.info.qualname}"
        elif isinstance(callee, External):
            name = callee.name
        else:
            return
        if name not in self.targets:
            return
        usage = self._usage(call, scope)
        line, col, end_line, end_col = self._span(call)
        self.sites.setdefault(name, []).append(CallSite(
            self.path, line, col, end_line, end_col, self._caller[-1], scope.is_async, usage == "await", usage))

    def _usage(self, call: ast.Call, scope: Scope) -> str:
        parent = self._parent(call)
        if isinstance(parent, ast.Await):
            return "await"
        if isinstance(parent, ast.Return | ast.Yield | ast.YieldFrom | ast.Lambda):
            return "returned"
        if isinstance(parent, ast.Expr):
            return "discarded"
        if isinstance(parent, ast.withitem):
            grand = self._parent(parent)
            return "async with" if isinstance(grand, ast.AsyncWith) else "with"
        if isinstance(parent, ast.For | ast.AsyncFor) and parent.iter is call:
            return "async for" if isinstance(parent, ast.AsyncFor) else "for"
        if isinstance(parent, ast.Assign | ast.AnnAssign | ast.NamedExpr):
            return "assigned"
        outer = self._parent(parent) if isinstance(parent, ast.keyword | ast.Starred) else parent
        if isinstance(outer, ast.Call) and outer.func is not call:
            target = scope.eval(outer.func)
            tname = target.name if isinstance(target, External) else (
                target.qualname if isinstance(target, Func) else None)
            # A runner's method name counts only on a receiver that cannot be resolved: a project
            # class's own `run(...)` or `submit(...)` is just a call.
            if tname in catalog.RUNNERS or (
                target is None and isinstance(outer.func, ast.Attribute)
                and outer.func.attr in catalog.RUNNER_METHOD_NAMES
            ):
                return "scheduled"
            return "argument"
        return "other"


def find_call_sites(index: ProjectIndex, qualnames: Iterable[str]) -> dict[str, list[CallSite]]:
    """Call sites of each qualified name (project functions/methods, or catalogued externals)."""
    targets = set(qualnames)
    out: dict[str, list[CallSite]] = {name: [] for name in targets}
    if not targets or index.root is None:
        return out
    if index.load_rest is not None:
        index.load_rest()  # callers live anywhere, not only in what the checked files import
        index.load_rest = None
    short_names = {t.rsplit(".", 1)[-1] for t in targets}
    root: Path = index.root
    for module, summary in sorted(index.modules.items()):
        path = root / summary.path
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if not any(n in text for n in short_names):
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        collector = _SiteCollector(index, module, summary.path, tree, text.splitlines(), targets)
        collector.run()
        for name, sites in collector.sites.items():
            out[name].extend(sites)
    for sites in out.values():
        sites.sort(key=lambda s: (s.path, s.line, s.column))
    return out
