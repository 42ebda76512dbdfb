"""One pass over a module's tree that sorts every node into the scope it belongs to.

Every rule and the summary work from these buckets, so a file is walked once, not once per rule
and per function: the analyzer's speed comes from here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

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
    bound: set[str] = field(default_factory=set)  # names bound by anything but a plain assignment or a for loop
    # `for name in X:` statements' names: typed by the scope (an element of what X is), like `with X as name`
    loop_bound: set[str] = field(default_factory=set)
    loads: dict[str, list[ast.Name]] = field(default_factory=dict)
    stores: set[str] = field(default_factory=set)
    children: list[ScopeInfo] = field(default_factory=list)
    imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)
    has_yield: bool = False
    has_isinstance: bool = False  # calls `isinstance(...)`: the only narrowing the scopes do

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

    The parent map holds every node but the shared operator and context singletons (`ast.Add()`,
    `ast.Load()`: one object for the whole tree, so no one parent).
    """
    parents: dict[int, ast.AST] = {}
    root = ScopeInfo(tree, None)
    scope = root
    # Nodes in pre-order (pushed reversed). A ScopeInfo on the stack switches the current scope:
    # a function's body is pushed between its own scope (on top) and the outer one (beneath).
    stack: list[Any] = [tree]
    pop, push, extend = stack.pop, stack.append, stack.extend
    plans = _PLANS
    special = _SPECIAL
    single = _SINGLE
    Call = ast.Call
    Name, Attribute, Constant, Load = ast.Name, ast.Attribute, ast.Constant, ast.Load
    while stack:
        node = pop()
        cls = node.__class__
        if cls is Name:
            if node.ctx.__class__ is not Load:
                scope.stores.add(node.id)
            elif full:
                loads = scope.loads
                name = node.id
                if name in loads:
                    loads[name].append(node)
                else:
                    loads[name] = [node]
            continue
        if cls is Attribute or cls in single:  # one child node (`.value`), always there
            value = node.value
            if full:
                parents[id(value)] = node
            push(value)
            continue
        if cls is Constant:
            continue
        if cls is Call:
            scope.calls.append(node)
            func = node.func
            if func.__class__ is Name and func.id == "isinstance":
                scope.has_isinstance = True
            call_args = node.args
            keywords = node.keywords
            if full:
                parents[id(func)] = node
                for child in call_args:
                    parents[id(child)] = node
                for child in keywords:
                    parents[id(child)] = node
            if keywords:
                extend(reversed(keywords))
            if call_args:
                extend(reversed(call_args))
            push(func)
            continue
        if cls in special:
            if cls is ScopeInfo:
                scope = node
                continue
            elif cls is ast.Await:
                scope.awaits.append(node)
            elif cls is ast.FunctionDef or cls is ast.AsyncFunctionDef or cls is ast.Lambda or cls is ast.ClassDef:
                if node is not tree:
                    inner = ScopeInfo(node, scope)
                    scope.children.append(inner)
                    if cls is not ast.Lambda:
                        scope.bound.add(node.name)
                    outer_parts: list[ast.AST]
                    body: list[ast.AST]
                    if cls is ast.ClassDef:
                        outer_parts = [*node.decorator_list, *node.bases, *node.keywords]
                        body = node.body
                    else:
                        args: ast.arguments = node.args
                        outer_parts = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
                        if cls is not ast.Lambda:
                            outer_parts.extend(node.decorator_list)
                            if node.returns is not None:
                                outer_parts.append(node.returns)
                            body = node.body
                        else:
                            body = [node.body]
                        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                            if a is not None:
                                inner.bound.add(a.arg)
                                if a.annotation is not None:
                                    outer_parts.append(a.annotation)
                    if full:
                        for child in body:
                            parents[id(child)] = node
                        for child in outer_parts:
                            parents[id(child)] = node
                    push(scope)
                    extend(reversed(body))
                    push(inner)
                    extend(reversed(outer_parts))
                    continue
            elif cls is ast.With or cls is ast.AsyncWith:
                scope.withs.append(node)
                for item in node.items:
                    # `with X as name` is typed by the scope (what X.__enter__ gives); other targets unknown.
                    if item.optional_vars is not None and not isinstance(item.optional_vars, ast.Name):
                        _bind(item.optional_vars, scope.bound)
            elif cls is ast.For or cls is ast.AsyncFor or cls is ast.comprehension:
                scope.fors.append(node)
                if cls is not ast.comprehension and node.target.__class__ is ast.Name:
                    scope.loop_bound.add(node.target.id)
                else:
                    _bind(node.target, scope.bound)
            elif cls is ast.Assign or cls is ast.AnnAssign or cls is ast.NamedExpr:
                scope.assigns.append(node)
            elif cls is ast.AugAssign:
                _bind(node.target, scope.bound)
            elif cls is ast.Return:
                scope.returns.append(node)
            elif cls is ast.Yield or cls is ast.YieldFrom:
                scope.has_yield = True
            elif cls is ast.ExceptHandler:
                if node.name:
                    scope.bound.add(node.name)
            elif cls is ast.Import or cls is ast.ImportFrom:
                scope.imports.append(node)
                if full:  # its children, the aliases, have none: no need to visit them
                    for child in node.names:
                        parents[id(child)] = node
                continue
            elif cls is ast.Global or cls is ast.Nonlocal:
                scope.bound.update(node.names)
            elif cls is ast.Delete:
                for t in node.targets:
                    _bind(t, scope.bound)
        # children, in source order (pushed reversed)
        plan = plans.get(cls)
        if plan is None:
            plan = plans[cls] = _plan(cls)
        fields, checked = plan
        if not fields:
            continue
        children: list[Any] = []
        for name in fields:
            value = getattr(node, name, None)
            if value is None:
                continue
            if value.__class__ is list:
                if checked:
                    children.extend(v for v in value if isinstance(v, _AST))
                else:
                    children.extend(value)
            elif not checked or isinstance(value, _AST):
                children.append(value)
        if full:
            for child in children:
                parents[id(child)] = node
        children.reverse()
        extend(children)
    return root, parents


