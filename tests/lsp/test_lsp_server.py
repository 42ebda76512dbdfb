"""`asyncguard lsp` end to end: a real LSP client over stdio against the real server process."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from lspclient import Editor
from lsprotocol import types

from asyncguard.checks.links import rule_url

DB = "def connect():\n    return 1\n"
APP = "from pkg.db import connect\n\n\nasync def main():\n    connect()\n    return 2\n"


def codes(diags: object) -> list[str]:
    return [str(d.code) for d in diags]  # type: ignore[attr-defined]


async def cli_findings(root: Path) -> list[dict[str, object]]:
    """What `asyncguard check --format json` reports on the files on disk."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "asyncguard", "check", str(root), "--format", "json", "--no-cache",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=root)
    out, err = await proc.communicate()
    assert proc.returncode in (0, 1), err.decode()
    return list(json.loads(out))


async def test_callee_turning_async_underlines_the_caller_in_another_buffer(editor: Editor, project: Path) -> None:
    (project / "pkg" / "db.py").write_text(DB, encoding="utf-8")
    (project / "pkg" / "app.py").write_text(APP, encoding="utf-8")
    editor.open("pkg/app.py")
    editor.open("pkg/db.py")
    assert await editor.diagnostics("pkg/app.py", lambda d: True) == []
    assert await editor.diagnostics("pkg/db.py", lambda d: True) == []

    # Typed in db.py, not saved: `def connect` becomes `async def connect`.
    editor.type_at("pkg/db.py", 0, 0, "async ")
    diags = await editor.diagnostics("pkg/app.py", lambda d: bool(d))
    assert codes(diags) == ["AG101"]
    (d,) = diags
    assert d.source == "asyncguard"
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.range == types.Range(start=types.Position(line=4, character=4), end=types.Position(line=4, character=13))
    assert d.code_description is not None and d.code_description.href == rule_url("AG101")

    # The same message, code and place as the CLI once the buffer is on disk.
    (project / "pkg" / "db.py").write_text("async " + DB, encoding="utf-8")
    (cli,) = await cli_findings(project)
    assert (cli["code"], cli["message"], cli["path"], cli["severity"]) == ("AG101", d.message, "pkg/app.py", "error")
    assert (cli["line"], cli["column"], cli["end_line"], cli["end_column"]) == (5, 5, 5, 14)  # 1-based
    assert cli["help_url"] == d.code_description.href

    # The quick fix is the codemod's `await`, applied as a workspace edit; the diagnostic goes.
    actions = await editor.client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=editor.uri("pkg/app.py")), range=d.range,
        context=types.CodeActionContext(diagnostics=[d])))
    assert actions is not None
    titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
    assert "Add `await` (AG101)" in titles and "Suppress AG101 on this line" in titles
    fix = next(a for a in actions if isinstance(a, types.CodeAction) and a.title == "Add `await` (AG101)")
    assert fix.edit is not None
    editor.apply(fix.edit)
    assert editor.texts[editor.uri("pkg/app.py")] == APP.replace("    connect()", "    await connect()")
    assert await editor.diagnostics("pkg/app.py", lambda d: not d) == []

    # Back to a plain def: now the `await` is the mistake (AG102), in the caller again.
    editor.change("pkg/db.py", DB)
    diags = await editor.diagnostics("pkg/app.py", lambda d: bool(d))
    assert codes(diags) == ["AG102"]


async def test_suppress_on_this_line_and_hover(editor: Editor, project: Path) -> None:
    (project / "pkg" / "db.py").write_text("async " + DB, encoding="utf-8")
    editor.open("pkg/app.py", APP)
    (d,) = await editor.diagnostics("pkg/app.py", lambda d: bool(d))

    hover = await editor.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=editor.uri("pkg/app.py")),
        position=types.Position(line=4, character=6)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    text = hover.contents.value
    assert text.startswith("**AG101 missing-await**")
    assert "Calling a coroutine function does not run its body." in text
    assert f"({rule_url('AG101')})" in text
    nothing = await editor.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=editor.uri("pkg/app.py")),
        position=types.Position(line=0, character=2)))
    assert nothing is None

    actions = await editor.client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=editor.uri("pkg/app.py")), range=d.range,
        context=types.CodeActionContext(diagnostics=[d])))
    assert actions is not None
    suppress = next(a for a in actions if isinstance(a, types.CodeAction) and a.title.startswith("Suppress"))
    assert suppress.edit is not None
    editor.apply(suppress.edit)
    assert "    connect()  # asyncguard: ignore[AG101]\n" in editor.texts[editor.uri("pkg/app.py")]
    assert await editor.diagnostics("pkg/app.py", lambda d: not d) == []


