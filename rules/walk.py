"""One pass over a module's tree that sorts every node into the scope it belongs to.

Every rule and the summary work from these buckets, so a file is walked once, not once per rule
and per function: the analyzer's speed comes from here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

ScopeNode = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef

_AST = ast.AST
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(eq=False)
class ScopeInfo:
    node: ScopeNode
    parent: ScopeInfo | None
    calls: list[ast.Call] = field(default_factory=list)
    awaits: list[ast.Await] = field(default_factory=list)
    withs: list[ast.With | ast.AsyncWith] = field(default_factory=list)
    fors: list[ast.For | ast.AsyncFor | ast.comprehension] = field(default_factory=list)
    assigns: list[ast.Assign | ast.AnnAssign | ast.NamedExpr] = field(default_factory=list)
    returns: list[ast.Return] = field(default_factory=list)
    bound: set[str] = field(default_factory=set)  # names bound by anything but a plain assignment
    loads: dict[str, list[ast.Name]] = field(default_factory=dict)
    stores: set[str] = field(default_factory=set)
    children: list[ScopeInfo] = field(default_factory=list)
    imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)
    has_yield: bool = False

    @property
    def is_function(self) -> bool:
        return isinstance(self.node, _FUNCS)


def _bind(target: ast.AST, names: set[str]) -> None:
    if isinstance(target, ast.Name):
        names.add(target.id)
    elif isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:
            _bind(elt, names)
    elif isinstance(target, ast.Starred):
        _bind(target.value, names)


def walk_module(tree: ast.Module, full: bool = True) -> tuple[ScopeInfo, dict[int, ast.AST]]:
    """The scope tree of a module and a parent map (by node id).

    `full=False` is the cheaper walk for files only indexed, never checked: no parent map and no
    name loads (what the summary does not need).
    """
    parents: dict[int, ast.AST] = {}
    root = ScopeInfo(tree, None)
    # (node, parent node, scope it belongs to)
    stack: list[tuple[ast.AST, ast.AST | None, ScopeInfo]] = [(tree, None, root)]
    Name, Call, Await, Attribute = ast.Name, ast.Call, ast.Await, ast.Attribute
    while stack:
        node, parent, scope = stack.pop()
        if full and parent is not None:
            parents[id(node)] = parent
        cls = node.__class__
        if cls is Name:
            if node.ctx.__class__ is not ast.Load:  # type: ignore[attr-defined]
                scope.stores.add(node.id)  # type: ignore[attr-defined]
            elif full:
                scope.loads.setdefault(node.id, []).append(node)  # type: ignore[attr-defined,arg-type]
            continue
        if cls not in _SPECIAL:
            pass  # most nodes: only their children matter
        elif cls is Call:
            scope.calls.append(node)  # type: ignore[arg-type]
        elif cls is Await:
            scope.awaits.append(node)  # type: ignore[arg-type]
        elif cls is Attribute:
            stack.append((node.value, node, scope))  # type: ignore[attr-defined]
            continue
        elif cls is ast.FunctionDef or cls is ast.AsyncFunctionDef or cls is ast.Lambda or cls is ast.ClassDef:
            if node is not tree:
                inner = ScopeInfo(node, scope)  # type: ignore[arg-type]
                scope.children.append(inner)
                if cls is not ast.Lambda:
                    scope.bound.add(node.name)  # type: ignore[attr-defined]
                outer_parts: list[ast.AST] = []
                if cls is ast.ClassDef:
                    outer_parts = [*node.decorator_list, *node.bases, *node.keywords]  # type: ignore[attr-defined]
                    body: list[ast.AST] = list(node.body)  # type: ignore[attr-defined]
                else:
                    args: ast.arguments = node.args  # type: ignore[attr-defined]
                    outer_parts = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
                    if cls is not ast.Lambda:
                        outer_parts.extend(node.decorator_list)  # type: ignore[attr-defined]
                        if node.returns is not None:  # type: ignore[attr-defined]
                            outer_parts.append(node.returns)  # type: ignore[attr-defined]
                        body = list(node.body)  # type: ignore[attr-defined]
                    else:
                        body = [node.body]  # type: ignore[attr-defined]
                    for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                        if a is not None:
                            inner.bound.add(a.arg)
                            if a.annotation is not None:
                                outer_parts.append(a.annotation)
                for child in reversed(body):
                    stack.append((child, node, inner))
                for child in reversed(outer_parts):
                    stack.append((child, node, scope))
                continue
        elif cls is ast.With or cls is ast.AsyncWith:
            scope.withs.append(node)  # type: ignore[arg-type]
            for item in node.items:  # type: ignore[attr-defined]
                # `with X as name` is typed by the scope (what X.__enter__ gives); other targets unknown.
                if item.optional_vars is not None and not isinstance(item.optional_vars, ast.Name):
                    _bind(item.optional_vars, scope.bound)
        elif cls is ast.For or cls is ast.AsyncFor:
            scope.fors.append(node)  # type: ignore[arg-type]
            _bind(node.target, scope.bound)  # type: ignore[attr-defined]
        elif cls is ast.comprehension:
            scope.fors.append(node)  # type: ignore[arg-type]
            _bind(node.target, scope.bound)  # type: ignore[attr-defined]
        elif cls is ast.Assign or cls is ast.AnnAssign or cls is ast.NamedExpr:
            scope.assigns.append(node)  # type: ignore[arg-type]
        elif cls is ast.AugAssign:
            _bind(node.target, scope.bound)  # type: ignore[attr-defined]
        elif cls is ast.Return:
            scope.returns.append(node)  # type: ignore[arg-type]
        elif cls is ast.Yield or cls is ast.YieldFrom:
            scope.has_yield = True
        elif cls is ast.ExceptHandler:
            if node.name:  # type: ignore[attr-defined]
                scope.bound.add(node.name)  # type: ignore[attr-defined]
        elif cls is ast.Import or cls is ast.ImportFrom:
            scope.imports.append(node)  # type: ignore[arg-type]
        elif cls is ast.Global or cls is ast.Nonlocal:
            scope.bound.update(node.names)  # type: ignore[attr-defined]
        elif cls is ast.Delete:
            for t in node.targets:  # type: ignore[attr-defined]
                _bind(t, scope.bound)
        # children, in source order (pushed reversed)
        fields = _CHILD_FIELDS.get(cls)
        if fields is None:
            fields = _CHILD_FIELDS[cls] = tuple(f for f in cls._fields if f not in _SCALAR_FIELDS)
        if not fields:
            continue
        children: list[ast.AST] = []
        for name in fields:
            value = getattr(node, name, None)
            if value is None:
                continue
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, _AST):
                        children.append(item)
            elif isinstance(value, _AST):
                children.append(value)
        for child in reversed(children):
            stack.append((child, node, scope))
    return root, parents


_SPECIAL = frozenset({
    ast.Call, ast.Await, ast.Attribute, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.With,
    ast.AsyncWith, ast.For, ast.AsyncFor, ast.comprehension, ast.Assign, ast.AnnAssign, ast.NamedExpr,
    ast.AugAssign, ast.Return, ast.Yield, ast.YieldFrom, ast.ExceptHandler, ast.Import, ast.ImportFrom, ast.Global,
    ast.Nonlocal, ast.Delete,
})
# Fields that never hold child nodes (names, flags, the shared Load/Store context objects).
_SCALAR_FIELDS = frozenset({"ctx", "kind", "type_comment", "id", "attr", "arg", "name", "level", "module",
                            "is_async", "conversion", "asname", "n", "s", "value_kind"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {ast.Constant: ()}
