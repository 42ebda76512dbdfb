"""One module's interface, as the rest of the project sees it.

A summary is what the index keeps per file: definitions (async or not, decorators, return
annotation), classes (bases, methods, attribute types) and imports. It is small, picklable and
keyed by the file's content hash, so an unchanged file is never parsed twice.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from asyncguard.rules.consensus import Usage, usage_counts
from asyncguard.rules.guards import Guard, PassedOn, call_guards, literal_of, passed_on
from asyncguard.rules.walk import ScopeInfo, _bind, walk_module

# Return annotations that say "this plain def hands back something awaitable / async".
AWAITABLE_ANNOTATION_WORDS = (
    "Awaitable",
    "Coroutine",
    "Future",
    "Task",
    "AsyncIterator",
    "AsyncIterable",
    "AsyncGenerator",
    "AsyncContextManager",
    "AbstractAsyncContextManager",
    "Any",
    "object",
    "Self",
    "TypeVar",
    "Generator",  # generator-based coroutines
)


@functools.lru_cache(maxsize=8192)
def annotation_members(text: str) -> tuple[ast.expr, ...] | None:
    """The members of a (possibly union / Optional / string) annotation; `None` members dropped."""
    try:
        node: ast.expr = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    return node_members(node)


def node_members(node: ast.expr) -> tuple[ast.expr, ...] | None:
    """annotation_members for an annotation already parsed."""
    walked = _union_walk(node)
    return walked[0] if walked is not None else None


@functools.lru_cache(maxsize=4096)
def optional_members(text: str) -> tuple[ast.expr, ...] | None:
    """The other members of an annotation that admits None (`Optional[X]`, `X | None`,
    `Union[X, None]`); None when it does not, or when None is all it is."""
    try:
        walked = _union_walk(ast.parse(text, mode="eval").body)
    except SyntaxError:
        return None
    return walked[0] if walked is not None and walked[1] and walked[0] else None


def _union_walk(node: ast.expr) -> tuple[tuple[ast.expr, ...], bool] | None:
    """The members of a (possibly union / Optional / string) annotation, None members dropped, and
    whether one was None (`Optional[X]` counts)."""
    out: list[ast.expr] = []
    admits_none = False
    pending = [node]
    while pending:
        n = pending.pop()
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            try:
                pending.append(ast.parse(n.value, mode="eval").body)
            except SyntaxError:
                return None
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr):
            pending.extend((n.right, n.left))
        elif isinstance(n, ast.Subscript) and (head := (dotted(n.value) or "").rsplit(".", 1)[-1]) in {
                "Union", "Optional"}:
            elts = n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]
            pending.extend(reversed(elts))
            admits_none = admits_none or head == "Optional"
        elif isinstance(n, ast.Subscript) and (dotted(n.value) or "").rsplit(".", 1)[-1] in {"Annotated", "Final",
                                                                                              "ClassVar"}:
            pending.append(n.slice.elts[0] if isinstance(n.slice, ast.Tuple) else n.slice)
        elif isinstance(n, ast.Constant) and n.value is None:
            admits_none = True
        else:
            out.append(n)
    return tuple(out), admits_none


def member_head(node: ast.expr) -> str | None:
    """`Optional[X]` member `list[int]` -> "list"; `pkg.Cls` -> "pkg.Cls"."""
    if isinstance(node, ast.Subscript):
        node = node.value
    return dotted(node)


def annotation_heads(text: str) -> list[str] | None:
    members = annotation_members(text)
    if members is None:
        return None
    heads = [member_head(m) for m in members]
    if any(h is None for h in heads):
        return None
    return [h.rsplit(".", 1)[-1] for h in heads if h is not None] or ["None"]


@dataclass
class Param:
    name: str
    annotation: str | None
    kind: str  # posonly | normal | vararg | kwonly | kwarg
    has_default: bool


ArgCall = tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]


@dataclass
class FuncInfo:
    name: str
    qualname: str
    line: int
    column: int
    end_line: int
    is_async: bool
    is_generator: bool  # contains yield in its own body
    decorators: tuple[str, ...]  # dotted text; a call decorator ends with "()"
    returns: str | None
    params: tuple[Param, ...]
    is_stub: bool  # body is only docstring / pass / ... / raise NotImplementedError
    # body is only `[return] super().<same name>(...)` or `[return] Base.<same name>(self, ...)`
    delegates_to_base: bool = False
    # Calls made only under an `if` on a parameter (rules.guards): dotted callee -> the guards of each
    # of its calls here (an empty tuple for an unguarded one); and the literal defaults of parameters.
    guarded_calls: tuple[tuple[str, tuple[tuple[Guard, ...], ...]], ...] = ()
    param_defaults: tuple[tuple[str, str], ...] = ()
    passed_on: tuple[PassedOn, ...] = ()  # parameters and literals handed to callees (rules.guards)
    # What the function returns, one entry per return statement (a returned local: one per value it
    # was assigned), and "none"/"end" for surely/maybe falling off the end:
    # "none", "literal", "call:<dotted>", "await", "self", "end", "unknown"
    return_shapes: tuple[str, ...] = ()
    # Calls in the function's own body (not nested defs): (dotted callee text, line)
    calls: tuple[tuple[str, int], ...] = ()
    # For decorators written in the project: "async" (wraps into an async def), "preserve" (a sync
    # wrapper that returns the wrapped call), None (unknown effect). Factories: the effect of the
    # decorator they return.
    decorator_effect: str | None = None
    is_decorator_factory: bool = False
    local_names: frozenset[str] = frozenset()  # params and names bound in the body
    # Calls with arguments, for typing unannotated parameters from their callers: (callee text,
    # positional tokens, keyword tokens); a token is "self", "param:<name>" (one of this function's
    # unannotated parameters), "*" (unpacked) or "" (anything else).
    arg_calls: tuple[ArgCall, ...] = ()
    # For `__init__`: parameters whose every use is storing them on `self` or handing them on to
    # `super().__init__`: name -> ("attr:<name>" | "super:<i>" | "superkw:<name>", ...); "*"/"**"
    # for `*args`/`**kwargs` passed on whole to `super().__init__`.
    param_fates: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def is_coroutine_function(self) -> bool:
        return self.is_async and not self.is_generator

    @property
    def is_async_generator(self) -> bool:
        return self.is_async and self.is_generator

    @property
    def returns_awaitable_annotation(self) -> bool:
        if self.returns is None:
            return False
        heads = annotation_heads(self.returns)
        if heads is None:
            return True  # cannot tell: assume it may be awaitable
        return any(h in AWAITABLE_ANNOTATION_WORDS or (len(h) <= 2 and h.isupper()) for h in heads)


@dataclass
class ClassInfo:
    name: str
    qualname: str
    line: int
    column: int
    bases: tuple[str, ...]
    methods: dict[str, FuncInfo] = field(default_factory=dict)
    # attribute name -> type expressions ("decl:<annotation>" for a declaration (`x: T` in the class body,
    # `self.x: T = ...`), "ann:<annotation>" for a value of that annotation, "call:<dotted callee>", ...)
    attrs: dict[str, list[str]] = field(default_factory=dict)
    decorators: tuple[str, ...] = ()
    nested: dict[str, ClassInfo] = field(default_factory=dict)

    @property
    def is_protocol(self) -> bool:
        return any(b.rsplit(".", 1)[-1].startswith("Protocol") for b in self.bases)


@dataclass
class ModuleSummary:
    name: str
    path: str
    is_package: bool
    functions: dict[str, FuncInfo] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    # local name -> ("module", "a.b") | ("from", "a.b", "attr")
    imports: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # module-level variables: name -> type expressions ("ann:..", "call:..", "alias:..")
    variables: dict[str, list[str]] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    all_names: list[str] | None = None
    has_getattr: bool = False
    # Every module an import anywhere in this file names (and its parent packages): what the
    # analysis of a file needs to read, transitively.
    references: tuple[str, ...] = ()
    arg_calls: tuple[ArgCall, ...] = ()  # calls at module level and in class bodies (see FuncInfo)
    # Attribute names whose value this module awaits, returns or hands to a task runner anywhere
    # (`await x.fut`, `gather(self.job)`): a coroutine stored under another name is never run.
    awaited_attrs: frozenset[str] = frozenset()
    # Calls `sock.setblocking(False)` somewhere: its socket calls are the non-blocking kind an event
    # loop makes itself (anyio, trio), not the blocking ones AG107 is about.
    nonblocking_sockets: bool = False
    # Method names whose result this module awaits only when it is awaitable (`r = obj.hook();
    # if inspect.isawaitable(r): await r`, `await maybe_await(obj.hook())`): sync and async
    # overrides of them are both right (AG108).
    either_way_names: frozenset[str] = frozenset()
    # How this module uses each call form (`session.get` -> awaited / async with / async for / other
    # counts): the project's own evidence of what an unresolved call returns (rules.consensus, AG114).
    call_usage: dict[str, Usage] = field(default_factory=dict)


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super" and not node.args:
        parts.append("super()")
        return ".".join(reversed(parts))
    return None


def decorator_text(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        inner = dotted(node.func)
        return (inner or "?") + "()"
    return dotted(node) or "?"


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module named by `from <level dots><target> import ...` inside `module`."""
    if level == 0:
        return target or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    base = ".".join(parts)
    if target:
        return f"{base}.{target}" if base else target
    return base


