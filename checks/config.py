"""User settings: `[tool.asyncguard]` in pyproject.toml (or the `rules:` mapping of `.asyncguard.yml`).

Everything is validated up front, with one clear message per problem, because a typo in a rule code
that silently turned a rule off would be worse than no config at all.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asyncguard.checks.codes import all_codes, expand_selector
from asyncguard.rules.model import Severity

if TYPE_CHECKING:
    from asyncguard.rules.engine import RuleConfig

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO, "note": Severity.INFO}

KNOWN_KEYS = (
    "select",
    "ignore",
    "extend-select",
    "severity",
    "blocking-calls",
    "async-callables",
    "exclude",
    "training-url",
    "cache-dir",
    "contracts-file",
    "python",
    "libraries",
    "per-file-ignores",
    "extend-per-file-ignores",
)

# AG107 is off in test files unless `per-file-ignores` says otherwise. A blocking call in an async
# test stalls only that test's own event loop, which serves nothing else: the test gets slower, no
# user waits. Most AG107 findings on real projects were there (101 of 127 on ten projects), and a
# maintainer would not change them. Examples and docs keep the rule: users copy them into servers.
TEST_FILE_GLOBS = ("tests", "test", "test_*.py", "*_test.py", "conftest.py")
DEFAULT_PER_FILE_IGNORES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (glob, frozenset({"AG107"})) for glob in TEST_FILE_GLOBS
)


class ConfigError(ValueError):
    """Invalid settings; the message is meant for the user as it is."""


@dataclass(frozen=True)
class Settings:
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    extend_select: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    blocking_calls: tuple[str, ...] = ()
    async_callables: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    training_url: str | None = None
    cache_dir: str | None = None
    contracts_file: str | None = None
    python: str | None = None  # interpreter whose site-packages the analyzer reads (default: ./.venv)
    libraries: bool = True  # read installed libraries to resolve calls into them
    # (glob, codes) pairs, ruff's `per-file-ignores`: the codes are not reported in matching files.
    # Setting the key replaces the default; `extend-per-file-ignores` adds to it.
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = DEFAULT_PER_FILE_IGNORES
    extend_per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, source: str = "config") -> Settings:
        """Validate a mapping (keys with `-` or `_`); raise ConfigError listing every problem."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source}: expected a table of settings, got {type(data).__name__}")
        problems: list[str] = []
        values: dict[str, Any] = {}
        for raw_key, value in data.items():
            key = str(raw_key).replace("_", "-")
            if key not in KNOWN_KEYS:
                problems.append(f"{source}: unknown key {raw_key!r} (known: {', '.join(KNOWN_KEYS)})")
                continue
            try:
                values[key.replace("-", "_")] = _PARSERS[key](value)
            except ConfigError as exc:
                problems.append(f"{source}: {key}: {exc}")
        if problems:
            raise ConfigError("\n".join(problems))
        return cls(**values)

    def with_overrides(
        self,
        select: Iterable[str] | None = None,
        ignore: Iterable[str] | None = None,
        extend_select: Iterable[str] | None = None,
    ) -> Settings:
        """Command-line codes on top: --select replaces, --ignore and --extend-select add."""
        new = self
        if select is not None:
            codes = list(select)
            if not codes:
                raise ConfigError("--select needs at least one code")
            new = replace(new, select=_codes(codes))
        if ignore is not None:
            new = replace(new, ignore=new.ignore | _codes(list(ignore)))
        if extend_select is not None:
            new = replace(new, extend_select=new.extend_select | _codes(list(extend_select)))
        return new

    def enabled_codes(self) -> frozenset[str]:
        """The codes that will be reported after select, extend-select and ignore."""
        codes = all_codes()
        base = self.select if self.select is not None else {c for c, i in codes.items() if i.default_enabled}
        return frozenset((set(base) | self.extend_select) - self.ignore)

    def ignored_in(self, rel: str) -> frozenset[str]:
        """The codes `per-file-ignores` (and its extension) turn off for the file at `rel`."""
        from asyncguard.checks.discover import is_excluded

        out: set[str] = set()
        for glob, codes in (*self.per_file_ignores, *self.extend_per_file_ignores):
            if codes - out and is_excluded(rel, (glob,)):
                out |= codes
        return frozenset(out)

    def is_enabled(self, code: str) -> bool:
        return code in self.enabled_codes()

    def severity_for(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)

    def rule_config(self) -> RuleConfig:
        """The analyzer's view of these settings."""
        from asyncguard.rules.engine import RuleConfig

        return RuleConfig(
            select=self.select,
            ignore=self.ignore,
            extend_select=self.extend_select,
            severity=dict(self.severity),
            blocking_calls=self.blocking_calls,
            async_callables=self.async_callables,
            python=self.python,
            libraries=self.libraries,
        )


