"""A fake GitHub REST API on loopback for the bot's tests.

Every request is matched to one of GitHub's operations and validated with openapi-core against
the vendored tests/data/shared/github/openapi-subset.json; an invalid or unknown request is answered 422/404 and
recorded in `invalid`, which the `fake_github` fixture turns into a test failure.

Extending it (e.g. governance endpoints): `fake.register(operation_id, handler)` where
`async def handler(fake, req: FakeRequest) -> web.StreamResponse`, and keep state in
`fake.extra[...]`. A module `fakegithub/governance_routes.py` with `register(fake)` is loaded
automatically by `FakeGitHub.__init__`.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import routes, spec
from .faults import Fault, FaultBox, Hold
from .gitrepo import GitRepo
from .state import CheckRun, FakePull, FakeRepo, IssueComment, Review, ReviewComment, next_id

Handler = Callable[["FakeGitHub", "FakeRequest"], Awaitable[web.StreamResponse]]

BOT_LOGIN = "asyncguard[bot]"
JWT_OPERATIONS = {"apps/create-installation-access-token", "apps/get-authenticated", "apps/get-repo-installation"}
USER_OPERATIONS = {"users/get-authenticated", "apps/list-installations-for-authenticated-user"}  # user-to-server tokens
NO_AUTH_OPERATIONS = {"apps/create-from-manifest"}


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    operation_id: str | None
    status: int = 0
    body: bytes = b""
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class FakeRequest:
    """What a route handler gets: the matched operation, decoded params and the caller."""

    operation_id: str
    params: dict[str, str]
    query: dict[str, str]
    body: bytes
    http: web.Request
    actor: str  # BOT_LOGIN for installation tokens, "app" for the app JWT, "" when anonymous
    installation_id: int | None

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def full_name(self) -> str:
        return f"{self.params['owner']}/{self.params['repo']}"


@dataclass
class _Token:
    installation_id: int
    expires_at: datetime
    revoked: bool = False


def generate_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class FakeGitHub:
    def __init__(self, *, app_id: int = 4242, private_key_pem: str | None = None) -> None:
        self.app_id = app_id
        self.private_key_pem = private_key_pem or generate_private_key()
        self._public_key = serialization.load_pem_private_key(
            self.private_key_pem.encode(), password=None
        ).public_key()
        self.repos: dict[str, FakeRepo] = {}
        self.check_runs: dict[int, CheckRun] = {}
        self.reviews: dict[int, Review] = {}
        self.review_comments: dict[int, ReviewComment] = {}
        self.issue_comments: dict[int, IssueComment] = {}
        self.requests: list[RecordedRequest] = []
        self.invalid: list[str] = []
        self.extra: dict[str, Any] = {}
        self.faults = FaultBox()
        self.holds: list[Hold] = []
        self.tarball_overrides: dict[str, bytes] = {}
        self.token_ttl = timedelta(hours=1)
        self.rate_limit = 5000
        self.rate_remaining: dict[int, int] = {}
        self.tokens_issued = 0
        self._tokens: dict[str, _Token] = {}
        self._handlers: dict[str, Handler] = {}
        self._runner: web.AppRunner | None = None
        self._hangs: set[asyncio.Event] = set()
        self.url = ""
        routes.register_core(self)
        for module in ("governance_routes", "monitoring_routes"):
            try:
                extra = importlib.import_module(f"{__package__}.{module}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__package__}.{module}":
                    raise
            else:
                extra.register(self)

    # ---- set-up helpers for tests -------------------------------------------------------
    def register(self, operation_id: str, handler: Handler) -> None:
        """Serve `operation_id` (one of the spec's operationIds) with `handler`."""
        if operation_id not in spec.operation_ids():
            raise ValueError(f"{operation_id} is not an operation in openapi-subset.json")
        self._handlers[operation_id] = handler

    def add_repo(self, full_name: str, git: GitRepo, installation_id: int = 1) -> FakeRepo:
        repo = FakeRepo(full_name=full_name, git=git, installation_id=installation_id)
        self.repos[full_name] = repo
        return repo

    def open_pull(
        self,
        full_name: str,
        *,
        base_ref: str = "main",
        head_ref: str = "feature",
        number: int | None = None,
        draft: bool = False,
        user: str = "octocat",
    ) -> FakePull:
        repo = self.repos[full_name]
        number = number or (max(repo.pulls, default=0) + 1)
        pull = FakePull(
            number=number,
            base_ref=base_ref,
            head_ref=head_ref,
            base_sha=repo.git.resolve(base_ref),
            head_sha=repo.git.resolve(head_ref),
            draft=draft,
            user=user,
        )
        repo.pulls[number] = pull
        return pull

    def push(self, full_name: str, number: int, head_sha: str | None = None) -> FakePull:
        """Move a PR's head (default: to its head branch's current commit)."""
        repo = self.repos[full_name]
        pull = repo.pulls[number]
        pull.head_sha = head_sha or repo.git.resolve(pull.head_ref)
        return pull

    def inject(self, operation_id: str, kind: str, *, times: int = 1, **options: Any) -> Fault:
        """Make the next `times` calls of `operation_id` ("*" = any) fail: see faults.Fault."""
        return self.faults.add(Fault(operation_id, kind, times, options))

    def hold_after(self, operation_id: str, when: Callable[[Any], bool] | None = None) -> Hold:
        """Carry out the next matching call, then hold its answer back: see faults.Hold."""
        hold = Hold(operation_id, when)
        self.holds.append(hold)
        return hold

    def expire_tokens(self) -> None:
        """Every installation token issued so far now gets 401 Bad credentials."""
        for tok in self._tokens.values():
            tok.revoked = True

    def add_review_comment(
        self, full_name: str, pull: int, *, body: str, user: str, in_reply_to: int | None = None,
        path: str = "", line: int | None = None,
    ) -> ReviewComment:
        """A comment by a human (e.g. a reply to one of the bot's)."""
        parent = self.review_comments.get(in_reply_to) if in_reply_to else None
        c = ReviewComment(
            id=next_id(), repo=full_name, pull=pull, review_id=None,
            path=parent.path if parent else path, line=parent.line if parent else line,
            start_line=None, side="RIGHT", body=body, user=user, user_type="User",
            commit_id=self.repos[full_name].pulls[pull].head_sha, in_reply_to_id=in_reply_to,
        )
        self.review_comments[c.id] = c
        return c

    def calls(self, operation_id: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.operation_id == operation_id]

    def runs_for(self, full_name: str, head_sha: str | None = None, name: str = "asyncguard") -> list[CheckRun]:
        return [
            r for r in self.check_runs.values()
            if r.repo == full_name and r.name == name and (head_sha is None or r.head_sha == head_sha)
        ]

    # ---- auth ---------------------------------------------------------------------------
    def issue_token(self, installation_id: int) -> tuple[str, datetime]:
        self.tokens_issued += 1
        token = f"ghs_fake{next_id()}x{self.tokens_issued}"
        expires = datetime.now(UTC) + self.token_ttl
        self._tokens[token] = _Token(installation_id, expires)
        return token, expires

    def _authenticate(self, op: str, header: str) -> tuple[str, int | None] | str:
        """(actor, installation) or an error message for a 401."""
        if op in NO_AUTH_OPERATIONS:
            return ("", None)
        scheme, _, cred = header.partition(" ")
        if op in JWT_OPERATIONS:
            if scheme.lower() != "bearer":
                return "A JSON web token could not be decoded"
            try:
                claims = jwt.decode(cred, self._public_key, algorithms=["RS256"])  # type: ignore[arg-type]
            except jwt.PyJWTError as exc:
                return f"A JSON web token could not be decoded: {exc}"
            if str(claims.get("iss")) != str(self.app_id):
                return "Integration not found"
            return ("app", None)
        if op in USER_OPERATIONS:
            login = self.extra.get("mon").user_tokens.get(cred) if self.extra.get("mon") else None
            return (login, None) if login and scheme.lower() in {"token", "bearer"} else "Bad credentials"
        tok = self._tokens.get(cred) if scheme.lower() in {"token", "bearer"} else None
        if tok is None or tok.revoked or tok.expires_at <= datetime.now(UTC):
            return "Bad credentials"
        return (BOT_LOGIN, tok.installation_id)

    # ---- server -------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        for hold in self.holds:
            hold.release.set()
        for ev in list(self._hangs):
            ev.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def hang(self, seconds: float) -> None:
        ev = asyncio.Event()
        self._hangs.add(ev)
        try:
            await asyncio.wait_for(ev.wait(), seconds)
        except TimeoutError:
            pass
        finally:
            self._hangs.discard(ev)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.raw_path.split("?", 1)[0]
        body = await request.read()
        query = {k: v for k, v in request.query.items()}
        if raw_path.startswith("/login/oauth/"):  # github.com's OAuth pages, not the REST API
            rec = RecordedRequest(request.method, raw_path, query, None, body=body)
            self.requests.append(rec)
            from .monitoring_routes import oauth_web

            resp = await oauth_web(self, request)
            rec.status = resp.status
            return resp
        if raw_path.startswith("/_codeload/"):
            rec = RecordedRequest(request.method, raw_path, query, None, body=body)
            self.requests.append(rec)
            resp = await routes.codeload(self, request)
            rec.status = resp.status
            return resp
        matched = spec.match(request.method, raw_path)
        rec = RecordedRequest(
            request.method, raw_path, query, matched.operation.operation_id if matched else None, body=body
        )
        self.requests.append(rec)
        resp = await self._answer(request, matched, raw_path, query, body)
        rec.status = resp.status
        return resp

    async def _answer(
        self, request: web.Request, matched: spec.Matched | None, raw_path: str, query: dict[str, str], body: bytes
    ) -> web.StreamResponse:
        if matched is None:
            self.invalid.append(f"{request.method} {raw_path}: matches no operation in openapi-subset.json")
            return _error(404, "Not Found")
        op = matched.operation.operation_id
        try:
            spec.validate(matched, request.method, query, dict(request.headers), body, request.content_type if body else None)
        except Exception as exc:  # openapi-core raises a family of errors; all mean "invalid"
            detail = f"{exc}; caused by {exc.__cause__}" if exc.__cause__ else str(exc)
            self.invalid.append(f"{request.method} {raw_path} ({op}): {detail}")
            return _error(422, f"Invalid request: {detail}")
        auth = self._authenticate(op, request.headers.get("Authorization", ""))
        if isinstance(auth, str):
            return _error(401, auth)
        actor, installation = auth
        fault = self.faults.take(op)
        if fault is not None:
            resp = await fault.respond(self, request)
            if resp is not None:
                return resp
        handler = self._handlers.get(op)
        if handler is None:
            self.invalid.append(f"{request.method} {raw_path} ({op}): the fake has no handler for it")
            return _error(501, f"fake GitHub does not implement {op}")
        freq = FakeRequest(op, matched.params, query, body, request, actor, installation)
        if "owner" in matched.params and "repo" in matched.params and freq.full_name not in self.repos:
            return _error(404, "Not Found")
        resp = await handler(self, freq)
        for hold in self.holds:
            if resp.status < 400 and hold.matches(op, _json_or_none(body)):
                hold.fired += 1
                hold.reached.set()
                await hold.release.wait()
        if installation is not None:
            left = self.rate_remaining.get(installation, self.rate_limit) - 1
            self.rate_remaining[installation] = max(left, 0)
            resp.headers["x-ratelimit-limit"] = str(self.rate_limit)
            resp.headers["x-ratelimit-remaining"] = str(max(left, 0))
            resp.headers["x-ratelimit-reset"] = str(int(time.time()) + 3600)
            resp.headers["x-ratelimit-used"] = str(self.rate_limit - max(left, 0))
        return resp


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"message": message, "documentation_url": "https://docs.github.com/rest"}, status=status, headers=headers
    )
