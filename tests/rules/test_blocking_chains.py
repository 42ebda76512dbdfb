"""AG107's chains through sync helpers (rules/blocking.py): the same whatever file is checked first,
and a file reusing a chain worked out for another depends on the modules that chain went through."""

from __future__ import annotations

from pathlib import Path

from asyncguard.rules.engine import analyze
from asyncguard.rules.model import Finding


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, source in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)


def _ag107(findings: list[Finding]) -> list[tuple[str, int, tuple[str, ...]]]:
    return [(f.path, f.line, f.chain) for f in findings if f.code == "AG107"]


def _both_orders(root: Path, first: str, second: str) -> tuple[list[Finding], list[Finding]]:
    a, b = root / first, root / second
    return (analyze(root, files=[a, b], jobs=1).findings, analyze(root, files=[b, a], jobs=1).findings)


def test_mutually_recursive_helpers_give_each_caller_a_simple_chain_in_either_order(tmp_path: Path) -> None:
    _write(tmp_path, {
        "p/__init__.py": "",
        "p/h.py": "import time\n\n\ndef f():\n    g()\n\n\ndef g():\n    f()\n    time.sleep(1)\n",
        "p/a.py": "from p.h import f\n\n\nasync def a():\n    f()\n",
        "p/b.py": "from p.h import g\n\n\nasync def b():\n    g()\n",
    })
    one, other = _both_orders(tmp_path, "p/a.py", "p/b.py")
    assert _ag107(one) == _ag107(other) == [
        ("p/a.py", 5, ("p.h.f", "p.h.g", "time.sleep")),
        ("p/b.py", 5, ("p.h.g", "time.sleep")),  # never g -> f -> g -> time.sleep
    ]


def test_a_self_recursive_helper_that_also_blocks_is_reported(tmp_path: Path) -> None:
    _write(tmp_path, {
        "p/__init__.py": "",
        "p/h.py": "import time\n\n\ndef walk(n):\n    if n:\n        walk(n - 1)\n    time.sleep(1)\n",
        "p/a.py": "from p.h import walk\n\n\nasync def a():\n    walk(3)\n",
    })
    assert _ag107(analyze(tmp_path, jobs=1).findings) == [("p/a.py", 5, ("p.h.walk", "time.sleep"))]


def test_recursive_helpers_that_never_block_are_not_reported(tmp_path: Path) -> None:
    _write(tmp_path, {
        "p/__init__.py": "",
        "p/h.py": "def f(n):\n    return g(n)\n\n\ndef g(n):\n    return f(n - 1) if n else 0\n",
        "p/a.py": "from p.h import f, g\n\n\nasync def a():\n    f(1)\n    g(1)\n",
    })
    assert _ag107(analyze(tmp_path, jobs=1).findings) == []


def test_a_helper_first_met_deep_in_a_chain_is_still_reported_when_called_directly(tmp_path: Path) -> None:
    """A chain is followed 7 functions deep: `h` met 7th in a.py's chain is cut off there, which must
    not hide it from b.py, which calls it directly (and b.py checked first must not lengthen a.py's)."""
    steps = "".join(f"def d{i}():\n    d{i + 1}()\n\n\n" for i in range(5)) + "def d5():\n    h()\n"
    _write(tmp_path, {
        "p/__init__.py": "",
        "p/h.py": "import time\n\n\ndef h():\n    k()\n\n\ndef k():\n    time.sleep(1)\n",
        "p/d.py": "from p.h import h\n\n\n" + steps,
        "p/a.py": "from p.d import d0\n\n\nasync def a():\n    d0()\n",
        "p/b.py": "from p.h import h\n\n\nasync def b():\n    h()\n",
    })
    one, other = _both_orders(tmp_path, "p/a.py", "p/b.py")
    assert _ag107(one) == _ag107(other) == [("p/b.py", 5, ("p.h.h", "p.h.k", "time.sleep"))]


