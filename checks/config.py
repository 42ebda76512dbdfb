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
    "blocking-file-io",
    "async-callables",
    "exclude",
    "training-url",
    "cache-dir",
    "contracts-file",
    "python",
    "libraries",
    "per-file-ignores",
    "extend-per-file-ignores",
    "fail-on",
    "baseline",
    "mode",
)

# AG107 is off in test files unless `per-file-ignores` says otherwise. A blocking call in an async
# test stalls only that test's own event loop, which serves nothing else: the test gets slower, no
# user waits. Most AG107 findings on real projects were there (101 of 127 on ten projects), and a
# maintainer would not change them. Examples and docs keep the rule: users copy them into servers.
# AG114 (a call used synchronously where the rest of the project awaits it) is off there too: tests
# build requests and coroutines without awaiting them on purpose, to inspect or drive them, so the
# project's consensus is weakest evidence there; and a test that misses an `await` fails when it runs.
TEST_FILE_GLOBS = ("tests", "test", "test_*.py", "*_test.py", "conftest.py")
DEFAULT_PER_FILE_IGNORES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (glob, frozenset({"AG107", "AG114"})) for glob in TEST_FILE_GLOBS
)
MODES = ("enforce", "warn")
# `--fail-on LEVEL`: the lowest severity that makes `check` exit 1 (ruff and mypy fail on errors only)
FAIL_LEVELS = ("error", "warning", "info", "note", "never")


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
    blocking_file_io: bool = False  # AG107 also reports local-file I/O (off: see rules/README.md)
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
    fail_on: str = "error"  # the lowest severity that fails `check` (one of FAIL_LEVELS)
    baseline: str | None = None  # findings recorded by `--write-baseline`; only new ones are reported
    # rollout: "warn" reports findings without failing (the bot's check concludes neutral)
    mode: str = "enforce"
    rule_modes: Mapping[str, str] = field(default_factory=dict)  # per code, over `mode`
    # the folder of the config file the settings came from: relative paths in it are relative to it
    config_dir: str | None = field(default=None, compare=False)

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
                if key == "mode":
                    values["mode"], values["rule_modes"] = _mode(value)
                    continue
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

    def mode_for(self, code: str) -> str:
        """`enforce` or `warn` for this code: its own entry of `mode = {...}`, else the default."""
        return self.rule_modes.get(code, self.mode)

    def enforced(self, code: str) -> bool:
        return self.mode_for(code) == "enforce"

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
            blocking_file_io=self.blocking_file_io,
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


def _mode(value: Any) -> tuple[str, dict[str, str]]:
    """`"warn"`, or `{ default = "warn", AG101 = "enforce", AG2 = "warn" }` (codes or prefixes)."""
    if isinstance(value, str):
        return _one_mode(value), {}
    if not isinstance(value, Mapping):
        raise ConfigError(f'expected "warn", "enforce" or a table of CODE = mode, got {value!r}')
    default = "enforce"
    per_code: dict[str, str] = {}
    for key, mode in value.items():
        if str(key).lower() == "default":
            default = _one_mode(mode)
            continue
        for c in _codes([str(key)]):
            per_code[c] = _one_mode(mode)
    return default, per_code


def _one_mode(value: Any) -> str:
    mode = str(value).strip().lower()
    if mode not in MODES:
        raise ConfigError(f"unknown mode {value!r} (use enforce or warn)")
    return mode


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


def _fail_level(value: Any) -> str:
    level = str(value).strip().lower()
    if level not in FAIL_LEVELS:
        raise ConfigError(f"unknown level {value!r} (use {', '.join(FAIL_LEVELS)})")
    return "info" if level == "note" else level


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
    "blocking-file-io": _bool,
    "async-callables": _dotted,
    "exclude": _globs,
    "training-url": _text,
    "cache-dir": _text,
    "contracts-file": _text,
    "python": _text,
    "libraries": _bool,
    "per-file-ignores": _per_file,
    "extend-per-file-ignores": _per_file,
    "fail-on": _fail_level,
    "baseline": _text,
}


def load_settings(root: Path) -> Settings:
    """Settings from `<root>/pyproject.toml` `[tool.asyncguard]`; defaults when absent.

    Only `root` is read: the bot loads settings from a checkout and must never look above it.
    """
    pyproject = Path(root) / "pyproject.toml"
    if not pyproject.is_file():
        return Settings(config_dir=str(root))
    table = _tool_table(pyproject)
    return _from_table(table, pyproject) if table is not None else Settings(config_dir=str(root))


def discover_settings(root: Path, config: Path | None = None) -> tuple[Settings, Path | None]:
    """The command line's settings and the file they came from, found as ruff and mypy find theirs.

    `config` (`--config FILE`): that file, either a pyproject.toml (its `[tool.asyncguard]`) or a
    TOML file holding the keys at its top level. Otherwise the nearest `pyproject.toml` with a
    `[tool.asyncguard]` table, from the project root upwards, stopping at the repository's top
    (the folder holding `.git`): a sub-project without a table uses its repository's settings.
    """
    if config is not None:
        path = Path(config)
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file")
        table = _tool_table(path)
        if table is None:
            data = _read_toml(path)
            if path.name == "pyproject.toml":
                raise ConfigError(f"{path}: has no [tool.asyncguard] table")
            return _from_table(data, path, source=str(path)), path.resolve()
        return _from_table(table, path), path.resolve()
    root = Path(root).resolve()
    for folder in (root, *root.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            table = _tool_table(pyproject)
            if table is not None:
                return _from_table(table, pyproject), pyproject
        if (folder / ".git").exists():
            break
    return Settings(config_dir=str(root)), None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _tool_table(path: Path) -> Any:
    """`[tool.asyncguard]` of a TOML file, None when it has none."""
    tool = _read_toml(path).get("tool", {})
    return tool.get("asyncguard") if isinstance(tool, dict) else None


def _from_table(table: Any, path: Path, source: str | None = None) -> Settings:
    settings = Settings.from_mapping(table, source=source or f"{path} [tool.asyncguard]")
    return replace(settings, config_dir=str(path.resolve().parent))


def resolve_path(settings: Settings, value: str, root: Path) -> Path:
    """A path from the settings: absolute as it is, else relative to the config file's folder."""
    path = Path(value)
    if path.is_absolute():
        return path
    return Path(settings.config_dir or root) / path


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
