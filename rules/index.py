"""The project index: which callables of the repository are async, across modules.

Built from one `ModuleSummary` per file. Resolution follows imports (absolute, relative,
aliases, re-exports through `__init__`), module variables, class hierarchies across modules and
annotations. Anything it cannot pin down resolves to None: rules report only what resolves.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asyncguard.rules import catalog
from asyncguard.rules.consensus import Usage, merge
from asyncguard.rules.libraries import STDLIB_READ
from asyncguard.rules.summary import (
    AWAITABLE_ANNOTATION_WORDS,
    ArgCall,
    ClassInfo,
    FuncInfo,
    ModuleSummary,
    annotation_members,
    dotted,
    member_head,
    node_members,
)

GLOBAL_CLASSES = "@classes"  # pseudo-module: "depends on the class table of the whole index"
BUILTINS = frozenset({"open", "print", "input", "range", "len", "str", "repr", "int", "float", "bool", "list",
                      "dict", "set", "tuple", "sorted", "enumerate", "zip", "reversed", "iter", "map", "filter",
                      "isinstance", "getattr", "setattr", "format"})
# Bases that define nothing a rule cares about.
NEUTRAL_BASES = frozenset({"object", "Generic", "Protocol", "ABC", "abc.ABC", "typing.Generic", "typing.Protocol",
                           "typing_extensions.Protocol", "NamedTuple", "typing.NamedTuple", "TypedDict",
                           "Exception", "BaseException", "ValueError", "RuntimeError", "TypeError", "KeyError",
                           "enum.Enum", "Enum", "IntEnum", "str", "int", "dict", "list"})
PRESERVING_DECORATORS = frozenset({"staticmethod", "classmethod", "abstractmethod", "abc.abstractmethod", "final",
                                   "typing.final", "override", "typing.override", "typing_extensions.override",
                                   "functools.lru_cache()", "functools.lru_cache", "lru_cache", "lru_cache()",
                                   "functools.cache", "cache", "overload", "typing.overload", "wraps()",
                                   "functools.wraps()", "abc.abstractclassmethod", "abc.abstractstaticmethod",
                                   "deprecated()", "typing_extensions.deprecated()", "warnings.deprecated()"})
NOT_AWAITABLE_TYPES = frozenset({"None", "str", "int", "float", "bool", "bytes", "bytearray", "dict", "list", "set",
                                 "frozenset", "tuple", "Dict", "List", "Set", "FrozenSet", "Tuple", "Mapping",
                                 "MutableMapping", "Sequence", "MutableSequence", "Iterator", "Iterable",
                                 "Collection", "Path", "NoReturn", "Never", "Literal", "type", "Type", "Callable",
                                 "datetime", "date", "timedelta", "Decimal", "UUID", "Pattern", "Match",
                                 "OrderedDict", "defaultdict", "deque", "Counter", "complex", "range", "memoryview",
                                 "IO", "BinaryIO", "TextIO", "slice", "AbstractSet", "KeysView", "ValuesView",
                                 "ItemsView"})
# Typing protocols an annotation can name: instances stand for "some object with this protocol".
PROTOCOL_TYPES = {
    "AsyncIterable": "typing.AsyncIterable", "AsyncIterator": "typing.AsyncIterable",
    "AsyncGenerator": "typing.AsyncIterable", "Iterable": "typing.Iterable", "Iterator": "typing.Iterable",
    "Generator": "typing.Iterable", "List": "typing.Iterable", "list": "typing.Iterable",
    "Sequence": "typing.Iterable", "AsyncContextManager": "typing.AsyncContextManager",
    "AbstractAsyncContextManager": "typing.AsyncContextManager", "ContextManager": "typing.ContextManager",
    "AbstractContextManager": "typing.ContextManager",
}
# Standard ABCs as bases: the protocol methods each one provides (others provide none we care about).
ABC_PROTOCOLS: dict[str, tuple[str, ...]] = {
    **{n: ("__iter__",) for n in ("Iterable", "Iterator", "Generator", "Reversible", "Collection", "Sequence",
                                  "MutableSequence", "Set", "MutableSet", "Mapping", "MutableMapping",
                                  "KeysView", "ValuesView", "ItemsView")},
    **{n: ("__aiter__",) for n in ("AsyncIterable", "AsyncIterator", "AsyncGenerator")},
    "Awaitable": ("__await__",), "Coroutine": ("__await__",),
    "AbstractContextManager": ("__enter__",), "ContextManager": ("__enter__",),
    "AbstractAsyncContextManager": ("__aenter__",), "AsyncContextManager": ("__aenter__",),
    "Hashable": (), "Sized": (), "Container": (), "Callable": (), "Buffer": (),
}


# Generic containers by name (typing, collections, builtins): iterating one gives its first type argument
# (a mapping's key). `tuple[X, ...]` too; the async ones only for `async for`.
SYNC_ELEMENT_HEADS = frozenset({
    "list", "List", "Sequence", "MutableSequence", "Iterable", "Iterator", "Collection", "set", "Set", "frozenset",
    "FrozenSet", "AbstractSet", "MutableSet", "deque", "Deque", "Generator", "KeysView", "ValuesView", "Reversible",
    "dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "defaultdict", "DefaultDict", "Counter", "tuple",
    "Tuple"})
ASYNC_ELEMENT_HEADS = frozenset({"AsyncIterator", "AsyncIterable", "AsyncGenerator"})
# Indexing or `.get()` gives the last type argument of a mapping, the element of a sequence.
MAPPING_HEADS = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "defaultdict", "DefaultDict",
                           "WeakValueDictionary", "WeakKeyDictionary", "ChainMap"})
SEQUENCE_HEADS = frozenset({"list", "List", "Sequence", "MutableSequence", "deque", "Deque"})


def _abc_name(qualified: str) -> str:
    """`collections.abc.Coroutine` -> "Coroutine"; anything outside typing/abc modules -> ""."""
    module, _, name = qualified.rpartition(".")
    return name if module in {"collections.abc", "typing", "typing_extensions", "contextlib", "abc"} else ""


PROPERTY_DECORATORS = frozenset({"property", "cached_property", "functools.cached_property", "abc.abstractproperty"})


@dataclass(eq=False)
class Func:
    module: str
    info: FuncInfo
    owner: Class | None = None  # the class for a method
    bound: bool = False  # reached through an instance (self.m, obj.m)
    # Type variables of a generic owner bound by the instance: name -> (module, annotation text)
    subst: dict[str, tuple[str, str]] | None = None
    # The subclass of `owner` whose instance the method was reached through: `self.x` inside it is
    # that class's `x` (a sync base method returning `self.execute_command(...)`, async in a subclass)
    receiver: Class | None = None

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.info.qualname}"


@dataclass(eq=False)
class Class:
    module: str
    info: ClassInfo

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.info.qualname}"


@dataclass(eq=False)
class Instance:
    cls: Class
    args: tuple[tuple[str, str], ...] = ()  # type arguments of a generic class: (module, text)


@dataclass(eq=False)
class UnionOf:
    """An instance of one of several project classes (a union annotation)."""

    members: list[Instance]


@dataclass(eq=False)
class Module:
    name: str


@dataclass(eq=False)
class External:
    """Something outside the project: a module, function, class or method, by qualified name."""

    name: str


@dataclass(eq=False)
class ExternalInstance:
    cls: str


@dataclass(eq=False)
class Coroutine:
    """The value of calling a coroutine function: must be awaited."""

    origin: Func | External
    via: Func | None = None  # the plain `def` that returned it (`def get(): return connect()`)


@dataclass(eq=False)
class AsyncCallable:
    """A callable annotated to return an awaitable (`Callable[..., Awaitable[T]]`): calling it gives one."""

    annotation: str


Value = Func | Class | Instance | UnionOf | Module | External | ExternalInstance | Coroutine | AsyncCallable

_CALLABLE_HEADS = frozenset({"Callable", "typing.Callable", "collections.abc.Callable", "t.Callable"})
_AWAITABLE_RESULT_HEADS = frozenset({"Awaitable", "Coroutine", "Future", "Task"})


def class_node(member: ast.expr) -> ast.expr | None:
    """The class one annotation member names: `Generic[T]` -> `Generic`; `type[X]` -> None."""
    if isinstance(member, ast.Subscript):
        if (dotted(member.value) or "").rsplit(".", 1)[-1] in {"Type", "type"}:
            return None
        member = member.value
    return member if isinstance(member, ast.Name | ast.Attribute) else None


def annotation_target_node(node: ast.expr) -> ast.expr | None:
    """The single class an annotation names: `Optional[X]`, `X | None`, `"X"` -> X."""
    members = node_members(node)
    return class_node(members[0]) if members is not None and len(members) == 1 else None


@functools.lru_cache(maxsize=4096)
def _annotation_target(text: str) -> ast.expr | None:
    members = annotation_members(text)
    return class_node(members[0]) if members is not None and len(members) == 1 else None


def module_name_for(root: Path, path: Path) -> tuple[str, bool]:
    """The module a file defines, and whether it is a package `__init__`.

    The name comes from walking up through directories that hold an `__init__.py`; files outside
    any package are named by their path under the root (with a leading `src.` dropped).
    """
    import os.path  # here, not in the shared import block

    path = path.resolve() if not path.is_absolute() else path
    is_package = path.name == "__init__.py"
    parts: list[str] = [] if is_package else [path.stem]
    # On strings: pathlib's joins, parents and comparisons cost more than the stat calls here.
    root_text = str(root)
    directory = os.path.dirname(str(path))
    while True:
        parent = os.path.dirname(directory)
        if parent == directory or not _has_init(os.path.join(directory, "__init__.py")):
            break
        parts.append(os.path.basename(directory))
        if directory == root_text:
            break
        directory = parent
    if is_package and not parts:
        parts = [path.parent.name]
    if (is_package and len(parts) >= 1) or len(parts) > 1:
        return ".".join(reversed(parts)), is_package
    try:
        rel = path.relative_to(root).with_suffix("")
    except ValueError:
        return path.stem, is_package
    rel_parts = list(rel.parts)
    if rel_parts and rel_parts[-1] == "__init__":
        rel_parts = rel_parts[:-1]
    if rel_parts and rel_parts[0] == "src":
        rel_parts = rel_parts[1:]
    return ".".join(rel_parts) or path.stem, is_package


def namespace_module_name(root: Path, path: Path) -> str | None:
    """The name a file has when the project root is on `sys.path` and its folders are namespace
    packages (PEP 420): `cogs/utils/context.py` is `cogs.utils.context` even though only `utils/`
    holds an `__init__.py`. A bot's `cogs/buttons.py` (no package) that writes
    `from .utils.context import Context` imports it by that name. None: outside the root."""
    try:
        rel = path.relative_to(root).with_suffix("")
    except ValueError:
        return None
    parts = list(rel.parts)
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if parts and parts[0] == "src":
        parts = parts[1:]
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def _has_init(init: str) -> bool:
    """`Path(init).exists()`, on a string."""
    import errno
    import os

    try:
        os.stat(init)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as e:
        if e.errno in (errno.EBADF, errno.ELOOP):  # what pathlib's exists() ignores too
            return False
        raise
    except ValueError:
        return False
    return True


def _functions_of(summary: ModuleSummary) -> list[tuple[FuncInfo, ClassInfo | None]]:
    """Every module-level function and method (nested classes too) with its class."""
    out: list[tuple[FuncInfo, ClassInfo | None]] = [(f, None) for f in summary.functions.values()]
    pending = list(summary.classes.values())
    while pending:
        c = pending.pop()
        out.extend((m, c) for m in c.methods.values())
        pending.extend(c.nested.values())
    return out


def _callable_result(text: str) -> ast.expr | None:
    """R of an annotation `Callable[..., R]`."""
    members = annotation_members(text) if text else None
    if not members or len(members) != 1:
        return None
    member = members[0]
    if not (isinstance(member, ast.Subscript) and dotted(member.value) in _CALLABLE_HEADS):
        return None
    spec = member.slice
    if not (isinstance(spec, ast.Tuple) and len(spec.elts) == 2):
        return None
    return spec.elts[1]


def _returns_awaitable_callable(member: ast.expr) -> bool:
    """`Callable[[...], Awaitable[T]]` (or Coroutine/Future/Task)."""
    if not (isinstance(member, ast.Subscript) and dotted(member.value) in _CALLABLE_HEADS):
        return False
    spec = member.slice
    if not (isinstance(spec, ast.Tuple) and len(spec.elts) == 2):
        return False
    result = spec.elts[1]
    head = result.value if isinstance(result, ast.Subscript) else result
    return (dotted(head) or "").rsplit(".", 1)[-1] in _AWAITABLE_RESULT_HEADS


def _sole_decorator(func: Func) -> str | None:
    """The one decorator that changes what `func` is (method markers aside), as written; else None."""
    decorators = [d for d in func.info.decorators
                  if d.rsplit(".", 1)[-1] not in {"staticmethod", "classmethod", "abstractmethod", "override"}]
    return decorators[0] if len(decorators) == 1 else None


def _needs_text_path(node: ast.expr) -> bool:
    """An annotation node the text path of `annotation_value` understands and the node path does not."""
    members = node_members(node)
    return members is not None and len(members) == 1 and _returns_awaitable_callable(members[0])


def _is_test_module(module: str) -> bool:
    return any(part in {"tests", "test", "testing", "conftest"} or part.startswith("test_") or part.endswith("_test")
               for part in module.split("."))


def _one_class(values: list[Value | None]) -> Value | None:
    """The single class all values are instances of, if they agree."""
    if not values or any(not isinstance(v, Instance) for v in values):
        return None
    first = values[0]
    assert isinstance(first, Instance)
    if all(isinstance(v, Instance) and v.cls.info is first.cls.info for v in values):
        return Instance(first.cls)
    return None


@dataclass
class ProjectIndex:
    modules: dict[str, ModuleSummary] = field(default_factory=dict)
    # Modules consulted since the last reset: a file's findings depend on these summaries.
    touched: set[str] = field(default_factory=set)
    extra_async: frozenset[str] = frozenset()
    root: Path | None = None
    _methods_by_name: dict[str, list[Func]] | None = None
    _returning: set[str] = field(default_factory=set)
    # Installed libraries, read on demand: module name -> summary (None: not found or unreadable).
    library_loader: Callable[[str], ModuleSummary | None] | None = None
    library: dict[str, ModuleSummary | None] = field(default_factory=dict)
    # Whether a library module's text mentions a name: lets a star-import search skip modules unparsed.
    library_mentions: Callable[[str, str], bool] | None = None
    # Memos carry the modules their answer consulted: reusing one for another file must record
    # those as that file's dependencies too (see `tracked`).
    _bases: dict[int, tuple[list[Class | None], frozenset[str]]] = field(default_factory=dict)
    _class_fp: str | None = None
    # Reads the project files not indexed yet (set by the engine when it indexed only a closure).
    load_rest: Callable[[], None] | None = None
    _mro_memo: dict[int, tuple[list[Class | None], frozenset[str]]] = field(default_factory=dict)
    _attr_memo: dict[tuple[int, str], tuple[Value | None, frozenset[str]]] = field(default_factory=dict)
    _subclasses: dict[str, list[Class]] | None = None
    # short callee name -> call sites with arguments (module, enclosing function, its class, call)
    _sites: dict[str, list[tuple[str, FuncInfo | None, Class | None, ArgCall]]] | None = None
    _usage: dict[str, list[tuple[str, Usage]]] | None = None
    _param_memo: dict[tuple[int, int, str], tuple[Value | None, frozenset[str]]] = field(default_factory=dict)
    # Other names of project modules (a package below a namespace folder): alias -> module name.
    aliases: dict[str, str] = field(default_factory=dict)

    def tracked(self, memo: dict[Any, tuple[Any, frozenset[str]]], key: Any, placeholder: Any,
                 compute: Callable[[], Any]) -> Any:
        """memo[key], computed once per run; the modules it consulted are recorded on every use."""
        found = memo.get(key)
        if found is not None:
            self.touched |= found[1]
            return found[0]
        memo[key] = (placeholder, frozenset())  # what a re-entry (a cycle) sees
        outer, self.touched = self.touched, set()
        try:
            result = compute()
        finally:
            consulted, self.touched = self.touched, outer
            outer |= consulted
        memo[key] = (result, frozenset(consulted))
        return result

    def add(self, summary: ModuleSummary) -> None:
        self.modules[summary.name] = summary
        self._forget()

    def remove(self, name: str) -> None:
        """Drop a module (its file was deleted): an editor's index outlives the files it read."""
        if self.modules.pop(name, None) is not None:
            self._forget()

    def _forget(self) -> None:
        """Every memo may have read the module that changed."""
        self._sites = None
        self._usage = None
        self._param_memo.clear()
        self._methods_by_name = None
        self._subclasses = None
        self._bases.clear()
        self._class_fp = None
        self._mro_memo.clear()
        self._attr_memo.clear()

    def add_alias(self, alias: str, name: str) -> None:
        """`alias` names the project module `name` too (see `namespace_module_name`)."""
        if alias != name and alias not in self.modules:
            self.aliases[alias] = name

    def canonical(self, name: str) -> str:
        """A module name as the index keys it: an alias (or a name under an aliased package) is
        mapped to the module's own name; anything else is returned as it is."""
        if not self.aliases or name in self.modules:
            return name
        found = self.aliases.get(name)
        if found is not None:
            return found
        head, dot, tail = name.rpartition(".")
        while dot:
            found = self.aliases.get(head)
            if found is not None:
                return f"{found}.{tail}"
            head, dot, rest = head.rpartition(".")
            tail = f"{rest}.{tail}"
        return name

    def module(self, name: str) -> ModuleSummary | None:
        name = self.canonical(name)
        summary = self.modules.get(name)
        if summary is None and self.library_loader is not None and name:
            if name not in self.library:
                self.library[name] = self.library_loader(name)
            summary = self.library[name]
            self.touched.add(name)  # its absence matters too: installing it changes the results
        if summary is not None:
            self.touched.add(name)
        return summary

    def _may_define(self, module: str, name: str) -> bool:
        """False only for an unread library module whose text never mentions `name`."""
        if module in self.modules or module in self.library or self.library_mentions is None:
            return True
        return self.library_mentions(module, name)

    def is_project_module(self, name: str) -> bool:
        return self.canonical(name) in self.modules

    def is_known_module(self, name: str) -> bool:
        """A project module, or an installed library's module that can be read.

        The standard library's async packages are not: their names stay the catalog's
        (`External("asyncio.sleep")`), and their stubs are read only for what the catalog does not
        say (`library_definition`, `_library_class`), so a cold run parses them only when asked."""
        if self.canonical(name) in self.modules:
            return True
        if self.library_loader is None or name.partition(".")[0] in STDLIB_READ:
            return False
        return self.module(name) is not None

    def _external_or_module(self, name: str) -> Value:
        name = self.canonical(name)
        if name not in catalog.CATALOGUED and self.is_known_module(name):
            return Module(name)
        return External(catalog.MODULE_ALIASES.get(name, name))

    # -- names -------------------------------------------------------------------------------

    def resolve_global(self, module: str, name: str, depth: int = 0) -> Value | None:
        """What `name` means at the top level of `module`."""
        if depth > 12:
            return None
        module = self.canonical(module)
        in_library = module not in self.modules
        if in_library:
            public = f"{catalog.MODULE_ALIASES.get(module, module)}.{name}"
            if public in catalog.CATALOGUED:
                return External(public)  # the catalog knows this API better than its source
        summary = self.module(module)
        if summary is None:
            return None
        if name in summary.functions:
            return Func(module, summary.functions[name])
        if name in summary.classes:
            return Class(module, summary.classes[name])
        if name in summary.imports:
            return self.import_value(summary.imports[name], depth)
        if name in summary.variables:
            texprs = summary.variables[name]
            if len(set(texprs)) != 1:
                return None
            return self._texpr_value(module, texprs[0], depth + 1)
        for star in summary.star_imports:
            if self.is_project_module(star) or (in_library and self._may_define(star, name)
                                                and self.module(star) is not None):
                exported = self.module(star)
                if exported is not None and exported.all_names is not None and name not in exported.all_names:
                    continue  # `import *` binds only what `__all__` lists
                found = self.resolve_global(star, name, depth + 1)
                if found is not None:
                    return found
        if summary.has_getattr or summary.star_imports:
            return None
        if name in BUILTINS:
            return External(name)
        return None

    def import_value(self, target: tuple[str, ...], depth: int = 0) -> Value | None:
        """What an import binds: ("module", "a.b") or ("from", "a.b", "name")."""
        if target[0] == "module":
            return self._external_or_module(target[1])
        base, attr = self.canonical(target[1]), target[2]
        full = self.canonical(f"{base}.{attr}")
        public = f"{catalog.MODULE_ALIASES.get(base, base)}.{attr}"
        if public in catalog.CATALOGUED:
            return External(public)
        base_summary = self.modules.get(base)
        if base_summary is not None and (attr in base_summary.functions or attr in base_summary.classes
                                         or attr in base_summary.imports or attr in base_summary.variables):
            # `from pkg import name`: the package's own attribute wins over a submodule of that name
            return self.resolve_global(base, attr, depth + 1)
        if self.is_project_module(full):
            return Module(full)
        if self.is_project_module(base):
            return self.resolve_global(base, attr, depth + 1)
        if self.library_loader is not None:
            if self.is_known_module(full):
                return Module(full)
            if self.is_known_module(base):
                found = self.resolve_global(base, attr, depth + 1)
                if found is not None:
                    return found
        base = catalog.MODULE_ALIASES.get(base, base)
        return External(f"{base}.{attr}")

    def library_definition(self, qualified: str) -> Func | Class | None:
        """`pkg.mod.func`, `pkg.mod.Class` or `pkg.mod.Class.method` read from an installed library's
        source or a standard-library stub, past the catalog (which says what a name is, not what
        awaiting it gives)."""
        if self.library_loader is None:
            return None
        module, _, name = qualified.rpartition(".")
        if not module:
            return None
        cls = self._library_class(module)
        if cls is not None:
            member = self.lookup_member(cls, name)
            return member if isinstance(member, Func | Class) else None
        summary = self.module(module) if module not in self.modules else None
        if summary is None:
            return None
        if name in summary.functions:
            return Func(module, summary.functions[name])
        found = self._library_class(qualified)
        if found is not None:
            return found
        target = summary.imports.get(name)
        if target is not None and target[0] == "from" and target[1] not in self.modules:
            inner = self.module(target[1])
            if inner is not None and target[2] in inner.functions:
                return Func(target[1], inner.functions[target[2]])
        for star in summary.star_imports:
            inner = self.module(star) if star not in self.modules and self._may_define(star, name) else None
            if inner is not None and name in inner.functions and (inner.all_names is None or name in inner.all_names):
                return Func(star, inner.functions[name])
        return None

    def _library_class(self, qualified: str, depth: int = 0) -> Class | None:
        """The class `pkg.mod.Name` read from an installed library's source, past the catalog."""
        module, _, name = qualified.rpartition(".")
        if depth > 8:
            return None
        summary = self.module(module) if module and module not in self.modules else None
        if summary is None:
            return None
        if name in summary.classes:
            return Class(module, summary.classes[name])
        target = summary.imports.get(name)
        if target is not None and target[0] == "from":
            source = self.module(target[1]) if target[1] not in self.modules else None
            if source is not None and target[2] in source.classes:
                return Class(target[1], source.classes[target[2]])
            found = self.resolve_global(target[1], target[2])
            if isinstance(found, Class):
                return found
            if isinstance(found, External) and found.name != qualified:
                return self._library_class(found.name, depth + 1)
        if target is None and name not in summary.variables and name not in summary.functions:
            for star in summary.star_imports:  # `from .locks import *` in asyncio's __init__
                exported = self.module(star) if star not in self.modules and self._may_define(star, name) else None
                if exported is not None and (exported.all_names is None or name in exported.all_names):
                    found_class = self._library_class(f"{star}.{name}", depth + 1)
                    if found_class is not None:
                        return found_class
        return None

    def resolve_dotted(self, module: str, text: str, depth: int = 0) -> Value | None:
        head, *rest = text.split(".")
        value = self.resolve_global(module, head, depth)
        for attr in rest:
            if value is None:
                return None
            value = self.attribute(value, attr, depth + 1)
        return value

    def _texpr_value(self, module: str, texpr: str, depth: int, owner: Class | None = None) -> Value | None:
        kind, _, text = texpr.partition(":")
        if kind == "alias":
            return self.resolve_dotted(module, text, depth)
        if kind in {"call", "awaitcall"} and depth > 24:
            return None
        if kind == "call":
            callee = self._dotted_in(module, text, depth, owner)
            return self.call_result(callee) if callee is not None else None
        if kind == "awaitcall":
            callee = self._dotted_in(module, text, depth, owner)
            if isinstance(callee, Func) and callee.info.is_async:
                return self.func_return_value(callee)
            if isinstance(callee, External) and callee.name in catalog.AWAITED_RESULTS:
                return ExternalInstance(catalog.AWAITED_RESULTS[callee.name])
            if isinstance(callee, External) and callee.name in catalog.ASYNC_CALLABLES:
                return self._library_awaited(callee.name)
            result = self.call_result(callee) if callee is not None else None
            return self.awaited_value(result) if isinstance(result, Instance) else None
        if kind in {"ann", "decl"}:
            return self.annotation_value(module, text, depth)
        if kind == "literal":
            return ExternalInstance(text)
        if kind == "enter" and depth <= 24:
            return self._entered_chain(module, text, depth, owner)
        return None  # "typealias:" names a type, not a value

    def _dotted_in(self, module: str, text: str, depth: int, owner: Class | None) -> Value | None:
        """A dotted name written in a class's methods: `self.session.get` starts at an instance."""
        if text.startswith("@"):  # imported inside the method: "@pkg.mod.Name" or "@pkg.mod|Name.attr"
            if "|" in text:
                base, _, tail = text[1:].partition("|")
                name, _, rest_text = tail.partition(".")
                value_at = self.import_value(("from", base, name), depth)
            else:
                head_module, _, rest_text = text[1:].partition(".")
                value_at = self.import_value(("module", head_module), depth)
            for attr in [a for a in rest_text.split(".") if a]:
                if value_at is None:
                    return None
                value_at = self.attribute(value_at, attr, depth + 1)
            return value_at
        head, _, rest = text.partition(".")
        if owner is not None and head == "self" and rest:
            value: Value | None = Instance(owner)
            for attr in rest.split("."):
                if value is None:
                    return None
                value = self.attribute(value, attr, depth + 1)
            return value
        return self.resolve_dotted(module, text, depth)

    def annotation_value(self, module: str, text: str | ast.expr | None, depth: int = 0) -> Value | None:
        """An instance of the class an annotation names, if it names exactly one."""
        if text is None or text == "":
            return None
        if isinstance(text, str):
            expanded = self._expand_aliases(module, text)
            members = tuple(m for _, m in expanded) if expanded is not None else None
            if expanded is not None and len(expanded) == 1 and expanded[0][0] != module:
                return self.annotation_value(expanded[0][0], ast.unparse(expanded[0][1]), depth + 1)
            if members is not None and len(members) == 1:
                head = (member_head(members[0]) or "").rsplit(".", 1)[-1]
                if head in PROTOCOL_TYPES:
                    return ExternalInstance(PROTOCOL_TYPES[head])
                if _returns_awaitable_callable(members[0]):
                    return AsyncCallable(text.strip("'\" "))
                if isinstance(members[0], ast.Subscript) and head in {"type", "Type"}:
                    inner = self.annotation_value(module, ast.unparse(members[0].slice), depth + 1)
                    return inner.cls if isinstance(inner, Instance) else None  # the class object itself
                if isinstance(members[0], ast.Subscript):
                    generic = self._instance_of(module, members[0])
                    if generic is not None:
                        return generic
            elif expanded is not None and len(expanded) > 1:
                instances = [self._instance_of(mod, m) or self._library_instance(mod, m) for mod, m in expanded]
                if all(i is not None for i in instances):
                    return UnionOf([i for i in instances if i is not None])
                return None
        if isinstance(text, str) and members is not None and len(members) == 1:
            node = class_node(members[0])  # the alias already expanded (a TypeVar's bound, too)
        elif not isinstance(text, str) and depth < 8 and _needs_text_path(text):
            # A parameter's annotation that is a `Callable[..., Awaitable[T]]`, or a name that may be
            # a module alias of one (`func: FuncType`): the text path expands aliases and knows both.
            return self.annotation_value(module, ast.unparse(text), depth + 1)
        else:
            node = _annotation_target(text) if isinstance(text, str) else annotation_target_node(text)
        if node is None:
            if not isinstance(text, str):
                return self.annotation_value(module, ast.unparse(text), depth)
            return None
        name = dotted(node)
        if name is None:
            return None
        target = self.resolve_dotted(module, name, depth + 1)
        if isinstance(target, Class):
            return Instance(target)
        if isinstance(target, External) and target.name in catalog.KNOWN_CLASSES:
            return ExternalInstance(target.name)
        if isinstance(target, External):
            library = self._library_class(target.name)  # `asyncio.Server`: from the stub
            return Instance(library) if library is not None else None
        if target is None and not isinstance(text, str) and isinstance(text, ast.Name) and depth < 8:
            return self.annotation_value(module, text.id, depth + 1)  # a module alias: `func: FuncType`
        return None

    def _library_instance(self, module: str, node: ast.expr) -> Instance | None:
        """A union member naming a library class (`asyncio.Event | trio.Event`), read from its
        source or stub, so the union's members can be compared method by method."""
        head = node.value if isinstance(node, ast.Subscript) else node
        name = dotted(head)
        target = self.resolve_dotted(module, name) if name else None
        if not isinstance(target, External) or self.library_loader is None:
            return None
        cls = self._library_class(target.name)
        return Instance(cls) if cls is not None else None

    def _instance_of(self, module: str, node: ast.expr) -> Instance | None:
        """`Wrapper[Conn]` -> an instance of Wrapper whose type variable stands for Conn."""
        head = node.value if isinstance(node, ast.Subscript) else node
        name = dotted(head)
        target = self.resolve_dotted(module, name) if name else None
        if not isinstance(target, Class):
            return None
        args: tuple[tuple[str, str], ...] = ()
        if isinstance(node, ast.Subscript):
            from asyncguard.rules.summary import _unparse  # here, not in the shared import block

            elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            args = tuple([(module, _unparse(e)) for e in elts])
        return Instance(target, args)

    def type_params(self, cls: Class) -> list[str]:
        """The type variables a class declares through `Generic[...]` / `Protocol[...]`."""
        for base in cls.info.bases:
            try:
                node = ast.parse(base, mode="eval").body
            except SyntaxError:
                continue
            if isinstance(node, ast.Subscript) and (dotted(node.value) or "").rsplit(".", 1)[-1] in {
                    "Generic", "Protocol"}:
                elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                return [dotted(e) or "?" for e in elts]
        # No Generic[...] base: the type variables of the bases, in order of first appearance.
        summary = self.module(cls.module)
        found: list[str] = []
        for base in cls.info.bases:
            try:
                node = ast.parse(base, mode="eval").body
            except SyntaxError:
                continue
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and sub.id not in found and summary is not None and any(
                    t == "call:TypeVar" or t.startswith("typevar:") for t in summary.variables.get(sub.id, [])
                ):
                    found.append(sub.id)
        return found

    def bind_method(self, instance: Instance, func: Func) -> Func:
        """`func` reached through `instance`: bound, with the instance's type arguments, and those
        its class gives a generic base (`class Button(ui.Button['BoardView'])`: an inherited
        `view -> Optional[V]` is a BoardView)."""
        subst = None
        if func.owner is not None:
            env: dict[str, tuple[str, str]] = {}
            if instance.args:
                params = self.type_params(instance.cls)
                if params and len(params) == len(instance.args):
                    env = dict(zip(params, instance.args, strict=True))
            if func.owner.info is instance.cls.info:
                subst = env or None
            else:
                subst = self._subst_through_bases(instance.cls, env, func.owner, 0) or None
        receiver = instance.cls if func.owner is not None and instance.cls.info is not func.owner.info else None
        return Func(func.module, func.info, func.owner, bound=True, subst=subst, receiver=receiver)

    def _subst_through_bases(self, cls: Class, env: dict[str, tuple[str, str]], target: Class,
                             depth: int) -> dict[str, tuple[str, str]] | None:
        """The type variables of `target` (a base of `cls`) as `cls`'s bases bind them."""
        if cls.info is target.info:
            return env
        if depth > 12:
            return None
        for base in cls.info.bases:
            try:
                node = ast.parse(base.strip("'\""), mode="eval").body
            except SyntaxError:
                continue
            head = node.value if isinstance(node, ast.Subscript) else node
            name = dotted(head)
            resolved = self.resolve_dotted(cls.module, name) if name else None
            if isinstance(resolved, External):
                resolved = self._library_class(resolved.name)
            if not isinstance(resolved, Class):
                continue
            inner: dict[str, tuple[str, str]] = {}
            if isinstance(node, ast.Subscript):
                params = self.type_params(resolved)
                elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                if params and len(params) == len(elts):
                    for param, arg in zip(params, elts, strict=True):
                        text = ast.unparse(arg).strip("'\" ")
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            text = arg.value.strip()
                        inner[param] = env.get(text, (cls.module, text))
            found = self._subst_through_bases(resolved, inner, target, depth + 1)
            if found is not None:
                return found
        return None

    def type_alias(self, module: str, name: str, depth: int = 0) -> tuple[str, str] | None:
        """(module, text) of a module-level type alias `Name = A | B` that `name` refers to."""
        if depth > 6 or "." in name:
            return None
        summary = self.module(module)
        if summary is None:
            return None
        texprs = summary.variables.get(name)
        if texprs and len(texprs) == 1 and texprs[0].startswith(("typealias:", "typevar:")):
            return module, texprs[0].partition(":")[2]
        target = summary.imports.get(name)
        if target is not None and target[0] == "from" and self.module(target[1]) is not None:
            return self.type_alias(target[1], target[2], depth + 1)
        return None

    def _expand_aliases(self, module: str, text: str) -> list[tuple[str, ast.expr]] | None:
        """Union members of an annotation as (module, node), with type aliases expanded."""
        members = annotation_members(text)
        if members is None:
            return None
        out: list[tuple[str, ast.expr]] = []
        for m in members:
            head = member_head(m)
            alias = self.type_alias(module, head) if head else None
            if alias is not None:
                inner = self._expand_aliases(alias[0], alias[1])
                if inner is None:
                    return None
                out.extend(inner)
            else:
                out.append((module, m))
        return out

    def annotation_classes(self, module: str, text: str | None) -> list[Class] | None:
        """Every project class a (union) annotation names; None if any member is not one."""
        if not text:
            return None
        members = self._expand_aliases(module, text)
        if not members:
            return None
        out: list[Class] = []
        for mod, m in members:
            target = class_node(m)
            name = dotted(target) if target is not None else None
            resolved = self.resolve_dotted(mod, name) if name else None
            if not isinstance(resolved, Class):
                return None
            out.append(resolved)
        return out

    def annotation_awaitability(self, module: str, text: str | None) -> str | None:
        """"awaitable", "not" (no member can be awaited), or None when it cannot be told."""
        if not text:
            return None
        members = self._expand_aliases(module, text)
        if members is None:
            return None
        if not members:
            return "not"  # only None
        verdicts: set[str | None] = set()
        for mod, m in members:
            head = member_head(m)
            if head is None:
                return None
            short = head.rsplit(".", 1)[-1]
            if short in AWAITABLE_ANNOTATION_WORDS or (len(short) <= 2 and short.isupper()):
                return "awaitable"
            if short in NOT_AWAITABLE_TYPES:
                verdicts.add("not")
                continue
            target = self.resolve_dotted(mod, head)
            if isinstance(target, Class):
                protocols = self.class_protocols(target)
                verdicts.add(None if protocols is None or "__await__" in protocols else "not")
            elif isinstance(target, Module) or (
                isinstance(target, External) and target.name in catalog.NOT_AWAITABLE_CLASSES
            ):
                verdicts.add("not")
            else:
                verdicts.add(None)
        return "not" if verdicts == {"not"} else None

    def resolve_in_function(self, func: Func, text: str) -> Value | None:
        """A dotted name as written inside `func` (self./cls. through its class; locals unknown)."""
        head, _, rest = text.partition(".")
        if head in {"self", "cls"} and func.owner is not None and rest:
            late = func.receiver or func.owner  # self is the receiver's class, not the defining one
            base: Value | None = Instance(late) if head == "self" else late
            for attr in rest.split("."):
                if base is None:
                    return None
                base = self.attribute(base, attr)
            return base
        if head in func.info.local_names or head.startswith("super()"):
            return None
        return self.resolve_dotted(func.module, text)

    def func_return_value(self, func: Func) -> Value | None:
        """What calling a sync function (or awaiting a coroutine function) gives, when it is one class."""
        info = func.info
        if info.returns and func.subst:
            bound = func.subst.get(info.returns.strip("'\" "))
            members = annotation_members(info.returns) if bound is None else None
            if members is not None and len(members) == 1:  # `-> Optional[T]`: a T where it is used
                bound = func.subst.get(ast.unparse(members[0]).strip("'\" "))
            if bound is not None:  # `-> T` of a generic class, T bound by the instance
                return self.annotation_value(bound[0], bound[1])
        if info.returns:
            return self.annotation_value(func.module, info.returns)
        shapes = [s for s in info.return_shapes if s != "none"]
        if not shapes or any(not s.startswith("call:") for s in shapes) or len(self._returning) > 8:
            return None
        key = func.qualname
        if key in self._returning:
            return None
        self._returning.add(key)
        try:
            values: list[Value | None] = []
            for shape in shapes:
                callee = self.resolve_in_function(func, shape[5:])
                values.append(self.call_result(callee) if callee is not None else None)
        finally:
            self._returning.discard(key)
        first = values[0]
        if isinstance(first, Instance) and all(isinstance(v, Instance) and v.cls.info is first.cls.info
                                               for v in values):
            return first
        return None

    def returned_coroutine(self, func: Func) -> Coroutine | None:
        """A plain `def` every way out of which returns a call of a coroutine function (`def
        get_manager(c): return initialize_manager(c)`): calling it gives that coroutine.

        Only unannotated functions whose every return (the end of the body included) is such a
        call, resolved to an `async def` that no override turns into a plain `def`: a function that
        can also return None or a value is "await if awaitable" territory, not this.
        """
        info = func.info
        if info.returns is not None or not info.return_shapes or \
                any(not s.startswith("call:") for s in info.return_shapes):
            return None
        if func.owner is not None and self.overrides_of(func):
            return None  # a subclass may return something else: a dual-mode family, not this
        inner: Func | None = None
        for shape in info.return_shapes:
            target = self.resolve_in_function(func, shape[5:])
            if not isinstance(target, Func) or self.func_kind(target) != "coroutine" or any(
                    self.func_kind(o) != "coroutine" for o in self.overrides_of(target)):
                return None
            inner = inner or target
        return Coroutine(inner, via=func) if inner is not None else None

    def decorated_value(self, func: Func) -> Instance | None:
        """What the name of `@deco def f` holds when the decorator is annotated to return an object:
        `def deco(f) -> Registered` or a factory `def cache() -> Callable[[Callable[..., R]], Cached[R]]`
        (so `self.get_feeds.invalidate(...)` is a method of `Cached`)."""
        text = _sole_decorator(func)
        if text is None:
            return None
        factory = text.endswith("()")
        deco = self.resolve_dotted(func.module, text[:-2] if factory else text)
        if not isinstance(deco, Func) or not deco.info.returns:
            return None
        returned: ast.expr | None
        if factory:  # it returns the decorator, `Callable[[the function], X]`: the name holds an X
            returned = _callable_result(deco.info.returns)
        else:
            members = annotation_members(deco.info.returns)
            returned = members[0] if members is not None and len(members) == 1 else None
            if returned is not None and _callable_result(ast.unparse(returned)) is not None:
                return None  # a function again: calling it is decorated_call_result's question
        if returned is None:
            return None
        value = self.annotation_value(deco.module, ast.unparse(returned))
        return value if isinstance(value, Instance) else None

    def decorated_call_result(self, func: Func) -> Instance | None:
        """Calling `@deco def f` where the decorator is annotated to return `Callable[..., R[T]]`
        (aiosqlite's `contextmanager`: `(Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., Result[T]]`)."""
        text = _sole_decorator(func)
        if text is None or text.endswith("()"):
            return None
        deco = self.resolve_dotted(func.module, text)
        if not isinstance(deco, Func) or not deco.info.returns or not deco.info.params:
            return None
        returned = _callable_result(deco.info.returns)
        if returned is None:
            return None
        bind: dict[str, tuple[str, str]] = {}
        produced = _callable_result(deco.info.params[0].annotation or "")
        if produced is not None:  # what the decorated function's own result is called in the decorator
            inner = produced
            if isinstance(produced, ast.Subscript):
                head = (dotted(produced.value) or "").rsplit(".", 1)[-1]
                elts = produced.slice.elts if isinstance(produced.slice, ast.Tuple) else [produced.slice]
                if head == "Coroutine" and len(elts) == 3:
                    inner = elts[2]
                elif head in {"Awaitable", "Future"} and len(elts) == 1:
                    inner = elts[0]
            name = dotted(inner)
            if name is not None and func.info.returns:
                bind[name] = (func.module, func.info.returns)
        head_node = returned.value if isinstance(returned, ast.Subscript) else returned
        cls = self.resolve_dotted(deco.module, dotted(head_node) or "")
        if not isinstance(cls, Class):
            return None
        args: tuple[tuple[str, str], ...] = ()
        if isinstance(returned, ast.Subscript):
            elts = returned.slice.elts if isinstance(returned.slice, ast.Tuple) else [returned.slice]
            args = tuple(bind.get(ast.unparse(e), (deco.module, ast.unparse(e))) for e in elts)
        return Instance(cls, args)

    def awaited_value(self, value: Value) -> Value | None:
        """What `await value` gives."""
        if isinstance(value, Coroutine):
            if isinstance(value.origin, Func):
                return self.func_return_value(value.origin)
            if value.origin.name in catalog.AWAITED_RESULTS:
                return ExternalInstance(catalog.AWAITED_RESULTS[value.origin.name])
            return self._library_awaited(value.origin.name)
        if isinstance(value, Instance):  # a class with `__await__ -> Generator[Any, None, T]`: a T
            found = self.lookup_member(value.cls, "__await__")
            if not isinstance(found, Func) or not found.info.returns:
                return None
            members = annotation_members(found.info.returns)
            if not members or len(members) != 1 or not isinstance(members[0], ast.Subscript):
                return None
            node = members[0]
            if (dotted(node.value) or "").rsplit(".", 1)[-1] != "Generator" or not isinstance(node.slice, ast.Tuple) \
                    or len(node.slice.elts) != 3:
                return None
            result = ast.unparse(node.slice.elts[2]).strip("'\" ")
            bound = self.bind_method(value, found).subst
            if bound and result in bound:
                return self.annotation_value(bound[result][0], bound[result][1])
            if result in {"Self", "typing.Self", "typing_extensions.Self"}:
                return value
            return self.annotation_value(found.module, result)
        return None

    def _library_awaited(self, qualified: str) -> Value | None:
        """What awaiting a catalogued coroutine function gives, from its library source or stub's
        return annotation (`asyncio.create_subprocess_exec` -> a `Process`)."""
        found = self.library_definition(qualified)
        if not isinstance(found, Func) or not found.info.is_async or not found.info.returns:
            return None
        return self.annotation_value(found.module, found.info.returns)

    def entered_value(self, value: Value, is_async: bool) -> Value | None:
        """What `with value as x` (or `async with`) binds to x."""
        if isinstance(value, ExternalInstance):
            return value  # the catalogued context managers return themselves
        if isinstance(value, Coroutine) and isinstance(value.origin, External) and \
                value.origin.name in catalog.AWAITABLE_CMS:
            result = catalog.AWAITED_RESULTS.get(value.origin.name)  # `async with session.get(url) as r`
            return ExternalInstance(result) if is_async and result else None
        if isinstance(value, UnionOf):
            entered = [self._entered_instance(m, is_async) for m in value.members]
            first = entered[0] if entered else None
            if isinstance(first, Instance) and all(
                isinstance(e, Instance) and e.cls.info is first.cls.info for e in entered
            ):
                return first
            if isinstance(first, ExternalInstance) and all(
                isinstance(e, ExternalInstance) and e.cls == first.cls for e in entered
            ):
                return first
            return None
        if isinstance(value, Instance):
            return self._entered_instance(value, is_async)
        return None

    def _entered_instance(self, value: Instance, is_async: bool) -> Value | None:
        found = self.lookup_member(value.cls, "__aenter__" if is_async else "__enter__")
        if not isinstance(found, Func):
            return None
        enter = self.bind_method(value, found)
        if enter.info.returns is None and enter.info.return_shapes and all(
            s == "self" for s in enter.info.return_shapes
        ):
            return value
        if enter.info.returns and enter.info.returns.strip("'\"") in {"Self", "typing.Self", "typing_extensions.Self"}:
            return value
        return self.func_return_value(enter)

    def _entered_chain(self, module: str, chain: str, depth: int, owner: Class | None) -> Value | None:
        """A value a method bound with `with`/`async with` and stored on `self` (see the summary)."""
        value: Value | None = None
        for i, step in enumerate(chain.split(" > ")):
            kind, _, target = step.partition(" ")
            if i == 0:
                callee = self._dotted_in(module, target, depth, owner)
            else:
                callee = value
                for attr in target.lstrip(".").split("."):
                    callee = self.attribute(callee, attr, depth + 1) if callee is not None else None
            result = self.call_result(callee) if callee is not None else None
            value = self.entered_value(result, kind == "async") if result is not None else None
            if value is None:
                return None
        return value

    def element_value(self, module: str, text: str, is_async: bool) -> Value | None:
        """What iterating a value annotated `text` gives: `list[User]` -> a User (for `for`),
        `AsyncIterator[Message]` -> a Message (for `async for`); None for anything else."""
        members = self._expand_aliases(module, text)
        if not members or len(members) != 1:
            return None
        mod, member = members[0]
        if not isinstance(member, ast.Subscript):
            return None
        head = (dotted(member.value) or "").rsplit(".", 1)[-1]
        if head not in (ASYNC_ELEMENT_HEADS if is_async else SYNC_ELEMENT_HEADS):
            return None
        elts = member.slice.elts if isinstance(member.slice, ast.Tuple) else [member.slice]
        if head in {"tuple", "Tuple"} and not (
                len(elts) == 2 and isinstance(elts[1], ast.Constant) and elts[1].value is Ellipsis):
            return None  # a fixed-length tuple's items differ
        return self.annotation_value(mod, ast.unparse(elts[0]))

    def item_annotation(self, module: str, text: str, mapping_only: bool) -> tuple[str, str] | None:
        """(module, annotation) of what `x[k]` (or `x.get(k)` with mapping_only) gives for an `x`
        annotated `text`: `dict[int, asyncio.Lock]` -> `asyncio.Lock`, `list[User]` -> `User`."""
        members = self._expand_aliases(module, text)
        if not members or len(members) != 1:
            return None
        mod, member = members[0]
        if not isinstance(member, ast.Subscript):
            return None
        head = (dotted(member.value) or "").rsplit(".", 1)[-1]
        elts = member.slice.elts if isinstance(member.slice, ast.Tuple) else [member.slice]
        if head in MAPPING_HEADS and len(elts) == 2:
            return mod, ast.unparse(elts[1])
        if head in SEQUENCE_HEADS and len(elts) == 1 and not mapping_only:
            return mod, ast.unparse(elts[0])
        return None

    def member_annotation(self, base: Value, attr: str) -> tuple[str, str] | None:
        """(module, annotation text) declaring `base.attr`: a property's return annotation or the
        attribute's declaration; for a union, only when every member declares the same."""
        if isinstance(base, UnionOf):
            found = {self.member_annotation(m, attr) for m in base.members}
            return found.pop() if len(found) == 1 else None
        if not isinstance(base, Instance):
            return None
        member = self.lookup_member(base.cls, attr)
        if isinstance(member, Func):
            if self.func_kind(member) != "property" or not member.info.returns:
                return None
            bound = self.bind_method(base, member).subst
            if bound:
                return bound.get(member.info.returns.strip("'\" ")) if member.info.returns.strip(
                    "'\" ") in bound else None
            return member.module, member.info.returns
        if member != "attr":
            return None
        owner = self._attr_owner(base.cls, attr)
        if owner is None:
            return None
        texprs = owner.info.attrs[attr]
        typed = [t for t in texprs if t.startswith("decl:")] or (
            texprs if all(t.startswith("ann:") for t in texprs) else [])
        texts = {t.partition(":")[2] for t in typed}
        if len(texts) != 1 or base.args:
            return None  # a generic class's attribute may name its type variables
        return owner.module, texts.pop()

    def yield_value(self, func: Func) -> Value | None:
        """What a @contextmanager/@asynccontextmanager function yields, from its return annotation."""
        members = annotation_members(func.info.returns) if func.info.returns else None
        if not members or len(members) != 1 or not isinstance(members[0], ast.Subscript):
            return None
        node = members[0]
        head = (dotted(node.value) or "").rsplit(".", 1)[-1]
        if head not in {"Iterator", "Generator", "AsyncIterator", "AsyncGenerator", "Iterable", "AsyncIterable"}:
            return None
        first = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
        return self.annotation_value(func.module, first)

    def func_return_classes(self, func: Func) -> list[Class] | None:
        """The project classes a sync function returns (union annotations or inferred returns)."""
        if func.info.returns:
            return self.annotation_classes(func.module, func.info.returns)
        value = self.func_return_value(func)
        return [value.cls] if isinstance(value, Instance) else None

    # -- attributes and calls ------------------------------------------------------------------

    def attribute(self, value: Value, attr: str, depth: int = 0) -> Value | None:
        if depth > 16:
            return None
        if isinstance(value, Module):
            sub = f"{value.name}.{attr}"
            if self.is_project_module(sub):
                return Module(sub)
            resolved = self.resolve_global(value.name, attr, depth + 1)
            if resolved is None and value.name not in self.modules:
                if self.is_known_module(sub):
                    return Module(sub)
                return External(sub)  # a library name the reader could not follow: the catalog may know it
            return resolved
        if isinstance(value, UnionOf):
            # Members that certainly lack the attribute cannot be what the code uses here.
            candidates = [m for m in value.members if self.has_member(m.cls, attr) is not False]
            results = [self.attribute(m, attr, depth + 1) for m in candidates]
            first = results[0] if results else None
            if isinstance(first, Func) and all(
                isinstance(r, Func) and self.func_kind(r) == self.func_kind(first) for r in results
            ):
                return first
            if isinstance(first, Instance) and all(isinstance(r, Instance) and r.cls.info is first.cls.info
                                                   for r in results):
                return first
            return None
        if isinstance(value, External):
            return External(f"{value.name}.{attr}")
        if isinstance(value, ExternalInstance):
            name = f"{value.cls}.{attr}"
            # A catalogued stdlib class (asyncio.Task, asyncio.Queue) is the catalog's: its other
            # methods are plain, and reading asyncio's stubs for that would cost every cold run.
            if name not in catalog.CATALOGUED and self.library_loader is not None and \
                    value.cls.partition(".")[0] not in STDLIB_READ:
                source_class = self._library_class(value.cls)
                if source_class is not None:  # the catalog does not know this method: its source may
                    from_source = self.attribute(Instance(source_class), attr, depth + 1)
                    if from_source is not None:
                        return from_source
            return External(name)
        if isinstance(value, Class):
            member = self.lookup_member(value, attr)
            if isinstance(member, Func | Class):
                return member
            if isinstance(member, str):  # a declared attribute read from the class (`Model._meta`)
                owner = self._attr_owner(value, attr)
                return self._attr_value(owner, attr, depth) if owner is not None else None
            return None
        if isinstance(value, Instance):
            found = self.lookup_member(value.cls, attr)
            if isinstance(found, Func):
                if self.func_kind(found) == "property":  # annotated, or what its body returns
                    return self.func_return_value(self.bind_method(value, found))
                return self.bind_method(value, found)
            if isinstance(found, str):
                owner = self._attr_owner(value.cls, attr)
                if owner is None:
                    return None
                texprs = owner.info.attrs[attr]
                if len(texprs) == 1 and texprs[0].startswith("param:"):
                    return self._param_attr(value.cls, owner, texprs[0], depth)
                return self._attr_value(owner, attr, depth)
            return None
        if isinstance(value, Func) and value.info.decorators:  # `self.get_feeds.invalidate`
            wrapped = self.decorated_value(value)
            return self.attribute(wrapped, attr, depth + 1) if wrapped is not None else None
        return None

    def _param_attr(self, instance: Class, owner: Class, texpr: str, depth: int) -> Value | None:
        """`self.x = x` with `x` an unannotated parameter: what callers pass, for this instance's class."""
        _, method, param = texpr.split(":", 2)
        info = owner.info.methods.get(method)
        if info is None:
            return None
        return self.param_value(Func(owner.module, info, owner), param, instance, depth)

    def _attr_value(self, owner: Class, attr: str, depth: int) -> Value | None:
        """The type of an instance attribute of `owner`, memoised (attributes refer to each other)."""
        return self.tracked(self._attr_memo, (id(owner.info), attr), None,  # re-entry (a cycle): unknown
                             lambda: self._attr_value_uncached(owner, attr, depth))

    def _attr_value_uncached(self, owner: Class, attr: str, depth: int) -> Value | None:
        texprs = owner.info.attrs[attr]
        declared = [t for t in texprs if t.startswith("decl:")]
        if declared:  # `bot: Bot` in the class body is the attribute's type, whatever is assigned to it
            texprs = declared
        values = [self._texpr_value(owner.module, t, depth + 1, owner) for t in texprs]
        kinds = {type(r) for r in values}
        if None in values or len(kinds) != 1:
            return None
        first = values[0]
        if isinstance(first, Instance) and all(
            isinstance(r, Instance) and r.cls.info is first.cls.info for r in values
        ):
            return first
        if all(isinstance(r, Instance) for r in values):
            return UnionOf([r for r in values if isinstance(r, Instance)])  # one of several classes
        if len(values) == 1:
            return first
        return None

    def call_result(self, callee: Value) -> Value | None:
        """What calling `callee` gives: an instance, a coroutine, an annotated/inferred return."""
        if isinstance(callee, Class):
            return Instance(callee)
        if isinstance(callee, AsyncCallable):
            return Coroutine(External(callee.annotation))
        if isinstance(callee, Instance):  # a callable object: its __call__ decides
            call = self.lookup_member(callee.cls, "__call__")
            if isinstance(call, Func):
                return self.call_result(Func(call.module, call.info, call.owner, bound=True))
            return None
        if isinstance(callee, Func):
            kind = self.func_kind(callee)
            if kind == "coroutine":
                return Coroutine(callee)
            if kind == "asyncgen":  # `it = guild.audit_logs()`: what `it` is, for `for e in it` later
                return ExternalInstance("typing.AsyncIterable")
            if kind == "sync":
                return self.returned_coroutine(callee) or self.func_return_value(callee)
            if kind == "unknown":
                return self.decorated_call_result(callee)
            return None
        if isinstance(callee, External):
            name = callee.name
            if name in catalog.KNOWN_CLASSES:
                return ExternalInstance(name)
            if name in catalog.FACTORY_RESULTS:
                return ExternalInstance(catalog.FACTORY_RESULTS[name])
            if name in catalog.ASYNC_CALLABLES or name in catalog.AWAITABLE_CMS or name in self.extra_async or name.endswith(
                (".__aenter__", ".__aexit__", ".__anext__")
            ):
                return Coroutine(callee)
        return None

    # -- classes ---------------------------------------------------------------------------------

    def base_classes(self, cls: Class) -> list[Class | None]:
        """Direct bases as project classes; None for a base that cannot be resolved."""
        out: list[Class | None] = []
        return self.tracked(self._bases, id(cls.info), out, lambda: self._fill_bases(cls, out))

    def _fill_bases(self, cls: Class, out: list[Class | None]) -> list[Class | None]:
        for base in cls.info.bases:
            if base.startswith(("metaclass=",)):
                continue
            node = _annotation_target(base)
            text = ast.unparse(node) if node is not None else base
            if text in NEUTRAL_BASES:
                continue
            resolved = self.resolve_dotted(cls.module, text)
            if isinstance(resolved, External) and _abc_name(resolved.name) not in ABC_PROTOCOLS:
                resolved = self._library_class(resolved.name) or resolved  # a stdlib class, from its stub
            if isinstance(resolved, Class):
                out.append(resolved)  # `asyncio.Protocol` is a class with methods, not typing's
            elif text.rsplit(".", 1)[-1] in {"Generic", "Protocol", "ABC", "object"}:
                continue
            elif isinstance(resolved, External) and _abc_name(resolved.name) in ABC_PROTOCOLS:
                continue  # a standard ABC: what it provides is known (class_protocols)
            elif isinstance(resolved, External) and resolved.name in {"abc.ABC", "typing.Generic", "typing.Protocol"}:
                continue
            else:
                out.append(None)
        return out

    def mro(self, cls: Class) -> list[Class | None]:
        """Depth-first, left-to-right linearisation; None marks an unknown (external) base."""
        out: list[Class | None] = []
        return self.tracked(self._mro_memo, id(cls.info), out, lambda: self._fill_mro(cls, out))

    def _fill_mro(self, cls: Class, out: list[Class | None]) -> list[Class | None]:
        seen: set[int] = set()

        def walk(c: Class, depth: int) -> None:
            if id(c.info) in seen or depth > 30:
                return
            seen.add(id(c.info))
            out.append(c)
            for b in self.base_classes(c):
                if b is None:
                    out.append(None)
                else:
                    walk(b, depth + 1)

        walk(cls, 0)
        return out

    def lookup_member(self, cls: Class, name: str, skip_self: bool = False) -> Func | Class | str | None:
        """A method (Func), nested class, or "attr" for a typed attribute; None if unknown."""
        for i, c in enumerate(self.mro(cls)):
            if c is None:
                return None  # an external base may define it
            if skip_self and i == 0:
                continue
            if name in c.info.methods:
                return Func(c.module, c.info.methods[name], c)
            if name in c.info.nested:
                return Class(c.module, c.info.nested[name])
            if name in c.info.attrs:
                return "attr"
        return None

    def has_member(self, cls: Class, name: str) -> bool | None:
        """Whether a class defines (or inherits) `name`; None when an unknown base might."""
        for c in self.mro(cls):
            if c is None:
                return None
            if name in c.info.methods or name in c.info.nested or name in c.info.attrs:
                return True
        return False

    def _attr_owner(self, cls: Class, name: str) -> Class | None:
        for c in self.mro(cls):
            if c is None:
                return None
            if name in c.info.attrs:
                return c
        return None

    def class_protocols(self, cls: Class) -> set[str] | None:
        """Dunder protocol methods a project class defines (through its MRO); None if unknowable."""
        names: set[str] = set()
        for c in self.mro(cls):
            if c is None:
                return None
            names.update(n for n in c.info.methods if n.startswith("__"))
            # `__enter__ = _sync_enter` in the class body binds the protocol method as well
            names.update(n for n in c.info.attrs if n.startswith("__") and n.endswith("__"))
            for base in c.info.bases:
                if "[" in base or base.rsplit(".", 1)[-1] in ABC_PROTOCOLS:
                    node = _annotation_target(base)
                    text = ast.unparse(node) if node is not None else base
                    resolved = self.resolve_dotted(c.module, text)
                    if isinstance(resolved, External):
                        names.update(ABC_PROTOCOLS.get(_abc_name(resolved.name), ()))
        return names

    def class_table_fingerprint(self) -> str:
        """Changes when any class, base or method (or its async-ness) of the indexed modules does."""
        if self._class_fp is None:
            parts = sorted(
                f"{c.qualname}({','.join(c.info.bases)}):"
                + ",".join(f"{m}{'~' if f.is_async else ''}" for m, f in sorted(c.info.methods.items()))
                for c in self.all_classes()
            )
            self._class_fp = hashlib.sha1("\n".join(parts).encode()).hexdigest()
        return self._class_fp

    # -- parameters typed by their callers -------------------------------------------------------

    def pseudo_fingerprint(self, name: str) -> str | None:
        """The fingerprint of a pseudo-module a finding depended on: the class table ("@classes"),
        the call sites of one name ("@calls:<name>"), the modules that await one attribute
        ("@awaited:<attr>"). Fine-grained, so one edit re-checks only the files that asked."""
        if name == GLOBAL_CLASSES:
            return self.class_table_fingerprint()
        kind, _, key = name.partition(":")
        if kind == "@calls":
            sites = [(mod, caller.qualname if caller else "", call) for mod, caller, _, call in self._sites_named(key)]
            return hashlib.sha1(repr(sites).encode()).hexdigest()
        if kind == "@awaited":
            holders = sorted(m for m, summary in self.modules.items() if key in summary.awaited_attrs)
            return hashlib.sha1(repr(holders).encode()).hexdigest()
        if kind == "@either":
            holders = sorted(m for m, summary in self.modules.items() if key in summary.either_way_names)
            return hashlib.sha1(repr(holders).encode()).hexdigest()
        if kind == "@usage":
            return hashlib.sha1(repr(self._usage_rows(key)).encode()).hexdigest()
        return None

    def _usage_rows(self, form: str) -> list[tuple[str, Usage]]:
        if self._usage is None:
            table: dict[str, list[tuple[str, Usage]]] = {}
            for summary in self.modules.values():
                for f, row in summary.call_usage.items():
                    table.setdefault(f, []).append((summary.path, row))
            self._usage = table
        return self._usage.get(form, [])

    def call_usage(self, form: str) -> tuple[list[int], str | None, int]:
        """How the project's indexed modules use a call form (rules.consensus.merge): totals of
        awaited / async with / async for / other uses, and where an async use is."""
        self.touched.add(f"@usage:{form}")
        return merge(self._usage_rows(form))

    def _call_sites(self, short: str) -> list[tuple[str, FuncInfo | None, Class | None, ArgCall]]:
        # Callers among the modules indexed for this run: the files checked and what they import
        # (a full check reads them all; a scoped one does not pay for reading every test file).
        self.touched.add(f"@calls:{short}")
        return self._sites_named(short)

    def _sites_named(self, short: str) -> list[tuple[str, FuncInfo | None, Class | None, ArgCall]]:
        if self._sites is None:
            table: dict[str, list[tuple[str, FuncInfo | None, Class | None, ArgCall]]] = {}
            for mod, summary in self.modules.items():
                for call in summary.arg_calls:
                    table.setdefault(call[0].rsplit(".", 1)[-1], []).append((mod, None, None, call))
                for info, owner_info in _functions_of(summary):
                    owner = Class(mod, owner_info) if owner_info is not None else None
                    for call in info.arg_calls:
                        table.setdefault(call[0].rsplit(".", 1)[-1], []).append((mod, info, owner, call))
            self._sites = table
        return self._sites.get(short, [])

    def dispatched_either_way(self, name: str) -> bool:
        """Whether some project module awaits the result of a `.name(...)` call only when it is
        awaitable (or asks whether `.name` is a coroutine function): both kinds of override work."""
        self.touched.add(f"@either:{name}")
        return any(name in summary.either_way_names for summary in self.modules.values())

    def attr_awaited_anywhere(self, attr: str) -> bool:
        """Whether any project module awaits, returns or schedules a `.attr` value."""
        self.touched.add(f"@awaited:{attr}")
        return any(attr in summary.awaited_attrs for summary in self.modules.values())

    def init_stores(self, init: Func, param: str | None, keyword: str | None, position: int | None,
                    depth: int = 0) -> list[tuple[Class, str]] | None:
        """Where an argument of a constructor ends up, when `__init__` (and the `super().__init__`
        chain it forwards to) only stores it on `self`: [(class, attribute)]; None otherwise."""
        if depth > 6 or init.owner is None:
            return None
        fates = dict(init.info.param_fates)
        params = [p for p in init.info.params if p.kind in {"posonly", "normal"}][1:]
        if param is None and keyword is not None:
            if any(p.name == keyword and p.kind in {"normal", "kwonly"} for p in init.info.params):
                param = keyword
            elif not any(p.kind == "kwarg" for p in init.info.params):
                return None
        if param is None and position is not None:
            if position < len(params):
                param = params[position].name
            elif not any(p.kind == "vararg" for p in init.info.params):
                return None
        if param is not None:
            outcomes = fates.get(param)
        else:  # inside *args / **kwargs
            star = next((p.name for p in init.info.params if p.kind == ("kwarg" if keyword else "vararg")), None)
            outcomes = fates.get(star) if star else None
        if not outcomes:
            return None
        parent = self.lookup_member(init.owner, "__init__", skip_self=True)
        out: list[tuple[Class, str]] = []
        for fate in outcomes:
            kind, _, rest = fate.partition(":")
            if kind == "attr":
                out.append((init.owner, rest))
                continue
            if not isinstance(parent, Func):
                return None
            if kind == "super":
                found = self.init_stores(parent, None, None, int(rest), depth + 1)
            elif kind == "superkw":
                found = self.init_stores(parent, None, rest, None, depth + 1)
            elif kind == "super**" and keyword is not None and param is None:
                found = self.init_stores(parent, None, keyword, None, depth + 1)
            elif kind == "super*" and position is not None and param is None:
                found = self.init_stores(parent, None, None, position - len(params) + int(rest), depth + 1)
            else:
                return None
            if found is None:
                return None
            out.extend(found)
        return out

    def param_value(self, func: Func, param: str, instance: Class | None = None, depth: int = 0) -> Value | None:
        """The one class every project caller passes as `param` of `func` (an unannotated parameter).

        Callers pass `self` (or forward a parameter of their own, followed the same way); when
        they disagree, pass anything else, or none is found, the parameter stays unknown. For an
        `__init__` reached from an instance of a subclass, only the constructor calls and
        `super().__init__` forwarding that built that subclass count.
        """
        if depth > 6:
            return None
        key = (id(func.info), id(instance.info) if instance is not None else 0, param)
        return self.tracked(self._param_memo, key, None,  # re-entry (recursion through callers): unknown
                             lambda: self._param_value(func, param, instance, depth))

    def _param_value(self, func: Func, param: str, instance: Class | None, depth: int) -> Value | None:
        params = [p for p in func.info.params if p.kind in {"posonly", "normal"}]
        names = [p.name for p in params]
        kw_ok = any(p.name == param and p.kind in {"normal", "kwonly"} for p in func.info.params)
        if param not in names and not kw_ok:
            return None
        position = names.index(param) if param in names else None
        built = func.owner if func.info.name == "__init__" else None  # the class an __init__ builds
        if built is not None and instance is not None and instance.info is not built.info:
            # Built as a subclass: its own __init__ (the nearest one below) decides what arrives here.
            nearer = self._nearest_init_below(instance, built)
            if nearer is not None:
                return self._forwarded(nearer, func, position, param, instance, depth)
        values: list[Value | None] = []
        sites = self._call_sites(built.info.name if built is not None else func.info.name)
        if built is not None:
            sites = sites + self._call_sites("__init__")
        for mod, caller, owner, (text, pos, kws) in sites:
            if _is_test_module(mod):
                continue  # tests pass mocks and fixtures: production callers say what the type is
            offset = self._site_offset(func, mod, caller, owner, text, instance)
            if offset is None:
                continue
            token = self._token_at(pos, kws, position, param, offset)
            if token is None:
                continue  # not passed: the default applies
            values.append(self._token_value(token, mod, caller, owner, depth))
        return _one_class(values)

    def _site_offset(self, func: Func, mod: str, caller: FuncInfo | None, owner: Class | None, text: str,
                     instance: Class | None) -> int | None:
        """How many leading parameters of `func` the call at this site fills implicitly; None: not `func`."""
        if text == "super().__init__":
            if owner is None or func.owner is None:
                return None
            found = self.lookup_member(owner, "__init__", skip_self=True)
            if not (isinstance(found, Func) and found.info is func.info):
                return None
            if instance is not None and not self._is_subclass(instance, owner):
                return None
            return 1
        if caller is not None:
            target = self.resolve_in_function(Func(mod, caller, owner), text)
        else:
            target = self.resolve_dotted(mod, text)
        if isinstance(target, Class):
            if func.info.name != "__init__" or func.owner is None:
                return None
            if instance is not None and target.info is not instance.info:
                return None
            init = self.lookup_member(target, "__init__")
            return 1 if isinstance(init, Func) and init.info is func.info else None
        if not isinstance(target, Func) or target.info is not func.info:
            return None
        if target.owner is None or any(d.endswith("staticmethod") for d in target.info.decorators):
            return 0
        head = text.rsplit(".", 1)[0] if "." in text else ""
        if head in {"self", "cls"} or any(d.endswith("classmethod") for d in target.info.decorators):
            return 1
        through = self.resolve_in_function(Func(mod, caller, owner), head) if caller is not None and head else (
            self.resolve_dotted(mod, head) if head else None)
        return 0 if isinstance(through, Class) else 1

    @staticmethod
    def _token_at(pos: tuple[str, ...], kws: tuple[tuple[str, str], ...], position: int | None, param: str,
                  offset: int) -> str | None:
        for name, token in kws:
            if name == param:
                return token
        if position is not None:
            i = position - offset
            if "*" in pos[: max(i + 1, 0)]:
                return ""
            if 0 <= i < len(pos):
                return pos[i]
        if any(name == "**" for name, _ in kws):
            return ""  # may be passed inside the mapping
        return None

    def _token_value(self, token: str, mod: str, caller: FuncInfo | None, owner: Class | None,
                     depth: int) -> Value | None:
        if token == "self":
            if owner is None or caller is None or not caller.params or caller.params[0].name != "self":
                return None
            return Instance(owner)
        if token.startswith("param:") and caller is not None:
            return self.param_value(Func(mod, caller, owner), token[6:], None, depth + 1)
        return None

    def _nearest_init_below(self, instance: Class, defining: Class) -> Func | None:
        """The `__init__` that runs first for `instance` when it is not `defining`'s own."""
        for c in self.mro(instance):
            if c is None:
                return None
            if c.info is defining.info:
                return None
            if "__init__" in c.info.methods:
                return Func(c.module, c.info.methods["__init__"], c)
        return None

    def _forwarded(self, nearer: Func, target: Func, position: int | None, param: str, instance: Class,
                   depth: int) -> Value | None:
        """What `nearer` (a subclass `__init__`) passes on to `target` through `super().__init__(...)`."""
        for text, pos, kws in nearer.info.arg_calls:
            if text != "super().__init__":
                continue
            found = self.lookup_member(nearer.owner, "__init__", skip_self=True)  # type: ignore[arg-type]
            if not isinstance(found, Func):
                return None
            if found.info is not target.info:
                # forwarded to an intermediate __init__ first
                return None
            token = self._token_at(pos, kws, position, param, 1)
            if token is None or not token.startswith("param:"):
                return self._token_value(token, nearer.module, nearer.info, nearer.owner, depth) if token else None
            return self.param_value(nearer, token[6:], instance, depth + 1)
        return None

    def _is_subclass(self, cls: Class, base: Class) -> bool:
        return any(c is not None and c.info is base.info for c in self.mro(cls))

    def all_classes(self) -> list[Class]:
        """Every class of the indexed modules (a finding that depends on this depends on all of them)."""
        self.touched.add(GLOBAL_CLASSES)
        out: list[Class] = []

        def add(module: str, info: ClassInfo) -> None:
            out.append(Class(module, info))
            for nested in info.nested.values():
                add(module, nested)

        for name, summary in self.modules.items():
            for info in summary.classes.values():
                add(name, info)
        return out

    def subclasses(self, cls: Class) -> list[Class]:
        self.touched.add(GLOBAL_CLASSES)
        if self._subclasses is None:
            table: dict[str, list[Class]] = {}
            for c in self.all_classes():
                for b in self.base_classes(c):
                    if b is not None:
                        table.setdefault(b.qualname, []).append(c)
            self._subclasses = table
        return self._subclasses.get(cls.qualname, [])

    def overrides_of(self, method: Func) -> list[Func]:
        """Every override of `method` in subclasses (transitively)."""
        if method.owner is None:
            return []
        out: list[Func] = []
        stack = list(self.subclasses(method.owner))
        seen: set[str] = set()
        while stack:
            sub = stack.pop()
            if sub.qualname in seen:
                continue
            seen.add(sub.qualname)
            if method.info.name in sub.info.methods:
                out.append(Func(sub.module, sub.info.methods[method.info.name], sub))
            stack.extend(self.subclasses(sub))
        return out

    def methods_named(self, name: str) -> list[Func]:
        self.touched.add(GLOBAL_CLASSES)
        if self._methods_by_name is None:
            table: dict[str, list[Func]] = {}
            for c in self.all_classes():
                for m, info in c.info.methods.items():
                    table.setdefault(m, []).append(Func(c.module, info, c))
            for mod, summary in self.modules.items():
                for fname, info in summary.functions.items():
                    table.setdefault(fname, []).append(Func(mod, info))
            self._methods_by_name = table
        return self._methods_by_name.get(name, [])

    # -- what a callable is ----------------------------------------------------------------------

    def func_kind(self, func: Func, depth: int = 0) -> str:
        """coroutine | asyncgen | generator | sync | property | asynccm | synccm | unknown."""
        info = func.info
        base = ("asyncgen" if info.is_generator else "coroutine") if info.is_async else (
            "generator" if info.is_generator else "sync"
        )
        kind = base
        for deco in reversed(info.decorators):
            short = deco.rsplit(".", 1)[-1]
            if deco in PRESERVING_DECORATORS or short in {"staticmethod", "classmethod", "abstractmethod",
                                                          "overload", "override", "final"}:
                continue
            if deco in PROPERTY_DECORATORS or short in {"property", "cached_property"} or short.endswith(
                (".setter", ".getter", ".deleter")
            ):
                return "property"
            if short in {"setter", "getter", "deleter"}:
                return "property"
            if short.removesuffix("()").endswith("_property"):
                return "property"  # discord's `cached_slot_property('_cs_x')`, `lazy_property`: a descriptor
            if short == "asynccontextmanager":
                kind = "asynccm" if kind == "asyncgen" else "unknown"
                continue
            if short == "contextmanager":
                kind = "synccm" if kind == "generator" else "unknown"
                continue
            if depth > 4:
                return "unknown"
            target = self.resolve_dotted(func.module, deco.removesuffix("()"))
            if isinstance(target, Func):
                effect = target.info.decorator_effect
                if deco.endswith("()") != target.info.is_decorator_factory:
                    return "unknown"
                if effect == "preserve":
                    continue
                if effect == "async":
                    kind = "coroutine"
                    continue
            return "unknown"
        return kind
