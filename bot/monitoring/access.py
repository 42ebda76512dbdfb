"""Who may see the dashboard: decided from the request's headers and cookies, as data.

Three ways in, each off unless its settings are set: a bearer token (`ASYNCGUARD_DASHBOARD_TOKEN`),
a header set by an authenticating reverse proxy (`ASYNCGUARD_DASHBOARD_USER_HEADER`), or signing in
with GitHub (the App's OAuth user flow; the session lists the installations GitHub says the user
can access). Anything else is 401 (sign-in possible) or 403, with a body that says nothing more.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

SESSION_COOKIE = "asyncguard_session"
STATE_COOKIE = "asyncguard_oauth_state"
SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Access:
    allowed: bool
    status: int = 200  # 401 or 403 when refused
    who: str = ""
    installations: frozenset[int] | None = None  # None: every installation (token or proxy)
    sign_in: bool = False  # refused, but GitHub sign-in is offered


@dataclass(frozen=True)
class AccessSettings:
    token: str | None = None
    user_header: str | None = None
    oauth: bool = False  # client id and secret are set
    session_key: bytes = b""

    @property
    def any(self) -> bool:
        return bool(self.token or self.user_header or self.oauth)


def session_key(secret: str) -> bytes:
    """The cookie signing key, derived so the secret itself never signs anything else."""
    return hmac.new(secret.encode(), b"asyncguard dashboard session v1", hashlib.sha256).digest()


def make_session(key: bytes, login: str, installations: frozenset[int], now: float | None = None) -> str:
    payload = json.dumps({"u": login, "i": sorted(installations),
                          "e": int((time.time() if now is None else now) + SESSION_SECONDS)}, separators=(",", ":"))
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    sig = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{sig}"


def read_session(key: bytes, value: str, now: float | None = None) -> tuple[str, frozenset[int]] | None:
    body, _, sig = value.partition(".")
    if not key or not body or not hmac.compare_digest(sig, hmac.new(key, body.encode(), hashlib.sha256).hexdigest()):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        login, inst, exp = str(data["u"]), frozenset(int(i) for i in data["i"]), float(data["e"])
    except (ValueError, KeyError, TypeError):
        return None
    if exp < (time.time() if now is None else now):
        return None
    return login, inst


def authorize(cfg: AccessSettings, headers: Mapping[str, str], cookies: Mapping[str, str],
              now: float | None = None) -> Access:
    if not cfg.any:
        return Access(False, 403)
    if cfg.token:
        scheme, _, cred = headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(cred.strip().encode(), cfg.token.encode()):
            return Access(True, who="token")
    if cfg.user_header:
        user = headers.get(cfg.user_header, "").strip()
        if user:
            return Access(True, who=user)
    if cfg.oauth:
        got = read_session(cfg.session_key, cookies.get(SESSION_COOKIE, ""), now)
        if got is not None:
            login, inst = got
            if not inst:
                return Access(False, 403)
            return Access(True, who=login, installations=inst)
        return Access(False, 401, sign_in=True)
    return Access(False, 401)
