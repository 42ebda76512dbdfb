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
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from gidgethub import routing

from asyncguard.bot import pr_events
from asyncguard.bot.context import BotContext
from asyncguard.bot.intake import Limits, Refused, read_signed_body
from asyncguard.bot.settings import BotSettings
from asyncguard.bot.storage.delivery_writer import Delivery
from asyncguard.bot.worker import Worker

log = logging.getLogger("asyncguard.app")

CTX: web.AppKey[BotContext] = web.AppKey("ctx", BotContext)
WORKER: web.AppKey[Worker | None] = web.AppKey("worker")
SITE: web.AppKey[dict[str, Any]] = web.AppKey("site", dict)
MAX_BODY = 25 * 1024**2  # GitHub caps webhook payloads at 25 MB
MAX_KEY = 100  # the store's column for delivery ids and event names
LIMITS: web.AppKey[Limits] = web.AppKey("limits", Limits)
KNOWN_EVENTS = frozenset({"pull_request", "check_suite", "check_run", "issue_comment", "merge_group", "ping",
                          "installation", "installation_repositories", "github_app_authorization"})


def handler_args(settings: BotSettings) -> dict[str, Any]:
    """Connection settings for aiohttp's request handler (they hold for AppRunner and run_app alike).

    Request bodies are never decompressed (a 65 KB gzip body can inflate to gigabytes before any
    signature is checked); a connection that has not sent complete headers within the header
    timeout, or sits idle that long, is closed; an unread body is drained for at most 2 s.
    """
    return {"auto_decompress": False, "keepalive_timeout": settings.header_timeout, "lingering_time": 2.0}


def build_router() -> routing.Router:
    """Our PR handlers composed with governance's (bedevere style: one router per concern)."""
    from asyncguard.bot import merge_queue
    from asyncguard.bot.governance import router as governance_router
    from asyncguard.bot.monitoring.handlers import router as monitoring_router

    return routing.Router(pr_events.router, merge_queue.router, governance_router, monitoring_router)


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
    # an unsigned request must not mint metric labels: only the events we know name one
    metric_event = event_name if event_name in KNOWN_EVENTS else "unknown"
    secret = ctx.settings.webhook_secret
    if not secret or not secret.strip():
        metrics.deliveries.inc(event=metric_event, outcome="unconfigured")
        return _json(503, error="the webhook secret is not configured (set ASYNCGUARD_WEBHOOK_SECRET)")
    try:
        # nothing is parsed, decompressed or kept beyond a small buffer before the signature checks out
        body = await read_signed_body(request, secret, request.app[LIMITS])
    except Refused as refused:
        metrics.deliveries.inc(event=metric_event, outcome=refused.outcome)
        response = _json(refused.status, error=refused.message)
        if refused.status != 401:
            response.force_close()
        return response
    delivery_id = request.headers.get("X-GitHub-Delivery", "")
    if not event_name or not delivery_id:
        metrics.deliveries.inc(event=event_name or "unknown", outcome="bad_request")
        return _json(400, error="missing X-GitHub-Event or X-GitHub-Delivery header")
    if len(delivery_id) > MAX_KEY or len(event_name) > MAX_KEY:
        metrics.deliveries.inc(event=metric_event, outcome="bad_request")
        return _json(400, error=f"X-GitHub-Event and X-GitHub-Delivery must be at most {MAX_KEY} characters")
    try:
        data, raw = _parse_body(body, request.content_type)
    except ValueError as exc:
        metrics.deliveries.inc(event=event_name, outcome="bad_request")
        return _json(400, error=str(exc))
    inst = data.get("installation") or {}
    installation = inst.get("id") if isinstance(inst, dict) else None
    try:
        fresh = await enqueue_delivery(ctx, event_name, delivery_id, data,
                                       installation if isinstance(installation, int) else None, raw=raw)
    except Exception as exc:
        log.warning("could not queue delivery %s: %s", delivery_id, exc.__class__.__name__)
        metrics.deliveries.inc(event=event_name, outcome="store_unavailable")
        return _json(503, error="the job store is unavailable; GitHub can redeliver this one")
    if not fresh:
        metrics.deliveries.inc(event=event_name, outcome="duplicate")
        return _json(200, status="duplicate", delivery=delivery_id)
    metrics.deliveries.inc(event=event_name, outcome="queued")
    return _json(202, status="queued", delivery=delivery_id)


async def enqueue_delivery(
    ctx: BotContext, event_name: str, delivery_id: str, data: dict[str, Any], installation: int | None,
    *, raw: str | None = None,
) -> bool:
    """Record the delivery id and commit its job in one transaction; False for a duplicate.

    Only after this commit is the webhook acknowledged, so an acknowledged delivery is never lost,
    and a delivery refused here (5xx) left nothing behind: GitHub's redelivery is accepted.
    Concurrent deliveries share a transaction (`storage.delivery_writer`: group commit).
    Deliveries carry no lock key: governance work on one PR is serialized by its advisory lock
    (`AuditStore.lock_pr`) and PR runs by their own job's key, so a burst for one PR fans out.
    `raw`: the body's JSON text, spliced into the job as is (not encoded a second time).
    """
    return await ctx.delivery_writer.submit(Delivery(delivery_id, event_name, job_payload(
        event_name, delivery_id, installation, data, raw)))