def _param_defaults(args: ast.arguments) -> tuple[tuple[str, str], ...]:
    """Parameters whose default is a literal: what a call that leaves them out passes."""
    positional = args.posonlyargs + args.args
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
    out = []
    for arg, default in pairs:
        literal = literal_of(default)
        if literal is not None:
            out.append((arg.arg, literal))
    return tuple(out)


def _delegates_to_base(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """The whole body (after a docstring) hands the call to the base class's method of the same
    name: `return super().connect(sid)`, `Base.connect(self, sid)`."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Return | ast.Expr) or body[0].value is None:
        return False
    call = body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == node.name):
        return False
    owner = call.func.value
    if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
        return True
    return dotted(owner) is not None and not isinstance(owner, ast.Call) and bool(call.args) \
        and isinstance(call.args[0], ast.Name) and call.args[0].id == "self"


def _is_stub(body: list[ast.stmt]) -> bool:
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring or `...`
        if isinstance(stmt, ast.Raise):
            exc = stmt.exc
            if isinstance(exc, ast.Call):
                exc = exc.func
            if isinstance(exc, ast.Name) and exc.id in {"NotImplementedError", "NotImplemented"}:
                continue
        return False
    return True


_LITERALS = (
    ast.Constant,
    ast.JoinedStr,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.Compare,
    ast.BoolOp,
)


_BUILTIN_CONVERTERS = frozenset({"str", "int", "float", "bool", "len", "list", "dict", "set", "tuple", "sorted",
                                 "repr", "bytes", "isinstance", "any", "all", "sum", "min", "max", "frozenset"})


def _return_shape(value: ast.expr | None) -> str:
    if value is None or (isinstance(value, ast.Constant) and value.value is None):
        return "none"
    if isinstance(value, _LITERALS):
        if isinstance(value, ast.BoolOp):
            return "unknown"
        return "literal"
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.Not):
        return "literal"
    if isinstance(value, ast.Await):
        return "await"
    if isinstance(value, ast.Name) and value.id == "self":
        return "self"
    if isinstance(value, ast.Call):
        func = value.func
        root: ast.expr = func
        while isinstance(root, ast.Attribute | ast.Call):
            root = root.value if isinstance(root, ast.Attribute) else root.func
        if isinstance(root, ast.Constant | ast.JoinedStr) and isinstance(func, ast.Attribute):
            return "literal"  # "".join(...), "{}".format(...).strip()
        name = dotted(func)
        if name in _BUILTIN_CONVERTERS:
            return "literal"
        if name is not None:
            return f"call:{name}"
    if isinstance(value, ast.BinOp | ast.UnaryOp) and _is_arithmetic(value):
        return "literal"
    return "unknown"


def _is_arithmetic(value: ast.expr) -> bool:
    """An operation with a literal operand somewhere: a number or a string, never an awaitable."""
    if isinstance(value, _LITERALS) and not isinstance(value, ast.BoolOp):
        return True
    if isinstance(value, ast.BinOp):
        return _is_arithmetic(value.left) or _is_arithmetic(value.right)
    if isinstance(value, ast.UnaryOp):
        return _is_arithmetic(value.operand)
    return False


def function_return_shapes(node: ast.FunctionDef | ast.AsyncFunctionDef, scope: ScopeInfo) -> list[str]:
    """One shape per way the function can return (a returned local stands for what it was assigned)."""
    locals_: dict[str, list[ast.expr]] | None = None
    shapes: list[str] = []
    for ret in scope.returns:
        value = ret.value
        returned = value.func if isinstance(value, ast.Call) else value
        if isinstance(returned, ast.Name) and returned.id != "self":
            if locals_ is None:
                locals_ = _local_values(node, scope)
            assigned = locals_.get(returned.id)
            if assigned is not None:
                if isinstance(value, ast.Name):
                    shapes.extend(_return_shape(v) for v in assigned)
                else:
                    shapes.extend(f"call:{d}" if (d := dotted(v)) is not None and not isinstance(v, ast.Call)
                                  else "unknown" for v in assigned)
                continue
        shapes.append(_return_shape(value))
    end = _end_reachable(node.body)
    if end is not False:
        shapes.append("none" if end else "end")
    return shapes


def _local_values(node: ast.FunctionDef | ast.AsyncFunctionDef, scope: ScopeInfo) -> dict[str, list[ast.expr]]:
    """Locals bound only by plain `name = value` statements, with every value they can hold.

    A value assigned at the top of the body is dropped when a later top-level statement surely
    assigns the name again (`x = None` then `if ...: x = a` `else: x = b`).
    """
    other = scope.bound | scope.loop_bound
    for w in scope.withs:
        other.update(i.optional_vars.id for i in w.items if isinstance(i.optional_vars, ast.Name))
    values: dict[str, list[ast.expr]] = {}
    for a in scope.assigns:
        if isinstance(a, ast.Assign) and len(a.targets) == 1 and isinstance(a.targets[0], ast.Name):
            values.setdefault(a.targets[0].id, []).append(a.value)
        elif isinstance(a, ast.AnnAssign) and isinstance(a.target, ast.Name) and a.value is not None:
            values.setdefault(a.target.id, []).append(a.value)
        else:
            targets = a.targets if isinstance(a, ast.Assign) else [a.target]
            for t in targets:
                _bind(t, other)
    out = {k: v for k, v in values.items() if k not in other}
    body = node.body
    for i, stmt in enumerate(body):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            if name in out and any(_surely_assigns(later, name) for later in body[i + 1:]):
                out[name] = [v for v in out[name] if v is not stmt.value]
    return out


def _surely_assigns(stmt: ast.stmt, name: str) -> bool:
    if isinstance(stmt, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
    if isinstance(stmt, ast.If):
        return bool(stmt.orelse) and _block_assigns(stmt.body, name) and _block_assigns(stmt.orelse, name)
    if isinstance(stmt, ast.With | ast.AsyncWith):
        return _block_assigns(stmt.body, name)
    return False


def _block_assigns(body: list[ast.stmt], name: str) -> bool:
    for stmt in body:
        if _surely_assigns(stmt, name):
            return True
        if isinstance(stmt, ast.Return | ast.Raise):
            return True  # this path never reaches past the block
    return False


_NO_RETURN_WORDS = ("exit", "fail", "abort", "raise", "throw", "error", "panic", "skip", "die")


def _end_reachable(body: list[ast.stmt]) -> bool | None:
    """Whether control reaches the end of `body`: True surely, False surely not, None maybe."""
    if not body:
        return True
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise):
        return False
    if isinstance(last, ast.If):
        return _either(_end_reachable(last.body), _end_reachable(last.orelse))
    if isinstance(last, ast.Try):
        handlers = [_end_reachable(h.body) for h in last.handlers]
        ends = [_end_reachable(last.body + last.orelse), *handlers]
        if last.finalbody and _end_reachable(last.finalbody) is False:
            return False
        verdict: bool | None = ends[0]
        for e in ends[1:]:
            verdict = _either(verdict, e)
        return verdict
    if isinstance(last, ast.With | ast.AsyncWith):
        return _end_reachable(last.body)
    if isinstance(last, ast.While):
        if isinstance(last.test, ast.Constant) and last.test.value is True:
            return False
        return None
    if isinstance(last, ast.For | ast.AsyncFor):
        return None if last.orelse else True
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        name = (dotted(last.value.func) or "").rsplit(".", 1)[-1].lower()
        return None if any(w in name for w in _NO_RETURN_WORDS) else True
    if isinstance(last, ast.Assert) and isinstance(last.test, ast.Constant) and not last.test.value:
        return False
    if isinstance(last, ast.Match):
        return None
    if isinstance(last, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Pass | ast.Expr | ast.Delete | ast.Import
                  | ast.ImportFrom | ast.Global | ast.Nonlocal | ast.Assert):
        return True
    return None


def _either(a: bool | None, b: bool | None) -> bool | None:
    """Reachability of the end of one of two branches."""
    if a is True or b is True:
        return True
    if a is False and b is False:
        return False
    return None


def _params(args: ast.arguments) -> tuple[Param, ...]:
    out: list[Param] = []
    positional = args.posonlyargs + args.args
    n_defaults = len(args.defaults)
    first_default = len(positional) - n_defaults
    for i, a in enumerate(positional):
        kind = "posonly" if i < len(args.posonlyargs) else "normal"
        out.append(Param(a.arg, _ann(a.annotation), kind, i >= first_default))
    if args.vararg:
        out.append(Param(args.vararg.arg, _ann(args.vararg.annotation), "vararg", False))
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        out.append(Param(a.arg, _ann(a.annotation), "kwonly", d is not None))
    if args.kwarg:
        out.append(Param(args.kwarg.arg, _ann(args.kwarg.annotation), "kwarg", False))
    return tuple(out)


def _ann(node: ast.expr | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return _unparse(node)


def _unparse(node: ast.expr) -> str:
    """`ast.unparse(node)`, the usual annotation shapes without the slow unparser."""
    text = _simple_unparse(node)
    return text if text is not None else ast.unparse(node)


def _simple_unparse(node: ast.expr) -> str | None:
    """`ast.unparse` of the usual annotation shapes (`a.B`, `X[Y, Z]`, `A | None`, `Callable[[A], B]`,
    `Literal["x"]`), written directly: the same text, without the unparser's slow visitor.
    None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        if node.value.__class__ not in _PRIMARY:
            return None  # `1 .real`, `(a | b).c`
        head = _simple_unparse(node.value)
        return None if head is None else f"{head}.{node.attr}"
    if isinstance(node, ast.Subscript):
        head = _simple_unparse(node.value) if node.value.__class__ in _PRIMARY else None
        if head is None:
            return None
        index = node.slice
        if isinstance(index, ast.Tuple):
            if len(index.elts) < 2:
                return None  # `X[()]`, `X[a,]`
            inner = _simple_unparse_all(index.elts)
        else:
            inner = _simple_unparse(index)
        return None if inner is None else f"{head}[{inner}]"
    if isinstance(node, ast.Constant):
        value = node.value
        if node.kind is not None:
            return None  # u"..."
        if value is None or value is True or value is False:
            return repr(value)
        if value is ...:
            return "..."
        if isinstance(value, str):
            if value.isascii() and value.isprintable() and "'" not in value and '"' not in value \
                    and "\\" not in value:
                return f"'{value}'"
            return None
        if value.__class__ is int and value >= 0:
            return repr(value)
        return None
    if isinstance(node, ast.BinOp):
        # `A | B | C` is ((A | B) | C): a left `|` needs no parentheses, a right one does.
        left, right = node.left, node.right
        if not isinstance(node.op, ast.BitOr) or isinstance(right, ast.BinOp) or (
                isinstance(left, ast.BinOp) and not isinstance(left.op, ast.BitOr)):
            return None
        lt, rt = _simple_unparse(left), _simple_unparse(right)
        return None if lt is None or rt is None else f"{lt} | {rt}"
    if isinstance(node, ast.List):
        inner = _simple_unparse_all(node.elts) if node.elts else ""
        return None if inner is None else f"[{inner}]"
    return None


_PRIMARY = frozenset({ast.Name, ast.Attribute, ast.Subscript})


def _simple_unparse_all(nodes: list[ast.expr]) -> str | None:
    parts = []
    for n in nodes:
        text = _simple_unparse(n)
        if text is None:
            return None
        parts.append(text)
    return ", ".join(parts)


def _decorator_effect(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str | None, bool]:
    """How a decorator written in the project changes what it wraps (see FuncInfo)."""
    if isinstance(fn, ast.AsyncFunctionDef) or not fn.args.args:
        return None, False
    param = fn.args.args[0].arg
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    returns = [s for s in ast.walk(fn) if isinstance(s, ast.Return)]
    if returns and all(isinstance(r.value, ast.Name) and r.value.id == param for r in returns) and not any(
        isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) for s in body
    ):
        return "preserve", False  # registers or annotates the function and returns it unchanged
    inner_defs = {
        s.name: s for s in fn.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    returned = [s.value.id for s in fn.body if isinstance(s, ast.Return) and isinstance(s.value, ast.Name)]
    if len(returned) != 1 or returned[0] not in inner_defs:
        return None, False
    inner = inner_defs[returned[0]]
    if isinstance(inner, ast.AsyncFunctionDef):
        return "async", False
    # A factory: the returned inner function is itself a decorator.
    nested_effect, nested_factory = _decorator_effect(inner)
    if nested_effect is not None and not nested_factory and not any(
        isinstance(s, ast.Return) and isinstance(s.value, ast.Call) and dotted(s.value.func) == param
        for s in ast.walk(inner)
    ):
        return nested_effect, True
    # A sync wrapper whose every return is `param(...)`: preserves what it wraps.
    rets = [s for s in ast.walk(inner) if isinstance(s, ast.Return)]
    if rets and all(
        isinstance(r.value, ast.Call) and isinstance(r.value.func, ast.Name) and r.value.func.id == param
        for r in rets
    ):
        return "preserve", False
    return None, False


def summarize_function(
    node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, scope: ScopeInfo | None = None
) -> FuncInfo:
    if scope is None:
        scope = _scope_of(node)
    shapes = function_return_shapes(node, scope)
    effect, factory = _decorator_effect(node) if scope.children else (None, False)
    calls: dict[str, int] = {}
    named_calls: list[tuple[str, ast.Call]] = []
    guards_of = call_guards(node)
    guarded: dict[str, list[tuple[Guard, ...]]] = {}
    for call in scope.calls:
        name = dotted(call.func)
        if name is not None:
            named_calls.append((name, call))
            if name not in calls:
                calls[name] = call.lineno
            guarded.setdefault(name, []).append(guards_of.get(id(call), ()))
    params = _params(node.args)
    untyped = {p.name for p in params if p.annotation is None}
    return FuncInfo(
        name=node.name,
        qualname=qualname,
        line=node.lineno,
        column=node.col_offset,
        end_line=node.end_lineno or node.lineno,
        is_async=isinstance(node, ast.AsyncFunctionDef),
        is_generator=scope.has_yield,
        decorators=tuple(decorator_text(d) for d in node.decorator_list),
        returns=_ann(node.returns),
        params=params,
        is_stub=_is_stub(node.body),
        delegates_to_base=_delegates_to_base(node),
        guarded_calls=tuple((n, tuple(g)) for n, g in guarded.items() if any(g)) if guards_of else (),
        param_defaults=_param_defaults(node.args),
        passed_on=passed_on(node, named_calls, scope.stores),
        return_shapes=tuple(shapes),
        calls=tuple(calls.items()),
        decorator_effect=effect,
        is_decorator_factory=factory,
        local_names=frozenset(scope.bound | scope.loop_bound | scope.stores | {p.name for p in params} | _imported_names(scope)),
        arg_calls=_arg_calls(named_calls, untyped),
        param_fates=_param_fates(node) if node.name == "__init__" and untyped - {"self"} else (),
    )


def _param_fates(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[tuple[str, tuple[str, ...]], ...]:
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs) if a.annotation is None][1:]
    star = args.vararg.arg if args.vararg else None
    stars = args.kwarg.arg if args.kwarg else None
    self_name = (args.posonlyargs + args.args)[0].arg if (args.posonlyargs + args.args) else "self"
    fates: dict[str, list[str]] = {n: [] for n in [*names, *(x for x in (star, stars) if x)]}
    handled: set[int] = set()
    uses: list[ast.Name] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            if sub.id in fates:
                uses.append(sub)
        elif isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(sub.value, ast.Name):
            t = sub.targets[0]
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == self_name \
                    and sub.value.id in fates:
                fates[sub.value.id].append(f"attr:{t.attr}")
                handled.add(id(sub.value))
        elif isinstance(sub, ast.Call) and dotted(sub.func) == "super().__init__":
            for i, a in enumerate(sub.args):
                if isinstance(a, ast.Name) and a.id in fates:
                    fates[a.id].append(f"super:{i}")
                    handled.add(id(a))
                elif isinstance(a, ast.Starred) and isinstance(a.value, ast.Name) and a.value.id == star and \
                        i == len(sub.args) - 1:
                    fates[star].append(f"super*:{i}")
                    handled.add(id(a.value))
            for k in sub.keywords:
                if isinstance(k.value, ast.Name) and k.value.id in fates:
                    fates[k.value.id].append("super**" if k.arg is None and k.value.id == stars
                                             else f"superkw:{k.arg}")
                    handled.add(id(k.value))
    for use in uses:
        if id(use) not in handled:
            fates.pop(use.id, None)  # used (or rebound) some other way: where it ends up is not known
    return tuple((n, tuple(f)) for n, f in fates.items() if f)


