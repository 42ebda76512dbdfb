"""Who breaks: call sites across modules (plain, re-exported, `self.` and annotated attribute calls),
marked updated or still old-style; a flip with an old-style call site is an error at that site."""

from __future__ import annotations

from collections.abc import Callable

from ct_helpers import Repo, git

from asyncguard.checks.diffparse import parse_unified_diff
from asyncguard.contracts.api import compare_trees, diff_findings, render_migration_guide
from asyncguard.contracts.model import ContractDiff
from asyncguard.contracts.sources import materialize
from asyncguard.rules.model import Severity

BASE = {
    "pkg/__init__.py": "from pkg.store import Store, load\n",
    "pkg/store.py": (
        "def load(key):\n    return key\n\n"
        "class Store:\n"
        "    def get(self, key, default=None):\n        return default\n"
        "    def refresh(self):\n        return self.get('k')\n"
    ),
    "pkg/app.py": (
        "from pkg import load\n"
        "from pkg.store import Store\n\n"
        "async def handler(store: Store):\n"
        "    a = load('a')\n"
        "    b = store.get('b')\n"
        "    return a, b\n\n"
        "def cli():\n"
        "    return load('c')\n"
        "async def later():\n"
        "    value = load('d')\n"
        "    return value\n"
        "async def relay():\n"
        "    return load('e')\n"
    ),
}
HEAD = {
    "pkg/store.py": (
        "async def load(key):\n    return key\n\n"
        "class Store:\n"
        "    async def get(self, key, default=None):\n        return default\n"
        "    async def refresh(self):\n        return await self.get('k')\n"
    ),
    "pkg/app.py": (
        "from pkg import load\n"
        "from pkg.store import Store\n\n"
        "async def handler(store: Store):\n"
        "    a = await load('a')\n"
        "    b = store.get('b')\n"
        "    return a, b\n\n"
        "def cli():\n"
        "    return load('c')\n"
        "async def later():\n"
        "    value = load('d')\n"
        "    return value\n"
        "async def relay():\n"
        "    return load('e')\n"
    ),
}


def pr_diff(repo: Repo) -> ContractDiff:
    text = git(repo.path, "diff", "-U0", "base", "head")
    changed = {p: fd.added_lines for p, fd in parse_unified_diff(text).items()}
    with materialize("base", repo.path) as base, materialize("head", repo.path) as head:
        assert base.directory is not None and head.directory is not None
        return compare_trees(base.directory, head.directory, changed_lines=changed)


def test_flip_call_sites_are_marked_updated_or_old_style(make_repo: Callable[..., Repo]) -> None:
    diff = pr_diff(make_repo(BASE, HEAD))
    by_symbol = {c.symbol: c for c in diff.changes}
    assert set(by_symbol) == {"pkg.store.load", "pkg.store.Store.get", "pkg.store.Store.refresh"}
    load = {(s.path, s.line): s.status for s in by_symbol["pkg.store.load"].call_sites}
    assert load == {
        ("pkg/app.py", 5): "updated",  # awaited in this change
        ("pkg/app.py", 10): "updated",  # returned from a plain def: the caller gets the coroutine to await
        ("pkg/app.py", 12): "old-style",  # assigned, never awaited: the incident
        ("pkg/app.py", 15): "old-style",  # returned from async def: `await relay()` now yields a coroutine
    }
    get = {(s.path, s.line): s.status for s in by_symbol["pkg.store.Store.get"].call_sites}
    assert get == {("pkg/app.py", 6): "old-style", ("pkg/store.py", 8): "updated"}  # annotated param + self.


def test_old_style_flip_sites_become_errors_at_the_call_site(make_repo: Callable[..., Repo]) -> None:
    findings = diff_findings(pr_diff(make_repo(BASE, HEAD)))
    errors = sorted(
        (f.path, f.line, f.code) for f in findings if f.severity is Severity.ERROR and f.path == "pkg/app.py"
    )
    assert errors == [("pkg/app.py", 6, "AG202"), ("pkg/app.py", 12, "AG202"), ("pkg/app.py", 15, "AG202")]
    refresh = next(f for f in findings if "Store.refresh" in f.message)
    assert refresh.severity is Severity.WARNING  # a flip whose callers are all fine is not an error


