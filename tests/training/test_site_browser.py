"""The training site in a real headless Chromium, served over HTTP on loopback under /training/.

Pages load without failed requests, missing assets or script errors; search finds AG101 from
"await"; a screenshot of a rule page goes to bench/out/training-AG101.png for the notes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import ARGS, CHROMIUM, PageWatch
from playwright.sync_api import Browser, sync_playwright

from asyncguard.checks.training import kb_pages

pytestmark = pytest.mark.browser  # deselected, and listed, where Chromium cannot be installed

SCREENSHOT = Path(__file__).resolve().parents[2] / "bench" / "out" / "training-AG101.png"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def test_pages_load_with_every_asset(browser: Browser, site_url: str) -> None:
    page = browser.new_page()
    watch = PageWatch(page)
    paths = ["index.html", "checklist.html", "rules/AG101.html", "rules/AG113.html", "rules/AG202.html"]
    paths += [f"kb/{p.slug}.html" for p in kb_pages()]
    for rel in paths:
        response = page.goto(site_url + rel)
        assert response is not None and response.status == 200, rel
        assert page.title().endswith("asyncguard training"), rel
        # the stylesheet really applied: the header is laid out as flex
        assert page.eval_on_selector("header.top", "e => getComputedStyle(e).display") == "flex", rel
    assert not watch.problems, watch.problems
    assert all(u.startswith(site_url) for u in watch.requests), "the site must not fetch anything remote"
    assert any(u.endswith("/style.css") for u in watch.requests)
    assert any(u.endswith("/search-index.js") for u in watch.requests)
    page.close()


def test_search_await_finds_ag101_and_navigates(browser: Browser, site_url: str) -> None:
    page = browser.new_page()
    watch = PageWatch(page)
    page.goto(site_url + "kb/decision-tree.html")  # a page one folder down: result links must still resolve
    page.fill("#search", "await")
    page.wait_for_selector("#search-results:not([hidden]) a")
    titles = page.eval_on_selector_all("#search-results a", "els => els.map(e => e.textContent)")
    assert titles[0] == "AG101 missing-await", titles
    assert "AG102 await-non-awaitable" in titles
    page.click("#search-results a >> nth=0")
    page.wait_for_url("**/training/rules/AG101.html")
    assert page.inner_text("h1") == "AG101 missing-await"
    assert not watch.problems, watch.problems
    page.close()


def test_search_by_code_word_and_nothing(browser: Browser, site_url: str) -> None:
    page = browser.new_page()
    page.goto(site_url + "index.html")
    page.fill("#search", "ag205")
    page.wait_for_selector("#search-results a")
    assert page.inner_text("#search-results a >> nth=0") == "AG205 async-generator-to-generator"
    page.fill("#search", "websocket")
    page.wait_for_selector("#search-results a")
    titles = page.eval_on_selector_all("#search-results a", "els => els.map(e => e.textContent)")
    assert "WebSocket handlers" in titles
    page.fill("#search", "zzzqqq")
    page.wait_for_selector("#search-results li.none")
    page.fill("#search", "")
    assert page.eval_on_selector("#search-results", "e => e.hidden") is True
    page.goto(site_url + "index.html?q=cancellation")
    page.wait_for_selector("#search-results a")
    assert "Tasks and cancellation" in page.inner_text("#search-results")
    page.close()


def test_screenshot_of_a_rule_page(browser: Browser, site_url: str) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(site_url + "rules/AG101.html")
    assert page.is_visible("figure.example-bad") and page.is_visible("figure.example-good")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    data = SCREENSHOT.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
    page.close()


def test_site_works_from_disk(browser: Browser, built_site: Path) -> None:
    """`training build` users open site/index.html straight from disk: search must work there too."""
    page = browser.new_page()
    watch = PageWatch(page)
    page.goto((built_site / "index.html").as_uri())
    page.fill("#search", "await")
    page.wait_for_selector("#search-results a")
    page.click("#search-results a >> nth=0")
    page.wait_for_url("**/rules/AG101.html")
    assert page.inner_text("h1") == "AG101 missing-await"
    assert not watch.problems, watch.problems
    page.close()
