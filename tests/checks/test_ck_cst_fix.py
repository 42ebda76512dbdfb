"""`--fix` as a libcst codemod, cross-checked against the findings' text edits on real findings.

Every snippet is analysed for real (rules.engine.analyze over a small project), then fixed both
ways: `fix_source` (the text edits, what the GitHub bot suggests) and `fix_source_cst` (what
`apply_fixes` / `asyncguard check --fix` does). They must agree, except where the text edit is
known to be worse (listed in TEXT_EDIT_DIFFERS, with why).
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asyncguard.checks.fixer import apply_fixes, fix_source, fix_source_cst
from asyncguard.rules.engine import analyze
from asyncguard.rules.model import Finding

LIB = """from contextlib import asynccontextmanager


async def fetch(x=None):
    return x


def plain(x=None):
    return 1


@asynccontextmanager
async def session():
    yield 1


async def stream():
    yield 1


class Client:
    async def get(self):
        return self

    def sync(self):
        return self
"""
HEAD = "import json\n\nfrom pkg.lib import Client, fetch, plain, session, stream\n\n\nasync def main(client: Client):\n"

# id, body of `main` before, after `--fix`
SNIPPETS: list[tuple[str, str, str]] = [
    ("assign", "    x = fetch()\n    print(x)\n", "    x = await fetch()\n    print(x)\n"),
    ("return", "    return fetch()\n", "    return await fetch()\n"),
    (
        "attribute",
        "    value = fetch().result\n    print(value)\n",
        "    value = (await fetch()).result\n    print(value)\n",
    ),
    (
        "called",
        "    handler = fetch()()\n    print(handler)\n",
        "    handler = (await fetch())()\n    print(handler)\n",
    ),
    (
        "subscript",
        "    first = fetch()[0]\n    print(first)\n",
        "    first = (await fetch())[0]\n    print(first)\n",
    ),
    (
        "nested-calls",
        "    print(json.dumps(fetch(plain(1))))\n    fetch(fetch())\n",
        "    print(json.dumps(await fetch(plain(1))))\n    await fetch(fetch())\n",
    ),
    (
        "chained-attributes",
        "    client.get().sync().sync()\n    client.get()\n",
        "    (await client.get()).sync().sync()\n    await client.get()\n",
    ),
    (
        "parenthesised",
        "    value = (fetch())\n    print(value.y)\n",
        "    value = (await fetch())\n    print(value.y)\n",
    ),
    (
        "parenthesised-attribute",
        "    value = (fetch()).y\n    print(value)\n",
        "    value = (await fetch()).y\n    print(value)\n",
    ),
    ("f-string", '    print(f"{fetch()!r:>10}")\n', '    print(f"{await fetch()!r:>10}")\n'),
    (
        "operators",
        "    print(-fetch(), fetch() ** 2, not fetch())\n",
        "    print(-await fetch(), await fetch() ** 2, not await fetch())\n",
    ),
    (
        "multi-line-call",
        "    value = fetch(\n        1,  # one\n    )\n    print(value.y)\n",
        "    value = await fetch(\n        1,  # one\n    )\n    print(value.y)\n",
    ),
    (
        "decorator",
        "    @fetch()\n    def inner():\n        pass\n",
        "    @await fetch()\n    def inner():\n        pass\n",
    ),
    (
        "remove-await",
        "    value = await plain()\n    print(value)\n",
        "    value = plain()\n    print(value)\n",
    ),
    (
        "remove-await-attribute",
        "    value = (await plain()).real\n    print(value)\n",
        "    value = (plain()).real\n    print(value)\n",
    ),
    (
        "remove-await-parenthesised-operand",
        "    value = await (plain())\n    print(value)\n",
        "    value = (plain())\n    print(value)\n",
    ),
    (
        "remove-await-spacing-and-comment",
        "    value = await   plain()  # odd  \n    print(value)\n",
        "    value = plain()  # odd  \n    print(value)\n",
    ),
    ("remove-await-statement", "    await plain(fetch())\n", "    plain(fetch())\n"),
    (
        "with-as",
        "    with session() as s:  # keep\n        print(s)\n",
        "    async with session() as s:  # keep\n        print(s)\n",
    ),
    (
        "with-parenthesised-item",
        "    with (session() as s):\n        print(s)\n",
        "    async with (session() as s):\n        print(s)\n",
    ),
    (
        "for-else",
        "    for item in stream():\n        print(item)\n    else:\n        print('done')\n",
        "    async for item in stream():\n        print(item)\n    else:\n        print('done')\n",
    ),
    (
        "for-tuple-target",
        "    for (a, b) in stream():\n        print(a, b)\n",
        "    async for (a, b) in stream():\n        print(a, b)\n",
    ),
    (
        "loop-and-with-nested",
        "    for item in stream():\n        with session() as s:\n            print(item, s, fetch().x)\n",
        "    async for item in stream():\n        async with session() as s:\n            print(item, s, (await fetch()).x)\n",
    ),
]

# Where the text edit (the bot's suggestion) is not what the codemod makes, and why the codemod is right.
TEXT_EDIT_DIFFERS = {
    # `(await ` + `)` around the call inside its own parentheses: valid, one pair too many.
    "parenthesised-attribute": "    value = ((await fetch())).y\n    print(value)\n",
}


def _project(root: Path, use: str | bytes) -> Path:
    (root / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.1.0"\n')
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "lib.py").write_text(LIB)
    target = root / "pkg" / "use.py"
    target.write_bytes(use.encode() if isinstance(use, str) else use)
    return target


def _findings(root: Path) -> list[Finding]:
    return [f for f in analyze(root, cache_dir=root / ".cache").findings if f.path == "pkg/use.py"]


def _decode(data: bytes) -> tuple[str, str]:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding), encoding


@pytest.mark.parametrize("name,before,after", SNIPPETS, ids=[s[0] for s in SNIPPETS])
def test_codemod_agrees_with_the_text_edits(name: str, before: str, after: str, tmp_path: Path) -> None:
    use = _project(tmp_path, HEAD + before)
    findings = _findings(tmp_path)
    fixable = [f for f in findings if f.fix is not None]
    assert fixable, findings
    text = use.read_text()
    by_text, n_text, _ = fix_source(text, [f.fix for f in fixable if f.fix is not None])
    by_cst, n_cst, problems = fix_source_cst(text, fixable)
    assert by_cst == HEAD + after
    assert problems == [] and n_cst == len(fixable)
    assert by_text == HEAD + TEXT_EDIT_DIFFERS.get(name, after)
    assert n_text == n_cst
    # apply_fixes writes the codemod's result; the findings it fixed are gone, and a second run changes nothing
    result = apply_fixes(tmp_path, findings)
    assert result.fixed == len(fixable) and result.skipped == [] and result.files_changed == ["pkg/use.py"]
    assert use.read_text() == HEAD + after
    again = _findings(tmp_path)
    assert [f for f in again if f.fix is not None] == []
    assert apply_fixes(tmp_path, again).files_changed == []
    assert use.read_text() == HEAD + after


ENCODED: list[tuple[str, bytes]] = [
    (
        "crlf",
        (HEAD + "    x = fetch()  \n    with session() as s:\n        print(x, s.y)\n")
        .replace("\n", "\r\n")
        .encode(),
    ),
    (
        "mixed-newlines",
        (HEAD + "    x = fetch()\r\n    for item in stream():\n        print(x, item)\r\n").encode(),
    ),
    (
        "coding-cookie",
        b"# -*- coding: latin-1 -*-\n"
        + (
            HEAD
            + "    s = '\xe9'; x = fetch()  # caf\xe9\n    with session() as t:\n        print(s, x, t)\n"
        ).encode("latin-1"),
    ),
    (
        "bom",
        b"\xef\xbb\xbf"
        + (
            HEAD
            + "    s = '\u00e9\U0001f600'; x = fetch().y\n    for i in stream():\n        print(s, x, i)\n"
        ).encode(),
    ),
    ("tabs", (HEAD + "\tx = fetch()\t# tab\n\tfor i in stream():\n\t\tprint(x, i)\n").encode()),
]


@pytest.mark.parametrize("name,data", ENCODED, ids=[e[0] for e in ENCODED])
def test_encodings_and_newlines_agree_and_keep_their_bytes(name: str, data: bytes, tmp_path: Path) -> None:
    use = _project(tmp_path, data)
    findings = _findings(tmp_path)
    fixable = [f for f in findings if f.fix is not None]
    assert len(fixable) == 2, findings
    text, encoding = _decode(data)
    by_text, _, _ = fix_source(text, [f.fix for f in fixable if f.fix is not None])
    by_cst, n, problems = fix_source_cst(text, fixable)
    assert by_cst == by_text and n == 2 and problems == []
    result = apply_fixes(tmp_path, findings)
    assert result.fixed == 2 and result.skipped == []
    assert use.read_bytes() == by_text.encode(encoding)  # the text edits only insert: nothing else moved
    assert [f for f in _findings(tmp_path) if f.fix is not None] == []


def test_cli_fix_applies_the_codemod(make_project: Callable[..., Path], run_cli: Callable[..., Any]) -> None:
    use = (
        "# -*- coding: latin-1 -*-\r\n"
        "from pkg.lib import Client, fetch, plain, session, stream\r\n\r\n\r\n"
        "async def main(client: Client):  # entry   \r\n"
        "    caf\xe9 = (await plain()).real\r\n"
        "    value = client.get().sync()\r\n"
        "    with session() as s:  # one\r\n"
        "        for item in stream():\r\n"
        "            print(caf\xe9, value, s, item)\r\n"
        "        else:\r\n"
        "            pass\r\n"
        "    return fetch()\r\n"
    )
    root = make_project({"pkg/__init__.py": "", "pkg/lib.py": LIB, "pkg/use.py": use.encode("latin-1")})
    first = run_cli("check", "pkg", "--fix", cwd=root)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "fixed 5 findings in 1 file" in first.stderr
    expected = (
        use.replace("(await plain())", "(plain())")
        .replace("client.get().sync()", "(await client.get()).sync()")
        .replace("    with session()", "    async with session()")
        .replace("        for item", "        async for item")
        .replace("return fetch()", "return await fetch()")
    )
    assert (root / "pkg" / "use.py").read_bytes() == expected.encode("latin-1")
    second = run_cli("check", "pkg", "--fix", cwd=root)
    assert second.returncode == 0 and second.stderr == "", second.stdout + second.stderr
    assert (root / "pkg" / "use.py").read_bytes() == expected.encode("latin-1")


def test_a_file_libcst_cannot_parse_is_left_alone(make_project: Callable[..., Path]) -> None:
    """A file with findings that libcst will not parse is reported as skipped, byte for byte as it was."""
    use = HEAD + "    x = fetch()\n    print(x)\n"
    root = make_project({"pkg/__init__.py": "", "pkg/lib.py": LIB, "pkg/use.py": use})
    findings = _findings(root)
    assert findings
    (root / "pkg" / "use.py").write_text(use + "    print(x\n")  # broken after the check
    result = apply_fixes(root, findings)
    assert result.fixed == 0 and result.files_changed == []
    assert result.skipped == ["pkg/use.py: libcst cannot parse it (syntax error at line 9), not fixed"]
    assert (root / "pkg" / "use.py").read_text() == use + "    print(x\n"
