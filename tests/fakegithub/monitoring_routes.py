"""Monitoring endpoints of the fake GitHub: reactions on review comments, repository issues (the
monthly report), and the OAuth user flow (github.com's authorize/token pages and the user API).
Loaded automatically by `FakeGitHub.__init__`.

State: `fake.extra["mon"]` (a `MonState`); tests act through the helpers at the bottom.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

from .routes import _err, paginate, user
from .state import next_id

if TYPE_CHECKING:
    from .server import FakeGitHub, FakeRequest

REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


@dataclass
class MonState:
    review_reactions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issues: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)  # repo -> number -> issue
    # OAuth: the App's client credentials, who is signed in to github.com, and what each user can access
    client_id: str = "Iv1.fakeclient"
    client_secret: str = "fake-client-secret-0123456789"
    signed_in: str | None = None
    user_installations: dict[str, list[int]] = field(default_factory=dict)
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (login, redirect_uri)
    user_tokens: dict[str, str] = field(default_factory=dict)  # token -> login


def mon(fake: FakeGitHub) -> MonState:
    state = fake.extra.get("mon")
    if state is None:
        state = fake.extra["mon"] = MonState()
    return state


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reactions_rollup(fake: FakeGitHub, comment_id: int, url: str) -> dict[str, Any]:
    """The `reactions` summary GitHub puts on every review comment."""
    got = mon(fake).review_reactions.get(comment_id, [])
    roll: dict[str, Any] = {"url": f"{url}/reactions", "total_count": len(got)}
    for content in REACTIONS:
        roll[content] = sum(1 for r in got if r["content"] == content)
    return roll


# ---- reactions on review comments ---------------------------------------------------------
def _review_comment(fake: FakeGitHub, req: FakeRequest) -> int | web.Response:
    cid = int(req.params["comment_id"])
    c = fake.review_comments.get(cid)
    if c is None or c.repo != req.full_name:
        return _err(404, "Not Found")
    return cid


async def list_review_reactions(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    cid = _review_comment(fake, req)
    if isinstance(cid, web.Response):
        return cid
    items = [r for r in mon(fake).review_reactions.get(cid, [])
             if "content" not in req.query or r["content"] == req.query["content"]]
    return paginate(fake, req, items)


async def create_review_reaction(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    cid = _review_comment(fake, req)
    if isinstance(cid, web.Response):
        return cid
    return _react(fake, cid, req.actor, req.json()["content"])


def _react(fake: FakeGitHub, cid: int, login: str, content: str) -> web.Response:
    existing = mon(fake).review_reactions.setdefault(cid, [])
    for r in existing:
        if r["content"] == content and r["user"]["login"] == login:
            return web.json_response(r, status=200)
    reaction = {"id": next_id(), "node_id": "RE_x", "user": user(login), "content": content, "created_at": _now()}
    existing.append(reaction)
    return web.json_response(reaction, status=201)


# ---- repository issues --------------------------------------------------------------------
def _issue_json(fake: FakeGitHub, repo: str, issue: dict[str, Any]) -> dict[str, Any]:
    n = issue["number"]
    return {"id": issue["id"], "node_id": f"I_{issue['id']}", "number": n, "title": issue["title"],
            "body": issue["body"], "state": issue["state"], "user": user(issue["user"]),
            "labels": [{"name": name} for name in issue["labels"]],
            "url": f"{fake.url}/repos/{repo}/issues/{n}", "html_url": f"https://github.com/{repo}/issues/{n}",
            "created_at": issue["created_at"], "updated_at": issue["updated_at"]}


async def create_issue(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    body = req.json()
    issues = mon(fake).issues.setdefault(req.full_name, {})
    number = max([*issues, *fake.repos[req.full_name].pulls, 0]) + 1
    issues[number] = {"id": next_id(), "number": number, "title": body["title"], "body": body.get("body") or "",
                      "state": "open", "user": req.actor, "labels": [str(x) if isinstance(x, str) else x["name"]
                                                                      for x in body.get("labels", [])],
                      "created_at": _now(), "updated_at": _now()}
    return web.json_response(_issue_json(fake, req.full_name, issues[number]), status=201)


async def update_issue(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    issue = mon(fake).issues.get(req.full_name, {}).get(int(req.params["issue_number"]))
    if issue is None:
        return _err(404, "Not Found")
    body = req.json()
    for key in ("title", "body", "state"):
        if key in body:
            issue[key] = body[key]
    issue["updated_at"] = _now()
    return web.json_response(_issue_json(fake, req.full_name, issue))


async def list_issues(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    wanted = {x for x in req.query.get("labels", "").split(",") if x}
    state = req.query.get("state", "open")
    items = [_issue_json(fake, req.full_name, i) for _, i in sorted(mon(fake).issues.get(req.full_name, {}).items())
             if wanted <= set(i["labels"]) and (state == "all" or i["state"] == state)
             and ("creator" not in req.query or i["user"] == req.query["creator"])]
    return paginate(fake, req, items)


# ---- the OAuth user flow ------------------------------------------------------------------
async def get_authenticated_user(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    return web.json_response(dict(user(req.actor), name=req.actor))


async def list_user_installations(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    ids = mon(fake).user_installations.get(req.actor, [])
    items = [{"id": i, "account": user(f"org{i}", "Organization"), "app_id": fake.app_id, "target_type": "Organization"}
             for i in ids]
    per_page = int(req.query.get("per_page", 30))
    return web.json_response({"total_count": len(items), "installations": items[:per_page]})


async def oauth_web(fake: FakeGitHub, request: web.Request) -> web.StreamResponse:
    """github.com's /login/oauth/authorize (consents as the signed-in user) and /login/oauth/access_token."""
    st = mon(fake)
    if request.path == "/login/oauth/authorize" and request.method == "GET":
        q = request.query
        if q.get("client_id") != st.client_id or not q.get("redirect_uri"):
            return web.Response(status=404, text="unknown application")
        if st.signed_in is None:
            return web.Response(status=200, text="<html><body>Sign in to GitHub</body></html>", content_type="text/html")
        code = secrets.token_hex(10)
        st.codes[code] = (st.signed_in, q["redirect_uri"])
        return web.Response(status=302, headers={
            "Location": f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}"})
    if request.path == "/login/oauth/access_token" and request.method == "POST":
        form = await request.post()
        got = st.codes.pop(str(form.get("code", "")), None)
        if (form.get("client_id") != st.client_id or form.get("client_secret") != st.client_secret or got is None
                or form.get("redirect_uri") not in (None, got[1])):
            return web.json_response({"error": "bad_verification_code"})
        token = f"ghu_fake{next_id()}"
        st.user_tokens[token] = got[0]
        return web.json_response({"access_token": token, "token_type": "bearer", "scope": ""})
    return web.Response(status=404, text="Not Found")


def register(fake: FakeGitHub) -> None:
    mon(fake)
    table = {
        "reactions/list-for-pull-request-review-comment": list_review_reactions,
        "reactions/create-for-pull-request-review-comment": create_review_reaction,
        "issues/create": create_issue,
        "issues/update": update_issue,
        "issues/list-for-repo": list_issues,
        "users/get-authenticated": get_authenticated_user,
        "apps/list-installations-for-authenticated-user": list_user_installations,
    }
    for op, handler in table.items():
        fake.register(op, handler)


# ---- what people do on github.com (test helpers) ------------------------------------------
def human_react(fake: FakeGitHub, comment_id: int, login: str, content: str = "-1") -> None:
    _react(fake, comment_id, login, content)
