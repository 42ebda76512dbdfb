"""interface_paths globs, governed breaking changes and their fingerprint."""

from __future__ import annotations

from asyncguard.bot.governance.changes import NO_CHANGES, fingerprint, governed_changes
from asyncguard.bot.governance.globs import path_matches
from asyncguard.bot.governance.repo_config import Governance
from asyncguard.contracts.model import Change, ContractDiff, ImpactSite


def test_globs() -> None:
    assert path_matches("src/api/client.py", ["src/api/**"])
    assert path_matches("src/api/deep/x.py", ["src/api/**"])
    assert not path_matches("src/other/x.py", ["src/api/**"])
    assert path_matches("src/x.py", ["src/*.py"]) and not path_matches("src/deep/x.py", ["src/*.py"])
    assert path_matches("pkg/mod.py", ["**/mod.py"]) and path_matches("mod.py", ["**/mod.py"])
    assert path_matches("anything.py", [])
    assert path_matches("./src/api/a.py", ["src/api/"])


def _diff() -> ContractDiff:
    return ContractDiff(changes=[
        Change("AG202", "pkg.api.fetch", "became async", True, path="src/api/fetch.py", line=3,
               before="def fetch(url)", after="async def fetch(url)",
               call_sites=[ImpactSite("app.py", 9, 5, "old-style"), ImpactSite("b.py", 2, 1, "updated")]),
        Change("AG206", "pkg.util.helper", "param removed", True, path="src/util.py", line=1),
        Change("AG230", "pkg.api.new", "added", False, path="src/api/new.py"),
        Change("AG201", "pkg.api.gone", "removed", True, path="src/api/gone.py", allowed=True),
    ])


def test_governed_changes_filter_paths_allowlist_and_compatible() -> None:
    all_paths = governed_changes(_diff(), Governance())
    assert [c["symbol"] for c in all_paths] == ["pkg.api.fetch", "pkg.util.helper"]
    api_only = governed_changes(_diff(), Governance(interface_paths=("src/api/**",)))
    assert [c["code"] for c in api_only] == ["AG202"]
    assert api_only[0]["call_sites"][0] == {"path": "app.py", "line": 9, "column": 5, "status": "old-style"}
    assert governed_changes(None, Governance()) == []


def test_fingerprint_ignores_positions_and_call_sites() -> None:
    a = governed_changes(_diff(), Governance())
    moved = [dict(c, line=c["line"] + 40, call_sites=[]) for c in a]
    assert fingerprint(a) == fingerprint(moved)
    flipped = [dict(a[0], after="async def fetch(url, *, timeout)"), a[1]]
    assert fingerprint(flipped) != fingerprint(a)
    assert fingerprint([]) == NO_CHANGES
