"""`asyncguard init` in a real temp git repository: what it writes works with the real tools
(`asyncguard check` / `contracts check`, `pre-commit validate-config`, the bot's `.asyncguard.yml`
loader), `--print` writes nothing, and nothing that exists is replaced without consent."""

from __future__ import annotations

import hashlib
import os
import pty
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from asyncguard.bot.governance.repo_config import load_repo_config
from asyncguard.checks.init import plan_pre_commit, plan_pyproject

ASYNCGUARD = Path(sys.executable).with_name("asyncguard")
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
WRITTEN = (".asyncguard.yml", "asyncguard.contracts.yaml", "asyncguard-baseline.json")
RUFF_HOOK = "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.5.0\n    hooks:\n      - id: ruff\n"


def _project(root: Path, make_git: Callable[[Path], Any]) -> Any:
    """A legacy project: a src layout with a missing `await` across modules, already using pre-commit."""
    files = {
        "pyproject.toml": '[project]\nname = "shop"\nversion = "1.0"\n\n[tool.ruff]\nline-length = 100\n',
        ".pre-commit-config.yaml": RUFF_HOOK,
        "src/shop/__init__.py": "",
        "src/shop/api.py": "async def pay(amount):\n    return amount\n",
        "src/shop/checkout.py": "from shop.api import pay\n\n\nasync def buy():\n    pay(3)\n",
    }
    root.mkdir()
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git = make_git(root)
    git.commit(message="legacy")
    return git


def _run(*args: str, cwd: Path, stdin: Any = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ASYNCGUARD), *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          stdin=stdin)


def _digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts
            and ".asyncguard_cache" not in p.parts}


def test_init_sets_up_a_legacy_project(tmp_path: Path, make_git: Callable[[Path], Any]) -> None:
    root = tmp_path / "shop"
    _project(root, make_git)
    before = _run("check", cwd=root)
    assert before.returncode == 1 and "src/shop/checkout.py:5:5: AG101" in before.stdout

    untouched = _digest(root)
    printed = _run("init", "--print", "--team", "acme/architecture", cwd=root)
    assert printed.returncode == 0, printed.stderr
    assert _digest(root) == untouched and not any((root / f).exists() for f in WRITTEN)
    for name in ("pyproject.toml: append", ".pre-commit-config.yaml: append", ".asyncguard.yml: create",
                 "asyncguard.contracts.yaml: create", "asyncguard-baseline.json: create"):
        assert f"# ---- {name}" in printed.stdout
    assert "[tool.asyncguard]" in printed.stdout and "acme/architecture" in printed.stdout
    assert "src/shop/checkout.py" in printed.stdout  # the baseline's entry
    assert tomllib.loads((root / "pyproject.toml").read_text()).get("tool", {}).get("asyncguard") is None

    done = _run("init", "--team", "acme/architecture", cwd=root)
    assert done.returncode == 0, done.stderr
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert pyproject["tool"]["asyncguard"]["baseline"] == "asyncguard-baseline.json"
    assert pyproject["tool"]["ruff"] == {"line-length": 100}  # what was there stays
    hooks = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())["repos"]
    assert [h["hooks"][0]["id"] for h in hooks] == ["ruff", "asyncguard"] and hooks[1]["rev"] == "v0.1.0"
    validate = subprocess.run([str(PRE_COMMIT), "validate-config", ".pre-commit-config.yaml"], cwd=root,
                              capture_output=True, text=True)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    cfg = load_repo_config((root / ".asyncguard.yml").read_text())
    assert cfg.errors == []
    assert cfg.governance.review_teams == ("acme/architecture",)
    assert cfg.governance.interface_paths == ("src/shop/**",)
    # the legacy finding is in the baseline: check passes, the contract matches the code
    assert _run("check", cwd=root).returncode == 0
    assert _run("contracts", "check", cwd=root).returncode == 0, "contract file does not match the code"
    # a new missing await is still caught
    (root / "src/shop/refund.py").write_text("from shop.api import pay\n\n\nasync def refund():\n    pay(-3)\n")
    new = _run("check", cwd=root)
    assert new.returncode == 1 and "src/shop/refund.py:5:5: AG101" in new.stdout
    assert "checkout.py" not in new.stdout


def test_init_never_replaces_without_consent(tmp_path: Path, make_git: Callable[[Path], Any]) -> None:
    root = tmp_path / "shop"
    _project(root, make_git)
    assert _run("init", cwd=root).returncode == 0
    (root / ".asyncguard.yml").write_text("governance:\n  review_teams: [acme/mine]\n")
    kept = _digest(root)

    again = _run("init", cwd=root)  # no terminal, no --force: refuse, write nothing at all
    assert again.returncode == 1
    assert "refusing to replace .asyncguard.yml, asyncguard.contracts.yaml, asyncguard-baseline.json" in again.stderr
    assert _digest(root) == kept

    # on a terminal it asks, file by file: replace the first, keep the others
    primary, replica = pty.openpty()
    try:
        os.write(primary, b"y\nn\nn\n")
        asked = _run("init", "--team", "acme/architecture", cwd=root, stdin=replica)
    finally:
        os.close(replica)
        os.close(primary)
    assert asked.returncode == 0, asked.stderr
    assert asked.stderr.count("exists: replace it? [y/N]") == 3
    assert "acme/architecture" in (root / ".asyncguard.yml").read_text()
    assert _digest(root)["asyncguard-baseline.json"] == kept["asyncguard-baseline.json"]

    (root / ".asyncguard.yml").write_text("governance:\n  review_teams: [acme/mine]\n")
    forced = _run("init", "--force", cwd=root)
    assert forced.returncode == 0, forced.stderr
    assert "acme/mine" not in (root / ".asyncguard.yml").read_text()
    # the pyproject table and the hook were already there: nothing appended twice
    assert (root / "pyproject.toml").read_text().count("[tool.asyncguard]") == 1
    assert (root / ".pre-commit-config.yaml").read_text().count("id: asyncguard") == 1


def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\nname = 'x'\n")
    done = _run("init", cwd=tmp_path)
    assert done.returncode == 2 and "pyproject.toml: not valid TOML" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml"]
    missing = _run("init", str(tmp_path / "nope"), cwd=tmp_path)
    assert missing.returncode == 2 and "not a directory" in missing.stderr


@pytest.mark.parametrize(("text", "action"), [
    ('[tool.asyncguard]\nmode = "warn"\n\n[tool.ruff]\nx = 1\n', "append"),  # the key goes into the table
    ('[tool.asyncguard]\nbaseline = "legacy.json"\n', "keep"),
    ('tool.asyncguard.mode = "warn"\n', "manual"),  # a dotted key: no table header to add to
])
def test_existing_table(tmp_path: Path, text: str, action: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    planned, baseline = plan_pyproject(tmp_path, "asyncguard-baseline.json")
    assert planned.action == action
    if action == "append":
        assert planned.new_content is not None
        data = tomllib.loads(planned.new_content)
        assert data["tool"]["asyncguard"] == {"mode": "warn", "baseline": "asyncguard-baseline.json"}
        assert data["tool"]["ruff"] == {"x": 1}
    if action == "keep":
        assert baseline == "legacy.json"  # the table's own baseline is the one init writes


def test_pre_commit_config_it_cannot_extend_safely_is_left_to_the_user(tmp_path: Path) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text(RUFF_HOOK.replace("repos:", "default_stages: [commit]\nrepos:")
                                                      + "ci:\n  autofix_prs: false\n")
    planned = plan_pre_commit(tmp_path, "https://example.org/asyncguard", "v0.1.0")
    assert planned.action == "manual" and "id: asyncguard" in planned.text
