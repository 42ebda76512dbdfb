"""Examples are executable truth for the analyzer too.

Every bad example makes the analyzer fire exactly its page's rule (all rules enabled, opt-in ones
included); every good example makes it fire nothing. Contract pages: comparing the `before` tree
with the `after` tree reports the page's change code, with the page's breaking-ness.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncguard.checks.config import Settings
from asyncguard.checks.fixer import apply_fixes
from asyncguard.checks.pipeline import run_check
from asyncguard.checks.training import Example, Page, kb_pages, rule_pages
from asyncguard.rules.engine import RuleConfig, analyze
from asyncguard.rules.model import Finding
from asyncguard.rules.registry import RULES

ALL_RULES = RuleConfig(select=frozenset(RULES))
# codes the checks pipeline adds on top of the analyzer: its pages are checked through it
PIPELINE_CODES = frozenset({"AG001"})


def _findings(root: Path) -> list[Finding]:
    """The analyzer's findings with every rule on, plus the pipeline's own (AG001)."""
    found = list(analyze(root, config=ALL_RULES).findings)
    report = run_check(root, [root], Settings(select=frozenset(RULES)), use_cache=False)
    return sorted({*found, *(f for f in report.findings if f.code in PIPELINE_CODES)}, key=lambda f: f.sort_key)
RULE_PAGES = [p for p in rule_pages() if p.kind == "rule"]
CONTRACT_PAGES = [p for p in rule_pages() if p.kind == "contract"]


def _codes(example: Example, root: Path) -> list[tuple[str, str, int, str]]:
    root.mkdir(parents=True, exist_ok=True)
    example.write(root)
    return [(f.code, f.path, f.line, f.message) for f in _findings(root)]


def test_every_rule_has_a_page() -> None:
    assert {p.code for p in RULE_PAGES} == set(RULES)


@pytest.mark.parametrize("page", RULE_PAGES, ids=lambda p: p.code)
def test_bad_example_fires_exactly_its_rule(page: Page, tmp_path: Path) -> None:
    found = _codes(page.example("bad"), tmp_path)
    assert found, f"{page.code}: the bad example produced no finding"
    assert {c for c, *_ in found} == {page.code}, found


@pytest.mark.parametrize("page", RULE_PAGES, ids=lambda p: p.code)
def test_good_example_is_clean(page: Page, tmp_path: Path) -> None:
    assert _codes(page.example("good"), tmp_path) == []


@pytest.mark.parametrize("page", CONTRACT_PAGES, ids=lambda p: p.code)
def test_contract_example_reports_its_change(page: Page, tmp_path: Path) -> None:
    from asyncguard.contracts.api import compare_trees

    before, after = page.example("before"), page.example("after")
    (tmp_path / "base").mkdir()
    (tmp_path / "head").mkdir()
    before.write(tmp_path / "base")
    Example("after", {**before.files, **after.files}).write(tmp_path / "head")
    diff = compare_trees(tmp_path / "base", tmp_path / "head")
    changes = [(c.code, c.symbol, c.breaking) for c in diff.changes]
    if page.meta.get("reported", True) is False:
        # the page says the code is reserved and what is reported instead: hold it to both claims
        assert page.code not in {c for c, _, _ in changes}, f"{page.code} is reported now: update its page"
        assert not any(b for _, _, b in changes) and {"AG230"} <= {c for c, _, _ in changes}, changes
        return
    assert page.code in {c for c, _, _ in changes}, f"{page.code} not reported by compare_trees: {changes}"
    assert all(b == page.meta["breaking"] for c, _, b in changes if c == page.code), changes


KB_EXAMPLES = [(p, ex) for p in kb_pages() for ex in p.examples]


@pytest.mark.parametrize("page,example", KB_EXAMPLES, ids=lambda v: getattr(v, "slug", ""))
def test_kb_examples_are_clean(page: Page, example: Example, tmp_path: Path) -> None:
    assert _codes(example, tmp_path) == []


@pytest.mark.parametrize("page", RULE_PAGES, ids=lambda p: p.code)
def test_fixable_is_what_fix_really_does(page: Page, tmp_path: Path) -> None:
    """A page that says `--fix` repairs its bad example: applying the fixes yields its good example."""
    bad, good = page.example("bad"), page.example("good")
    bad.write(tmp_path)
    findings = _findings(tmp_path)
    fixable = any(f.fix is not None and f.fix.safe for f in findings)
    assert fixable == page.meta["fixable"], [(f.code, f.fix) for f in findings]
    if not fixable:
        return
    result = apply_fixes(tmp_path, findings)
    assert result.fixed >= 1 and not result.skipped, result
    for rel, source in good.files.items():
        assert (tmp_path / rel).read_text(encoding="utf-8") == source, rel
    assert _findings(tmp_path) == []
