"""Who may see the dashboard, decided as data; the settings that name the ways in, with clear errors."""

from __future__ import annotations

from pathlib import Path

from asyncguard.bot.monitoring import access
from asyncguard.bot.settings import load_settings

KEY = access.session_key("client-secret")
TOKEN = "t" * 24


def test_nothing_configured_refuses_everyone() -> None:
    d = access.authorize(access.AccessSettings(), {"Authorization": f"Bearer {TOKEN}", "X-User": "a"}, {})
    assert (d.allowed, d.status) == (False, 403)


def test_token_header_and_session() -> None:
    cfg = access.AccessSettings(token=TOKEN, user_header="X-Forwarded-User", oauth=True, session_key=KEY)
    assert access.authorize(cfg, {"Authorization": f"Bearer {TOKEN}"}, {}).who == "token"
    assert access.authorize(cfg, {"Authorization": f"bearer {TOKEN}"}, {}).allowed
    assert access.authorize(cfg, {"X-Forwarded-User": "ann"}, {}).who == "ann"
    assert not access.authorize(cfg, {"X-Forwarded-User": "  "}, {}).allowed
    refused = access.authorize(cfg, {"Authorization": "Bearer nope"}, {})
    assert (refused.status, refused.sign_in) == (401, True)
    cookie = access.make_session(KEY, "carol", frozenset({77}), now=1000.0)
    ok = access.authorize(cfg, {}, {access.SESSION_COOKIE: cookie}, now=1001.0)
    assert (ok.allowed, ok.who, ok.installations) == (True, "carol", frozenset({77}))
    assert not access.authorize(cfg, {}, {access.SESSION_COOKIE: cookie}, now=1000.0 + access.SESSION_SECONDS + 1).allowed
    other_key = access.make_session(access.session_key("another secret"), "carol", frozenset({77}), now=1000.0)
    assert not access.authorize(cfg, {}, {access.SESSION_COOKIE: other_key}, now=1001.0).allowed
    body, _, sig = cookie.partition(".")
    assert not access.authorize(cfg, {}, {access.SESSION_COOKIE: body + "x." + sig}, now=1001.0).allowed
    empty = access.make_session(KEY, "dave", frozenset(), now=1000.0)
    assert access.authorize(cfg, {}, {access.SESSION_COOKIE: empty}, now=1001.0).status == 403


def test_settings(tmp_path: Path) -> None:
    s, errors = load_settings({"ASYNCGUARD_DASHBOARD_TOKEN": TOKEN, "ASYNCGUARD_DASHBOARD_USER_HEADER": "X-Forwarded-User",
                               "ASYNCGUARD_OAUTH_CLIENT_ID": "Iv1.abc", "ASYNCGUARD_OAUTH_CLIENT_SECRET": "shh",
                               "ASYNCGUARD_GITHUB_WEB_URL": "https://ghe.example/", "ASYNCGUARD_REPORT_REPO": "acme/gov"},
                              dotenv=tmp_path / "none")
    assert errors == []
    assert (s.dashboard_token, s.dashboard_user_header, s.oauth_client_id, s.github_web_url, s.report_repo) == (
        TOKEN, "X-Forwarded-User", "Iv1.abc", "https://ghe.example", "acme/gov")
    assert TOKEN not in repr(s) and "shh" not in repr(s)
    _, errors = load_settings({"ASYNCGUARD_DASHBOARD_TOKEN": "short", "ASYNCGUARD_DASHBOARD_USER_HEADER": "X User",
                               "ASYNCGUARD_OAUTH_CLIENT_ID": "Iv1.abc", "ASYNCGUARD_REPORT_REPO": "nope",
                               "ASYNCGUARD_PUBLIC_URL": "bot.example"}, dotenv=tmp_path / "none")
    assert len(errors) == 5
    assert any("at least 16" in e for e in errors) and any("set both or neither" in e for e in errors)
