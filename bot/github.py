"""Talking to GitHub as an App: JWT, cached installation tokens, retries and rate limits.

gidgethub builds the requests and raises its exceptions; `GitHubClient._request` wraps each
HTTP exchange with what gidgethub leaves to us: retries with backoff on 5xx and connection
errors, waits on 403/429 rate limits and secondary limits (bounded), a token refresh on 401,
writes serialized per installation (content-creating POSTs spaced), and a slowdown when few
calls remain. Tokens live in a cachetools TLRU cache until shortly before they expire.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp
import jwt
from cachetools import TLRUCache
from gidgethub import aiohttp as gh_aiohttp

from asyncguard.bot.metrics import BotMetrics

log = logging.getLogger("asyncguard.github")

TOKEN_MARGIN = 300.0  # refresh installation tokens this many seconds before GitHub's expiry
LOW_REMAINING = 50  # below this many calls left, spread the rest over the window
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


class GitHubUnavailable(Exception):
    """GitHub kept failing (5xx, connection errors, long rate limits) after our retries."""


class DownloadTooLarge(Exception):
    """A download exceeded its byte cap."""


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 10.0
    max_rate_wait: float = 60.0
    request_timeout: float = 30.0
    write_spacing: float = 1.0

    def backoff(self, attempt: int) -> float:
        delay: float = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return delay * (0.5 + random.random() / 2)


def rate_limit_wait(status: int, headers: Mapping[str, str], body: bytes, now: float | None = None) -> float | None:
    """Seconds GitHub asks us to wait, or None if this response is not a rate limit."""
    now = time.time() if now is None else now
    if status not in (403, 429):
        return None
    retry_after = headers.get("Retry-After") or headers.get("retry-after")
    remaining = headers.get("x-ratelimit-remaining")
    reset = headers.get("x-ratelimit-reset")
    secondary = b"secondary rate limit" in body.lower() or b"abuse" in body.lower()
    if status == 403 and not secondary and remaining != "0" and retry_after is None:
        return None  # a plain permission error
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
            except (TypeError, ValueError):
                pass
    if remaining == "0" and reset and reset.isdigit():
        return max(0.0, int(reset) - now + 1)
    return 60.0


class _WriteGate:
    """Serialize an installation's writes and space content-creating ones (secondary limits)."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.last_create = 0.0


class TokenCache:
    """Installation tokens, kept until TOKEN_MARGIN seconds before they expire."""

    def __init__(self, maxsize: int = 1024, margin: float = TOKEN_MARGIN) -> None:
        self.margin = margin
        self._cache: TLRUCache[int, tuple[str, float]] = TLRUCache(
            maxsize=maxsize, ttu=lambda _k, v, _now: v[1] - self.margin, timer=time.monotonic
        )
        self._locks: dict[int, asyncio.Lock] = {}

    def get(self, installation_id: int) -> str | None:
        hit = self._cache.get(installation_id)
        return hit[0] if hit else None

    def put(self, installation_id: int, token: str, expires_at: datetime) -> None:
        lifetime = (expires_at - datetime.now(UTC)).total_seconds()
        self._cache[installation_id] = (token, time.monotonic() + lifetime)

    def invalidate(self, installation_id: int) -> None:
        self._cache.pop(installation_id, None)

    def lock(self, installation_id: int) -> asyncio.Lock:
        return self._locks.setdefault(installation_id, asyncio.Lock())


