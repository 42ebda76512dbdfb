"""The language server: pygls handlers over the projects' in-memory indexes.

Each edit is noted, and analysed once the messages already read have been handled (a burst of
keystrokes is one analysis, with no timer added to the latency). An analysis re-summarizes the
edited modules and re-checks them and the open modules whose findings depended on them, then
publishes the diagnostics of every open module whose findings changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from asyncguard.checks.config import ROOT_MARKERS, find_project_root
from asyncguard.checks.lsp.actions import FIX_ALL_KIND, code_actions, hover
from asyncguard.checks.lsp.convert import SOURCE, to_diagnostic
from asyncguard.checks.lsp.project import Project
from asyncguard.rules.model import Finding

VERSION = "0.1.0"
log = logging.getLogger(__name__)


class AsyncguardServer(LanguageServer):
    """State: the projects by root, each open document's project, the last findings published."""

    def __init__(self) -> None:
        super().__init__("asyncguard", VERSION)
        self.projects: dict[Path, Project] = {}
        self.folders: list[Path] = []  # the client's workspace folders
        self.findings: dict[str, list[Finding]] = {}  # by document URI, as last published
        self.versions: dict[str, int | None] = {}  # the document version those findings are for
        self._dirty: dict[str, Project] = {}  # URIs edited since the last analysis
        self._recheck: dict[Project, set[str]] = {}
        self._scheduled = False

    # -- projects ----------------------------------------------------------------------------------

    def project_for(self, path: Path) -> Project:
        """The project holding `path`: the nearest folder with pyproject.toml, setup.cfg or .git
        (else the client's workspace folder holding it, else the file's own folder)."""
        root = find_project_root([path])
        if not any((root / m).exists() for m in ROOT_MARKERS):
            root = next((f for f in self.folders if path.is_relative_to(f)), path.parent)
        project = self.projects.get(root)
        if project is None:
            project = self.projects[root] = Project(root)
            self._show_config_problem(project, project.load())
            for note in project.ws.notes:
                self.window_log_message(types.LogMessageParams(type=types.MessageType.Info,
                                                               message=f"asyncguard: {note}"))
        return project

    def _show_config_problem(self, project: Project, problem: str | None) -> None:
        if problem is None:
            return
        where = "the previous settings" if project.workspace is not None else "the default settings"
        self.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Error,
            message=f"asyncguard: bad configuration, using {where} until it is fixed: {problem}",
        ))

    # -- analysis ----------------------------------------------------------------------------------

    def note_edit(self, uri: str) -> None:
        path = _path(uri)
        if path is None:
            return
        project = self.project_for(path)
        project.open.add(project.ws.rel(path))
        self._dirty[uri] = project
        self._schedule()

    def recheck(self, project: Project, rels: set[str]) -> None:
        self._recheck.setdefault(project, set()).update(rels)
        self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.analyze_now)

    def analyze_now(self) -> None:
        """Bring every edited buffer into its index, then publish what changed."""
        self._scheduled = False
        dirty, self._dirty = self._dirty, {}
        todo, self._recheck = self._recheck, {}
        for uri, project in dirty.items():
            path = _path(uri)
            if path is None:
                continue
            document = self.workspace.get_text_document(uri)
            todo.setdefault(project, set()).update(project.ws.set_buffer(project.ws.rel(path), document.source))
        for project, rels in todo.items():
            for rel in sorted(rels & project.open):
                try:
                    self.publish(project, rel)
                except Exception as exc:  # one module's failure must not stop the others, nor the server
                    log.exception("analysing %s failed", rel)
                    self.window_show_message(types.ShowMessageParams(
                        type=types.MessageType.Error,
                        message=f"asyncguard: internal error analysing {rel}: {type(exc).__name__}: {exc}",
                    ))

    def publish(self, project: Project, rel: str) -> None:
        uri = from_fs_path(str(project.root / rel))
        if uri is None:
            return
        document = self.workspace.get_text_document(uri)
        found = project.findings(rel)
        if self.findings.get(uri) == found and self.versions.get(uri) == document.version:
            return
        self.findings[uri] = found
        self.versions[uri] = document.version
        codec, lines = self.workspace.position_codec, document.lines
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version,
            diagnostics=[to_diagnostic(codec, lines, f, project.settings.training_url) for f in found],
        ))

    def closed(self, uri: str) -> None:
        path = _path(uri)
        self.findings.pop(uri, None)
        self.versions.pop(uri, None)
        self._dirty.pop(uri, None)
        if path is None:
            return
        project = self.project_for(path)
        rel = project.ws.rel(path)
        project.open.discard(rel)
        project.ws.forget([rel])
        self.recheck(project, project.ws.close_buffer(rel))
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def files_changed(self, changes: Sequence[types.FileEvent]) -> None:
        """Files changed on disk: pyproject.toml reloads the settings, a .py file its summary."""
        for change in changes:
            path = _path(change.uri)
            if path is None:
                continue
            for project in list(self.projects.values()):
                if not path.is_relative_to(project.root):
                    continue
                if path == project.root / "pyproject.toml":
                    old = project.workspace
                    self._show_config_problem(project, project.load())
                    if project.workspace is not old:  # new settings: every open module again
                        for uri in [u for u in self.findings if _under(u, project.root)]:
                            del self.findings[uri]
                        self.recheck(project, set(project.open))
                elif path.suffix == ".py":
                    self.recheck(project, project.ws.disk_changed(project.ws.rel(path)))