def _arg_calls(calls: list[tuple[str, ast.Call]], untyped: set[str]) -> tuple[ArgCall, ...]:
    out: list[ArgCall] = []
    for name, call in calls:
        if not call.args and not call.keywords:
            continue
        out.append((name, tuple(_arg_token(a, untyped) for a in call.args),
                    tuple((k.arg or "**", _arg_token(k.value, untyped)) for k in call.keywords)))
    return tuple(out)


def _arg_token(arg: ast.expr, untyped: set[str]) -> str:
    if isinstance(arg, ast.Starred):
        return "*"
    if isinstance(arg, ast.Name):
        if arg.id == "self":
            return "self"
        if arg.id in untyped:
            return f"param:{arg.id}"
    return ""


def _imported_names(scope: ScopeInfo) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for imp in scope.imports for a in imp.names}


def _scope_of(node: ast.FunctionDef | ast.AsyncFunctionDef) -> ScopeInfo:
    module = ast.Module(body=[node], type_ignores=[])
    root, _ = walk_module(module)
    return root.children[0]


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _value_type(value: ast.expr) -> str | None:
    if isinstance(value, ast.IfExp) and (_is_none(value.body) or _is_none(value.orelse)):
        # `X(...) if cond else None`: an X or nothing, i.e. an X wherever it is used
        return _value_type(value.orelse if _is_none(value.body) else value.body)
    if isinstance(value, ast.Call):
        name = dotted(value.func)
        if name is not None:
            return f"call:{name}"
        return None
    if isinstance(value, ast.Await) and isinstance(value.value, ast.Call):
        name = dotted(value.value.func)
        if name is not None:
            return f"awaitcall:{name}"
    return None


