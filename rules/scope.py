"""Local names of one function: what each refers to at a given use, as far as it can be known.

A use sees the assignments that can reach it: those written before it, plus those later in a
loop that encloses it. When they disagree the name is unknown, and a local that cannot be typed
shadows the global of the same name, so it never resolves to the wrong thing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from asyncguard.rules.index import (
    Class,
    Coroutine,
    External,
    Func,
    Instance,
    ProjectIndex,
    Value,
)
from asyncguard.rules.summary import ClassInfo, dotted, resolve_relative
from asyncguard.rules.walk import ScopeInfo

UNKNOWN = object()
MAPPING_GETTERS = frozenset({"get", "pop", "setdefault"})
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
Pos = tuple[int, int]


@dataclass(eq=False)
class _Binding:
    pos: Pos
    node: ast.expr | None = None  # the assigned value, evaluated lazily
    annotation: ast.expr | None = None
    fixed: object = UNKNOWN  # a parameter's value
    lazy: bool = False
    enter: str | None = None  # "sync" / "async": the value is what `with node as x` binds
    element: tuple[int, int] | None = None  # (i, n): the value is item i of the n-tuple `node` gives
    iterate: str | None = None  # "sync" / "async": the value is an element of what `for x in node` iterates
    from_callers: tuple[Func, str] | None = None  # an unannotated parameter: what its callers pass
    declared: bool = False  # `x: T` without a value: x is a T whatever is assigned later
    _value: object = None
    _busy: bool = False


@dataclass
class Scope:
    index: ProjectIndex
    module: str
    cls: Class | None = None  # enclosing class, for self/cls/super()
    parent: Scope | None = None
    is_async: bool = False
    func_node: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    info: ScopeInfo | None = None
    parents: dict[int, ast.AST] | None = None
    unknown: set[str] = field(default_factory=set)  # bound by loops, withs, imports...: never typed
    bindings: dict[str, list[_Binding]] = field(default_factory=dict)
    _facts: list[tuple[str, ast.expr, Pos, Pos]] | None = None

    @property
    def names(self) -> set[str]:
        return self.unknown | set(self.bindings)

    def is_local(self, name: str) -> bool:
        return name in self.unknown or name in self.bindings

    def lookup(self, name: str, at: ast.AST | None = None) -> Value | None:
        scope: Scope | None = self
        use: ast.AST | None = at
        while scope is not None:
            if scope.is_local(name):
                return scope._local(name, use)
            scope = scope.parent
            use = None  # a closure sees whatever the enclosing function assigned last
        return self.index.resolve_global(self.module, name)

    def _local(self, name: str, use: ast.AST | None) -> Value | None:
        if name in self.unknown:
            return None
        binds = self.bindings.get(name, [])
        if use is not None and hasattr(use, "lineno"):
            pos = (getattr(use, "lineno", 0), getattr(use, "col_offset", 0))
            if any(b.pos >= pos for b in binds):  # a later assignment counts only inside a loop around both
                loops = self._enclosing_loops(use)
                binds = [b for b in binds if b.pos < pos or any(_within(b.pos, loop) for loop in loops)]
        if len(binds) > 1:
            declared = [b for b in binds if b.declared]
            if declared:
                binds = declared[-1:]
        if len(binds) == 1:
            return self._value(binds[0])  # type: ignore[return-value]
        values = [self._value(b) for b in binds]
        if not values or any(v is None for v in values):
            return None
        first = values[0]
        if all(_same_value(first, other) for other in values[1:]):
            return first  # type: ignore[return-value]
        return None

    def _value(self, b: _Binding) -> object:
        if not b.lazy:
            return None if b.fixed is UNKNOWN else b.fixed
        if b._busy:
            return None
        if b._value is None:
            b._busy = True
            try:
                v: Value | None = None
                if b.enter is not None and b.node is not None:
                    v = self._entered(b.node, b.enter == "async")
                elif b.iterate is not None and b.node is not None:
                    v = self._element(b.node, b.iterate == "async")
                elif b.from_callers is not None:
                    v = self.index.param_value(*b.from_callers)
                elif b.element is not None and b.node is not None:
                    item = self._tuple_item_annotation(b.node, *b.element)
                    v = self.index.annotation_value(item[0], item[1]) if item is not None else None
                elif b.annotation is not None:
                    v = self.index.annotation_value(self.module, b.annotation)
                elif b.node is not None and not isinstance(b.node, ast.Yield):
                    v = self.eval(b.node)
                b._value = UNKNOWN if (v is None or isinstance(v, Coroutine)) else v
            finally:
                b._busy = False
        return None if b._value is UNKNOWN else b._value

    def _entered(self, expr: ast.expr, is_async: bool) -> Value | None:
        """What `with expr as x` (or `async with`) binds to x."""
        if isinstance(expr, ast.Call):
            callee = self.eval(expr.func)
            if isinstance(callee, Func) and self.index.func_kind(callee) in {"asynccm", "synccm"}:
                return self.index.yield_value(callee)
        value = self.eval(expr)
        return self.index.entered_value(value, is_async) if value is not None else None

    def _item(self, container: ast.expr, mapping_only: bool) -> Value | None:
        """An item of `container` (`d[k]`, `d.get(k)`) from its annotation: a mapping's value type,
        a sequence's element type."""
        found = self.annotation_of(container)
        item = self.index.item_annotation(found[0], found[1], mapping_only) if found is not None else None
        return self.index.annotation_value(item[0], item[1]) if item is not None else None

    def _element(self, expr: ast.expr, is_async: bool) -> Value | None:
        """What `for x in expr` (or `async for`) binds to x, from the annotation of what expr is
        (`recipients: list[User]`, `def history(self) -> AsyncIterator[Message]`)."""
        found = self.annotation_of(expr)
        return self.index.element_value(found[0], found[1], is_async) if found is not None else None

    def annotation_of(self, expr: ast.expr, depth: int = 0) -> tuple[str, str] | None:
        """(module, annotation text) that declares what `expr` is: a parameter's or local's
        annotation, an attribute's declaration, a property's or a called function's return
        annotation (the awaited result for `await f()`). None when nothing declares it."""
        if depth > 8:
            return None
        if isinstance(expr, ast.Await):
            expr = expr.value
            if not isinstance(expr, ast.Call):
                return None
            callee = self.eval(expr.func)
            if isinstance(callee, Func) and callee.info.is_async and callee.info.returns:
                return callee.module, callee.info.returns
            return None
        if isinstance(expr, ast.Name):
            if self.is_local(expr.id) and expr.id not in self.unknown:
                binds = self.bindings.get(expr.id, [])
                if len(binds) == 1:
                    b = binds[0]
                    if b.annotation is not None and b.element is None and b.iterate is None and b.enter is None:
                        return self.module, ast.unparse(b.annotation)
                    if b.node is not None and b.lazy and b.element is None and b.iterate is None and \
                            b.enter is None and not isinstance(b.node, ast.Yield):
                        return self.annotation_of(b.node, depth + 1)
            return None
        if isinstance(expr, ast.Attribute):
            base = self.eval(expr.value)
            return self.index.member_annotation(base, expr.attr) if base is not None else None
        if isinstance(expr, ast.Subscript):
            found = self.annotation_of(expr.value, depth + 1)
            return self.index.item_annotation(found[0], found[1], False) if found is not None else None
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in MAPPING_GETTERS:
            found = self.annotation_of(expr.func.value, depth + 1)
            item = self.index.item_annotation(found[0], found[1], True) if found is not None else None
            if item is not None:
                return item
        if isinstance(expr, ast.Call):
            callee = self.eval(expr.func)
            if isinstance(callee, Func) and callee.info.returns and not callee.subst and \
                    self.index.func_kind(callee) in {"sync", "asyncgen", "generator"}:
                return callee.module, callee.info.returns
        return None

    def _tuple_item_annotation(self, node: ast.expr, i: int, n: int) -> tuple[str, ast.expr] | None:
        """(module, annotation) of item i of `node` when it is typed as an n-tuple (`a, b = pair`)."""
        annotation: ast.expr | None = None
        module = self.module
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Name) and self.func_node is not None:
            args = self.func_node.args
            for a in (*args.posonlyargs, *args.args, *args.kwonlyargs):
                if a.arg == node.id:
                    annotation = a.annotation
        elif isinstance(node, ast.Call):
            callee = self.eval(node.func)
            if isinstance(callee, Func) and callee.info.returns:
                try:
                    annotation = ast.parse(callee.info.returns.strip("'\""), mode="eval").body
                except SyntaxError:
                    return None
                module = callee.module  # its names resolve in its own module
        if not (isinstance(annotation, ast.Subscript) and isinstance(annotation.slice, ast.Tuple)):
            return None
        head = (dotted(annotation.value) or "").rsplit(".", 1)[-1]
        items = annotation.slice.elts
        if head not in {"tuple", "Tuple"} or len(items) != n or any(
            isinstance(e, ast.Constant) and e.value is Ellipsis for e in items
        ):
            return None
        return module, items[i]

    def _enclosing_loops(self, node: ast.AST) -> list[ast.AST]:
        loops: list[ast.AST] = []
        if self.parents is None:
            return loops
        cur = self.parents.get(id(node))
        while cur is not None and cur is not self.func_node:
            if isinstance(cur, _LOOPS):
                loops.append(cur)
            cur = self.parents.get(id(cur))
        return loops

    # -- evaluation ------------------------------------------------------------------------------

    def _narrowed(self, node: ast.expr) -> Value | None:
        """The class an `isinstance` check pins this expression to at this point, if any."""
        if self.func_node is None:
            return None
        if self._facts is None:
            self._facts = _isinstance_facts(self.func_node)
        if not self._facts:
            return None
        text = dotted(node)
        if text is None:
            return None
        pos = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        for subject, cls_node, start, end in self._facts:
            if subject == text and start <= pos <= end:
                cls_name = dotted(cls_node)
                target = self.eval(cls_node) if cls_name else None
                if isinstance(target, Class):
                    return Instance(target)
                return _NARROWED_UNKNOWN  # narrowed to a class the index does not know: not the declared type
        return None

    def eval(self, node: ast.expr, depth: int = 0) -> Value | None:
        if depth > 20:
            return None
        cls = node.__class__
        if (cls is ast.Name or cls is ast.Attribute) and (self._facts is None or self._facts):
            narrowed = self._narrowed(node)
            if narrowed is _NARROWED_UNKNOWN:
                return None
            if narrowed is not None:
                return narrowed
        if cls is ast.Name:
            return self.lookup(node.id, node)  # type: ignore[attr-defined]
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
                if isinstance(node.func, ast.Attribute) and node.func.attr in MAPPING_GETTERS:
                    return self._item(node.func.value, mapping_only=True)  # `self._locks.get(key)`
                return None
            if isinstance(callee, External) and callee.name in {"typing.cast", "typing_extensions.cast"} and \
                    node.args:
                # cast(T, x) is an x of type T; "T" as a string too
                target = node.args[0]
                if isinstance(target, ast.Constant) and isinstance(target.value, str):
                    return self.index.annotation_value(self.module, target.value)
                return self.index.annotation_value(self.module, target)
            result = self.index.call_result(callee)
            if result is None and isinstance(node.func, ast.Attribute) and node.func.attr in MAPPING_GETTERS:
                return self._item(node.func.value, mapping_only=True)  # `self._locks.get(key)`
            return result
        if isinstance(node, ast.Subscript):
            return self._item(node.value, mapping_only=False)
        if isinstance(node, ast.IfExp):  # `X() if cond else None`: an X where it is used
            if isinstance(node.orelse, ast.Constant) and node.orelse.value is None:
                return self.eval(node.body, depth + 1)
            if isinstance(node.body, ast.Constant) and node.body.value is None:
                return self.eval(node.orelse, depth + 1)
            return None
        if isinstance(node, ast.Await):
            inner = self.eval(node.value, depth + 1)
            return self.index.awaited_value(inner) if inner is not None else None
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            # `db = using_db or default_db()`: a value when every alternative agrees
            values = [self.eval(v, depth + 1) for v in node.values
                      if not (isinstance(v, ast.Constant) and v.value is None)]
            first = values[0] if values else None
            if isinstance(first, Instance) and all(
                isinstance(v, Instance) and v.cls.info is first.cls.info for v in values
            ):
                return first
            return None
        return None


