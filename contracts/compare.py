"""Compare two contracts and classify every change with a stable AG2xx code.

The headline is the async flip (`def` <-> `async def`), compared on the definition itself, so it is
caught with or without annotations. Removals are checked against deprecated aliases and renames
first, so keeping an old name working is never reported as a removal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from asyncguard.contracts import typeann
from asyncguard.contracts.codes import CHANGE_CODES
from asyncguard.contracts.model import AllowEntry, Change, Contract, ContractDiff, Param, Symbol
from asyncguard.contracts.semver import check_version, recommend_bump

_POSITIONAL = frozenset({"positional_only", "positional_or_keyword"})
_ANNOTATION_CODES = frozenset({"AG215", "AG216"})
_IMPLICIT_BASES = frozenset({"object", "builtins.object"})


@dataclass(frozen=True)
class CompareConfig:
    """How to judge changes: annotation changes breaking or not, approved changes, codes to drop."""

    annotations_breaking: bool = True
    allow: tuple[AllowEntry, ...] = ()
    ignore: frozenset[str] = field(default_factory=frozenset)


def signature(symbol: Symbol) -> str:
    """A one-line call shape, e.g. `async def connect(uri, *, timeout=10) -> Conn`."""
    name = symbol.short_name
    if symbol.kind == "module":
        return f"module {symbol.qualname}"
    if symbol.kind == "attribute":
        return f"{name} = ..."
    if symbol.kind == "class":
        bases = f"({', '.join(b.rpartition('.')[2] for b in symbol.bases)})" if symbol.bases else ""
        return f"class {name}{bases}"
    parts: list[str] = []
    seen_kw_marker = False
    for i, p in enumerate(symbol.params):
        if p.kind == "var_positional":
            parts.append(f"*{p.name}")
            seen_kw_marker = True
        elif p.kind == "var_keyword":
            parts.append(f"**{p.name}")
        else:
            if p.kind == "keyword_only" and not seen_kw_marker:
                parts.append("*")
                seen_kw_marker = True
            text = p.name + (f": {p.annotation}" if p.annotation else "")
            if p.default is not None:
                text += f" = {p.default}" if p.annotation else f"={p.default}"
            parts.append(text)
        nxt = symbol.params[i + 1] if i + 1 < len(symbol.params) else None
        if p.kind == "positional_only" and (nxt is None or nxt.kind != "positional_only"):
            parts.append("/")
    prefix = "async def" if symbol.is_async or symbol.is_async_generator else "def"
    decorators = "".join(
        f"@{d} " for d in symbol.decorators if d in ("staticmethod", "classmethod", "property")
    )
    returns = f" -> {symbol.returns}" if symbol.returns else ""
    return f"{decorators}{prefix} {name}({', '.join(parts)}){returns}"


class _Comparer:
    def __init__(self, base: Contract, head: Contract, config: CompareConfig) -> None:
        self.base = base
        self.head = head
        self.config = config
        self.changes: list[Change] = []

    def add(
        self, code: str, symbol: str, message: str, old: Symbol | None, new: Symbol | None, **kw: str | None
    ) -> None:
        if code in self.config.ignore:
            return
        info = CHANGE_CODES[code]
        breaking = info.breaking
        if code in _ANNOTATION_CODES and not self.config.annotations_breaking:
            breaking = False
        where = new if new is not None and new.path else old
        self.changes.append(
            Change(
                code=code,
                symbol=symbol,
                message=message,
                breaking=breaking,
                path=where.path if where is not None else "",
                line=where.line if where is not None else 1,
                before=signature(old) if old is not None else "",
                after=signature(new) if new is not None else "",
                defined_in=new.defined_in if new is not None else "",
                new_symbol=kw.get("new_symbol"),
                param=kw.get("param"),
                old=old,
                new=new,
            )
        )

    # -- whole symbols ----------------------------------------------------------------------
    def run(self) -> list[Change]:
        base_names = set(self.base.symbols)
        head_names = set(self.head.symbols)
        removed = base_names - head_names
        added = head_names - base_names
        for qualname in sorted(removed):
            dynamic = self.head.dynamic.get(qualname)
            if dynamic is not None:
                removed.discard(qualname)
                if dynamic.deprecated and not _has_ancestor(qualname, removed):
                    old = self.base.symbols[qualname]
                    self.add("AG235", qualname, f"{qualname} is now a deprecated alias", old, None)
        dynamic_names = set(self.head.dynamic)
        removed = {q for q in removed if not _has_ancestor(q, dynamic_names)}  # reached through the alias
        top_removed = sorted(q for q in removed if not _has_ancestor(q, removed))
        top_added = sorted(q for q in added if not _has_ancestor(q, added))
        renamed_to = self.match_renames(top_removed, top_added)
        for qualname in top_removed:
            old = self.base.symbols[qualname]
            if qualname in renamed_to:
                new = self.head.symbols[renamed_to[qualname]]
                self.add(
                    "AG220",
                    qualname,
                    f"{old.kind} {qualname} was renamed to {new.qualname}",
                    old,
                    new,
                    new_symbol=new.qualname,
                )
            else:
                self.add("AG201", qualname, f"{old.kind} {qualname} was removed", old, None)
        renamed_new = set(renamed_to.values())
        for qualname in top_added:
            if qualname not in renamed_new:
                new = self.head.symbols[qualname]
                self.add("AG230", qualname, f"{new.kind} {qualname} was added", None, new)
        for qualname in sorted(base_names & head_names):
            self.compare_symbol(self.base.symbols[qualname], self.head.symbols[qualname])
        return self.changes

    def match_renames(self, removed: list[str], added: list[str]) -> dict[str, str]:
        """Old name -> new name where exactly one added symbol in the same place has the same shape."""
        by_key: dict[tuple[object, ...], list[str]] = {}
        for q in added:
            by_key.setdefault(self.rename_key(self.head, q), []).append(q)
        old_keys: dict[tuple[object, ...], list[str]] = {}
        for q in removed:
            old_keys.setdefault(self.rename_key(self.base, q), []).append(q)
        out: dict[str, str] = {}
        for key, olds in old_keys.items():
            news = by_key.get(key, [])
            if len(olds) == 1 and len(news) == 1 and self.distinctive(olds[0], news[0]):
                out[olds[0]] = news[0]
        return out

    def distinctive(self, old_name: str, new_name: str) -> bool:
        """Same shape is evidence of a rename only when the shape says something or the names are alike."""
        old = self.base.symbols[old_name]
        similar = (
            SequenceMatcher(None, old.short_name.lower(), new_name.rpartition(".")[2].lower()).ratio() >= 0.5
        )
        if old.kind in ("function", "method"):
            return similar or len(explicit_params(old)) >= 2
        prefix = old_name + "."
        members = sum(1 for q in self.base.symbols if q.startswith(prefix))
        return similar or members >= 2

    def rename_key(self, contract: Contract, qualname: str) -> tuple[object, ...]:
        symbol = contract.symbols[qualname]
        if symbol.kind == "attribute":
            return (qualname,)  # values never pair up as renames
        if symbol.kind in ("module", "class"):
            prefix = qualname + "."
            members = tuple(sorted(q[len(prefix) :] for q in contract.symbols if q.startswith(prefix)))
            if not members and symbol.kind == "module":
                members = ("<empty module>", qualname)  # empty modules never pair up by accident
            return (symbol.parent, symbol.kind, symbol.bases, members)
        shape = symbol.shape()
        return (symbol.parent, symbol.kind, shape[1:])

    # -- one symbol present on both sides ---------------------------------------------------
    def compare_symbol(self, old: Symbol, new: Symbol) -> None:
        q = old.qualname
        callable_kinds = ("function", "method")
        if "attribute" in (old.kind, new.kind):
            return  # a value: only its presence is the contract (`__version__ = "2.0"` is no change)
        if old.kind != new.kind and not (old.kind in callable_kinds and new.kind in callable_kinds):
            self.add("AG219", q, f"{q} changed from a {old.kind} to a {new.kind}", old, new)
            return
        if new.deprecated and not old.deprecated:
            self.add("AG235", q, f"{q} is now deprecated", old, new)
        if old.kind == "class":
            self.compare_bases(old, new)
            return
        if old.kind == "module":
            return
        self.compare_async(old, new)
        self.compare_method_kind(old, new)
        self.compare_params(old, new)
        old_returns, new_returns = old.returns_value or old.returns, new.returns_value or new.returns
        if old.returns == new.returns and (old.returns_value is None) != (new.returns_value is None):
            old_returns = new_returns  # the alias expanded on one side only: not known to have changed
        if old_returns is not None and not typeann.same(old_returns, new_returns):
            self.add(
                "AG215", q, f"return annotation of {q} changed from {old.returns} to {new.returns}", old, new
            )

    def compare_bases(self, old: Symbol, new: Symbol) -> None:
        new_short = {b.rpartition(".")[2] for b in new.bases}
        old_short = {b.rpartition(".")[2] for b in old.bases}
        for base in old.bases:
            if base in _IMPLICIT_BASES:
                continue  # `class C(object)` -> `class C`: the same class
            if base not in new.bases and base.rpartition(".")[2] not in new_short:
                self.add(
                    "AG218", old.qualname, f"class {old.qualname} no longer derives from {base}", old, new
                )
        for base in new.bases:
            if base in _IMPLICIT_BASES:
                continue
            if base not in old.bases and base.rpartition(".")[2] not in old_short:
                self.add(
                    "AG237", old.qualname, f"class {old.qualname} now also derives from {base}", old, new
                )

    def compare_async(self, old: Symbol, new: Symbol) -> None:
        q = old.qualname
        if old.is_generator and new.is_async_generator:
            if _is_cm(new, "asynccontextmanager"):
                self.add(
                    "AG204", q, f"{q} became an async context manager: enter it with `async with`", old, new
                )
            else:
                self.add("AG204", q, f"{q} became an async generator: iterate it with `async for`", old, new)
        elif old.is_async_generator and new.is_generator:
            if _is_cm(new, "contextmanager"):
                self.add("AG205", q, f"{q} became a plain context manager: enter it with `with`", old, new)
            else:
                self.add("AG205", q, f"{q} became a plain generator: iterate it with `for`", old, new)
        elif not (old.is_async or old.is_async_generator) and (new.is_async or new.is_async_generator):
            self.add("AG202", q, f"{q} became async: every call must now be awaited", old, new)
        elif (old.is_async or old.is_async_generator) and not (new.is_async or new.is_async_generator):
            self.add("AG203", q, f"{q} is no longer async: `await` on its result now fails", old, new)

    def compare_method_kind(self, old: Symbol, new: Symbol) -> None:
        for decorator in ("staticmethod", "classmethod", "property"):
            was, now = decorator in old.decorators, decorator in new.decorators
            if was != now:
                verb = "became" if now else "is no longer"
                self.add("AG217", old.qualname, f"{old.qualname} {verb} a {decorator}", old, new)

    def compare_params(self, old: Symbol, new: Symbol) -> None:
        q = old.qualname
        old_params = explicit_params(old)
        new_params = explicit_params(new)
        old_pos = [p for p in old_params if p.kind in _POSITIONAL]
        new_pos = [p for p in new_params if p.kind in _POSITIONAL]
        new_by_name = {p.name: p for p in new_params if p.kind not in ("var_positional", "var_keyword")}
        old_names = {p.name for p in old_params}
        kinds_new = {p.kind for p in new_params}
        matched: set[str] = set()
        reordered = False
        for op in old_params:
            if op.kind == "var_positional":
                if "var_positional" not in kinds_new:
                    self.add("AG211", q, f"{q} no longer accepts *{op.name}", old, new)
                matched.update(p.name for p in new_params if p.kind == "var_positional")
                continue
            if op.kind == "var_keyword":
                if "var_keyword" not in kinds_new:
                    self.add("AG212", q, f"{q} no longer accepts **{op.name}", old, new)
                matched.update(p.name for p in new_params if p.kind == "var_keyword")
                continue
            np = new_by_name.get(op.name)
            if np is None and op.kind in _POSITIONAL:
                index = old_pos.index(op)
                candidate = new_pos[index] if index < len(new_pos) else None
                if candidate is not None and candidate.name not in old_names:
                    np = candidate
                    if op.kind == "positional_or_keyword" and candidate.kind == "positional_or_keyword":
                        self.add(
                            "AG207",
                            q,
                            f"parameter {op.name!r} of {q} was renamed to {candidate.name!r}",
                            old,
                            new,
                            param=op.name,
                        )
            if np is None:
                self.add("AG206", q, f"parameter {op.name!r} of {q} was removed", old, new, param=op.name)
                continue
            matched.add(np.name)
            self.compare_param(q, op, np, old, new)
            if (
                not reordered
                and op.kind in _POSITIONAL
                and np.kind in _POSITIONAL
                and old_pos.index(op) != new_pos.index(np)
            ):
                reordered = True
                self.add(
                    "AG208",
                    q,
                    f"positional parameter {op.name!r} of {q} moved from position "
                    f"{old_pos.index(op) + 1} to {new_pos.index(np) + 1}",
                    old,
                    new,
                    param=op.name,
                )
        for np in new_params:
            if np.name in matched:
                continue
            if np.kind in ("var_positional", "var_keyword") or np.has_default:
                self.add("AG231", q, f"{q} gained optional parameter {np.name!r}", old, new, param=np.name)
            else:
                self.add("AG210", q, f"{q} gained required parameter {np.name!r}", old, new, param=np.name)

    def compare_param(self, q: str, op: Param, np: Param, old: Symbol, new: Symbol) -> None:
        if op.kind != np.kind:
            if np.kind == "positional_or_keyword":
                self.add(
                    "AG232",
                    q,
                    f"parameter {op.name!r} of {q} widened from {op.kind} to {np.kind}",
                    old,
                    new,
                    param=op.name,
                )
            else:
                self.add(
                    "AG209",
                    q,
                    f"parameter {op.name!r} of {q} narrowed from {op.kind} to {np.kind}",
                    old,
                    new,
                    param=op.name,
                )
        if op.has_default and not np.has_default:
            self.add(
                "AG213",
                q,
                f"parameter {np.name!r} of {q} lost its default ({op.default}): now required",
                old,
                new,
                param=op.name,
            )
        elif np.has_default and not op.has_default:
            self.add(
                "AG233",
                q,
                f"parameter {np.name!r} of {q} gained a default ({np.default})",
                old,
                new,
                param=op.name,
            )
        elif op.has_default and (op.default_value or op.default) != (np.default_value or np.default):
            self.add(
                "AG214",
                q,
                f"default of parameter {np.name!r} of {q} changed from {op.default} to {np.default}",
                old,
                new,
                param=op.name,
            )
        old_ann, new_ann = op.annotation_meaning, np.annotation_meaning
        if op.annotation == np.annotation and (op.annotation_value is None) != (np.annotation_value is None):
            return  # one side could not expand the alias: the same name is not known to mean more or less
        if old_ann is not None and not typeann.same(old_ann, new_ann):
            if op.annotation == np.annotation:  # same spelling, the alias behind it changed
                old_text, new_text = f"{op.annotation} (= {old_ann})", f"{np.annotation} (= {new_ann})"
            else:
                old_text, new_text = str(op.annotation), str(np.annotation)
            if new_ann is None or typeann.widened(old_ann, new_ann):
                self.add(
                    "AG234",
                    q,
                    f"annotation of parameter {np.name!r} of {q} widened from {old_text} to {new_text}",
                    old,
                    new,
                    param=op.name,
                )
            else:
                self.add(
                    "AG216",
                    q,
                    f"annotation of parameter {np.name!r} of {q} changed from {old_text} to {new_text}",
                    old,
                    new,
                    param=op.name,
                )


def _is_cm(symbol: Symbol, decorator: str) -> bool:
    return any(d.rpartition(".")[2] == decorator for d in symbol.decorators)


def explicit_params(symbol: Symbol) -> tuple[Param, ...]:
    """Parameters a caller passes: `self`/`cls` of a bound method are not."""
    params = symbol.params
    if (
        symbol.kind == "method"
        and "staticmethod" not in symbol.decorators
        and params
        and params[0].kind in _POSITIONAL
    ):
        return params[1:]
    return params


def _has_ancestor(qualname: str, names: Iterable[str] | set[str]) -> bool:
    pool = names if isinstance(names, set) else set(names)
    parent = qualname.rpartition(".")[0]
    while parent:
        if parent in pool:
            return True
        parent = parent.rpartition(".")[0]
    return False


def _collapse_deprecations(changes: list[Change]) -> list[Change]:
    """A module or class deprecated as a whole: its members are not listed one by one."""
    deprecated = {c.symbol for c in changes if c.code == "AG235"}
    return [c for c in changes if not (c.code == "AG235" and _has_ancestor(c.symbol, deprecated))]


def merge_aliases(changes: list[Change]) -> list[Change]:
    """One change per definition: the same change seen through re-exports is reported once."""
    groups: dict[tuple[object, ...], list[Change]] = {}
    order: list[tuple[object, ...]] = []
    for change in changes:
        old_def = change.old.defined_in if change.old is not None else None
        new_def = change.new.defined_in if change.new is not None else None
        if old_def is None and new_def is None:
            key: tuple[object, ...] = ("symbol", change.symbol, change.code)
        else:
            tail = change.message.replace(change.symbol, "<name>")
            if change.new_symbol:
                tail = tail.replace(change.new_symbol, "<new name>")
            key = (change.code, old_def, new_def, change.param, tail)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(change)
    out: list[Change] = []
    for key in order:
        group = groups[key]
        old_def = group[0].old.defined_in if group[0].old is not None else None
        new_def = group[0].new.defined_in if group[0].new is not None else None
        group.sort(
            key=lambda c: (
                c.symbol not in (old_def, new_def) and (c.new_symbol is None or c.new_symbol != new_def),
                c.symbol.count("."),
                c.symbol,
            )
        )
        keep = group[0]
        keep.aliases = sorted({c.symbol for c in group[1:]} - {keep.symbol})
        out.append(keep)
    return out


def apply_allowlist(changes: list[Change], allow: Iterable[AllowEntry]) -> None:
    """Mark approved changes (same code, same symbol or its new name) with their reason."""
    entries = list(allow)
    for change in changes:
        for entry in entries:
            if entry.code == change.code and entry.symbol in (
                change.symbol,
                change.new_symbol,
                *change.aliases,
            ):
                change.allowed = True
                change.allow_reason = entry.reason
                break


def compare(base: Contract, head: Contract, config: CompareConfig | None = None) -> ContractDiff:
    """Every interface change from `base` to `head`, the recommended bump and the version check."""
    config = config or CompareConfig()
    changes = _collapse_deprecations(merge_aliases(_Comparer(base, head, config).run()))
    changes.sort(key=lambda c: (not c.breaking, c.symbol, c.code, c.message))
    apply_allowlist(changes, [*config.allow, *base.allow, *head.allow])
    bump = recommend_bump(changes, base.version)
    diff = ContractDiff(
        changes=changes,
        bump=bump,
        base_version=base.version,
        head_version=head.version,
        version_check=check_version(base.version, head.version, bump),
    )
    if diff.version_check is not None and not diff.version_check.ok:
        diff.notes.append(diff.version_check.message)
    return diff
