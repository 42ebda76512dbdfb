"""`asyncguard explain` and `asyncguard training build`, run as real subprocesses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from asyncguard.checks.training import render_terminal
from asyncguard.contracts.codes import CHANGE_CODES
from asyncguard.rules.registry import RULES

ASYNCGUARD = Path(sys.executable).parent / "asyncguard"


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ASYNCGUARD), *args], capture_output=True, text=True, timeout=60, env=env)


def test_explain_prints_the_page_for_a_terminal() -> None:
    proc = _run("explain", "ag101")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("AG101 missing-await\n===")
    assert "Why it breaks at run time\n-------------------------" in out
    assert "    RuntimeWarning: coroutine 'fetch_user' was never awaited" in out
    assert "--- bad ---" in out and "--- good ---" in out
    assert "        user = await fetch_user(42)" in out  # code indented, as written
    assert "`" not in out and "](" not in out and "\x1b[" not in out  # markup and colour gone when piped
    assert out.rstrip().endswith("Online: http://127.0.0.1:8080/training/rules/AG101.html")


def test_explain_link_follows_the_configured_base() -> None:
    env = {"PATH": "/usr/bin:/bin", "ASYNCGUARD_TRAINING_URL": "https://bot.example.test/training/"}
    proc = _run("explain", "AG202", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("AG202 sync-to-async")
    assert "Online: https://bot.example.test/training/rules/AG202.html" in proc.stdout


def test_explain_bad_codes_are_usage_errors_without_traceback() -> None:
    for arg, message in [("AG999", "no training page for AG999"), ("hello", "'hello' is neither a code")]:
        proc = _run("explain", arg)
        assert proc.returncode == 2
        assert message in proc.stderr and "Traceback" not in proc.stderr
    proc = _run("explain")
    assert proc.returncode == 2 and "give a code" in proc.stderr


def test_explain_list_and_colour() -> None:
    proc = _run("explain", "--list")
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and lines[0].startswith("AG000  parse-error") and len(lines) == len(RULES) + len(CHANGE_CODES)
    coloured = render_terminal("AG101", color=True, width=80)
    assert "\x1b[1mAG101 missing-await\x1b[0m" in coloured and "\x1b[36masync def\x1b[0m" in coloured
    assert all(len(line) <= 80 for line in render_terminal("AG107", width=80).splitlines() if not line.startswith("    "))


def test_training_build(tmp_path: Path) -> None:
    out = tmp_path / "site"
    proc = _run("training", "build", "--out", str(out), "--base-url", "https://x.test/training")
    assert proc.returncode == 0, proc.stderr
    assert f"to {out}/" in proc.stdout
    assert (out / "index.html").is_file() and (out / "rules" / "AG113.html").is_file()
    assert 'href="https://x.test/training/index.html"' in (out / "index.html").read_text()
    (tmp_path / "file").write_text("x")
    proc = _run("training", "build", "--out", str(tmp_path / "file"))
    assert proc.returncode == 2 and "is not a folder" in proc.stderr and "Traceback" not in proc.stderr