def _with_chain(name: str, scope: ScopeInfo, local_imports: dict[str, str], depth: int = 0) -> str | None:
    """How a method bound `name` by `with`: "async aiohttp.ClientSession > async .ws_connect" for
    `async with aiohttp.ClientSession() as s: async with s.ws_connect(url) as name`."""
    if depth > 3 or name in scope.bound or name in scope.loop_bound or any(
        isinstance(t, ast.Name) and t.id == name
        for a in scope.assigns for t in (a.targets if isinstance(a, ast.Assign) else [a.target])
    ):
        return None  # also bound some other way
    for w in scope.withs:
        for item in w.items:
            if not (isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name):
                continue
            expr = item.context_expr
            callee = dotted(expr.func) if isinstance(expr, ast.Call) else None
            if callee is None:
                return None
            kind = "async" if isinstance(w, ast.AsyncWith) else "sync"
            head, dot, rest = callee.partition(".")
            if dot and head != name:
                outer = _with_chain(head, scope, local_imports, depth + 1)
                if outer is not None:
                    return f"{outer} > {kind} .{rest}"
            if head in scope.bound or head in scope.loop_bound or any(
                isinstance(t, ast.Name) and t.id == head
                for a in scope.assigns for t in (a.targets if isinstance(a, ast.Assign) else [a.target])
            ):
                return None  # some other local
            absolute = _absolute(f"call:{callee}", local_imports) or ""
            return f"{kind} {absolute[5:]}"
    return None


