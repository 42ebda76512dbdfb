"""The contract file: stable bytes, round trip, clear errors for newer or malformed files, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ct_helpers import write_tree

from asyncguard.contracts.compare import compare
from asyncguard.contracts.extract import extract
from asyncguard.contracts.model import FORMAT_VERSION, AllowEntry, ContractError
from asyncguard.contracts.store import dump_contract, load_contract, parse_contract, write_contract

PROJECT = {
    "pyproject.toml": '[project]\nname = "pkg"\nversion = "1.4.0"\n',
    "pkg/__init__.py": "from pkg.api import Client, fetch\n__all__ = ['Client', 'fetch']\n",
    "pkg/api.py": (
        "from typing import Optional\n\n"
        "async def fetch(url: str, /, retries: int = 3, *args, timeout: Optional[float] = None, **kw) -> bytes:\n"
        "    return b''\n\n"
        "class Client(object):\n"
        "    @property\n    def closed(self) -> bool:\n        return False\n"
        "    @classmethod\n    def create(cls):\n        return cls()\n"
        "    async def stream(self):\n        yield 1\n"
    ),
}


def test_round_trip_keeps_every_detail(tmp_path: Path) -> None:
    write_tree(tmp_path, PROJECT)
    contract = extract(tmp_path)
    loaded = parse_contract(dump_contract(contract))
    assert compare(contract, loaded).changes == []
    fetch = loaded.symbols["pkg.fetch"]
    assert fetch.is_async and fetch.defined_in == "pkg.api.fetch" and fetch.returns == "bytes"
    assert [(p.name, p.kind, p.default) for p in fetch.params] == [
        ("url", "positional_only", None),
        ("retries", "positional_or_keyword", "3"),
        ("args", "var_positional", None),
        ("timeout", "keyword_only", "None"),
        ("kw", "var_keyword", None),
    ]
    assert loaded.symbols["pkg.Client.stream"].is_async_generator
    assert loaded.symbols["pkg.Client.closed"].decorators == ("property",)
    assert loaded.version == "1.4.0"


def test_file_is_sorted_stable_and_aliases_point_at_definitions(tmp_path: Path) -> None:
    write_tree(tmp_path, PROJECT)
    first = dump_contract(extract(tmp_path))
    second = dump_contract(extract(tmp_path))
    assert first == second
    assert "pkg.fetch: {alias_of: pkg.api.fetch}" in first
    keys = [line.split(":")[0].strip() for line in first.splitlines() if line.startswith("  pkg")]
    assert keys == sorted(keys)
    assert first.count("\n") < 80  # one short entry per symbol, readable in a PR diff


def test_newer_format_is_refused_with_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"format: {FORMAT_VERSION + 1}\nsymbols: {{}}\n")
    with pytest.raises(ContractError, match=r"newer than this asyncguard reads") as info:
        load_contract(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("format: 1\nsymbols: [\n", r"c\.yaml:\d+: malformed contract file"),
        ("- just\n- a list\n", "expected a mapping"),
        ("symbols: {}\n", "missing integer `format`"),
        ("format: 1\nsymbols:\n  pkg.f: {kind: lambda}\n", "unknown kind"),
        ("format: 1\nsymbols:\n  pkg.f: {alias_of: pkg.g}\n", "alias of unknown"),
        (
            "format: 1\nallow:\n  - {code: AG202, symbol: pkg.f}\n",
            "needs string `code`, `symbol` and `reason`",
        ),
        ("format: 1\nallow:\n  - {code: AG999, symbol: pkg.f, reason: x}\n", "unknown change code 'AG999'"),
        ("format: 1\nallow:\n  - {code: AG202, symbol: pkg.f, reason: ' '}\n", "needs a non-empty reason"),
    ],
)
def test_malformed_files_are_clear_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ContractError, match=expected):
        load_contract(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="contract file not found"):
        load_contract(tmp_path / "nope.yaml")


def test_allow_entries_round_trip(tmp_path: Path) -> None:
    write_tree(tmp_path, PROJECT)
    contract = extract(tmp_path)
    contract.allow = [AllowEntry("AG202", "pkg.api.fetch", "approved in review #7")]
    assert parse_contract(dump_contract(contract)).allow == contract.allow


def test_write_is_atomic_when_the_write_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, PROJECT)
    target = tmp_path / "asyncguard.contracts.yaml"
    target.write_text("previous content\n")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        write_contract(extract(tmp_path), target)
    assert target.read_text() == "previous content\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".asyncguard")) == []
