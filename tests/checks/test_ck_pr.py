"""`asyncguard pr` and `run_pr`: the bot's PR run, on real git repositories."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from asyncguard.checks.config import Settings
from asyncguard.checks.diffparse import FileDiff
from asyncguard.checks.pipeline import run_pr

PYPROJECT = '[project]\nname = "demo"\nversion = "1.0.0"\n'
BASE = {
    "pyproject.toml": PYPROJECT,
    "pkg/__init__.py": "",
    "pkg/db.py": "def connect():\n    return 1\n",
    "pkg/app.py": "from pkg.db import connect\n\n\ndef main():\n    conn = connect()\n    return conn + 1\n",
    "pkg/web.py": "from pkg.db import connect\n\n\nasync def handler():\n    return connect()\n",
    "pkg/legacy.py": "import asyncio\n\n\nasync def tick():\n    asyncio.sleep(1)\n",  # old, unrelated bug
}
FLIP = {"pkg/db.py": "async def connect():\n    return 1\n"}


def _repo(make_git: Callable[[Path], Any], tmp_path: Path, name: str = "repo") -> tuple[Any, str, str]:
    root = tmp_path / name
    root.mkdir()
    git = make_git(root)
    base = git.commit(BASE, message="base")
    git("checkout", "-q", "-b", "feature")
    head = git.commit(FLIP, message="connect becomes async")
    return git, base, head


def test_flip_breaks_an_untouched_caller(
    make_git: Callable[[Path], Any], tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    git, base, head = _repo(make_git, tmp_path)
    done = run_cli("pr", str(git.path), "--base", "main", "--head", "feature")
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert out.startswith(f"asyncguard {base[:12]}..{head[:12]}: ")
    assert "1 breaking interface change" in out.splitlines()[0]
    assert "`AG202` `pkg.db.connect`" in out and "old-style `pkg/app.py:5`" in out
    assert "### Review checklist" in out
    data = json.loads(run_cli("pr", str(git.path), "--base", base, "--head", head, "--format", "json").stdout)
    at_caller = {(d["code"], d["severity"]) for d in data if (d["path"], d["line"]) == ("pkg/app.py", 5)}
    assert ("AG202", "error") in at_caller  # app.py is not in the PR, still annotated
    # one problem, one finding: the analyzer's AG101 there is the same mistake
    assert at_caller == {("AG202", "error")}
    assert all(d["path"] != "pkg/legacy.py" for d in data)  # old bug outside the change: not shown
    # `return connect()` in an async def now hands a coroutine to whoever awaits `handler()`:
    # the analyzer reports it at that caller although the PR never touched pkg/web.py
    # (one finding there: the change's AG202, carrying the analyzer's add-`await` fix)
    at_web = [d for d in data if (d["path"], d["line"]) == ("pkg/web.py", 5)]
    assert [d["code"] for d in at_web] == ["AG202"]
    assert at_web[0]["fix"]["edits"][0]["replacement"] == "await "
    assert git("status", "--porcelain") == ""  # the work tree was never touched


def test_annotate_scopes(
    make_git: Callable[[Path], Any], tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    git, _, _ = _repo(make_git, tmp_path)
    git.commit({"pkg/legacy.py": BASE["pkg/legacy.py"] + "\n\nVERSION = 2\n"}, message="touch legacy")

    def codes(scope: str) -> set[tuple[str, str]]:
        done = run_cli(
            "pr",
            str(git.path),
            "--base",
            "main",
            "--head",
            "feature",
            "--format",
            "json",
            "--annotate",
            scope,
        )
        return {(d["path"], d["code"]) for d in json.loads(done.stdout)}

    lines, files, everything = codes("changed-lines"), codes("changed-files"), codes("all")
    assert ("pkg/legacy.py", "AG101") not in lines  # its line 5 was not changed
    assert ("pkg/legacy.py", "AG101") in files and ("pkg/legacy.py", "AG101") in everything
    assert ("pkg/app.py", "AG202") in lines  # old-style call site: every scope
    assert lines <= files <= everything


def test_clean_pr_passes_and_settings_come_from_base(
    make_git: Callable[[Path], Any], tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    root = tmp_path / "clean"
    root.mkdir()
    git = make_git(root)
    git.commit(BASE, message="base")
    git("checkout", "-q", "-b", "feature")
    git.commit({"pkg/extra.py": "def helper():\n    return 2\n"}, message="add helper")
    done = run_cli("pr", str(root), "--base", "main", "--head", "feature")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].endswith(": 1 info")  # AG230 symbol-added, not a failure
    # a head that relaxes the config does not relax its own run
    strict = PYPROJECT + '[tool.asyncguard]\nseverity = { AG101 = "warning" }\n'
    git("checkout", "-q", "main")
    git.commit({"pyproject.toml": strict}, message="strict")
    git("checkout", "-q", "-b", "sneaky")
    relaxed = PYPROJECT + '[tool.asyncguard]\nignore = ["AG1"]\n'
    git.commit(
        {
            "pyproject.toml": relaxed,
            "pkg/new.py": "from pkg.web import handler\n\n\ndef go():\n    handler()\n",
        }
    )
    done = run_cli("pr", str(root), "--base", "main", "--head", "sneaky", "--format", "json")
    found = {(d["path"], d["code"], d["severity"]) for d in json.loads(done.stdout)}
    assert ("pkg/new.py", "AG101", "warning") in found  # the base's severity, not the head's ignore
    assert done.returncode == 0  # warnings do not fail the run


def test_subproject_in_a_monorepo(
    make_git: Callable[[Path], Any], tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    root = tmp_path / "mono"
    root.mkdir()
    git = make_git(root)
    git.commit({f"svc/{k}": v for k, v in BASE.items()} | {"README.md": "mono\n"}, message="base")
    git("checkout", "-q", "-b", "feature")
    git.commit({f"svc/{k}": v for k, v in FLIP.items()}, message="flip")
    done = run_cli("pr", str(root / "svc"), "--base", "main", "--head", "feature", "--format", "github")
    assert done.returncode == 1
    assert "::error file=svc/pkg/app.py,line=5," in done.stdout


def test_bad_refs_and_paths_exit_2(
    make_git: Callable[[Path], Any], tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    git, _, _ = _repo(make_git, tmp_path)
    bad = run_cli("pr", str(git.path), "--base", "nope", "--head", "feature")
    assert (
        bad.returncode == 2
        and bad.stderr.strip() == f"asyncguard: error: unknown git ref 'nope' in {git.path.resolve()}"
    )
    plain = tmp_path / "plain"
    plain.mkdir()
    not_repo = run_cli("pr", str(plain), "--base", "a", "--head", "b")
    assert not_repo.returncode == 2 and not_repo.stderr.startswith("asyncguard: error: git rev-parse: ")
    missing = run_cli("pr", str(tmp_path / "missing"), "--base", "a", "--head", "b")
    assert missing.returncode == 2 and "no such file or directory" in missing.stderr
    assert run_cli("pr", str(git.path), "--base", "main").returncode == 2  # --head is required


def test_run_pr_in_process_on_plain_folders(make_project: Callable[..., Path]) -> None:
    base = make_project(BASE, name="base", pyproject=None)
    head = make_project({**BASE, **FLIP}, name="head", pyproject=None)
    changed = {"pkg/db.py": FileDiff(added_lines={1}, hunk_lines={1, 2})}
    report = run_pr(base, head, changed, Settings(), use_cache=False)
    keys = {(f.path, f.line, f.code) for f in report.findings}
    assert ("pkg/app.py", 5, "AG202") in keys and ("pkg/db.py", 1, "AG202") in keys
    assert report.contract_diff is not None and [c.code for c in report.contract_diff.breaking] == ["AG202"]
    assert report.checklist and report.has_errors
    ignored = run_pr(base, head, changed, Settings.from_mapping({"ignore": ["AG2"]}), use_cache=False)
    assert all(not f.code.startswith("AG2") for f in ignored.findings)


def test_run_pr_says_which_modules_the_contract_left_out(make_project: Callable[..., Path]) -> None:
    base = make_project(BASE, name="base", pyproject=None)
    head = make_project({**BASE, **FLIP, "pkg/broken.py": "def oops(:\n"}, name="head", pyproject=None)
    changed = {"pkg/db.py": FileDiff(added_lines={1}, hunk_lines={1, 2}),
               "pkg/broken.py": FileDiff(added_lines={1}, hunk_lines={1}, new_file=True)}
    report = run_pr(base, head, changed, Settings(), use_cache=False)
    assert ("pkg/broken.py", "AG000") in {(f.path, f.code) for f in report.findings}
    assert any("pkg/broken.py" in note for note in report.notes)


def test_asyncguard_yml_of_the_base_drives_rules_scope_and_checklist(
    make_git: Callable[[Path], Any], tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    root = tmp_path / "yml"
    root.mkdir()
    git = make_git(root)
    config = "rules:\n  ignore: [AG230]\nannotate: all\nchecklist:\n  extra: [Ask the on-call DBA about connect()]\n"
    git.commit({**BASE, ".asyncguard.yml": config}, message="base")
    git("checkout", "-q", "-b", "feature")
    git.commit({**FLIP, "pkg/other.py": "x = 1\n"}, message="flip")
    done = run_cli("pr", str(root), "--base", "main", "--head", "feature")
    assert "(all)" in done.stdout and "- [ ] Ask the on-call DBA about connect()" in done.stdout
    data = json.loads(
        run_cli("pr", str(root), "--base", "main", "--head", "feature", "--format", "json").stdout
    )
    codes = {(d["path"], d["code"]) for d in data}
    assert ("pkg/legacy.py", "AG101") in codes  # annotate: all
    assert not any(code == "AG230" for _, code in codes)  # rules: ignore
    lines = run_cli(
        "pr",
        str(root),
        "--base",
        "main",
        "--head",
        "feature",
        "--format",
        "json",
        "--annotate",
        "changed-lines",
    )
    assert ("pkg/legacy.py", "AG101") not in {(d["path"], d["code"]) for d in json.loads(lines.stdout)}
    git("checkout", "-q", "main")
    git.commit({".asyncguard.yml": "rules:\n  selct: [AG101]\n"}, message="typo")
    bad = run_cli("pr", str(root), "--base", "main", "--head", "feature")
    assert bad.returncode == 2
    assert bad.stderr.startswith("asyncguard: error: .asyncguard.yml rules: unknown key 'selct'")


def test_private_helper_flip_breaks_an_untouched_caller(
    make_git: Callable[[Path], Any], tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    root = tmp_path / "private"
    root.mkdir()
    git = make_git(root)
    helper = "def _load():\n    return 1\n"
    user = "from pkg._impl import _load\n\n\ndef run():\n    return _load() + 1\n"
    git.commit({**BASE, "pkg/_impl.py": helper, "pkg/user.py": user}, message="base")
    git("checkout", "-q", "-b", "feature")
    git.commit({"pkg/_impl.py": helper.replace("def _load", "async def _load")}, message="private flip")
    done = run_cli("pr", str(root), "--base", "main", "--head", "feature", "--format", "json")
    assert done.returncode == 1, done.stderr
    assert ("pkg/user.py", 5, "AG101") in {(d["path"], d["line"], d["code"]) for d in json.loads(done.stdout)}
