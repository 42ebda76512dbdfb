"""The `asyncguard` command: `check` and `pr` live here; other sub-commands plug in through the
`asyncguard.commands` entry-point group, so this package never imports the bot.

Exit codes, as ruff's and mypy's: 0 nothing at the `--fail-on` level (default: error) or above,
1 findings at that level, 2 usage, configuration or internal error (one line on stderr, never a
traceback). Warnings and notes are printed but do not fail a commit unless asked (`--fail-on warning`).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asyncguard.checks.baseline import Baseline, apply_baseline, known_note, read_baseline, write_baseline
from asyncguard.checks.config import (
    FAIL_LEVELS,
    ConfigError,
    Settings,
    discover_settings,
    find_project_root,
    resolve_path,
)
from asyncguard.checks.diffparse import FileDiff
from asyncguard.checks.discover import DiscoveryError
from asyncguard.checks.pipeline import ANNOTATE_SCOPES, run_check
from asyncguard.checks.render import FORMATS, render
from asyncguard.checks.render.github import render_github
from asyncguard.checks.render.style import COLOR_MODES, use_color
from asyncguard.checks.render.text import render_text
from asyncguard.checks.report import Report

if TYPE_CHECKING:
    from asyncguard.checks.fixer import FixResult

ENTRY_POINT_GROUP = "asyncguard.commands"
# What the `app` extra installs (import names): the analyzer never needs them, the server does.
APP_MODULES = frozenset({
    "aiohttp", "gidgethub", "cachetools", "jwt", "orjson", "uvloop", "sqlalchemy", "alembic", "aiosqlite", "asyncpg",
})
BUILTIN_COMMANDS = frozenset({"check", "pr"})
# Modules only some runs need are imported when needed: `check` starts in a few tens of ms, and
# on a small project start-up is a good part of the run (git and subprocess: `--diff`, `github`;
# the fixer: `--fix`).


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is for the user as it is (GitError only if git was ever run)."""
    gitdiff = sys.modules.get("asyncguard.checks.gitdiff")
    git_error: tuple[type[BaseException], ...] = (gitdiff.GitError,) if gitdiff is not None else ()
    return (ConfigError, DiscoveryError, *git_error, ValueError, OSError)


