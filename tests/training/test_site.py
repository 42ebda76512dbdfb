"""The built site: every page there, every link and anchor resolving, search data complete."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from asyncguard.checks.links import rule_url
from asyncguard.checks.site import SiteError, build_site
from asyncguard.checks.training import kb_pages, render_markdown, rule_pages
from asyncguard.contracts.codes import CHANGE_CODES
from asyncguard.rules.registry import RULES


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        for key in ("href", "src"):
            if a.get(key) and not (tag == "link" and a.get("rel") == "canonical"):
                self.refs.append(str(a[key]))


def _parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_every_page_is_built(built_site: Path) -> None:
    for code in [*RULES, *CHANGE_CODES]:
        assert (built_site / "rules" / f"{code}.html").is_file(), code
    for page in kb_pages():
        assert (built_site / "kb" / f"{page.slug}.html").is_file()
    for name in ("index.html", "checklist.html", "search.js", "style.css", "search-index.json"):
        assert (built_site / name).is_file()


def test_every_link_and_anchor_resolves(built_site: Path) -> None:
    parsed = {p: _parse(p) for p in built_site.rglob("*.html")}
    checked, broken = 0, []
    for page, links in parsed.items():
        for ref in links.refs:
            parts = urlsplit(ref)
            assert not parts.scheme and not parts.netloc, f"{page.name}: external link {ref}"
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file() or built_site.resolve() not in target.parents:
                broken.append(f"{page.relative_to(built_site)} -> {ref}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed[Path(target)].ids if Path(target) in parsed else _parse(target).ids
                if parts.fragment not in ids:
                    broken.append(f"{page.relative_to(built_site)} -> {ref} (no such anchor)")
                    continue
            checked += 1
    assert not broken, broken
    assert checked > 500  # the nav, the index tables, the related-rule and KB links


def test_finding_links_land_on_built_pages(built_site: Path) -> None:
    for code in [*RULES, *CHANGE_CODES]:
        url = rule_url(code, base="https://bot.example.test/training")
        rel = url.removeprefix("https://bot.example.test/training/")
        assert (built_site / rel).is_file(), url


def test_rule_page_content(built_site: Path) -> None:
    html = (built_site / "rules" / "AG101.html").read_text()
    assert '<h2 id="why-it-breaks-at-run-time">' in html
    assert "RuntimeWarning: coroutine &#x27;fetch_user&#x27; was never awaited" in html
    assert '<figure class="example example-bad">' in html and '<figure class="example example-good">' in html
    assert 'href="AG109.html"' in html and 'href="../kb/sync-async-bridging.html"' in html
    assert '<link rel="canonical" href="https://bot.example.test/training/rules/AG101.html">' in html
    assert "--fix available" in html
    assert "off by default" in (built_site / "rules" / "AG113.html").read_text()


def test_search_index_covers_every_page(built_site: Path) -> None:
    data = json.loads((built_site / "search-index.json").read_text())
    assert {e["code"] for e in data if e["code"]} == set(RULES) | set(CHANGE_CODES)
    assert len(data) == len(rule_pages()) + len(kb_pages())
    ag101 = next(e for e in data if e["code"] == "AG101")
    assert ag101["url"] == "rules/AG101.html" and "await" in ag101["name"]
    js = (built_site / "search-index.js").read_text()
    assert js.startswith("window.ASYNCGUARD_SEARCH = [") and json.loads(js.split("= ", 1)[1].rstrip(";\n")) == data


def test_rebuild_replaces_and_refuses_foreign_folders(tmp_path: Path) -> None:
    out = build_site(tmp_path / "site")
    (out / "rules" / "STALE.html").write_text("old")
    build_site(out)
    assert not (out / "rules" / "STALE.html").exists()
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(SiteError, match="not empty"):
        build_site(foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"
    with pytest.raises(SiteError, match="not a folder"):
        build_site(foreign / "notes.txt")


def test_markdown_for_pr_comments_links_into_the_site(built_site: Path) -> None:
    base = "https://bot.example.test/training"
    for page in rule_pages():
        text = render_markdown(page.code, base)
        links = re.findall(r"\]\(([^)]+)\)", text)
        assert links[-1] == f"{base}/rules/{page.code}.html"
        for link in links:
            assert link.startswith(base + "/"), (page.code, link)
            path, _, frag = link.removeprefix(base + "/").partition("#")
            assert (built_site / path).is_file(), (page.code, link)
            if frag:
                assert f'id="{frag}"' in (built_site / path).read_text(), (page.code, link)
