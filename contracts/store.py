"""The contract file: stable YAML, one entry per public name, committed to the user's repository.

Entries are sorted; a re-export of a symbol that has its own entry is written as `alias_of`, so
the file stays short and a PR diff of it reads as "what changed in the interface". Line numbers are
left out on purpose: moving code must not change the file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, get_args

import yaml

from asyncguard.contracts.codes import CHANGE_CODES
from asyncguard.contracts.model import (
    FORMAT_VERSION,
    AllowEntry,
    Contract,
    ContractError,
    DynamicName,
    Param,
    ParamKind,
    Symbol,
    SymbolKind,
)

DEFAULT_FILE = "asyncguard.contracts.yaml"
HEADER = (
    "# asyncguard contract: the public interface of this project, checked in CI.\n"
    "# Regenerate with `asyncguard contracts generate`; approve an intended break under `allow:`.\n"
)
_PARAM_KINDS = frozenset(get_args(ParamKind))
_SYMBOL_KINDS = frozenset(get_args(SymbolKind))


def dump_contract(contract: Contract) -> str:
    """The file's text (deterministic: same contract, same bytes)."""
    by_definition: dict[str, str] = {}
    for qualname, symbol in contract.symbols.items():
        if symbol.kind != "module" and symbol.defined_in == qualname:
            by_definition[qualname] = qualname
    symbols: dict[str, Any] = {}
    for qualname in sorted(contract.symbols):
        symbol = contract.symbols[qualname]
        canonical = by_definition.get(symbol.defined_in)
        if (
            canonical is not None
            and canonical != qualname
            and _same_shape(contract.symbols[canonical], symbol)
        ):
            symbols[qualname] = {"alias_of": canonical}
        else:
            symbols[qualname] = _symbol_to_data(symbol)
    data: dict[str, Any] = {"format": contract.format_version}
    if contract.version:
        data["version"] = contract.version
    data["allow"] = [{"code": a.code, "symbol": a.symbol, "reason": a.reason} for a in contract.allow]
    data["symbols"] = symbols
    if contract.dynamic:
        data["dynamic"] = {
            q: {k: v for k, v in (("deprecated", d.deprecated), ("target", d.target)) if v is not None}
            for q, d in sorted(contract.dynamic.items())
        }
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=1_000_000, allow_unicode=True)
    return HEADER + body


def _same_shape(a: Symbol, b: Symbol) -> bool:
    return a.shape() == b.shape() and a.kind == b.kind


def _symbol_to_data(symbol: Symbol) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": symbol.kind}
    if symbol.is_async:
        out["async"] = True
    if symbol.returns_awaitable:
        out["returns_awaitable"] = True
    if symbol.is_generator:
        out["generator"] = True
    if symbol.is_async_generator:
        out["async_generator"] = True
    if symbol.kind in ("function", "method"):
        out["params"] = [_param_to_data(p) for p in symbol.params]
    if symbol.returns is not None:
        out["returns"] = symbol.returns
    if symbol.returns_value is not None:
        out["returns_value"] = symbol.returns_value
    if symbol.decorators:
        out["decorators"] = list(symbol.decorators)
    if symbol.bases:
        out["bases"] = list(symbol.bases)
    if symbol.deprecated:
        out["deprecated"] = True
    if symbol.defined_in and symbol.defined_in != symbol.qualname:
        out["defined_in"] = symbol.defined_in
    if symbol.path:
        out["path"] = symbol.path
    return out


def _param_to_data(p: Param) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name, "kind": p.kind}
    if p.annotation is not None:
        out["annotation"] = p.annotation
    if p.default is not None:
        out["default"] = p.default
    if p.default_value is not None:
        out["default_value"] = p.default_value
    if p.annotation_value is not None:
        out["annotation_value"] = p.annotation_value
    return out


def write_contract(contract: Contract, path: Path) -> None:
    """Write atomically (temp file in the same directory, then os.replace): never half a file."""
    write_text_atomic(path, dump_contract(contract))


