"""The real `asyncguard` CLI (subprocess) and `main()` in-process, over real project trees."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from asyncguard.checks.cli import main
from tests.shared_data import SARIF_SCHEMA

CROSS_MODULE = {
    "pkg/__init__.py": "",
    "pkg/db.py": "async def connect():\n    ...\n",
    "pkg/app.py": "from pkg.db import connect\ndef main():\n    conn = connect()\n    conn.close()\n",
}
ASYNC_CALLER = "from pkg.db import connect\n\n\nasync def serve():\n    conn = connect()\n    print(conn)\n    connect()\n"


def test_cross_module_missing_await_text(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    root = make_project(CROSS_MODULE)
    done = run_cli("check", cwd=root)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("pkg/app.py:3:12: AG101 ")
    assert "[missing-await]" in done.stdout.splitlines()[0]
    assert "  help: asyncguard explain AG101\n" in done.stdout  # no training site configured
    assert "127.0.0.1" not in done.stdout
    site = run_cli("check", cwd=root, env={"ASYNCGUARD_TRAINING_URL": "https://docs.example.test/training/"})
    assert "  help: https://docs.example.test/training/rules/AG101.html\n" in site.stdout
    (root / "pyproject.toml").write_text('[tool.asyncguard]\ntraining-url = "https://team.example.test/ag"\n')
    configured = run_cli("check", cwd=root)
    assert "  help: https://team.example.test/ag/rules/AG101.html\n" in configured.stdout
    gh = run_cli("check", "--format", "github", cwd=root, env={"ASYNCGUARD_TRAINING_URL": ""})
    assert "help: https://team.example.test/ag/rules/AG101.html" in gh.stdout
    assert done.stderr == ""


def test_clean_project_exits_zero(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = make_project(
        {**CROSS_MODULE, "pkg/app.py": "from pkg.db import connect\nasync def main():\n    await connect()\n"}
    )
    done = run_cli("check", str(root))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All clear" in done.stdout


def test_json_sarif_github_formats(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = make_project(CROSS_MODULE)
    data = json.loads(run_cli("check", "--format", "json", cwd=root).stdout)
    assert [(d["path"], d["line"], d["column"], d["code"]) for d in data] == [("pkg/app.py", 3, 12, "AG101")]
    sarif_done = run_cli("check", "--format", "sarif", "--output", str(root / "out.sarif"), cwd=root)
    assert sarif_done.returncode == 1 and sarif_done.stdout == ""
    doc = json.loads((root / "out.sarif").read_text())
    jsonschema.validate(doc, json.loads(SARIF_SCHEMA.read_text()))
    assert doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    gh = run_cli("check", "--format", "github", cwd=root).stdout
    assert gh.startswith(
        "::error file=pkg/app.py,line=3,col=12,endLine=3,endColumn=21,title=AG101 missing-await::"
    )


def test_select_ignore_and_bad_codes(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    root = make_project(CROSS_MODULE)
    assert run_cli("check", "--select", "AG107,AG109", cwd=root).returncode == 0
    assert run_cli("check", "--ignore", "AG101", cwd=root).returncode == 0
    assert run_cli("check", "--select", "AG1", cwd=root).returncode == 1
    bad = run_cli("check", "--select", "AG999", cwd=root)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "asyncguard: error: unknown rule code 'AG999'"
    assert "Traceback" not in bad.stderr


def test_pyproject_config_applies_and_bad_config_exits_2(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    root = make_project(CROSS_MODULE, pyproject='[tool.asyncguard]\nseverity = { AG101 = "warning" }\n')
    data = json.loads(run_cli("check", "--format", "json", cwd=root).stdout)
    assert data[0]["severity"] == "warning"
    ignored = make_project(CROSS_MODULE, pyproject='[tool.asyncguard]\nignore = ["AG101"]\n')
    assert run_cli("check", cwd=ignored).returncode == 0
    excluded = make_project(CROSS_MODULE, pyproject='[tool.asyncguard]\nexclude = ["pkg/app.py"]\n')
    assert run_cli("check", cwd=excluded).returncode == 0
    broken = make_project(CROSS_MODULE, pyproject='[tool.asyncguard]\nselct = ["AG101"]\nignore = ["AGX"]\n')
    done = run_cli("check", cwd=broken)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("asyncguard: error: ") for line in lines)
    assert "unknown key 'selct'" in lines[0] and "'AGX'" in lines[1]


def test_usage_errors_exit_2_without_traceback(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    root = make_project(CROSS_MODULE)
    missing = run_cli("check", "nope/", cwd=root)
    assert (
        missing.returncode == 2
        and missing.stderr.strip() == "asyncguard: error: nope: no such file or directory"
    )
    assert run_cli("check", "--format", "xml", cwd=root).returncode == 2
    assert run_cli(cwd=root).returncode == 2
    assert run_cli("frobnicate", cwd=root).returncode == 2
    assert run_cli("--help", cwd=root).returncode == 0
    not_repo = run_cli("check", "--diff", "HEAD", cwd=root)
    assert not_repo.returncode == 2 and not_repo.stderr.startswith("asyncguard: error: ")
    assert "Traceback" not in missing.stderr + not_repo.stderr


def test_inline_suppression(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    app = CROSS_MODULE["pkg/app.py"].replace("connect()\n", "connect()  # asyncguard: ignore[AG101]\n", 1)
    assert run_cli("check", cwd=make_project({**CROSS_MODULE, "pkg/app.py": app})).returncode == 0
    other = CROSS_MODULE["pkg/app.py"].replace("connect()\n", "connect()  # asyncguard: ignore[AG107]\n", 1)
    assert run_cli("check", cwd=make_project({**CROSS_MODULE, "pkg/app.py": other})).returncode == 1
    bare = CROSS_MODULE["pkg/app.py"].replace("connect()\n", "connect()  # asyncguard: ignore\n", 1)
    assert run_cli("check", cwd=make_project({**CROSS_MODULE, "pkg/app.py": bare})).returncode == 0


def test_diff_reports_only_changed_lines(
    make_project: Callable[..., Path], make_git: Callable[[Path], Any], run_cli: Callable[..., Any]
) -> None:
    root = make_project(CROSS_MODULE)
    git = make_git(root)
    base = git.commit(message="base with an old finding")
    assert run_cli("check", "--diff", base, cwd=root).returncode == 0  # nothing changed
    (root / "pkg" / "svc.py").write_text(ASYNC_CALLER)  # untracked new file
    data = json.loads(run_cli("check", "--diff", base, "--format", "json", cwd=root).stdout)
    assert sorted({d["path"] for d in data}) == ["pkg/svc.py"]
    git.commit(message="svc")
    (root / "pkg" / "svc.py").write_text(ASYNC_CALLER + "    connect()\n")
    data = json.loads(run_cli("check", "--diff", "HEAD", "--format", "json", cwd=root).stdout)
    assert [(d["path"], d["line"]) for d in data] == [("pkg/svc.py", 8)]


def test_fix_adds_await_and_is_idempotent(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    root = make_project({**CROSS_MODULE, "pkg/svc.py": ASYNC_CALLER})
    first = run_cli("check", "--fix", cwd=root)
    assert first.returncode == 1  # the sync caller in app.py cannot be fixed by adding await
    assert "asyncguard: fixed 2 findings in 1 file" in first.stderr
    fixed = (root / "pkg" / "svc.py").read_text()
    assert fixed == ASYNC_CALLER.replace("= connect()", "= await connect()").replace(
        "    connect()\n", "    await connect()\n"
    )
    assert "pkg/svc.py" not in first.stdout and "pkg/app.py:3:12: AG101" in first.stdout
    second = run_cli("check", "--fix", cwd=root)
    assert (root / "pkg" / "svc.py").read_text() == fixed
    assert second.stdout == first.stdout and "fixed" not in second.stderr


def test_statistics_exit_zero_and_no_cache(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    root = make_project({**CROSS_MODULE, "pkg/svc.py": ASYNC_CALLER})
    done = run_cli("check", "--statistics", "--exit-zero", "--no-cache", cwd=root)
    assert done.returncode == 0
    assert any(line.split() == ["3", "AG101", "missing-await"] for line in done.stdout.splitlines())
    assert not (root / ".asyncguard_cache").exists()
    run_cli("check", cwd=root)
    assert (root / ".asyncguard_cache" / ".gitignore").read_text().strip().endswith("*")


def test_src_layout_and_paths_scope_reporting(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    files = {f"src/{k}": v for k, v in CROSS_MODULE.items()}
    files["src/pkg/svc.py"] = ASYNC_CALLER
    root = make_project(files)
    data = json.loads(run_cli("check", "--format", "json", cwd=root).stdout)
    assert {(d["path"], d["line"]) for d in data} >= {("src/pkg/app.py", 3), ("src/pkg/svc.py", 5)}
    # naming one file reports on it alone, while the index still spans the project
    only = json.loads(run_cli("check", "--format", "json", "src/pkg/app.py", cwd=root).stdout)
    assert [(d["path"], d["line"]) for d in only] == [("src/pkg/app.py", 3)]
    inside = json.loads(run_cli("check", "--format", "json", ".", cwd=root / "src" / "pkg").stdout)
    assert {d["path"] for d in inside} == {"src/pkg/app.py", "src/pkg/svc.py"}


def test_robust_to_broken_binary_empty_and_huge_files(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    rows = "".join(f'    "key{i}": ({i}, "value-{i}"),\n' for i in range(125_000))
    huge = "TABLE = {\n" + rows + "}\n"  # a ~5 MB generated data module
    root = make_project(
        {
            **CROSS_MODULE,
            "pkg/broken.py": "def oops(:\n    pass\n",
            "pkg/binary.py": bytes(range(256)) * 4,
            "pkg/empty.py": "",
            "pkg/generated.py": huge,
        }
    )
    (root / "pkg" / "loop.py").symlink_to(root / "pkg" / "loop.py")
    done = run_cli("check", "--format", "json", cwd=root)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    data = json.loads(done.stdout)
    by_path = {d["path"]: d["code"] for d in data}
    assert by_path.get("pkg/app.py") == "AG101"  # the rest is still analysed
    assert by_path.get("pkg/broken.py") == "AG000"


def test_main_in_process(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(CROSS_MODULE)
    monkeypatch.chdir(root)
    assert main(["check", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)[0]["code"] == "AG101"
    assert main(["check", "--select", "AG999"]) == 2
    assert capsys.readouterr().err.strip() == "asyncguard: error: unknown rule code 'AG999'"
    assert main(["check", "--bogus"]) == 2
    assert main([]) == 2


def test_plugins_from_entry_points_are_listed(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="asyncguard.commands")}
    assert names  # pyproject declares the group
    done = run_cli("--help", cwd=tmp_path)
    assert "check" in done.stdout and "pr" in done.stdout


def test_narrowed_scope_reports_callers_broken_in_other_modules(
    make_project: Callable[..., Path], make_git: Callable[[Path], Any], run_cli: Callable[..., Any]
) -> None:
    sync_db = "def connect():\n    return 1\n\n\nVERSION = 1\n"
    root = make_project({**CROSS_MODULE, "pkg/db.py": sync_db})
    git = make_git(root)
    git.commit(message="base")
    (root / "pkg" / "db.py").write_text(sync_db.replace("def connect", "async def connect"))
    named = json.loads(run_cli("check", "pkg/db.py", "--format", "json", cwd=root).stdout)
    assert [(d["path"], d["line"], d["code"]) for d in named] == [("pkg/app.py", 3, "AG101")]
    diffed = run_cli("check", "--diff", "HEAD", cwd=root)
    assert diffed.returncode == 1 and diffed.stdout.startswith("pkg/app.py:3:12: AG101")
    assert "in other modules, at call sites of functions defined in the checked files" in diffed.stdout
    git.commit(message="flip")
    (root / "pkg" / "db.py").write_text(
        sync_db.replace("def connect", "async def connect").replace("= 1", "= 2")
    )
    assert run_cli("check", "--diff", "HEAD", cwd=root).returncode == 0  # the def line did not change
    assert run_cli("check", cwd=root).returncode == 1  # the whole project still has it


def test_fix_covers_await_removal_async_with_and_async_for_keeping_formatting(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    lib = (
        "from contextlib import asynccontextmanager\n\n\ndef plain():\n    return 1\n\n\n"
        "@asynccontextmanager\nasync def session():\n    yield 1\n\n\nasync def stream():\n    yield 1\n"
    )
    use = (
        "from pkg.lib import plain, session, stream\n\n\n"
        "async def main():  # entry\n"
        "    x = await plain()   # odd   spacing stays\n"
        "    with session() as s:\n"
        "        print(s)\n"
        "    for item in stream():\n"
        "        print(item)\r\n"
        "    return x\n"
    )
    root = make_project({"pkg/__init__.py": "", "pkg/lib.py": lib, "pkg/use.py": use.encode()})
    first = run_cli("check", "--fix", cwd=root)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "fixed 3 findings in 1 file" in first.stderr
    expected = (
        use.replace("await plain()", "plain()")
        .replace("    with session()", "    async with session()")
        .replace("    for item", "    async for item")
    )
    assert (root / "pkg" / "use.py").read_bytes() == expected.encode()
    second = run_cli("check", "--fix", cwd=root)
    assert second.returncode == 0 and second.stderr == ""
    assert (root / "pkg" / "use.py").read_bytes() == expected.encode()


def test_narrowed_scope_reports_overrides_a_changed_base_method_no_longer_matches(
    make_project: Callable[..., Path], make_git: Callable[[Path], Any], run_cli: Callable[..., Any]
) -> None:
    """A PR turns a base method sync; the override in another, unchanged module is where AG108 is
    reported, so a check of the changed lines alone must still show it (and the bot's run too)."""
    base = "class Handler:\n    async def handle(self, x):\n        return x\n"
    impl = "from pkg.base import Handler\n\n\nclass Mine(Handler):\n    async def handle(self, x):\n        return x + 1\n"
    unrelated = "from pkg.base import Handler\n\n\nclass Other(Handler):\n    async def close(self):\n        return None\n"
    root = make_project({"pkg/__init__.py": "", "pkg/base.py": base, "pkg/impl.py": impl, "pkg/other.py": unrelated})
    make_git(root).commit(message="base")
    (root / "pkg" / "base.py").write_text(base.replace("async def handle", "def handle"))
    diffed = run_cli("check", "--diff", "HEAD", "--format", "json", cwd=root)
    assert [(d["path"], d["line"], d["code"]) for d in json.loads(diffed.stdout)] == [("pkg/impl.py", 5, "AG108")]
    named = run_cli("check", "pkg/base.py", "--format", "json", cwd=root)
    assert [(d["path"], d["code"]) for d in json.loads(named.stdout)] == [("pkg/impl.py", "AG108")]
