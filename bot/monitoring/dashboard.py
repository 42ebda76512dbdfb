"""`/dashboard/`: the monitoring pages served by the bot, behind the access rules of `access.py`.

Pages are rendered on the server (HTML + inline SVG, one local stylesheet): no script, no CDN,
and a strict Content-Security-Policy. Figures are computed per request from the stores.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from gidgethub import aiohttp as gh_aiohttp

from asyncguard.bot.monitoring import access
from asyncguard.bot.monitoring.collect import summary_for
from asyncguard.bot.monitoring.view import WINDOWS, Scope, as_json, render_page, render_refusal

log = logging.getLogger("asyncguard.dashboard")
STATIC = Path(__file__).with_name("static")
PUBLIC = ("/dashboard/static/", "/dashboard/login", "/dashboard/oauth/callback")
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
CTX: web.AppKey[Any] = web.AppKey("dashboard_ctx", object)


def access_settings(settings: Any) -> access.AccessSettings:
    oauth = bool(settings.oauth_client_id and settings.oauth_client_secret)
    return access.AccessSettings(
        token=settings.dashboard_token, user_header=settings.dashboard_user_header, oauth=oauth,
        session_key=access.session_key(settings.oauth_client_secret) if oauth else b"",
    )


def _refuse(cfg: access.AccessSettings, decision: access.Access) -> web.Response:
    headers = dict(HEADERS)
    if decision.status == 401 and cfg.token:
        headers["WWW-Authenticate"] = 'Bearer realm="asyncguard dashboard"'
    return web.Response(status=decision.status, text=render_refusal(decision.status, decision.sign_in),
                        content_type="text/html", headers=headers)


def middleware(ctx_of: Callable[[web.Request], Any]) -> Any:
    @web.middleware
    async def guard(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                    ) -> web.StreamResponse:
        path = request.path
        if not (path == "/dashboard" or path.startswith("/dashboard/")) or path.startswith(PUBLIC):
            return await handler(request)
        cfg = access_settings(ctx_of(request).settings)
        decision = access.authorize(cfg, request.headers, request.cookies)
        if not decision.allowed:
            return _refuse(cfg, decision)
        return await handler(request)

    return guard


async def _visible(store: Any, decision: access.Access) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for inst, repos in (await store.repositories()).items():
        if decision.installations is None or (inst is not None and inst in decision.installations):
            out[str(inst) if inst is not None else "unknown"] = repos
    return out


def _scope(request: web.Request, visible: dict[str, list[str]]) -> Scope:
    try:
        days = int(request.query.get("days", "30"))
    except ValueError:
        days = 30
    if days not in WINDOWS:
        days = 30
    repo = request.query.get("repo") or None
    if repo is not None and not any(repo in rs for rs in visible.values()):
        raise web.HTTPNotFound(text="not found", headers=HEADERS)
    return Scope(repo, days, visible)


async def _summary(request: web.Request) -> tuple[Scope, Any, list[Any], str]:
    ctx = request.app[CTX]
    decision = access.authorize(access_settings(ctx.settings), request.headers, request.cookies)  # allowed here
    store = ctx.monitoring_store()
    visible = await _visible(store, decision)
    scope = _scope(request, visible)
    until = time.time()
    since = until - scope.days * 86400
    repos = None if decision.installations is None else {r for rs in visible.values() for r in rs}
    summary = await summary_for(ctx.governance_store(), store, since, until, scope.repo, repos)
    runs = [r for r in await store.runs(since, until, scope.repo) if repos is None or r.repo in repos]
    return scope, summary, runs, decision.who


async def page(request: web.Request) -> web.Response:
    if request.path == "/dashboard":
        raise web.HTTPFound("/dashboard/")
    scope, summary, runs, who = await _summary(request)
    return web.Response(text=render_page(scope, summary, runs, who), content_type="text/html", headers=HEADERS)


async def summary_json(request: web.Request) -> web.Response:
    scope, summary, _, _ = await _summary(request)
    return web.json_response(as_json(scope, summary), headers=HEADERS)


async def static_file(request: web.Request) -> web.StreamResponse:
    name = {"dashboard.css": "dashboard.css", "favicon.svg": "favicon.svg"}.get(request.match_info["name"])
    if name is None:
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / name, headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})


# ---- sign in with GitHub (the App's OAuth user flow) --------------------------------------
def _callback_url(request: web.Request, settings: Any) -> str:
    base = settings.public_url or f"{request.scheme}://{request.host}"
    return f"{base}/dashboard/oauth/callback"


async def login(request: web.Request) -> web.Response:
    settings = request.app[CTX].settings
    if not (settings.oauth_client_id and settings.oauth_client_secret):
        raise web.HTTPNotFound(text="not found")
    state = secrets.token_urlsafe(24)
    query = urlencode({"client_id": settings.oauth_client_id, "redirect_uri": _callback_url(request, settings),
                       "state": state})
    resp = web.HTTPFound(f"{settings.github_web_url}/login/oauth/authorize?{query}")
    resp.set_cookie(access.STATE_COOKIE, state, max_age=600, path="/dashboard/", httponly=True, samesite="Lax",
                    secure=request.scheme == "https")
    raise resp


async def callback(request: web.Request) -> web.Response:
    """Exchange the code, ask GitHub which of the App's installations this person can access."""
    ctx = request.app[CTX]
    settings = ctx.settings
    cfg = access_settings(settings)
    if not cfg.oauth:
        raise web.HTTPNotFound(text="not found")
    state, expected = request.query.get("state", ""), request.cookies.get(access.STATE_COOKIE, "")
    code = request.query.get("code", "")
    refused = access.Access(False, 403)
    if not code or not expected or not secrets.compare_digest(state, expected):
        return _refuse(cfg, refused)
    try:
        login_name, installations = await _github_identity(ctx.session, settings, code, _callback_url(request, settings))
    except (aiohttp.ClientError, ValueError, KeyError, TimeoutError) as exc:
        log.warning("GitHub sign-in failed: %s", exc.__class__.__name__)
        return _refuse(cfg, refused)
    if not installations:
        return _refuse(cfg, refused)
    resp = web.HTTPFound("/dashboard/")
    resp.set_cookie(access.SESSION_COOKIE, access.make_session(cfg.session_key, login_name, installations),
                    max_age=access.SESSION_SECONDS, path="/dashboard/", httponly=True, samesite="Lax",
                    secure=request.scheme == "https")
    resp.del_cookie(access.STATE_COOKIE, path="/dashboard/")
    raise resp