def _local_imports(scope: ScopeInfo, module: str, is_package: bool) -> dict[str, str]:
    """Names a function imports for itself -> an absolute reference ("@mod" or "@mod|name")."""
    out: dict[str, str] = {}
    for imp in scope.imports:
        for alias in imp.names:
            if alias.name == "*":
                continue
            if isinstance(imp, ast.Import):
                local = alias.asname or alias.name.split(".")[0]
                out[local] = "@" + (alias.name if alias.asname else local)
            else:
                base = resolve_relative(module, is_package, imp.level, imp.module)
                out[alias.asname or alias.name] = f"@{base}|{alias.name}"
    return out


def _absolute(texpr: str | None, local_imports: dict[str, str]) -> str | None:
    """Rewrite `call:httpcore.Pool` to `call:@httpcore.Pool` when `httpcore` was imported in the method."""
    if texpr is None or not local_imports:
        return texpr
    kind, _, text = texpr.partition(":")
    head, dot, rest = text.partition(".")
    if kind in {"call", "awaitcall"} and head in local_imports:
        return f"{kind}:{local_imports[head]}{dot}{rest}"
    return texpr


def _summarize_class(
    node: ast.ClassDef, qualname: str, scopes: dict[int, ScopeInfo], module: str = "", is_package: bool = False
) -> ClassInfo:
    info = ClassInfo(
        name=node.name,
        qualname=qualname,
        line=node.lineno,
        column=node.col_offset,
        bases=tuple(ast.unparse(b) for b in node.bases),
        decorators=tuple(decorator_text(d) for d in node.decorator_list),
    )

    def add_attr(name: str, texpr: str | None) -> None:
        if texpr is not None:
            info.attrs.setdefault(name, [])
            if texpr not in info.attrs[name]:
                info.attrs[name].append(texpr)

    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            fi = summarize_function(stmt, f"{qualname}.{stmt.name}", scopes.get(id(stmt)))
            info.methods[stmt.name] = fi
        elif isinstance(stmt, ast.ClassDef):
            info.nested[stmt.name] = _summarize_class(stmt, f"{qualname}.{stmt.name}", scopes, module, is_package)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            add_attr(stmt.target.id, "decl:" + (_ann(stmt.annotation) or ""))  # declared: wins over assignments
        elif isinstance(stmt, ast.Assign):
            vt = _value_type(stmt.value)
            if vt is None and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                vt = "literal:str"  # `TEMPLATE = "..."`: `self.TEMPLATE.format(...)` formats a string
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    add_attr(t.id, vt if vt is not None else "unknown")

    # self.attr assignments in every method: constructor calls, annotated targets, annotated params.
    for stmt in node.body:
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) or not stmt.args.args:
            continue
        self_name = stmt.args.args[0].arg
        param_ann = {a.arg: _ann(a.annotation) for a in stmt.args.args + stmt.args.kwonlyargs}
        method_scope = scopes.get(id(stmt)) or _scope_of(stmt)
        local_imports = _local_imports(method_scope, module, is_package)
        for sub in method_scope.assigns:
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            annotation: ast.expr | None = None
            if isinstance(sub, ast.Assign):
                targets, value = sub.targets, sub.value
            elif isinstance(sub, ast.AnnAssign):
                targets, value, annotation = [sub.target], sub.value, sub.annotation
            for t in targets:
                if not (
                    isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == self_name
                ):
                    continue
                if annotation is not None:
                    add_attr(t.attr, "decl:" + (_ann(annotation) or ""))
                elif value is None:
                    continue
                elif isinstance(value, ast.Constant) and value.value is None:
                    continue  # `self.x = None` then set later: Optional, not a conflict
                elif isinstance(value, ast.Name) and param_ann.get(value.id):
                    add_attr(t.attr, "ann:" + str(param_ann[value.id]))
                elif isinstance(value, ast.Name) and value.id in param_ann and value.id != self_name:
                    add_attr(t.attr, f"param:{stmt.name}:{value.id}")  # typed by the method's callers
                elif isinstance(value, ast.Name) and (chain := _with_chain(value.id, method_scope, local_imports)):
                    add_attr(t.attr, f"enter:{chain}")  # `async with connect() as ws: self.ws = ws`
                else:
                    add_attr(t.attr, _absolute(_value_type(value), local_imports) or "unknown")
    return info


