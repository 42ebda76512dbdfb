"""`--fix` on real code: aiohttp's own source (installed in the venv as a dependency of the bot),
with `await`s taken out of it. The fixes must put back what was taken, and the re-check must not
report a problem that a fix created (issue 10, "fixes marked safe must be safe")."""

from __future__ import annotations

import ast
import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

MUTANTS = 40


def _drop_awaits(root: Path, limit: int) -> dict[str, str]:
    """Remove `await` from statement-level `await call(...)` lines; returns {path: original text}."""
    originals: dict[str, str] = {}
    taken = 0
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        sites = [n.value for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Expr)
                 and isinstance(n.value, ast.Await) and isinstance(n.value.value, ast.Call)
                 and n.value.lineno == n.value.end_lineno]
        changed = False
        for node in sorted(sites, key=lambda n: (n.lineno, n.col_offset), reverse=True):
            line = lines[node.lineno - 1]
            if not line[node.col_offset:].startswith("await ") or not line.isascii():
                continue
            lines[node.lineno - 1] = line[:node.col_offset] + line[node.col_offset + 6:]
            changed = True
            taken += 1
            if taken >= limit:
                break
        if changed:
            originals[path.relative_to(root).as_posix()] = text
            path.write_text("".join(lines), encoding="utf-8")
        if taken >= limit:
            break
    return originals


def _check(run_cli: Callable[..., Any], root: Path, *args: str) -> list[dict[str, Any]]:
    done = run_cli("check", "--format", "json", "--no-cache", "--no-libraries", *args, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _keys(findings: list[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    return Counter((f["path"], f["code"], f["message"]) for f in findings)


@pytest.mark.parametrize("unsafe", [False, True])
def test_fix_round_trip_on_aiohttp(tmp_path: Path, run_cli: Callable[..., Any], unsafe: bool) -> None:
    root = tmp_path / "proj"
    shutil.copytree(Path(aiohttp.__file__).parent, root / "aiohttp",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c", "*.pyx", "*.pxd", "*.h"))
    (root / "pyproject.toml").write_text('[project]\nname = "copy"\nversion = "0"\n')
    clean = _keys(_check(run_cli, root))
    originals = _drop_awaits(root, MUTANTS)
    mutated = _check(run_cli, root)
    fixable = [f for f in mutated if f.get("fix") and (unsafe or f["fix"]["safe"])]
    assert len(fixable) >= MUTANTS // 2, "most dropped awaits on aiohttp's own coroutines are found with a fix"

    args = ("--fix", "--unsafe-fixes") if unsafe else ("--fix",)
    done = run_cli("check", "--no-cache", "--no-libraries", *args, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    after = _keys(_check(run_cli, root))
    assert not (after - _keys(mutated)), f"a fix created a problem: {after - _keys(mutated)}"
    assert not (after - clean - _keys(mutated))
    # every line a fix touched is the original line again
    for rel, text in originals.items():
        fixed_lines = (root / rel).read_text(encoding="utf-8").splitlines()
        original_lines = text.splitlines()
        assert len(fixed_lines) == len(original_lines)
        for f in fixable:
            if f["path"] == rel:
                assert fixed_lines[f["line"] - 1] == original_lines[f["line"] - 1], (rel, f["line"])


def test_a_fix_whose_file_would_have_new_findings_is_put_back(tmp_path: Path) -> None:
    """The guard itself: a changed file whose re-check has a finding the first check did not is
    restored byte for byte, and the count of fixes goes down with it."""
    from asyncguard.checks.cli import _revert_fixes_that_created_problems
    from asyncguard.checks.fixer import FixResult
    from asyncguard.checks.report import Report
    from asyncguard.rules.model import Finding, Severity

    def finding(path: str, code: str, message: str) -> Finding:
        return Finding(code, "x", message, path, 1, 1, 1, 2, Severity.ERROR)

    (tmp_path / "a.py").write_text("fixed a\n")
    (tmp_path / "b.py").write_text("fixed b\n")
    result = FixResult(fixed=3, files_changed=["a.py", "b.py"],
                       originals={"a.py": b"old a\n", "b.py": b"old b\n"}, fixed_in={"a.py": 1, "b.py": 2})
    before = Report(str(tmp_path), [finding("a.py", "AG101", "m1"), finding("b.py", "AG102", "m2")])
    after = Report(str(tmp_path), [finding("b.py", "AG101", "new")])
    notes = _revert_fixes_that_created_problems(tmp_path, before, after, result)
    assert notes == ["b.py: fixes not applied: the fixed file would have new findings (AG101)"]
    assert (tmp_path / "b.py").read_bytes() == b"old b\n"
    assert (tmp_path / "a.py").read_text() == "fixed a\n"
    assert (result.fixed, result.files_changed) == (1, ["a.py"])


def test_fixes_are_safe_only_when_the_callee_is_certain(
    make_project: Callable[..., Path], run_cli: Callable[..., Any]
) -> None:
    root = make_project({
        "app.py": (
            "import functools\n\n\nasync def real():\n    pass\n\n\n"
            "def maybe(flag):\n    if flag:\n        return None\n    return make()\n\n\n"
            "def nothing():\n    return None\n\n\n"
            "async def main(flag, ctx):\n    real()\n    await maybe(flag)\n    await nothing()\n"
            "    ctx.__aexit__(None, None, None)\n"
        ),
    })
    done = run_cli("check", "--format", "json", "--no-cache", cwd=root)
    safety = sorted((f["line"], f["code"], f["fix"]["safe"]) for f in json.loads(done.stdout) if f.get("fix"))
    assert safety == [(19, "AG101", True), (20, "AG102", False), (21, "AG102", True), (22, "AG101", False)]
    text = run_cli("check", "--no-cache", cwd=root).stdout
    assert "unsafe: --fix --unsafe-fixes applies it" in text
    run_cli("check", "--fix", "--no-cache", cwd=root)
    fixed = (root / "app.py").read_text()
    assert "    await real()\n    await maybe(flag)\n    nothing()\n    ctx.__aexit__(" in fixed
    run_cli("check", "--fix", "--unsafe-fixes", "--no-cache", cwd=root)
    fixed = (root / "app.py").read_text()
    assert "    await real()\n    maybe(flag)\n    nothing()\n    await ctx.__aexit__(" in fixed
    assert run_cli("check", "--unsafe-fixes", cwd=root).returncode == 2
