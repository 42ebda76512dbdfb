"""Calls a function makes only when a parameter has some value, and whether a call site rules them out.

`def resolve(host): if host == "localhost": return socket.gethostbyname(host)` blocks only for
"localhost"; `await ...; resolve("example.com")` never reaches the lookup. A guard is kept only
in the simple, certain forms below, on the function's own parameters (the caller decides them);
anything else is no guard, so the call counts as reachable, as before.

Guard forms, as (parameter, operator, literal reprs): `p == c` / `p != c`, `p in (c, ...)` /
`p not in (...)`, `p is None` / `p is not None`, `p` / `not p`; an `and` of them in an `if`; the
`else` of a single one (negated), and the statements after `if <one of them>: return ...` (negated).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

Guard = tuple[str, str, tuple[str, ...]]  # (parameter, "==" | "!=" | "in" | "not in" | "truthy" | "falsy", literals)
# What a call hands on, per argument: "p:<own parameter>", "l:<literal repr>", "*" (unpacked) or "".
PassedOn = tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]  # (callee text, positional, keywords)

_NEGATE = {"==": "!=", "!=": "==", "in": "not in", "not in": "in", "truthy": "falsy", "falsy": "truthy"}
_SKIP = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def call_guards(node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[int, tuple[Guard, ...]]:
    """id(call) -> the guards every path to it passes, for the calls of `node`'s own body that sit
    under an `if` on a parameter (calls elsewhere are not in the map)."""
    params = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
    out: dict[int, tuple[Guard, ...]] = {}
    if not params:
        return out

    def visit(stmts: Iterable[ast.stmt], guards: tuple[Guard, ...]) -> None:
        for stmt in stmts:
            if isinstance(stmt, _SKIP):
                continue
            if isinstance(stmt, ast.If):
                mark(stmt.test, guards)
                positive = _test_guards(stmt.test, params)
                visit(stmt.body, guards + positive)
                negative = _negated(positive) if len(positive) == 1 and _single(stmt.test) else ()
                visit(stmt.orelse, guards + negative)
                if negative and not stmt.orelse and _leaves(stmt.body):
                    guards = guards + negative  # `if host != "localhost": return host`: the rest runs only otherwise
                continue
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list):
                    visit([s for s in inner if isinstance(s, ast.stmt)], guards)
                    for item in inner:
                        if isinstance(item, ast.ExceptHandler | ast.match_case):
                            visit(item.body, guards)
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    mark(child, guards)
            if isinstance(stmt, ast.With | ast.AsyncWith):
                for item in stmt.items:
                    mark(item.context_expr, guards)

    def mark(expr: ast.expr, guards: tuple[Guard, ...]) -> None:
        if not guards:
            return
        pending: list[ast.AST] = [expr]
        while pending:
            sub = pending.pop()
            if isinstance(sub, _SKIP):
                continue
            if isinstance(sub, ast.Call):
                out[id(sub)] = guards
            pending.extend(ast.iter_child_nodes(sub))

    visit(node.body, ())
    if out:  # `host = host.lower()`: a test on a rebound name no longer reads what the caller passed
        rebound = _rebound(node)
        if rebound:
            kept = {k: tuple(g for g in v if g[0] not in rebound) for k, v in out.items()}
            out = {k: v for k, v in kept.items() if v}
    return out


def _leaves(body: list[ast.stmt]) -> bool:
    """The block always leaves the function (its last statement returns or raises)."""
    return bool(body) and isinstance(body[-1], ast.Return | ast.Raise)


def _rebound(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names: set[str] = set()
    pending: list[ast.AST] = list(node.body)
    while pending:
        sub = pending.pop()
        if isinstance(sub, _SKIP):
            continue
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
            names.add(sub.id)
        elif isinstance(sub, ast.Global | ast.Nonlocal):
            names.update(sub.names)
        pending.extend(ast.iter_child_nodes(sub))
    return names


def _single(test: ast.expr) -> bool:
    return not isinstance(test, ast.BoolOp)


def _test_guards(test: ast.expr, params: set[str]) -> tuple[Guard, ...]:
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    out: list[Guard] = []
    for part in parts:
        guard = _one_guard(part, params)
        if guard is not None:
            out.append(guard)
    return tuple(out)


def _one_guard(test: ast.expr, params: set[str]) -> Guard | None:
    if isinstance(test, ast.Name) and test.id in params:
        return (test.id, "truthy", ())
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Name) \
            and test.operand.id in params:
        return (test.operand.id, "falsy", ())
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name)
            and test.left.id in params):
        return None
    op, right = test.ops[0], test.comparators[0]
    name = test.left.id
    if isinstance(op, ast.Eq | ast.NotEq | ast.Is | ast.IsNot):
        literal = _literal(right)
        if literal is None or (isinstance(op, ast.Is | ast.IsNot) and literal != "None"):
            return None
        return (name, "==" if isinstance(op, ast.Eq | ast.Is) else "!=", (literal,))
    if isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.Tuple | ast.List | ast.Set):
        literals = [_literal(e) for e in right.elts]
        if any(lit is None for lit in literals):
            return None
        return (name, "in" if isinstance(op, ast.In) else "not in", tuple(lit for lit in literals if lit is not None))
    return None


def _negated(guards: tuple[Guard, ...]) -> tuple[Guard, ...]:
    return tuple((p, _NEGATE[op], lits) for p, op, lits in guards)


def _literal(node: ast.expr) -> str | None:
    """repr of a constant (str, int, bool, None, ...), the form guards and bindings compare in."""
    if isinstance(node, ast.Constant) and not isinstance(node.value, bytes | type(...)):
        return repr(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and isinstance(node.operand.value, int | float):
        return repr(-node.operand.value)
    return None


def literal_of(node: ast.expr) -> str | None:
    """The literal a call passes (see `_literal`), or None when it is not a constant."""
    return _literal(node)


def ruled_out(guards: Iterable[Guard], bindings: dict[str, str]) -> bool:
    """Whether the parameter values a call site fixes (`bindings`: name -> literal repr) make one of
    the guards false, so the guarded call cannot happen from that site."""
    for param, op, literals in guards:
        value = bindings.get(param)
        if value is None:
            continue
        if op in {"==", "in"} and value not in literals:
            return True
        if op in {"!=", "not in"} and value in literals:
            return True
        if op in {"truthy", "falsy"}:
            truthy = bool(ast.literal_eval(value))
            if truthy != (op == "truthy"):
                return True
    return False


def passed_on(node: ast.FunctionDef | ast.AsyncFunctionDef, calls: list[tuple[str, ast.Call]],
              stored: set[str] | None = None) -> tuple[PassedOn, ...]:
    """For each callee called once in `node`, what its arguments are in terms of `node`'s own
    parameters and literals, so the values a call site gives `node` can follow into the callee.

    `stored`: the names the body stores or deletes (the walk's `ScopeInfo.stores`), when known;
    otherwise the body is walked again for them."""
    params = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
    if not params or not calls:
        return ()
    seen: dict[str, int] = {}
    for name, _call in calls:
        seen[name] = seen.get(name, 0) + 1

    def token(arg: ast.expr) -> str:
        if isinstance(arg, ast.Starred):
            return "*"
        if isinstance(arg, ast.Name) and arg.id in params:
            return f"p:{arg.id}"
        literal = _literal(arg)
        return f"l:{literal}" if literal is not None else ""

    out: list[PassedOn] = []
    for name, call in calls:
        if seen[name] != 1:
            continue
        positional = tuple(token(a) for a in call.args)
        keywords = tuple((k.arg or "**", "*" if k.arg is None else token(k.value)) for k in call.keywords)
        if any(t.startswith("p:") for t in positional) or any(t.startswith("p:") for _, t in keywords):
            out.append((name, positional, keywords))
    if out:  # a parameter the function rebinds no longer holds what its caller passed
        rebound = {f"p:{n}" for n in (_rebound(node) if stored is None else stored)}
        if rebound:
            out = [(n, tuple("" if t in rebound else t for t in pos), tuple((k, "" if t in rebound else t)
                    for k, t in kw)) for n, pos, kw in out]
    return tuple(out)


def bind(params: list[str], defaults: Iterable[tuple[str, str]], positional: list[str | None],
         keywords: dict[str, str | None], unpacked: bool) -> dict[str, str]:
    """Parameter name -> literal repr, for the values a call surely gives (defaults included):
    `positional` / `keywords` hold each argument's literal, None when it is not one."""
    if unpacked:
        return {}
    out = dict(defaults)
    for name, value in zip(params, positional, strict=False):
        out.pop(name, None)
        if value is not None:
            out[name] = value
    for name, value in keywords.items():
        out.pop(name, None)
        if value is not None:
            out[name] = value
    return out
