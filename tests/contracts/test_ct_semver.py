"""Semver: the bump the changes need (with 0.x rules) and the check of the bump the PR makes."""

from __future__ import annotations

from pathlib import Path

import pytest
from ct_helpers import write_tree

from asyncguard.contracts.api import compare_trees
from asyncguard.contracts.model import Change
from asyncguard.contracts.semver import check_version, recommend_bump


def change(code: str, breaking: bool) -> Change:
    return Change(code=code, symbol="pkg.f", message="", breaking=breaking)


@pytest.mark.parametrize(
    ("codes", "version", "expected"),
    [
        ([], "1.2.3", "none"),
        ([("AG215", False)], "1.2.3", "patch"),
        ([("AG230", False)], "1.2.3", "minor"),
        ([("AG230", False), ("AG202", True)], "1.2.3", "major"),
        ([("AG202", True)], "0.4.1", "minor"),
        ([("AG230", False)], "0.4.1", "patch"),
        ([("AG202", True)], None, "major"),
    ],
)
def test_recommended_bump(codes: list[tuple[str, bool]], version: str | None, expected: str) -> None:
    assert recommend_bump([change(c, b) for c, b in codes], version) == expected


def test_version_check() -> None:
    assert check_version("1.2.3", "1.2.3", "major") is None  # the PR makes no bump: nothing to check
    too_small = check_version("1.2.3", "1.3.0", "major")
    assert too_small is not None and not too_small.ok and too_small.actual == "minor"
    assert "need a major bump" in too_small.message
    enough = check_version("1.2.3", "2.0.0", "major")
    assert enough is not None and enough.ok
    zero = check_version("0.4.1", "0.5.0", "minor")  # 0.x: the minor place carries breaking changes
    assert zero is not None and zero.ok
    zero_small = check_version("0.4.1", "0.4.2", "minor")
    assert zero_small is not None and not zero_small.ok
    backwards = check_version("1.2.3", "1.0.0", "patch")
    assert backwards is not None and not backwards.ok


def test_bump_checked_against_pyproject_of_both_trees(tmp_path: Path) -> None:
    write_tree(
        tmp_path / "base",
        {
            "pyproject.toml": '[project]\nname="p"\nversion="1.0.0"\n',
            "pkg/__init__.py": "def f():\n    pass\n",
        },
    )
    write_tree(
        tmp_path / "head",
        {
            "pyproject.toml": '[project]\nname="p"\nversion="1.1.0"\n',
            "pkg/__init__.py": "async def f():\n    pass\n",
        },
    )
    diff = compare_trees(tmp_path / "base", tmp_path / "head", analyze_head=False)
    assert diff.bump == "major"
    assert diff.version_check is not None and not diff.version_check.ok
    assert (diff.base_version, diff.head_version) == ("1.0.0", "1.1.0")
    assert diff.notes == [
        "version 1.0.0 -> 1.1.0 is a minor bump, too small: the interface changes need a major bump"
    ]