def _codes(values: list[str] | None) -> list[str] | None:
    """`--select AG101,AG107 --select AG109` -> [AG101, AG107, AG109]; None when not given."""
    if values is None:
        return None
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("asyncguard")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _add_output_options(p: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    p.add_argument(
        "--format", "--output-format", dest="format", choices=formats, default="text",
        help="output format (default: text)",
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument(
        "--fail-on", choices=FAIL_LEVELS, metavar="LEVEL",
        help="the lowest severity that makes the exit code 1: error (default), warning, info or note, never",
    )
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument("-q", "--quiet", action="store_true", help="print the findings and nothing else")
    p.add_argument(
        "-s", "--silent", action="store_true", help="print nothing; the exit code still says whether there are findings"
    )
    p.add_argument(
        "--color", choices=COLOR_MODES, default="auto",
        help="color the text output (default: auto: on a terminal, unless NO_COLOR is set)",
    )
    p.add_argument(
        "--config", metavar="FILE",
        help="settings from this file (a pyproject.toml or a TOML file of [tool.asyncguard] keys) "
        "instead of the nearest pyproject.toml with a [tool.asyncguard] table",
    )
    p.add_argument("--no-cache", action="store_true", help="do not read or write the on-disk index cache")
    p.add_argument("--select", action="append", metavar="CODES", help="only these codes (comma-separated)")
    p.add_argument("--ignore", action="append", metavar="CODES", help="never report these codes")
    p.add_argument(
        "--extend-select", action="append", metavar="CODES", help="add codes (e.g. the opt-in AG113)"
    )
    p.add_argument("--python", metavar="INTERPRETER",
                   help="read installed libraries from this interpreter's site-packages (default: ./.venv)")
    p.add_argument("--no-libraries", action="store_true", help="do not read installed libraries")


class _VersionAction(argparse.Action):
    """`--version`, with the version looked up only when asked (`importlib.metadata` costs every
    other run of the CLI some 15 ms)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(f"asyncguard {version()}")  # on stdout, as argparse's own `version` action does
        parser.exit()


def build_parser(plugins: bool = True) -> tuple[argparse.ArgumentParser, list[str]]:
    """The parser with every sub-command, and one line per plugin that failed to load.

    `plugins=False` skips the entry points: `check` must start fast, and the bot's imports are heavy.
    """
    parser = argparse.ArgumentParser(
        prog="asyncguard", description="Catch async/await mistakes across the modules of a Python repository."
    )
    parser.add_argument("--version", "-V", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="analyse a project", description="Analyse a project.")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to report on (default: .)")
    _add_output_options(check, FORMATS[:4])
    check.add_argument("--diff", metavar="REF", help="report only on lines changed since git REF")
    check.add_argument("--fix", action="store_true", help="apply safe fixes, then report what is left")
    check.add_argument("--unsafe-fixes", action="store_true",
                       help="with --fix, apply the fixes marked unsafe too (the callee's kind is not certain)")
    check.add_argument("--statistics", action="store_true", help="show counts by rule")
    check.add_argument(
        "--baseline", metavar="FILE",
        help="report only findings this baseline does not have (default: `baseline` of [tool.asyncguard])",
    )
    check.add_argument(
        "--write-baseline", metavar="FILE",
        help="record every finding of today in FILE (for --baseline), and exit 0",
    )
    check.set_defaults(func=cmd_check)

    pr = sub.add_parser(
        "pr", help="preview a pull request run on a local git repository", description="Preview a PR run."
    )
    pr.add_argument("path", metavar="PATH", help="the git repository (or a project inside one)")
    pr.add_argument("--base", required=True, metavar="REF", help="the PR's base ref")
    pr.add_argument("--head", required=True, metavar="REF", help="the PR's head ref")
    pr.add_argument(
        "--annotate",
        choices=ANNOTATE_SCOPES,
        help="which findings to show (default: `annotate:` of the base's .asyncguard.yml, else changed-lines)",
    )
    _add_output_options(pr, FORMATS)
    pr.set_defaults(func=cmd_pr)

    problems: list[str] = []
    if not plugins:
        return parser, problems
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            ep.load()(sub)
        except Exception as exc:  # a broken plugin must not take `check` down with it
            problems.append(
                f"sub-command plugin {ep.name!r} ({ep.value}) failed to load: {type(exc).__name__}: {exc}"
            )
    return parser, problems


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        first = next((a for a in args_list if not a.startswith("-")), None)
        if first in BUILTIN_COMMANDS:
            # One short run that builds millions of objects and frees them by refcount: the cyclic
            # GC would only re-scan them (tens of ms on a mid-size project). `serve` keeps it.
            gc.disable()
        parser, problems = build_parser(plugins=first not in BUILTIN_COMMANDS)
        try:
            args = parser.parse_args(args_list)
        except SystemExit as exc:  # argparse: --help (0) or a usage error (2, message already printed)
            if exc.code not in (0, None):
                for line in problems:
                    print(f"asyncguard: warning: {line}", file=sys.stderr)
            return int(exc.code) if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        func = getattr(args, "func", None)
        if func is None:
            parser.print_help(sys.stderr)
            return 2
        code = func(args)
        if argv is None and first in BUILTIN_COMMANDS:
            # The command line is about to exit: the objects of the run (the index, the trees) are
            # still referenced from reference cycles, and the interpreter's final collection would
            # walk all of them (a fifth of a cold run on a large tree). Frozen, they are left as
            # they are. Only for the real command: an in-process caller keeps its collector.
            gc.freeze()
        return code if isinstance(code, int) else 0
    except BrokenPipeError:  # `asyncguard check | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("asyncguard: interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing not in APP_MODULES:
            print(f"asyncguard: internal error: ModuleNotFoundError: {_one_line(exc)}", file=sys.stderr)
            return 2
        command = next((a for a in args_list if not a.startswith("-")), "")
        print(
            f"asyncguard: error: `asyncguard {command}` is part of the GitHub App, whose packages are not "
            f"installed (missing: {missing}); install them with: pip install 'asyncguard[app]'",
            file=sys.stderr,
        )
        return 2
    except Exception as exc:
        if isinstance(exc, _user_errors()):
            print(f"asyncguard: error: {_one_line(exc)}", file=sys.stderr)
        else:
            print(f"asyncguard: internal error: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 2


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, ConfigError):
        return text.replace("\n", "\nasyncguard: error: ")
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return " ".join(text.split()) or type(exc).__name__


def _settings(root: Path, args: argparse.Namespace, base: Settings | None = None) -> Settings:
    if base is not None:
        settings = base
    else:
        settings, _ = discover_settings(root, Path(args.config) if getattr(args, "config", None) else None)
    if getattr(args, "fail_on", None):
        settings = replace(settings, fail_on="info" if args.fail_on == "note" else args.fail_on)
    settings = settings.with_overrides(
        select=_codes(args.select), ignore=_codes(args.ignore), extend_select=_codes(args.extend_select)
    )
    if getattr(args, "python", None):
        settings = replace(settings, python=str(Path(args.python).absolute()))
    if getattr(args, "no_libraries", False):
        settings = replace(settings, libraries=False)
    return settings


def _emit(text: str, output: str | None, silent: bool = False) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    elif not silent:
        sys.stdout.write(text)
        sys.stdout.flush()


def _repo_prefix(root: Path) -> str:
    """The project's folder inside its git work tree (`""` at the top), for paths GitHub resolves."""
    from asyncguard.checks.gitdiff import GitError, git

    try:
        top = Path(git(root, "rev-parse", "--show-toplevel").decode().strip()).resolve()
        rel = root.resolve().relative_to(top).as_posix()
    except (GitError, ValueError, OSError):
        return ""
    return "" if rel == "." else rel + "/"


def _render(
    report: Report, fmt: str, settings: Settings, statistics: bool = False, args: argparse.Namespace | None = None
) -> str:
    if fmt == "text":
        color = args is not None and not args.output and use_color(args.color, sys.stdout)
        quiet = args is not None and args.quiet
        return render_text(report, settings.training_url, statistics=statistics, color=color, quiet=quiet)
    if fmt == "github":
        return render_github(report, settings.training_url, path_prefix=_repo_prefix(Path(report.root)))
    return render(report, fmt, settings.training_url)


def _changed_lines(root: Path, ref: str | None) -> dict[str, FileDiff] | None:
    if not ref:
        return None
    from asyncguard.checks.gitdiff import changed_lines

    return changed_lines(root, ref)


def _baseline(args: argparse.Namespace, settings: Settings, root: Path) -> Baseline | None:
    if args.baseline:
        return read_baseline(Path(args.baseline))
    if settings.baseline:
        return read_baseline(resolve_path(settings, settings.baseline, root))
    return None


def _without_baselined(report: Report, baseline: Baseline | None, whole_project: bool) -> Report:
    if baseline is None:
        return report
    filtered = apply_baseline(Path(report.root), report.findings, baseline)
    report.findings = filtered.findings
    if filtered.known:
        report.notes.append(known_note(filtered, baseline.source))
    if filtered.stale and whole_project:
        n = filtered.stale
        report.notes.append(
            f"{n} baseline entr{'ies' if n != 1 else 'y'} no longer found (fixed, or the code changed); "
            f"`asyncguard check --write-baseline {baseline.source}` drops {'them' if n != 1 else 'it'}"
        )
    return report


def cmd_check(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in (args.paths or ["."])]
    for p in paths:
        if not p.exists() and not p.is_symlink():
            raise DiscoveryError(f"{p}: no such file or directory")
    if args.write_baseline and (args.diff or args.fix or args.baseline):
        raise ConfigError("--write-baseline records every finding of the tree: use it without --diff, --fix, --baseline")
    root = find_project_root(paths)
    settings = _settings(root, args)
    changed = _changed_lines(root, args.diff)
    use_cache = not args.no_cache
    report = run_check(root, paths, settings, changed, use_cache=use_cache)
    if args.unsafe_fixes and not args.fix:
        raise ValueError("--unsafe-fixes goes with --fix")
    if args.write_baseline:
        n = write_baseline(Path(args.write_baseline), Path(report.root), report.findings)
        if not args.silent:
            print(
                f"asyncguard: wrote {n} finding{'s' if n != 1 else ''} to the baseline {args.write_baseline}",
                file=sys.stderr,
            )
        return 0
    baseline = _baseline(args, settings, root)
    whole = changed is None and not args.paths
    report = _without_baselined(report, baseline, whole)
    if args.fix and report.findings:
        from asyncguard.checks.fixer import apply_fixes

        before = report
        # the new findings only: the baseline's stay as they are
        result = apply_fixes(root, report.findings, include_unsafe=args.unsafe_fixes)
        if result.fixed:
            changed = _changed_lines(root, args.diff)
            report = _without_baselined(run_check(root, paths, settings, changed, use_cache=use_cache), baseline, whole)
            reverted = _revert_fixes_that_created_problems(root, before, report, result)
            if reverted:
                changed = _changed_lines(root, args.diff)
                report = _without_baselined(
                    run_check(root, paths, settings, changed, use_cache=use_cache), baseline, whole
                )
                report.notes.extend(reverted)
        report.notes.extend(result.skipped)
        if (result.fixed or result.skipped) and not (args.quiet or args.silent):
            n_files = len(result.files_changed)
            print(
                f"asyncguard: fixed {result.fixed} finding{'s' if result.fixed != 1 else ''} "
                f"in {n_files} file{'s' if n_files != 1 else ''}",
                file=sys.stderr,
            )
    _note_warn_mode(report, settings)
    _emit(_render(report, args.format, settings, args.statistics, args), args.output, args.silent)
    if args.statistics and args.format != "text" and not args.silent:
        for code, n in sorted(report.counts_by_rule().items()):
            print(f"{n:5d}  {code}", file=sys.stderr)
    return 0 if args.exit_zero or not report.fails(settings.fail_on, settings.enforced) else 1


def _note_warn_mode(report: Report, settings: Settings) -> None:
    """Say which findings would fail the run if their rules were enforced."""
    warned = [f for f in report.failing(settings.fail_on) if not settings.enforced(f.code)]
    if warned:
        codes = ", ".join(sorted({f.code for f in warned}))
        n = len(warned)
        report.notes.append(
            f"{n} finding{'s' if n != 1 else ''} in warn mode ({codes}): reported, not failing "
            '(`mode = "enforce"` in [tool.asyncguard] makes them fail)'
        )


def _revert_fixes_that_created_problems(root: Path, before: Report, after: Report, result: FixResult) -> list[str]:
    """Put back every fixed file where the re-check finds a problem the check before did not have
    (a fix must never leave the code worse); one note each."""
    old = Counter((f.path, f.code, f.message) for f in before.findings)
    new = Counter((f.path, f.code, f.message) for f in after.findings)
    created = new - old
    notes: list[str] = []
    paths = {path for path, _, _ in created}
    if paths - set(result.files_changed):  # a fix in one file broke another: take back every fix
        paths = set(result.files_changed)
    for rel in sorted(paths & set(result.files_changed)):
        codes = ", ".join(sorted({code for path, code, _ in created if path == rel}))
        result.revert(root, rel)
        notes.append(f"{rel}: fixes not applied: the fixed file would have new findings ({codes})")
    return notes


def cmd_pr(args: argparse.Namespace) -> int:
    from asyncguard.checks.prlocal import run_local_pr
    from asyncguard.checks.render.summary import render_summary

    run = run_local_pr(
        Path(args.path),
        args.base,
        args.head,
        annotate=args.annotate,
        use_cache=not args.no_cache,
        adjust=lambda root, base: _settings(root, args, base),
    )
    report, settings = run.report, run.settings
    if args.format == "text":
        summary = render_summary(report, settings.training_url, scope_note=f"({run.annotate})")
        text = f"asyncguard {run.base_sha[:12]}..{run.head_sha[:12]}: {summary.title}\n\n{summary.text}"
        if report.findings:
            text += "\nAnnotations:\n" + render_text(report, settings.training_url)
    else:
        text = _render(report, args.format, settings, args=args)
    _emit(text, args.output, args.silent)
    return 0 if args.exit_zero or not report.fails(settings.fail_on, settings.enforced) else 1


if __name__ == "__main__":
    sys.exit(main())
