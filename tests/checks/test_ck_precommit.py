"""The hook as users install it: the real `pre-commit`, our `.pre-commit-hooks.yaml`, a temp git repo.

pre-commit installs hooks from a repository at a rev: the test clones this repository's HEAD
(`file://`), tags the clone `v<version>` as the release will be tagged, and points a
`.pre-commit-config.yaml` at the clone's `file://` URL with `rev: v0.1.0`, as the README tells users.
When the work tree has uncommitted changes (a developer's run), a committed copy of the tree takes
the clone's place, so what is tested is what is on disk. The tag is made (or moved) in the temp clone only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
_SKIP = shutil.ignore_patterns(
    ".git", ".venv", "venv", "__pycache__", "*.egg-info", ".asyncguard_cache", ".mypy_cache", ".ruff_cache",
    ".pytest_cache", "node_modules", "build", "dist",
)  # fmt: skip


def _git_out(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def _hook_repo(tmp: Path, make_git: Callable[[Path], Any]) -> tuple[str, str]:
    """(`file://` URL, rev): a clone of this repository's HEAD (a committed copy when the tree is
    dirty), tagged as the release is."""
    dest = tmp / "hookrepo"
    if not _git_out("status", "--porcelain", cwd=REPO_ROOT):
        subprocess.run(["git", "clone", "-q", REPO_ROOT.as_uri(), str(dest)], check=True, capture_output=True)
        git = make_git(dest)
    else:
        shutil.copytree(REPO_ROOT, dest, ignore=_SKIP, symlinks=True)
        git = make_git(dest)
        git.commit(message="snapshot for pre-commit")
    tag = f"v{version('asyncguard')}"
    # -f: a clone of a repository that has the release tag already gets it moved to this HEAD (in
    # the clone only), so what pre-commit installs is the code under test, not the older release.
    git("tag", "-f", "-a", tag, "-m", f"asyncguard {tag}")
    return dest.as_uri(), tag


def test_hook_definition() -> None:
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "asyncguard" and hook["language"] == "python"
    assert hook["entry"] == "asyncguard check" and hook["types"] == ["python"]
    assert hook["require_serial"] is True


def test_real_pre_commit_fails_on_cross_module_missing_await_then_passes(
    tmp_path: Path, make_git: Callable[[Path], Any]
) -> None:
    url, sha = _hook_repo(tmp_path, make_git)
    assert url.startswith("file://") and sha == "v0.1.0"  # the rev the README and `asyncguard init` write
    project = tmp_path / "project"
    project.mkdir()
    git = make_git(project)
    git.commit(
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "0.1.0"\n',
            "pkg/__init__.py": "",
            "pkg/db.py": "async def connect():\n    ...\n",
            ".pre-commit-config.yaml": yaml.safe_dump(
                {"repos": [{"repo": url, "rev": sha, "hooks": [{"id": "asyncguard"}]}]}
            ),
        },
        message="base",
    )
    # the bug: a caller in ANOTHER module forgets to await the async function
    (project / "pkg" / "app.py").write_text(
        "from pkg.db import connect\n\n\nasync def main():\n    connect()\n"
    )
    git("add", "pkg/app.py")
    env = {**os.environ, **git.env, "PRE_COMMIT_HOME": str(tmp_path / "pc-home"), "PRE_COMMIT_COLOR": "never"}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PRE_COMMIT), "run"], cwd=project, env=env, capture_output=True, text=True, timeout=600
        )

    failed = run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "pkg/app.py:5:5: AG101" in failed.stdout
    assert "asyncguard" in failed.stdout and "Failed" in failed.stdout

    (project / "pkg" / "app.py").write_text(
        "from pkg.db import connect\n\n\nasync def main():\n    await connect()\n"
    )
    git("add", "pkg/app.py")
    passed = run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
    # installed as the git hook, it now lets the commit through
    subprocess.run([str(PRE_COMMIT), "install"], cwd=project, env=env, check=True, capture_output=True)
    commit = subprocess.run(
        ["git", "commit", "-m", "caller"], cwd=project, env=env, capture_output=True, text=True
    )
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert "asyncguard" in commit.stdout + commit.stderr and git("status", "--porcelain") == ""

    # the incident itself: a commit that only turns `helper` async breaks a caller it never touches
    git.commit(
        {
            "pkg/util.py": "def helper():\n    return 1\n",
            "pkg/use.py": "from pkg.util import helper\n\n\ndef total():\n    return helper() + 1\n",
        },
        message="helper",
    )
    (project / "pkg" / "util.py").write_text("async def helper():\n    return 1\n")
    git("add", "pkg/util.py")
    flip = run()
    assert flip.returncode == 1, flip.stdout + flip.stderr
    assert "pkg/use.py:5:12: AG101" in flip.stdout
