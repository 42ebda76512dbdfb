"""The fixed contract change codes (AG2xx). Users allowlist these by code: never renumber.

Each code says what changed in a public interface and whether that change breaks callers by
default. Config can mark the annotation codes as non-breaking; every other default is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChangeCode:
    code: str
    name: str
    summary: str
    breaking: bool


CHANGE_CODES: dict[str, ChangeCode] = {
    c.code: c
    for c in (
        # Removals and renames
        ChangeCode("AG201", "symbol-removed", "A public module, class, function or method was removed", True),
        ChangeCode(
            "AG202", "sync-to-async", "A plain `def` became `async def`: callers now get a coroutine", True
        ),
        ChangeCode(
            "AG203", "async-to-sync", "An `async def` became a plain `def`: `await` on it now fails", True
        ),
        ChangeCode(
            "AG204",
            "generator-to-async-generator",
            "A generator became an async generator: `for` must become `async for`",
            True,
        ),
        ChangeCode(
            "AG205",
            "async-generator-to-generator",
            "An async generator became a plain generator: `async for` must become `for`",
            True,
        ),
        ChangeCode("AG206", "parameter-removed", "A parameter was removed", True),
        ChangeCode("AG207", "parameter-renamed", "A parameter was renamed: keyword callers break", True),
        ChangeCode("AG208", "parameter-reordered", "Positional parameters changed order", True),
        ChangeCode(
            "AG209",
            "parameter-kind-narrowed",
            "A parameter accepts fewer call forms (e.g. became keyword-only or positional-only)",
            True,
        ),
        ChangeCode("AG210", "required-parameter-added", "A new parameter without a default was added", True),
        ChangeCode("AG211", "var-positional-removed", "`*args` was removed", True),
        ChangeCode("AG212", "var-keyword-removed", "`**kwargs` was removed", True),
        ChangeCode("AG213", "default-removed", "A parameter lost its default: it is now required", True),
        ChangeCode("AG214", "default-changed", "A parameter's default value changed", True),
        ChangeCode("AG215", "return-annotation-changed", "The return annotation changed", True),
        ChangeCode(
            "AG216", "parameter-annotation-changed", "A parameter annotation changed (not widened)", True
        ),
        ChangeCode(
            "AG217",
            "method-kind-changed",
            "A method became or ceased to be a staticmethod, classmethod or property",
            True,
        ),
        ChangeCode("AG218", "base-class-removed", "A class no longer derives from one of its bases", True),
        ChangeCode(
            "AG219",
            "symbol-kind-changed",
            "A name now refers to a different kind of thing (e.g. class to function)",
            True,
        ),
        ChangeCode(
            "AG220", "symbol-renamed", "A symbol was renamed: same signature, new name, old name gone", True
        ),
        # Compatible changes
        ChangeCode("AG230", "symbol-added", "A public symbol was added", False),
        ChangeCode(
            "AG231",
            "optional-parameter-added",
            "A parameter with a default (or `*args`/`**kwargs`) was added",
            False,
        ),
        ChangeCode("AG232", "parameter-kind-widened", "A parameter accepts more call forms", False),
        ChangeCode("AG233", "default-added", "A parameter gained a default: it is now optional", False),
        ChangeCode("AG234", "parameter-annotation-widened", "A parameter annotation was widened", False),
        ChangeCode(
            "AG235",
            "symbol-deprecated",
            "A name was kept as a deprecated alias (module `__getattr__` or a warning shim)",
            False,
        ),
        ChangeCode("AG236", "symbol-moved", "A symbol moved and is re-exported from its old place", False),
        ChangeCode("AG237", "base-class-added", "A class gained a base class", False),
    )
}


def change_code(code: str) -> ChangeCode:
    """The code's entry; KeyError for an unknown code."""
    return CHANGE_CODES[code]


def code_for_name(name: str) -> ChangeCode:
    """Look a code up by its name (e.g. "sync-to-async"); KeyError when unknown."""
    for c in CHANGE_CODES.values():
        if c.name == name:
            return c
    raise KeyError(name)
