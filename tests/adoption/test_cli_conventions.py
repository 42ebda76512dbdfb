"""`asyncguard check` behaves as a ruff or mypy user guesses: exit codes by severity, --quiet,
--output-format, NO_COLOR, config discovery, --version; `explain` takes a rule's name too."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.checks.conftest import ASYNCGUARD

ERROR_TREE = {
    "pkg/__init__.py": "",
    "pkg/db.py": "async def connect():\n    ...\n",
    "pkg/app.py": "from pkg.db import connect\ndef main():\n    conn = connect()\n    conn.close()\n",
}
# AG107 (blocking call in async def) is a warning by default
WARNING_TREE = {"pkg/__init__.py": "", "pkg/svc.py": "import time\n\n\nasync def tick():\n    time.sleep(1)\n"}


def test_warnings_alone_do_not_fail_unless_asked(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = make_project(WARNING_TREE)
    done = run_cli("check", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pkg/svc.py:5:5: AG107 " in done.stdout  # still reported
    assert run_cli("check", "--fail-on", "warning", cwd=root).returncode == 1
    assert run_cli("check", "--fail-on", "error", cwd=root).returncode == 0
    configured = make_project(WARNING_TREE, pyproject='[tool.asyncguard]\nfail-on = "warning"\n')
    assert run_cli("check", cwd=configured).returncode == 1
    assert run_cli("check", "--fail-on", "error", cwd=configured).returncode == 0  # the flag wins
    as_info = make_project(WARNING_TREE, pyproject='[tool.asyncguard]\nseverity = { AG107 = "info" }\n')
    assert run_cli("check", "--fail-on", "warning", cwd=as_info).returncode == 0
    assert run_cli("check", "--fail-on", "note", cwd=as_info).returncode == 1
    assert run_cli("check", "--fail-on", "info", cwd=as_info).returncode == 1


def test_errors_fail_and_never_or_exit_zero_do_not(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = make_project(ERROR_TREE)
    assert run_cli("check", cwd=root).returncode == 1
    assert run_cli("check", "--fail-on", "never", cwd=root).returncode == 0
    assert run_cli("check", "--exit-zero", cwd=root).returncode == 0
    bad = run_cli("check", "--fail-on", "sometimes", cwd=root)
    assert bad.returncode == 2 and "invalid choice: 'sometimes'" in bad.stderr
    bad_config = make_project(ERROR_TREE, pyproject='[tool.asyncguard]\nfail-on = "sometimes"\n')
    done = run_cli("check", cwd=bad_config)
    assert done.returncode == 2 and "fail-on: unknown level 'sometimes'" in done.stderr


def test_quiet_silent_and_output_format_alias(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = make_project(ERROR_TREE)
    full = run_cli("check", cwd=root)
    assert "Found 1 finding" in full.stdout
    quiet = run_cli("check", "-q", cwd=root)
    assert quiet.returncode == 1
    assert quiet.stdout.startswith("pkg/app.py:3:12: AG101 ") and "Found" not in quiet.stdout
    assert quiet.stdout == full.stdout[: full.stdout.index("Found")]
    clean = make_project({"m.py": "x = 1\n"})
    assert run_cli("check", "--quiet", cwd=clean).stdout == ""
    silent = run_cli("check", "--silent", cwd=root)
    assert silent.returncode == 1 and silent.stdout == "" and silent.stderr == ""
    as_ruff = json.loads(run_cli("check", "--output-format", "json", cwd=root).stdout)
    assert as_ruff == json.loads(run_cli("check", "--format", "json", cwd=root).stdout)
    assert as_ruff[0]["code"] == "AG101"


def _on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run the CLI with its stdout on a real pseudo-terminal and return what it printed."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [str(ASYNCGUARD), *args], cwd=cwd, stdout=follower, stderr=subprocess.PIPE,
            env=env, timeout=120,
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not data:
                break
            chunks.append(data)
        assert proc.returncode == 1, proc.stderr
        return b"".join(chunks).decode()
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)


def test_color_on_a_terminal_unless_no_color(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = make_project(ERROR_TREE)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    env["TERM"] = "xterm"
    colored = _on_a_terminal(["check"], root, env)
    assert "\x1b[1;31m" in colored or "\x1b[1m\x1b[31mAG101" in colored
    assert "\x1b[" not in _on_a_terminal(["check"], root, {**env, "NO_COLOR": "1"})
    assert "\x1b[" not in _on_a_terminal(["check"], root, {**env, "TERM": "dumb"})
    assert "\x1b[" in _on_a_terminal(["check", "--color", "always"], root, {**env, "NO_COLOR": "1"})
    # piped: plain, unless forced; NO_COLOR beats FORCE_COLOR
    assert "\x1b[" not in run_cli("check", cwd=root, env={"NO_COLOR": "", "FORCE_COLOR": ""}).stdout
    assert "\x1b[31m" in run_cli("check", cwd=root, env={"NO_COLOR": "", "FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in run_cli("check", cwd=root, env={"NO_COLOR": "1", "FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in run_cli("check", "--color", "never", cwd=root, env={"FORCE_COLOR": "1"}).stdout
    # machine formats never carry color
    assert "\x1b[" not in run_cli("check", "--format", "json", "--color", "always", cwd=root).stdout


def test_config_discovery_like_ruff_and_mypy(
    make_project: Callable[..., Path], make_git: Callable[[Path], Any], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    outer = tmp_path / "outer"
    outer.mkdir()
    (outer / "pyproject.toml").write_text('[tool.asyncguard]\nselect = ["AG107"]\n')  # above the repository
    repo = make_project({}, name="outer/repo", pyproject='[tool.asyncguard]\nignore = ["AG101"]\n')
    make_git(repo)
    service = repo / "svc"
    service.mkdir()
    for rel, text in ERROR_TREE.items():
        (service / rel).parent.mkdir(parents=True, exist_ok=True)
        (service / rel).write_text(text)
    (service / "pyproject.toml").write_text('[project]\nname = "svc"\nversion = "1"\n')  # no table
    # the sub-project has no [tool.asyncguard]: the repository's applies
    assert run_cli("check", cwd=service).returncode == 0
    # with its own table, it is the sub-project's
    (service / "pyproject.toml").write_text('[project]\nname = "svc"\nversion = "1"\n[tool.asyncguard]\n')
    assert run_cli("check", cwd=service).returncode == 1
    # a table above the repository is never read
    (repo / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n')
    (service / "pyproject.toml").write_text('[project]\nname = "svc"\nversion = "1"\n')
    assert run_cli("check", cwd=service).returncode == 1
    # --config FILE: a pyproject.toml, or a TOML file of keys at its top level
    standalone = tmp_path / "asyncguard.toml"
    standalone.write_text('ignore = ["AG1"]\n')
    assert run_cli("check", "--config", str(standalone), cwd=service).returncode == 0
    assert run_cli("check", "--config", str(outer / "pyproject.toml"), cwd=service).returncode == 0
    missing = run_cli("check", "--config", str(tmp_path / "nope.toml"), cwd=service)
    assert missing.returncode == 2 and "nope.toml: no such config file" in missing.stderr
    no_table = run_cli("check", "--config", str(service / "pyproject.toml"), cwd=service)
    assert no_table.returncode == 2 and "has no [tool.asyncguard] table" in no_table.stderr
    standalone.write_text('ignroe = ["AG1"]\n')
    typo = run_cli("check", "--config", str(standalone), cwd=service)
    assert typo.returncode == 2 and "unknown key 'ignroe'" in typo.stderr


def test_version(run_cli: Callable[..., Any]) -> None:
    from importlib.metadata import version

    for flag in ("--version", "-V"):
        done = run_cli(flag)
        assert done.returncode == 0
        assert done.stdout.strip() == f"asyncguard {version('asyncguard')}"
    assert version("asyncguard")[0].isdigit()


def test_explain_takes_a_rule_name(run_cli: Callable[..., Any]) -> None:
    by_code = run_cli("explain", "AG101", env={"NO_COLOR": "1"})
    by_name = run_cli("explain", "missing-await", env={"NO_COLOR": "1"})
    assert by_name.returncode == 0, by_name.stderr
    assert by_name.stdout == by_code.stdout
    assert run_cli("explain", "Blocking_Call_In_Async").stdout.startswith("AG107 blocking-call-in-async")
    assert run_cli("explain", "sync-to-async").stdout.startswith("AG202 sync-to-async")
    unknown = run_cli("explain", "missing-awiat")
    assert unknown.returncode == 2 and "nor a rule's name" in unknown.stderr and "Traceback" not in unknown.stderr
