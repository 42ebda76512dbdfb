"""`check --write-baseline` / `--baseline` / `baseline = ...`: a legacy codebase turns the check on
and hears only about new findings. Real CLI over real trees."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

LEGACY = {
    "pkg/__init__.py": "",
    "pkg/db.py": "async def connect():\n    ...\n",
    "pkg/app.py": (
        "from pkg.db import connect\n"
        "\n"
        "\n"
        "def main():\n"
        "    conn = connect()\n"
        "    conn.close()\n"
        "\n"
        "\n"
        "def again():\n"
        "    conn = connect()\n"
        "    conn.close()\n"
    ),
}


def _codes_lines(stdout: str) -> list[str]:
    return [line.split(": ", 1)[0] for line in stdout.splitlines() if ": AG" in line]


def test_write_then_only_new_findings(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = make_project(LEGACY)
    assert run_cli("check", cwd=root).returncode == 1
    written = run_cli("check", "--write-baseline", "asyncguard-baseline.json", cwd=root)
    assert written.returncode == 0, written.stderr
    assert "wrote 2 findings to the baseline asyncguard-baseline.json" in written.stderr
    doc = json.loads((root / "asyncguard-baseline.json").read_text())
    assert doc["format"] == "asyncguard-baseline" and doc["version"] == 1
    assert [(e["code"], e["path"], e["line"]) for e in doc["findings"]] == [
        ("AG101", "pkg/app.py", 5), ("AG101", "pkg/app.py", 10)
    ]
    assert doc["findings"][0]["fingerprint"] == doc["findings"][1]["fingerprint"]  # same text twice: counted

    clean = run_cli("check", "--baseline", "asyncguard-baseline.json", cwd=root)
    assert clean.returncode == 0, clean.stdout
    assert "note: 2 findings recorded in the baseline asyncguard-baseline.json not shown" in clean.stdout

    # lines move (an unrelated edit above): still known
    app = root / "pkg/app.py"
    app.write_text('"""The app."""\nimport logging\n\nlog = logging.getLogger()\n' + app.read_text())
    assert run_cli("check", "--baseline", "asyncguard-baseline.json", cwd=root).returncode == 0

    # the same flagged text a third time is new; so is a change of the flagged code
    app.write_text(app.read_text() + "\n\ndef third():\n    conn = connect()\n    conn.close()\n")
    third = run_cli("check", "--baseline", "asyncguard-baseline.json", cwd=root)
    assert third.returncode == 1 and len(_codes_lines(third.stdout)) == 1
    text = app.read_text().replace("def main():\n    conn = connect()", "def main():\n    conn = connect()  # now")
    app.write_text(text.replace("def third():\n    conn = connect()\n    conn.close()\n", ""))
    changed = run_cli("check", "--baseline", "asyncguard-baseline.json", cwd=root)
    assert changed.returncode == 1
    assert _codes_lines(changed.stdout) == ["pkg/app.py:9:12"]
    assert "1 finding recorded in the baseline" in changed.stdout
    assert "1 baseline entry no longer found" in changed.stdout


def test_configured_baseline_is_relative_to_the_config(
    make_project: Callable[..., Path], make_git: Callable[[Path], Any], run_cli: Callable[..., Any]
) -> None:
    root = make_project(LEGACY, pyproject='[tool.asyncguard]\nbaseline = "ci/asyncguard-baseline.json"\n')
    make_git(root)
    missing = run_cli("check", cwd=root)
    assert missing.returncode == 2
    assert "no such baseline (write it with `asyncguard check --write-baseline" in missing.stderr
    assert run_cli("check", "--write-baseline", "ci/asyncguard-baseline.json", cwd=root).returncode == 0
    assert run_cli("check", cwd=root).returncode == 0
    # from a sub-folder: the config is found above, its path is relative to it
    done = run_cli("check", ".", cwd=root / "pkg")
    assert done.returncode == 0, done.stdout + done.stderr
    # the command line's --baseline wins over the configured one
    (root / "empty.json").write_text(json.dumps({"format": "asyncguard-baseline", "version": 1, "findings": []}))
    assert run_cli("check", "--baseline", "empty.json", cwd=root).returncode == 1


def test_bad_baselines_are_clear_errors(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = make_project(LEGACY)
    cases = {
        "{not json": "not valid JSON",
        "[]": "not an asyncguard baseline",
        json.dumps({"format": "asyncguard-baseline", "version": 9, "findings": []}): "baseline version 9",
        json.dumps({"format": "asyncguard-baseline", "version": 1, "findings": [{"code": "AG101"}]}): "entry 1 has no fingerprint",
    }
    for text, message in cases.items():
        (root / "b.json").write_text(text)
        done = run_cli("check", "--baseline", "b.json", cwd=root)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
    bad = run_cli("check", "--write-baseline", "b.json", "--diff", "HEAD", cwd=root)
    assert bad.returncode == 2 and "--write-baseline records every finding" in bad.stderr


def test_fix_leaves_the_baselined_findings_alone(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    files = dict(LEGACY)
    files["pkg/app.py"] = LEGACY["pkg/app.py"].replace("def main():", "async def main():")
    root = make_project(files)
    assert run_cli("check", "--write-baseline", "b.json", cwd=root).returncode == 0
    app = root / "pkg/app.py"
    app.write_text(app.read_text() + "\n\nasync def fresh():\n    await connect()\n    connect()\n")
    done = run_cli("check", "--baseline", "b.json", "--fix", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "fixed 1 finding" in done.stderr
    text = app.read_text()
    assert "async def main():\n    conn = connect()" in text  # in the baseline: untouched
    assert text.endswith("    await connect()\n    await connect()\n")