def test_a_chain_within_the_depth_is_reported_through_every_helper(tmp_path: Path) -> None:
    steps = "".join(f"def d{i}():\n    d{i + 1}()\n\n\n" for i in range(6)) + "def d6():\n    time.sleep(1)\n"
    _write(tmp_path, {
        "p/__init__.py": "",
        "p/d.py": "import time\n\n\n" + steps,
        "p/a.py": "from p.d import d0, d3\n\n\nasync def a():\n    d3()\n    d0()\n",
    })
    assert _ag107(analyze(tmp_path, jobs=1).findings) == [
        ("p/a.py", 5, ("p.d.d3", "p.d.d4", "p.d.d5", "p.d.d6", "time.sleep")),
        ("p/a.py", 6, (*(f"p.d.d{i}" for i in range(7)), "time.sleep")),
    ]


CHAIN = {
    "p/__init__.py": "",
    "p/helper.py": "from p import h2\n\n\ndef helper():\n    h2.inner()\n",
    "p/h2.py": "import time\n\n\ndef inner():\n    time.sleep(1)\n",
    "p/a.py": "from p.helper import helper\n\n\nasync def a():\n    helper()\n",
    "p/b.py": "from p.helper import helper\n\n\nasync def b():\n    helper()\n",
}


def test_editing_a_module_deep_in_a_reused_chain_invalidates_every_file_that_used_it(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    _write(root, CHAIN)
    cache = tmp_path / "cache"
    chain = ("p.helper.helper", "p.h2.inner", "time.sleep")
    assert _ag107(analyze(root, cache_dir=cache, jobs=1).findings) == [("p/a.py", 5, chain), ("p/b.py", 5, chain)]
    (root / "p" / "h2.py").write_text("def inner():\n    return None\n")
    warm = analyze(root, cache_dir=cache, jobs=1)
    assert analyze(root, jobs=1).findings == []
    assert warm.findings == []


def test_a_module_that_makes_a_reused_helper_block_invalidates_every_caller(tmp_path: Path) -> None:
    """A helper found not to block is memoised too: a file reusing that answer depends on what it consulted."""
    root = tmp_path / "proj"
    _write(root, {**CHAIN, "p/h2.py": "def inner():\n    return None\n"})
    cache = tmp_path / "cache"
    assert analyze(root, cache_dir=cache, jobs=1).findings == []
    (root / "p" / "h2.py").write_text(CHAIN["p/h2.py"])
    chain = ("p.helper.helper", "p.h2.inner", "time.sleep")
    assert _ag107(analyze(root, jobs=1).findings) == [("p/a.py", 5, chain), ("p/b.py", 5, chain)]
    assert _ag107(analyze(root, cache_dir=cache, jobs=1).findings) == [("p/a.py", 5, chain), ("p/b.py", 5, chain)]


def test_a_reused_chain_through_a_method_keeps_its_modules(tmp_path: Path) -> None:
    """The chain's modules are met resolving `self.store.save()` through an attribute's class."""
    root = tmp_path / "proj"
    _write(root, {
        "p/__init__.py": "",
        "p/store.py": "import time\n\n\nclass Store:\n    def save(self):\n        time.sleep(1)\n",
        "p/svc.py": "from p.store import Store\n\n\nclass Svc:\n    def __init__(self):\n"
                    "        self.store = Store()\n\n    def flush(self):\n        self.store.save()\n",
        "p/a.py": "from p.svc import Svc\n\n\nasync def a(s: Svc):\n    s.flush()\n",
        "p/b.py": "from p.svc import Svc\n\n\nasync def b(s: Svc):\n    s.flush()\n",
    })
    cache = tmp_path / "cache"
    chain = ("p.svc.Svc.flush", "p.store.Store.save", "time.sleep")
    assert _ag107(analyze(root, cache_dir=cache, jobs=1).findings) == [("p/a.py", 5, chain), ("p/b.py", 5, chain)]
    (root / "p" / "store.py").write_text("class Store:\n    def save(self):\n        return None\n")
    assert analyze(root, jobs=1).findings == []
    assert analyze(root, cache_dir=cache, jobs=1).findings == []
