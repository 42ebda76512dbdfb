"""A light CLI: the analyzer's dependencies are small, the App's sit behind `asyncguard[app]`, and
a server command without them says what to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib.metadata import requires

from asyncguard.checks.cli import APP_MODULES

SERVER_PACKAGES = {"aiohttp", "gidgethub", "cachetools", "pyjwt", "orjson", "uvloop", "sqlalchemy", "alembic",
                   "aiosqlite", "asyncpg"}


def _name(req: str) -> str:
    return req.split(";")[0].split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()


def test_server_packages_only_in_the_app_extra() -> None:
    reqs = requires("asyncguard") or []
    core = {_name(r) for r in reqs if "extra ==" not in r}
    app = {_name(r) for r in reqs if 'extra == "app"' in r}
    assert core.isdisjoint(SERVER_PACKAGES), core & SERVER_PACKAGES
    assert SERVER_PACKAGES <= app
    assert "libcst" in core


def _without(modules: set[str], code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter where importing any of `modules` fails as if not installed."""
    blocker = textwrap.dedent(f"""
        import sys
        from importlib.abc import MetaPathFinder
        BLOCKED = {sorted(modules)!r}
        class Missing(MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None
        sys.meta_path.insert(0, Missing())
    """)
    return subprocess.run([sys.executable, "-c", blocker + code], capture_output=True, text=True, timeout=120)


def test_check_runs_without_the_app_packages(tmp_path: object) -> None:
    code = textwrap.dedent(f"""
        import pathlib, sys
        root = pathlib.Path({str(tmp_path)!r})
        (root / "pyproject.toml").write_text("")
        (root / "m.py").write_text("async def f():\\n    ...\\n\\ndef g():\\n    c = f()\\n    c.close()\\n")
        from asyncguard.checks.cli import main
        code = main(["check", str(root), "--no-cache"])
        loaded = sorted(m for m in {sorted(APP_MODULES)!r} if m in sys.modules)
        print("EXIT", code, "LOADED", loaded)
    """)
    done = _without(set(APP_MODULES), code)
    assert "EXIT 1 LOADED []" in done.stdout, done.stdout + done.stderr
    assert "AG101" in done.stdout


def test_server_commands_say_what_to_install() -> None:
    code = "from asyncguard.checks.cli import main\nraise SystemExit(main(['serve']))\n"
    done = _without({"aiohttp"}, code)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "`asyncguard serve` is part of the GitHub App" in done.stderr
    assert "pip install 'asyncguard[app]'" in done.stderr and "missing: aiohttp" in done.stderr
    assert "Traceback" not in done.stderr
