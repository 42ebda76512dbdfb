"""Which calls block the event loop, directly or through the project's sync helpers."""

from __future__ import annotations

from asyncguard.rules import catalog
from asyncguard.rules.guards import bind, ruled_out
from asyncguard.rules.index import External, Func, ProjectIndex, Value

# How deep below the called function a chain is followed: a chain has at most MAX_DEPTH + 1
# project functions before the blocking call.
MAX_DEPTH = 6

_Chain = tuple[str, ...]
_Deps = frozenset[str]


class BlockingAnalysis:
    """Memoised call chains from a callable down to a catalogued blocking call.

    The chain of a function seen at a given depth is a pure function of (function, depth): the
    first call, in source order, whose target has a chain within the depth left and not through the
    function itself. Memoised on that key, results never depend on what was asked before (the
    files checked earlier, or by the other process), and recursion (mutually recursive helpers)
    ends with the depth, without a cycle guard.

    Each memoised result keeps the modules its resolution consulted: a file that reuses it depends
    on them as much as the file that first worked it out (`ProjectIndex.touched`, the cache).
    """

    def __init__(self, index: ProjectIndex, extra_blocking: tuple[str, ...] = (), file_io: bool = False) -> None:
        """`extra_blocking`: the user's `blocking-calls`, followed through helpers; `file_io`: whether
        local-file I/O (`catalog.FILE_IO_CALLS`) counts as blocking (`blocking-file-io`)."""
        self.index = index
        self.blocking: dict[str, bool] = {
            name: follow for name, follow in catalog.BLOCKING_CALLS.items()
            if file_io or name not in catalog.FILE_IO_CALLS
        }
        for name in extra_blocking:
            self.blocking[name] = True
        self._memo: dict[tuple[str, int], tuple[_Chain | None, _Deps]] = {}
        # A sync function's calls, resolved (None: not sync, nothing to follow), and what that consulted.
        self._calls: dict[str, tuple[list[External | Func] | None, _Deps]] = {}

    def chain_for(self, callee: Value, direct: bool, module: str | None = None,
                  bindings: dict[str, str] | None = None) -> list[str] | None:
        """`["helpers.pause", "time.sleep"]` when calling `callee` (from `module`) blocks; None otherwise.

        `bindings`: the literal values this call site gives `callee`'s parameters (rules.guards); a
        blocking call the callee makes only under a test those values make false is not followed.
        """
        if isinstance(callee, External):
            follow = self.blocking.get(callee.name)
            if follow is None or (not direct and not follow) or self._nonblocking(callee.name, module):
                return None
            return [callee.name]
        if isinstance(callee, Func):
            if bindings and (callee.info.guarded_calls or callee.info.passed_on):
                chain = self._bound_chain(callee, bindings)
            else:
                chain = self._func_chain(callee, 0)
            return list(chain) if chain is not None else None
        return None

    def _bound_chain(self, func: Func, bindings: dict[str, str], depth: int = 0) -> _Chain | None:
        """`_compute` for one call site: the calls its values rule out are skipped, and the values
        `func` hands on (its parameters, literals) follow into the functions it calls."""
        if self.index.func_kind(func) != "sync":
            return None
        guarded = dict(func.info.guarded_calls)
        handed = {text: (pos, kw) for text, pos, kw in func.info.passed_on}
        name = func.qualname
        for text, _line in func.info.calls:
            if text in guarded and all(ruled_out(g, bindings) for g in guarded[text]):
                continue
            target = self.index.resolve_in_function(func, text)
            if isinstance(target, External):
                follow = self.blocking.get(target.name)
                if follow and not self._nonblocking(target.name, func.module):
                    return (name, target.name)
            elif isinstance(target, Func) and depth < MAX_DEPTH:
                child = self._handed_on(target, handed.get(text), bindings)
                if child and (target.info.guarded_calls or target.info.passed_on):
                    sub = self._bound_chain(target, child, depth + 1)
                else:
                    sub = self._func_chain(target, depth + 1)
                if sub is not None and name not in sub:
                    return (name, *sub)
        return None

    @staticmethod
    def _handed_on(target: Func, args: tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | None,
                   bindings: dict[str, str]) -> dict[str, str]:
        """The values `target` surely gets from a call whose arguments are `args` (tokens of
        rules.guards.passed_on), the caller's own parameters being `bindings`."""
        positional, keywords = args if args is not None else ((), ())

        def value(token: str) -> str | None:
            if token.startswith("l:"):
                return token[2:]
            if token.startswith("p:"):
                return bindings.get(token[2:])
            return None

        return bind(call_params(target), target.info.param_defaults, [value(t) for t in positional],
                    {k: value(t) for k, t in keywords if k != "**"},
                    "*" in positional or any(t == "*" for _, t in keywords))

    def _nonblocking(self, name: str, module: str | None) -> bool:
        """A socket method called in a module that makes its sockets non-blocking."""
        if module is None or not name.startswith("socket.socket."):
            return False
        summary = self.index.module(module)
        return summary is not None and summary.nonblocking_sockets

    def _func_chain(self, func: Func, depth: int) -> _Chain | None:
        # The modules this resolution consults are kept with the result and added to every
        # later file that reuses it (index.tracked), so cached findings stay correct.
        return self.index.tracked(self._memo, (func.qualname, depth), None, lambda: self._compute(func, depth))

    def _compute(self, func: Func, depth: int) -> _Chain | None:
        targets = self._targets(func)
        if targets is None:
            return None
        name = func.qualname
        for target in targets:
            if isinstance(target, External):
                follow = self.blocking.get(target.name)
                if follow and not self._nonblocking(target.name, func.module):
                    return (name, target.name)  # indirectly, only what blocks wherever it is called
            elif depth < MAX_DEPTH:
                sub = self._func_chain(target, depth + 1)
                if sub is not None and name not in sub:
                    return (name, *sub)
        return None

    def _targets(self, func: Func) -> list[External | Func] | None:
        """The External and Func values `func` calls, in source order; None unless it is sync."""
        return self.index.tracked(self._calls, func.qualname, None, lambda: self._resolve_targets(func))

    def _resolve_targets(self, func: Func) -> list[External | Func] | None:
        if self.index.func_kind(func) != "sync":
            return None
        targets: list[External | Func] = []
        for text, _line in func.info.calls:
            value = self.index.resolve_in_function(func, text)
            if isinstance(value, (External, Func)):
                targets.append(value)
        return targets


def call_params(callee: Func) -> list[str]:
    """The parameters a call's positional arguments fill, in order (`self` / `cls` left out for a
    method reached through an instance or class)."""
    params = [p.name for p in callee.info.params if p.kind in {"posonly", "normal"}]
    if callee.owner is not None and callee.bound and params and \
            not any(d.rsplit(".", 1)[-1] == "staticmethod" for d in callee.info.decorators):
        params = params[1:]
    return params
