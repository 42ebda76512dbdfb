"""GitHub's example webhook payloads, signed with the real HMAC scheme, posted to the bot.

Payloads a test builds or edits are checked against octokit/webhooks' JSON Schemas, so a
delivery the bot gets in a test is one GitHub could have sent.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from tests.shared_data import WEBHOOKS as SHARED_WEBHOOKS
from tests.shared_data import WEBHOOKS_EXTRA

if TYPE_CHECKING:
    from .server import FakeGitHub

WEBHOOKS = SHARED_WEBHOOKS


def _folder(event: str) -> Path:
    """The shared examples, or tests/data/github-extra's for events the shared data lacks."""
    return WEBHOOKS if (WEBHOOKS / event).is_dir() else WEBHOOKS_EXTRA


def example_bytes(event: str, name: str) -> bytes:
    """The example file's exact bytes, e.g. ("pull_request", "opened")."""
    return (_folder(event) / event / f"{name}.json").read_bytes()


def example_payload(event: str, name: str) -> dict[str, Any]:
    return json.loads(example_bytes(event, name))  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1)
def _registry() -> Registry:  # type: ignore[type-arg]
    resources = []
    for path in (WEBHOOKS / "schemas").rglob("*.schema.json"):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7)))
    return Registry().with_resources(resources)


def validate_payload(event: str, action: str | None, payload: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when `payload` is not a valid `event`/`action` delivery."""
    name = f"{action}.schema.json" if action else "event.schema.json"
    root = _folder(event)
    path = root / "schemas" / event / name
    if not path.exists():
        candidates = sorted((root / "schemas" / event).glob("*.schema.json"))
        if len(candidates) != 1:
            raise FileNotFoundError(f"no schema for {event}/{action}")
        path = candidates[0]
    schema = json.loads(path.read_text())
    jsonschema.Draft7Validator(schema, registry=_registry()).validate(payload)


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def pull_request_payload(
    fake: FakeGitHub, full_name: str, number: int, action: str = "opened", *, changes: dict[str, Any] | None = None
) -> dict[str, Any]:
    """GitHub's `pull_request` example rewritten to point at a PR the fake serves (schema-checked)."""
    base_example = "opened" if action in {"edited", "opened"} else action
    if action == "ready_for_review":
        base_example = "ready_for_review.with-installation"
    payload = copy.deepcopy(example_payload("pull_request", base_example))
    repo = fake.repos[full_name]
    pull = repo.pulls[number]
    payload["action"] = action
    payload["number"] = number
    pr = payload["pull_request"]
    pr["number"] = number
    pr["draft"] = pull.draft
    pr["head"]["sha"] = pull.head_sha
    pr["head"]["ref"] = pull.head_ref
    pr["base"]["sha"] = pull.base_sha
    pr["base"]["ref"] = pull.base_ref
    pr["user"]["login"] = pull.user  # the author, as the fake's pulls/get says
    for section in (payload["repository"], pr["head"]["repo"], pr["base"]["repo"]):
        section["full_name"] = full_name
        section["id"] = repo.id
        section["name"] = repo.name
        section["owner"]["login"] = repo.owner
    payload["installation"] = {"id": repo.installation_id, "node_id": f"I_{repo.installation_id}"}
    if action == "edited":
        payload["changes"] = changes or {"title": {"from": "old title"}}
    validate_payload("pull_request", action, payload)
    return payload


def check_payload(
    fake: FakeGitHub, full_name: str, number: int, event: str, action: str, *, name: str = "asyncguard"
) -> dict[str, Any]:
    """A `check_suite` or `check_run` example pointing at the PR's current head."""
    example = {"check_suite": {"requested": "requested", "rerequested": "rerequested"},
               "check_run": {"rerequested": "rerequested"}}[event][action]
    payload = copy.deepcopy(example_payload(event, example))
    repo = fake.repos[full_name]
    pull = repo.pulls[number]
    obj = payload[event]
    obj["head_sha"] = pull.head_sha
    if isinstance(obj.get("app"), dict):
        obj["app"]["id"] = fake.app_id
    if event == "check_run":
        obj["name"] = name
        obj["check_suite"]["head_sha"] = pull.head_sha
    repo_ref = {"id": repo.id, "url": f"https://api.github.com/repos/{full_name}", "name": repo.name}
    obj["pull_requests"] = [{
        "url": f"https://api.github.com/repos/{full_name}/pulls/{number}", "id": number + 10_000, "number": number,
        "head": {"ref": pull.head_ref, "sha": pull.head_sha, "repo": repo_ref},
        "base": {"ref": pull.base_ref, "sha": pull.base_sha, "repo": repo_ref},
    }]
    payload["repository"]["full_name"] = full_name
    payload["repository"]["id"] = repo.id
    payload["repository"]["name"] = repo.name
    payload["repository"]["owner"]["login"] = repo.owner
    payload["installation"] = {"id": repo.installation_id, "node_id": f"I_{repo.installation_id}"}
    validate_payload(event, action, payload)
    return payload


def merge_group_payload(
    fake: FakeGitHub, full_name: str, *, head_sha: str, base_sha: str, number: int, base_ref: str = "main"
) -> dict[str, Any]:
    """GitHub's `merge_group` `checks_requested` example for a group that adds PR `number` on `base_sha`."""
    payload = copy.deepcopy(example_payload("merge_group", "checks_requested"))
    repo = fake.repos[full_name]
    group = payload["merge_group"]
    group["head_sha"] = head_sha
    group["base_sha"] = base_sha
    group["head_ref"] = f"refs/heads/gh-readonly-queue/{base_ref}/pr-{number}-{base_sha}"
    group["base_ref"] = f"refs/heads/{base_ref}"
    group["head_commit"]["id"] = head_sha
    group["head_commit"]["message"] = f"Merge pull request #{number}"
    # the example's `repository` predates fields its own schema requires (`is_template`, ...): take
    # the repository object of the pull_request example, which that schema accepts
    payload["repository"] = copy.deepcopy(example_payload("pull_request", "opened")["repository"])
    payload["repository"].update(full_name=full_name, id=repo.id, name=repo.name)
    payload["repository"]["owner"]["login"] = repo.owner
    payload["installation"] = {"id": repo.installation_id, "node_id": f"I_{repo.installation_id}"}
    validate_payload("merge_group", "checks_requested", payload)
    return payload


class WebhookSender:
    """POST deliveries to the bot the way GitHub does (headers, HMAC over the exact bytes)."""

    def __init__(self, session: aiohttp.ClientSession, url: str, secret: str) -> None:
        self.session = session
        self.url = url
        self.secret = secret

    async def deliver(
        self,
        event: str,
        payload: dict[str, Any] | bytes,
        *,
        delivery_id: str | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        sent = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
            "X-Hub-Signature-256": signature if signature is not None else sign(body, self.secret),
            "User-Agent": "GitHub-Hookshot/044aadd",
        }
        sent.update(headers or {})
        async with self.session.post(self.url, data=body, headers=sent) as resp:
            return resp.status, await resp.text()