def summarize(
    tree: ast.Module, module: str, path: str, is_package: bool, walked: ScopeInfo | None = None
) -> ModuleSummary:
    if walked is None:
        walked, _ = walk_module(tree)
    scopes: dict[int, ScopeInfo] = {}
    pending = [walked]
    while pending:
        sc = pending.pop()
        scopes[id(sc.node)] = sc
        pending.extend(sc.children)
    summary = ModuleSummary(name=module, path=path, is_package=is_package)
    conflicts: set[str] = set()

    def visit_block(stmts: list[ast.stmt]) -> None:
        for stmt in stmts:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                info = summarize_function(stmt, stmt.name, scopes.get(id(stmt)))
                earlier = summary.functions.get(stmt.name)
                if stmt.name in conflicts or (earlier is not None and earlier.is_async != info.is_async):
                    # Defined both ways (version checks, try/except imports): async-ness unknown.
                    conflicts.add(stmt.name)
                    summary.functions.pop(stmt.name, None)
                    summary.variables[stmt.name] = ["unknown"]
                    continue
                summary.functions[stmt.name] = info
                if stmt.name == "__getattr__":
                    summary.has_getattr = True
            elif isinstance(stmt, ast.ClassDef):
                summary.classes[stmt.name] = _summarize_class(stmt, stmt.name, scopes, module, is_package)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        summary.imports[alias.asname] = ("module", alias.name)
                    else:
                        top = alias.name.split(".")[0]
                        summary.imports[top] = ("module", top)
            elif isinstance(stmt, ast.ImportFrom):
                base = resolve_relative(module, is_package, stmt.level, stmt.module)
                for alias in stmt.names:
                    if alias.name == "*":
                        summary.star_imports.append(base)
                    else:
                        summary.imports[alias.asname or alias.name] = ("from", base, alias.name)
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for t in targets:
                    if not isinstance(t, ast.Name):
                        continue
                    if t.id == "__all__" and stmt.value is not None:
                        try:
                            names = ast.literal_eval(stmt.value)
                            summary.all_names = [str(n) for n in names]
                        except (ValueError, TypeError, SyntaxError):
                            pass
                        continue
                    texpr: str | None = None
                    is_alias_ann = isinstance(stmt, ast.AnnAssign) and (dotted(stmt.annotation) or "").endswith(
                        "TypeAlias")
                    bound = _typevar_bound(stmt.value) if stmt.value is not None else None
                    if bound is not None:
                        texpr = "typevar:" + bound  # an unsolved type variable stands for its bound
                    elif stmt.value is not None and (is_alias_ann or isinstance(stmt.value, ast.Subscript) or (
                            isinstance(stmt.value, ast.BinOp) and isinstance(stmt.value.op, ast.BitOr))):
                        texpr = "typealias:" + ast.unparse(stmt.value)
                    elif isinstance(stmt, ast.AnnAssign):
                        texpr = "ann:" + (_ann(stmt.annotation) or "")
                    elif stmt.value is not None:
                        if isinstance(stmt.value, ast.Name | ast.Attribute):
                            d = dotted(stmt.value)
                            texpr = f"alias:{d}" if d else None
                        elif isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                            texpr = "literal:str"
                        else:
                            texpr = _value_type(stmt.value)
                    summary.variables.setdefault(t.id, []).append(texpr or "unknown")
            elif isinstance(stmt, ast.If | ast.Try):
                # `if TYPE_CHECKING:` / `try: import x except ImportError:` blocks define names too.
                visit_block(stmt.body)
                if isinstance(stmt, ast.Try):
                    for h in stmt.handlers:
                        visit_block(h.body)
                    visit_block(stmt.orelse)
                    visit_block(stmt.finalbody)
                else:
                    visit_block(stmt.orelse)

    visit_block(tree.body)
    summary.references = _references(scopes.values(), module, is_package)
    outer_calls: list[ast.Call] = []
    outer = [walked]
    while outer:
        sc = outer.pop()
        outer_calls.extend(sc.calls)
        outer.extend(c for c in sc.children if isinstance(c.node, ast.ClassDef))
    summary.arg_calls = _arg_calls([(n, c) for c in outer_calls if (n := dotted(c.func)) is not None], set())
    summary.awaited_attrs = _awaited_attrs(scopes.values())
    summary.either_way_names = _either_way_names(scopes.values())
    summary.call_usage = usage_counts(scopes.values())
    summary.nonblocking_sockets = any(
        isinstance(c.func, ast.Attribute) and c.func.attr == "setblocking" and len(c.args) == 1
        and isinstance(c.args[0], ast.Constant) and c.args[0].value in (False, 0)
        for sc in scopes.values() for c in sc.calls
    )
    return summary


