"""Everything is imported as `asyncguard.<layer>`: a bare `import rules` would load a second copy of a
module in a checkout and fail outright in the installed wheel, where only `asyncguard` exists."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"rules", "checks", "contracts", "bot", "training_content"}
SKIP = ("tests/data/", "training_content/examples/")


def _python_files() -> list[Path]:
    files = []
    for folder in (*sorted(LAYERS), "tests", "bench", "asyncguard"):
        base = ROOT / folder
        if base.is_symlink():
            continue
        for path in base.rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if not rel.startswith(SKIP) and ".venv" not in path.parts:
                files.append(path)
    return files


def _top_level_imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.split(".")[0] in LAYERS]


def test_no_module_imports_a_layer_by_its_bare_name() -> None:
    offenders = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offenders += [f"{path.relative_to(ROOT)}:{line}: import {name}" for line, name in _top_level_imports(tree)]
    assert offenders == [], "use `asyncguard.<layer>` instead:\n" + "\n".join(offenders)


def test_the_guard_sees_bare_imports() -> None:
    tree = ast.parse("import rules.engine\nfrom bot import app\nfrom asyncguard.bot import app\nimport botocore\n")
    assert _top_level_imports(tree) == [(1, "rules.engine"), (2, "bot")]


def test_each_layer_is_linked_under_the_package() -> None:
    for layer in LAYERS:
        link = ROOT / "asyncguard" / layer
        assert link.is_symlink() and link.resolve() == (ROOT / layer).resolve(), layer
