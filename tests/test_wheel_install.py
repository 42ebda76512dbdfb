"""The built wheel, installed into a fresh venv beside a project that has its own `bot` and `rules`
packages (a very common Discord-bot layout): both import, and neither shadows the other."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the wheel built from this checkout, with the App extra (and their dependencies)."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(ROOT)],
                   check=True, capture_output=True, text=True)
    (wheel,) = (work / "dist").glob("asyncguard-*.whl")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"{wheel}[app]"], check=True, capture_output=True, text=True)
    return python


def _project(root: Path) -> Path:
    files = {
        "pyproject.toml": "[project]\nname = 'mybot'\nversion = '0'\n",
        "bot/__init__.py": "OWNER = 'the project'\n",
        "bot/manager.py": "async def initialize_manager(config):\n    return config\n",
        "rules/__init__.py": "RULES = ['be kind']\n",
        "rules/startup.py": textwrap.dedent("""
            from bot.manager import initialize_manager

            def start():
                m = initialize_manager({})
                m.broadcast("hi")
        """),
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_project_packages_and_asyncguard_import_side_by_side(installed: Path, tmp_path: Path) -> None:
    project = _project(tmp_path / "mybot")
    probe = textwrap.dedent("""
        import bot, rules, asyncguard, asyncguard.bot.app, asyncguard.rules.engine
        print(bot.OWNER, rules.RULES[0], sep="|")
        print(asyncguard.rules.engine.__file__)
        print(asyncguard.__version__)
    """)
    run = subprocess.run([str(installed), "-c", probe], cwd=project, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(project)})
    assert run.returncode == 0, run.stderr
    owner, engine_file, version = run.stdout.splitlines()
    assert owner == "the project|be kind"
    assert "site-packages" in engine_file and str(ROOT) not in engine_file
    assert version == "0.1.0"


def test_python_dash_m_asyncguard_checks_the_project(installed: Path, tmp_path: Path) -> None:
    project = _project(tmp_path / "mybot")
    run = subprocess.run([str(installed), "-m", "asyncguard", "check", ".", "--no-cache"], cwd=project,
                         capture_output=True, text=True)
    assert "AG101" in run.stdout and "rules/startup.py" in run.stdout, run.stdout + run.stderr
