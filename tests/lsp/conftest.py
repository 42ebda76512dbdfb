"""A real LSP client (pytest-lsp) talking to `python -m checks lsp` over stdio, on a project in tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lspclient import SERVER, Editor, uri_of
from lsprotocol import types
from pytest_lsp import client_capabilities, make_test_lsp_client


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    (root / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    return root


@pytest.fixture
async def editor(project: Path) -> AsyncIterator[Editor]:
    """initialize (UTF-16 only, as VS Code), yield, then shutdown + exit; the server must exit 0."""
    client = make_test_lsp_client()
    registrations: list[types.Registration] = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(ls: object, params: types.RegistrationParams) -> None:  # as an editor does: accept
        registrations.extend(params.registrations)

    await client.start_io(*SERVER, cwd=str(project))
    capabilities = client_capabilities("visual-studio-code")
    if capabilities.general is not None:
        capabilities.general.position_encodings = [types.PositionEncodingKind.Utf16]
    result = await client.initialize_session(types.InitializeParams(
        capabilities=capabilities, root_uri=uri_of(project),
        workspace_folders=[types.WorkspaceFolder(uri=uri_of(project), name="proj")]))
    assert result.server_info is not None and result.server_info.name == "asyncguard"
    editor = Editor(client, project)
    editor.registrations = registrations
    try:
        yield editor
    finally:
        await client.shutdown_session()
        await client.stop()
    assert client._server is not None and client._server.returncode == 0
    assert client.error is None
