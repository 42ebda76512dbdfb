"""Settings from the environment and .env; `asyncguard serve` start-up errors and secrecy."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from fakegithub import generate_private_key

from asyncguard.bot.settings import BotSettings, load_settings

PEM = generate_private_key()
ASYNCGUARD = Path(sys.executable).parent / "asyncguard"


def test_defaults_without_anything(tmp_path: Path) -> None:
    settings, errors = load_settings({}, dotenv=tmp_path / "none.env")
    assert errors == []
    assert (settings.host, settings.port, settings.github_api_url) == ("127.0.0.1", 8080, "https://api.github.com")
    assert not settings.configured
    assert [m.split()[0] for m in settings.missing()] == [
        "ASYNCGUARD_APP_ID", "ASYNCGUARD_PRIVATE_KEY", "ASYNCGUARD_WEBHOOK_SECRET"]


def test_full_configuration(tmp_path: Path) -> None:
    key = tmp_path / "app.pem"
    key.write_text(PEM)
    env = {"ASYNCGUARD_APP_ID": "12", "ASYNCGUARD_PRIVATE_KEY_PATH": str(key), "ASYNCGUARD_WEBHOOK_SECRET": "s3",
           "ASYNCGUARD_GITHUB_API_URL": "https://ghe.example.com/api/v3/", "ASYNCGUARD_PORT": "9000",
           "ASYNCGUARD_DATA_DIR": str(tmp_path / "d"), "ASYNCGUARD_CHECK_DRAFTS": "yes"}
    settings, errors = load_settings(env, dotenv=tmp_path / "none.env")
    assert errors == []
    assert settings.configured and settings.app_id == 12 and settings.port == 9000 and settings.check_drafts
    assert settings.github_api_url == "https://ghe.example.com/api/v3"
    assert "s3" not in repr(settings) and "PRIVATE KEY" not in repr(settings)


def test_each_malformed_value_gets_one_line(tmp_path: Path) -> None:
    env = {"ASYNCGUARD_APP_ID": "twelve", "ASYNCGUARD_PRIVATE_KEY": "not a key", "ASYNCGUARD_WEBHOOK_SECRET": "x",
           "ASYNCGUARD_PORT": "99999", "ASYNCGUARD_GITHUB_API_URL": "ftp://x", "ASYNCGUARD_WORKERS": "0"}
    _, errors = load_settings(env, dotenv=tmp_path / "none.env")
    assert len(errors) == 5, errors
    joined = "\n".join(errors)
    for name in ("ASYNCGUARD_APP_ID", "ASYNCGUARD_PRIVATE_KEY", "ASYNCGUARD_PORT", "ASYNCGUARD_GITHUB_API_URL",
                 "ASYNCGUARD_WORKERS"):
        assert name in joined
    assert "not a key" not in joined  # never echo a secret back


def test_partial_credentials_and_unreadable_key(tmp_path: Path) -> None:
    _, errors = load_settings({"ASYNCGUARD_APP_ID": "3"}, dotenv=tmp_path / "none.env")
    assert sorted(e.split(":")[0] for e in errors) == ["ASYNCGUARD_PRIVATE_KEY", "ASYNCGUARD_WEBHOOK_SECRET"]
    _, errors = load_settings({"ASYNCGUARD_APP_ID": "3", "ASYNCGUARD_WEBHOOK_SECRET": "s",
                               "ASYNCGUARD_PRIVATE_KEY_PATH": str(tmp_path / "missing.pem")}, dotenv=tmp_path / "n")
    assert len(errors) == 1 and errors[0].startswith("ASYNCGUARD_PRIVATE_KEY_PATH")


def test_dotenv_fills_in_and_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    escaped = PEM.replace("\n", "\\n")
    dotenv.write_text(f'# comment\nASYNCGUARD_APP_ID=5\nASYNCGUARD_PRIVATE_KEY="{escaped}"\n'
                      "export ASYNCGUARD_WEBHOOK_SECRET='from-file'\nASYNCGUARD_PORT=7000\n")
    settings, errors = load_settings({"ASYNCGUARD_PORT": "7001"}, dotenv=dotenv)
    assert errors == []
    assert settings.app_id == 5 and settings.webhook_secret == "from-file" and settings.port == 7001
    assert settings.private_key is not None and settings.private_key.startswith("-----BEGIN PRIVATE KEY-----\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCGUARD_")}
    env.update({"ASYNCGUARD_DATA_DIR": str(tmp_path / "data")}, **extra)
    return env


def test_serve_refuses_an_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    env = _clean_env(tmp_path, ASYNCGUARD_DATA_DIR=str(blocker / "data"))
    done = subprocess.run([str(ASYNCGUARD), "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "ASYNCGUARD_DATA_DIR" in done.stderr and "Traceback" not in done.stderr


def test_serve_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, ASYNCGUARD_APP_ID="abc", ASYNCGUARD_PORT="http")
    done = subprocess.run([str(ASYNCGUARD), "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert any("ASYNCGUARD_APP_ID" in line for line in lines) and any("ASYNCGUARD_PORT" in line for line in lines)
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("configured", [False, True])
def test_serve_starts_and_never_logs_secrets(tmp_path: Path, configured: bool) -> None:
    port = _free_port()
    extra = {"ASYNCGUARD_PORT": str(port)}
    if configured:
        extra.update(ASYNCGUARD_APP_ID="77", ASYNCGUARD_PRIVATE_KEY=PEM, ASYNCGUARD_WEBHOOK_SECRET="hush-hush-123")
    proc = subprocess.Popen([str(ASYNCGUARD), "serve"], env=_clean_env(tmp_path, **extra), cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2)
            ready = 200
        except urllib.error.HTTPError as exc:
            ready = exc.code
        assert ready == (200 if configured else 503)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    logged = out + err
    if configured:
        assert "hush-hush-123" not in logged and "PRIVATE KEY" not in logged
    else:
        assert "ASYNCGUARD_APP_ID" in logged and "ASYNCGUARD_WEBHOOK_SECRET" in logged


def test_settings_dataclass_is_frozen() -> None:
    s = BotSettings()
    with pytest.raises(AttributeError):
        s.port = 1  # type: ignore[misc]
