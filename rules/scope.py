"""Local names of one function: what each refers to, as far as it can be known statically.

Flow-insensitive on purpose: a local assigned two different things is unknown, and a local that
cannot be typed shadows the global of the same name (so it never resolves to the wrong thing).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from rules.index import Class, Coroutine, Func, Instance, ProjectIndex, Value
from rules.summary import dotted
from rules.walk import ScopeInfo

UNKNOWN = object()


@dataclass
class Scope:
    index: ProjectIndex
    module: str
    cls: Class | None = None  # enclosing class, for self/cls/super()
    parent: Scope | None = None
    names: dict[str, object] = field(default_factory=dict)  # name -> Value | UNKNOWN
    is_async: bool = False
    func_node: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    info: ScopeInfo | None = None

    def lookup(self, name: str) -> Value | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                v = scope.names[name]
                return None if v is UNKNOWN else v  # type: ignore[return-value]
            scope = scope.parent
        return self.index.resolve_global(self.module, name)

    # -- evaluation ------------------------------------------------------------------------------

    def eval(self, node: ast.expr, depth: int = 0) -> Value | None:
        if depth > 20:
            return None
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Attribute):
            if (
                isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name)
                and node.value.func.id == "super"
                and self.cls is not None
            ):
                found = self.index.lookup_member(self.cls, node.attr, skip_self=True)
                if isinstance(found, Func):
                    return Func(found.module, found.info, found.owner, bound=True)
                return None
            base = self.eval(node.value, depth + 1)
            return self.index.attribute(base, node.attr) if base is not None else None
        if isinstance(node, ast.Call):
            callee = self.eval(node.func, depth + 1)
            if callee is None:
                return None
            if isinstance(callee, Instance):
                call = self.index.lookup_member(callee.cls, "__call__")
                if isinstance(call, Func):
                    return self.index.call_result(Func(call.module, call.info, call.owner, bound=True))
                return None
            return self.index.call_result(callee)
        if isinstance(node, ast.Await):
            inner = self.eval(node.value, depth + 1)
            if isinstance(inner, Coroutine) and isinstance(inner.origin, Func):
                return self.index.annotation_value(inner.origin.module, inner.origin.info.returns)
            return None
        return None


def build_scope(
    index: ProjectIndex,
    module: str,
    info: ScopeInfo | None,
    cls: Class | None,
    parent: Scope | None,
) -> Scope:
    """Type the locals of a function or lambda (with info None: the module scope)."""
    node = info.node if info is not None else None
    func_node = node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None
    scope = Scope(index=index, module=module, cls=cls, parent=parent,
                  is_async=isinstance(node, ast.AsyncFunctionDef), func_node=func_node, info=info)
    if info is None or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return scope
    if isinstance(node, ast.Lambda):
        scope.names = {name: UNKNOWN for name in info.bound | info.stores}
        return scope
    args = node.args
    positional = args.posonlyargs + args.args
    decorators = [dotted(d) or "" for d in node.decorator_list]
    is_static = any(d.endswith("staticmethod") for d in decorators)
    is_classmethod = any(d.endswith("classmethod") for d in decorators)
    params: dict[str, object] = {}
    for i, a in enumerate(positional + args.kwonlyargs):
        value: object = UNKNOWN
        if i == 0 and cls is not None and not is_static and a in positional:
            value = Class(cls.module, cls.info) if is_classmethod else Instance(cls)
        elif a.annotation is not None:
            resolved = index.annotation_value(module, a.annotation)
            value = resolved if resolved is not None else UNKNOWN
        params[a.arg] = value
    assigned = {t.id for n in info.assigns for t in _targets(n) if isinstance(t, ast.Name)}
    # Names bound by loops, withs, imports, handlers... (and params re-bound later) are unknown.
    base_unknown = (info.bound - set(params)) | {p for p, v in params.items() if v is UNKNOWN}
    names = set(params) | info.bound | info.stores | assigned
    scope.names = {name: UNKNOWN for name in names}
    # Two passes: the second sees the locals the first typed (`s = Session(); r = s.get()`).
    for _ in range(2):
        typed: dict[str, list[object]] = {p: [v] for p, v in params.items() if v is not UNKNOWN}
        unknown_names = set(base_unknown)
        for assign in info.assigns:
            targets = _targets(assign)
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                continue
            target = targets[0]
            v: Value | None = None
            if isinstance(assign, ast.AnnAssign):
                v = index.annotation_value(module, assign.annotation)
            elif assign.value is not None:
                if isinstance(assign.value, ast.Constant) and assign.value.value is None:
                    continue  # `x = None` then assigned later: Optional, not a conflict
                v = scope.eval(assign.value)
            if v is None or isinstance(v, Coroutine):
                unknown_names.add(target.id)
            else:
                typed.setdefault(target.id, []).append(v)
        new_names: dict[str, object] = {}
        for name in names:
            values = typed.get(name, [])
            new_names[name] = UNKNOWN
            if name in unknown_names or not values:
                continue
            first = values[0]
            if all(_same_value(first, other) for other in values[1:]):
                new_names[name] = first
        scope.names = new_names
    return scope


def _targets(node: ast.Assign | ast.AnnAssign | ast.NamedExpr) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    return [node.target]


def _same_value(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, Instance) and isinstance(b, Instance):
        return a.cls.info is b.cls.info
    if isinstance(a, Func) and isinstance(b, Func):
        return a.info is b.info
    if isinstance(a, Class) and isinstance(b, Class):
        return a.info is b.info
    return a == b or getattr(a, "name", None) == getattr(b, "name", 1) or getattr(a, "cls", None) == getattr(b, "cls", 1)
