"""The speed paths give what the slow ones gave: annotation text, the walk's parent map, module names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from asyncguard.rules.index import module_name_for
from asyncguard.rules.summary import _ann, _simple_unparse, _unparse
from asyncguard.rules.walk import walk_module

ANNOTATIONS = [
    "int", "a.b.C", "list[int]", "dict[str, list[a.B]]", "Optional[Conn]", "A | None", "A | B | None",
    "A | (B | C)", "(A | B).c", "Callable[[int, str], Awaitable[None]]", "Callable[..., T]", "Callable[[], T]",
    "Literal['x', 1, True]", 'Literal["it\'s"]', "Literal['a\\nb']", "Literal[-1]", "Literal[1.5]",
    "tuple[int, ...]", "tuple[()]", "tuple[int,]", "X[a:b]", "X[*Ts]", "f(x)[int]", "A[B][C]",
    "Annotated[int, Field(gt=0)]", "type[Model]", "'Forward'", "u'x'", "X[None]", "Dict['k', 'v']",
    "Literal['é']", "lambda: 1", "A if B else C", "(1).real", "[]",
]


@pytest.mark.parametrize("text", ANNOTATIONS)
def test_annotation_text_is_what_ast_unparse_gives(text: str) -> None:
    node = ast.parse(text, mode="eval").body
    fast = _simple_unparse(node)
    assert fast is None or fast == ast.unparse(node)
    assert _unparse(node) == ast.unparse(node)
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        assert _ann(node) == ast.unparse(node)


def test_every_expression_of_the_analyzer_itself() -> None:
    for path in sorted((Path(__file__).parents[2] / "rules").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.expr):
                fast = _simple_unparse(node)
                assert fast is None or fast == ast.unparse(node), (path, ast.unparse(node))


def test_parent_map_holds_every_node_but_the_shared_singletons() -> None:
    source = (Path(__file__).parents[2] / "rules" / "scope.py").read_text()
    tree = ast.parse(source)
    _, parents = walk_module(tree)
    singletons = ast.expr_context | ast.operator | ast.unaryop | ast.boolop | ast.cmpop
    expected: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, singletons | ast.arguments | ast.arg):
                continue
            if isinstance(node, ast.arguments | ast.arg):  # defaults and annotations: the function's
                continue
            expected[id(child)] = node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = node.args
            for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                if a is not None and a.annotation is not None:
                    expected[id(a.annotation)] = node
            for d in (*args.defaults, *args.kw_defaults):
                if d is not None:
                    expected[id(d)] = node
    assert parents.keys() == expected.keys()
    assert all(parents[k] is v for k, v in expected.items())


def _reference_module_name(root: Path, path: Path) -> tuple[str, bool]:
    """module_name_for as it was written with pathlib."""
    is_package = path.name == "__init__.py"
    parts: list[str] = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").exists() and directory != directory.parent:
        parts.append(directory.name)
        if directory == root:
            break
        directory = directory.parent
    if is_package and not parts:
        parts = [path.parent.name]
    if (is_package and len(parts) >= 1) or len(parts) > 1:
        return ".".join(reversed(parts)), is_package
    try:
        rel = path.relative_to(root).with_suffix("")
    except ValueError:
        return path.stem, is_package
    rel_parts = list(rel.parts)
    if rel_parts and rel_parts[-1] == "__init__":
        rel_parts = rel_parts[:-1]
    if rel_parts and rel_parts[0] == "src":
        rel_parts = rel_parts[1:]
    return ".".join(rel_parts) or path.stem, is_package


def test_module_names(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    for rel in ["pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/m.py", "pkg/plain/m.py", "src/app/__init__.py",
                "src/app/core.py", "src/tool.py", "script.py", "__init__.py", "ns/deep/x.py", "ns/deep/__init__.py"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
    (tmp_path / "__init__.py").write_text("")  # a package above the root: the root still ends the name
    for path in sorted(root.rglob("*.py")):
        assert module_name_for(root, path) == _reference_module_name(root, path), path
        assert module_name_for(root / "pkg", path) == _reference_module_name(root / "pkg", path), path
