"""One file's interface facts, read with `ast` alone (user code is never imported).

A summary is plain data computed from one file's text, so it can be cached by content hash and
the cross-module work (following re-exports, inheritance) runs over summaries only.
"""

from __future__ import annotations

import ast
import threading
from dataclasses import dataclass, field

from asyncguard.contracts.model import ContractError, Param, ParamKind

_DEPRECATION_WARNINGS = frozenset({"DeprecationWarning", "PendingDeprecationWarning", "FutureWarning"})
ALL_REF = "@all:"  # marks another module's `__all__` inside this one's
_COROUTINE_DECORATORS = frozenset({"asyncio.coroutine", "types.coroutine", "coroutine"})
_PROPERTY_DECORATORS = frozenset({"property", "cached_property", "abstractproperty"})


@dataclass
class FuncInfo:
    name: str
    line: int
    is_async: bool
    is_generator: bool
    params: tuple[Param, ...]
    returns: str | None
    decorators: tuple[str, ...]
    deprecated: bool
    default_refs: dict[str, str] = field(default_factory=dict)  # param name -> dotted name of its default
    # dotted callees of `return Callee(...)`, when every `return` in the body returns such a call
    returned_calls: tuple[str, ...] = ()


@dataclass
class ClassInfo:
    name: str
    line: int
    bases: tuple[str, ...]
    decorators: tuple[str, ...]
    members: dict[str, FuncInfo | ClassInfo]
    deprecated: bool


@dataclass
class ModuleSummary:
    module: str
    path: str
    is_package: bool
    defs: dict[str, FuncInfo | ClassInfo] = field(default_factory=dict)
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # name -> (module, attr|None)
    explicit_reexports: set[str] = field(default_factory=set)  # `import x as x` / `from m import a as a`
    aliases: dict[str, str] = field(default_factory=dict)  # `name = other.name` at module level
    constants: dict[str, str] = field(default_factory=dict)  # `NAME = <literal>` -> repr(value)
    type_aliases: dict[str, str] = field(default_factory=dict)  # `Name = Union[...]` / `A | B` -> source
    all_names: list[str] | None = None
    star_imports: list[str] = field(default_factory=list)
    dynamic: dict[str, tuple[bool, str | None]] = field(default_factory=dict)  # name -> (deprecated, module)
    deprecated: bool = False  # the module warns with DeprecationWarning when imported
    is_shim: bool = False  # only imports (and warnings): a module kept for its re-exports
    dict_literals: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    import_refs: list[tuple[str, int, int]] = field(default_factory=list)  # (dotted target, line, column)
    getattr_refs: set[str] = field(default_factory=set)
    getattr_deprecated: bool = False


