"""Eat our own cooking: `asyncguard check` on this repository passes at the default rule set, with
no inline suppression and no configuration that narrows what is checked. `scripts/test` (which
`.ci/run` calls) runs the same command before pytest.

Why it is clean rather than quiet: the bot's stores (audit trail, jobs, monitoring) go through
SQLAlchemy's async engine (aiosqlite / asyncpg), so no `sqlite3` call is made from `async def`;
AG107 follows sync helpers across modules and would report one. What stays out, and why:
- AG107 in test files (the default `per-file-ignores`, checks/README.md: a blocking call in an
  async test stalls only that test's own loop);
- AG113 is opt-in. On this repository it reports 6 discarded `.execute()` / `.fail()` calls, all
  false positives: the DBAPI cursor in SQLAlchemy's sync `connect` listener (bot/storage/db.py) and
  mypy's `api.fail` (checks/mypy_plugin.py) are plain methods that share a name with our coroutines.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tokenize
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASYNCGUARD = Path(sys.executable).with_name("asyncguard")
LAYERS = ("bot", "checks", "contracts", "rules", "training_content")
# path -> why a reviewer accepts it. Empty: there is none.
ACCEPTED_SUPPRESSIONS: dict[str, str] = {}
# keys that change where output goes, never what is checked
NEUTRAL_KEYS = {"training-url", "cache-dir"}


def _tracked_python() -> list[str]:
    out = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [p for p in out.splitlines() if not p.startswith("tests/data/")]


def test_asyncguard_check_passes_on_this_repository() -> None:
    done = subprocess.run([str(ASYNCGUARD), "check", ".", "--format", "json", "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[:5000] + done.stderr
    assert json.loads(done.stdout) == []
    text = subprocess.run([str(ASYNCGUARD), "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=300)
    counted = re.search(r"\((\d+) files checked\)", text.stdout)
    assert counted, text.stdout
    checked = int(counted.group(1))
    layer_files = [p for p in _tracked_python() if p.split("/")[0] in LAYERS]
    assert checked >= len(layer_files) > 100  # the whole code base, not a corner of it


def test_nothing_is_suppressed_or_configured_away() -> None:
    found: dict[str, int] = {}
    for rel in _tracked_python():
        source = (ROOT / rel).read_text(encoding="utf-8")
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        except (tokenize.TokenError, SyntaxError):
            continue
        n = sum(1 for t in tokens if t.type == tokenize.COMMENT and re.search(r"asyncguard:\s*ignore", t.string))
        if n:
            found[rel] = n
    assert set(found) == set(ACCEPTED_SUPPRESSIONS), found
    table = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"].get("asyncguard", {})
    assert set(table) <= NEUTRAL_KEYS, f"[tool.asyncguard] narrows the self-check: {table}"
    assert not (ROOT / ".asyncguard.yml").exists() or "rules:" not in (ROOT / ".asyncguard.yml").read_text()


def test_scripts_test_runs_the_self_check_before_pytest() -> None:
    lines = [line.strip() for line in (ROOT / "scripts" / "test").read_text().splitlines()]
    check = lines.index(".venv/bin/asyncguard check .")
    assert check < next(i for i, line in enumerate(lines) if line.startswith(".venv/bin/pytest"))
    assert "exec scripts/test" in (ROOT / ".ci" / "run").read_text()
