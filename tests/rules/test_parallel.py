"""A cold run shared with a forked helper (rules/parallel.py) finds exactly what one process finds."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from asyncguard.rules import engine as rules_engine
from asyncguard.rules.engine import AnalysisResult, RuleConfig, analyze

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the helper process needs os.fork")


@pytest.fixture(autouse=True)
def no_foreign_threads() -> Iterator[None]:
    """The engine never forks while other threads run (parallel.available_jobs), so these tests
    need a single-threaded process: wait for threads that earlier tests left winding down (an
    event loop's executor, a database driver's connection thread) and name any that stay."""
    deadline = time.monotonic() + 15
    while threading.active_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    stray = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    assert not stray, f"threads left running by earlier tests: {stray}"
    yield

MODULE = '''import asyncio
import time

from pkg.m{prev} import Service{prev}, helper{prev}


class Service{i}(Service{prev}):
    async def fetch(self, key):
        await asyncio.sleep(0)
        return key

    def load(self):
        time.sleep(1)


def helper{i}():
    time.sleep(0.1)


async def run{i}(svc: Service{i}):
    svc.fetch(1)
    helper{prev}()
    svc.load()
    await svc.fetch(2)
    open("x").read()
'''


def _write(root: Path, n: int = 40) -> list[Path]:
    """A project whose findings cross modules (missed awaits, blocking helpers, overrides)."""
    pkg = root / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "m0.py").write_text(
        "import time\n\nclass Service0:\n    def fetch(self, key):\n        return key\n\n"
        "def helper0():\n    time.sleep(1)\n"
    )
    for i in range(1, n):
        (pkg / f"m{i}.py").write_text(MODULE.format(i=i, prev=i - 1))
    (pkg / "latin.py").write_bytes(b"x = '\xe9t\xe9'\n")  # not UTF-8: AG000
    (pkg / "blob.py").write_bytes(b"\x00\x01binary")  # AG000
    (pkg / "broken.py").write_text("def oops(:\n")  # AG000
    return sorted(pkg.glob("*.py"))


def _same(one: AnalysisResult, two: AnalysisResult) -> None:
    assert one.processes == 1 and two.processes == 2
    assert repr(two.findings) == repr(one.findings)
    assert two.files == one.files and two.notes == one.notes and two.reused == one.reused
    assert list(two.index.modules) == list(one.index.modules)


@pytest.fixture(autouse=True)
def _any_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules_engine, "PARALLEL_MIN_BYTES", 0)


def test_two_processes_find_what_one_finds(tmp_path: Path) -> None:
    _write(tmp_path)
    config = RuleConfig(extend_select=frozenset({"AG113"}))
    one = analyze(tmp_path, config=config, jobs=1)
    assert {f.code for f in one.findings} >= {"AG000", "AG101", "AG108"}
    _same(one, analyze(tmp_path, config=config, jobs=2))


def test_two_processes_on_a_scope_with_a_vanished_file_and_a_warm_cache_afterwards(tmp_path: Path) -> None:
    files = _write(tmp_path)
    gone = tmp_path / "pkg" / "gone.py"  # discovered, then deleted before it was read
    scope = [*files[: len(files) // 2], gone]
    one = analyze(tmp_path, files=scope, cache_dir=tmp_path / ".c1", jobs=1)
    assert any(n.startswith("pkg/gone.py: cannot read") for n in one.notes)
    two = analyze(tmp_path, files=scope, cache_dir=tmp_path / ".c2", jobs=2)
    _same(one, two)
    # The helper's summaries and findings went into the parent's cache: nothing is parsed again.
    warm = analyze(tmp_path, files=scope, cache_dir=tmp_path / ".c2", jobs=2)
    warm_one = analyze(tmp_path, files=scope, cache_dir=tmp_path / ".c1", jobs=1)
    assert warm.processes == 1 and warm.reused == warm_one.reused == len(one.files) - 3  # all but AG000
    assert repr(warm.findings) == repr(one.findings)


@pytest.mark.parametrize("phase", ["parsing", "checking"])
def test_a_helper_that_dies_leaves_its_share_to_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, phase: str
) -> None:
    _write(tmp_path)
    one = analyze(tmp_path, jobs=1)
    parent = os.getpid()
    if phase == "parsing":
        real_summarize = rules_engine.summarize

        def summarize(*args: object, **kwargs: object) -> object:
            if os.getpid() != parent:
                os._exit(3)
            return real_summarize(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(rules_engine, "summarize", summarize)
    else:
        real_run = rules_engine.ModuleChecker.run

        def run(self: rules_engine.ModuleChecker) -> object:
            if os.getpid() != parent:
                raise RuntimeError("helper bug")
            return real_run(self)

        monkeypatch.setattr(rules_engine.ModuleChecker, "run", run)
    two = analyze(tmp_path, jobs=2)
    assert repr(two.findings) == repr(one.findings)
    assert two.files == one.files and two.notes == one.notes
    assert two.processes == (1 if phase == "parsing" else 2)


def test_below_the_threshold_or_with_one_job_nothing_is_forked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, n=3)
    monkeypatch.setattr(rules_engine, "PARALLEL_MIN_BYTES", 1 << 30)
    assert analyze(tmp_path, jobs=2).processes == 1
    monkeypatch.setattr(rules_engine, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setenv("ASYNCGUARD_JOBS", "1")
    assert analyze(tmp_path).processes == 1
    monkeypatch.setenv("ASYNCGUARD_JOBS", "2")
    assert analyze(tmp_path).processes == 2


def test_one_changed_file_rewrites_only_its_chunk_of_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    monkeypatch.setattr(rules_engine, "CHUNK_FILES", 4)
    files = _write(tmp_path, n=20)
    cache = tmp_path / ".cache"
    cold = analyze(tmp_path, cache_dir=cache, jobs=2)
    assert cold.processes == 2

    def chunks() -> list[bytes]:
        data = pickle.loads((cache / f"index-v{rules_engine.CACHE_VERSION}.pickle").read_bytes())
        return list(data["chunks"])

    before = chunks()
    assert len(before) >= 6  # both processes' pickles, as they were made
    files[5].write_text(files[5].read_text() + "\n\nX = 1\n")
    again = analyze(tmp_path, cache_dir=cache, jobs=2)
    assert again.processes == 1 and repr(again.findings) == repr(cold.findings)
    after = chunks()
    assert len(set(before) - set(after)) == 1 and len(after) == len(before)  # its chunk, pickled again
    warm = analyze(tmp_path, cache_dir=cache)
    assert warm.reused == len(warm.files) - 3 and repr(warm.findings) == repr(cold.findings)  # all but AG000


def test_mutually_recursive_blocking_helpers_do_not_depend_on_the_order_files_are_checked(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "__init__.py").write_text("")
    (tmp_path / "p" / "h.py").write_text(
        "import time\n\n\ndef f():\n    g()\n\n\ndef g():\n    f()\n    time.sleep(1)\n")
    (tmp_path / "p" / "a.py").write_text("from p.h import f\n\n\nasync def a():\n    f()\n")
    (tmp_path / "p" / "b.py").write_text("from p.h import g\n\n\nasync def b():\n    g()\n")
    a, b = tmp_path / "p" / "a.py", tmp_path / "p" / "b.py"
    first_a = analyze(tmp_path, files=[a, b], jobs=1).findings
    first_b = analyze(tmp_path, files=[b, a], jobs=1).findings
    assert [(f.code, f.path) for f in first_a] == [("AG107", "p/a.py"), ("AG107", "p/b.py")]
    assert repr(first_b) == repr(first_a)


def test_the_command_line_with_a_helper_reports_what_one_process_reports(tmp_path: Path) -> None:
    """The real `asyncguard check`, above the size threshold: broken files are AG000, the rest analyzed."""
    import json
    import subprocess
    import sys

    _write(tmp_path, n=60)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    padding = "# " + "x" * 98 + "\n"
    for path in sorted((tmp_path / "pkg").glob("m*.py")):
        path.write_text(path.read_text() + padding * 60)  # ~6 KB each: over PARALLEL_MIN_BYTES in all
    assert sum(p.stat().st_size for p in tmp_path.rglob("*.py")) > rules_engine.PARALLEL_MIN_BYTES

    def run(jobs: str) -> tuple[int, list[object], str]:
        proc = subprocess.run([sys.executable, "-m", "asyncguard", "check", "pkg", "--format", "json", "--no-cache"],
                              cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "ASYNCGUARD_JOBS": jobs})
        return proc.returncode, json.loads(proc.stdout), proc.stderr

    one, two = run("1"), run("2")
    assert one[0] == 1 and two == one
    paths = {f["path"] for f in one[1] if isinstance(f, dict) and f.get("code") == "AG000"}  # type: ignore[union-attr]
    assert paths == {"pkg/latin.py", "pkg/blob.py", "pkg/broken.py"}