def summarize(source: str, module: str, path: str, is_package: bool) -> ModuleSummary:
    """Summarize one file; a syntax error becomes a ContractError naming file and line."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise ContractError(f"{path}:{exc.lineno or 1}: cannot parse: {exc.msg}") from None
    except ValueError as exc:  # e.g. null bytes
        raise ContractError(f"{path}: cannot parse: {exc}") from None
    _YIELD_FREE.value = "yield" not in source
    summary = ModuleSummary(module=module, path=path, is_package=is_package)
    package = module if is_package else module.rpartition(".")[0]
    statements = list(_flatten(tree.body))
    for stmt in statements:
        _read_statement(stmt, summary, package)
    summary.is_shim = _is_shim(tree.body) and bool(summary.imports or summary.star_imports)
    for ref in summary.getattr_refs:
        for key, target in summary.dict_literals.get(ref, []):
            if key.isidentifier():
                module_target = _module_from_string(target, package) if target else None
                summary.dynamic[key] = (summary.getattr_deprecated, module_target)
    return summary


def _flatten(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements, looking inside `if` / `try` blocks (both branches)."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.If):
            out.extend(_flatten(stmt.body))
            out.extend(_flatten(stmt.orelse))
        elif isinstance(stmt, ast.With):
            out.extend(_flatten(stmt.body))
        elif isinstance(stmt, ast.Try | ast.TryStar):
            out.extend(_flatten(stmt.body))
            for handler in stmt.handlers:
                out.extend(_flatten(handler.body))
            out.extend(_flatten(stmt.orelse))
            out.extend(_flatten(stmt.finalbody))
        else:
            out.append(stmt)
    return out


def _read_statement(stmt: ast.stmt, s: ModuleSummary, package: str) -> None:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        if stmt.name == "__getattr__":
            _read_module_getattr(stmt, s, package)
            return
        info = _function(stmt)
        if not _is_overload(info) or stmt.name not in s.defs:
            s.defs[stmt.name] = info
    elif isinstance(stmt, ast.ClassDef):
        s.defs[stmt.name] = _class(stmt)
    elif isinstance(stmt, ast.Import):
        for alias in stmt.names:
            s.import_refs.append((alias.name, stmt.lineno, stmt.col_offset + 1))
            if alias.asname:
                s.imports[alias.asname] = (alias.name, None)
                if alias.asname == alias.name.rpartition(".")[2]:
                    s.explicit_reexports.add(alias.asname)
            else:
                top = alias.name.partition(".")[0]
                s.imports.setdefault(top, (top, None))
    elif isinstance(stmt, ast.ImportFrom):
        base = _resolve_relative(stmt.module, stmt.level, package)
        if base is None:
            return
        for alias in stmt.names:
            if alias.name == "*":
                s.star_imports.append(base)
                continue
            bound = alias.asname or alias.name
            s.imports[bound] = (base, alias.name)
            s.import_refs.append((f"{base}.{alias.name}", stmt.lineno, stmt.col_offset + 1))
            if alias.asname and alias.asname == alias.name:
                s.explicit_reexports.add(bound)
    elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
        _read_assignment(stmt, s)
    elif isinstance(stmt, ast.Expr):
        call = stmt.value
        if isinstance(call, ast.Call):
            _read_module_call(call, s, package)


def _resolve_relative(module: str | None, level: int, package: str) -> str | None:
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base_parts = parts[: len(parts) - (level - 1)]
    if module:
        base_parts.append(module)
    return ".".join(base_parts) if base_parts else None


def _read_assignment(stmt: ast.Assign | ast.AnnAssign | ast.AugAssign, s: ModuleSummary) -> None:
    if isinstance(stmt, ast.Assign):
        targets = [t for t in stmt.targets if isinstance(t, ast.Name)]
        value: ast.expr | None = stmt.value
    elif isinstance(stmt, ast.AnnAssign):
        targets = [stmt.target] if isinstance(stmt.target, ast.Name) else []
        value = stmt.value
    else:
        if isinstance(stmt.target, ast.Name) and stmt.target.id == "__all__":
            extra = _string_list(stmt.value, s)
            if extra is not None:
                s.all_names = (s.all_names or []) + extra
        return
    if value is None:
        return
    for target in targets:
        name = target.id
        if name == "__all__":
            names = _string_list(value, s)
            if names is not None:
                s.all_names = names
            continue
        if isinstance(value, ast.Subscript | ast.BinOp) or _is_type_alias_annotation(stmt):
            s.type_aliases[name] = ast.unparse(value)
        if isinstance(value, ast.Dict):
            s.dict_literals[name] = [
                (k.value, v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else None)
                for k, v in zip(value.keys, value.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            ]
        dotted = _dotted(value)
        if dotted is not None:
            s.aliases[name] = dotted
            s.defs.pop(name, None)
            continue
        try:
            s.constants[name] = repr(ast.literal_eval(value))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass


def _is_type_alias_annotation(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.AnnAssign) and (_dotted(stmt.annotation) or "").endswith("TypeAlias")


def _string_list(node: ast.expr, s: ModuleSummary) -> list[str] | None:
    """`["a", "b"]`, tuples, `+` of those, and `other.__all__` of a star-imported module (best effort)."""
    if isinstance(node, ast.List | ast.Tuple):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _string_list(node.left, s)
        right = _string_list(node.right, s)
        return (left or []) + (right or []) if left is not None or right is not None else None
    if isinstance(node, ast.Name) and node.id == "__all__":
        return list(s.all_names or [])
    if isinstance(node, ast.Attribute) and node.attr == "__all__":
        owner = _dotted(node.value)
        return [f"{ALL_REF}{owner}"] if owner else None  # `streams.__all__`: expanded across modules
    return None


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def _read_module_call(call: ast.Call, s: ModuleSummary, package: str) -> None:
    """`warnings.warn(..., DeprecationWarning)` and lazy-import helpers with dict-literal keywords."""
    if _is_deprecation_warn(call):
        s.deprecated = True
        return
    if isinstance(call.func, ast.Attribute) and call.func.attr == "extend":
        if _dotted(call.func.value) == "__all__" and call.args:
            extra = _string_list(call.args[0], s)
            if extra is not None:
                s.all_names = (s.all_names or []) + extra
        return
    for kw in call.keywords:
        if kw.arg is None or not isinstance(kw.value, ast.Dict):
            continue
        deprecated = "deprecat" in kw.arg.lower()
        for key, value in zip(kw.value.keys, kw.value.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                target = None
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    target = _module_from_string(value.value, package)
                s.dynamic[key.value] = (deprecated, target)


def _module_from_string(text: str, package: str) -> str | None:
    if text.startswith("."):
        level = len(text) - len(text.lstrip("."))
        return _resolve_relative(text[level:] or None, level, package)
    return text or None


def _read_module_getattr(
    func: ast.FunctionDef | ast.AsyncFunctionDef, s: ModuleSummary, package: str
) -> None:
    """A module `__getattr__` serves names: string constants it tests, keys of dicts it reads."""
    deprecated = any(
        isinstance(n, ast.Name) and n.id in _DEPRECATION_WARNINGS for n in ast.walk(func)
    ) or any(isinstance(n, ast.Call) and _is_deprecation_warn(n) for n in ast.walk(func))
    names: set[str] = set()
    referenced: set[str] = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Compare):
            for part in [node.left, *node.comparators]:
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    names.add(part.value)
                elif isinstance(part, ast.Set | ast.List | ast.Tuple):
                    names.update(
                        e.value for e in part.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
                    )
                elif isinstance(part, ast.Name):
                    referenced.add(part.id)
        elif isinstance(node, ast.Name):
            referenced.add(node.id)
    s.defs.pop("__getattr__", None)
    s.dynamic.update({n: (deprecated, None) for n in names if n.isidentifier()})
    s.getattr_refs = referenced
    s.getattr_deprecated = deprecated


def _is_deprecation_warn(call: ast.Call) -> bool:
    func = _dotted(call.func)
    if func is None or func.rpartition(".")[2] not in {"warn", "warn_explicit", "_warn_deprecated"}:
        return False
    candidates = list(call.args[1:2]) + [kw.value for kw in call.keywords if kw.arg == "category"]
    return any(
        isinstance(c, ast.Name | ast.Attribute)
        and (_dotted(c) or "").rpartition(".")[2] in _DEPRECATION_WARNINGS
        for c in candidates
    )


def _is_shim(body: list[ast.stmt]) -> bool:
    for stmt in _flatten(body):
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant | ast.Call):
            continue
        if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            continue  # __all__, aliases
        if isinstance(stmt, ast.FunctionDef) and stmt.name in {"__getattr__", "__dir__"}:
            continue
        return False
    return True


def _is_overload(info: FuncInfo) -> bool:
    return "overload" in info.decorators


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    name = _dotted(target) or ast.unparse(target)
    last = name.rpartition(".")[2]
    if last in _PROPERTY_DECORATORS:
        return "property"
    if last in {"staticmethod", "classmethod", "overload", "abstractmethod"}:
        return last
    return name


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef) -> FuncInfo:
    decorators = tuple(_decorator_name(d) for d in node.decorator_list)
    params, refs = _params(node.args)
    # Only an unconditional warning deprecates the callable; one inside an `if` is about an argument.
    deprecated = any(d.rpartition(".")[2] == "deprecated" for d in decorators) or any(
        isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and _is_deprecation_warn(stmt.value)
        for stmt in node.body
    )
    # `@asyncio.coroutine` / `@types.coroutine` generators are awaited like `async def` (pre-3.5 style)
    legacy_coroutine = any(d in _COROUTINE_DECORATORS for d in decorators)
    return FuncInfo(
        name=node.name,
        line=node.lineno,
        is_async=isinstance(node, ast.AsyncFunctionDef) or legacy_coroutine,
        is_generator=_is_generator(node) and not legacy_coroutine,
        params=params,
        returns=ast.unparse(node.returns) if node.returns is not None else None,
        decorators=decorators,
        deprecated=deprecated,
        default_refs=refs,
        returned_calls=_returned_calls(node),
    )


_YIELD_FREE = threading.local()


def _returned_calls(func: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    """`return Wrapper(...)` callees, or () when some `return` returns anything else (or nothing)."""
    if isinstance(func, ast.AsyncFunctionDef):
        return ()
    returns = [n for n in _own_nodes(func) if isinstance(n, ast.Return)]
    callees: list[str] = []
    for ret in returns:
        if not isinstance(ret.value, ast.Call):
            return ()
        dotted = _dotted(ret.value.func)
        if dotted is None:
            return ()
        callees.append(dotted)
    return tuple(sorted(set(callees)))


def _is_generator(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A `yield` in the body itself; a file without the word `yield` skips the walk entirely."""
    if getattr(_YIELD_FREE, "value", False):
        return False
    return any(isinstance(n, ast.Yield | ast.YieldFrom) for n in _own_nodes(func))


