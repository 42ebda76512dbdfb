"""The rules AG101-AG113, run over one module with the project index behind them."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from asyncguard.rules import catalog
from asyncguard.rules.blocking import BlockingAnalysis, call_params
from asyncguard.rules.consensus import call_roles
from asyncguard.rules.guards import bind, literal_of
from asyncguard.rules.index import (
    Class,
    Coroutine,
    External,
    ExternalInstance,
    Func,
    Instance,
    ProjectIndex,
    UnionOf,
    Value,
)
from asyncguard.rules.model import Finding, Fix, TextEdit
from asyncguard.rules.registry import RULES
from asyncguard.rules.scope import Scope, build_scope
from asyncguard.rules.summary import dotted, function_return_shapes, optional_members
from asyncguard.rules.walk import ScopeInfo, walk_module

# Methods that hand back a future or a task whatever their receiver is (`self._loop.create_future()`).
# AG112: the annotations that name an awaitable, and the modules they come from.
_AWAITABLE_TYPE_NAMES = frozenset({"Awaitable", "Coroutine", "Future", "Task"})
_AWAITABLE_TYPE_MODULES = frozenset({"typing", "typing_extensions", "collections", "asyncio", "_asyncio",
                                     "concurrent"})
_FUTURE_MAKERS = frozenset({name.rsplit(".", 1)[-1] for name in catalog.FUTURE_RESULTS} | {"create_task"})
ASYNC_PROTOCOL_METHODS = {"__aenter__", "__aexit__", "__anext__", "asend", "athrow"}
# Attributes only a coroutine has: using one is using the coroutine.
COROUTINE_ATTRIBUTES = {"cr_frame", "cr_code", "cr_running", "cr_await", "cr_origin", "cr_suspended", "__await__",
                        "__name__", "__qualname__"}
# The generator-protocol methods a coroutine shares with many project classes (a websocket manager's
# `send`, a connection's `close`): they count as driving the coroutine only where the code visibly
# drives one (`send(None)` primes it, a loop stops on `StopIteration`, `close()` while cleaning up).
DRIVER_METHODS = {"send", "throw", "close"}
# AG114: how many other async uses of a call form (and no other use) make one sync use a deviation.
MIN_CONSENSUS = 2
CONTAINER_ADDERS = {"append", "add", "insert", "appendleft", "extend", "put_nowait", "setdefault"}
AG113_EXCLUDED_NAMES = {"append", "extend", "update", "add", "pop", "clear", "remove", "insert", "sort", "copy",
                        "get", "set", "keys", "values", "items", "join", "split", "format", "write", "read",
                        "flush", "close", "send", "run", "start", "stop", "cancel", "wait", "result", "__init__"}


@dataclass
class Use:
    """How an expression's value is used: consumed (awaited, scheduled, kept) or misused."""

    kind: str  # "ok" | "misuse" | "discard" | "condition" | "cm" | "iter" | "assign" | "container" | "return-async"
    detail: str = ""
    name: str | None = None  # for assign/container: the local the value went into