def test_async_to_sync_flip_flags_awaited_calls(make_repo: Callable[..., Repo]) -> None:
    base = {
        "pkg/__init__.py": "",
        "pkg/svc.py": "async def ping():\n    return 1\n",
        "pkg/use.py": "from pkg.svc import ping\n\nasync def a():\n    return await ping()\n\nasync def b():\n    return await ping()\n",
    }
    head = {
        "pkg/svc.py": "def ping():\n    return 1\n",
        "pkg/use.py": "from pkg.svc import ping\n\nasync def a():\n    return ping()\n\nasync def b():\n    return await ping()\n",
    }
    diff = pr_diff(make_repo(base, head))
    (change,) = diff.changes
    assert change.code == "AG203"
    assert {(s.line, s.status) for s in change.call_sites} == {(4, "updated"), (7, "old-style")}


def test_parameter_change_sites_judged_by_their_arguments(make_repo: Callable[..., Repo]) -> None:
    base = {
        "pkg/__init__.py": "",
        "pkg/api.py": "def send(data, retries=3):\n    return data\n",
        "pkg/use.py": "from pkg.api import send\n\ndef a():\n    send(1)\n\ndef b():\n    send(1, retries=5)\n\ndef c():\n    send(1, 2)\n",
    }
    head = {"pkg/api.py": "def send(data):\n    return data\n"}
    diff = pr_diff(make_repo(base, head))
    (change,) = diff.changes
    assert change.code == "AG206"
    # send(1) never used `retries`: not affected, so not listed
    assert {(s.line, s.status) for s in change.call_sites} == {(7, "old-style"), (10, "old-style")}


def test_migration_guide_lists_sites_left_to_update(make_repo: Callable[..., Repo]) -> None:
    guide = render_migration_guide(pr_diff(make_repo(BASE, HEAD)))
    assert guide.startswith("# Migration guide")
    assert "result = await load(...)" in guide
    assert "- [ ] `pkg/app.py:12` in `pkg.app.later`" in guide
    assert "- [x] `pkg/app.py:5` in `pkg.app.handler`" in guide
    assert "3 breaking changes" in guide


def test_generator_and_context_manager_flips_judge_for_and_with(make_repo: Callable[..., Repo]) -> None:
    base = {
        "pkg/__init__.py": "",
        "pkg/db.py": (
            "from contextlib import contextmanager\n\n"
            "def rows():\n    yield 1\n\n"
            "@contextmanager\ndef session():\n    yield 1\n"
        ),
        "pkg/use.py": (
            "from pkg.db import rows, session\n\n"
            "async def a():\n    for r in rows():\n        pass\n\n"
            "async def b():\n    with session() as s:\n        return s\n"
        ),
    }
    head = {
        "pkg/db.py": (
            "from contextlib import asynccontextmanager\n\n"
            "async def rows():\n    yield 1\n\n"
            "@asynccontextmanager\nasync def session():\n    yield 1\n"
        ),
        "pkg/use.py": (
            "from pkg.db import rows, session\n\n"
            "async def a():\n    async for r in rows():\n        pass\n\n"
            "async def b():\n    with session() as s:\n        return s\n"
        ),
    }
    diff = pr_diff(make_repo(base, head))
    by_symbol = {c.symbol: c for c in diff.changes}
    assert by_symbol["pkg.db.session"].message.endswith("enter it with `async with`")
    assert [(s.line, s.status) for s in by_symbol["pkg.db.rows"].call_sites] == [(4, "updated")]
    assert [(s.line, s.status) for s in by_symbol["pkg.db.session"].call_sites] == [(8, "old-style")]
    errors = [f for f in diff_findings(diff) if f.severity is Severity.ERROR and f.path == "pkg/use.py"]
    assert [(f.line, f.message.rpartition("; ")[2]) for f in errors] == [(8, "enter it with `async with`")]


