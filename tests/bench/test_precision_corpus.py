"""bench/precision_corpus.py on a real git mirror in a temp dir: a verdict stays attached to its
finding when lines move, a mirror's absent blob loses only that file, a missing mirror says how
to get it, and an unjudged finding fails `--check`."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]

APP_V1 = """import time


async def handler():
    time.sleep(1)
"""
APP_V2 = """import time

# a comment and a helper push the finding down; the verdict must follow it


def helper():
    return 1


async def handler():
    time.sleep(1)
"""


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("precision_corpus", ROOT / "bench" / "precision_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "precision_corpus", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "MIRRORS", tmp_path / "mirrors")
    monkeypatch.setattr(module, "BENCH_ROOT", tmp_path / "cache")
    monkeypatch.setattr(module, "CORPUS", tmp_path / "corpus.json")
    monkeypatch.setattr(module, "VERDICTS", tmp_path / "verdicts.json")
    return module


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def commit(work: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-qm", "change")
    return git(work, "rev-parse", "HEAD")


def mirror_of(tmp_path: Path) -> Path:
    """A work repo whose .git sits where fetch puts mirrors: MIRRORS/owner+name/repo/.git."""
    work = tmp_path / "mirrors" / "acme+bot" / "repo"
    work.mkdir(parents=True)
    git(work, "init", "-q")
    return work


def write_corpus(bench: ModuleType, commit_sha: str) -> None:
    bench.CORPUS.write_text(json.dumps({"projects": [
        {"name": "bot", "repo": "acme/bot", "commit": commit_sha, "kind": "application"}]}))


def findings_of(bench: ModuleType) -> list:
    project = bench.load_projects()[0]
    root = bench.materialize(project)
    return bench.keyed(project, root, bench.run_check(root))


def test_a_verdict_follows_its_finding_across_line_moves(bench: ModuleType, tmp_path: Path) -> None:
    work = mirror_of(tmp_path)
    first = commit(work, {"app.py": APP_V1})
    write_corpus(bench, first)
    [finding] = findings_of(bench)
    assert (finding.path, finding.code, finding.scope, finding.snippet, finding.line) == \
        ("app.py", "AG107", "handler", "time.sleep(1)", 5)
    bench.VERDICTS.write_text(json.dumps({"verdicts": [
        {**bench.stub(finding), "verdict": "debatable", "reason": "a test of the key"}]}))

    second = commit(work, {"app.py": APP_V2})
    write_corpus(bench, second)
    [moved] = findings_of(bench)
    assert moved.line == 11
    verdicts = bench.load_verdicts()
    assert verdicts[moved.key]["verdict"] == "debatable"
    _, totals = bench.table([moved], verdicts)
    assert totals == {"debatable": 1}


def test_check_fails_on_an_unjudged_finding(bench: ModuleType, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    work = mirror_of(tmp_path)
    write_corpus(bench, commit(work, {"app.py": APP_V1}))
    template = tmp_path / "template.json"
    monkeypatch.setattr(sys, "argv", ["precision_corpus.py", "--check", "--template", str(template)])
    assert bench.main() == 1
    assert "unjudged: bot app.py:5 AG107 [handler] 'time.sleep(1)'" in capsys.readouterr().err
    [stub] = json.loads(template.read_text())["verdicts"]
    assert stub["verdict"] == "" and stub["snippet"] == "time.sleep(1)"


def test_an_absent_blob_loses_only_its_file(bench: ModuleType, tmp_path: Path) -> None:
    work = mirror_of(tmp_path)
    sha = commit(work, {"app.py": APP_V1, "data/big.bin": "x" * 1000})
    blob = git(work, "rev-parse", f"{sha}:data/big.bin")
    (work / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # as a mirror lacks its largest files
    write_corpus(bench, sha)
    [finding] = findings_of(bench)
    assert finding.code == "AG107"
    assert not (bench.BENCH_ROOT / "bot" / "data" / "big.bin").exists()


def test_a_missing_mirror_says_how_to_fetch_it(bench: ModuleType) -> None:
    write_corpus(bench, "0" * 40)
    with pytest.raises(bench.CorpusError, match=r"fetch \(source github:acme/bot\)"):
        bench.materialize(bench.load_projects()[0])


def test_a_verdict_without_a_reason_is_refused(bench: ModuleType) -> None:
    bench.VERDICTS.write_text(json.dumps({"verdicts": [
        {"project": "bot", "path": "app.py", "code": "AG107", "scope": "handler", "snippet": "x",
         "verdict": "true", "reason": " "}]}))
    with pytest.raises(bench.CorpusError, match="no reason"):
        bench.load_verdicts()
