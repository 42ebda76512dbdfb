"""Every rule and change code has a complete page that agrees with the code's registry entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncguard.checks.training import (
    Page,
    PageError,
    UnknownCode,
    kb_pages,
    load_page,
    parse_page,
    rule_pages,
    split_modules,
)
from asyncguard.contracts.codes import CHANGE_CODES
from asyncguard.rules.registry import RULES

RULE_SECTIONS = [
    "What it catches",
    "Why it breaks at run time",
    "Bad example",
    "Good example",
    "How to fix",
    "Related rules",
]
CONTRACT_SECTIONS = ["What changed", "Before", "After", "How to migrate", "Related rules"]
PAGES = rule_pages()


def test_a_page_for_every_code_and_nothing_else() -> None:
    assert {p.code for p in PAGES} == set(RULES) | set(CHANGE_CODES)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.code)
def test_front_matter_matches_the_registry(page: Page) -> None:
    m = page.meta
    assert page.path.stem == m["code"]
    if page.kind == "rule":
        rule = RULES[page.code]
        # `fixable` is checked against what the analyzer really does (test_examples_analyzer)
        assert (m["name"], m["summary"], m["severity"]) == (rule.name, rule.summary, rule.severity.value)
    else:
        cc = CHANGE_CODES[page.code]
        assert (m["name"], m["summary"], m["breaking"]) == (cc.name, cc.summary, cc.breaking)
    assert m["related"] and all(r in RULES or r in CHANGE_CODES for r in m["related"])
    assert page.code not in m["related"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.code)
def test_sections_in_order_and_non_empty(page: Page) -> None:
    wanted = RULE_SECTIONS if page.kind == "rule" else CONTRACT_SECTIONS
    present = [s for s in page.sections if s in wanted]
    assert present == wanted, list(page.sections)
    assert all(page.sections[s] for s in wanted)
    assert page.body.lstrip().startswith(f"# {page.code} {page.meta['name']}\n")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.code)
def test_examples_and_related_links(page: Page) -> None:
    titles = [e.title for e in page.examples]
    assert titles == (["bad", "good"] if page.kind == "rule" else ["before", "after"])
    related = page.sections["Related rules"]
    for code in page.meta["related"]:
        assert f"[{code}]({code}.md)" in related


@pytest.mark.parametrize("page", [p for p in PAGES if p.kind == "rule"], ids=lambda p: p.code)
def test_fix_section_tells_the_truth_about_fix(page: Page) -> None:
    how = page.sections["How to fix"]
    if page.meta["fixable"]:
        assert "`asyncguard check --fix`" in how
    else:
        assert "--fix" not in how or "No automatic fix" in how or "not fixed automatically" in how.lower()


def test_codes_are_case_insensitive_and_bad_codes_explain_themselves() -> None:
    assert load_page("ag101").code == "AG101"
    with pytest.raises(UnknownCode, match="no training page for AG999"):
        load_page("AG999")
    with pytest.raises(UnknownCode, match="neither a code"):
        load_page("../../etc/passwd")


def test_broken_front_matter_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "AG101.md"
    bad.write_text("# no front matter\n")
    with pytest.raises(PageError, match="missing YAML front matter"):
        parse_page(bad, "rule")
    bad.write_text("---\ncode: [unclosed\n---\nbody\n")
    with pytest.raises(PageError, match="bad front matter"):
        parse_page(bad, "rule")
    bad.write_bytes(b"---\n\xff\xfe\n---\n")
    with pytest.raises(PageError, match="cannot read"):
        parse_page(bad, "rule")


def test_split_modules() -> None:
    assert split_modules("x = 1\n") == {"example.py": "x = 1\n"}
    files = split_modules("# file: a/b.py\nimport c\n# file: main.py\nprint(1)\n")
    assert files == {"a/b.py": "import c\n", "main.py": "print(1)\n"}


def test_knowledge_base_covers_the_required_topics() -> None:
    pages = {p.slug: p for p in kb_pages()}
    assert set(pages) == {
        "decision-tree",
        "sync-async-bridging",
        "executors-and-to-thread",
        "tasks-and-cancellation",
        "async-context-managers-and-iterators",
        "websocket-handlers",
        "database-sessions",
        "interface-design",
    }
    assert [p.meta["order"] for p in kb_pages()] == sorted(p.meta["order"] for p in pages.values())
    for page in pages.values():
        assert page.summary and page.body.lstrip().startswith(f"# {page.title}\n"), page.slug
    design = pages["interface-design"].body
    assert "Naming" in pages["interface-design"].sections and "deprecation shim" in design.lower()