def test_removed_and_renamed_names_still_imported_break_there(make_repo: Callable[..., Repo]) -> None:
    base = {
        "pkg/__init__.py": "",
        "pkg/api.py": "def old_helper(a, b):\n    pass\n\ndef fetch_all(url, *, limit=10):\n    pass\n",
        "pkg/use.py": "from pkg.api import fetch_all\n\n\ndef run():\n    fetch_all('u')\n",
        "tests/test_use.py": "from pkg.api import old_helper\n\n\ndef test_x():\n    old_helper(1, 2)\n",
    }
    head = {
        "pkg/api.py": "def fetch_many(url, *, limit=10):\n    pass\n",
        "pkg/use.py": "from pkg.api import fetch_many\n\n\ndef run():\n    fetch_many('u')\n",
    }
    diff = pr_diff(make_repo(base, head))
    by_code = {c.code: c for c in diff.changes}
    assert by_code["AG220"].new_symbol == "pkg.api.fetch_many" and by_code["AG220"].call_sites == []
    assert [(s.path, s.line, s.status) for s in by_code["AG201"].call_sites] == [
        ("tests/test_use.py", 1, "old-style")
    ]
    errors = [f for f in diff_findings(diff) if f.severity is Severity.ERROR]
    assert {(f.path, f.line) for f in errors} == {("tests/test_use.py", 1), ("pkg/api.py", 1)}
    assert any("still imports pkg.api.old_helper" in f.message for f in errors)


def test_pr_run_survives_a_file_that_does_not_parse(make_repo: Callable[..., Repo]) -> None:
    base = {"pkg/__init__.py": "", "pkg/a.py": "def f():\n    pass\n", "pkg/b.py": "def g():\n    pass\n"}
    head = {"pkg/a.py": "def f(:\n", "pkg/b.py": "async def g():\n    pass\n"}
    diff = pr_diff(make_repo(base, head))
    # the run goes on; what pkg.a exported is unknown at head, so it counts as broken (issue 15: a
    # PR must not hide its break behind a syntax error or undecodable bytes)
    assert [(c.code, c.symbol, c.breaking) for c in diff.changes] == [("AG201", "pkg.a", True),
                                                                       ("AG202", "pkg.b.g", True)]
    assert "pkg.a cannot be read at head: pkg/a.py:1: cannot parse" in diff.changes[0].message
    assert len(diff.notes) == 1 and diff.notes[0].startswith("pkg.a cannot be read at head (pkg/a.py:1: cannot parse")


def test_a_module_the_base_cannot_read_is_not_compared(make_repo: Callable[..., Repo]) -> None:
    base = {"pkg/__init__.py": "", "pkg/a.py": "def f(:\n", "pkg/b.py": "def g():\n    pass\n"}
    head = {"pkg/a.py": "def f():\n    pass\n", "pkg/b.py": "async def g():\n    pass\n"}
    diff = pr_diff(make_repo(base, head))
    assert [(c.code, c.symbol) for c in diff.changes] == [("AG202", "pkg.b.g")]  # pkg.a is not "added"
    assert len(diff.notes) == 1 and diff.notes[0].startswith("interface of pkg.a not compared (base: pkg/a.py:1")


def test_default_and_annotation_changes_affect_only_the_calls_they_touch(
    make_repo: Callable[..., Repo],
) -> None:
    base = {
        "pkg/__init__.py": "",
        "pkg/api.py": "def send(data, retries=3, mode: int = 0):\n    return data\n",
        "pkg/use.py": "from pkg.api import send\n\ndef a():\n    send(1)\n\ndef b():\n    send(1, retries=5, mode=2)\n",
    }
    head = {"pkg/api.py": "def send(data, retries=1, mode: str = '0'):\n    return data\n"}
    diff = pr_diff(make_repo(base, head))
    sites = {c.code: [(s.line, s.status) for s in c.call_sites] for c in diff.changes}
    assert sites["AG214"] == [(4, "old-style")]  # only the call relying on the old default of `retries`
    assert sites["AG216"] == [(7, "old-style")]  # only the call passing `mode`


def test_a_narrowed_annotation_lists_only_the_calls_whose_literal_no_longer_fits(
    make_repo: Callable[..., Repo],
) -> None:
    base = {
        "pkg/__init__.py": "",
        "pkg/api.py": "def put(key: int | str | None):\n    return key\n",
        "pkg/use.py": "from pkg.api import put\n\nput(1)\nput('a')\nput(key=None)\nput(True)\nput(compute())\n",
    }
    head = {"pkg/api.py": "def put(key: int):\n    return key\n"}
    diff = pr_diff(make_repo(base, head))
    (narrowed,) = [c for c in diff.changes if c.code == "AG216"]
    # 1 and True still fit `int`; 'a' and None do not; a computed value cannot be told, so it is listed
    assert [(s.line, s.status) for s in narrowed.call_sites] == [(4, "old-style"), (5, "old-style"), (7, "old-style")]