# Tests of "is this awaitable?" and helpers that await a value only when it is (Quart's
# `ensure_async`, `maybe_await`, Sanic's / Starlette's run-sync-or-async helpers).
_AWAITABLE_TESTS = frozenset({"isawaitable", "iscoroutine", "iscoroutinefunction", "isasyncgenfunction",
                              "markcoroutinefunction", "is_async_callable", "is_coroutine_function"})
_EITHER_WAY_HELPERS = ("maybe_await", "maybe_async", "ensure_async", "ensure_awaitable", "await_if",
                       "maybe_coroutine", "sync_or_async", "run_sync_or_async", "call_maybe_async",
                       "invoke", "run_callable")


def _either_way_names(scopes: Iterable[ScopeInfo]) -> frozenset[str]:
    """Names of methods whose results (or the methods themselves) go through an "is it awaitable?"
    test or an await-if-awaitable helper, in the scope that calls them."""
    out: set[str] = set()

    def method_of(expr: ast.expr, assigned: dict[str, str]) -> str | None:
        while isinstance(expr, ast.Await | ast.Starred):
            expr = expr.value
        if isinstance(expr, ast.Call):
            expr = expr.func
        if isinstance(expr, ast.Attribute):
            return expr.attr
        if isinstance(expr, ast.Name):
            return assigned.get(expr.id)
        return None

    for sc in scopes:
        tests = [c for c in sc.calls if (name := _last_name(c.func)) and (
            name in _AWAITABLE_TESTS or name.lower().endswith(_EITHER_WAY_HELPERS))]
        isinstance_tests = [c for c in sc.calls if sc.has_isinstance and _last_name(c.func) == "isinstance"
                            and len(c.args) == 2 and (dotted(c.args[1]) or "").rsplit(".", 1)[-1]
                            in {"Awaitable", "Coroutine", "Future"}]
        if not tests and not isinstance_tests:
            continue
        assigned: dict[str, str] = {}
        for a in sc.assigns:
            value = a.value
            targets = a.targets if isinstance(a, ast.Assign) else [a.target]
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
                for t in targets:
                    if isinstance(t, ast.Name):
                        assigned[t.id] = value.func.attr
        for call in tests + isinstance_tests:
            for arg in call.args[:1]:
                method = method_of(arg, assigned)
                if method is not None:
                    out.add(method)
    return frozenset(out)


