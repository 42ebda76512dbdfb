"""Extraction is static and follows the public surface: __all__, re-exports, shims, inheritance."""

from __future__ import annotations

from pathlib import Path

import pytest
from ct_helpers import write_tree

from asyncguard.contracts.extract import extract
from asyncguard.contracts.model import ContractError


def test_user_code_is_never_imported(tmp_path: Path) -> None:
    marker = tmp_path / "imported.marker"
    write_tree(
        tmp_path,
        {
            "pkg/__init__.py": f"open({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)\n\ndef api():\n    pass\n",
        },
    )
    contract = extract(tmp_path)
    assert "pkg.api" in contract.symbols
    assert not marker.exists()


def test_unparsable_file_is_one_clear_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pkg/__init__.py": "", "pkg/bad.py": "def f(:\n    pass\n"})
    with pytest.raises(ContractError, match=r"^pkg/bad\.py:1: cannot parse"):
        extract(tmp_path)


def test_tests_docs_and_setup_are_not_interface(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "src/pkg/__init__.py": "def api():\n    pass\n",
            "tests/test_pkg.py": "def test_x():\n    pass\n",
            "docs/conf.py": "project = 'x'\n",
            "setup.py": "def build():\n    pass\n",
        },
    )
    assert sorted(extract(tmp_path).symbols) == ["pkg", "pkg.api"]


def test_public_surface_rules(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pkg/__init__.py": (
                "from typing import TYPE_CHECKING\n"
                "from pkg._impl import Engine as Engine\n"
                "from pkg import helpers\n"
                "if TYPE_CHECKING:\n    from pkg._impl import Typed\n"
                "__all__ = ['Engine', 'Typed', 'helpers', 'run']\n"
                "def run():\n    pass\n"
                "def not_listed():\n    pass\n"
            ),
            "pkg/_impl.py": (
                "from typing import overload\n"
                "class _Base:\n    async def close(self) -> None:\n        pass\n    def _secret(self):\n        pass\n"
                "class Engine(_Base):\n"
                "    def __init__(self, url):\n        pass\n"
                "    async def __aenter__(self):\n        return self\n"
                "    @overload\n    def get(self, k: int) -> int: ...\n"
                "    @overload\n    def get(self, k: str) -> str: ...\n"
                "    def get(self, k):\n        return k\n"
                "    @property\n    def name(self) -> str:\n        return ''\n"
                "    @name.setter\n    def name(self, value: str) -> None:\n        pass\n"
                "class Typed:\n    pass\n"
            ),
            "pkg/helpers.py": "import os\nfrom pkg._impl import Engine\n\ndef util():\n    pass\n",
        },
    )
    symbols = extract(tmp_path).symbols
    assert "pkg.not_listed" not in symbols  # __all__ decides
    assert "pkg.Typed" in symbols  # TYPE_CHECKING re-export
    assert "pkg._impl" not in symbols and "pkg._impl.Engine" not in symbols
    assert symbols["pkg.Engine"].defined_in == "pkg._impl.Engine"
    assert symbols["pkg.Engine.close"].is_async  # inherited from a private base
    assert "pkg.Engine._secret" not in symbols
    assert symbols["pkg.Engine.__aenter__"].is_async and "pkg.Engine.__init__" in symbols
    get = symbols["pkg.Engine.get"]
    assert "overload" not in get.decorators and [p.annotation for p in get.params] == [None, None]
    assert (
        symbols["pkg.Engine.name"].decorators == ("property",) and symbols["pkg.Engine.name"].returns == "str"
    )
    assert "pkg.helpers.util" in symbols
    assert (
        "pkg.helpers.Engine" not in symbols and "pkg.helpers.os" not in symbols
    )  # plain imports of a module


def test_cache_reuses_summaries_by_content(tmp_path: Path) -> None:
    write_tree(tmp_path / "p", {"pkg/__init__.py": "def f():\n    pass\n"})
    cache = tmp_path / "cache"
    first = extract(tmp_path / "p", cache_dir=cache)
    entries = list(cache.rglob("*.pickle"))
    assert len(entries) == 1
    second = extract(tmp_path / "p", cache_dir=cache)
    assert first.symbols.keys() == second.symbols.keys()
    write_tree(tmp_path / "p", {"pkg/__init__.py": "async def f():\n    pass\n"})
    third = extract(tmp_path / "p", cache_dir=cache)
    assert third.symbols["pkg.f"].is_async and len(list(cache.rglob("*.pickle"))) == 2


def test_source_encodings(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_bytes(
        "# -*- coding: latin-1 -*-\ndef café():\n    return 'é'\n".encode("latin-1")
    )
    assert "pkg.café" in extract(tmp_path).symbols
    (tmp_path / "pkg" / "__init__.py").write_bytes(b"def f():\n    return '\xff\xfe'\n")
    with pytest.raises(ContractError, match=r"^pkg/__init__\.py: cannot parse: not UTF-8"):
        extract(tmp_path)
