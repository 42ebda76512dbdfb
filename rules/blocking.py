"""Which calls block the event loop, directly or through the project's sync helpers."""

from __future__ import annotations

from rules import catalog
from rules.index import Class, External, Func, ProjectIndex, Value


class BlockingAnalysis:
    """Memoised call chains from a callable down to a catalogued blocking call."""

    def __init__(self, index: ProjectIndex, extra_blocking: tuple[str, ...] = ()) -> None:
        self.index = index
        self.blocking: dict[str, bool] = dict(catalog.BLOCKING_CALLS)
        for name in extra_blocking:
            self.blocking[name] = True
        self._memo: dict[str, list[str] | None] = {}

    def chain_for(self, callee: Value, direct: bool) -> list[str] | None:
        """`["helpers.pause", "time.sleep"]` when calling `callee` blocks; None otherwise."""
        if isinstance(callee, External):
            follow = self.blocking.get(callee.name)
            if follow is None or (not direct and not follow):
                return None
            return [callee.name]
        if isinstance(callee, Func):
            return self._func_chain(callee, 0)
        return None

    def _func_chain(self, func: Func, depth: int) -> list[str] | None:
        key = func.qualname
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # cycle guard
        if depth > 6 or self.index.func_kind(func) != "sync":
            return None
        result: list[str] | None = None
        for text, _line in func.info.calls:
            target = self._resolve_in(func, text)
            if target is None:
                continue
            sub = self.chain_for(target, direct=False) if isinstance(target, External) else (
                self._func_chain(target, depth + 1) if isinstance(target, Func) else None
            )
            if sub:
                result = [func.qualname, *sub]
                break
        self._memo[key] = result
        return result

    def _resolve_in(self, func: Func, text: str) -> Value | None:
        value = self.index.resolve_in_function(func, text)
        return None if isinstance(value, Class) else value
