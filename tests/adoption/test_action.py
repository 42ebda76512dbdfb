"""action.yml: valid against the published GitHub Actions schema, and its shell steps do what they
say when run as the runner runs them (bash, inputs through env, $GITHUB_OUTPUT) on a real git repo."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
BIN = Path(sys.executable).parent


def test_action_matches_the_github_actions_schema() -> None:
    exe = BIN / "check-jsonschema"
    done = subprocess.run([str(exe), "--builtin-schema", "vendor.github-actions", str(ACTION)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"paths", "diff-base", "fail-on", "sarif", "contracts"}
    uses = [s.get("uses", "") for s in action["runs"]["steps"]]
    assert "github/codeql-action/upload-sarif@v3" in uses
    for step in action["runs"]["steps"]:  # inputs never spliced into shell text (script injection)
        assert "${{" not in step.get("run", ""), step["name"]


def _expand(value: str, inputs: dict[str, str], github: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        kind, name = m.group(1), m.group(2)
        return inputs[name] if kind == "inputs" else github[name]
    return re.sub(r"\$\{\{\s*(inputs|github)\.([\w-]+)\s*\}\}", one, value)


def _run_steps(repo: Path, given: dict[str, str], tmp: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Each `run` step, in order, as the runner would (except installing: the venv has asyncguard)."""
    action = yaml.safe_load(ACTION.read_text())
    inputs = {k: v.get("default", "") for k, v in action["inputs"].items()} | given
    github = {"base_ref": "main"}
    output = tmp / "github_output"
    output.write_text("")
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "GITHUB_OUTPUT": str(output),
           "GITHUB_ACTION_PATH": str(ROOT), "NO_COLOR": "1"}
    results = {}
    for step in action["runs"]["steps"]:
        if "run" not in step or step["name"] == "Install asyncguard":
            continue
        cond = step.get("if", "")
        if "inputs.sarif == 'true'" in cond and inputs["sarif"] != "true":
            continue
        if "inputs.contracts == 'true'" in cond and inputs["contracts"] != "true":
            continue
        step_env = {k: _expand(str(v), inputs, github) for k, v in (step.get("env") or {}).items()}
        results[step["name"]] = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=repo, env={**env, **step_env}, capture_output=True, text=True, timeout=300,
        )
    results["outputs"] = subprocess.CompletedProcess([], 0, output.read_text(), "")
    return results


def test_shell_steps_on_a_pull_request(
    tmp_path: Path, make_project: Callable[..., Path], make_git: Callable[[Path], Any]
) -> None:
    repo = make_project({
        "pkg/__init__.py": "",
        "pkg/db.py": "def connect():\n    ...\n",
        "pkg/app.py": "from pkg.db import connect\n\n\ndef main():\n    conn = connect()\n    conn.close()\n",
        "pkg/old.py": "import time\n\n\nasync def legacy():\n    time.sleep(1)\n",  # a warning, not on the diff
    })
    git = make_git(repo)
    git.commit(message="base")
    git("remote", "add", "origin", str(repo))
    git("fetch", "-q", "origin")
    git("checkout", "-q", "-b", "feature")
    git.commit({"pkg/db.py": "async def connect():\n    ...\n"}, "connect becomes async")

    runs = _run_steps(repo, {"sarif": "true"}, tmp_path)
    check = runs["asyncguard check"]
    assert check.returncode == 1, check.stdout + check.stderr  # the broken caller fails the step
    assert check.stdout.startswith("::error file=pkg/app.py,line=5,col=12,")  # a workflow annotation
    assert "pkg/old.py" not in check.stdout  # only the diff since origin/main (and the callers it broke)
    sarif = runs["asyncguard SARIF"]
    assert sarif.returncode == 0, sarif.stderr
    doc = json.loads((repo / "asyncguard.sarif").read_text())
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} >= {"AG101", "AG107"}
    assert "file=asyncguard.sarif" in runs["outputs"].stdout
    assert "skipping contracts check" in runs["asyncguard contracts check"].stdout

    # fixed: the step passes; fail-on warning over the whole tree fails on the legacy warning
    git.commit({"pkg/app.py": "from pkg.db import connect\n\n\nasync def main():\n    conn = await connect()\n"
                              "    conn.close()\n"}, "await it")
    assert _run_steps(repo, {}, tmp_path)["asyncguard check"].returncode == 0
    whole = _run_steps(repo, {"fail-on": "warning", "diff-base": "", "paths": "pkg"}, tmp_path)
    assert whole["asyncguard check"].returncode == 0  # diff-base empty: still the PR's base_ref
    # a warning on a changed line: reported, fails only with fail-on warning; `paths` splits on spaces
    git.commit({"pkg/old.py": "import time\n\n\nasync def legacy():\n    time.sleep(2)\n"}, "touch legacy")
    lenient = _run_steps(repo, {"paths": "pkg/old.py pkg/app.py"}, tmp_path)["asyncguard check"]
    assert lenient.returncode == 0 and "::warning file=pkg/old.py,line=5" in lenient.stdout
    strict = _run_steps(repo, {"fail-on": "warning", "paths": "pkg/old.py pkg/app.py"}, tmp_path)
    assert strict["asyncguard check"].returncode == 1
    assert "::warning file=pkg/old.py,line=5" in strict["asyncguard check"].stdout


def test_contracts_step_runs_when_a_contract_is_committed(
    tmp_path: Path, make_project: Callable[..., Path], make_git: Callable[[Path], Any]
) -> None:
    repo = make_project({"pkg/__init__.py": "", "pkg/api.py": "def fetch(url):\n    return url\n"})
    git = make_git(repo)
    exe = shutil.which("asyncguard", path=str(BIN))
    assert exe
    subprocess.run([exe, "contracts", "generate"], cwd=repo, check=True, capture_output=True, timeout=120)
    git.commit(message="base with contract")
    git("remote", "add", "origin", str(repo))
    git("fetch", "-q", "origin")
    git.commit({"pkg/api.py": "async def fetch(url):\n    return url\n"}, "drift")
    step = _run_steps(repo, {}, tmp_path)["asyncguard contracts check"]
    assert step.returncode == 1, step.stdout + step.stderr
    assert "title=AG202 sync-to-async" in step.stdout  # a workflow annotation at the drifted def
