"""Screenshot the governance dashboard, and time how long the bot takes to render it.

Starts the real bot (aiohttp, loopback) on a temporary data directory, fills its stores with the
demo records of tests/monitoring/seed.py (three weeks, two repositories), opens /dashboard/ in
headless Chromium with the bearer token, and writes bench/out/dashboard.png (full page).

    .venv/bin/python bench/dashboard_screenshot.py [--out bench/out/dashboard.png] [--loads 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

CHROMIUM = "/usr/bin/chromium"
TOKEN = "bench-dashboard-token-0123456789"


async def main(out: Path, loads: int) -> int:
    import aiohttp
    from aiohttp import web
    from playwright.async_api import async_playwright

    from asyncguard.bot.app import CTX, make_app
    from asyncguard.bot.settings import BotSettings
    from tests.monitoring.seed import seed

    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(BotSettings(data_dir=Path(tmp), dashboard_token=TOKEN, prewarm=False))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/dashboard/?days=30"  # type: ignore[union-attr]
        try:
            await seed(app[CTX].monitoring_store(), app[CTX].governance_store())
            times = []
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as s:
                for _ in range(loads):
                    t = time.perf_counter()
                    async with s.get(url) as r:
                        await r.read()
                        assert r.status == 200, r.status
                    times.append(time.perf_counter() - t)
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
                ctx = await browser.new_context(viewport={"width": 1280, "height": 900},
                                                extra_http_headers={"Authorization": f"Bearer {TOKEN}"})
                page = await ctx.new_page()
                await page.goto(url)
                out.parent.mkdir(parents=True, exist_ok=True)
                shot = await page.screenshot(path=str(out), full_page=True)
                await browser.close()
        finally:
            await runner.cleanup()
    print(f"screenshot: {out} ({len(shot)} bytes)")
    print(f"/dashboard/ render over HTTP, {loads} loads: median {statistics.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "dashboard.png")
    ap.add_argument("--loads", type=int, default=20)
    a = ap.parse_args()
    raise SystemExit(asyncio.run(main(a.out, a.loads)))