def job_payload(event_name: str, delivery_id: str, installation: int | None, data: dict[str, Any],
                raw: str | None) -> str:
    """The `delivery` job's JSON: {"data": <the delivery>, "delivery_id", "event", "installation_id"}."""
    rest = json.dumps({"delivery_id": delivery_id, "event": event_name, "installation_id": installation},
                      sort_keys=True)
    if raw is None:
        return json.dumps({"data": data, "delivery_id": delivery_id, "event": event_name,
                           "installation_id": installation}, sort_keys=True)
    return '{"data": ' + raw + ", " + rest[1:]


_loads: Callable[[bytes], Any] = json.loads
try:  # 5x faster on GitHub's 20-30 KB payloads; the ack path is where it counts
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - optional speed-up
    pass


def _parse_body(body: bytes, content_type: str) -> tuple[dict[str, Any], str | None]:
    """The delivery as a dict, and its JSON text when that can be stored as is (UTF-8, no BOM)."""
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
    try:
        raw: str | None = body.decode("utf-8")
    except UnicodeDecodeError:  # valid JSON in another encoding: encoded again
        raw = None
    if raw is not None and (raw.startswith("\ufeff") or "\x00" in raw):
        raw = None
    return data, raw


async def healthz(request: web.Request) -> web.Response:
    return _json(200, status="ok")


async def readyz(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    problems = [f"set {what}" for what in ctx.settings.missing()]
    db_problem = await ctx.db.ping()
    if db_problem:
        problems.append(db_problem)
    worker = request.app[WORKER]
    if worker is not None and not worker.alive:
        problems.append("job workers are not running")
    if problems:
        return _json(503, status="not ready", problems=problems)
    return _json(200, status="ready", role="web+worker" if worker is not None else "web")


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


async def _migrate_or_wait(ctx: BotContext) -> None:
    """Migrate at start-up; a database that is down does not stop the process (it is retried on first
    use, /readyz says why, and webhooks get 503 so GitHub redelivers)."""
    try:
        await ctx.db.ensure_schema()
    except Exception as exc:
        log.error("the database %s is not usable yet (%s: %s); retrying on use", ctx.db.describe(),
                  exc.__class__.__name__, exc)


def make_app(
    settings: BotSettings, *, run_pr: Callable[..., Any] | None = None, with_worker: bool = True,
) -> web.Application:
    """The bot as an aiohttp app (start it with web.run_app or an AppRunner).

    `with_worker=False` is the stateless web role (verify, de-duplicate, enqueue, acknowledge);
    `asyncguard worker` processes then run the jobs.
    """
    app = web.Application(client_max_size=MAX_BODY, handler_args=handler_args(settings))
    ctx = BotContext(settings, run_pr=run_pr)
    app[CTX] = ctx
    app[LIMITS] = Limits(MAX_BODY, settings.body_timeout)
    app[SITE] = {}
    app[WORKER] = Worker(ctx, build_router(), concurrency=settings.workers, lease=settings.job_lease) if with_worker else None
    app.router.add_post("/webhook", webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/", index)
    app.router.add_get("/training", index)
    app.router.add_get("/training/{tail:.*}", training)
    from asyncguard.bot.monitoring import dashboard, schedule

    dashboard.setup(app, ctx)
    schedule.setup(app, ctx)

    async def startup(app: web.Application) -> None:
        await ctx.start()
        await _migrate_or_wait(ctx)
        worker = app[WORKER]
        if worker is not None:
            worker.start()
        app[SITE]["task"] = asyncio.create_task(_build_training_site(app))
        if settings.configured and settings.prewarm:
            ctx.prewarm()
        if not settings.configured:
            log.warning("asyncguard is running without GitHub App credentials; webhooks are refused until "
                        "you set: %s", "; ".join(settings.missing()))

    async def cleanup(app: web.Application) -> None:
        worker = app[WORKER]
        if worker is not None:
            await worker.close()
        task = app[SITE].get("task")
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(task, 30)
            except (TimeoutError, asyncio.CancelledError):
                pass
        await ctx.close()

    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
    return app


def make_worker_app(settings: BotSettings, *, run_pr: Callable[..., Any] | None = None) -> web.Application:
    """`asyncguard worker`: the job workers, with /healthz, /readyz and /metrics (no webhook intake)."""
    app = web.Application(handler_args=handler_args(settings))
    ctx = BotContext(settings, run_pr=run_pr)
    app[CTX] = ctx
    app[SITE] = {}
    app[WORKER] = Worker(ctx, build_router(), concurrency=settings.workers, lease=settings.job_lease)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)

    async def startup(app: web.Application) -> None:
        await ctx.start()
        await _migrate_or_wait(ctx)
        worker = app[WORKER]
        assert worker is not None
        worker.start()
        if settings.prewarm:
            ctx.prewarm()

    async def cleanup(app: web.Application) -> None:
        worker = app[WORKER]
        if worker is not None:
            await worker.close()
        await ctx.close()

    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
    return app
