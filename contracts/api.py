"""The contracts API other packages use (checks/, bot/): extract, lock, compare, impact, guide.

contracts/ is pure: no GitHub, no imports of checks/ or bot/. It reads the analyzer's index from
rules/ only to find call sites.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from asyncguard.contracts.compare import CompareConfig, compare
from asyncguard.contracts.extract import extract as _extract
from asyncguard.contracts.extract import read_project_config
from asyncguard.contracts.findings import diff_findings
from asyncguard.contracts.guide import render_changelog, render_migration_guide
from asyncguard.contracts.impact import attach_impact
from asyncguard.contracts.model import AllowEntry, Contract, ContractDiff, ContractError, SettingChange
from asyncguard.contracts.store import (
    DEFAULT_FILE,
    load_contract,
    parse_allow,
    parse_contract,
    write_contract,
)

__all__ = [
    "DEFAULT_FILE",
    "CompareConfig",
    "Contract",
    "ContractDiff",
    "ContractError",
    "ContractSettings",
    "attach_impact",
    "compare",
    "compare_trees",
    "diff_findings",
    "extract",
    "governed_setting_changes",
    "load_contract",
    "load_contract_settings",
    "render_changelog",
    "render_migration_guide",
    "write_contract",
]


@dataclass(frozen=True)
class ContractSettings:
    """`[tool.asyncguard.contracts]`: file, packages, exclude, annotations-breaking, ignore, allow."""

    file: str = DEFAULT_FILE
    packages: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    annotations_breaking: bool = True
    ignore: frozenset[str] = frozenset()
    allow: tuple[AllowEntry, ...] = ()

    def compare_config(self, extra_allow: tuple[AllowEntry, ...] = ()) -> CompareConfig:
        return CompareConfig(
            annotations_breaking=self.annotations_breaking, allow=self.allow + extra_allow, ignore=self.ignore
        )


def load_contract_settings(root: Path) -> ContractSettings:
    """Read the settings from `root/pyproject.toml`; ContractError on a wrong type."""
    from asyncguard.contracts.codes import CHANGE_CODES

    raw = read_project_config(Path(root))
    source = "pyproject.toml [tool.asyncguard.contracts]"  # never the host path of a snapshot
    known = {"file", "packages", "exclude", "annotations-breaking", "ignore", "allow"}
    unknown = sorted(k for k in raw if k.replace("_", "-") not in known)
    if unknown:
        raise ContractError(f"{source}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    data = {k.replace("_", "-"): v for k, v in raw.items()}

    def str_list(key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ContractError(f"{source}: `{key}` must be a list of strings")
        return tuple(value)

    file = data.get("file", DEFAULT_FILE)
    if not isinstance(file, str) or not file:
        raise ContractError(f"{source}: `file` must be a path")
    if not _relative_inside(file):
        raise ContractError(f"{source}: `file` must be a relative path inside the repository; got {file!r}")
    breaking = data.get("annotations-breaking", True)
    if not isinstance(breaking, bool):
        raise ContractError(f"{source}: `annotations-breaking` must be true or false")
    ignore = frozenset(str_list("ignore"))
    bad = sorted(ignore - set(CHANGE_CODES))
    if bad:
        raise ContractError(f"{source}: unknown change code {bad[0]!r} in `ignore`")
    return ContractSettings(
        file=file,
        packages=str_list("packages"),
        exclude=str_list("exclude"),
        annotations_breaking=breaking,
        ignore=ignore,
        allow=tuple(parse_allow(data.get("allow"), source)),
    )


def extract(root: Path, index: Any = None, cache_dir: Path | None = None) -> Contract:
    """The contract of the tree at `root` (`index` is accepted for symmetry; extraction reads files)."""
    settings = load_contract_settings(Path(root))
    return _extract(Path(root), settings.packages, settings.exclude, cache_dir=cache_dir)


def _relative_inside(rel: str) -> bool:
    """A path that names something under the root whatever the root is: no `..`, no absolute path."""
    if "\0" in rel or PureWindowsPath(rel).drive or PureWindowsPath(rel).root:
        return False
    parts = PurePosixPath(rel.replace("\\", "/")).parts
    return bool(parts) and not PurePosixPath(rel).is_absolute() and ".." not in parts


def confined(root: Path, rel: str, what: str) -> Path:
    """`root/rel` with links resolved, or ContractError when it leads outside `root`.

    Nothing outside the tree is opened, and the message is the same whether the target exists.
    """
    if not _relative_inside(rel):
        raise ContractError(f"{what} must be a relative path inside the repository; got {rel!r}")
    top = Path(root).resolve()
    target = (top / rel).resolve()
    if not target.is_relative_to(top):
        raise ContractError(f"{what} = {rel!r} leads outside the repository (through a symbolic link)")
    return target


def _allow_from_lock(root: Path, settings: ContractSettings) -> tuple[AllowEntry, ...]:
    lock = confined(root, settings.file, "`file` of [tool.asyncguard.contracts]")
    if not lock.is_file():
        return ()
    text = lock.read_bytes().decode("utf-8", "replace")
    return tuple(parse_contract(text, settings.file).allow)


def _show(value: object) -> str:
    if isinstance(value, frozenset | tuple | list):
        value = sorted(value) if isinstance(value, frozenset) else list(value)
        value = [v if isinstance(v, str) else {"code": v.code, "symbol": v.symbol, "reason": v.reason}
                 for v in value]
    return json.dumps(value, ensure_ascii=False)


_FROM_BASE = (
    "what the gate governs is read from the base branch, so this takes effect only once it has merged; "
    "approving this pull request approves it"
)


def setting_changes(
    base: ContractSettings,
    head: ContractSettings | None,
    head_error: str | None,
    base_allow: tuple[AllowEntry, ...],
    head_allow: tuple[AllowEntry, ...] | None,
    head_allow_error: str | None,
) -> list[SettingChange]:
    """The head's edits to the contract settings and to the allowlist: each one needs approval.

    An allow entry the head drops is not listed: the base's entries apply to this pull request, so
    dropping one cannot loosen the gate.
    """
    out: list[SettingChange] = []
    section = "[tool.asyncguard.contracts]"
    if head is None:
        out.append(SettingChange(section, f"the head's {section} cannot be used ({head_error}); the base "
                                 f"branch's settings were used; {_FROM_BASE}", "pyproject.toml", after="unreadable"))
    else:
        for f in fields(ContractSettings):
            old, new = getattr(base, f.name), getattr(head, f.name)
            if old != new:
                key = f.name.replace("_", "-")
                out.append(SettingChange(
                    f"{section} {key}",
                    f"the head changes `{key}` of {section} from {_show(old)} to {_show(new)}; {_FROM_BASE}",
                    "pyproject.toml", _show(old), _show(new),
                ))
    if head_allow is None:
        out.append(SettingChange(f"allow: {base.file}", f"the head's `allow:` list in {base.file} cannot be read "
                                 f"({head_allow_error}); {_FROM_BASE}", base.file, after="unreadable"))
        return out
    known = set(base_allow)
    for entry in head_allow:
        if entry not in known:
            out.append(SettingChange(
                f"allow: {entry.code} {entry.symbol}",
                f"the head adds an `allow:` entry for {entry.code} {entry.symbol} to {base.file} "
                f"(reason: {entry.reason}); {_FROM_BASE}",
                base.file, after=f"{entry.code} {entry.symbol}: {entry.reason}",
            ))
    return out


def _head_side(head_root: Path, base: ContractSettings) -> tuple[
    ContractSettings | None, str | None, tuple[AllowEntry, ...] | None, str | None
]:
    """The head's own settings and allowlist, for comparison only (never applied)."""
    try:
        head: ContractSettings | None = load_contract_settings(head_root)
        head_error = None
    except ContractError as exc:
        head, head_error = None, str(exc)
    try:
        return head, head_error, _allow_from_lock(head_root, base), None
    except ContractError as exc:
        return head, head_error, None, str(exc)


