"""The data of a contract and of a comparison between two contracts.

A Symbol is one public name with the shape callers depend on. Positions (path, line) are kept
for findings but are not part of the shape: moving code around is not an interface change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FORMAT_VERSION = 1

ParamKind = Literal[
    "positional_only", "positional_or_keyword", "var_positional", "keyword_only", "var_keyword"
]
SymbolKind = Literal["module", "class", "function", "method", "attribute"]  # attribute: a value in __all__
ImpactStatus = Literal["updated", "old-style"]


class ContractError(Exception):
    """Bad input (missing ref, unreadable or newer contract file, unparsable source): one clear line."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    default: str | None = None  # source text of the default, None when there is none
    annotation: str | None = None
    default_value: str | None = None  # the default's meaning when statically known (e.g. a constant's value)
    annotation_value: str | None = None  # the annotation with project type aliases expanded, when different

    @property
    def annotation_meaning(self) -> str | None:
        return self.annotation_value or self.annotation

    @property
    def has_default(self) -> bool:
        return self.default is not None


@dataclass
class Symbol:
    qualname: str  # the public path callers import, e.g. "pkg.client.connect"
    kind: SymbolKind
    is_async: bool = False
    is_generator: bool = False
    is_async_generator: bool = False
    returns_awaitable: bool = False  # a plain `def` whose result is awaited (counted as async)
    params: tuple[Param, ...] = ()
    returns: str | None = None
    returns_value: str | None = None  # the return annotation with project type aliases expanded
    decorators: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    deprecated: bool = False
    defined_in: str = ""  # qualname of the definition (differs from qualname for re-exports)
    path: str = ""  # file (POSIX, relative to the root) of the definition
    line: int = 1

    def shape(self) -> tuple[object, ...]:
        """Everything a caller depends on; equal shapes mean no interface change."""
        return (
            self.kind,
            self.is_async,
            self.is_generator,
            self.is_async_generator,
            tuple((p.name, p.kind, p.default_value or p.default, p.annotation_meaning) for p in self.params),
            self.returns_value or self.returns,
            tuple(sorted(self.decorators)),
            self.bases,
            self.deprecated,
        )

    @property
    def parent(self) -> str:
        return self.qualname.rpartition(".")[0]

    @property
    def short_name(self) -> str:
        return self.qualname.rpartition(".")[2]


@dataclass(frozen=True)
class DynamicName:
    """A name a module serves through `__getattr__` / lazy import, not through a definition."""

    qualname: str
    deprecated: bool
    target: str | None = None  # qualname it resolves to, when static


@dataclass(frozen=True)
class AllowEntry:
    """An approved change: it stays in the diff but no longer counts as breaking."""

    code: str
    symbol: str
    reason: str


@dataclass
class Contract:
    symbols: dict[str, Symbol] = field(default_factory=dict)
    dynamic: dict[str, DynamicName] = field(default_factory=dict)
    allow: list[AllowEntry] = field(default_factory=list)
    version: str | None = None  # the project's version (pyproject), when known
    format_version: int = FORMAT_VERSION
    root: str = ""  # where it was extracted from ("" when loaded from a file)


@dataclass(frozen=True)
class ImpactSite:
    path: str
    line: int
    column: int
    status: ImpactStatus
    caller: str = ""
    usage: str = ""
    end_line: int = 0  # 0: same as line
    end_column: int = 0  # 0: same as column


@dataclass
class Change:
    code: str
    symbol: str  # public qualname (the base name for removals and renames)
    message: str
    breaking: bool
    path: str = ""
    line: int = 1
    new_symbol: str | None = None  # renames and moves: the new name
    before: str = ""  # call shape before, e.g. "def connect(uri, *, timeout=10)"
    after: str = ""
    defined_in: str = ""  # head definition qualname (for call sites)
    allowed: bool = False
    allow_reason: str = ""
    call_sites: list[ImpactSite] = field(default_factory=list)
    param: str | None = None  # the parameter a parameter-level change is about
    aliases: list[str] = field(default_factory=list)  # other public names of the same definition
    old: Symbol | None = field(default=None, repr=False, compare=False)
    new: Symbol | None = field(default=None, repr=False, compare=False)

    @property
    def old_style_sites(self) -> list[ImpactSite]:
        return [s for s in self.call_sites if s.status == "old-style"]


Bump = Literal["major", "minor", "patch", "none"]


@dataclass
class VersionCheck:
    base: str | None
    head: str | None
    actual: Bump | None  # None when the versions are missing or unparsable
    ok: bool
    message: str


@dataclass(frozen=True)
class SettingChange:
    """The head edits what the gate governs (a contract setting or an `allow:` entry).

    Such edits never take effect on the pull request that makes them (settings and allowlists are
    read from the base), so each is reported for approval in its own right.
    """

    key: str  # e.g. "[tool.asyncguard.contracts] ignore" or "allow: AG202 pkg.api.fetch"
    message: str
    path: str  # the file the head edited
    before: str = ""
    after: str = ""


@dataclass
class ContractDiff:
    changes: list[Change] = field(default_factory=list)
    bump: Bump = "none"
    base_version: str | None = None
    head_version: str | None = None
    version_check: VersionCheck | None = None
    notes: list[str] = field(default_factory=list)  # e.g. modules left out because they do not parse
    setting_changes: list[SettingChange] = field(default_factory=list)  # head edits to what is governed

    @property
    def breaking(self) -> list[Change]:
        """Breaking changes that are not allowlisted."""
        return [c for c in self.changes if c.breaking and not c.allowed]

    @property
    def compatible(self) -> list[Change]:
        return [c for c in self.changes if not c.breaking]


def change_to_dict(change: Change) -> dict[str, object]:
    """JSON-able form of a change (stable keys)."""
    return {
        "code": change.code,
        "symbol": change.symbol,
        "aliases": list(change.aliases),
        "new_symbol": change.new_symbol,
        "message": change.message,
        "breaking": change.breaking,
        "allowed": change.allowed,
        "allow_reason": change.allow_reason,
        "path": change.path,
        "line": change.line,
        "param": change.param,
        "before": change.before,
        "after": change.after,
        "call_sites": [
            {"path": s.path, "line": s.line, "column": s.column, "status": s.status, "caller": s.caller}
            for s in change.call_sites
        ],
    }


def diff_to_dict(diff: ContractDiff) -> dict[str, object]:
    check = diff.version_check
    return {
        "bump": diff.bump,
        "base_version": diff.base_version,
        "head_version": diff.head_version,
        "version_check": None
        if check is None
        else {
            "base": check.base,
            "head": check.head,
            "actual": check.actual,
            "ok": check.ok,
            "message": check.message,
        },
        "breaking": len(diff.breaking),
        "changes": [change_to_dict(c) for c in diff.changes],
    }
