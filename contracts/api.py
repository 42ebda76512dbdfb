"""The contracts API other packages use (checks/, bot/): extract, lock, compare, impact, guide.

contracts/ is pure: no GitHub, no imports of checks/ or bot/. It reads the analyzer's index from
rules/ only to find call sites.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncguard.contracts.compare import CompareConfig, compare
from asyncguard.contracts.extract import extract as _extract
from asyncguard.contracts.extract import read_project_config
from asyncguard.contracts.findings import diff_findings
from asyncguard.contracts.guide import render_changelog, render_migration_guide
from asyncguard.contracts.impact import attach_impact
from asyncguard.contracts.model import AllowEntry, Contract, ContractDiff, ContractError
from asyncguard.contracts.store import DEFAULT_FILE, load_contract, parse_allow, write_contract

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
    source = f"{Path(root) / 'pyproject.toml'} [tool.asyncguard.contracts]"
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


def _allow_from_lock(root: Path, settings: ContractSettings) -> tuple[AllowEntry, ...]:
    lock = Path(root) / settings.file
    if not lock.is_file():
        return ()
    return tuple(load_contract(lock).allow)


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
    settings = load_contract_settings(head_root)
    failed: dict[str, str] = {}
    base = _extract(base_root, settings.packages, settings.exclude, cache_dir=cache_dir, failed=failed)
    base_failed = set(failed)
    head = _extract(head_root, settings.packages, settings.exclude, cache_dir=cache_dir, failed=failed)
    # a module that does not parse on either side is not compared (its interface is unknown, not gone)
    for module in failed:
        for contract in (base, head):
            for name in [q for q in contract.symbols if q == module or q.startswith(module + ".")]:
                del contract.symbols[name]
    allow = _allow_from_lock(base_root, settings) + _allow_from_lock(head_root, settings)
    diff = compare(base, head, settings.compare_config(allow))
    for module, message in sorted(failed.items()):
        side = "base" if module in base_failed else "head"
        diff.notes.append(f"interface of {module} not compared ({side}: {message})")
    if head_index is None and analyze_head and diff.breaking:
        head_index = _head_index(head_root, cache_dir)
    if head_index is not None:
        attach_impact(diff, head_index, changed_lines, head_root=head_root)
    return diff


def _head_index(head_root: Path, cache_dir: Path | None) -> Any:
    from asyncguard.rules.engine import analyze

    return analyze(head_root, files=[], cache_dir=cache_dir).index
