"""Classification of interface changes: every code the comparison emits, and the cases it must not flag."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ct_helpers import write_tree

from asyncguard.contracts.api import compare_trees
from asyncguard.contracts.compare import CompareConfig, compare
from asyncguard.contracts.extract import extract
from asyncguard.contracts.model import AllowEntry, ContractDiff


def diff_of(
    tmp_path: Path, base: Mapping[str, str], head: Mapping[str, str], **config: object
) -> ContractDiff:
    write_tree(tmp_path / "base", base)
    write_tree(tmp_path / "head", head)
    if config:
        return compare(extract(tmp_path / "base"), extract(tmp_path / "head"), CompareConfig(**config))  # type: ignore[arg-type]
    return compare_trees(tmp_path / "base", tmp_path / "head", analyze_head=False)


def codes(diff: ContractDiff) -> list[tuple[str, str]]:
    return sorted((c.code, c.symbol) for c in diff.changes)


def one_module(text: str) -> dict[str, str]:
    return {"pkg/__init__.py": "", "pkg/mod.py": text}


# -- the headline: async flips, with and without annotations ------------------------------------


def test_sync_to_async_flip_unannotated_is_breaking(tmp_path: Path) -> None:
    diff = diff_of(
        tmp_path,
        one_module("def fetch(url):\n    return url\n"),
        one_module("async def fetch(url):\n    return url\n"),
    )
    assert codes(diff) == [("AG202", "pkg.mod.fetch")]
    assert diff.changes[0].breaking and diff.bump == "major"
    assert diff.changes[0].before == "def fetch(url)" and diff.changes[0].after == "async def fetch(url)"


def test_async_to_sync_flip_of_annotated_method(tmp_path: Path) -> None:
    base = one_module("class C:\n    async def get(self, k: str) -> int:\n        return 1\n")
    head = one_module("class C:\n    def get(self, k: str) -> int:\n        return 1\n")
    assert codes(diff_of(tmp_path, base, head)) == [("AG203", "pkg.mod.C.get")]


def test_generator_flips(tmp_path: Path) -> None:
    base = one_module("def rows():\n    yield 1\n\nasync def events():\n    yield 1\n")
    head = one_module("async def rows():\n    yield 1\n\ndef events():\n    yield 1\n")
    assert codes(diff_of(tmp_path, base, head)) == [("AG204", "pkg.mod.rows"), ("AG205", "pkg.mod.events")]


def test_generator_based_coroutine_to_async_def_is_not_a_flip(tmp_path: Path) -> None:
    """aiohttp 2.3 -> 3.0: `@asyncio.coroutine` + `yield from` became `async def`; callers awaited both."""
    base = one_module(
        "import asyncio\n\n@asyncio.coroutine\ndef read(self):\n    yield from asyncio.sleep(0)\n\ndef send(x):\n    pass\n"
    )
    head = one_module(
        "import asyncio\n\nasync def read(self):\n    await asyncio.sleep(0)\n\nasync def send(x):\n    pass\n"
    )
    assert codes(diff_of(tmp_path, base, head)) == [("AG202", "pkg.mod.send")]


def test_returning_an_awaitable_wrapper_counts_as_async(tmp_path: Path) -> None:
    """aiohttp 3.0 `TestClient.ws_connect`: `async def` became `def` returning an awaitable context manager."""
    wrapper = (
        "class _Ctx:\n    def __init__(self, coro):\n        self._coro = coro\n"
        "    def __await__(self):\n        return self._coro.__await__()\n"
        "class _OnlyAsyncWith:\n    async def __aenter__(self):\n        return self\n"
    )
    base = one_module(
        wrapper
        + "async def connect(url):\n    pass\nasync def request(url):\n    pass\nasync def serve(p):\n    pass\n"
    )
    head = one_module(
        wrapper
        + "async def _connect(url):\n    pass\n"
        + "def connect(url):\n    return _Ctx(_connect(url))\n"
        + "def request(url):\n    return _OnlyAsyncWith()\n"
        + "def serve(p) -> _Ctx:\n    return make(p)\n"  # websockets 13 `unix_serve(...) -> Serve`
    )
    # connect is still awaitable; request is not (only `async with`): that one is a real flip
    assert codes(diff_of(tmp_path, base, head)) == [("AG203", "pkg.mod.request")]


def test_async_function_unchanged_is_not_reported(tmp_path: Path) -> None:
    text = "async def a(x, *, y=1):\n    return x\n"
    assert diff_of(tmp_path, one_module(text), one_module(text + "\n# a comment\n")).changes == []


# -- parameters ---------------------------------------------------------------------------------


def test_parameter_changes_each_have_their_code(tmp_path: Path) -> None:
    base = one_module(
        "def removed(a, b):\n    pass\n"
        "def renamed(a, b):\n    pass\n"
        "def reordered(a, b):\n    pass\n"
        "def narrowed(a, b):\n    pass\n"
        "def required(a):\n    pass\n"
        "def star(a, *args):\n    pass\n"
        "def kwstar(a, **kw):\n    pass\n"
        "def lost_default(a=1):\n    pass\n"
        "def changed_default(a=1):\n    pass\n"
    )
    head = one_module(
        "def removed(a):\n    pass\n"
        "def renamed(a, c):\n    pass\n"
        "def reordered(b, a):\n    pass\n"
        "def narrowed(a, *, b):\n    pass\n"
        "def required(a, b):\n    pass\n"
        "def star(a):\n    pass\n"
        "def kwstar(a):\n    pass\n"
        "def lost_default(a):\n    pass\n"
        "def changed_default(a=2):\n    pass\n"
    )
    diff = diff_of(tmp_path, base, head)
    got = {(c.code, c.symbol.rpartition(".")[2]) for c in diff.changes}
    assert got == {
        ("AG206", "removed"),
        ("AG207", "renamed"),
        ("AG208", "reordered"),
        ("AG209", "narrowed"),
        ("AG210", "required"),
        ("AG211", "star"),
        ("AG212", "kwstar"),
        ("AG213", "lost_default"),
        ("AG214", "changed_default"),
    }
    assert all(c.breaking for c in diff.changes)


def test_compatible_parameter_changes(tmp_path: Path) -> None:
    base = one_module("def opt(a):\n    pass\ndef widen(a, /, *, b):\n    pass\ndef default(a):\n    pass\n")
    head = one_module(
        "def opt(a, b=None, *args, **kw):\n    pass\n"
        "def widen(a, b):\n    pass\n"
        "def default(a=3):\n    pass\n"
    )
    diff = diff_of(tmp_path, base, head)
    got = sorted({(c.code, c.symbol.rpartition(".")[2]) for c in diff.changes})
    assert got == [("AG231", "opt"), ("AG232", "widen"), ("AG233", "default")]
    assert not diff.breaking and diff.bump == "minor"


def test_self_is_not_a_parameter_and_staticmethod_flip_is_reported(tmp_path: Path) -> None:
    base = one_module("class C:\n    def m(self, x):\n        pass\n    def p(self):\n        return 1\n")
    head = one_module(
        "class C:\n    @staticmethod\n    def m(x):\n        pass\n    @property\n    def p(self):\n        return 1\n"
    )
    diff = diff_of(tmp_path, base, head)
    assert codes(diff) == [("AG217", "pkg.mod.C.m"), ("AG217", "pkg.mod.C.p")]
    assert "became a staticmethod" in diff.changes[0].message + diff.changes[1].message


# -- defaults and annotations by meaning --------------------------------------------------------


def test_defaults_compared_by_meaning(tmp_path: Path) -> None:
    base = {
        "pkg/__init__.py": "",
        "pkg/consts.py": "ZERO = 0\n",
        "pkg/mod.py": "def f(a=0, b=0x10, c=None):\n    pass\n",
    }
    head = {
        "pkg/__init__.py": "",
        "pkg/consts.py": "ZERO = 0\n",
        "pkg/mod.py": "from pkg.consts import ZERO\n\ndef f(a=ZERO, b=16, c=None):\n    pass\n",
    }
    assert diff_of(tmp_path, base, head).changes == []


def test_default_changed_to_a_different_constant_value(tmp_path: Path) -> None:
    base = {"pkg/__init__.py": "ONE = 1\n", "pkg/mod.py": "def f(a=0):\n    pass\n"}
    head = {"pkg/__init__.py": "ONE = 1\n", "pkg/mod.py": "from pkg import ONE\n\ndef f(a=ONE):\n    pass\n"}
    assert codes(diff_of(tmp_path, base, head)) == [("AG214", "pkg.mod.f")]


def test_annotation_spelling_widening_and_narrowing(tmp_path: Path) -> None:
    base = one_module(
        "from typing import MutableMapping, Optional, List\n"
        "def same(a: Optional[int]) -> List[int]:\n    pass\n"
        "def wide(a: MutableMapping[str, int], b: int) -> None:\n    pass\n"
        "def narrow(a: int | None) -> None:\n    pass\n"
    )
    head = one_module(
        "from collections.abc import Mapping\n"
        "def same(a: int | None) -> list[int]:\n    pass\n"
        "def wide(a: Mapping[str, int], b: int | str) -> None:\n    pass\n"
        "def narrow(a: int) -> None:\n    pass\n"
    )
    diff = diff_of(tmp_path, base, head)
    got = sorted((c.code, c.symbol.rpartition(".")[2], c.breaking) for c in diff.changes)
    assert got == [("AG216", "narrow", True), ("AG234", "wide", False), ("AG234", "wide", False)]


def test_annotation_changes_can_be_configured_non_breaking(tmp_path: Path) -> None:
    base = one_module("def f(a: int) -> int:\n    pass\n")
    head = one_module("def f(a: str) -> str:\n    pass\n")
    strict = diff_of(tmp_path / "1", base, head)
    lenient = diff_of(tmp_path / "2", base, head, annotations_breaking=False)
    assert sorted(c.code for c in strict.breaking) == ["AG215", "AG216"]
    assert lenient.breaking == [] and sorted(c.code for c in lenient.changes) == ["AG215", "AG216"]


# -- removals, renames, moves, deprecations ------------------------------------------------------


def test_removed_class_is_one_change_not_one_per_method(tmp_path: Path) -> None:
    base = one_module(
        "class Gone:\n    def a(self):\n        pass\n    def b(self):\n        pass\n\ndef keep():\n    pass\n"
    )
    head = one_module("def keep():\n    pass\n")
    assert codes(diff_of(tmp_path, base, head)) == [("AG201", "pkg.mod.Gone")]


def test_rename_is_one_change(tmp_path: Path) -> None:
    base = one_module("def fetch_all(url, *, limit=10):\n    pass\n")
    head = one_module("def fetch_many(url, *, limit=10):\n    pass\n")
    diff = diff_of(tmp_path, base, head)
    assert codes(diff) == [("AG220", "pkg.mod.fetch_all")]
    assert diff.changes[0].new_symbol == "pkg.mod.fetch_many" and diff.changes[0].breaking


def test_same_shape_alone_is_not_a_rename(tmp_path: Path) -> None:
    """aiohttp 3.0: `StreamWriter.release(self)` went, `enable_chunking(self)` came: two changes, not a rename."""
    base = one_module("class W:\n    def release(self):\n        pass\n")
    head = one_module("class W:\n    def enable_chunking(self):\n        pass\n")
    assert codes(diff_of(tmp_path, base, head)) == [
        ("AG201", "pkg.mod.W.release"),
        ("AG230", "pkg.mod.W.enable_chunking"),
    ]


def test_object_base_is_implicit(tmp_path: Path) -> None:
    base = one_module("class A(object):\n    pass\n")
    head = one_module("class A:\n    pass\n")
    assert diff_of(tmp_path, base, head).changes == []


def test_moved_and_reexported_is_not_breaking(tmp_path: Path) -> None:
    base = {"pkg/__init__.py": "", "pkg/old.py": "def helper(x):\n    return x\n"}
    head = {
        "pkg/__init__.py": "",
        "pkg/new.py": "def helper(x):\n    return x\n",
        "pkg/old.py": "from pkg.new import helper\n",  # a shim module: only imports
    }
    diff = diff_of(tmp_path, base, head)
    assert diff.breaking == []
    assert ("AG201", "pkg.old.helper") not in codes(diff)


def test_module_renamed_with_package_reexport_keeps_public_names(tmp_path: Path) -> None:
    base = {
        "pkg/__init__.py": "from pkg.client import Client\n",
        "pkg/client.py": "class Client:\n    def get(self):\n        pass\n",
    }
    head = {
        "pkg/__init__.py": "from pkg._impl import Client\n",
        "pkg/_impl.py": "class Client:\n    def get(self):\n        pass\n",
    }
    diff = diff_of(tmp_path, base, head)
    # the module pkg.client is gone (that is breaking for `import pkg.client`), but pkg.Client is intact
    assert codes(diff) == [("AG201", "pkg.client")]


def test_deprecated_alias_via_module_getattr_is_not_removed(tmp_path: Path) -> None:
    base = {
        "pkg/__init__.py": "from pkg.core import OldName, Other\n",
        "pkg/core.py": "class OldName:\n    pass\n\nclass Other:\n    pass\n",
    }
    head = {
        "pkg/__init__.py": (
            "import warnings\nfrom pkg.core import Other\n\n"
            "def __getattr__(name):\n"
            "    if name == 'OldName':\n"
            "        warnings.warn('use Other', DeprecationWarning, stacklevel=2)\n"
            "        return Other\n"
            "    raise AttributeError(name)\n"
        ),
        "pkg/core.py": "class Other:\n    pass\n\ndef __getattr__(name):\n    import warnings\n    warnings.warn('gone', DeprecationWarning)\n    if name in {'OldName'}:\n        return Other\n    raise AttributeError(name)\n",
    }
    diff = diff_of(tmp_path, base, head)
    assert diff.breaking == []
    assert codes(diff) == [("AG235", "pkg.core.OldName")]  # one definition, reported once
    assert diff.changes[0].aliases == ["pkg.OldName"]


def test_lazy_import_deprecated_aliases_are_deprecations(tmp_path: Path) -> None:
    """The websockets 14 pattern: `lazy_import(globals(), aliases=..., deprecated_aliases=...)`."""
    base = {
        "pkg/__init__.py": "from pkg.legacy import Proto\n__all__ = ['Proto']\n",
        "pkg/legacy.py": "class Proto:\n    def send(self):\n        pass\n",
    }
    head = {
        "pkg/__init__.py": (
            "from pkg.imports import lazy_import\n__all__ = ['Proto2']\n"
            "lazy_import(globals(), aliases={'Proto2': '.new'}, deprecated_aliases={'Proto': '.legacy'})\n"
        ),
        "pkg/imports.py": "def lazy_import(namespace, aliases=None, deprecated_aliases=None):\n    pass\n",
        "pkg/legacy.py": "class Proto:\n    def send(self):\n        pass\n",
        "pkg/new.py": "class Proto2:\n    async def send(self):\n        pass\n",
    }
    diff = diff_of(tmp_path, base, head)
    assert diff.breaking == []
    assert ("AG235", "pkg.Proto") in codes(diff) and ("AG230", "pkg.Proto2") in codes(diff)


def test_function_that_warns_is_deprecated_not_removed(tmp_path: Path) -> None:
    base = one_module("def old(x):\n    return x\n")
    head = one_module(
        "import warnings\n\ndef old(x):\n    warnings.warn('use new', DeprecationWarning)\n    return new(x)\n\n"
        "def new(x):\n    return x\n"
    )
    assert codes(diff_of(tmp_path, base, head)) == [("AG230", "pkg.mod.new"), ("AG235", "pkg.mod.old")]


def test_a_warning_about_one_argument_does_not_deprecate_the_function(tmp_path: Path) -> None:
    base = one_module("def f(x, loop=None):\n    return x\n")
    head = one_module(
        "import warnings\n\ndef f(x, loop=None):\n    if loop is not None:\n"
        "        warnings.warn('loop is deprecated', DeprecationWarning)\n    return x\n"
    )
    assert diff_of(tmp_path, base, head).changes == []


def test_module_values_and_private_names_are_never_reported(tmp_path: Path) -> None:
    base = one_module(
        "__version__ = '1.0'\nLIMIT = 3\n\ndef _private(a):\n    pass\n\nclass C:\n    def _hidden(self):\n        pass\n"
    )
    head = one_module("__version__ = '2.0'\nLIMIT = 4\n\ndef _private():\n    pass\n\nclass C:\n    pass\n")
    assert diff_of(tmp_path, base, head).changes == []


def test_values_exported_in_dunder_all_count_by_presence_only(tmp_path: Path) -> None:
    base = {
        "pkg/__init__.py": "from pkg import streams\nfrom pkg.streams import *\n__all__ = ['__version__', 'Timeout'] + streams.__all__\n__version__ = '1.0'\nfrom async_timeout import timeout as Timeout\n",
        "pkg/streams.py": "__all__ = ['Queue', 'LIMIT']\nLIMIT = 2\nclass Queue:\n    pass\n",
    }
    head = {
        "pkg/__init__.py": "from pkg import streams\nfrom pkg.streams import *\n__all__ = ['__version__'] + streams.__all__\n__version__ = '2.0'\n",
        "pkg/streams.py": "__all__ = ['LIMIT']\nLIMIT = 3\n",
    }
    diff = diff_of(tmp_path, base, head)
    # values changing (__version__, LIMIT) are not changes; names leaving the API are, wherever they are listed
    assert codes(diff) == [("AG201", "pkg.Timeout"), ("AG201", "pkg.streams.Queue")]
    assert diff.changes[1].aliases == ["pkg.Queue"]  # reached through `streams.__all__`: one change
    assert all(c.breaking for c in diff.changes)


def test_dunder_all_decides_what_is_public(tmp_path: Path) -> None:
    base = one_module("__all__ = ['a']\n\ndef a():\n    pass\n\ndef b():\n    pass\n")
    head = one_module("__all__ = ['a']\n\ndef a():\n    pass\n")
    assert diff_of(tmp_path, base, head).changes == []


def test_inherited_method_moved_to_private_base_is_not_removed(tmp_path: Path) -> None:
    base = one_module("class Client:\n    async def get(self, url):\n        pass\n")
    head = one_module(
        "class _Base:\n    async def get(self, url):\n        pass\n\nclass Client(_Base):\n    pass\n"
    )
    diff = diff_of(tmp_path, base, head)
    assert [c.code for c in diff.changes] == ["AG237"]  # a base was added; nothing removed


def test_base_class_removed_and_kind_changed(tmp_path: Path) -> None:
    base = one_module("class A:\n    pass\n\nclass B(A):\n    pass\n\nclass make:\n    pass\n")
    head = one_module("class A:\n    pass\n\nclass B:\n    pass\n\ndef make():\n    pass\n")
    assert codes(diff_of(tmp_path, base, head)) == [("AG218", "pkg.mod.B"), ("AG219", "pkg.mod.make")]


def test_reexported_definition_changes_are_reported_once(tmp_path: Path) -> None:
    base = {"pkg/__init__.py": "from pkg.api import fetch\n", "pkg/api.py": "def fetch():\n    pass\n"}
    head = {"pkg/__init__.py": "from pkg.api import fetch\n", "pkg/api.py": "async def fetch():\n    pass\n"}
    diff = diff_of(tmp_path, base, head)
    assert codes(diff) == [("AG202", "pkg.api.fetch")]
    assert diff.changes[0].aliases == ["pkg.fetch"]


def test_allowlist_approves_a_named_change(tmp_path: Path) -> None:
    base = one_module("def f():\n    pass\n\ndef g():\n    pass\n")
    head = one_module("async def f():\n    pass\n\nasync def g():\n    pass\n")
    allow = (AllowEntry("AG202", "pkg.mod.f", "callers migrated in #12"),)
    diff = diff_of(tmp_path, base, head, allow=allow)
    assert [c.symbol for c in diff.breaking] == ["pkg.mod.g"]
    approved = next(c for c in diff.changes if c.symbol == "pkg.mod.f")
    assert approved.allowed and approved.allow_reason == "callers migrated in #12"
    assert diff.bump == "major"  # an approved break is still a break for the version number


def test_project_type_aliases_are_compared_by_what_they_stand_for(tmp_path: Path) -> None:
    """The httpx 0.27 -> 0.28 patterns: an alias inlined, an alias widened, an alias narrowed."""
    base = {
        "pkg/__init__.py": "",
        "pkg/_types.py": (
            "import ssl\nfrom typing import MutableMapping, Any, Optional, Tuple, Union\n"
            "VerifyTypes = Union[str, bool, ssl.SSLContext]\n"
            "Extensions = MutableMapping[str, Any]\n"
            "CertTypes = Union[str, Tuple[str, Optional[str]]]\n"
        ),
        "pkg/api.py": (
            "from pkg._types import VerifyTypes, Extensions, CertTypes\n"
            "def get(url, verify: VerifyTypes = True, ext: Extensions | None = None, cert: CertTypes | None = None):\n"
            "    pass\n"
        ),
    }
    head = {
        "pkg/__init__.py": "",
        "pkg/_types.py": (
            "from typing import Mapping, Any, Tuple, Union\n"
            "Extensions = Mapping[str, Any]\n"
            "CertTypes = Union[str, Tuple[str, str]]\n"
        ),
        "pkg/api.py": (
            "import ssl\nfrom pkg._types import Extensions, CertTypes\n"
            "def get(url, verify: ssl.SSLContext | str | bool = True, ext: Extensions | None = None, cert: CertTypes | None = None):\n"
            "    pass\n"
        ),
    }
    diff = diff_of(tmp_path, base, head)
    got = sorted((c.code, c.param) for c in diff.changes)
    assert got == [("AG216", "cert"), ("AG234", "ext")]
    narrowed = next(c for c in diff.changes if c.code == "AG216")
    assert "(= Union[str, Tuple[str, Optional[str]]] | None)" in narrowed.message


def test_pyproject_settings_allow_ignore_and_annotation_policy(tmp_path: Path) -> None:
    config = (
        '[project]\nname = "p"\nversion = "1.0.0"\n'
        "[tool.asyncguard.contracts]\n"
        "annotations-breaking = false\n"
        'ignore = ["AG230"]\n'
        'allow = [{code = "AG202", symbol = "pkg.mod.f", reason = "v2 is async-only"}]\n'
    )
    base = {"pyproject.toml": config, **one_module("def f():\n    pass\n\ndef g(a: int):\n    pass\n")}
    head = {
        "pyproject.toml": config,
        **one_module("async def f():\n    pass\n\ndef g(a: str):\n    pass\n\ndef new():\n    pass\n"),
    }
    diff = diff_of(tmp_path, base, head)
    assert sorted((c.code, c.breaking, c.allowed) for c in diff.changes) == [
        ("AG202", True, True),
        ("AG216", False, False),
    ]
    assert diff.breaking == []


def test_bad_pyproject_settings_are_clear_errors(tmp_path: Path) -> None:
    import pytest

    from asyncguard.contracts.model import ContractError

    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.asyncguard.contracts]\nannotations-breaking = 'yes'\n",
            "pkg/__init__.py": "",
        },
    )
    with pytest.raises(ContractError, match="`annotations-breaking` must be true or false"):
        compare_trees(tmp_path, tmp_path, analyze_head=False)
    write_tree(tmp_path, {"pyproject.toml": "[tool.asyncguard.contracts]\nfiles = 'x'\n"})
    with pytest.raises(ContractError, match="unknown key 'files'"):
        compare_trees(tmp_path, tmp_path, analyze_head=False)


def test_module_renamed_with_a_warning_shim_is_deprecated_not_removed(tmp_path: Path) -> None:
    """The websockets `auth.py` pattern: the old module star-imports the new one and warns."""
    body = "__all__ = ['login', 'Session']\n\nasync def login(user):\n    pass\n\nclass Session:\n    def close(self):\n        pass\n"
    base = {"pkg/__init__.py": "", "pkg/auth.py": body}
    head = {
        "pkg/__init__.py": "",
        "pkg/security.py": body,
        "pkg/auth.py": (
            "import warnings\n\nwith warnings.catch_warnings():\n"
            "    from pkg.security import *\n    from pkg.security import __all__\n\n"
            "warnings.warn('pkg.auth moved to pkg.security', DeprecationWarning)\n"
        ),
    }
    diff = diff_of(tmp_path, base, head)
    assert diff.breaking == []
    assert codes(diff) == [("AG230", "pkg.security"), ("AG235", "pkg.auth")]  # members not listed one by one


# -- issue 10: annotations compared by meaning -----------------------------------------------------


def test_anystr_and_str_or_bytes_are_the_same_annotation(tmp_path: Path) -> None:
    diff = diff_of(
        tmp_path,
        one_module("from typing import AnyStr\n\ndef send(data: AnyStr) -> AnyStr:\n    return data\n"),
        one_module("def send(data: str | bytes) -> str | bytes:\n    return data\n"),
    )
    assert codes(diff) == []


def test_an_alias_expanded_on_one_side_only_is_not_a_change(tmp_path: Path) -> None:
    """Base: `Headers = dict[str, str]` expands; head moves the alias behind a name the extractor
    cannot expand (an import from outside the project). `Headers` to `Headers` is no change."""
    diff = diff_of(
        tmp_path,
        one_module("Headers = dict[str, str]\n\ndef get(h: Headers) -> Headers:\n    return h\n"),
        one_module("from otherlib import Headers\n\ndef get(h: Headers) -> Headers:\n    return h\n"),
    )
    assert codes(diff) == []
    # a real narrowing is still reported
    diff = diff_of(
        tmp_path / "2",
        one_module("def get(h: str | bytes) -> None:\n    return None\n"),
        one_module("def get(h: str) -> None:\n    return None\n"),
    )
    assert [c for c, _ in codes(diff)] == ["AG216"]
