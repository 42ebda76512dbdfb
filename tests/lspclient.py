"""The test side of an LSP session (tests/lsp/): buffers, edits, waiting for published diagnostics."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

SERVER = [sys.executable, "-m", "asyncguard", "lsp"]
Diagnostics = Sequence[types.Diagnostic]


def uri_of(path: Path) -> str:
    uri = from_fs_path(str(path.resolve()))
    assert uri is not None
    return uri


class Editor:
    """The test's side of the session: open and edit buffers, wait for what the server publishes."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self.registrations: list[types.Registration] = []  # what the server asked the client to register

    def uri(self, rel: str) -> str:
        return uri_of(self.root / rel)

    def open(self, rel: str, text: str | None = None) -> str:
        uri = self.uri(rel)
        text = (self.root / rel).read_text(encoding="utf-8") if text is None else text
        self.versions[uri], self.texts[uri] = 1, text
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        return uri

    def change(self, rel: str, text: str) -> None:
        """A whole-buffer change (what a client without incremental sync sends)."""
        uri = self.uri(rel)
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    def type_at(self, rel: str, line: int, character: int, inserted: str) -> None:
        """An incremental change: `inserted` typed at (line, character), 0-based."""
        uri = self.uri(rel)
        self.versions[uri] += 1
        lines = self.texts[uri].split("\n")
        lines[line] = lines[line][:character] + inserted + lines[line][character:]
        self.texts[uri] = "\n".join(lines)
        at = types.Position(line=line, character=character)
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=at, end=at), text=inserted)]))

    async def diagnostics(self, rel: str, until: Callable[[Diagnostics], bool], within: float = 30) -> Diagnostics:
        """The diagnostics published for `rel` once they satisfy `until` (fails after `within` seconds)."""
        uri = self.uri(rel)

        async def wait() -> Diagnostics:
            while True:
                found = self.client.diagnostics.get(uri)
                if found is not None and until(found):
                    return list(found)
                await self.client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

        try:
            return await asyncio.wait_for(wait(), within)
        except TimeoutError:
            pytest.fail(f"no diagnostics for {rel} as expected within {within}s; last: "
                        f"{self.client.diagnostics.get(uri)!r}")

    def apply(self, edit: types.WorkspaceEdit) -> None:
        """Apply a workspace edit to the buffers as an editor would, and send the change."""
        for change in edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit)
            uri = change.text_document.uri
            assert change.text_document.version == self.versions[uri], "edit for another version"
            text = self.texts[uri]
            for e in sorted(change.edits, key=lambda e: (e.range.start.line, e.range.start.character),
                            reverse=True):
                assert isinstance(e, types.TextEdit)
                a, b = _offset(text, e.range.start), _offset(text, e.range.end)
                text = text[:a] + e.new_text + text[b:]
            rel = Path(_path(uri)).relative_to(self.root.resolve()).as_posix()
            self.change(rel, text)


def _path(uri: str) -> str:
    from pygls.uris import to_fs_path

    path = to_fs_path(uri)
    assert path is not None
    return path


def _offset(text: str, position: types.Position) -> int:
    """UTF-16 position -> offset (the client offered only UTF-16)."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: position.line])
    units = 0
    for i, ch in enumerate(lines[position.line] if position.line < len(lines) else ""):
        if units >= position.character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return start + len(lines[position.line]) if position.line < len(lines) else len(text)