_NARROWED_UNKNOWN = Instance(Class("", ClassInfo("?", "?", 0, 0, ())))


def _within(pos: Pos, node: ast.AST) -> bool:
    start = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
    end = (node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]
    return start <= pos <= end


def build_scope(
    index: ProjectIndex,
    module: str,
    info: ScopeInfo | None,
    cls: Class | None,
    parent: Scope | None,
    parents: dict[int, ast.AST] | None = None,
) -> Scope:
    """The locals of a function or lambda (with info None: the module scope, resolved by the index)."""
    node = info.node if info is not None else None
    func_node = node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None
    scope = Scope(index=index, module=module, cls=cls, parent=parent, is_async=isinstance(node, ast.AsyncFunctionDef),
                  func_node=func_node, info=info, parents=parents)
    if info is None or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return scope
    if isinstance(node, ast.Lambda):
        scope.unknown = set(info.bound | info.stores)
        return scope
    if not info.has_isinstance:
        scope._facts = []  # nothing to narrow: no walk over the body for isinstance checks
    args = node.args
    positional = args.posonlyargs + args.args
    decorators = [dotted(d) or "" for d in node.decorator_list]
    is_static = any(d.endswith("staticmethod") for d in decorators)
    is_classmethod = any(d.endswith("classmethod") for d in decorators)
    params: set[str] = set()
    this: Func | None = None
    summary_of_module = index.modules.get(module)
    if cls is not None:
        method = cls.info.methods.get(node.name)
        if method is not None and method.line == node.lineno:
            this = Func(module, method, cls)
    elif parent is not None and parent.func_node is None and summary_of_module is not None:
        function = summary_of_module.functions.get(node.name)
        if function is not None and function.line == node.lineno:
            this = Func(module, function)
    for i, a in enumerate(positional + args.kwonlyargs):
        params.add(a.arg)
        value: object = UNKNOWN
        if i == 0 and cls is not None and not is_static and a in positional:
            value = Class(cls.module, cls.info) if is_classmethod else Instance(cls)
        elif a.annotation is not None:  # typed when first looked up: most parameters never are
            scope.bindings[a.arg] = [_Binding((0, 0), annotation=a.annotation, lazy=True)]
            continue
        elif this is not None:
            scope.bindings[a.arg] = [_Binding((0, 0), lazy=True, from_callers=(this, a.arg))]
            continue
        scope.bindings[a.arg] = [_Binding((0, 0), fixed=value)]
    for extra in (args.vararg, args.kwarg):
        if extra is not None:
            params.add(extra.arg)
            scope.unknown.add(extra.arg)
    for assign in info.assigns:
        targets = list(assign.targets) if isinstance(assign, ast.Assign) else [assign.target]
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            target = targets[0]
            if isinstance(assign, ast.AnnAssign):
                binding = _Binding((target.lineno, target.col_offset), node=assign.value,
                                   annotation=assign.annotation, lazy=True, declared=assign.value is None)
            elif isinstance(assign.value, ast.Yield):
                # `x = yield y` in a function annotated Generator[Y, S, R] / AsyncGenerator[Y, S]: x is an S.
                binding = _Binding((target.lineno, target.col_offset), annotation=_send_type(node), lazy=True)
            else:
                if isinstance(assign.value, ast.Constant) and assign.value.value is None:
                    continue  # `x = None` then assigned later: Optional, not a conflict
                binding = _Binding((target.lineno, target.col_offset), node=assign.value, lazy=True)
            scope.bindings.setdefault(target.id, []).append(binding)
        elif (
            len(targets) == 1 and isinstance(targets[0], ast.Tuple) and assign.value is not None
            and all(isinstance(e, ast.Name) for e in targets[0].elts)
        ):
            elts = targets[0].elts
            for i, elt in enumerate(elts):
                assert isinstance(elt, ast.Name)
                scope.bindings.setdefault(elt.id, []).append(_Binding(
                    (elt.lineno, elt.col_offset), node=assign.value, lazy=True, element=(i, len(elts))))
        else:
            for t in targets:
                if isinstance(t, ast.Name) and isinstance(assign, ast.Assign) and len(targets) > 1 and \
                        not (isinstance(assign.value, ast.Constant) and assign.value.value is None):
                    # `cache[key] = lock = asyncio.Lock()`: every name target holds the value
                    scope.bindings.setdefault(t.id, []).append(_Binding((t.lineno, t.col_offset), node=assign.value,
                                                                         lazy=True))
                    continue
                for n in ast.walk(t):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                        scope.unknown.add(n.id)
    summary = index.modules.get(module)
    for imp in info.imports:
        for alias in imp.names:
            if alias.name == "*":
                continue
            local = alias.asname or alias.name.split(".")[0]
            if isinstance(imp, ast.Import):
                imported: tuple[str, ...] = ("module", alias.name if alias.asname else local)
            else:
                base = resolve_relative(module, summary.is_package if summary else False, imp.level, imp.module)
                imported = ("from", base, alias.name)
            value = index.import_value(imported)
            scope.bindings.setdefault(local, []).append(
                _Binding((imp.lineno, imp.col_offset), fixed=value if value is not None else UNKNOWN))
    for loop in info.fors:
        if isinstance(loop, ast.For | ast.AsyncFor) and isinstance(loop.target, ast.Name):
            target = loop.target
            scope.bindings.setdefault(target.id, []).append(_Binding(
                (target.lineno, target.col_offset), node=loop.iter, lazy=True,
                iterate="async" if isinstance(loop, ast.AsyncFor) else "sync"))
    for stmt in info.withs:
        for item in stmt.items:
            if isinstance(item.optional_vars, ast.Name):
                target = item.optional_vars
                scope.bindings.setdefault(target.id, []).append(_Binding(
                    (target.lineno, target.col_offset), node=item.context_expr, lazy=True,
                    enter="async" if isinstance(stmt, ast.AsyncWith) else "sync"))
    scope.unknown |= info.bound - params
    # Names stored some other way (e.g. `x = None` only) still shadow globals.
    for name in info.stores:
        if name not in scope.bindings:
            scope.unknown.add(name)
    return scope