async def test_syntax_error_is_ag000_and_the_rest_keeps_working(editor: Editor, project: Path) -> None:
    (project / "pkg" / "db.py").write_text("async " + DB, encoding="utf-8")
    editor.open("pkg/app.py", APP)
    await editor.diagnostics("pkg/app.py", lambda d: codes(d) == ["AG101"])
    editor.open("pkg/db.py")
    editor.change("pkg/db.py", "async def connect(:\n    return 1\n")
    (err,) = await editor.diagnostics("pkg/db.py", lambda d: bool(d))
    assert err.code == "AG000" and err.message.startswith("syntax error")
    assert err.range.start == types.Position(line=0, character=18)
    # The caller keeps its finding (the last good summary of db.py stays in the index) ...
    assert codes(editor.client.diagnostics[editor.uri("pkg/app.py")]) == ["AG101"]
    # ... and edits elsewhere are still analysed.
    editor.change("pkg/app.py", APP + "\n\nasync def other():\n    connect()\n")
    await editor.diagnostics("pkg/app.py", lambda d: codes(d) == ["AG101", "AG101"])
    editor.change("pkg/db.py", DB)
    assert await editor.diagnostics("pkg/db.py", lambda d: not d) == []
    await editor.diagnostics("pkg/app.py", lambda d: not d)


async def test_pyproject_reload_and_bad_config(editor: Editor, project: Path) -> None:
    (project / "pkg" / "db.py").write_text("async " + DB, encoding="utf-8")
    editor.open("pkg/app.py", APP)
    await editor.diagnostics("pkg/app.py", lambda d: codes(d) == ["AG101"])
    (watch,) = editor.registrations  # the server asked to be told when pyproject.toml changes
    assert watch.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    globs = [w["globPattern"] for w in watch.register_options["watchers"]]  # type: ignore[index]
    assert "**/pyproject.toml" in globs
    pyproject = project / "pyproject.toml"
    changed = types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=editor.uri("pyproject.toml"), type=types.FileChangeType.Changed)])

    pyproject.write_text("[tool.asyncguard]\nseverity = { AG101 = 'warning' }\n", encoding="utf-8")
    editor.client.workspace_did_change_watched_files(changed)
    (d,) = await editor.diagnostics("pkg/app.py", lambda d: bool(d) and d[0].severity == 2)
    assert d.severity == types.DiagnosticSeverity.Warning

    pyproject.write_text("[tool.asyncguard]\nselect = ['AG999']\n", encoding="utf-8")
    editor.client.workspace_did_change_watched_files(changed)
    await editor.client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
    (message,) = editor.client.messages
    assert message.type == types.MessageType.Error
    assert "bad configuration" in message.message and "AG999" in message.message
    # Not a dead server: the previous settings go on, edits are analysed.
    editor.change("pkg/app.py", APP.replace("connect()", "connect()\n    connect()"))
    diags = await editor.diagnostics("pkg/app.py", lambda d: len(d) == 2)
    assert {x.severity for x in diags} == {types.DiagnosticSeverity.Warning}

    pyproject.write_text("[tool.asyncguard]\nignore = ['AG101']\n", encoding="utf-8")
    editor.client.workspace_did_change_watched_files(changed)
    assert await editor.diagnostics("pkg/app.py", lambda d: not d) == []
    assert len(editor.client.messages) == 1


async def test_file_changed_on_disk_rechecks_open_dependents(editor: Editor, project: Path) -> None:
    (project / "pkg" / "db.py").write_text(DB, encoding="utf-8")
    editor.open("pkg/app.py", APP)
    assert await editor.diagnostics("pkg/app.py", lambda d: True) == []
    (project / "pkg" / "db.py").write_text("async " + DB, encoding="utf-8")  # e.g. `git checkout`
    editor.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=editor.uri("pkg/db.py"), type=types.FileChangeType.Changed)]))
    await editor.diagnostics("pkg/app.py", lambda d: codes(d) == ["AG101"])


async def test_fix_all_and_non_bmp_columns(editor: Editor, project: Path) -> None:
    (project / "pkg" / "db.py").write_text("async " + DB, encoding="utf-8")
    text = "from pkg.db import connect\n\n\nasync def main():\n    s = '😀'; connect()\n    connect()\n"
    editor.open("pkg/app.py", text)
    diags = await editor.diagnostics("pkg/app.py", lambda d: len(d) == 2)
    # UTF-16: the emoji counts two code units, so `connect` on line 4 starts at 4 + 10 = 14.
    assert diags[0].range.start == types.Position(line=4, character=14)
    actions = await editor.client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=editor.uri("pkg/app.py")),
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
        context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll])))
    assert actions is not None
    (fix_all,) = [a for a in actions if isinstance(a, types.CodeAction)]
    assert fix_all.kind == "source.fixAll.asyncguard" and fix_all.edit is not None
    editor.apply(fix_all.edit)
    assert editor.texts[editor.uri("pkg/app.py")].endswith("s = '😀'; await connect()\n    await connect()\n")
    assert await editor.diagnostics("pkg/app.py", lambda d: not d) == []


async def test_close_clears_and_the_disk_counts_again(editor: Editor, project: Path) -> None:
    (project / "pkg" / "db.py").write_text(DB, encoding="utf-8")
    editor.open("pkg/app.py", APP)
    editor.open("pkg/db.py")
    editor.change("pkg/db.py", "async " + DB + "\n\ndef helper():\n    connect()\n")
    await editor.diagnostics("pkg/app.py", lambda d: codes(d) == ["AG101"])
    await editor.diagnostics("pkg/db.py", lambda d: codes(d) == ["AG101"])
    editor.client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=editor.uri("pkg/db.py"))))
    # The unsaved `async` is gone with the buffer: db.py on disk is a plain def again.
    assert await editor.diagnostics("pkg/app.py", lambda d: not d) == []
    assert list(editor.client.diagnostics[editor.uri("pkg/db.py")]) == []
