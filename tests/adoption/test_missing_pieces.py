"""A contributor without root: the tests that need Chromium or PostgreSQL are deselected and listed,
every other test runs; under CI=true the same run is an error before any test runs.

Runs the real pytest on this suite in a subprocess, with the pieces pointed at paths that do not
exist (ASYNCGUARD_CHROMIUM, ASYNCGUARD_PG_BINDIR), which is what the suite sees on such a machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SELECTION = ["tests/training/test_site_browser.py", "tests/storage/test_deliveries.py"]


def _pytest(ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(ASYNCGUARD_CHROMIUM="/nonexistent/chromium", ASYNCGUARD_PG_BINDIR="/nonexistent/pg/bin")
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SELECTION],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_without_the_pieces_the_rest_runs_and_what_did_not_is_listed() -> None:
    run = _pytest(ci=False)
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert "NOT RUN:" in out and "browser: headless Chromium not found at /nonexistent/chromium" in out
    assert "postgresql: PostgreSQL server binaries not found" in out
    assert "not run [browser] tests/training/test_site_browser.py::" in out
    assert "not run [postgresql] tests/storage/test_deliveries.py::test_first_time_then_duplicate[postgresql]" in out
    assert "[sqlite]" not in out.split("NOT RUN:")[1]  # the SQLite half ran
    passed = int(out.strip().splitlines()[-1].split(" passed")[0].split()[-1])
    deselected = int(out.strip().splitlines()[-1].split(" deselected")[0].split()[-1])
    assert passed > 0 and deselected == out.count("  not run ")


def test_under_ci_a_missing_piece_is_an_error() -> None:
    run = _pytest(ci=True)
    assert run.returncode != 0
    text = run.stdout + run.stderr
    assert "CI=true and a system piece is missing" in text and "passed" not in text
