"""How the project itself uses each call form: the evidence AG114 weighs.

Lightly annotated code (a Discord bot's `self.bot.session.get(url)`, a cog's `ctx.typing()`) gives
the index no type to resolve the call with, so no rule can say what it returns. The project's own
other call sites can: when every other `x.session.get(...)` is entered with `async with` and never
used any other way, the one `with` is the deviation (Engler et al., "Bugs as deviant behavior").

A call form is the receiver's last name and the method (`session.get`, `ctx.typing`); `self`,
`cls` and dunder methods are left out (the index resolves those, and their names say nothing about
one object). Each call of that form is one role:

- `await`, `async-with`, `async-for`: the project uses the result asynchronously;
- `neutral`: handed on as an argument or returned, which fits either kind; `builder`: the receiver
  of a method whose result is awaited (`await q.where(x).first()`);
- `sync`: anything else (assigned, discarded, entered with `with`, iterated with `for`, an
  attribute or operand of it), which is counter-evidence.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from asyncguard.rules.walk import ScopeInfo

ASYNC_ROLES = ("await", "async-with", "async-for")
# Per call form: counts of the async roles (in ASYNC_ROLES order), of `sync` uses, and the first line
# of an async use in the module (0 when none).
Usage = tuple[int, int, int, int, int]
_SKIPPED_RECEIVERS = frozenset({"self", "cls"})


def call_form(call: ast.Call) -> str | None:
    """`a.b.session.get(...)` -> "session.get"; None for calls no form names."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr.startswith("__"):
        return None
    receiver = func.value
    if isinstance(receiver, ast.Name):
        name = receiver.id
    elif isinstance(receiver, ast.Attribute):
        name = receiver.attr
    else:
        return None
    if name in _SKIPPED_RECEIVERS:
        return None
    return f"{name}.{func.attr}"


def _handed_on(expr: ast.expr, out: set[int]) -> None:
    """The calls an argument hands on as they are: `f(g())`, `gather(*[g(x) for x in xs])`."""
    while isinstance(expr, ast.Starred):
        expr = expr.value
    if isinstance(expr, ast.Call):
        out.add(id(expr))
    elif isinstance(expr, ast.List | ast.Tuple | ast.Set):
        for e in expr.elts:
            _handed_on(e, out)
    elif isinstance(expr, ast.ListComp | ast.GeneratorExp | ast.SetComp):
        _handed_on(expr.elt, out)


def _builders(call: ast.Call, roles: dict[int, str]) -> None:
    """`await client.keys(p).route(n)`: `client.keys(p)` builds the object whose method gives the
    awaitable (a query or request builder); it is used as intended, not missing an `await`."""
    expr: ast.expr = call.func
    while isinstance(expr, ast.Attribute | ast.Subscript):
        expr = expr.value
        if isinstance(expr, ast.Call):
            roles[id(expr)] = "builder"
            expr = expr.func


def call_roles(scopes: Iterable[ScopeInfo]) -> dict[int, tuple[str, str]]:
    """id(call) -> (form, role) for every call with a form in these scopes."""
    scopes = list(scopes)
    roles: dict[int, str] = {}
    neutral: set[int] = set()
    def mark(expr: ast.expr, role: str) -> None:
        if isinstance(expr, ast.Call):
            roles[id(expr)] = role
            _builders(expr, roles)

    for sc in scopes:
        for aw in sc.awaits:
            mark(aw.value, "await")
        for stmt in sc.withs:
            if isinstance(stmt, ast.AsyncWith):
                for item in stmt.items:
                    mark(item.context_expr, "async-with")
        for loop in sc.fors:
            is_async = isinstance(loop, ast.AsyncFor) or (isinstance(loop, ast.comprehension) and bool(loop.is_async))
            if is_async:
                mark(loop.iter, "async-for")
        for call in sc.calls:
            for arg in call.args:
                _handed_on(arg, neutral)
            for kw in call.keywords:
                _handed_on(kw.value, neutral)
        for ret in sc.returns:
            if ret.value is not None:
                _handed_on(ret.value, neutral)
    out: dict[int, tuple[str, str]] = {}
    for sc in scopes:
        for call in sc.calls:
            form = call_form(call)
            if form is None:
                continue
            role = roles.get(id(call)) or ("neutral" if id(call) in neutral else "sync")
            out[id(call)] = (form, role)
    return out


def usage_counts(scopes: Iterable[ScopeInfo]) -> dict[str, Usage]:
    """Per call form, how this module uses it (see `Usage`)."""
    scopes = list(scopes)
    lines = {id(c): c.lineno for sc in scopes for c in sc.calls}
    counts: dict[str, list[int]] = {}
    for cid, (form, role) in call_roles(scopes).items():
        if role in {"neutral", "builder"}:
            continue
        row = counts.setdefault(form, [0, 0, 0, 0, 0])
        if role == "sync":
            row[3] += 1
            continue
        row[ASYNC_ROLES.index(role)] += 1
        line = lines[cid]
        if row[4] == 0 or line < row[4]:
            row[4] = line
    return {form: (r[0], r[1], r[2], r[3], r[4]) for form, r in counts.items()}


def merge(rows: Iterable[tuple[str, Usage]]) -> tuple[list[int], str | None, int]:
    """Project totals of one form from (module, usage) rows, and the first module and line with an
    async use (for the message)."""
    total = [0, 0, 0, 0]
    where: str | None = None
    line = 0
    for module, row in sorted(rows):
        for i in range(4):
            total[i] += row[i]
        if where is None and row[4]:
            where, line = module, row[4]
    return total, where, line