def _isinstance_call(test: ast.expr) -> tuple[str, ast.expr] | None:
    if (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance"
            and len(test.args) == 2):
        subject = dotted(test.args[0])
        if subject is not None:
            return subject, test.args[1]
    return None


def _ends_flow(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], ast.Raise | ast.Return | ast.Continue | ast.Break)


_END: Pos = (10**9, 0)


def _isinstance_facts(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, ast.expr, Pos, Pos]]:
    """(subject, class, from, to): where `isinstance` checks pin a name or attribute to one class."""
    facts: list[tuple[str, ast.expr, Pos, Pos]] = []

    def block(stmts: list[ast.stmt], end: Pos) -> None:
        for stmt in stmts:
            after = (stmt.end_lineno or stmt.lineno, stmt.end_col_offset or 0)
            if isinstance(stmt, ast.Assert):
                found = _isinstance_call(stmt.test)
                if found:
                    facts.append((found[0], found[1], after, end))
            elif isinstance(stmt, ast.If):
                found = _isinstance_call(stmt.test)
                if found and stmt.body:
                    first, last = stmt.body[0], stmt.body[-1]
                    body_end = (last.end_lineno or last.lineno, last.end_col_offset or 0)
                    facts.append((found[0], found[1], (first.lineno, first.col_offset), body_end))
                negated = stmt.test.operand if isinstance(stmt.test, ast.UnaryOp) and isinstance(
                    stmt.test.op, ast.Not) else None
                found = _isinstance_call(negated) if negated is not None else None
                if found and _ends_flow(stmt.body) and not stmt.orelse:
                    facts.append((found[0], found[1], after, end))
                block(stmt.body, after)
                block(stmt.orelse, after)
            elif isinstance(stmt, ast.For | ast.AsyncFor | ast.While | ast.With | ast.AsyncWith | ast.Try):
                block(stmt.body, after)
                if isinstance(stmt, ast.Try):
                    for handler in stmt.handlers:
                        block(handler.body, after)
                    block(stmt.finalbody, after)
                if isinstance(stmt, ast.For | ast.AsyncFor | ast.While | ast.Try):
                    block(stmt.orelse, after)

    block(func.body, _END)
    return facts


def _send_type(func: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.expr | None:
    returns = func.returns
    if not isinstance(returns, ast.Subscript) or not isinstance(returns.slice, ast.Tuple):
        return None
    head = (dotted(returns.value) or "").rsplit(".", 1)[-1]
    if head in {"Generator", "AsyncGenerator"} and len(returns.slice.elts) >= 2:
        return returns.slice.elts[1]
    return None


def _same_value(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, Instance) and isinstance(b, Instance):
        return a.cls.info is b.cls.info
    if isinstance(a, Func) and isinstance(b, Func):
        return a.info is b.info
    if isinstance(a, Class) and isinstance(b, Class):
        return a.info is b.info
    return getattr(a, "name", None) == getattr(b, "name", 1) or getattr(a, "cls", None) == getattr(b, "cls", 1)