class GitHubClient(gh_aiohttp.GitHubAPI):
    """gidgethub client for one installation (or the app itself) with the policy above."""

    def __init__(self, app: GitHubApp, installation_id: int | None) -> None:
        super().__init__(app.session, "asyncguard", base_url=app.base_url)
        self.app = app
        self.installation_id = installation_id

    async def _auth_header(self, refresh: bool) -> str:
        if self.installation_id is None:
            return f"Bearer {self.app.jwt()}"
        return f"token {await self.app.installation_token(self.installation_id, refresh=refresh)}"

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, Mapping[str, str], bytes]:
        status, rheaders, rbody = await self.send(method, url, headers, body)
        if status == 422:
            rbody = _normalize_422(rbody)
        return status, rheaders, rbody

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes = b"",
        *,
        sink: Path | None = None,
        max_bytes: int | None = None,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """One logical request; with `sink`, a 200 body is streamed to that file (capped)."""
        policy = self.app.policy
        refreshed = force_refresh = False
        attempt = 0
        while True:
            sent = dict(headers)
            sent["authorization"] = await self._auth_header(force_refresh)
            force_refresh = False
            try:
                status, rheaders, rbody = await self._once(method, url, sent, body, sink, max_bytes)
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.app.metrics.api_calls.inc(method=method, status="error")
                if attempt >= policy.max_retries:
                    raise GitHubUnavailable(f"{method} {_path(url)}: {exc.__class__.__name__} after {attempt + 1} tries") from exc
                await self.sleep(policy.backoff(attempt))
                attempt += 1
                continue
            self.app.metrics.api_calls.inc(method=method, status=str(status))
            self._note_rate(rheaders)
            if status == 401 and self.installation_id is not None and not refreshed:
                log.info("401 from GitHub for installation %s: refreshing its token", self.installation_id)
                refreshed = force_refresh = True
                continue
            wait = rate_limit_wait(status, rheaders, rbody)
            if wait is not None:
                if wait > policy.max_rate_wait or attempt >= policy.max_retries:
                    raise GitHubUnavailable(f"{method} {_path(url)}: rate limited by GitHub for {wait:.0f}s more")
                log.warning("rate limited on %s %s: waiting %.1fs", method, _path(url), wait)
                await self.sleep(wait)
                attempt += 1
                continue
            if status >= 500 and attempt < policy.max_retries:
                await self.sleep(policy.backoff(attempt))
                attempt += 1
                continue
            await self._pace(rheaders)
            return status, rheaders, rbody

    async def _once(
        self, method: str, url: str, headers: dict[str, str], body: bytes, sink: Path | None, max_bytes: int | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        if method in WRITE_METHODS and self.installation_id is not None:
            gate = self.app.write_gate(self.installation_id)
            async with gate.lock:
                if method == "POST":
                    gap = self.app.policy.write_spacing - (time.monotonic() - gate.last_create)
                    if gap > 0:
                        await asyncio.sleep(gap)
                    gate.last_create = time.monotonic()
                return await self._exchange(method, url, headers, body, sink, max_bytes)
        return await self._exchange(method, url, headers, body, sink, max_bytes)

    async def _exchange(
        self, method: str, url: str, headers: dict[str, str], body: bytes, sink: Path | None, max_bytes: int | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        t = self.app.policy.request_timeout
        timeout = aiohttp.ClientTimeout(total=None if sink else t * 2, sock_connect=t, sock_read=t)
        async with self._session.request(method, url, headers=headers, data=body, timeout=timeout) as resp:
            if sink is None or resp.status != 200:
                return resp.status, resp.headers, await resp.read()
            size = 0
            with sink.open("wb") as out:
                async for chunk in resp.content.iter_chunked(1 << 16):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise DownloadTooLarge(f"download exceeds {max_bytes} bytes")
                    out.write(chunk)
            return resp.status, resp.headers, b""

    def _note_rate(self, headers: Mapping[str, str]) -> None:
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.isdigit():
            self.app.metrics.rate_remaining.set(
                float(remaining), installation=str(self.installation_id if self.installation_id is not None else "app")
            )

    async def _pace(self, headers: Mapping[str, str]) -> None:
        """With few calls left, spread the rest until the reset (bounded)."""
        remaining, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
        if not (remaining and remaining.isdigit() and reset and reset.isdigit()):
            return
        left = int(remaining)
        if left >= LOW_REMAINING:
            return
        window = max(0.0, int(reset) - time.time())
        delay = min(window / max(left, 1), self.app.policy.max_rate_wait)
        if delay > 0:
            log.warning("only %d GitHub calls left until reset: pausing %.1fs", left, delay)
            await self.sleep(delay)

    async def download(self, url: str, dest: Path, max_bytes: int) -> None:
        """GET `url` (following GitHub's redirect) into `dest`, at most `max_bytes`."""
        full = url if url.startswith("http") else self.base_url + url
        headers = {"user-agent": self.requester, "accept": "application/vnd.github+json"}
        status, _, body = await self.send("GET", full, headers, sink=dest, max_bytes=max_bytes)
        if status != 200:
            raise GitHubUnavailable(f"GET {_path(full)}: HTTP {status} {body[:200].decode(errors='replace')}")


def _normalize_422(body: bytes) -> bytes:
    """GitHub sometimes lists 422 `errors` as plain strings (e.g. review comments outside the diff);
    gidgethub expects objects with a `code` and crashes with a TypeError on strings."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list) or all(isinstance(e, dict) and "code" in e for e in errors):
        return body
    data["errors"] = [e if isinstance(e, dict) and "code" in e else {"code": "custom", "message": str(e)} for e in errors]
    return json.dumps(data).encode()


def _path(url: str) -> str:
    return url.split("?", 1)[0]


class GitHubApp:
    """Shared state for every client: session, key, token cache, write gates, metrics."""

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        app_id: int,
        private_key: str,
        base_url: str,
        metrics: BotMetrics,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.session = session
        self.app_id = app_id
        self._private_key = private_key
        self.base_url = base_url.rstrip("/")
        self.metrics = metrics
        self.policy = policy or RetryPolicy()
        self.tokens = TokenCache()
        self._gates: dict[int, _WriteGate] = {}
        self._jwt: tuple[str, float] | None = None
        self.tokens_fetched = 0

    def jwt(self) -> str:
        """The App's JWT (RS256, 9 minutes, issued 60 s in the past for clock drift); reused ~5 min."""
        now = time.time()
        if self._jwt and self._jwt[1] > now + 240:
            return self._jwt[0]
        token = jwt.encode({"iat": int(now) - 60, "exp": int(now) + 540, "iss": str(self.app_id)},
                           self._private_key, algorithm="RS256")
        self._jwt = (token, now + 540)
        return token

    def write_gate(self, installation_id: int) -> _WriteGate:
        return self._gates.setdefault(installation_id, _WriteGate())

    def client(self, installation_id: int | None) -> GitHubClient:
        """A client acting as the installation (None: as the App itself)."""
        return GitHubClient(self, installation_id)

    async def installation_token(self, installation_id: int, *, refresh: bool = False) -> str:
        if refresh:
            self.tokens.invalidate(installation_id)
        token = self.tokens.get(installation_id)
        if token:
            return token
        async with self.tokens.lock(installation_id):
            token = self.tokens.get(installation_id)
            if token:
                return token
            data: Any = await self.client(None).post(f"/app/installations/{installation_id}/access_tokens", data=b"")
            expires = datetime.strptime(data["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            self.tokens.put(installation_id, data["token"], expires)
            self.tokens_fetched += 1
            return str(data["token"])
