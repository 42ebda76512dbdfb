"""Files that vanish, lie about their encoding or are not source: a clear note or AG000, never a crash."""

from __future__ import annotations

import os
from pathlib import Path

from asyncguard.rules.engine import analyze

CALLER = "from pkg.db import connect\n\nasync def main():\n    connect()\n"


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "db.py").write_text("async def connect():\n    pass\n")
    (tmp_path / "pkg" / "app.py").write_text(CALLER)
    return tmp_path


def test_a_file_deleted_between_discovery_and_reading_is_a_note(tmp_path: Path) -> None:
    root = _project(tmp_path)
    files = sorted(root.rglob("*.py"))
    gone = root / "pkg" / "gone.py"
    result = analyze(root, index_files=[*files, gone])
    assert [(f.code, f.path) for f in result.findings] == [("AG101", "pkg/app.py")]
    assert any(n.startswith("pkg/gone.py: cannot read") for n in result.notes), result.notes


def test_a_file_deleted_after_it_was_cached_is_dropped_and_the_rest_reuses_the_cache(tmp_path: Path) -> None:
    root = _project(tmp_path)
    cache = tmp_path / ".cache"
    (root / "pkg" / "extra.py").write_text("x = 1\n")
    assert [f.code for f in analyze(root, cache_dir=cache).findings] == ["AG101"]
    os.remove(root / "pkg" / "extra.py")
    again = analyze(root, cache_dir=cache)
    assert [f.code for f in again.findings] == ["AG101"] and "pkg/extra.py" not in again.files
    assert again.reused == 3  # app, db and __init__ came from the cache


def test_undecodable_binary_and_syntax_errors_are_ag000_and_the_rest_is_analyzed(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "pkg" / "latin.py").write_bytes(b"x = '\xe9t\xe9'\n")  # not UTF-8, no coding cookie
    (root / "pkg" / "cookie.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9t\xe9'\n")  # fine
    (root / "pkg" / "blob.py").write_bytes(os.urandom(64) + b"\x00")
    (root / "pkg" / "broken.py").write_text("def oops(:\n")
    (root / "pkg" / "empty.py").write_text("")
    found = {(f.path, f.code): f.message for f in analyze(root).findings}
    assert set(found) == {("pkg/app.py", "AG101"), ("pkg/latin.py", "AG000"), ("pkg/blob.py", "AG000"),
                          ("pkg/broken.py", "AG000")}
    assert "cannot decode" in found[("pkg/latin.py", "AG000")]
    assert "NUL" in found[("pkg/blob.py", "AG000")]
    assert found[("pkg/broken.py", "AG000")].startswith("syntax error")


def test_checking_a_folder_reads_only_what_it_imports_until_callers_are_asked_for(tmp_path: Path) -> None:
    from asyncguard.rules.callsites import find_call_sites

    root = _project(tmp_path)
    (root / "tests").mkdir()
    (root / "tests" / "test_app.py").write_text("from pkg.db import connect\n\ndef test():\n    connect()\n")
    (root / "tools.py").write_text("import os\n")
    result = analyze(root, files=sorted((root / "pkg").glob("*.py")))
    assert sorted(result.index.modules) == ["pkg", "pkg.app", "pkg.db"]
    sites = find_call_sites(result.index, {"pkg.db.connect"})["pkg.db.connect"]
    assert [(s.path, s.line) for s in sites] == [("pkg/app.py", 4), ("tests/test_app.py", 4)]


def test_a_subclass_added_elsewhere_invalidates_the_base_classes_cached_findings(tmp_path: Path) -> None:
    root = tmp_path
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "base.py").write_text("class Base:\n    async def run(self):\n        pass\n")
    (root / "pkg" / "impl.py").write_text(
        "from pkg.base import Base\n\nclass Impl(Base):\n    def run(self):\n        return None\n")
    cache = tmp_path / ".cache"
    # one override out of step: reported there
    assert [(f.code, f.path, f.line) for f in analyze(root, cache_dir=cache).findings] == [
        ("AG108", "pkg/impl.py", 4)]
    (root / "pkg" / "other.py").write_text(  # a new module: base.py never consulted it before
        "from pkg.base import Base\n\nclass Other(Base):\n    def run(self):\n        return None\n")
    found = analyze(root, cache_dir=cache)
    assert found.reused == 1  # __init__.py: no class, no dependency on the class table
    # now every override disagrees with the base: the base is the odd one, reported once there
    assert sorted((f.code, f.path, f.line) for f in found.findings) == [("AG108", "pkg/base.py", 2)]


def _caller_typed_project(root: Path) -> Path:
    """`shutdown(thing)` calls `thing.close()`; its one caller passes an `A`, whose close is async."""
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "work.py").write_text("def shutdown(thing):\n    thing.close()\n")
    (root / "pkg" / "a.py").write_text(
        "from pkg.work import shutdown\n\nclass A:\n    async def close(self):\n        pass\n\n"
        "    def stop(self):\n        shutdown(self)\n")
    return root


def test_a_caller_changed_elsewhere_invalidates_findings_that_typed_a_parameter_from_callers(tmp_path: Path) -> None:
    root = _caller_typed_project(tmp_path)
    cache = tmp_path / ".cache"
    assert [(f.code, f.path) for f in analyze(root, cache_dir=cache).findings] == [("AG101", "pkg/work.py")]
    (root / "pkg" / "b.py").write_text(  # a second caller passing a class whose close() is sync
        "from pkg.work import shutdown\n\nclass B:\n    def close(self):\n        pass\n\n"
        "    def stop(self):\n        shutdown(self)\n")
    assert analyze(root, cache_dir=cache).findings == []


def test_a_memoised_attribute_type_still_records_its_modules_for_every_file(tmp_path: Path) -> None:
    """`Svc.store` is worked out once for a.py; b.py reuses it and must depend on factory.py too."""
    root = tmp_path
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "factory.py").write_text(
        "class Store:\n    async def save(self):\n        pass\n\ndef make_store() -> Store:\n    return Store()\n")
    (root / "pkg" / "svc.py").write_text(
        "from pkg.factory import make_store\n\nclass Svc:\n    def __init__(self):\n        self.store = make_store()\n")
    for name in ("a", "b"):
        (root / "pkg" / f"{name}.py").write_text(
            "from pkg.svc import Svc\n\nasync def run(s: Svc):\n    s.store.save()\n")
    cache = tmp_path / ".cache"
    assert sorted(f.path for f in analyze(root, cache_dir=cache).findings) == ["pkg/a.py", "pkg/b.py"]
    (root / "pkg" / "factory.py").write_text(
        "class Store:\n    def save(self):\n        pass\n\ndef make_store() -> Store:\n    return Store()\n")
    assert analyze(root, cache_dir=cache).findings == analyze(root).findings == []


def test_an_unrelated_call_added_elsewhere_keeps_caller_typed_findings_cached(tmp_path: Path) -> None:
    """A finding that typed `thing` from the callers of `shutdown` depends on those call sites
    only, not on every call of the project: one edit re-checks the files that asked."""
    root = _caller_typed_project(tmp_path)
    (root / "pkg" / "other.py").write_text("def f(x):\n    return x\n")
    cache = tmp_path / ".cache"
    assert [f.path for f in analyze(root, cache_dir=cache).findings] == ["pkg/work.py"]
    (root / "pkg" / "other.py").write_text("def f(x):\n    return print(x, sorted(x))\n")
    again = analyze(root, cache_dir=cache)
    assert [f.path for f in again.findings] == ["pkg/work.py"]
    assert again.reused == 3  # __init__, work and a: only other.py was checked again