async def _github_identity(session: aiohttp.ClientSession, settings: Any, code: str,
                           redirect_uri: str) -> tuple[str, frozenset[int]]:
    async with session.post(
        f"{settings.github_web_url}/login/oauth/access_token", headers={"Accept": "application/json"},
        data={"client_id": settings.oauth_client_id, "client_secret": settings.oauth_client_secret, "code": code,
              "redirect_uri": redirect_uri}, timeout=aiohttp.ClientTimeout(total=settings.request_timeout),
    ) as resp:
        data = await resp.json(content_type=None)
    token = data.get("access_token") if isinstance(data, dict) else None
    if not token:
        raise ValueError("no access token")
    gh = gh_aiohttp.GitHubAPI(session, "asyncguard-dashboard", oauth_token=str(token),
                              base_url=settings.github_api_url)
    user = await gh.getitem("/user")
    ids = frozenset([int(i["id"]) async for i in gh.getiter("/user/installations{?per_page}",
                                                             {"per_page": "100"}, iterable_key="installations")])
    return str(user["login"]), ids


def setup(app: web.Application, ctx: Any) -> None:
    """Mount the dashboard on the bot's app."""
    app[CTX] = ctx
    app.middlewares.append(middleware(lambda request: request.app[CTX]))
    app.router.add_get("/dashboard", page)
    app.router.add_get("/dashboard/", page)
    app.router.add_get("/dashboard/summary.json", summary_json)
    app.router.add_get("/dashboard/static/{name}", static_file)
    app.router.add_get("/dashboard/login", login)
    app.router.add_get("/dashboard/oauth/callback", callback)
