"""asyncguard inside mypy: AG101, AG102 and AG108 from mypy's inferred types, with asyncguard's codes.

    [tool.mypy]
    plugins = ["asyncguard.checks.mypy_plugin"]   # list it last: see below

What it adds to a mypy run (mypy's own `unused-coroutine` only reports a call whose coroutine is
discarded as a statement):

- AG101: a coroutine passed where mypy accepts anything as `object`: `print(fetch())`,
  `log.info("%s", fetch())`, `str(fetch())`, `"{}".format(fetch())`, an f-string `f"{fetch()}"`.
  mypy type-checks these as fine; the coroutine never runs.
- AG102: `await` on the result of a plain function whose declared result is not awaitable. mypy
  reports this too (as `misc`, "Incompatible types in await"); the plugin gives it asyncguard's
  code and message, so one code covers the CLI, the bot and mypy.
- AG108: an override whose async-ness differs from the base method, where mypy does not already
  see it: an unannotated base (`def send(self): ...` overridden by `async def send`), or a
  `def` override with an annotated non-awaitable result of an `async def` base. As in the CLI, a
  subclass that flips most of the methods it overrides (three at least) is a deliberate async twin
  of its base and is not reported.

Everything is decided from mypy's types: an `Any`, an unannotated function or an unresolved base
says nothing. Catch-all hooks are returned for every call and class, so the plugin wraps mypy's
default plugin's hooks itself; another plugin listed after it would not see its hooks: list
asyncguard's last.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable
from pathlib import Path

from mypy.errorcodes import ErrorCode
from mypy.nodes import (
    CallExpr,
    Decorator,
    Expression,
    FuncDef,
    MemberExpr,
    MypyFile,
    RefExpr,
    StrExpr,
    SymbolNode,
    TypeInfo,
)
from mypy.options import Options
from mypy.plugin import ClassDefContext, FunctionContext, MethodContext, Plugin
from mypy.plugins.default import DefaultPlugin
from mypy.subtypes import is_subtype
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    NoneType,
    Overloaded,
    ProperType,
    Type,
    UnboundType,
    get_proper_type,
)

CATEGORY = "asyncguard"
AG101 = ErrorCode("AG101", "A coroutine that is never awaited", CATEGORY)
AG102 = ErrorCode("AG102", "`await` on the result of a plain function", CATEGORY)
AG108 = ErrorCode("AG108", "Override differs in async-ness from its base", CATEGORY)
AWAITABLE_NAMES = frozenset({"typing.Awaitable", "typing.Coroutine", "asyncio.futures.Future", "asyncio.tasks.Task",
                             "collections.abc.Awaitable", "collections.abc.Coroutine"})

_FSTRING_PART = re.compile(r"\{(![rsa])?:\{\}\}")
_MODULES: dict[str, dict[str, MypyFile]] = {}  # the semantic analyzer's modules, for their paths
# Annotations read before analysis that surely name a non-awaitable result.
_PLAIN_RESULTS = frozenset({"None", "int", "str", "bool", "float", "bytes", "list", "dict", "tuple", "set"})
CallContext = FunctionContext | MethodContext


@functools.cache
def _source(path: str) -> ast.Module | None:
    """A module's tree as Python reads it (mypy's compiled visitors cannot be subclassed here)."""
    try:
        return ast.parse(Path(path).read_bytes(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return None


@functools.cache
def _awaited_positions(path: str) -> frozenset[tuple[int, int]]:
    """(line, column) of every call that is the operand of `await`, as mypy numbers them."""
    tree = _source(path)
    if tree is None:
        return frozenset()
    return frozenset((n.value.lineno, n.value.col_offset) for n in ast.walk(tree)
                     if isinstance(n, ast.Await) and isinstance(n.value, ast.Call))


def _returns_value(path: str, line: int) -> bool | None:
    """Whether the function defined at `line` has a `return <value>` of its own; None if unknown."""
    tree = _source(path)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.lineno == line:
            todo: list[ast.AST] = list(node.body)
            while todo:
                current = todo.pop()
                if isinstance(current, ast.Return) and current.value is not None:
                    return True
                if not isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                    todo.extend(ast.iter_child_nodes(current))
            return False
    return None


def _awaitable(typ: ProperType) -> bool | None:
    """Whether a value of this type can be awaited; None when mypy does not know (Any, a TypeVar)."""
    if isinstance(typ, NoneType):
        return False
    if isinstance(typ, Instance):
        return typ.type.fullname in AWAITABLE_NAMES or typ.type.get("__await__") is not None
    return None


def _is_coroutine(typ: Type) -> bool:
    proper = get_proper_type(typ)
    return isinstance(proper, Instance) and proper.type.fullname == "typing.Coroutine"


def _name(expr: Expression) -> str | None:
    if isinstance(expr, CallExpr) and isinstance(expr.callee, RefExpr) and expr.callee.fullname:
        return expr.callee.fullname
    return None


def _is_fstring_part(call: CallExpr) -> bool:
    """mypy reads `f"{x}"` as `"{:{}}".format(x, "")`: that literal is no string a person writes."""
    callee = call.callee
    return (isinstance(callee, MemberExpr) and callee.name == "format" and isinstance(callee.expr, StrExpr)
            and _FSTRING_PART.fullmatch(callee.expr.value) is not None)


def _function(node: SymbolNode | None) -> FuncDef | None:
    if isinstance(node, Decorator):
        return node.func
    return node if isinstance(node, FuncDef) else None


class AsyncguardPlugin(Plugin):
    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._default = DefaultPlugin(options)
        self._reported: set[tuple[str, str]] = set()

    # -- calls: AG101, AG102 --------------------------------------------------------------------------

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        return self._wrap(self._default.get_function_hook(fullname), fullname)

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        return self._wrap(self._default.get_method_hook(fullname), fullname)

    def _wrap(self, inner: Callable[..., Type] | None, fullname: str) -> Callable[..., Type]:
        def hook(ctx: CallContext) -> Type:
            self._check_call(ctx, fullname)
            return inner(ctx) if inner is not None else ctx.default_return_type

        return hook

    def _is_awaited(self, ctx: CallContext, call: CallExpr) -> bool:
        path = getattr(ctx.api, "path", None)
        return isinstance(path, str) and (call.line, call.column) in _awaited_positions(path)

    def _check_call(self, ctx: CallContext, fullname: str) -> None:
        call = ctx.context
        if not isinstance(call, CallExpr):
            return
        if self._is_awaited(ctx, call):
            result = _awaitable(get_proper_type(ctx.default_return_type))
            if result is False:
                ctx.api.fail(f"`await` on the result of `{fullname}`, a plain `def` whose result is not awaitable",
                             call, code=AG102)
        if not any(_is_coroutine(t) for types in ctx.arg_types for t in types):
            return
        formals = self._formals(ctx)
        if formals is None:
            return
        shown = "an f-string value" if _is_fstring_part(call) else f"an argument of `{fullname.removeprefix('builtins.')}`"
        for formal, types, args in zip(formals, ctx.arg_types, ctx.args, strict=False):
            proper = get_proper_type(formal)
            if not (isinstance(proper, Instance) and proper.type.fullname == "builtins.object"):
                continue
            for typ, arg in zip(types, args, strict=False):
                if _is_coroutine(typ):
                    what = f"`{_name(arg)}`" if _name(arg) else "this call"
                    ctx.api.fail(f"coroutine from {what} is used as a value ({shown}) without `await`", arg, code=AG101)

    def _formals(self, ctx: CallContext) -> list[Type] | None:
        """The formal parameter types of the signature mypy chose for this call (the first overload
        item that accepts the arguments, as mypy picks it)."""
        call = ctx.context
        assert isinstance(call, CallExpr)
        try:
            callee = get_proper_type(ctx.api.get_expression_type(call.callee))
        except Exception:  # the plugin must never break a mypy run
            return None
        items = callee.items if isinstance(callee, Overloaded) else [callee]
        for item in items:
            if not isinstance(item, CallableType) or item.arg_names != ctx.callee_arg_names:
                continue
            if isinstance(call.callee, MemberExpr) and item.arg_types and len(item.arg_types) > len(ctx.arg_types):
                continue
            if all(is_subtype(t, formal) for formal, types in zip(item.arg_types, ctx.arg_types, strict=False)
                   for t in types):
                return list(item.arg_types)
        return None

    # -- classes: AG108 ---------------------------------------------------------------------------

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        inner = self._default.get_base_class_hook(fullname)

        def hook(ctx: ClassDefContext) -> None:
            if inner is not None:
                inner(ctx)
            self._check_overrides(ctx)

        return hook

    def _check_overrides(self, ctx: ClassDefContext) -> None:
        modules = getattr(ctx.api, "modules", None)
        if isinstance(modules, dict):
            _MODULES["modules"] = modules
        info = ctx.cls.info
        found: list[tuple[FuncDef, TypeInfo, str]] = []
        for name, symbol in info.names.items():
            method = _function(symbol.node)
            if method is None or name.startswith("__") or (info.fullname, name) in self._reported:
                continue
            for base in info.mro[1:]:
                if name not in base.names:
                    continue
                base_method = _function(base.names[name].node)
                if base_method is not None:
                    problem = _override_problem(method, base_method, info, base)
                    if problem:
                        found.append((method, base, problem))
                break
        family = {base.fullname: _parallel_family(info, base) for _, base, _ in found}
        for method, base, problem in found:
            if family[base.fullname]:
                continue  # an async twin of a sync class, kept in step on purpose (as the CLI decides)
            self._reported.add((info.fullname, method.name))
            ctx.api.fail(problem, method, code=AG108)


def _module_path(info: TypeInfo) -> str | None:
    """The source file of the module defining a class (stubs and unknown modules: None)."""
    module = info.module_name
    modules = _MODULES.get("modules")
    found = modules.get(module) if modules is not None else None
    path = getattr(found, "path", None)
    return path if isinstance(path, str) and path.endswith(".py") else None


def _declared_result(func: FuncDef) -> ProperType | None:
    """The annotated result of a plain def; None when unannotated (mypy: Any)."""
    if not isinstance(func.type, CallableType) or func.type.implicit:
        return None
    result = get_proper_type(func.type.ret_type)
    if isinstance(result, UnboundType):  # the class hook may run before the signature is analysed
        return NoneType() if result.name in _PLAIN_RESULTS else None
    return None if isinstance(result, AnyType) else result


def _parallel_family(sub: TypeInfo, base: TypeInfo) -> bool:
    """`sub` flips the async-ness of at least three of the methods it overrides from `base`, and of
    most of them: a deliberate async twin of a sync class (redis' `AsyncCommands(Commands)`), not
    the one method out of step AG108 is for. The CLI's rule (`rules.checker._parallel_family`)."""
    flipped = shared = 0
    for name, symbol in sub.names.items():
        mine = _function(symbol.node)
        if mine is None or (name.startswith("__") and name.endswith("__")) or name not in base.names:
            continue
        theirs = _function(base.names[name].node)
        if theirs is None:
            continue
        shared += 1
        flipped += mine.is_coroutine != theirs.is_coroutine
    return flipped >= 3 and 2 * flipped > shared


def _override_problem(method: FuncDef, base: FuncDef, info: TypeInfo, base_info: TypeInfo) -> str | None:
    if method.is_generator or base.is_generator or method.is_async_generator or base.is_async_generator:
        return None
    mine = f"{info.fullname}.{method.name}"
    theirs = f"{base_info.fullname}.{base.name}"
    if base.is_coroutine and not method.is_coroutine:
        result = _declared_result(method)
        if result is None or _awaitable(result) is not False:
            return None
        return f"`{mine}` is a plain `def` overriding `async def {theirs}`: callers that `await` it will fail"
    if method.is_coroutine and not base.is_coroutine:
        result = _declared_result(base)
        if result is not None:
            return None  # annotated: mypy's own override check already compares the results
        path = _module_path(base_info)
        if path is None or _returns_value(path, base.line) is not False:
            return None  # it returns something: an awaitable, perhaps
        return (f"`async def {mine}` overrides plain `def {theirs}`: callers that do not `await` it get a "
                "coroutine")
    return None


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return AsyncguardPlugin