def _own_nodes(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """Nodes of the function body, not descending into nested functions, lambdas or classes."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                stack.append(child)
    return out


def _params(args: ast.arguments) -> tuple[tuple[Param, ...], dict[str, str]]:
    params: list[Param] = []
    refs: dict[str, str] = {}
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for index, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        kind: ParamKind = "positional_only" if index < len(args.posonlyargs) else "positional_or_keyword"
        params.append(_param(arg, kind, default, refs))
    if args.vararg:
        params.append(_param(args.vararg, "var_positional", None, refs))
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append(_param(arg, "keyword_only", kw_default, refs))
    if args.kwarg:
        params.append(_param(args.kwarg, "var_keyword", None, refs))
    return tuple(params), refs


def _param(arg: ast.arg, kind: ParamKind, default: ast.expr | None, refs: dict[str, str]) -> Param:
    default_text = ast.unparse(default) if default is not None else None
    value = None
    if default is not None:
        try:
            value = repr(ast.literal_eval(default))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            dotted = _dotted(default)
            if dotted is not None and dotted not in {"None", "True", "False"}:
                refs[arg.arg] = dotted
    return Param(
        name=arg.arg,
        kind=kind,
        default=default_text,
        annotation=ast.unparse(arg.annotation) if arg.annotation is not None else None,
        default_value=value if value != default_text else None,
    )


def _class(node: ast.ClassDef) -> ClassInfo:
    members: dict[str, FuncInfo | ClassInfo] = {}
    for stmt in _flatten(node.body):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            info = _function(stmt)
            if any(d.endswith((".setter", ".deleter", ".getter")) for d in info.decorators):
                continue
            if _is_overload(info) and stmt.name in members:
                continue
            members[stmt.name] = info
        elif isinstance(stmt, ast.ClassDef):
            members[stmt.name] = _class(stmt)
    decorators = tuple(_decorator_name(d) for d in node.decorator_list)
    init = members.get("__init__")
    return ClassInfo(
        name=node.name,
        line=node.lineno,
        bases=tuple(ast.unparse(b) for b in node.bases),
        decorators=decorators,
        members=members,
        deprecated=any(d.rpartition(".")[2] == "deprecated" for d in decorators)
        or (isinstance(init, FuncInfo) and init.deprecated),
    )
