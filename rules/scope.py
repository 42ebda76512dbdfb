"""Local names of one function: what each refers to, as far as it can be known statically.

Flow-insensitive on purpose: a local assigned two different things is unknown, and a local that
cannot be typed shadows the global of the same name (so it never resolves to the wrong thing).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from rules.index import Class, Coroutine, Func, Instance, ProjectIndex, Value
from rules.summary import dotted

UNKNOWN = object()


def own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of a body, not descending into nested functions, lambdas or classes."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            stack.extend(reversed(node.decorator_list))
            stack.extend(d for d in node.args.defaults)
            continue
        if isinstance(node, ast.Lambda | ast.ClassDef):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


@dataclass
class Scope:
    index: ProjectIndex
    module: str
    cls: Class | None = None  # enclosing class, for self/cls/super()
    parent: Scope | None = None
    names: dict[str, object] = field(default_factory=dict)  # name -> Value | UNKNOWN
    is_async: bool = False
    func_node: ast.FunctionDef | ast.AsyncFunctionDef | None = None

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


def _bind_targets(target: ast.expr, out: dict[str, list[object]], value: object) -> None:
    if isinstance(target, ast.Name):
        out.setdefault(target.id, []).append(value)
    elif isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:
            _bind_targets(elt, out, UNKNOWN)
    elif isinstance(target, ast.Starred):
        _bind_targets(target.value, out, UNKNOWN)


def build_scope(
    index: ProjectIndex,
    module: str,
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | None,
    body: list[ast.stmt],
    cls: Class | None,
    parent: Scope | None,
) -> Scope:
    """Type the locals of a function (or, with node None, of a module/class body)."""
    scope = Scope(index=index, module=module, cls=cls, parent=parent,
                  is_async=isinstance(node, ast.AsyncFunctionDef),
                  func_node=node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None)
    if node is None:
        return scope  # module scope: globals resolve through the index
    bindings: dict[str, list[object]] = {}
    args = node.args
    positional = args.posonlyargs + args.args
    decorators = [] if isinstance(node, ast.Lambda) else [dotted(d) or "" for d in node.decorator_list]
    is_static = any(d.endswith("staticmethod") for d in decorators)
    is_classmethod = any(d.endswith("classmethod") for d in decorators)
    for i, a in enumerate(positional + args.kwonlyargs):
        value: object = UNKNOWN
        if i == 0 and cls is not None and not is_static and a in positional:
            value = Class(cls.module, cls.info) if is_classmethod else Instance(cls)
        elif a.annotation is not None:
            ann = ast.unparse(a.annotation)
            if isinstance(a.annotation, ast.Constant) and isinstance(a.annotation.value, str):
                ann = a.annotation.value
            resolved = index.annotation_value(module, ann)
            value = resolved if resolved is not None else UNKNOWN
        bindings.setdefault(a.arg, []).append(value)
    for extra in (args.vararg, args.kwarg):
        if extra is not None:
            bindings.setdefault(extra.arg, []).append(UNKNOWN)
    scope.names = {}  # filled below; evaluation of assignments may consult earlier ones
    if isinstance(node, ast.Lambda):
        scope.names = {k: UNKNOWN for k in bindings}
        return scope

    assignments: list[tuple[ast.expr, ast.expr | None, ast.expr | None]] = []
    for sub in own_nodes(node.body):
        if isinstance(sub, ast.Assign):
            for t in sub.targets:
                assignments.append((t, sub.value, None))
        elif isinstance(sub, ast.AnnAssign):
            assignments.append((sub.target, sub.value, sub.annotation))
        elif isinstance(sub, ast.AugAssign | ast.For | ast.AsyncFor):
            _bind_targets(sub.target, bindings, UNKNOWN)
        elif isinstance(sub, ast.withitem) and sub.optional_vars is not None:
            _bind_targets(sub.optional_vars, bindings, UNKNOWN)
        elif isinstance(sub, ast.NamedExpr):
            assignments.append((sub.target, sub.value, None))
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            bindings.setdefault(sub.name, []).append(UNKNOWN)
        elif isinstance(sub, ast.comprehension):
            _bind_targets(sub.target, bindings, UNKNOWN)
        elif isinstance(sub, ast.Import | ast.ImportFrom):
            for alias in sub.names:
                bindings.setdefault((alias.asname or alias.name).split(".")[0], []).append(UNKNOWN)
        elif isinstance(sub, ast.Global | ast.Nonlocal):
            for n in sub.names:
                bindings.setdefault(n, []).append(UNKNOWN)
        elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and sub is not node:
            bindings.setdefault(sub.name, []).append(UNKNOWN)
        elif isinstance(sub, ast.Delete):
            for t in sub.targets:
                _bind_targets(t, bindings, UNKNOWN)
    for target, _, _ in assignments:
        if not isinstance(target, ast.Name):
            _bind_targets(target, bindings, UNKNOWN)
    names: set[str] = set(bindings) | {t.id for t, _, _ in assignments if isinstance(t, ast.Name)}
    base_unknown = {k for k, vs in bindings.items() if any(v is UNKNOWN for v in vs)}
    scope.names = {name: UNKNOWN for name in names}
    # Two passes: the second sees the locals the first typed (`s = Session(); r = s.get()`).
    for _ in range(2):
        typed: dict[str, list[object]] = {k: [v for v in vs if v is not UNKNOWN] for k, vs in bindings.items()}
        unknown_names = set(base_unknown)
        for target, value_node, annotation in assignments:
            if not isinstance(target, ast.Name):
                continue
            v: Value | None = None
            if annotation is not None:
                v = index.annotation_value(module, ast.unparse(annotation))
            elif value_node is not None:
                if isinstance(value_node, ast.Constant) and value_node.value is None:
                    continue  # `x = None` then assigned later: Optional, not a conflict
                v = scope.eval(value_node)
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