def _str_list(value: Any) -> list[str]:
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
        return [v for v in items if v]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value]
    raise ConfigError(f"expected a list of strings, got {value!r}")


def _codes(value: Any) -> frozenset[str]:
    out: set[str] = set()
    for item in _str_list(value):
        try:
            out |= expand_selector(item)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    return frozenset(out)


def _severity(value: Any) -> dict[str, Severity]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"expected a table of CODE = level, got {value!r}")
    out: dict[str, Severity] = {}
    for code, level in value.items():
        level_key = str(level).lower()
        if level_key not in _LEVELS:
            raise ConfigError(f"{code}: unknown level {level!r} (use error, warning or info)")
        for c in _codes([str(code)]):
            out[c] = _LEVELS[level_key]
    return out


def _dotted(value: Any) -> tuple[str, ...]:
    items = _str_list(value)
    for item in items:
        if not _DOTTED.fullmatch(item):
            raise ConfigError(f"{item!r} is not a dotted name like 'mylib.io.fetch'")
    return tuple(items)


def _per_file(value: Any) -> tuple[tuple[str, frozenset[str]], ...]:
    if not isinstance(value, Mapping):
        raise ConfigError(f'expected a table of "glob" = [codes], got {value!r}')
    out: list[tuple[str, frozenset[str]]] = []
    for glob, codes in value.items():
        if not isinstance(glob, str) or not glob.strip():
            raise ConfigError(f"{glob!r} is not a glob")
        try:
            out.append((glob.strip(), _codes(codes)))
        except ConfigError as exc:
            raise ConfigError(f"{glob}: {exc}") from None
    return tuple(out)


def _globs(value: Any) -> tuple[str, ...]:
    return tuple(_str_list(value))


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"expected a non-empty string, got {value!r}")
    return value.strip()


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ConfigError(f"expected true or false, got {value!r}")


_PARSERS = {
    "select": _codes,
    "ignore": _codes,
    "extend-select": _codes,
    "severity": _severity,
    "blocking-calls": _dotted,
    "async-callables": _dotted,
    "exclude": _globs,
    "training-url": _text,
    "cache-dir": _text,
    "contracts-file": _text,
    "python": _text,
    "libraries": _bool,
    "per-file-ignores": _per_file,
    "extend-per-file-ignores": _per_file,
}


def load_settings(root: Path) -> Settings:
    """Settings from `<root>/pyproject.toml` `[tool.asyncguard]`; defaults when absent."""
    pyproject = Path(root) / "pyproject.toml"
    if not pyproject.is_file():
        return Settings()
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{pyproject}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{pyproject}: cannot read: {exc.strerror}") from None
    tool = data.get("tool", {})
    table = tool.get("asyncguard") if isinstance(tool, dict) else None
    return Settings.from_mapping(table, source=f"{pyproject} [tool.asyncguard]")


def find_project_root(paths: Iterable[Path]) -> Path:
    """The nearest folder above the paths holding pyproject.toml, setup.cfg or .git.

    Several paths: start from their common folder. None found: that common folder itself.
    """
    resolved = [Path(p).resolve() for p in paths] or [Path.cwd().resolve()]
    dirs = [p if p.is_dir() else p.parent for p in resolved]
    common = Path(_common_path(dirs))
    for candidate in (common, *common.parents):
        if any((candidate / m).exists() for m in ROOT_MARKERS):
            return candidate
    return common


def _common_path(dirs: list[Path]) -> str:
    return os.path.commonpath([str(d) for d in dirs])
