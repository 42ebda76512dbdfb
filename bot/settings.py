"""The bot's settings, from the environment (and an optional `.env` file).

The variable names are fixed by the issue because users put them in deployment files. Each
missing or malformed value yields one clear line; with no credentials at all the server still
starts (unconfigured: /healthz, the training site) and says what to set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

CREDENTIALS = ("ASYNCGUARD_APP_ID", "ASYNCGUARD_PRIVATE_KEY", "ASYNCGUARD_WEBHOOK_SECRET")


@dataclass(frozen=True)
class BotSettings:
    app_id: int | None = None
    private_key: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    github_api_url: str = "https://api.github.com"
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path(".asyncguard-data")
    database_url: str | None = field(default=None, repr=False)  # ASYNCGUARD_DATABASE_URL; None: SQLite in data_dir
    check_drafts: bool = False  # ASYNCGUARD_CHECK_DRAFTS: run on draft PRs too
    workers: int = 4  # delivery workers
    max_concurrent_runs: int = 2  # PR runs at once (CPU-bound analysis)
    debounce_seconds: float = 1.0  # a burst of events for one PR within this window = one run
    request_timeout: float = 30.0  # per GitHub request
    header_timeout: float = 10.0  # a connection without complete request headers (or idle) this long is closed
    body_timeout: float = 10.0  # a webhook body must arrive within this (GitHub gives up after 10 s)
    max_retries: int = 4
    backoff_base: float = 0.5  # first retry after ~this many seconds, doubling
    write_spacing: float = 1.0  # seconds between content-creating writes per installation
    max_rate_wait: float = 60.0  # longest we sleep for a rate limit before giving up
    tarball_max_bytes: int = 200 * 1024**2
    extract_max_bytes: int = 1024**3
    extract_max_files: int = 100_000
    snapshot_cache_bytes: int = 2 * 1024**3
    clean_conclusion: str = "success"  # conclusion without blocking findings: success | neutral
    training_url: str | None = None  # public base URL of /training (rule links in output)
    prewarm: bool = True  # start analysis worker processes at start-up (not from the environment)
    # the dashboard (/dashboard/): who may see it; nothing set = nobody
    dashboard_token: str | None = field(default=None, repr=False)  # ASYNCGUARD_DASHBOARD_TOKEN: Bearer <token>
    dashboard_user_header: str | None = None  # ASYNCGUARD_DASHBOARD_USER_HEADER: set by an authenticating proxy
    oauth_client_id: str | None = None  # ASYNCGUARD_OAUTH_CLIENT_ID: the App's client id (sign in with GitHub)
    oauth_client_secret: str | None = field(default=None, repr=False)  # ASYNCGUARD_OAUTH_CLIENT_SECRET
    github_web_url: str = "https://github.com"  # ASYNCGUARD_GITHUB_WEB_URL: where the OAuth pages are
    public_url: str | None = None  # ASYNCGUARD_PUBLIC_URL: this server's external base URL (OAuth callback)
    # the monthly report: an issue opened or updated in this repository on the 1st
    report_repo: str | None = None  # ASYNCGUARD_REPORT_REPO: owner/name (the App must be installed there)
    report_check_seconds: float = 3600.0  # how often the scheduler looks whether a report is due

    @property
    def configured(self) -> bool:
        return self.app_id is not None and self.private_key is not None and bool((self.webhook_secret or "").strip())

    def missing(self) -> list[str]:
        """What to set before the bot can talk to GitHub (for logs and /readyz)."""
        out = []
        if self.app_id is None:
            out.append("ASYNCGUARD_APP_ID (the GitHub App's numeric id)")
        if self.private_key is None:
            out.append("ASYNCGUARD_PRIVATE_KEY (PEM text) or ASYNCGUARD_PRIVATE_KEY_PATH (a .pem file)")
        if not (self.webhook_secret or "").strip():
            out.append("ASYNCGUARD_WEBHOOK_SECRET (the App's webhook secret)")
        return out


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; quotes stripped; `\\n` in double quotes becomes a newline (PEM keys)."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            quote = value[0]
            value = value[1:-1]
            if quote == '"':
                value = value.replace("\\n", "\n")
        values[key] = value
    return values


def _bool(name: str, text: str, errors: list[str]) -> bool:
    if text.lower() in {"1", "true", "yes", "on"}:
        return True
    if text.lower() in {"0", "false", "no", "off", ""}:
        return False
    errors.append(f"{name}: expected true or false, got {text!r}")
    return False


def _number(name: str, text: str, errors: list[str], kind: type, low: float) -> float | int | None:
    try:
        value = kind(text)
    except ValueError:
        errors.append(f"{name}: expected a {'whole ' if kind is int else ''}number, got {text!r}")
        return None
    if value < low:
        errors.append(f"{name}: must be at least {low}, got {text!r}")
        return None
    return value


_TUNABLES: dict[str, tuple[str, type, float]] = {
    "ASYNCGUARD_WORKERS": ("workers", int, 1),
    "ASYNCGUARD_MAX_CONCURRENT_RUNS": ("max_concurrent_runs", int, 1),
    "ASYNCGUARD_DEBOUNCE_SECONDS": ("debounce_seconds", float, 0),
    "ASYNCGUARD_REQUEST_TIMEOUT": ("request_timeout", float, 0.01),
    "ASYNCGUARD_HEADER_TIMEOUT": ("header_timeout", float, 0.1),
    "ASYNCGUARD_BODY_TIMEOUT": ("body_timeout", float, 0.1),
    "ASYNCGUARD_MAX_RETRIES": ("max_retries", int, 0),
    "ASYNCGUARD_BACKOFF_BASE": ("backoff_base", float, 0),
    "ASYNCGUARD_WRITE_SPACING": ("write_spacing", float, 0),
    "ASYNCGUARD_MAX_RATE_WAIT": ("max_rate_wait", float, 0),
    "ASYNCGUARD_TARBALL_MAX_BYTES": ("tarball_max_bytes", int, 1),
    "ASYNCGUARD_EXTRACT_MAX_BYTES": ("extract_max_bytes", int, 1),
    "ASYNCGUARD_EXTRACT_MAX_FILES": ("extract_max_files", int, 1),
    "ASYNCGUARD_SNAPSHOT_CACHE_BYTES": ("snapshot_cache_bytes", int, 0),
}


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = None
) -> tuple[BotSettings, list[str]]:
    """Settings plus one error line per malformed value (empty list = fine).

    `.env` (default: ./.env when present) fills in what the environment does not set.
    """
    env: dict[str, str] = {}
    errors: list[str] = []
    dotenv = dotenv if dotenv is not None else Path(".env")
    if dotenv.is_file():
        try:
            env.update(read_dotenv(dotenv))
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{dotenv}: cannot read it ({exc})")
    env.update(os.environ if environ is None else environ)
    values: dict[str, object] = {}

    app_id = env.get("ASYNCGUARD_APP_ID", "").strip()
    if app_id:
        if app_id.isdigit() and int(app_id) > 0:
            values["app_id"] = int(app_id)
        else:
            errors.append(f"ASYNCGUARD_APP_ID: expected the App's numeric id, got {app_id!r}")

    key = env.get("ASYNCGUARD_PRIVATE_KEY", "").strip()
    key_path = env.get("ASYNCGUARD_PRIVATE_KEY_PATH", "").strip()
    if key and key_path:
        errors.append("ASYNCGUARD_PRIVATE_KEY and ASYNCGUARD_PRIVATE_KEY_PATH are both set: keep one")
    elif key_path:
        try:
            key = Path(key_path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"ASYNCGUARD_PRIVATE_KEY_PATH: cannot read {key_path} ({exc.__class__.__name__})")
            key = ""
    if key:
        key = key.replace("\\n", "\n")
        problem = _check_pem(key)
        if problem:
            errors.append(f"ASYNCGUARD_PRIVATE_KEY{'_PATH' if key_path else ''}: {problem}")
        else:
            values["private_key"] = key

    secret = env.get("ASYNCGUARD_WEBHOOK_SECRET", "")
    if secret and not secret.strip():
        errors.append("ASYNCGUARD_WEBHOOK_SECRET: only whitespace; set the App's real webhook secret")
    elif secret:
        values["webhook_secret"] = secret

    api = env.get("ASYNCGUARD_GITHUB_API_URL", "").strip()
    if api:
        if api.startswith(("http://", "https://")):
            values["github_api_url"] = api.rstrip("/")
        else:
            errors.append(f"ASYNCGUARD_GITHUB_API_URL: expected an http(s) URL, got {api!r}")

    host = env.get("ASYNCGUARD_HOST", "").strip()
    if host:
        values["host"] = host
    port = env.get("ASYNCGUARD_PORT", "").strip()
    if port:
        if port.isdigit() and 0 <= int(port) <= 65535:
            values["port"] = int(port)
        else:
            errors.append(f"ASYNCGUARD_PORT: expected a port number 0-65535, got {port!r}")
    data_dir = env.get("ASYNCGUARD_DATA_DIR", "").strip()
    if data_dir:
        values["data_dir"] = Path(data_dir)
    database_url = env.get("ASYNCGUARD_DATABASE_URL", "").strip()
    if database_url:
        from asyncguard.bot.storage.db import StorageError, database_url_for

        try:
            values["database_url"] = database_url_for(".", database_url)
        except StorageError as exc:
            errors.append(str(exc))
    if "ASYNCGUARD_CHECK_DRAFTS" in env:
        values["check_drafts"] = _bool("ASYNCGUARD_CHECK_DRAFTS", env["ASYNCGUARD_CHECK_DRAFTS"], errors)
    conclusion = env.get("ASYNCGUARD_CLEAN_CONCLUSION", "").strip()
    if conclusion:
        if conclusion in {"success", "neutral"}:
            values["clean_conclusion"] = conclusion
        else:
            errors.append(f"ASYNCGUARD_CLEAN_CONCLUSION: expected success or neutral, got {conclusion!r}")
    _monitoring_settings(env, values, errors)
    training = env.get("ASYNCGUARD_TRAINING_URL", "").strip()
    if training:
        values["training_url"] = training.rstrip("/")
    for name, (attr, kind, low) in _TUNABLES.items():
        if env.get(name, "").strip():
            value = _number(name, env[name].strip(), errors, kind, low)
            if value is not None:
                values[attr] = value
    partial = [n for n in CREDENTIALS if n in _given(env)]
    settings = BotSettings(**values)  # type: ignore[arg-type]
    if partial:
        for what in settings.missing():
            name = what.split(" ", 1)[0]
            if not any(e.startswith(name) for e in errors):
                errors.append(f"{name}: not set; set {what}")
    return settings, errors


_HEADER_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")


def _monitoring_settings(env: Mapping[str, str], values: dict[str, object], errors: list[str]) -> None:
    """The dashboard's access settings and the monthly report's repository."""
    token = env.get("ASYNCGUARD_DASHBOARD_TOKEN", "").strip()
    if token:
        if len(token) < 16:
            errors.append("ASYNCGUARD_DASHBOARD_TOKEN: use at least 16 characters (e.g. `openssl rand -hex 32`)")
        else:
            values["dashboard_token"] = token
    header = env.get("ASYNCGUARD_DASHBOARD_USER_HEADER", "").strip()
    if header:
        if _HEADER_RE.match(header):
            values["dashboard_user_header"] = header
        else:
            errors.append(f"ASYNCGUARD_DASHBOARD_USER_HEADER: expected a header name like X-Forwarded-User, got {header!r}")
    cid = env.get("ASYNCGUARD_OAUTH_CLIENT_ID", "").strip()
    secret = env.get("ASYNCGUARD_OAUTH_CLIENT_SECRET", "").strip()
    if bool(cid) != bool(secret):
        errors.append("ASYNCGUARD_OAUTH_CLIENT_ID and ASYNCGUARD_OAUTH_CLIENT_SECRET: set both or neither")
    elif cid:
        values["oauth_client_id"], values["oauth_client_secret"] = cid, secret
    for name, attr in (("ASYNCGUARD_GITHUB_WEB_URL", "github_web_url"), ("ASYNCGUARD_PUBLIC_URL", "public_url")):
        url = env.get(name, "").strip()
        if url:
            if url.startswith(("http://", "https://")):
                values[attr] = url.rstrip("/")
            else:
                errors.append(f"{name}: expected an http(s) URL, got {url!r}")
    repo = env.get("ASYNCGUARD_REPORT_REPO", "").strip()
    if repo:
        if _REPO_RE.match(repo):
            values["report_repo"] = repo
        else:
            errors.append(f"ASYNCGUARD_REPORT_REPO: expected owner/name, got {repo!r}")


def _given(env: Mapping[str, str]) -> set[str]:
    given = {n for n in CREDENTIALS if env.get(n, "").strip()}
    if env.get("ASYNCGUARD_PRIVATE_KEY_PATH", "").strip():
        given.add("ASYNCGUARD_PRIVATE_KEY")
    return given


def _check_pem(key: str) -> str | None:
    from cryptography.hazmat.primitives import serialization

    if "-----BEGIN" not in key:
        return "not a PEM private key (expected '-----BEGIN ... PRIVATE KEY-----')"
    try:
        serialization.load_pem_private_key(key.encode(), password=None)
    except (ValueError, TypeError) as exc:
        return f"cannot load the private key ({exc.__class__.__name__})"
    return None
