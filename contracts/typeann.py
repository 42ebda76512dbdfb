"""Compare type annotations by meaning: spelling differences are not changes, widening is compatible.

`Optional[X]` == `X | None`, `typing.List[int]` == `list[int]`; a parameter annotation that accepts
more (`MutableMapping` -> `Mapping`, `int` -> `int | None`, anything -> `Any`) is widened.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache

_ALIASES = {
    "List": "list", "Dict": "dict", "Set": "set", "FrozenSet": "frozenset", "Tuple": "tuple",
    "Type": "type", "Text": "str", "DefaultDict": "defaultdict", "Deque": "deque",
}  # fmt: skip
# narrower -> directly wider (closed transitively below)
_WIDER_EDGES = {
    "bool": {"int"}, "int": {"float"}, "float": {"complex"},
    "list": {"MutableSequence"}, "tuple": {"Sequence"}, "MutableSequence": {"Sequence"},
    "Sequence": {"Collection", "Reversible"}, "Collection": {"Iterable", "Sized", "Container"},
    "dict": {"MutableMapping"}, "defaultdict": {"dict"}, "OrderedDict": {"dict"}, "MutableMapping": {"Mapping"},
    "Mapping": {"Collection"}, "set": {"MutableSet"}, "MutableSet": {"AbstractSet"}, "frozenset": {"AbstractSet"},
    "AbstractSet": {"Collection"}, "deque": {"MutableSequence"}, "str": {"Sequence"}, "bytes": {"Sequence"},
    "Generator": {"Iterator"}, "Iterator": {"Iterable"}, "AsyncGenerator": {"AsyncIterator"},
    "AsyncIterator": {"AsyncIterable"}, "Coroutine": {"Awaitable"},
}  # fmt: skip
_TOP = frozenset({"Any", "object"})
# The standard library's constrained TypeVars: as an annotation, the union of their constraints.
_CONSTRAINED = {"AnyStr": ("str", "bytes")}
_DEFAULTED_ARGS = {"Generator": 1, "AsyncGenerator": 1}


def _close(edges: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    closed: dict[str, frozenset[str]] = {}
    for start in edges:
        seen: set[str] = set()
        stack = list(edges[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(edges.get(node, ()))
        closed[start] = frozenset(seen)
    return closed


_WIDER = _close(_WIDER_EDGES)


@dataclass(frozen=True)
class _T:
    """A canonical annotation: a name with arguments, or a union of members, or opaque text."""

    name: str
    args: tuple[_T, ...] = ()
    union: frozenset[_T] | None = None


@lru_cache(maxsize=4096)
def canonical(text: str) -> _T:
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return _T(" ".join(text.split()))
    return _canon(node)


def _canon(node: ast.expr) -> _T:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return _canon(ast.parse(node.value.strip(), mode="eval").body)
        except SyntaxError:
            return _T(node.value)
    if isinstance(node, ast.Constant) and node.value is None:
        return _T("None")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union([_canon(node.left), _canon(node.right)])
    if isinstance(node, ast.Subscript):
        name = _name(node.value)
        items = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        args = [_canon(i) for i in items]
        if name == "Optional":
            return _union([*args, _T("None")])
        if name == "Union":
            return _union(args)
        min_args = _DEFAULTED_ARGS.get(name)
        while min_args is not None and len(args) > min_args and args[-1] == _T("None"):
            args.pop()  # PEP 696 defaults: Generator[Y, None, None] is Generator[Y]
        return _T(name, tuple(args))
    if isinstance(node, ast.Name | ast.Attribute):
        name = _name(node)
        if name in _CONSTRAINED:  # `AnyStr` takes the values `str | bytes` does
            return _union([_T(m) for m in _CONSTRAINED[name]])
        return _T(name)
    if isinstance(node, ast.List):
        return _T("[]", tuple(_canon(e) for e in node.elts))
    return _T(ast.unparse(node))


def _name(node: ast.expr) -> str:
    text = ast.unparse(node)
    last = text.rpartition(".")[2]
    return _ALIASES.get(last, last)


def _union(members: list[_T]) -> _T:
    flat: set[_T] = set()
    for m in members:
        flat.update(m.union if m.union is not None else {m})
    if len(flat) == 1:
        return next(iter(flat))
    return _T("Union", union=frozenset(flat))


def same(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or canonical(a) == canonical(b)


def widened(old: str, new: str) -> bool:
    """True when every value `old` accepts is accepted by `new` (as far as the names tell)."""
    return _sub(canonical(old), canonical(new))


def _sub(o: _T, n: _T) -> bool:
    if o == n or n.name in _TOP:
        return True
    if o.union is not None:
        return all(_sub(m, n) for m in o.union)
    if n.union is not None:
        return any(_sub(o, m) for m in n.union)
    if o.name != n.name and n.name not in _WIDER.get(o.name, frozenset()):
        return False
    if not n.args:
        return True
    if len(o.args) != len(n.args):
        return False
    return all(_sub(a, b) for a, b in zip(o.args, n.args, strict=True))
