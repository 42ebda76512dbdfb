"""The release artifacts as a user gets them: `python -m build` makes a wheel and an sdist that
`twine check` passes, the wheel carries every template and training page, and `pipx install` of
the wheel gives an `asyncguard` that checks a project outside this repository (slow: ~1 minute)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LAYERS = ("bot", "checks", "contracts", "rules", "training_content")
DATA_SUFFIXES = (".md", ".yaml", ".yml", ".j2", ".html", ".css", ".js", ".json", ".mako", ".svg")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # from a folder that is not the repository: its build/ folder must not shadow the `build` package
    done = subprocess.run([str(BIN / "python"), "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def _tracked_data_files() -> list[str]:
    """Files of the five layers that are not Python: what the package needs at run time."""
    listed = subprocess.run(["git", "ls-files", "--", *LAYERS], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.splitlines()
    return sorted(f for f in listed if f.endswith(DATA_SUFFIXES))


def test_wheel_and_sdist_pass_twine_check(dist: Path) -> None:
    (wheel,) = dist.glob("asyncguard-*.whl")
    (sdist,) = dist.glob("asyncguard-*.tar.gz")
    done = subprocess.run([str(BIN / "twine"), "check", "--strict", str(wheel), str(sdist)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2


def test_wheel_carries_templates_and_training_pages(dist: Path) -> None:
    (wheel,) = dist.glob("asyncguard-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = _tracked_data_files()
    assert any("/templates/" in f for f in wanted) and any(f.startswith("training_content/rules/") for f in wanted)
    missing = [f for f in wanted if f"asyncguard/{f}" not in names]
    assert missing == []
    assert not any(n.startswith(("tests/", "bench/", "deploy/")) for n in names)
    # one import name: nothing but asyncguard and its metadata at the top of site-packages
    assert {n.split("/")[0] for n in names} == {"asyncguard", "asyncguard-0.1.0.dist-info"}
    (sdist,) = dist.glob("asyncguard-*.tar.gz")
    members = {m.split("/", 1)[1] for m in tarfile.open(sdist).getnames() if "/" in m}
    assert {"pyproject.toml", "README.md"} <= members
    assert [f for f in wanted if f"asyncguard/{f}" not in members] == []


def test_pipx_install_then_check_outside_the_repository(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("asyncguard-*.whl")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "bin"),
               PIPX_MAN_DIR=str(tmp_path / "man"), NO_COLOR="1")
    done = subprocess.run([str(BIN / "pipx"), "install", str(wheel)], env=env, capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    exe = tmp_path / "bin" / "asyncguard"
    project = tmp_path / "shop"
    (project / "shop").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "1"\n')
    (project / "shop" / "__init__.py").write_text("")
    (project / "shop" / "db.py").write_text("async def connect():\n    ...\n")
    (project / "shop" / "app.py").write_text("from shop.db import connect\n\n\nasync def main():\n    connect()\n")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(exe), *args], cwd=project, env=env, capture_output=True, text=True, timeout=120)

    check = run("check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "shop/app.py:5:5: AG101" in check.stdout
    assert run("--version").stdout.strip() == "asyncguard 0.1.0"
    explained = run("explain", "missing-await")  # a training page, read from the installed package
    assert explained.returncode == 0 and "AG101" in explained.stdout
    site = run("training", "build", "--out", str(tmp_path / "site"))  # the templates and site assets
    assert site.returncode == 0, site.stderr
    assert (tmp_path / "site" / "rules" / "AG101.html").is_file()
    # the code that ran is the installed copy, not this checkout
    where = subprocess.run([str(tmp_path / "pipx" / "venvs" / "asyncguard" / "bin" / "python"), "-c",
                            "import asyncguard.rules.engine as e; print(e.__file__)"], cwd=project, env=env,
                           capture_output=True, text=True, timeout=60)
    assert where.returncode == 0 and str(ROOT) not in where.stdout and "site-packages" in where.stdout
    (project / "shop" / "app.py").write_text("from shop.db import connect\n\n\nasync def main():\n    await connect()\n")
    assert run("check").returncode == 0