def write_text_atomic(path: Path, text: str) -> None:
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ContractError(f"{path}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_contract(path: Path) -> Contract:
    """Read and validate a contract file; any problem is a ContractError with one clear line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError(f"{path}: contract file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"{path}: cannot read contract file: {exc}") from None
    return parse_contract(text, str(path))


def parse_contract(text: str, source: str = "contract") -> Contract:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ContractError(f"{source}{where}: malformed contract file: {problem}") from None
    if not isinstance(data, dict):
        raise ContractError(f"{source}: malformed contract file: expected a mapping at the top")
    version = data.get("format")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ContractError(f"{source}: malformed contract file: missing integer `format`")
    if version > FORMAT_VERSION:
        raise ContractError(
            f"{source}: contract format {version} is newer than this asyncguard reads ({FORMAT_VERSION}); upgrade asyncguard"
        )
    if version < 1:
        raise ContractError(f"{source}: malformed contract file: unknown format {version}")
    raw_symbols = data.get("symbols") or {}
    if not isinstance(raw_symbols, dict):
        raise ContractError(f"{source}: malformed contract file: `symbols` must be a mapping")
    symbols: dict[str, Symbol] = {}
    aliases: dict[str, str] = {}
    for qualname, entry in raw_symbols.items():
        if not isinstance(qualname, str) or not isinstance(entry, dict):
            raise ContractError(f"{source}: malformed entry {qualname!r}: expected a mapping")
        if "alias_of" in entry:
            aliases[qualname] = str(entry["alias_of"])
            continue
        symbols[qualname] = _symbol_from_data(qualname, entry, source)
    for qualname, target in aliases.items():
        if target not in symbols:
            raise ContractError(f"{source}: entry {qualname!r} is an alias of unknown {target!r}")
        original = symbols[target]
        symbols[qualname] = Symbol(**{**original.__dict__, "qualname": qualname})
    return Contract(
        symbols=dict(sorted(symbols.items())),
        dynamic=_dynamic_from_data(data.get("dynamic"), source),
        allow=parse_allow(data.get("allow"), source),
        version=str(data["version"]) if data.get("version") is not None else None,
        format_version=version,
    )


def _symbol_from_data(qualname: str, entry: dict[str, Any], source: str) -> Symbol:
    kind: SymbolKind = entry.get("kind")  # type: ignore[assignment]
    if kind not in _SYMBOL_KINDS:
        raise ContractError(f"{source}: entry {qualname!r}: unknown kind {kind!r}")
    raw_params = entry.get("params") or []
    if not isinstance(raw_params, list):
        raise ContractError(f"{source}: entry {qualname!r}: `params` must be a list")
    params: list[Param] = []
    for raw in raw_params:
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("name"), str)
            or raw.get("kind") not in _PARAM_KINDS
        ):
            raise ContractError(f"{source}: entry {qualname!r}: malformed parameter {raw!r}")
        params.append(
            Param(
                name=raw["name"],
                kind=raw["kind"],
                default=_opt_str(raw.get("default")),
                annotation=_opt_str(raw.get("annotation")),
                default_value=_opt_str(raw.get("default_value")),
                annotation_value=_opt_str(raw.get("annotation_value")),
            )
        )
    return Symbol(
        qualname=qualname,
        kind=kind,
        is_async=bool(entry.get("async", False)),
        is_generator=bool(entry.get("generator", False)),
        returns_awaitable=bool(entry.get("returns_awaitable", False)),
        is_async_generator=bool(entry.get("async_generator", False)),
        params=tuple(params),
        returns=_opt_str(entry.get("returns")),
        returns_value=_opt_str(entry.get("returns_value")),
        decorators=tuple(str(d) for d in entry.get("decorators") or ()),
        bases=tuple(str(b) for b in entry.get("bases") or ()),
        deprecated=bool(entry.get("deprecated", False)),
        defined_in=str(entry.get("defined_in") or qualname),
        path=str(entry.get("path") or ""),
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _dynamic_from_data(raw: Any, source: str) -> dict[str, DynamicName]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ContractError(f"{source}: malformed contract file: `dynamic` must be a mapping")
    out: dict[str, DynamicName] = {}
    for qualname, entry in raw.items():
        entry = entry if isinstance(entry, dict) else {}
        out[str(qualname)] = DynamicName(
            str(qualname), bool(entry.get("deprecated")), _opt_str(entry.get("target"))
        )
    return out


def parse_allow(raw: Any, source: str) -> list[AllowEntry]:
    """`allow:` entries: each needs a change code, a symbol and a reason (an approval says why)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ContractError(f"{source}: `allow` must be a list of {{code, symbol, reason}}")
    out: list[AllowEntry] = []
    for item in raw:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("code", "symbol", "reason")
        ):
            raise ContractError(f"{source}: allow entry {item!r} needs string `code`, `symbol` and `reason`")
        if not item["reason"].strip():
            raise ContractError(f"{source}: allow entry for {item['symbol']} needs a non-empty reason")
        if item["code"] not in CHANGE_CODES:
            raise ContractError(
                f"{source}: allow entry for {item['symbol']} names unknown change code {item['code']!r}"
            )
        out.append(AllowEntry(item["code"], item["symbol"], item["reason"]))
    return out
