"""Fixtures for the checks tests: project trees on disk, real git repos, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ASYNCGUARD = Path(sys.executable).parent / "asyncguard"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Checks Test",
    "GIT_AUTHOR_EMAIL": "checks@example.com",
    "GIT_COMMITTER_NAME": "Checks Test",
    "GIT_COMMITTER_EMAIL": "checks@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}

Files = dict[str, str | bytes]


def write_tree(root: Path, files: Files) -> Path:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Factory: a project folder (with a pyproject.toml unless given one) holding `files`."""
    counter = iter(range(1000))

    def make(files: Files, name: str | None = None, pyproject: str | None = "") -> Path:
        root = tmp_path / (name or f"proj{next(counter)}")
        root.mkdir(parents=True)
        if pyproject is not None and "pyproject.toml" not in files:
            (root / "pyproject.toml").write_text(
                '[project]\nname = "demo"\nversion = "0.1.0"\n' + pyproject, encoding="utf-8"
            )
        return write_tree(root, files)

    return make


class Git:
    """A real git work tree with a test identity."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = {**os.environ, **GIT_ENV}
        if not (path / ".git").exists():
            self("init", "-q", "-b", "main")

    def __call__(self, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=self.path, env=self.env, capture_output=True, text=True)
        assert done.returncode == 0, f"git {args}: {done.stderr}"
        return done.stdout

    def commit(self, files: Files | None = None, message: str = "change") -> str:
        if files:
            write_tree(self.path, files)
        self("add", "-A")
        self("commit", "-q", "--allow-empty", "-m", message)
        return self("rev-parse", "HEAD").strip()


@pytest.fixture
def make_git() -> Callable[[Path], Git]:
    return Git


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed `asyncguard` console script in a subprocess."""

    def run(
        *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ASYNCGUARD), *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