def governed_setting_changes(
    head_root: Path, settings: ContractSettings, base_allow: tuple[AllowEntry, ...]
) -> list[SettingChange]:
    """What the head edits in what the gate governs, compared with the base's `settings` and
    `base_allow`: the bot's PR runs and the local `contracts diff` share this, so both say the same."""
    head_settings, head_error, head_allow, head_allow_error = _head_side(head_root, settings)
    return setting_changes(settings, head_settings, head_error, base_allow, head_allow, head_allow_error)


def compare_trees(
    base_root: Path,
    head_root: Path,
    head_index: Any = None,
    changed_lines: Mapping[str, Any] | None = None,
    cache_dir: Path | None = None,
    analyze_head: bool = True,
) -> ContractDiff:
    """Contract diff base -> head, with call sites from the head index (built when not given).

    For PR runs: a file that does not parse (the analyzer reports it as AG000) leaves its module out
    of the comparison with a note in `diff.notes`, instead of failing the whole run.
    """
    base_root, head_root = Path(base_root), Path(head_root)
    # What is governed comes from the BASE: a pull request cannot loosen its own gate.
    settings = load_contract_settings(base_root)
    base_failed: dict[str, str] = {}
    head_failed: dict[str, str] = {}
    base = _extract(base_root, settings.packages, settings.exclude, cache_dir=cache_dir, failed=base_failed,
                    settings_from_tree=False)
    head = _extract(head_root, settings.packages, settings.exclude, cache_dir=cache_dir, failed=head_failed,
                    settings_from_tree=False)
    unreadable = {m: msg for m, msg in head_failed.items() if m not in base_failed}
    # a module the base cannot read has an unknown interface: not compared, on either side
    for module in base_failed:
        for contract in (base, head):
            for name in _owned_by(contract, module, base):
                del contract.symbols[name]
    # one the head made unreadable is gone as far as its callers know: everything it exported broke
    for module in unreadable:
        for name in _owned_by(head, module, base):
            del head.symbols[name]
    base_allow = _allow_from_lock(base_root, settings)
    diff = compare(base, head, settings.compare_config(base_allow))
    for change in diff.changes:
        owner = _owner(change.symbol, unreadable)
        if owner is not None:
            change.message += f" ({owner} cannot be read at head: {unreadable[owner]})"
    diff.setting_changes = governed_setting_changes(head_root, settings, base_allow)
    for sc in diff.setting_changes:
        diff.notes.append(f"governance: {sc.message}")
    for module, message in sorted(base_failed.items()):
        diff.notes.append(f"interface of {module} not compared (base: {message})")
    for module, message in sorted(unreadable.items()):
        diff.notes.append(f"{module} cannot be read at head ({message}): every name it exported counts as removed")
    if head_index is None and analyze_head and diff.breaking:
        head_index = _head_index(head_root, cache_dir)
    if head_index is not None:
        attach_impact(diff, head_index, changed_lines, head_root=head_root)
    return diff


def _module_names(*contracts: Contract) -> set[str]:
    return {q for c in contracts for q, s in c.symbols.items() if s.kind == "module"}


def _owner(qualname: str, modules: Mapping[str, object] | set[str]) -> str | None:
    """The innermost of `modules` whose namespace `qualname` is in (itself included)."""
    name = qualname
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _owned_by(contract: Contract, module: str, other: Contract) -> list[str]:
    """Names in `module`'s own namespace: not those of its submodules (`pkg.api.*` is not `pkg`'s)."""
    submodules = _module_names(contract, other) - {module}
    out = []
    for q in contract.symbols:
        if q != module and not q.startswith(module + "."):
            continue
        inner = _owner(q, submodules)
        if inner is None or not inner.startswith(module + "."):
            out.append(q)
    return out


def _head_index(head_root: Path, cache_dir: Path | None) -> Any:
    from asyncguard.rules.engine import analyze

    return analyze(head_root, files=[], cache_dir=cache_dir).index