class ModuleChecker:
    def __init__(
        self,
        index: ProjectIndex,
        blocking: BlockingAnalysis,
        module: str,
        path: str,
        tree: ast.Module,
        lines: list[str],
        enabled: set[str],
        walked: tuple[ScopeInfo, dict[int, ast.AST]] | None = None,
    ) -> None:
        self.index = index
        self.blocking = blocking
        self.module = module
        self.path = path
        self.tree = tree
        self.lines = lines
        self.enabled = enabled
        self.findings: list[Finding] = []
        self._families: dict[tuple[str, str], bool] = {}
        if walked is None:
            walked = walk_module(tree)
        self.walked, self.parents = walked
        self._roles: dict[int, tuple[str, str]] | None = None

    # -- positions -------------------------------------------------------------------------------

    def _col(self, line: int, byte_col: int) -> int:
        """0-based character column from ast's UTF-8 byte offset."""
        if 0 < line <= len(self.lines):
            text = self.lines[line - 1]
            if text.isascii():
                return byte_col
            return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))
        return byte_col

    def _span(self, node: ast.AST) -> tuple[int, int, int, int]:
        line = getattr(node, "lineno", 1)
        col = self._col(line, getattr(node, "col_offset", 0))
        end_line = getattr(node, "end_lineno", None) or line
        end_col = self._col(end_line, getattr(node, "end_col_offset", None) or 0)
        return line, col + 1, end_line, end_col + 1

    def report(self, code: str, node: ast.AST, message: str, fix: Fix | None = None,
               chain: tuple[str, ...] = ()) -> None:
        if code not in self.enabled or self._dead(node):
            return
        rule = RULES[code]
        line, col, end_line, end_col = self._span(node)
        self.findings.append(Finding(code, rule.name, message, self.path, line, col, end_line, end_col,
                                     rule.severity, fix, chain))

    def _dead(self, node: ast.AST) -> bool:
        """Inside the branch of `if True:` / `if False:` that never runs (generated code keeps both)."""
        child, cur = node, self._parent(node)
        while cur is not None:  # a def inside `if False:` never exists either
            if isinstance(cur, ast.If) and isinstance(cur.test, ast.Constant) and isinstance(cur.test.value, bool):
                if (child in cur.orelse) == cur.test.value:
                    return True
            child, cur = cur, self._parent(cur)
        return False

    # -- walking -----------------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        module_scope = build_scope(self.index, self.module, None, None, None, self.parents)
        self._check_body(self.walked, module_scope)
        self._check_children(self.walked, module_scope, None)
        return self.findings

    def _check_children(self, info: ScopeInfo, scope: Scope, cls: Class | None) -> None:
        """Check the functions, lambdas and classes defined directly in `info`."""
        for child in info.children:
            node = child.node
            if isinstance(node, ast.ClassDef):
                inner_cls = self._class_for(node, cls)
                self._check_class(node, inner_cls)
                self._check_body(child, Scope(self.index, self.module, inner_cls, scope))
                self._check_children(child, scope, inner_cls)
                continue
            fscope = build_scope(self.index, self.module, child, cls, scope, self.parents)
            if isinstance(node, ast.AsyncFunctionDef) and not child.has_yield:
                self._check_return_annotation(node, child)
            self._check_body(child, fscope)
            self._check_children(child, fscope, None)

    def _class_for(self, node: ast.ClassDef, outer: Class | None) -> Class | None:
        summary = self.index.module(self.module)
        if summary is None:
            return None
        if outer is None:
            info = summary.classes.get(node.name)
        else:
            info = outer.info.nested.get(node.name)
        if info is None or info.line != node.lineno:
            return None
        return Class(self.module, info)

    def _check_body(self, info: ScopeInfo, scope: Scope) -> None:
        for call in info.calls:
            self._check_call(call, scope)
        for node in info.awaits:
            self._check_await(node, scope)
        for stmt in info.withs:
            for item in stmt.items:
                self._check_with_item(stmt, item, scope)
        for loop in info.fors:
            is_async = isinstance(loop, ast.AsyncFor) or (isinstance(loop, ast.comprehension) and bool(loop.is_async))
            self._check_for(loop, loop.iter, is_async, scope)

    # -- AG101 / AG110: coroutines that are never awaited -------------------------------------------

    def _parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(id(node))

    def _check_call(self, call: ast.Call, scope: Scope) -> None:
        callee = scope.eval(call.func)
        if callee is not None:
            result = self.index.call_result(callee)
            if isinstance(result, Coroutine):
                self._check_coroutine_use(call, result, scope)
            elif isinstance(call.func, ast.Attribute) and call.func.attr in ASYNC_PROTOCOL_METHODS and \
                    result is None:
                self._check_coroutine_use(call, Coroutine(External(f"{_short(call.func.value)}.{call.func.attr}")),
                                          scope)
            self._check_task(call, callee, scope)
            if scope.is_async and scope.func_node is not None:
                self._check_blocking(call, callee, scope)
                self._check_nested_loop(call, callee)
        elif isinstance(call.func, ast.Attribute) and call.func.attr in ASYNC_PROTOCOL_METHODS:
            # `x.__aexit__(...)` returns an awaitable whatever `x` is: the protocol requires it.
            self._check_coroutine_use(call, Coroutine(External(f"{ast.unparse(call.func.value)}.{call.func.attr}")),
                                      scope)
        elif scope.is_async and isinstance(call.func, ast.Attribute) and call.func.attr == "run_until_complete":
            self.report("AG111", call, "`run_until_complete` inside `async def`: the event loop is already "
                        "running; `await` the coroutine instead")
        if callee is None and "AG113" in self.enabled:
            self._check_probable(call, scope)
        if callee is None and scope.is_async and "AG114" in self.enabled:
            self._check_deviant_await(call, scope)

    def _describe(self, coro: Coroutine) -> str:
        origin = coro.origin
        if isinstance(origin, Func):
            if coro.via is not None:
                return f"`{origin.qualname}` (returned by the plain `def` `{coro.via.qualname}`)"
            return f"`{origin.qualname}`"
        return f"`{origin.name}`"

    def _check_coroutine_use(self, call: ast.Call, coro: Coroutine, scope: Scope) -> None:
        if isinstance(coro.origin, External) and coro.origin.name in catalog.FUTURE_RESULTS:
            return  # a future, not a coroutine: it runs anyway, and its methods are for use
        if isinstance(coro.origin, Func) and self._stub_implemented_as_non_coroutine(coro.origin):
            return
        use = self._use_of(call, scope)
        what = self._describe(coro)
        if use.kind == "assign" and use.name is not None:
            use = self._use_of_variable(use.name, call, scope, container=False)
        elif use.kind == "container" and use.name is not None:
            use = self._use_of_variable(use.name, call, scope, container=True)
        if use.kind in {"ok", "assign", "container"}:
            return
        if use.kind in {"cm", "return-async"} and isinstance(coro.origin, External) and \
                coro.origin.name in catalog.AWAITABLE_CMS:
            # Awaitable and an async context manager at once (`aiofiles.open`, aiohttp's
            # `session.request`): `with` on it is AG103's finding; `async with` is right, and
            # returning it from `async def` hands the caller one to `async with await f()`.
            return
        fix = self._await_fix(call, scope, self._certain_coroutine(coro)) if use.kind in {
            "discard", "misuse", "condition", "cm", "iter", "return-async", "never"} else None
        if use.kind == "condition":
            # A comparison (`==`, `<`, `in`) sees the coroutine object: never equal to the awaited value.
            why = "it is never equal to the value it would produce" if use.detail == "a comparison operand" \
                else "it is always truthy"
            self.report("AG110", call, f"coroutine from {what} used as {use.detail}: {why}; `await` it", fix)
            return
        messages = {
            "discard": f"{what} is a coroutine function; this call's coroutine is never awaited",
            "misuse": f"coroutine from {what} is used as a value ({use.detail}) without `await`",
            "cm": f"coroutine from {what} is used as a context manager without `await`",
            "iter": f"coroutine from {what} is iterated without `await`",
            "return-async": f"coroutine from {what} is returned from `async def` without `await`: "
                            "callers get a coroutine after awaiting",
            "never": f"coroutine from {what} is stored in `{use.detail}` and never awaited",
        }
        self.report("AG101", call, messages.get(use.kind, f"coroutine from {what} is never awaited"), fix)

    def _stub_implemented_as_non_coroutine(self, func: Func) -> bool:
        """An abstract `async def` method (only `raise NotImplementedError`, `...`, a docstring) does
        not say whether its implementations are coroutines or async generators: when one override is
        an async generator or an async context manager, the call through the base is one too."""
        if not func.info.is_stub or func.owner is None:
            return False
        return any(self.index.func_kind(o) in {"asyncgen", "asynccm"} for o in self.index.overrides_of(func))

    def _use_of(self, node: ast.expr, scope: Scope) -> Use:
        parent = self._parent(node)
        if isinstance(parent, ast.Await | ast.Yield | ast.YieldFrom | ast.Lambda):
            return Use("ok")
        if isinstance(parent, ast.Return):
            fn = scope.func_node
            if isinstance(fn, ast.FunctionDef) and fn.returns is not None and \
                    self.index.annotation_awaitability(self.module, ast.unparse(fn.returns)) == "not":
                return Use("misuse", f"returned from `def {fn.name}() -> {ast.unparse(fn.returns)}`")
            if isinstance(fn, ast.AsyncFunctionDef) and not (
                fn.returns is not None and any(w in ast.unparse(fn.returns) for w in ("Awaitable", "Coroutine",
                                                                                          "Any", "Future"))
            ):
                return Use("return-async")
            return Use("ok")
        if isinstance(parent, ast.Expr):
            return Use("discard")
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node in parent.decorator_list:
            return Use("misuse", "a decorator")
        if isinstance(parent, ast.Starred):
            return self._use_of(parent, scope)
        if isinstance(parent, ast.keyword):
            call = self._parent(parent)
            if isinstance(call, ast.Call):
                return self._argument_use(call, scope, parent)
            return Use("ok")
        if isinstance(parent, ast.Call):
            if parent.func is node:
                return Use("misuse", "called")
            return self._argument_use(parent, scope, node)
        if isinstance(parent, ast.Attribute):
            if parent.attr in COROUTINE_ATTRIBUTES:
                return Use("ok")
            if parent.attr in DRIVER_METHODS and self._drives_coroutine(parent):
                return Use("ok", "drives")
            if parent.attr in {"__aenter__", "__aexit__"}:
                return Use("cm")  # entered by hand: right for an awaitable context manager
            return Use("misuse", f"`.{parent.attr}`")
        if isinstance(parent, ast.Subscript) and parent.value is node:
            return Use("misuse", "subscript")
        if isinstance(parent, ast.BinOp):
            return Use("misuse", "an operand")
        if isinstance(parent, ast.UnaryOp):
            if isinstance(parent.op, ast.Not):
                return Use("condition", "a truth value")
            return Use("misuse", "an operand")
        if isinstance(parent, ast.Compare):
            if all(isinstance(op, ast.Is | ast.IsNot) for op in parent.ops):
                return Use("ok")
            return Use("condition", "a comparison operand")
        if isinstance(parent, ast.BoolOp):  # `coro() and x`: its truth is what `and`/`or` looks at
            return Use("condition", "a truth value")
        if isinstance(parent, ast.If | ast.While | ast.Assert) and parent.test is node:
            return Use("condition", "a condition")
        if isinstance(parent, ast.IfExp):
            if parent.test is node:
                return Use("condition", "a condition")
            return self._use_of(parent, scope)
        if isinstance(parent, ast.comprehension) and node in parent.ifs:
            return Use("condition", "a condition")
        if isinstance(parent, ast.FormattedValue):
            return Use("misuse", "an f-string value")
        if isinstance(parent, ast.withitem):
            return Use("cm")
        if isinstance(parent, ast.For | ast.AsyncFor | ast.comprehension) and parent.iter is node:
            return Use("iter")
        if isinstance(parent, ast.AugAssign):
            return Use("misuse", "an operand")
        if isinstance(parent, ast.Assign | ast.AnnAssign | ast.NamedExpr):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            if any(isinstance(t, ast.Tuple | ast.List) for t in targets):
                return Use("misuse", "unpacked")
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                name = targets[0].id
                if name == "_":
                    return Use("never", "_")
                if isinstance(parent, ast.NamedExpr):
                    outer = self._use_of(parent, scope)
                    if outer.kind != "discard":
                        return Use("ok")
                if scope.func_node is None:
                    return Use("ok")  # a module/class attribute: used from anywhere
                return Use("assign", name=name)
            return Use("ok")  # stored on an attribute, subscript or unpacked: cannot follow
        if isinstance(parent, ast.List | ast.Tuple | ast.Set) or (
            isinstance(parent, ast.Dict) and node in parent.values
        ):
            return self._container_use(parent, scope)
        if isinstance(parent, ast.ListComp | ast.SetComp | ast.GeneratorExp) and parent.elt is node:
            return self._container_use(parent, scope)
        if isinstance(parent, ast.DictComp) and parent.value is node:
            return self._container_use(parent, scope)
        return Use("ok")

    def _container_use(self, container: ast.expr, scope: Scope) -> Use:
        use = self._use_of(container, scope)
        if use.kind == "assign":
            return Use("container", name=use.name)
        if use.kind in {"discard", "never"}:
            return use
        if use.kind == "return-async":
            return Use("ok")  # returning a list of coroutines from async def: the caller may gather them
        if use.kind == "misuse" and use.detail == "an f-string value":
            return use
        return Use("ok")

    def _argument_use(self, call: ast.Call, scope: Scope, arg: ast.AST) -> Use:
        func = call.func
        callee = scope.eval(func)
        param = self._param_for(call, arg, callee)
        if param is not None and param[1] is not None and \
                self.index.annotation_awaitability(param[2], param[1]) == "not":
            return Use("misuse", f"passed as `{param[0]}: {param[1]}`")
        if isinstance(callee, External) or isinstance(callee, Func):
            name = callee.name if isinstance(callee, External) else callee.qualname
            if name in catalog.RUNNERS:
                return Use("ok")
            if name in catalog.VALUE_SINKS:
                return Use("misuse", f"an argument of `{name}`")
        if isinstance(func, ast.Attribute):
            if func.attr in catalog.LOGGER_METHOD_NAMES and self._looks_like_logger(func.value, scope):
                return Use("misuse", f"an argument of `.{func.attr}()` logging")
            if func.attr in CONTAINER_ADDERS and isinstance(func.value, ast.Name) and scope.func_node is not None:
                target = scope.lookup(func.value.id, func.value)
                if target is None and scope.is_local(func.value.id):
                    return Use("container", name=func.value.id)
        if isinstance(func, ast.Name) and func.id in {"print", "str", "repr", "len", "format"} and \
                isinstance(callee, External):
            return Use("misuse", f"an argument of `{func.id}`")
        if isinstance(func, ast.Attribute) and func.attr in {"format", "join"} and self._is_string(func.value, scope):
            return Use("misuse", f"an argument of `str.{func.attr}`")
        stored = self._stored_by_constructor(call, arg, callee)
        if stored:
            return Use("misuse", f"stored in `{stored}`, which nothing awaits")
        return Use("ok")

    def _stored_by_constructor(self, call: ast.Call, arg: ast.AST, callee: Value | None) -> str | None:
        """`Message(text, user=coro)` where `__init__` only stores the argument on the instance and no
        code of the project awaits, returns or schedules that attribute: the coroutine never runs."""
        if not isinstance(callee, Class) or any(isinstance(a, ast.Starred) for a in call.args) or \
                any(k.arg is None for k in call.keywords):
            return None
        init = self.index.lookup_member(callee, "__init__")
        if not isinstance(init, Func):
            return None
        if isinstance(arg, ast.keyword):
            stores = self.index.init_stores(init, None, arg.arg, None)
        elif arg in call.args:
            stores = self.index.init_stores(init, None, None, call.args.index(arg))
        else:
            return None
        if not stores or any(self.index.attr_awaited_anywhere(attr) for _, attr in stores):
            return None
        cls, attr = stores[0]
        return f"{cls.info.name}.{attr}"

    @staticmethod
    def _is_string(expr: ast.expr, scope: Scope) -> bool:
        if isinstance(expr, ast.JoinedStr) or (isinstance(expr, ast.Constant) and isinstance(expr.value, str)):
            return True
        value = scope.eval(expr)
        return isinstance(value, ExternalInstance) and value.cls == "str"

    def _param_for(self, call: ast.Call, arg: ast.AST, callee: Value | None) -> tuple[str, str | None, str] | None:
        """(name, annotation, module) of the project parameter that `arg` is passed to."""
        func: Func | None = None
        skip_first = False
        if isinstance(callee, Func):
            func = callee
            skip_first = callee.bound and self.index.func_kind(callee) != "unknown" and not any(
                d.endswith("staticmethod") for d in callee.info.decorators)
        elif isinstance(callee, Class):
            init = self.index.lookup_member(callee, "__init__")
            if isinstance(init, Func):
                func, skip_first = init, True
        if func is None:
            return None
        params = list(func.info.params)
        if isinstance(arg, ast.keyword):
            for p in params:
                if p.name == arg.arg and p.kind in {"normal", "kwonly"}:
                    return p.name, p.annotation, func.module
            return None
        if arg not in call.args or any(isinstance(a, ast.Starred) for a in call.args):
            return None
        positional = [p for p in params if p.kind in {"posonly", "normal"}]
        if skip_first:
            positional = positional[1:]
        i = call.args.index(arg)
        if i < len(positional):
            p = positional[i]
            return p.name, p.annotation, func.module
        return None

    def _looks_like_logger(self, node: ast.expr, scope: Scope) -> bool:
        value = scope.eval(node)
        if isinstance(value, ExternalInstance) and value.cls == "logging.Logger":
            return True
        if isinstance(value, External) and value.name == "logging":
            return True
        text = ast.unparse(node).lower()
        return text.endswith(("logger", "log", "_logger", "logging"))

    def _use_of_variable(self, name: str, origin: ast.expr, scope: Scope, container: bool) -> Use:
        """Follow a local holding a coroutine (or a container of them) through the function."""
        info = scope.info
        if info is None or scope.func_node is None:
            return Use("ok")
        uses: list[Use] = []
        for node, nested in [(n, False) for n in info.loads.get(name, [])] + [(n, True) for n in
                                                                              _closure_loads(info, name)]:
            use = self._use_of(node, scope)
            if (nested or container) and use.kind == "return-async":
                use = Use("ok")  # a closure's return, or a list of coroutines the caller may gather
            if container:
                if use.kind == "misuse" and use.detail.startswith("`."):
                    use = Use("ok")  # lst.append(...), lst.pop(): container methods
                elif use.kind in {"misuse", "condition"} and use.detail != "an f-string value":
                    use = Use("neutral")
            uses.append(use)
        misuses = [u for u in uses if u.kind in {"misuse", "condition", "cm", "iter", "discard"}]
        if any(u.detail == "drives" for u in uses):  # driven by hand: its other sends are driving too
            misuses = [u for u in misuses if u.detail.strip("`.") not in DRIVER_METHODS]
        if misuses and not container:
            first = misuses[0]
            return Use(first.kind if first.kind != "discard" else "misuse", first.detail or "a value")
        if any(u.kind in {"ok", "assign", "container"} for u in uses):
            return Use("ok")
        if any(u.kind == "return-async" for u in uses):
            return Use("return-async")  # `m = make(); return m` in `async def`: the caller awaits a coroutine
        if misuses:
            return Use(misuses[0].kind, misuses[0].detail)
        return Use("never", name)

    def _drives_coroutine(self, attr: ast.Attribute) -> bool:
        """`coro.send(None)`, `coro.send(v)` / `coro.throw(e)` under `except StopIteration`, or
        `coro.close()` in cleanup: code that runs the coroutine by hand, not a project method."""
        call = self._parent(attr)
        if not isinstance(call, ast.Call) or call.func is not attr:
            return False
        if attr.attr == "close":
            return self._in_cleanup(attr)
        if attr.attr == "send" and len(call.args) == 1 and isinstance(call.args[0], ast.Constant) and \
                call.args[0].value is None:
            return True
        return self._catches_stop_iteration(call)

    def _catches_stop_iteration(self, node: ast.AST) -> bool:
        child: ast.AST = node
        cur = self._parent(node)
        while cur is not None and not isinstance(cur, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module):
            if isinstance(cur, ast.Try) and child in cur.body:
                for handler in cur.handlers:
                    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                    if any(n is not None and (dotted(n) or "").rsplit(".", 1)[-1] in
                           {"StopIteration"} for n in names):
                        return True
            child, cur = cur, self._parent(cur)
        return False

    def _in_cleanup(self, node: ast.AST) -> bool:
        """Inside an `except` handler or a `finally` block: closing a coroutine there is deliberate."""
        child: ast.AST = node
        cur = self._parent(node)
        while cur is not None and not isinstance(cur, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module):
            if isinstance(cur, ast.ExceptHandler):
                return True
            if isinstance(cur, ast.Try) and child in cur.finalbody:
                return True
            child, cur = cur, self._parent(cur)
        return False

    def _certain_coroutine(self, coro: Coroutine) -> bool:
        """Whether adding `await` surely gives the value the code wants: the callee is an `async def`
        found by its definition (not made async by a decorator), and no override of it is a plain
        `def`; or a catalogued library coroutine function. Otherwise the fix is offered as unsafe."""
        origin = coro.origin
        if isinstance(origin, External):
            return origin.name in catalog.ASYNC_CALLABLES and origin.name not in catalog.AWAITABLE_CMS
        if not origin.info.is_async or self.index.func_kind(origin) != "coroutine":
            return False
        return all(self.index.func_kind(o) == "coroutine" for o in self.index.overrides_of(origin))

    def _await_fix(self, call: ast.Call, scope: Scope, safe: bool = True) -> Fix | None:
        """Insert `await` before the call (with parentheses where precedence needs them)."""
        if not scope.is_async:
            return None
        line, col, end_line, end_col = self._span(call)
        parent = self._parent(call)
        needs_parens = isinstance(parent, ast.Attribute | ast.Subscript) or (
            isinstance(parent, ast.Call) and parent.func is call
        )
        edits: tuple[TextEdit, ...]
        if needs_parens:
            edits = (TextEdit(line, col, line, col, "(await "), TextEdit(end_line, end_col, end_line, end_col, ")"))
        else:
            edits = (TextEdit(line, col, line, col, "await "),)
        return Fix("Add `await`", edits, safe=safe)

    # -- AG102: await on a plain function's result --------------------------------------------------

    def _check_await(self, node: ast.Await, scope: Scope) -> None:
        value = node.value
        if not isinstance(value, ast.Call):
            return
        callee = scope.eval(value.func)
        reason = self._non_awaitable_reason(callee)
        if reason is None:
            return
        line, col, _, _ = self._span(node)
        vline, vcol, _, _ = self._span(value)
        # Delete the keyword and the spaces after it, not up to the call: in `await (f())` the call
        # starts inside the parentheses.
        source = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if source[col - 1:col + 4] == "await":
            end = col + 4
            while end < len(source) and source[end] in " \t":
                end += 1
            vline, vcol = line, end + 1
        # Safe only when no way out of the callee can give an awaitable; "can return None" is not enough.
        fix = Fix("Remove `await`", (TextEdit(line, col, vline, vcol, ""),), safe=self._surely_not_awaitable(callee))
        self.report("AG102", node, f"`await` on the result of {reason}", fix)

    def _surely_not_awaitable(self, callee: Value | None) -> bool:
        if isinstance(callee, External | Class):
            return True  # a catalogued plain callable, or a class without `__await__`
        if not isinstance(callee, Func) or not self._returns_not_awaitable(callee, 0):
            return False
        # An async override gets this call too: removing the `await` would drop its coroutine.
        return callee.owner is None or all(self.index.func_kind(o) == "sync" for o in self.index.overrides_of(callee))

    def _non_awaitable_reason(self, callee: Value | None) -> str | None:
        if isinstance(callee, External):
            if callee.name in catalog.SYNC_CALLABLES:
                return f"`{callee.name}`, which is not awaitable"
            return None
        if isinstance(callee, Class):
            protocols = self.index.class_protocols(callee)
            if protocols is None or "__await__" in protocols or "__new__" in protocols:
                return None
            if any(d != "dataclass" and not d.startswith("dataclass") for d in callee.info.decorators):
                return None
            return f"`{callee.qualname}(...)`, an instance of a class without `__await__`"
        if not isinstance(callee, Func):
            return None
        if self.index.func_kind(callee) != "sync":
            return None
        # An async override (or an abstract stub each subclass implements its own way) makes
        # `await self.m()` work for that subclass, unless the method declares a result that is not
        # awaitable (`def aclose(self) -> None: pass`): then the declaration is the contract, an
        # async override breaks it (AG108), and this await fails for every instance that keeps it.
        declared_not = callee.info.returns is not None and self._returns_not_awaitable(callee, 0)
        if callee.info.is_stub and callee.owner is not None and not declared_not:
            return None
        if not self._may_return_not_awaitable(callee):
            return None
        if callee.owner is not None:
            if callee.owner.info.is_protocol:
                return None
            for override in [] if declared_not else self.index.overrides_of(callee):
                if self.index.func_kind(override) != "sync":
                    return None
        if self._returns_not_awaitable(callee, 0):
            return f"`{callee.qualname}`, a plain `def` whose result is not awaitable"
        return f"`{callee.qualname}`, a plain `def` that can return a non-awaitable value (such as `None`)"

    def _returns_not_awaitable(self, func: Func, depth: int) -> bool:
        """Whether no way out of `func` gives an awaitable (and every way is known)."""
        return self._return_kinds(func, depth) == {"not"}

    def _late_bound_overrides(self, func: Func, text: str, target: Func) -> list[Func]:
        """`return self.execute_command(...)` in a method: `self` may be any subclass of the class it
        was reached through, so each override there is a possible callee too (a sync base whose
        async subclass overrides `execute_command`: the base method's result is awaitable there)."""
        head, _, rest = text.partition(".")
        if head not in {"self", "cls"} or "." in rest or target.owner is None or func.owner is None:
            return []
        through = func.receiver or func.owner
        return [o for o in self.index.overrides_of(target) if o.owner is not None and any(
            c is not None and c.info is through.info for c in self.index.mro(o.owner))]

    def _may_return_not_awaitable(self, func: Func) -> bool:
        """Whether some way out of `func` surely gives a non-awaitable and none surely an awaitable.

        `await f()` fails on that path (awaiting `None` or a `str` raises `TypeError`).
        """
        kinds = self._return_kinds(func, 0)
        return "not" in kinds and "awaitable" not in kinds

    def _return_kinds(self, func: Func, depth: int) -> set[str]:
        """What `func`'s results can be: "not" (surely not awaitable), "awaitable", "unknown"."""
        info = func.info
        if info.returns is not None:
            others = optional_members(info.returns.strip())
            if others is not None:  # `-> Optional[X]`: a way out gives None, which `await` cannot take
                declared = {"not"}
                for member in others:
                    head = (dotted(member.value if isinstance(member, ast.Subscript) else member) or "")
                    verdict = None if head.rsplit(".", 1)[-1] in {"Any", "object"} else \
                        self.index.annotation_awaitability(func.module, ast.unparse(member))
                    declared.add(verdict if verdict in {"not", "awaitable"} else "unknown")
                return declared
            verdict = self.index.annotation_awaitability(func.module, info.returns)
            return {"not"} if verdict == "not" else {"awaitable"} if verdict == "awaitable" else {"unknown"}
        if depth > 3 or not info.return_shapes:
            return {"unknown"}
        kinds: set[str] = set()
        for shape in info.return_shapes:
            if shape in {"none", "literal"}:
                kinds.add("not")
            elif shape.startswith("call:"):
                kinds |= self._call_kinds(func, shape[5:], depth)
            else:
                kinds.add("unknown")
        return kinds

    def _call_kinds(self, func: Func, text: str, depth: int) -> set[str]:
        target = self.index.resolve_in_function(func, text)
        if target is None and text.rsplit(".", 1)[-1] in _FUTURE_MAKERS:
            return {"awaitable"}  # `self._loop.create_future()`: a future whatever the loop is
        if isinstance(target, Func):
            kinds: set[str] = set()
            for each in [target, *self._late_bound_overrides(func, text, target)]:
                kind = self.index.func_kind(each)
                if kind == "sync":
                    kinds |= self._return_kinds(each, depth + 1)
                elif kind == "coroutine":
                    kinds.add("awaitable")
                else:
                    kinds.add("not" if kind in {"asyncgen", "generator", "synccm", "asynccm"} else "unknown")
            return kinds
        if isinstance(target, External):
            if target.name in catalog.SYNC_CALLABLES or target.name in catalog.NOT_AWAITABLE_CLASSES:
                return {"not"}
            if target.name in catalog.ASYNC_CALLABLES or target.name in catalog.TASK_FACTORIES:
                return {"awaitable"}
            return {"unknown"}
        if isinstance(target, Class):
            protocols = self.index.class_protocols(target)
            if protocols is None or "__new__" in protocols:
                return {"unknown"}
            return {"awaitable"} if "__await__" in protocols else {"not"}
        return {"unknown"}

    # -- AG103-AG106: with / for mix-ups -------------------------------------------------------------

    def _cm_kind(self, expr: ast.expr, scope: Scope) -> str | None:
        """"async" for an async-only context manager, "sync" for a sync-only one, else None."""
        if isinstance(expr, ast.Call):
            callee = scope.eval(expr.func)
            if isinstance(callee, Func):
                kind = self.index.func_kind(callee)
                if kind == "asynccm":
                    return "async"
                if kind == "synccm":
                    return "sync"
                if kind == "sync":
                    return self._all_same(self._class_cm_kind, self.index.func_return_classes(callee)) or \
                        self._returned_catalog_cm(callee, 0)
                return None
            if isinstance(callee, Class):
                return self._class_cm_kind(callee)
            if isinstance(callee, External):
                if callee.name in catalog.ASYNC_ONLY_CMS:
                    return "async"
                if callee.name in catalog.SYNC_ONLY_CMS:
                    return "sync"
            return None
        value = scope.eval(expr)
        if isinstance(value, Instance):
            return self._class_cm_kind(value.cls)
        if isinstance(value, UnionOf):
            return self._all_same(self._class_cm_kind, [m.cls for m in value.members])
        if isinstance(value, ExternalInstance):
            if value.cls in catalog.ASYNC_ONLY_CMS:
                return "async"
            if value.cls in catalog.SYNC_ONLY_CMS:
                return "sync"
        return None

    def _returned_catalog_cm(self, func: Func, depth: int) -> str | None:
        """"async" when every return of an unannotated sync `func` hands back a catalogued async
        context manager (`return self.session.get(url)`), through sync helpers too."""
        shapes = func.info.return_shapes
        if func.info.returns or depth > 3 or not shapes or any(not s.startswith("call:") for s in shapes):
            return None
        for shape in shapes:
            target = self.index.resolve_in_function(func, shape[5:])
            if isinstance(target, External) and (target.name in catalog.ASYNC_ONLY_CMS):
                continue
            if isinstance(target, Func) and self.index.func_kind(target) == "sync" and \
                    self._returned_catalog_cm(target, depth + 1) == "async":
                continue
            return None
        return "async"

    @staticmethod
    def _all_same(kind_of: Callable[[Class], str | None], classes: list[Class] | None) -> str | None:
        if not classes:
            return None
        kinds = {kind_of(c) for c in classes}
        return kinds.pop() if len(kinds) == 1 else None

    def _class_cm_kind(self, cls: Class) -> str | None:
        protocols = self.index.class_protocols(cls)
        if protocols is None:
            return None
        has_async = "__aenter__" in protocols
        has_sync = "__enter__" in protocols
        if has_async and not has_sync:
            return "async"
        if has_sync and not has_async:
            return "sync"
        return None

    def _check_with_item(self, stmt: ast.With | ast.AsyncWith, item: ast.withitem, scope: Scope) -> None:
        kind = self._cm_kind(item.context_expr, scope)
        name = _short(item.context_expr)
        if isinstance(stmt, ast.With) and kind == "async":
            fix = None
            if scope.is_async and len(stmt.items) == 1:
                line, col, _, _ = self._span(stmt)
                fix = Fix("Use `async with`", (TextEdit(line, col, line, col, "async "),))
            self.report("AG103", item.context_expr, f"`with` on `{name}`, an async-only context manager: "
                        "use `async with`", fix)
        elif isinstance(stmt, ast.AsyncWith) and kind == "sync":
            self.report("AG104", item.context_expr, f"`async with` on `{name}`, a sync-only context manager: "
                        "use `with`")
        elif kind is None and isinstance(stmt, ast.With) and scope.is_async:
            self._check_deviant_form(stmt, item.context_expr, scope, 1, "entered with `async with`", "`with`",
                                     "Use `async with`")

    def _iter_kind(self, expr: ast.expr, scope: Scope) -> str | None:
        if isinstance(expr, ast.List | ast.Tuple | ast.Set | ast.Dict | ast.ListComp | ast.SetComp |
                      ast.DictComp | ast.GeneratorExp | ast.JoinedStr):
            return "sync"
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str | bytes):
            return "sync"
        if isinstance(expr, ast.Call):
            callee = scope.eval(expr.func)
            if isinstance(callee, Func):
                kind = self.index.func_kind(callee)
                if kind == "asyncgen":
                    return "async"
                if kind == "generator":
                    return "sync"
                if kind == "sync":
                    return self._all_same(self._class_iter_kind, self.index.func_return_classes(callee))
                return None
            if isinstance(callee, External) and callee.name in catalog.SYNC_ITERABLE_CALLS:
                return "sync"
            if isinstance(callee, External) and callee.name in catalog.ASYNC_ITERABLE_CALLS:
                return "async"
            if isinstance(callee, Class):
                return self._class_iter_kind(callee)
            return None
        value = scope.eval(expr)
        if isinstance(value, Instance):
            return self._class_iter_kind(value.cls)
        if isinstance(value, UnionOf):
            return self._all_same(self._class_iter_kind, [m.cls for m in value.members])
        if isinstance(value, ExternalInstance):
            if value.cls in catalog.ASYNC_ITERABLES:
                return "async"
            if value.cls in catalog.SYNC_ITERABLES:
                return "sync"
        return None

    def _class_iter_kind(self, cls: Class) -> str | None:
        protocols = self.index.class_protocols(cls)
        if protocols is None:
            return None
        has_async = "__aiter__" in protocols
        awaitable = "__await__" in protocols
        # `__getitem__` alone makes a class iterable (the old protocol), unless the class says it is
        # meant for `async for` or `await` (a query set that can also be sliced).
        has_sync = "__iter__" in protocols or ("__getitem__" in protocols and not has_async and not awaitable)
        if has_async and not has_sync:
            return "async"
        if has_sync and not has_async:
            return "sync"
        if awaitable and not has_sync:
            return "awaitable"
        return None

    def _check_for(self, node: ast.For | ast.AsyncFor | ast.comprehension, iter_expr: ast.expr, is_async: bool,
                   scope: Scope) -> None:
        kind = self._iter_kind(iter_expr, scope)
        if kind is None:
            if not is_async and isinstance(node, ast.For) and scope.is_async:
                self._check_deviant_form(node, iter_expr, scope, 2, "iterated with `async for`", "`for`",
                                         "Use `async for`")
            return
        text = _short(iter_expr)
        if not is_async and kind == "async":
            fix = None
            if isinstance(node, ast.For) and scope.is_async:
                line, col, _, _ = self._span(node)
                fix = Fix("Use `async for`", (TextEdit(line, col, line, col, "async "),))
            self.report("AG105", iter_expr, f"`for` over `{text}`, an async iterable: use `async for`", fix)
        elif not is_async and kind == "awaitable":
            self.report("AG101", iter_expr, f"`for` over `{text}`, an awaitable that is not iterable: "
                        "`await` it first")
        elif is_async and kind == "sync":
            self.report("AG106", iter_expr, f"`async for` over `{text}`, a plain iterable: use `for`")

    # -- AG107 / AG109 / AG111 ---------------------------------------------------------------------

    def _check_blocking(self, call: ast.Call, callee: Value, scope: Scope) -> None:
        if "AG107" not in self.enabled:
            return
        # The values this call gives the callee matter only to a sync callee that tests or hands them on.
        bindings = _call_bindings(call, callee) if isinstance(callee, Func) and (
            callee.info.guarded_calls or callee.info.passed_on) and self.index.func_kind(callee) == "sync" else None
        chain = self.blocking.chain_for(callee, direct=True, module=self.module, bindings=bindings)
        if not chain:
            return
        if len(chain) == 1 and chain[0] == "queue.Queue.get" and self._queue_get_cannot_wait(call):
            return
        if len(chain) == 1:
            msg = f"blocking call `{chain[0]}` inside `async def` stalls the event loop; use an async API " \
                  "or `await asyncio.to_thread(...)`"
        else:
            msg = f"`{chain[0]}` blocks the event loop inside `async def` (via {' -> '.join(chain)}); " \
                  "use an async API or `await asyncio.to_thread(...)`"
        self.report("AG107", call, msg, chain=tuple(chain))

    def _queue_get_cannot_wait(self, call: ast.Call) -> bool:
        """`q.get(False)` / `q.get(block=False)`, or `q.get()` under `while not q.empty():` /
        `if q.qsize():`: an item is there (or it raises), so nothing waits."""
        if (call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value is False) or any(
            k.arg == "block" and isinstance(k.value, ast.Constant) and k.value.value is False for k in call.keywords
        ):
            return True
        if not isinstance(call.func, ast.Attribute):
            return False
        queue = ast.unparse(call.func.value)
        guards = {f"not {queue}.empty()", f"{queue}.qsize()", f"{queue}.qsize() > 0", f"not {queue}.empty"}
        child: ast.AST = call
        cur = self._parent(call)
        while cur is not None and not isinstance(cur, ast.FunctionDef | ast.AsyncFunctionDef):
            if isinstance(cur, ast.While | ast.If) and child in cur.body and ast.unparse(cur.test) in guards:
                return True
            child, cur = cur, self._parent(cur)
        return False

    def _check_task(self, call: ast.Call, callee: Value, scope: Scope) -> None:
        if "AG109" not in self.enabled:
            return
        name = callee.name if isinstance(callee, External) else None
        if name not in catalog.TASK_FACTORIES:
            return
        use = self._use_of(call, scope)
        if use.kind == "assign" and use.name is not None:
            if self._declared_outside(use.name, scope):
                return  # `global task` / `nonlocal task`: kept where the rest of the program reads it
            use = self._use_of_variable(use.name, call, scope, container=False)
            if use.kind == "never" and use.detail != "_":
                use = Use("discard")
        if use.kind in {"discard", "never"}:
            self.report("AG109", call, f"the task from `{name}` is not kept: it can be garbage-collected "
                        "before it finishes; keep a reference (e.g. in a set, discarded on done)")

    @staticmethod
    def _declared_outside(name: str, scope: Scope) -> bool:
        """`global name` or `nonlocal name` in the function: the variable outlives the call."""
        fn = scope.func_node
        if fn is None or scope.info is None or name not in scope.info.bound:
            return False
        pending: list[ast.AST] = list(fn.body)
        while pending:
            node = pending.pop()
            if isinstance(node, ast.Global | ast.Nonlocal) and name in node.names:
                return True
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
                pending.extend(ast.iter_child_nodes(node))
        return False

    def _check_nested_loop(self, call: ast.Call, callee: Value) -> None:
        name = callee.name if isinstance(callee, External) else None
        if name in catalog.LOOP_STARTERS:
            self.report("AG111", call, f"`{name}` inside `async def`: the event loop is already running; "
                        "`await` the coroutine instead")

    # -- AG108 / AG112 ------------------------------------------------------------------------------

    def _check_class(self, node: ast.ClassDef, cls: Class | None) -> None:
        """AG108, once per mismatch: at the override that is out of step with its base, or at the
        base when it is the odd one out (every override, and at least two, disagree with it). A
        subclass that flips many methods of its base together (an async twin of a sync client) is
        a design, not an accident, and is not reported."""
        if cls is None or "AG108" not in self.enabled:
            return
        for stmt in node.body:
            if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) or stmt.name not in cls.info.methods:
                continue
            method = Func(self.module, cls.info.methods[stmt.name], cls)
            base = self.index.lookup_member(cls, stmt.name, skip_self=True)
            if isinstance(base, Func) and base.owner is not None:
                problem = self._override_problem(method, base)
                if problem and not self._parallel_family(cls, base.owner) and not self._odd_base(base) \
                        and not _async_face(method):
                    self.report("AG108", _name_node(stmt, self), problem)
            overrides = self._odd_base(method)
            if overrides:
                where = ", ".join(f"`{o.qualname}`" for o in overrides[:3])
                more = f" and {len(overrides) - 3} more" if len(overrides) > 3 else ""
                kind = "async" if stmt.__class__ is ast.AsyncFunctionDef else "sync"
                self.report("AG108", _name_node(stmt, self),
                            f"`{method.qualname}` is {kind} but all its overrides ({where}{more}) are not: "
                            "callers cannot use them interchangeably")

    def _overridden_both_ways(self, base: Func) -> bool:
        """Sync and async implementations in comparable numbers (a sync and an async client family).
        One sync override among five async ones is the accident AG108 is for."""
        kinds = [self.index.func_kind(o) for o in self.index.overrides_of(base)]
        n_async, n_sync = kinds.count("coroutine"), kinds.count("sync")
        minority, majority = min(n_async, n_sync), max(n_async, n_sync)
        return minority > 0 and (minority >= 2 or minority == majority)

    def _odd_base(self, method: Func) -> list[Func]:
        """The overrides of `method` when all of them (two or more) disagree with it: then the base
        is what is out of step, and the one finding belongs there."""
        overrides = [o for o in self.index.overrides_of(method) if not _async_face(o) and (
                     o.owner is None or method.owner is None or not self._parallel_family(o.owner, method.owner))]
        if len(overrides) < 2:
            return []
        if all(self._override_problem(o, method) for o in overrides):
            return overrides
        return []

    def _parallel_family(self, sub: Class, base: Class) -> bool:
        """`sub` flips at least three of the methods it overrides from `base`, and most of them:
        an async twin of a sync class (redis' `AsyncCommands(Commands)`), kept in step on purpose."""
        key = (sub.qualname, base.qualname)
        cache = self._families
        if key in cache:
            return cache[key]
        flipped = shared = 0
        for name, info in sub.info.methods.items():
            if name.startswith("__") and name.endswith("__"):
                continue
            other = self.index.lookup_member(base, name)
            if not isinstance(other, Func):
                continue
            shared += 1
            if self._override_problem(Func(sub.module, info, sub), other):
                flipped += 1
        cache[key] = flipped >= 3 and 2 * flipped > shared
        return cache[key]

    def _override_problem(self, method: Func, base: Func) -> str | None:
        mk = self.index.func_kind(method)
        bk = self.index.func_kind(base)
        if {mk, bk} != {"coroutine", "sync"}:
            return None
        if self.index.dispatched_either_way(method.info.name):
            return None  # the callers await the result only when it is awaitable: both kinds work
        if base.owner is not None and any(b is None for b in self.index.mro(base.owner)[1:]):
            # The base itself sits on a framework class we cannot read (tornado's `RequestHandler`):
            # its method may be the framework's hook, called however the framework calls it.
            return None
        if base.info.is_stub and base.owner is not None and self._overridden_both_ways(base):
            return None  # an abstract stub that sync and async subclasses each implement their way
        if bk == "coroutine" and mk == "sync":
            if method.info.returns_awaitable_annotation:
                return None
            if not (method.info.is_stub or self._returns_not_awaitable(method, 0)):
                return None
            return (f"`{method.qualname}` is a plain `def` overriding `async def {base.qualname}`: "
                    "callers that `await` it will fail")
        if base.info.returns_awaitable_annotation:
            return None
        if "awaitable" in self._return_kinds(base, 0):
            return None  # the plain def hands back an awaitable itself (`return fut`): compatible
        return (f"`async def {method.qualname}` overrides plain `def {base.qualname}`: callers that do not "
                "`await` it get a coroutine")

    def _check_return_annotation(self, node: ast.AsyncFunctionDef, info: ScopeInfo) -> None:
        if node.returns is None:
            return
        if any((dotted(d) or "").rsplit(".", 1)[-1] == "overload" for d in node.decorator_list):
            return  # an overload's `...` body says nothing; a `wait=False` variant may well give a Future
        annotation = node.returns
        target = annotation.value if isinstance(annotation, ast.Subscript) else annotation
        if isinstance(target, ast.Constant) and isinstance(target.value, str):  # a string annotation
            text = target.value.split("[", 1)[0].strip()
        else:
            text = dotted(target) or ""
        head = text.rsplit(".", 1)[-1]
        if (head in _AWAITABLE_TYPE_NAMES and self._names_awaitable_type(text)
                and self._returns_plain_values(node, info)):
            text = ast.unparse(annotation)
            self.report("AG112", node.returns, f"`async def {node.name}` is annotated `-> {text}`: the "
                        "annotation is the awaited result, so callers would need to await twice")

    def _names_awaitable_type(self, text: str) -> bool:
        """Whether an annotation named like an awaitable (`Task`, `Future`, ...) is one: a project's
        own `Task` model, or a library's job class, is a plain result, whatever its name. An
        unresolved name keeps the benefit of the doubt the name gives it."""
        value = self.index.resolve_dotted(self.module, text)
        if isinstance(value, External):
            return value.name.split(".", 1)[0] in _AWAITABLE_TYPE_MODULES
        if isinstance(value, Class):
            return value.module.split(".", 1)[0] in _AWAITABLE_TYPE_MODULES
        return value is None

    @staticmethod
    def _returns_plain_values(node: ast.AsyncFunctionDef, info: ScopeInfo) -> bool:
        """Whether every way out of the coroutine gives a plain value: then the annotation is wrong.
        One that really hands back a task or a future (`return asyncio.create_task(...)`, a pong
        waiter) is double-wrapped on purpose; a body that only raises has no say."""
        shapes = function_return_shapes(node, info)
        return bool(shapes) and all(s in {"none", "literal"} for s in shapes)

    # -- AG114: the project's own other call sites disagree ------------------------------------------

    def _role_of(self, call: ast.Call) -> tuple[str, str] | None:
        if self._roles is None:
            scopes, todo = [], [self.walked]
            while todo:
                sc = todo.pop()
                scopes.append(sc)
                todo.extend(sc.children)
            self._roles = call_roles(scopes)
        return self._roles.get(id(call))

    def _deviation(self, call: ast.Call, scope: Scope, role_index: int) -> tuple[str, int, str] | None:
        """(form, number of other async uses of that kind, where one is) when the project uses this
        unresolved call's form asynchronously at least twice elsewhere and never any other way."""
        found = self._role_of(call)
        if found is None or found[1] not in {"sync", "neutral"} or scope.eval(call.func) is not None:
            return None
        form, role = found
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        if isinstance(receiver, ast.Name) and any(
                isinstance(b.node, ast.Call) and b.enter is None and b.iterate is None and b.element is None
                for b in scope.bindings.get(receiver.id, ())):
            return None  # `ws = create_connection(url)`: this local is what that call made, not the project's usual `ws`
        total, where, line = self.index.call_usage(form)
        others_sync = total[3] - (1 if role == "sync" else 0)
        if total[role_index] < MIN_CONSENSUS or others_sync > 0 or where is None:
            return None
        return form, total[role_index], f"{where}:{line}"

    def _check_deviant_await(self, call: ast.Call, scope: Scope) -> None:
        use = self._use_of(call, scope)
        if use.kind == "assign" and use.name is not None:
            use = self._use_of_variable(use.name, call, scope, container=False)
        elif use.kind == "container" and use.name is not None:
            use = self._use_of_variable(use.name, call, scope, container=True)
        if use.kind not in {"discard", "misuse", "condition", "return-async", "never"}:
            return  # handed on, kept, or entered/iterated (the `with` and `for` checks weigh those)
        found = self._deviation(call, scope, 0)
        if found is None:
            return
        form, count, example = found
        self.report("AG114", call, f"`{_short(call)}` is not awaited here, but the project awaits every other "
                    f"`{form}(...)` call ({count}, e.g. {example}) and uses it no other way: probably a missing "
                    "`await`", self._await_fix(call, scope, safe=False))

    def _check_deviant_form(self, stmt: ast.With | ast.For, expr: ast.expr, scope: Scope, role_index: int,
                            elsewhere: str, here: str, fix_title: str) -> None:
        if not isinstance(expr, ast.Call):
            return
        found = self._deviation(expr, scope, role_index)
        if found is None:
            return
        form, count, example = found
        line, col, _, _ = self._span(stmt)
        fix = Fix(fix_title, (TextEdit(line, col, line, col, "async "),), safe=False) \
            if isinstance(stmt, ast.For) or len(stmt.items) == 1 else None
        self.report("AG114", expr, f"`{_short(expr)}` uses {here} here, but the project has every other "
                    f"`{form}(...)` call {elsewhere} ({count}, e.g. {example}) and uses it no other way: "
                    f"probably {fix_title[0].lower()}{fix_title[1:]}", fix)

    # -- AG113 ----------------------------------------------------------------------------------------

    def _check_probable(self, call: ast.Call, scope: Scope) -> None:
        if not isinstance(self._parent(call), ast.Expr) or not isinstance(call.func, ast.Attribute):
            return
        name = call.func.attr
        if name in AG113_EXCLUDED_NAMES or name.startswith("__"):
            return
        receiver = scope.eval(call.func.value)
        if receiver is not None:
            return
        defs = self.index.methods_named(name)
        if not defs or any(d.owner is None for d in defs):
            return
        if all(self.index.func_kind(d) == "coroutine" for d in defs):
            self.report("AG113", call, f"`.{name}()` is defined in this project only as `async def`; this "
                        "discarded call is probably missing `await`")


