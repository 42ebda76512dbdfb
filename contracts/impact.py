"""Who breaks: the call sites of each breaking change, and whether the PR already updated them.

Call sites come from the analyzer's project index (`rules.callsites.find_call_sites`), which
resolves plain names, module attributes, `self.`/`cls.` and annotated attributes across modules.
For a flip the verdict comes from how the result is used (awaited or not); for a parameter change,
from the call's own arguments (read with `ast` from the head tree).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from asyncguard.contracts import typeann
from asyncguard.contracts.model import Change, ContractDiff, ContractError, ImpactSite, ImpactStatus, Param

# usages under which a call to a newly async function is already correct; "returned" only from a
# plain `def` (a wrapper handing the coroutine to its caller): `return f()` inside `async def` makes
# the caller's `await` yield a coroutine instead of the value, the analyzer's AG101
_ASYNC_OK_USAGES = frozenset({"await", "scheduled"})
_ITERATION_USAGES = frozenset({"for", "async for", "with", "async with"})
_PARAM_CODES = frozenset(
    {"AG206", "AG207", "AG208", "AG209", "AG210", "AG211", "AG212", "AG213", "AG214", "AG216"}
)


def normalize_changed_lines(changed_lines: Mapping[str, Any] | None) -> dict[str, set[int]]:
    """Accept {path: set of lines} or {path: FileDiff-like with `added_lines`}."""
    out: dict[str, set[int]] = {}
    for path, value in (changed_lines or {}).items():
        lines = getattr(value, "added_lines", value)
        out[str(path)] = {int(n) for n in lines}
    return out


def attach_impact(
    diff: ContractDiff,
    head_index: Any,
    changed_lines: Mapping[str, Any] | None = None,
    head_root: Path | None = None,
) -> ContractDiff:
    """Fill `Change.call_sites` for breaking changes whose symbol still exists in head."""
    from asyncguard.rules.callsites import find_call_sites

    changed = normalize_changed_lines(changed_lines)
    root = head_root or _index_root(head_index)
    if root is not None:
        _attach_stale_imports(diff, root)
    targets = {c.defined_in for c in diff.changes if c.breaking and c.defined_in}
    if not targets or head_index is None:
        return diff
    sites_by_target = find_call_sites(head_index, targets)
    calls = _CallReader(root)
    for change in diff.changes:
        if not change.breaking or not change.defined_in or change.code in _GONE_CODES:
            continue
        out: list[ImpactSite] = []
        for site in sites_by_target.get(change.defined_in, []):
            touched = site.line in changed.get(site.path, set())
            status = _status(change, site, touched, calls)
            if status is not None:
                out.append(
                    ImpactSite(
                        path=site.path,
                        line=site.line,
                        column=site.column,
                        status=status,
                        caller=str(getattr(site, "caller", "")),
                        usage=str(getattr(site, "usage", "")),
                        end_line=int(getattr(site, "end_line", 0) or 0),
                        end_column=int(getattr(site, "end_column", 0) or 0),
                    )
                )
        change.call_sites = sorted(set(out), key=lambda s: (s.path, s.line, s.column))
    return diff


_GONE_CODES = frozenset({"AG201", "AG220"})


def _attach_stale_imports(diff: ContractDiff, root: Path) -> None:
    """A removed or renamed name still imported anywhere in head (tests included) breaks there."""
    gone = [c for c in diff.changes if c.code in _GONE_CODES and c.breaking]
    if not gone:
        return
    from asyncguard.contracts.extract import _cached_summary, discover, module_name_for

    refs: list[tuple[str, str, int, int, str]] = []  # (target, path, line, column, importing module)
    for path in discover(root, all_code=True):
        module = module_name_for(root, path)
        try:
            summary = _cached_summary(path.read_bytes(), module, path.relative_to(root).as_posix(),
                                      path.name == "__init__.py", None)  # fmt: skip
        except (ContractError, OSError):
            continue  # a file that does not parse is reported by the analyzer, not here
        refs.extend(
            (target, summary.path, line, column, module) for target, line, column in summary.import_refs
        )
    for change in gone:
        names = {change.symbol, *change.aliases}
        sites = {
            ImpactSite(path=path, line=line, column=column, status="old-style", caller=module, usage="import")
            for target, path, line, column, module in refs
            if target in names or any(target.startswith(n + ".") for n in names)
        }
        change.call_sites = sorted(sites, key=lambda s: (s.path, s.line, s.column))


def _index_root(index: Any) -> Path | None:
    root = getattr(index, "root", None)
    return Path(root) if root is not None else None


def _status(change: Change, site: Any, touched: bool, calls: _CallReader) -> ImpactStatus | None:
    """ "old-style", "updated", or None when this call is not affected by the change at all."""
    usage = str(getattr(site, "usage", ""))
    awaited = bool(getattr(site, "awaited", False)) or usage == "await"
    if change.code == "AG202":
        in_async = bool(getattr(site, "in_async", False))
        ok = usage in _ASYNC_OK_USAGES or (usage == "returned" and not in_async)
        return "updated" if ok else "old-style"
    if change.code == "AG203":
        return "old-style" if awaited else "updated"
    if change.code in ("AG204", "AG205") and usage in _ITERATION_USAGES:
        now_async = change.code == "AG204"
        return "updated" if usage.startswith("async ") == now_async else "old-style"
    if change.code in _PARAM_CODES and change.old is not None and change.new is not None:
        call = calls.find(site)
        if call is not None:
            affected = _param_affected(change, call)
            if affected is not None:
                if affected:
                    return "old-style"
                return "updated" if touched else None
    return "updated" if touched else "old-style"


def _param_affected(change: Change, call: ast.Call) -> bool | None:
    """Does this call still use the old calling convention? None when it cannot be told."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    assert change.old is not None and change.new is not None
    old_pos = [p for p in _explicit(change.old) if p.kind in ("positional_only", "positional_or_keyword")]
    new_params = _explicit(change.new)
    new_pos = [p for p in new_params if p.kind in ("positional_only", "positional_or_keyword")]
    n_positional = len(call.args)
    keywords = {k.arg for k in call.keywords if k.arg is not None}
    name = change.param
    old_index = next((i for i, p in enumerate(old_pos) if p.name == name), None)
    new_index = next((i for i, p in enumerate(new_pos) if p.name == name), None)
    passed_positionally = old_index is not None and n_positional > old_index
    code = change.code
    if code in ("AG206", "AG207"):
        return (name in keywords) or passed_positionally
    supplied = (name in keywords) or (new_index is not None and n_positional > new_index)
    if code in ("AG210", "AG213", "AG214"):  # must pass it now / relies on the default that changed
        return not supplied
    if code == "AG216":  # the values it may pass changed: a literal that still fits is not affected
        if not supplied:
            return False
        fits = _literal_fits(_argument(call, name, new_index), _annotation(new_params, name))
        return None if fits is None else not fits
    if code == "AG209":
        new_param = next((p for p in new_params if p.name == name), None)
        if new_param is None:
            return None
        if new_param.kind == "keyword_only":
            return passed_positionally
        if new_param.kind == "positional_only":
            return name in keywords
        return None
    if code == "AG208":
        return old_index is not None and n_positional > min(
            old_index, new_index if new_index is not None else 0
        )
    if code == "AG211":
        return n_positional > len(old_pos)
    if code == "AG212":
        accepted = {p.name for p in new_params if p.kind in ("positional_or_keyword", "keyword_only")}
        return bool(keywords - accepted)
    return None


