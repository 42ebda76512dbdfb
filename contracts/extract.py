"""Extract the public interface of a source tree into a Contract (static: nothing is imported).

Public = a module path without underscored parts, and in it a name listed in `__all__` (or, without
`__all__`, a name that does not start with `_`). Re-exports are followed to their definitions, so
moving code behind a re-export leaves the contract unchanged.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import importlib.util
import os
import pickle
import re
import threading
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from asyncguard.contracts.model import Contract, ContractError, DynamicName, Param, Symbol
from asyncguard.contracts.summary import ALL_REF, ClassInfo, FuncInfo, ModuleSummary, summarize

SKIP_DIRS = frozenset(
    {
        "__pycache__", "node_modules", "build", "dist", "site-packages", "venv", "env",
        "tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks", "bench",
        "scripts", "tools",
    }
)  # fmt: skip
_ALWAYS_SKIP = frozenset({"__pycache__", "node_modules", "build", "dist", "site-packages", "venv", "env"})
SKIP_FILES = frozenset({"setup.py", "conftest.py", "noxfile.py", "fabfile.py", "tasks.py", "manage.py"})
# Dunder methods callers depend on (construction, calling, the sync and async protocols).
PUBLIC_DUNDERS = frozenset(
    {
        "__init__", "__call__", "__enter__", "__exit__", "__aenter__", "__aexit__", "__iter__",
        "__next__", "__aiter__", "__anext__", "__await__", "__getitem__", "__len__", "__contains__",
    }
)  # fmt: skip
_CACHE_VERSION = "contracts-summary-6"
_AWAITABLE_ANNOTATIONS = frozenset({"Awaitable", "Coroutine", "Future", "Task"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# In-process memo by content hash: the two sides of a comparison share most files.
_MEMO: dict[str, ModuleSummary] = {}
_MEMO_LIMIT = 20_000


@dataclass(frozen=True)
class _Def:
    """A resolved definition: the summary it lives in and its dotted path inside the module."""

    module: ModuleSummary
    path: tuple[str, ...]
    info: FuncInfo | ClassInfo

    @property
    def qualname(self) -> str:
        return ".".join((self.module.module, *self.path))


def module_name_for(root: Path, path: Path) -> str:
    """Dotted module name of a file (src/ layouts handled); the analyzer's own when it is there."""
    try:
        from asyncguard.rules import index as analyzer_index
    except ImportError:
        analyzer_index = None  # type: ignore[assignment]
    if analyzer_index is not None and hasattr(analyzer_index, "module_name_for"):
        named = analyzer_index.module_name_for(root, path)
        return str(named[0] if isinstance(named, tuple) else named)
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def discover(
    root: Path, packages: Sequence[str] = (), exclude: Sequence[str] = (), all_code: bool = False
) -> list[Path]:
    """Python files that belong to the project's importable code (tests, docs, setup scripts left out);
    with `all_code`, every file that may use it (tests and scripts too: they break as well)."""
    skip = _ALWAYS_SKIP if all_code else SKIP_DIRS
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and d not in skip and d not in exclude
        )
        for name in sorted(filenames):
            if not name.endswith(".py") or (name in SKIP_FILES and not all_code):
                continue
            if all_code:
                files.append(Path(dirpath) / name)
                continue
            if Path(dirpath) == root and (name.startswith("test_") or name.endswith("_test.py")):
                continue  # a loose test script; `pkg/test_utils.py` inside a package is API
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if any(rel == e or rel.startswith(e.rstrip("/") + "/") for e in exclude):
                continue
            files.append(path)
    if packages:
        wanted = set(packages)
        files = [f for f in files if module_name_for(root, f).partition(".")[0] in wanted]
    return files


def read_project_config(root: Path) -> dict[str, object]:
    """`[tool.asyncguard.contracts]` of pyproject.toml (packages, exclude, file); {} when absent."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    top = Path(root).resolve()
    if not pyproject.resolve().is_relative_to(top):
        raise ContractError("pyproject.toml leads outside the repository (through a symbolic link)")
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ContractError(f"pyproject.toml: cannot read: {exc}") from None
    section = data.get("tool", {}).get("asyncguard", {}).get("contracts", {})
    return section if isinstance(section, dict) else {}


def project_version(root: Path) -> str | None:
    """`[project].version` of pyproject.toml, when it is static."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    version = data.get("project", {}).get("version")
    return version if isinstance(version, str) else None