def _short(expr: ast.expr) -> str:
    """An expression's source, cut to fit a one-line message."""
    text = ast.unparse(expr)
    return text if len(text) <= 60 else text[:57] + "..."


def _call_bindings(call: ast.Call, callee: Func) -> dict[str, str]:
    """The literal values a call gives the callee's parameters, defaults included (rules.guards);
    nothing when `*args` / `**kwargs` at the call could pass anything."""
    return bind(call_params(callee), callee.info.param_defaults, [literal_of(a) for a in call.args],
                {k.arg: literal_of(k.value) for k in call.keywords if k.arg is not None},
                any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords))


def _async_face(method: Func) -> bool:
    """`async def connect(self, ...): return super().connect(...)`: an override whose whole body is
    the base's own method exists only to give it the other kind (an async class's coroutine face
    over a shared sync implementation). Nobody writes that by accident; AG108 is for accidents."""
    return method.info.is_async and method.info.delegates_to_base


def _name_node(stmt: ast.FunctionDef | ast.AsyncFunctionDef, checker: ModuleChecker) -> ast.AST:
    """A node spanning `def name` for reporting on a definition line."""
    node = ast.Name(id=stmt.name)
    node.lineno = stmt.lineno
    node.end_lineno = stmt.lineno
    line_text = checker.lines[stmt.lineno - 1] if stmt.lineno <= len(checker.lines) else ""
    byte_line = line_text.encode("utf-8")
    idx = byte_line.find(b"def " + stmt.name.encode("utf-8"))
    start = idx + 4 if idx >= 0 else stmt.col_offset
    node.col_offset = start
    node.end_col_offset = start + len(stmt.name.encode("utf-8"))
    return node


def _closure_loads(info: ScopeInfo, name: str) -> list[ast.Name]:
    """Reads of `name` in scopes nested in `info` that do not rebind it (closures over the local)."""
    out: list[ast.Name] = []
    pending = list(info.children)
    while pending:
        child = pending.pop()
        if name in child.bound or name in child.loop_bound or name in child.stores:
            continue
        out.extend(child.loads.get(name, []))
        pending.extend(child.children)
    return out