def _argument(call: ast.Call, name: str | None, index: int | None) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == name:
            return k.value
    if index is not None and index < len(call.args):
        return call.args[index]
    return None


def _annotation(params: tuple[Param, ...], name: str | None) -> str | None:
    param = next((p for p in params if p.name == name), None)
    return param.annotation_meaning if param is not None else None


def _literal_fits(arg: ast.expr | None, annotation: str | None) -> bool | None:
    """Does a literal argument's type fit the new annotation? None when the argument is no literal."""
    if arg is None or annotation is None or not isinstance(arg, ast.Constant):
        return None
    value_type = "None" if arg.value is None else type(arg.value).__name__
    if value_type not in ("None", "bool", "int", "float", "complex", "str", "bytes"):
        return None
    return typeann.widened(value_type, annotation)


def _explicit(symbol: Any) -> tuple[Param, ...]:
    from asyncguard.contracts.compare import explicit_params

    return explicit_params(symbol)


class _CallReader:
    """Finds the `ast.Call` a call site points at, parsing each head file once."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.trees: dict[str, list[ast.Call] | None] = {}

    def find(self, site: Any) -> ast.Call | None:
        if self.root is None:
            return None
        calls = self._calls(site.path)
        if not calls:
            return None
        on_line = [c for c in calls if c.lineno == site.line]
        exact = [c for c in on_line if c.col_offset + 1 == site.column or c.col_offset == site.column]
        if len(exact) == 1:
            return exact[0]
        return on_line[0] if len(on_line) == 1 else None

    def _calls(self, path: str) -> list[ast.Call] | None:
        if path not in self.trees:
            assert self.root is not None
            try:
                tree = ast.parse((self.root / path).read_text(encoding="utf-8"))
            except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
                self.trees[path] = None
            else:
                self.trees[path] = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        return self.trees[path]
