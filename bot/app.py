"""The aiohttp application: webhook intake, health, readiness, metrics and the training site.

`POST /webhook` verifies the HMAC signature in constant time, drops repeated deliveries, enqueues
and answers at once (202); workers do the rest. With no credentials the server still serves
/healthz and the training site, and /readyz says what to set.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from gidgethub import routing, sansio

from asyncguard.bot import pr_events
from asyncguard.bot.context import BotContext
from asyncguard.bot.deliveries import DeliveryStore
from asyncguard.bot.queue import Delivery, DeliveryQueue
from asyncguard.bot.settings import BotSettings

log = logging.getLogger("asyncguard.app")

CTX: web.AppKey[BotContext] = web.AppKey("ctx", BotContext)
QUEUE: web.AppKey[DeliveryQueue] = web.AppKey("queue", DeliveryQueue)
STORE: web.AppKey[DeliveryStore] = web.AppKey("deliveries", DeliveryStore)
SITE: web.AppKey[dict[str, Any]] = web.AppKey("site", dict)
MAX_BODY = 25 * 1024**2  # GitHub caps webhook payloads at 25 MB


def build_router() -> routing.Router:
    """Our PR handlers composed with governance's (bedevere style: one router per concern)."""
    from asyncguard.bot.governance import router as governance_router

    return routing.Router(pr_events.router, governance_router)


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def _json(http_status: int, **body: Any) -> web.Response:
    return web.json_response(body, status=http_status)


async def webhook(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    metrics = ctx.metrics
    event_name = request.headers.get("X-GitHub-Event", "")
    secret = ctx.settings.webhook_secret
    if not secret:
        metrics.deliveries.inc(event=event_name or "unknown", outcome="unconfigured")
        return _json(503, error="the webhook secret is not configured (set ASYNCGUARD_WEBHOOK_SECRET)")
    body = await request.read()
    if not verify_signature(secret, body, request.headers.get("X-Hub-Signature-256")):
        metrics.deliveries.inc(event=event_name or "unknown", outcome="bad_signature")
        return _json(401, error="missing or invalid X-Hub-Signature-256")
    delivery_id = request.headers.get("X-GitHub-Delivery", "")
    if not event_name or not delivery_id:
        metrics.deliveries.inc(event=event_name or "unknown", outcome="bad_request")
        return _json(400, error="missing X-GitHub-Event or X-GitHub-Delivery header")
    try:
        data = _parse_body(body, request.content_type)
    except ValueError as exc:
        metrics.deliveries.inc(event=event_name, outcome="bad_request")
        return _json(400, error=str(exc))
    store = request.app[STORE]
    if not store.first_time(delivery_id, event_name):
        metrics.deliveries.inc(event=event_name, outcome="duplicate")
        return _json(200, status="duplicate", delivery=delivery_id)
    inst = data.get("installation") or {}
    installation = inst.get("id") if isinstance(inst, dict) else None
    event = sansio.Event(data, event=event_name, delivery_id=delivery_id)
    try:
        request.app[QUEUE].put_nowait(
            Delivery(event, int(installation) if isinstance(installation, int) else None, time.monotonic())
        )
    except asyncio.QueueFull:
        store.forget(delivery_id)
        metrics.deliveries.inc(event=event_name, outcome="overloaded")
        return _json(503, error="too many deliveries queued; GitHub can redeliver this one")
    metrics.deliveries.inc(event=event_name, outcome="queued")
    return _json(202, status="queued", delivery=delivery_id)


_loads: Callable[[bytes], Any] = json.loads
try:  # 5x faster on GitHub's 20-30 KB payloads; the ack path is where it counts
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - optional speed-up
    pass


def _parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    if content_type == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", "replace"))
        if "payload" not in form:
            raise ValueError("form-encoded delivery without a payload field")
        body = form["payload"][0].encode()
    try:
        data = _loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"body is not valid JSON ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


async def healthz(request: web.Request) -> web.Response:
    return _json(200, status="ok")


async def readyz(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    problems = [f"set {what}" for what in ctx.settings.missing()]
    if not request.app[QUEUE].alive:
        problems.append("delivery workers are not running")
    if problems:
        return _json(503, status="not ready", problems=problems)
    return _json(200, status="ready", queued=request.app[QUEUE].queue.qsize())


async def metrics(request: web.Request) -> web.Response:
    body = request.app[CTX].metrics.render()
    return web.Response(text=body, content_type="text/plain", charset="utf-8", headers={"X-Content-Type-Options": "nosniff"})


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound("/training/")


async def training(request: web.Request) -> web.StreamResponse:
    site = request.app[SITE]
    root: Path | None = site.get("root")
    if root is None:
        msg = site.get("error") or "the training site is being built; reload in a moment"
        return web.Response(status=503, text=msg)
    rel = request.match_info.get("tail", "")
    target = _locate(root, rel)
    if target is None:
        raise web.HTTPNotFound()
    if rel and not rel.endswith("/") and target.name == "index.html" and not rel.endswith("index.html"):
        raise web.HTTPFound(f"/training/{rel}/")
    return web.FileResponse(target)


def _locate(root: Path, rel: str) -> Path | None:
    """The file under the site root for a URL tail (a folder means its index.html); None if outside."""
    target = (root / rel).resolve()
    if not target.is_relative_to(root):
        return None
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


async def _build_training_site(app: web.Application) -> None:
    ctx = app[CTX]
    out = ctx.data_dir / "training-site"
    try:
        from asyncguard.checks.site import build_site

        root = await asyncio.to_thread(lambda: Path(build_site(out, ctx.training_url)).resolve())
        app[SITE]["root"] = root
    except Exception as exc:
        log.exception("could not build the training site")
        app[SITE]["error"] = f"the training site could not be built: {exc.__class__.__name__}"


async def _flush_deliveries(store: DeliveryStore, every: float = 0.25) -> None:
    """Write accepted delivery ids behind, off the event loop."""
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(store.flush)
        except Exception:
            log.exception("could not record deliveries")


def make_app(settings: BotSettings, *, run_pr: Callable[..., Any] | None = None) -> web.Application:
    """The bot as an aiohttp app (start it with web.run_app or an AppRunner)."""
    app = web.Application(client_max_size=MAX_BODY)
    ctx = BotContext(settings, run_pr=run_pr)
    app[CTX] = ctx
    app[SITE] = {}
    app[QUEUE] = DeliveryQueue(build_router(), ctx, settings.workers)
    app.router.add_post("/webhook", webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/", index)
    app.router.add_get("/training", index)
    app.router.add_get("/training/{tail:.*}", training)

    async def startup(app: web.Application) -> None:
        await ctx.start()
        app[STORE] = DeliveryStore(ctx.data_dir / "deliveries.sqlite3")
        app[QUEUE].start()
        app[SITE]["flusher"] = asyncio.create_task(_flush_deliveries(app[STORE]))
        app[SITE]["task"] = asyncio.create_task(_build_training_site(app))
        if settings.configured and settings.prewarm:
            ctx.prewarm()
        if not settings.configured:
            log.warning("asyncguard is running without GitHub App credentials; webhooks are refused until "
                        "you set: %s", "; ".join(settings.missing()))

    async def cleanup(app: web.Application) -> None:
        flusher = app[SITE].get("flusher")
        if flusher is not None:
            flusher.cancel()
        await app[QUEUE].close()
        task = app[SITE].get("task")
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(task, 30)
            except (TimeoutError, asyncio.CancelledError):
                pass
        await ctx.close()
        if STORE in app:
            app[STORE].close()

    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
    return app