def _path(uri: str) -> Path | None:
    fs = to_fs_path(uri)
    return Path(fs).resolve() if fs and uri.startswith("file:") else None


def _under(uri: str, root: Path) -> bool:
    path = _path(uri)
    return path is not None and path.is_relative_to(root)


def _findings_at(server: AsyncguardServer, uri: str) -> tuple[list[Finding], Project | None]:
    path = _path(uri)
    if path is None or uri not in server.findings:
        return [], None
    return server.findings[uri], server.project_for(path)


def build_server() -> AsyncguardServer:
    server = AsyncguardServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: AsyncguardServer, params: types.InitializeParams) -> None:
        folders = [f.uri for f in params.workspace_folders or []] or ([params.root_uri] if params.root_uri else [])
        ls.folders = [p for p in (_path(u) for u in folders) if p is not None]

    @server.feature(types.INITIALIZED)
    async def initialized(ls: AsyncguardServer, params: types.InitializedParams) -> None:
        watch = ls.client_capabilities.workspace
        dynamic = watch is not None and watch.did_change_watched_files is not None and bool(
            watch.did_change_watched_files.dynamic_registration)
        if not dynamic:
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[
            types.FileSystemWatcher(glob_pattern="**/pyproject.toml"),
            types.FileSystemWatcher(glob_pattern="**/*.py"),
        ])
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                types.Registration(id="asyncguard-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                   register_options=options)]))
        except Exception as exc:  # the client refused: settings reload on save of pyproject.toml only
            log.warning("file watch not registered: %s", exc)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: AsyncguardServer, params: types.DidOpenTextDocumentParams) -> None:
        if params.text_document.uri.endswith(".py"):
            ls.note_edit(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: AsyncguardServer, params: types.DidChangeTextDocumentParams) -> None:
        if params.text_document.uri.endswith(".py"):
            ls.note_edit(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: AsyncguardServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri.endswith("pyproject.toml"):
            ls.files_changed([types.FileEvent(uri=uri, type=types.FileChangeType.Changed)])
        elif uri.endswith(".py"):
            ls.findings.pop(uri, None)  # published again even if unchanged: the editor asked
            ls.note_edit(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: AsyncguardServer, params: types.DidCloseTextDocumentParams) -> None:
        if params.text_document.uri.endswith(".py"):
            ls.closed(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: AsyncguardServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.files_changed(params.changes)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]),
    )
    def code_action(ls: AsyncguardServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        ls.analyze_now()  # the findings are those of the text the client holds now
        found, project = _findings_at(ls, uri)
        if project is None:
            return []
        document = ls.workspace.get_text_document(uri)
        return code_actions(uri, ls.versions.get(uri), document.source, document.lines, ls.workspace.position_codec,
                            found, params.range, project.settings.training_url, params.context.only)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: AsyncguardServer, params: types.HoverParams) -> types.Hover | None:
        ls.analyze_now()
        found, project = _findings_at(ls, params.text_document.uri)
        if project is None:
            return None
        document = ls.workspace.get_text_document(params.text_document.uri)
        return hover(document.lines, ls.workspace.position_codec, found, params.position,
                     project.settings.training_url)

    return server


def serve() -> int:
    """Run over stdio until the client says exit."""
    logging.basicConfig(level=logging.WARNING, format=f"{SOURCE}: %(message)s")
    build_server().start_io()
    return 0
