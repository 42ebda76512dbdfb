"""`asyncguard contracts generate|check|diff`: lock the public interface, gate it in CI, compare versions.

Exit codes: 0 fine, 1 the interface differs from the lock (`check`) or has breaking changes that
are not approved (`diff`), 2 bad input (one line on stderr, nothing written).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from asyncguard.contracts.api import (
    CompareConfig,
    ContractError,
    ContractSettings,
    attach_impact,
    compare,
    diff_findings,
    governed_setting_changes,
    load_contract,
    load_contract_settings,
    render_changelog,
    render_migration_guide,
)
from asyncguard.contracts.extract import extract as extract_tree
from asyncguard.contracts.model import AllowEntry, Contract, ContractDiff, diff_to_dict
from asyncguard.contracts.sources import Side, changed_lines_between, materialize
from asyncguard.contracts.store import DEFAULT_FILE, write_contract, write_text_atomic

FORMATS = ("text", "json", "sarif", "github", "markdown")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `contracts` with its three sub-commands."""
    parser = subparsers.add_parser("contracts", help="lock, check and compare the public interface")
    sub = parser.add_subparsers(dest="contracts_command", metavar="{generate,check,diff}")
    parser.set_defaults(func=lambda args: _usage(parser))

    gen = sub.add_parser("generate", help="write the contract file (the locked public interface)")
    gen.add_argument("root", nargs="?", default=".", help="project root (default: .)")
    gen.add_argument("-o", "--output", help=f"contract file (default: {DEFAULT_FILE} in the root, or config)")
    gen.add_argument("--package", action="append", help="only this top-level package (repeatable)")
    gen.set_defaults(func=_guard(cmd_generate))

    chk = sub.add_parser("check", help="exit 1 when the code no longer matches the contract file")
    chk.add_argument("root", nargs="?", default=".", help="project root (default: .)")
    chk.add_argument("--file", help="contract file (default: from config, else asyncguard.contracts.yaml)")
    chk.add_argument("--format", choices=FORMATS, default="text")
    chk.add_argument("--output", help="write the report here instead of stdout")
    chk.set_defaults(func=_guard(cmd_check))

    dif = sub.add_parser("diff", help="compare two versions: git refs, directories or contract files")
    dif.add_argument("base", help="git ref, directory or contract file")
    dif.add_argument("head", help="git ref, directory or contract file")
    dif.add_argument(
        "--repo", default=".", help="git repository (or project folder in it) for refs (default: .)"
    )
    dif.add_argument("--format", choices=FORMATS, default="text")
    dif.add_argument("--output", help="write the report here instead of stdout")
    dif.add_argument("--guide", help="also write the migration guide (Markdown) to this file")
    dif.add_argument("--changelog", help="also write the changelog section (Markdown) to this file")
    dif.add_argument("--release-version", help="version title of the changelog section (default: head's)")
    dif.add_argument("--no-cache", action="store_true", help="do not read or write the summary/index cache")
    dif.add_argument(
        "--fail-on",
        choices=("breaking", "error", "never"),
        default="breaking",
        help="exit 1 on unapproved breaking changes or edits to what the gate governs (default), only on "
        "old-style call sites, or never",
    )
    dif.set_defaults(func=_guard(cmd_diff))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Bad input becomes one line on stderr and exit 2, never a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except ContractError as exc:
            print(f"asyncguard: error: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            print(f"asyncguard: error: {where}{exc.strerror or exc}", file=sys.stderr)
            return 2

    return run


def _settings(root: Path) -> ContractSettings:
    settings = load_contract_settings(root)
    try:  # `[tool.asyncguard] contracts-file` (engineer A's settings) names the file too
        from asyncguard.checks.config import load_settings

        configured = load_settings(root).contracts_file
    except Exception:  # a problem there is reported by `asyncguard check`
        configured = None
    if configured and settings.file == DEFAULT_FILE:
        settings = ContractSettings(
            file=configured,
            packages=settings.packages,
            exclude=settings.exclude,
            annotations_breaking=settings.annotations_breaking,
            ignore=settings.ignore,
            allow=settings.allow,
        )
    return settings


def _extract(root: Path, settings: ContractSettings, packages: list[str] | None = None) -> Contract:
    return extract_tree(root, tuple(packages or settings.packages), settings.exclude)


def cmd_generate(args: argparse.Namespace) -> int:
    root = Path(args.root)
    if not root.is_dir():
        raise ContractError(f"{root}: not a directory")
    settings = _settings(root)
    target = Path(args.output) if args.output else root / settings.file
    contract = _extract(root, settings, args.package)
    if target.is_file():  # approvals live in the file: keep them across regenerations
        contract.allow = load_contract(target).allow
    write_contract(contract, target)
    print(f"wrote {target} ({len(contract.symbols)} public names)")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    root = Path(args.root)
    if not root.is_dir():
        raise ContractError(f"{root}: not a directory")
    settings = _settings(root)
    lock_path = Path(args.file) if args.file else root / settings.file
    if not lock_path.is_file():
        raise ContractError(
            f"{lock_path}: contract file not found; create it with `asyncguard contracts generate`"
        )
    locked = load_contract(lock_path)
    current = _extract(root, settings)
    current.allow = locked.allow
    diff = compare(locked, current, CompareConfig(annotations_breaking=settings.annotations_breaking))
    _emit(_render(diff, args.format, root, title=f"{lock_path} vs the code"), args.output)
    if diff.changes:
        print(
            f"asyncguard: the code no longer matches {lock_path} ({len(diff.changes)} difference"
            f"{'s' if len(diff.changes) != 1 else ''}); review, then run `asyncguard contracts generate`",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    repo = Path(args.repo)
    with ExitStack() as stack:
        base = stack.enter_context(materialize(args.base, repo))
        head = stack.enter_context(materialize(args.head, repo))
        # What is governed comes from the BASE, as in the bot's PR runs (contracts.api.compare_trees):
        # a change cannot loosen its own gate. The head's edits to it are governed changes themselves.
        settings = _settings(base.directory or head.directory or repo)
        cache = None if args.no_cache else _cache_dir(repo)
        base_contract = _side_contract(base, settings, cache)
        head_contract = _side_contract(head, settings, cache)
        head_contract.allow = []  # the head's own approvals are not applied to the change that adds them
        allow = _lock_allow(base, settings)
        diff = compare(base_contract, head_contract, settings.compare_config(allow))
        if base.directory is not None and head.directory is not None:
            diff.setting_changes = governed_setting_changes(head.directory, settings, allow)
        if head.directory is not None and diff.breaking:
            changed = _changed_lines(repo, base, head)
            from asyncguard.rules.engine import analyze

            index = analyze(head.directory.resolve(), files=[], cache_dir=cache).index
            attach_impact(diff, index, changed, head_root=head.directory.resolve())
        guide = render_migration_guide(diff) if args.guide else None
        changelog = render_changelog(diff, version=args.release_version) if args.changelog else None
        output = _render(diff, args.format, head.directory or repo, title=f"{args.base} -> {args.head}")
    # every input was good: now write, each file atomically
    if guide is not None:
        write_text_atomic(Path(args.guide), guide)
    if changelog is not None:
        write_text_atomic(Path(args.changelog), changelog)
    _emit(output, args.output)
    if args.fail_on == "never":
        return 0
    if args.fail_on == "error":
        return 1 if any(c.old_style_sites for c in diff.breaking) else 0
    return 1 if diff.breaking or diff.setting_changes else 0


def _side_contract(side: Side, settings: ContractSettings, cache: Path | None) -> Contract:
    if side.contract_file is not None:
        return load_contract(side.contract_file)
    assert side.directory is not None
    return extract_tree(side.directory, settings.packages, settings.exclude, cache_dir=cache)


def _cache_dir(repo: Path) -> Path | None:
    """The project's cache folder (shared with `asyncguard check`); None when it cannot be made."""
    try:
        from asyncguard.checks.config import load_settings
        from asyncguard.checks.pipeline import cache_dir_for

        return cache_dir_for(repo.resolve(), load_settings(repo.resolve()))
    except Exception:  # a broken [tool.asyncguard] is reported by `asyncguard check`; run uncached
        return None


def _lock_allow(side: Side, settings: ContractSettings) -> tuple[AllowEntry, ...]:
    if side.contract_file is not None or side.directory is None:
        return ()
    lock = side.directory / settings.file
    return tuple(load_contract(lock).allow) if lock.is_file() else ()


def _changed_lines(repo: Path, base: Side, head: Side) -> dict[str, set[int]]:
    """Lines the change touched: from git when base is a commit and head a commit or the work tree."""
    if base.commit is None:
        return {}
    if head.commit is not None:
        from asyncguard.checks.diffparse import parse_unified_diff

        files = parse_unified_diff(changed_lines_between(repo, base.commit, head.commit))
        return {path: set(fd.added_lines) for path, fd in files.items()}
    if head.directory is not None and head.directory.resolve() == repo.resolve():
        from asyncguard.checks.gitdiff import GitError, changed_lines

        try:
            return {path: set(fd.added_lines) for path, fd in changed_lines(repo, base.commit).items()}
        except GitError:
            return {}
    return {}


def _render(diff: ContractDiff, fmt: str, root: Path, title: str) -> str:
    if fmt == "text":
        return render_text(diff, title)
    from asyncguard.checks.render import render
    from asyncguard.checks.report import Report

    report = Report(root=str(root), findings=diff_findings(diff), contract_diff=diff)
    if fmt == "json":
        data = diff_to_dict(diff)
        data["setting_changes"] = [{"key": sc.key, "message": sc.message, "path": sc.path, "before": sc.before,
                                    "after": sc.after} for sc in diff.setting_changes]
        data["findings"] = json.loads(render(report, "json"))
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return render(report, fmt)


def render_text(diff: ContractDiff, title: str) -> str:
    """The terminal view: one line per change, call sites under the breaking ones."""
    lines = [f"asyncguard contracts: {title}"]
    if not diff.changes:
        lines.append("no change to the public interface")
        return "\n".join([*lines, *_governed_lines(diff)]) + "\n"
    for change in diff.changes:
        tag = "approved" if change.allowed else ("BREAKING" if change.breaking else "compatible")
        where = f"{change.path}:{change.line}" if change.path else ""
        also = f" (also {', '.join(change.aliases)})" if change.aliases else ""
        lines.append(f"  {tag:<10} {change.code} {change.message}{also}  {where}".rstrip())
        if change.allowed:
            lines.append(f"             approved: {change.allow_reason}")
        for site in change.call_sites:
            label = "still old-style" if site.status == "old-style" else "updated"
            lines.append(f"             {label}: {site.path}:{site.line}:{site.column}")
    n = len(diff.breaking)
    lines.append(
        f"{n} breaking change{'s' if n != 1 else ''} ({len(diff.changes)} in all); recommended bump: {diff.bump}"
    )
    lines += _governed_lines(diff)
    if diff.version_check is not None:
        lines.append(("" if diff.version_check.ok else "version: ") + diff.version_check.message)
    return "\n".join(lines) + "\n"


def _governed_lines(diff: ContractDiff) -> list[str]:
    """The head's edits to the contract settings / allowlist: each needs approval, like a break."""
    return [f"  {'GOVERNED':<10} {sc.key}: {sc.message}  {sc.path}".rstrip() for sc in diff.setting_changes]


def _emit(text: str, output: str | None) -> None:
    if output:
        write_text_atomic(Path(output), text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
