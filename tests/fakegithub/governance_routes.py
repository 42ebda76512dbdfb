"""Governance endpoints of the fake GitHub: teams, collaborator permissions, labels, issue events,
reactions, branch protection and rulesets. Loaded automatically by `FakeGitHub.__init__`.

State lives in `fake.extra["gov"]` (a `GovState`); tests change it through the helpers at the
bottom, which also record the issue events GitHub would (so `issues/list-events` tells the truth).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .routes import _err, paginate, user
from .state import IssueComment, next_id

if TYPE_CHECKING:
    from .server import FakeGitHub, FakeRequest

# GitHub's `permission` folds the finer roles: maintain -> write, triage -> read
_PERMISSION_OF_ROLE = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}


@dataclass
class GovState:
    teams: dict[str, dict[str, str]] = field(default_factory=dict)  # "org/slug" -> login -> active|pending
    team_forbidden: bool = False  # answer 403 to membership lookups (app without Members: read)
    roles: dict[str, dict[str, str]] = field(default_factory=dict)  # repo -> login -> role
    labels: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    events: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    reactions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    protection: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (repo, branch) -> contexts
    rules: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)


def gov(fake: FakeGitHub) -> GovState:
    state = fake.extra.get("gov")
    if state is None:
        state = fake.extra["gov"] = GovState()
    return state


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _label_json(name: str) -> dict[str, Any]:
    return {"id": abs(hash(name)) % 10**7, "node_id": f"LA_{name}", "url": f"https://api.github.com/labels/{name}",
            "name": name, "description": None, "color": "ededed", "default": False}


def _event(fake: FakeGitHub, repo: str, number: int, kind: str, actor: str, label: str, bot: bool) -> None:
    g = gov(fake)
    g.events.setdefault((repo, number), []).append({
        "id": next_id(), "node_id": "IE_x", "url": f"https://api.github.com/repos/{repo}/issues/events/1",
        "actor": user(actor, "Bot" if bot else "User"), "event": kind, "commit_id": None, "commit_url": None,
        "created_at": _now(), "performed_via_github_app": {"id": fake.app_id, "slug": "asyncguard"} if bot else None,
        "label": {"name": label, "color": "ededed"},
    })


# ---- teams and permissions ----------------------------------------------------------------
async def team_membership(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    g = gov(fake)
    if g.team_forbidden:
        return _err(403, "Resource not accessible by integration")
    team = f"{req.params['org']}/{req.params['team_slug']}"
    state = g.teams.get(team, {}).get(req.params["username"])
    if state is None:
        return _err(404, "Not Found")
    return web.json_response({"url": f"https://api.github.com/teams/1/memberships/{req.params['username']}",
                              "role": "member", "state": state})


async def collaborator_permission(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    login = req.params["username"]
    role = gov(fake).roles.get(req.full_name, {}).get(login, "none")
    return web.json_response({"permission": _PERMISSION_OF_ROLE.get(role, "none"), "role_name": role,
                              "user": user(login)})


# ---- labels, events, reactions ------------------------------------------------------------
def _issue(fake: FakeGitHub, req: FakeRequest) -> tuple[str, int] | web.Response:
    number = int(req.params["issue_number"])
    if number not in fake.repos[req.full_name].pulls:
        return _err(404, "Not Found")
    return (req.full_name, number)


async def list_labels(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    key = _issue(fake, req)
    if isinstance(key, web.Response):
        return key
    return paginate(fake, req, [_label_json(n) for n in gov(fake).labels.get(key, [])])


async def add_labels(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    key = _issue(fake, req)
    if isinstance(key, web.Response):
        return key
    body = req.json()
    items = body["labels"] if isinstance(body, dict) else body
    names = [i if isinstance(i, str) else i["name"] for i in items]
    current = gov(fake).labels.setdefault(key, [])
    for name in names:
        if name not in current:
            current.append(name)
            _event(fake, key[0], key[1], "labeled", req.actor, name, bot=True)
    fake.extra.setdefault("label_log", []).append(("add", key, tuple(names), req.actor))
    return web.json_response([_label_json(n) for n in current])


async def remove_label(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    key = _issue(fake, req)
    if isinstance(key, web.Response):
        return key
    name = req.params["name"]
    current = gov(fake).labels.setdefault(key, [])
    if name not in current:
        return _err(404, "Label does not exist")
    current.remove(name)
    _event(fake, key[0], key[1], "unlabeled", req.actor, name, bot=True)
    fake.extra.setdefault("label_log", []).append(("remove", key, (name,), req.actor))
    return web.json_response([_label_json(n) for n in current])


async def list_events(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    key = _issue(fake, req)
    if isinstance(key, web.Response):
        return key
    return paginate(fake, req, list(gov(fake).events.get(key, [])))


async def create_reaction(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    comment_id = int(req.params["comment_id"])
    c = fake.issue_comments.get(comment_id)
    if c is None or c.repo != req.full_name:
        return _err(404, "Not Found")
    content = req.json()["content"]
    existing = gov(fake).reactions.setdefault(comment_id, [])
    for r in existing:
        if r["content"] == content and r["user"]["login"] == req.actor:
            return web.json_response(r, status=200)
    reaction = {"id": next_id(), "node_id": "RE_x", "user": user(req.actor), "content": content, "created_at": _now()}
    existing.append(reaction)
    return web.json_response(reaction, status=201)


# ---- branch protection and rulesets -------------------------------------------------------
async def branch_protection(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    contexts = gov(fake).protection.get((req.full_name, req.params["branch"]))
    if contexts is None:
        return _err(404, "Branch not protected")
    url = f"https://api.github.com/repos/{req.full_name}/branches/{req.params['branch']}/protection"
    return web.json_response({
        "url": url,
        "required_status_checks": {
            "url": f"{url}/required_status_checks", "contexts": contexts,
            "checks": [{"context": c, "app_id": None} for c in contexts],
            "contexts_url": f"{url}/required_status_checks/contexts", "strict": True,
        },
    })


async def branch_rules(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    return paginate(fake, req, list(gov(fake).rules.get((req.full_name, req.params["branch"]), [])))


def register(fake: FakeGitHub) -> None:
    gov(fake)
    table = {
        "teams/get-membership-for-user-in-org": team_membership,
        "repos/get-collaborator-permission-level": collaborator_permission,
        "issues/list-labels-on-issue": list_labels,
        "issues/add-labels": add_labels,
        "issues/remove-label": remove_label,
        "issues/list-events": list_events,
        "reactions/create-for-issue-comment": create_reaction,
        "repos/get-branch-protection": branch_protection,
        "repos/get-branch-rules": branch_rules,
    }
    for op, handler in table.items():
        fake.register(op, handler)


# ---- what people do on github.com (test helpers) ------------------------------------------
def human_labels(fake: FakeGitHub, repo: str, number: int, label: str, actor: str, *, add: bool = True) -> None:
    """A person adds (or removes) a label in the UI: the label changes and the issue event is recorded."""
    current = gov(fake).labels.setdefault((repo, number), [])
    if add and label not in current:
        current.append(label)
    elif not add and label in current:
        current.remove(label)
    _event(fake, repo, number, "labeled" if add else "unlabeled", actor, label, bot=False)


def human_comment(fake: FakeGitHub, repo: str, number: int, body: str, actor: str, kind: str = "User") -> IssueComment:
    c = IssueComment(next_id(), repo, number, body, actor, kind)
    fake.issue_comments[c.id] = c
    return c


def require_check(fake: FakeGitHub, repo: str, branch: str, contexts: list[str]) -> None:
    gov(fake).protection[(repo, branch)] = list(contexts)


def ruleset_requires(fake: FakeGitHub, repo: str, branch: str, contexts: list[str], ruleset_id: int = 7) -> None:
    gov(fake).rules[(repo, branch)] = [{
        "type": "required_status_checks", "ruleset_source_type": "Repository", "ruleset_source": repo,
        "ruleset_id": ruleset_id,
        "parameters": {"strict_required_status_checks_policy": False,
                       "required_status_checks": [{"context": c} for c in contexts]},
    }]
