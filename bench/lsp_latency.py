"""Diagnostics latency after a keystroke: `asyncguard lsp` beside pyright's language server, same run.

On a generated 1,000-file project (`gen_project.py`), each server is started over stdio by a pygls
client, a module and three modules that import it are opened, and the first diagnostics are
awaited (the index is then warm). Then, for each server:

- body keystroke: one character typed into a comment of the edited module (the summary
  other modules see does not change); the time until the
  server publishes diagnostics for that document version;
- interface keystroke: `async ` added before (or removed from) a sync helper the three other open
  modules call (`value += sync_helper_N(value)`); the time until every open dependent was
  published again (for asyncguard: the caller underlined in the other file, AG101; pyright
  reports the coroutine in `+=` as a type error).

p50 and p95 over `--keystrokes` of each kind. pyright runs if `pyright-langserver` is installed
(`pip install -e '.[bench]'`: PyPI's pyright brings its own node package).

    .venv/bin/python bench/lsp_latency.py                 # 1,000 files, 100 keystrokes of each kind
    .venv/bin/python bench/lsp_latency.py -n 200 --keystrokes 30 --no-pyright
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_project import generate  # noqa: E402


class Session:
    """One server, driven as an editor drives it; records when each publish arrives."""

    def __init__(self, name: str, command: list[str], root: Path) -> None:
        self.name, self.command, self.root = name, command, root
        self.client = LanguageClient("bench", "1")
        self.published: dict[str, tuple[int | None, float, int]] = {}  # uri -> (version, when, count)
        self.changed = asyncio.Event()
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(ls: Any, params: types.PublishDiagnosticsParams) -> None:
            self.published[params.uri] = (params.version, time.perf_counter(), len(params.diagnostics))
            self.changed.set()

        @self.client.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(ls: Any, params: types.ConfigurationParams) -> list[Any]:
            return [None for _ in params.items]

        @self.client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(ls: Any, params: types.RegistrationParams) -> None:
            return None

        @self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def progress(ls: Any, params: types.WorkDoneProgressCreateParams) -> None:
            return None

    async def start(self) -> None:
        await self.client.start_io(*self.command, cwd=str(self.root))
        uri = from_fs_path(str(self.root))
        await self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(
                text_document=types.TextDocumentClientCapabilities(
                    publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)),
                workspace=types.WorkspaceClientCapabilities(configuration=True, workspace_folders=True),
            ),
            root_uri=uri, workspace_folders=[types.WorkspaceFolder(uri=uri or "", name="synth")]))
        self.client.initialized(types.InitializedParams())

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await asyncio.sleep(0.2)
        await self.client.stop()

    def uri(self, rel: str) -> str:
        found = from_fs_path(str(self.root / rel))
        assert found is not None
        return found

    def open(self, rel: str) -> None:
        uri = self.uri(rel)
        self.texts[uri] = (self.root / rel).read_text(encoding="utf-8")
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="python", version=1, text=self.texts[uri])))

    def edit(self, rel: str, line: int, start: int, end: int, new: str) -> int:
        """Replace characters start..end of a line (0-based); returns the new document version."""
        uri = self.uri(rel)
        lines = self.texts[uri].split("\n")
        lines[line] = lines[line][:start] + new + lines[line][end:]
        self.texts[uri] = "\n".join(lines)
        self.versions[uri] += 1
        rng = types.Range(start=types.Position(line=line, character=start),
                          end=types.Position(line=line, character=end))
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new)]))
        return self.versions[uri]

    async def until(self, done: Callable[[], bool], wait_for: float = 120) -> None:
        deadline = time.perf_counter() + wait_for
        while not done():
            self.changed.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"{self.name}: no diagnostics as expected within {wait_for}s")
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                continue


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n")) if line.startswith(needle))


async def measure(session: Session, edited: str, dependents: list[str], target: int, keystrokes: int) -> dict[str, Any]:
    started = time.perf_counter()
    await session.start()
    for rel in [edited, *dependents]:
        session.open(rel)
    uris = [session.uri(r) for r in [edited, *dependents]]
    await session.until(lambda: all(u in session.published for u in uris))
    first = time.perf_counter() - started
    uri = session.uri(edited)
    text = session.texts[uri]
    comment = _line_of(text, "log = logging.getLogger")
    col = len(text.split("\n")[comment])
    version = session.edit(edited, comment, col, col, "  # typed: ")  # a comment to type into
    await session.until(lambda: session.published.get(uri, (None, 0.0, 0))[0] == version)
    body: list[float] = []
    for _ in range(keystrokes):
        col = len(session.texts[uri].split("\n")[comment])
        sent = time.perf_counter()
        version = session.edit(edited, comment, col, col, "x")
        await session.until(lambda version=version, sent=sent: session.published.get(uri, (None, 0.0, 0))[0] == version
                            or (session.published.get(uri, (None, 0.0, 0))[0] is None
                                and session.published[uri][1] >= sent))
        body.append(session.published[uri][1] - sent)
    helper = _line_of(session.texts[uri], f"def sync_helper_{target}")
    interface: list[float] = []
    dep_uris = [session.uri(r) for r in dependents]
    flagged: dict[str, int] = {}
    for i in range(keystrokes):
        before = {u: session.published[u][1] for u in dep_uris}
        sent = time.perf_counter()
        if i % 2 == 0:
            session.edit(edited, helper, 0, 0, "async ")
        else:
            session.edit(edited, helper, 0, len("async "), "")
        await session.until(lambda before=before: all(session.published[u][1] > before[u] for u in dep_uris))
        interface.append(max(session.published[u][1] for u in dep_uris) - sent)
        if i == 0:
            flagged = {u: session.published[u][2] for u in dep_uris}
    await session.stop()
    return {"first": first, "body": body, "interface": interface, "dependents_flagged": flagged}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="modules in the generated project")
    parser.add_argument("--keystrokes", type=int, default=100, help="keystrokes of each kind")
    parser.add_argument("--no-pyright", action="store_true")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    servers = {"asyncguard": [str(bin_dir / "asyncguard"), "lsp"]}
    pyright = shutil.which("pyright-langserver", path=str(bin_dir)) or shutil.which("pyright-langserver")
    if pyright and not args.no_pyright:
        servers["pyright"] = [pyright, "--stdio"]
    elif not args.no_pyright:
        print("pyright-langserver not installed: asyncguard alone (pip install -e '.[bench]')")
    with tempfile.TemporaryDirectory(prefix="ag-lsp-bench-") as tmp:
        root = Path(tmp)
        generate(root, args.n)
        target = args.n // 2
        edited = f"synth/mod{target:04d}.py"
        dependents = []
        for i in range(target + 1, args.n):
            text = (root / f"synth/mod{i:04d}.py").read_text(encoding="utf-8")
            if f"import Service{target}, helper_{target}, sync_helper_{target}" in text:
                dependents.append(f"synth/mod{i:04d}.py")
            if len(dependents) == 3:
                break
        # A warm on-disk cache, as after the first `asyncguard check` or editor session.
        warm = asyncio.run(measure(Session("asyncguard", servers["asyncguard"], root), edited, dependents, target, 2))
        print(f"asyncguard first session (cold cache): first diagnostics after {warm['first']:.2f} s")
        results = {}
        for name, command in servers.items():
            results[name] = asyncio.run(measure(Session(name, command, root), edited, dependents, target,
                                                args.keystrokes))
    print(f"\n{args.n} modules, {args.keystrokes} keystrokes of each kind, {len(dependents)} open dependents\n")
    print("| server | first diagnostics | body keystroke p50 | p95 | interface keystroke (all dependents) p50 | p95 |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['first']:.2f} s | {pct(r['body'], .5) * 1000:.0f} ms | {pct(r['body'], .95) * 1000:.0f} ms "
              f"| {pct(r['interface'], .5) * 1000:.0f} ms | {pct(r['interface'], .95) * 1000:.0f} ms |")
    for name, r in results.items():
        print(f"{name}: diagnostics per dependent once the helper is async: "
              f"{sorted(r['dependents_flagged'].values())}; body mean {statistics.mean(r['body']) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