def _plan(cls: type) -> tuple[tuple[str, ...], bool]:
    """The fields of a node class that can hold child nodes, and whether their values need checking."""
    fields = tuple(f for f in cls._fields if f not in _SCALAR_FIELDS)  # type: ignore[attr-defined]
    return fields, cls in _CHECKED


_SPECIAL = frozenset({
    ast.Call, ast.Await, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.With,
    ast.AsyncWith, ast.For, ast.AsyncFor, ast.comprehension, ast.Assign, ast.AnnAssign, ast.NamedExpr,
    ast.AugAssign, ast.Return, ast.Yield, ast.YieldFrom, ast.ExceptHandler, ast.Import, ast.ImportFrom, ast.Global,
    ast.Nonlocal, ast.Delete, ScopeInfo,
})
# Fields that never hold child nodes (names, flags, the shared operator and Load/Store singletons).
_SCALAR_FIELDS = frozenset({"ctx", "kind", "type_comment", "id", "attr", "arg", "name", "level", "module",
                            "is_async", "conversion", "asname", "n", "s", "value_kind", "op", "ops"})
# Classes with a field that can hold something else than nodes (strings, numbers, None in a list).
_CHECKED = frozenset({ast.AnnAssign, ast.Global, ast.Nonlocal, ast.Dict, ast.arguments, ast.TypeIgnore,
                      ast.MatchClass, ast.MatchMapping, ast.MatchSingleton})
_PLANS: dict[type, tuple[tuple[str, ...], bool]] = {}
# Classes whose one child is `value`, never None.
_SINGLE = frozenset({ast.Expr, ast.keyword, ast.Starred})