def load_summaries(
    root: Path, files: Iterable[Path], cache_dir: Path | None = None, failed: dict[str, str] | None = None
) -> dict[str, ModuleSummary]:
    """Summaries by module name; with `cache_dir`, files whose content hash is known are not re-read.

    A file that does not parse raises ContractError, or, when `failed` is given, is recorded there
    (module -> message) and left out.
    """
    summaries: dict[str, ModuleSummary] = {}
    for path in files:
        module = module_name_for(root, path)
        if not module or not all(part.isidentifier() for part in module.split(".")):
            continue
        rel = path.relative_to(root).as_posix()
        try:
            data = path.read_bytes()
        except OSError as exc:
            if failed is None:
                raise ContractError(f"{path}: cannot read: {exc.strerror}") from None
            failed[module] = f"{rel}: cannot read: {exc.strerror}"  # relative: no host path in PR output
            continue
        is_package = path.name == "__init__.py"
        try:
            summary = _cached_summary(data, module, rel, is_package, cache_dir)
        except ContractError as exc:
            if failed is None:
                raise
            failed[module] = str(exc)
            continue
        summaries[module] = summary
    return summaries


def _cached_summary(
    data: bytes, module: str, rel: str, is_package: bool, cache_dir: Path | None
) -> ModuleSummary:
    key = hashlib.sha256(f"{_CACHE_VERSION}\0{module}\0{rel}\0{is_package}\0".encode() + data).hexdigest()
    memo = _MEMO.get(key)
    if memo is not None:
        return memo
    summary = _read_summary(key, data, module, rel, is_package, cache_dir)
    if len(_MEMO) >= _MEMO_LIMIT:
        _MEMO.clear()
    _MEMO[key] = summary
    return summary


def _read_summary(
    key: str, data: bytes, module: str, rel: str, is_package: bool, cache_dir: Path | None
) -> ModuleSummary:
    entry = cache_dir / "contracts" / key[:2] / f"{key}.pickle" if cache_dir is not None else None
    if entry is not None and entry.is_file():
        try:
            cached = pickle.loads(entry.read_bytes())
            if isinstance(cached, ModuleSummary):
                return cached
        except Exception:  # a corrupt cache entry is simply rebuilt
            pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:  # a PEP 263 coding cookie (`# -*- coding: latin-1 -*-`)
            text = importlib.util.decode_source(data)
        except (UnicodeDecodeError, SyntaxError, LookupError):
            raise ContractError(f"{rel}: cannot parse: not UTF-8 and no valid coding declaration") from None
    summary = summarize(text, module, rel, is_package)
    if entry is not None:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")  # unique per thread too
        tmp.write_bytes(pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, entry)
    return summary


def extract(
    root: Path,
    packages: Sequence[str] = (),
    exclude: Sequence[str] = (),
    cache_dir: Path | None = None,
    failed: dict[str, str] | None = None,
    settings_from_tree: bool = True,
) -> Contract:
    """The Contract of the tree at `root` (config from `[tool.asyncguard.contracts]` when not given).

    Unparsable files raise ContractError, unless `failed` collects them (module -> message).
    `settings_from_tree=False`: `packages`/`exclude` are exactly what the caller passed (a PR's head
    must not choose what of it is compared).
    """
    root = Path(root)
    if not root.is_dir():
        raise ContractError(f"{root}: not a directory")
    config = read_project_config(root) if settings_from_tree else {}
    configured_packages = config.get("packages")
    if not packages and isinstance(configured_packages, list):
        packages = [str(p) for p in configured_packages]
    configured_exclude = config.get("exclude")
    if not exclude and isinstance(configured_exclude, list):
        exclude = [str(p) for p in configured_exclude]
    # Many short-lived AST nodes and no cycles worth collecting: pause the cyclic GC for the run.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        summaries = load_summaries(root, discover(root, packages, exclude), cache_dir, failed)
        contract = _Builder(summaries).build()
    finally:
        if was_enabled:
            gc.enable()
    contract.version = project_version(root)
    contract.root = str(root)
    return contract