_RUNNER_NAMES = frozenset({"gather", "create_task", "ensure_future", "wait", "wait_for", "shield", "run",
                           "run_until_complete", "run_coroutine_threadsafe", "as_completed", "start_soon", "spawn",
                           "append", "add", "put", "put_nowait", "extend", "call_soon", "create_background_task"})


def _awaited_attrs(scopes: Iterable[ScopeInfo]) -> frozenset[str]:
    out: set[str] = set()

    def add(expr: ast.expr | None) -> None:
        """The attribute(s) whose value `expr` hands on: `x.job`, `x.jobs[0]`, `*[e.job for e in es]`."""
        while isinstance(expr, ast.Starred | ast.Subscript | ast.Await):
            expr = expr.value
        if isinstance(expr, ast.Attribute):
            out.add(expr.attr)
        elif isinstance(expr, ast.ListComp | ast.GeneratorExp | ast.SetComp):
            add(expr.elt)
        elif isinstance(expr, ast.List | ast.Tuple | ast.Set):
            for e in expr.elts:
                add(e)
        elif isinstance(expr, ast.Call) and _last_name(expr.func) in _RUNNER_NAMES:
            for a in expr.args:
                add(a)

    for sc in scopes:
        for aw in sc.awaits:
            add(aw.value)
        for ret in sc.returns:
            if ret.value is not None and ret.value.__class__ is ast.Attribute:
                out.add(ret.value.attr)
        for call in sc.calls:
            if call.args and _last_name(call.func) in _RUNNER_NAMES:
                for a in call.args:
                    add(a)
    return frozenset(out)


def _last_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _typevar_bound(value: ast.expr) -> str | None:
    """`TypeVar("T", bound="Model")` -> "Model"; `TypeVar("T", A, B)` -> "A | B"."""
    if not (isinstance(value, ast.Call) and (dotted(value.func) or "").rsplit(".", 1)[-1] == "TypeVar"):
        return None
    for k in value.keywords:
        if k.arg == "bound":
            if isinstance(k.value, ast.Constant) and isinstance(k.value.value, str):
                return k.value.value
            return ast.unparse(k.value)
    constraints = value.args[1:]
    if constraints:
        return " | ".join(c.value if isinstance(c, ast.Constant) and isinstance(c.value, str) else ast.unparse(c)
                          for c in constraints)
    return None


def _references(scopes: Iterable[ScopeInfo], module: str, is_package: bool) -> tuple[str, ...]:
    names: set[str] = set()

    def add(name: str) -> None:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            names.add(".".join(parts[:i]))

    for sc in scopes:
        for imp in sc.imports:
            if isinstance(imp, ast.Import):
                for alias in imp.names:
                    add(alias.name)
            else:
                base = resolve_relative(module, is_package, imp.level, imp.module)
                if base:
                    add(base)
                    for alias in imp.names:
                        if alias.name != "*":
                            names.add(f"{base}.{alias.name}")
    if "." in module:
        add(module.rsplit(".", 1)[0])  # a module's own packages run first (and re-export for it)
    names.discard(module)
    return tuple(sorted(names))
