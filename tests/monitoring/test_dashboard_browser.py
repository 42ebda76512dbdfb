"""The dashboard in a real headless Chromium, served by the real bot on loopback.

Pages load with no failed request and no console error, nothing is fetched from elsewhere, the
charts hold what the store holds, and every way in without authorization is refused (leaking nothing).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from browser import ARGS, CHROMIUM, PageWatch
from fakegithub import FakeGitHub
from fakegithub.monitoring_routes import mon
from playwright.async_api import Browser, async_playwright

from asyncguard.bot.monitoring import metrics

from .seed import REPOS, seed

pytestmark = pytest.mark.browser  # deselected, and listed, where Chromium cannot be installed

TOKEN = "dashboard-token-0123456789abcdef"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
async def bot(fake_github: FakeGitHub, start_bot: Callable[..., Awaitable[Any]]) -> Any:
    st = mon(fake_github)
    server = await start_bot(dashboard_token=TOKEN, oauth_client_id=st.client_id,
                             oauth_client_secret=st.client_secret, github_web_url=fake_github.url)
    await seed(server.ctx.monitoring_store(), server.ctx.governance_store())
    return server


async def test_pages_load_cleanly_and_charts_hold_the_stored_data(browser: Browser, bot: Any) -> None:
    ctx = await browser.new_context(extra_http_headers={"Authorization": f"Bearer {TOKEN}"})
    page = await ctx.new_page()
    watch = PageWatch(page, console_levels=("error", "warning"))
    for query in ("", "?days=90", "?repo=octo%2Fshop&days=30", "?repo=acme%2Fledger&days=365"):
        resp = await page.goto(f"{bot.url}/dashboard/{query}")
        assert resp is not None and resp.status == 200, query
        assert await page.eval_on_selector("header.top", "e => getComputedStyle(e).display") == "flex"
    assert not watch.problems, watch.problems
    assert all(u.startswith(bot.url) for u in watch.requests), "the dashboard must not fetch anything remote"

    await page.goto(f"{bot.url}/dashboard/?repo=octo%2Fshop&days=30")
    runs = await bot.ctx.monitoring_store().runs(repo="octo/shop")
    expected = metrics.findings_per_rule(runs, "week")
    drawn = await page.eval_on_selector_all(
        "#chart-findings g.series",
        "gs => gs.map(g => [g.dataset.series, [...g.querySelectorAll('circle')].map(c => +c.dataset.y)])")
    assert {name: ys for name, ys in drawn} == {rule: [float(v) for v in b.values()] for rule, b in expected.items()}
    assert {name for name, _ in drawn} == {"AG101", "AG107"}
    bars = await page.eval_on_selector_all("#chart-precision g.bar", "gs => gs.map(g => [g.dataset.label, +g.dataset.value])")
    shown_ag101 = 2 + 3 + 4  # AG101 findings on octo/shop over three weeks, one reported
    assert dict(bars)["AG101"] == pytest.approx(round(100 / shown_ag101, 2))
    figures = {k: await page.inner_text(f'[data-figure="{k}"]') for k in ("proposed", "approved", "bypassed",
                                                                           "unapproved-merged", "tta-p50")}
    assert figures == {"proposed": "2", "approved": "1", "bypassed": "1", "unapproved-merged": "1", "tta-p50": "3.0d"}
    assert "incident 4711 hotfix" in await page.inner_text("#bypasses")
    approvers = await page.eval_on_selector_all("#chart-approvers g.bar", "gs => gs.map(g => g.dataset.label)")
    assert approvers == ["@alice"]
    nav = await page.eval_on_selector_all("nav.scopes a", "as => as.map(a => a.textContent)")
    assert set(REPOS) <= set(nav)
    await ctx.close()


async def test_without_authorization_nothing_is_shown(browser: Browser, bot: Any) -> None:
    page = await browser.new_page()
    for path in ("/dashboard/", "/dashboard/?repo=octo%2Fshop", "/dashboard/summary.json"):
        resp = await page.goto(bot.url + path)
        assert resp is not None and resp.status == 401, path
        body = await page.content()
        for secret in ("octo/shop", "acme/ledger", "alice", "AG101", "incident"):
            assert secret not in body, (path, secret)
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{bot.url}/dashboard/summary.json", headers={"Authorization": "Bearer wrong-token-000000000"}) as r:
            assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
            assert "octo" not in await r.text()
        async with s.get(f"{bot.url}/dashboard/summary.json", headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            assert r.status == 200
            data = await r.json()
            assert data["summary"]["breaking"]["bypassed"] == 1
        async with s.get(f"{bot.url}/dashboard/?repo=nobody%2Fsecret", headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            assert r.status == 404  # an unknown repository and a hidden one look the same
    await page.close()


async def test_sign_in_with_github_shows_only_the_users_installations(
    browser: Browser, bot: Any, fake_github: FakeGitHub
) -> None:
    st = mon(fake_github)
    st.signed_in = "carol"
    st.user_installations["carol"] = [77]  # acme/ledger's installation only
    page = await browser.new_page()
    watch = PageWatch(page, console_levels=("error", "warning"))
    resp = await page.goto(f"{bot.url}/dashboard/")
    assert resp is not None and resp.status == 401
    await page.click("text=Sign in with GitHub")
    await page.wait_for_url(f"{bot.url}/dashboard/")
    assert "signed in as carol" in await page.inner_text("header.top")
    nav = await page.eval_on_selector_all("nav.scopes a", "as => as.map(a => a.textContent)")
    assert "acme/ledger" in nav and "octo/shop" not in nav
    assert "incident 4711" not in await page.content()  # octo/shop's bypass is not carol's to see
    # after the first refusal (the 401 that offers sign-in), everything loaded cleanly
    assert [p for p in watch.problems if "401" not in p] == [], watch.problems
    resp = await page.goto(f"{bot.url}/dashboard/?repo=octo%2Fshop")
    assert resp is not None and resp.status == 404

    st.signed_in = "dave"  # a GitHub user with no installation of the App
    page2 = await (await browser.new_context()).new_page()
    await page2.goto(f"{bot.url}/dashboard/")
    async with page2.expect_response(lambda r: r.url.startswith(f"{bot.url}/dashboard/oauth/callback")) as got:
        await page2.click("text=Sign in with GitHub")
    assert (await got.value).status == 403
    assert "Not allowed" in await page2.inner_text("h1")

    forged = await browser.new_context()
    await forged.add_cookies([{"name": "asyncguard_session", "value": "eyJ1IjoiZXZlIn0.deadbeef",
                               "url": bot.url + "/dashboard/"}])
    p3 = await forged.new_page()
    resp = await p3.goto(f"{bot.url}/dashboard/")
    assert resp is not None and resp.status == 401
    resp = await p3.goto(f"{bot.url}/dashboard/oauth/callback?code=x&state=guess")  # no state cookie: refused
    assert resp is not None and resp.status == 403