class _Builder:
    """Cross-module resolution over summaries: public names -> definitions -> symbols."""

    def __init__(self, summaries: dict[str, ModuleSummary]) -> None:
        self.summaries = summaries
        self.symbols: dict[str, Symbol] = {}
        self.dynamic: dict[str, DynamicName] = {}
        self.top_packages = {m.partition(".")[0] for m in summaries}
        self.alias_names = {name for s in summaries.values() for name in s.type_aliases}
        self.expanded: dict[tuple[str, str], str] = {}

    # -- resolution -------------------------------------------------------------------------
    def resolve(self, module: str, name: str, depth: int = 0) -> _Def | str | None:
        """What `module.name` is: a definition, a module name (str), or None (external/unknown)."""
        if depth > 30:
            return None
        summary = self.summaries.get(module)
        if summary is None:
            return None
        if name in summary.defs:
            return _Def(summary, (name,), summary.defs[name])
        if name in summary.imports:
            target_module, attr = summary.imports[name]
            if attr is None:
                return target_module if target_module in self.summaries else None
            submodule = f"{target_module}.{attr}"
            found = self.resolve(target_module, attr, depth + 1)
            if found is not None:
                return found
            return submodule if submodule in self.summaries else None
        if name in summary.aliases:
            return self.resolve_dotted(module, summary.aliases[name], depth + 1)
        if name in summary.dynamic:
            _deprecated, target = summary.dynamic[name]
            if target is not None:
                return self.resolve(target, name, depth + 1)
        for star in summary.star_imports:
            star_summary = self.summaries.get(star)
            if star_summary is None:
                continue
            if star_summary.all_names is not None and name not in star_summary.all_names:
                continue
            if name.startswith("_"):
                continue
            found = self.resolve(star, name, depth + 1)
            if found is not None:
                return found
        submodule = f"{module}.{name}" if module else name
        if submodule in self.summaries and summary.is_package:
            return submodule
        return None

    def resolve_dotted(self, module: str, dotted: str, depth: int = 0) -> _Def | str | None:
        """Resolve `a.b.C` as written in `module` (names, module attributes, class members)."""
        head, *rest = dotted.split(".")
        current: _Def | str | None = self.resolve(module, head, depth + 1)
        for part in rest:
            if current is None:
                return None
            if isinstance(current, str):
                current = self.resolve(current, part, depth + 1)
            elif isinstance(current.info, ClassInfo) and part in current.info.members:
                current = _Def(current.module, (*current.path, part), current.info.members[part])
            else:
                return None
        return current

    # -- public names -----------------------------------------------------------------------
    def expand_all(self, module: str, names: list[str], depth: int = 0) -> set[str]:
        """`__all__` with `other.__all__` references replaced by that module's names."""
        out: set[str] = set()
        for name in names:
            if not name.startswith(ALL_REF):
                out.add(name)
                continue
            target = self.resolve_dotted(module, name[len(ALL_REF) :])
            target_summary = self.summaries.get(target) if isinstance(target, str) else None
            if target_summary is not None and target_summary.all_names is not None and depth < 10:
                out |= self.expand_all(target_summary.module, target_summary.all_names, depth + 1)
        return out

    def listed_in_all(self, summary: ModuleSummary) -> set[str]:
        return self.expand_all(summary.module, summary.all_names) if summary.all_names is not None else set()

    def public_names(self, summary: ModuleSummary) -> list[str]:
        all_names = summary.all_names
        if all_names is None and "__all__" in summary.imports:  # `from .impl import __all__`
            source = self.summaries.get(summary.imports["__all__"][0])
            all_names = source.all_names if source is not None else None
        if all_names is not None:
            return sorted(self.expand_all(summary.module, all_names))
        names = {n for n in summary.defs if not n.startswith("_")}
        names.update(n for n in summary.aliases if not n.startswith("_"))
        names.update(n for n in summary.dynamic if not n.startswith("_"))
        reexporting = summary.is_package or summary.is_shim
        for name, (target, attr) in summary.imports.items():
            if name.startswith("_"):
                continue
            in_project = target in self.summaries or target.partition(".")[0] in self.top_packages
            if name in summary.explicit_reexports or (reexporting and in_project and attr is not None):
                names.add(name)
        for star in summary.star_imports:
            star_summary = self.summaries.get(star)
            if star_summary is not None:
                names.update(self.public_names(star_summary))
        return sorted(names)

    # -- building ---------------------------------------------------------------------------
    def build(self) -> Contract:
        for module_name in sorted(self.summaries):
            if any(part.startswith("_") for part in module_name.split(".")):
                continue
            summary = self.summaries[module_name]
            self.symbols[module_name] = Symbol(
                qualname=module_name,
                kind="module",
                deprecated=summary.deprecated,
                defined_in=module_name,
                path=summary.path,
                line=1,
            )
            dynamic_names = {n for n in summary.dynamic if not n.startswith("_")}
            listed = self.listed_in_all(summary)
            for name in sorted(set(self.public_names(summary)) | dynamic_names):
                qualname = f"{module_name}.{name}"
                dynamic = summary.dynamic.get(name)
                if dynamic is not None and name not in summary.defs and name not in summary.imports:
                    deprecated, target_module = dynamic
                    target = f"{target_module}.{name}" if target_module else None
                    self.dynamic[qualname] = DynamicName(qualname, deprecated, target)
                    if deprecated:
                        continue
                found = self.resolve(module_name, name)
                if isinstance(found, _Def):
                    self.add_definition(qualname, found, deprecated=summary.deprecated)
                elif found is None and name in listed and qualname not in self.dynamic:
                    # a value or a third-party object exported on purpose: its presence is the contract
                    self.symbols[qualname] = Symbol(
                        qualname=qualname, kind="attribute", defined_in=qualname, path=summary.path, line=1
                    )
        return Contract(
            symbols=dict(sorted(self.symbols.items())), dynamic=dict(sorted(self.dynamic.items()))
        )

    def add_definition(self, qualname: str, found: _Def, deprecated: bool = False, depth: int = 0) -> None:
        if qualname in self.symbols or depth > 10:
            return
        info = found.info
        if isinstance(info, FuncInfo):
            self.symbols[qualname] = self.function_symbol(
                qualname, found, "function" if depth == 0 else "method"
            )
            if deprecated:
                self.symbols[qualname].deprecated = True
            return
        bases = tuple(self.base_name(found.module.module, b) for b in info.bases)
        self.symbols[qualname] = Symbol(
            qualname=qualname,
            kind="class",
            bases=bases,
            decorators=tuple(sorted(set(info.decorators))),
            deprecated=info.deprecated or deprecated,
            defined_in=found.qualname,
            path=found.module.path,
            line=info.line,
        )
        for member_name, member_def in self.class_members(found).items():
            if member_name.startswith("_") and member_name not in PUBLIC_DUNDERS:
                continue
            member_qualname = f"{qualname}.{member_name}"
            if isinstance(member_def.info, FuncInfo):
                self.symbols[member_qualname] = self.function_symbol(member_qualname, member_def, "method")
            else:
                self.add_definition(member_qualname, member_def, depth=depth + 1)

    def class_members(self, found: _Def, seen: frozenset[str] = frozenset()) -> dict[str, _Def]:
        """Own members first, then members inherited from project classes (first base wins)."""
        assert isinstance(found.info, ClassInfo)
        if found.qualname in seen or len(seen) > 20:
            return {}
        members = {
            name: _Def(found.module, (*found.path, name), member)
            for name, member in found.info.members.items()
        }
        for base in found.info.bases:
            base_def = self.resolve_dotted(found.module.module, base.split("[")[0])
            if isinstance(base_def, _Def) and isinstance(base_def.info, ClassInfo):
                for name, member in self.class_members(base_def, seen | {found.qualname}).items():
                    members.setdefault(name, member)
        return members

    def base_name(self, module: str, text: str) -> str:
        """A base class as its definition's qualname when it is in the project, else as written."""
        found = self.resolve_dotted(module, text.split("[")[0])
        return found.qualname if isinstance(found, _Def) else text

    def function_symbol(self, qualname: str, found: _Def, kind: str) -> Symbol:
        info = found.info
        assert isinstance(info, FuncInfo)
        params = tuple(
            self.resolve_annotation(
                found.module, self.resolve_default(found.module, p, info.default_refs.get(p.name))
            )
            for p in info.params
        )
        returns_value = self.expand_annotation(found.module.module, info.returns) if info.returns else None
        awaitable = (
            not info.is_async and not info.is_generator and self.returns_awaitable(found.module.module, info)
        )
        return Symbol(
            qualname=qualname,
            kind="method" if kind == "method" else "function",
            is_async=(info.is_async and not info.is_generator) or awaitable,
            returns_awaitable=awaitable,
            is_generator=info.is_generator and not info.is_async,
            is_async_generator=info.is_async and info.is_generator,
            params=params,
            returns=info.returns,
            returns_value=returns_value if returns_value != info.returns else None,
            decorators=tuple(sorted(set(info.decorators))),
            deprecated=info.deprecated,
            defined_in=found.qualname,
            path=found.module.path,
            line=info.line,
        )

    def resolve_default(self, module: ModuleSummary, param: Param, ref: str | None) -> Param:
        """A default naming a module-level constant of the project is compared by its value."""
        if ref is None:
            return param
        value = self.constant_value(module.module, ref)
        return replace(param, default_value=value) if value is not None else param

    def returns_awaitable(self, module: str, info: FuncInfo) -> bool:
        """A plain `def` whose result callers `await`: annotated as awaitable, or every `return`
        builds a project class with `__await__` (aiohttp's `_RequestContextManager` pattern)."""
        if info.returns is not None:
            dotted = info.returns.strip("'\"").split("[", 1)[0].strip()
            if dotted.rpartition(".")[2] in _AWAITABLE_ANNOTATIONS:
                return True
            annotated = (
                self.resolve_dotted(module, dotted) if dotted.replace(".", "").isidentifier() else None
            )
            return self.is_awaitable_class(annotated)
        if not info.returned_calls:
            return False
        return all(
            self.is_awaitable_class(self.resolve_dotted(module, callee)) for callee in info.returned_calls
        )

    def is_awaitable_class(self, target: _Def | str | None) -> bool:
        """A project class whose instances can be awaited (it or a project base defines `__await__`)."""
        if not (isinstance(target, _Def) and isinstance(target.info, ClassInfo)):
            return False
        return "__await__" in self.class_members(target)

    def resolve_annotation(self, module: ModuleSummary, param: Param) -> Param:
        if param.annotation is None:
            return param
        expanded = self.expand_annotation(module.module, param.annotation)
        return replace(param, annotation_value=expanded) if expanded != param.annotation else param

    def expand_annotation(self, module: str, text: str, depth: int = 0) -> str:
        """The annotation with the project's type aliases (`VerifyTypes = Union[...]`) written out."""
        if depth > 5 or not self.alias_names.intersection(_IDENTIFIER.findall(text)):
            return text
        key = (module, text)
        if depth == 0 and key in self.expanded:
            return self.expanded[key]
        result = self._expand_annotation(module, text, depth)
        if depth == 0:
            self.expanded[key] = result
        return result

    def _expand_annotation(self, module: str, text: str, depth: int) -> str:
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError:
            return text
        changed = False
        builder = self

        class Expand(ast.NodeTransformer):
            def visit_Constant(self, node: ast.Constant) -> ast.AST:
                nonlocal changed
                if isinstance(node.value, str):
                    inner = builder.expand_annotation(module, node.value, depth + 1)
                    if inner != node.value:
                        changed = True
                        return ast.Constant(inner)
                return node

            def visit_Name(self, node: ast.Name) -> ast.AST:
                return self._expand(node, node.id)

            def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
                dotted = ast.unparse(node)
                result = self._expand(node, dotted)
                return result if result is not node else self.generic_visit(node)

            def _expand(self, node: ast.expr, dotted: str) -> ast.AST:
                nonlocal changed
                found = builder.find_type_alias(module, dotted)
                if found is None:
                    return node
                alias_module, alias_text = found
                expanded = builder.expand_annotation(alias_module, alias_text, depth + 1)
                try:
                    changed = True
                    return ast.parse(expanded, mode="eval").body
                except SyntaxError:
                    return node

        new_tree = Expand().visit(tree)
        return ast.unparse(new_tree) if changed else text

    def find_type_alias(self, module: str, dotted: str, depth: int = 0) -> tuple[str, str] | None:
        if depth > 10:
            return None
        summary = self.summaries.get(module)
        if summary is None:
            return None
        head, _, rest = dotted.partition(".")
        if not rest:
            if head in summary.type_aliases:
                return module, summary.type_aliases[head]
            if head in summary.imports:
                target, attr = summary.imports[head]
                return self.find_type_alias(target, attr, depth + 1) if attr else None
            for star in summary.star_imports:
                found = self.find_type_alias(star, head, depth + 1)
                if found is not None:
                    return found
            return None
        resolved = self.resolve(module, head)
        return self.find_type_alias(resolved, rest, depth + 1) if isinstance(resolved, str) else None

    def constant_value(self, module: str, dotted: str, depth: int = 0) -> str | None:
        if depth > 10:
            return None
        head, _, rest = dotted.partition(".")
        summary = self.summaries.get(module)
        if summary is None:
            return None
        if not rest:
            if head in summary.constants:
                return summary.constants[head]
            if head in summary.aliases:
                return self.constant_value(module, summary.aliases[head], depth + 1)
            if head in summary.imports:
                target, attr = summary.imports[head]
                return self.constant_value(target, attr, depth + 1) if attr else None
            return None
        found = self.resolve(module, head)
        if isinstance(found, str):
            return self.constant_value(found, rest, depth + 1)
        return None
