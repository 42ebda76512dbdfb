"""`asyncguard init [ROOT]`: set a project up in one command (or `--print` it for review).

Nothing that exists is replaced without consent: on a terminal each such file is asked about, with
`--force` it is replaced, otherwise init refuses and writes nothing at all (exit 1). New files and
additions to existing ones (a new table, key or hook entry) are written and listed.
Exit codes: 0 done (or printed), 1 refused, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from asyncguard.checks.init import BASELINE_FILE, HOOK_REPO, InitError, Plan, Planned, make_plan


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "init", help="set up a project: config, pre-commit hook, .asyncguard.yml, contract, baseline",
        description="Write [tool.asyncguard], the .pre-commit-config.yaml entry, a starter .asyncguard.yml, "
                    "the first contract file and a baseline of today's findings.")
    p.add_argument("root", nargs="?", default=".", help="the project's root folder (default: .)")
    p.add_argument("--print", dest="print_only", action="store_true",
                   help="print what would be written, write nothing")
    p.add_argument("--force", action="store_true", help="replace files that exist without asking")
    p.add_argument("--team", action="append", default=[], metavar="ORG/TEAM",
                   help="a team whose members may approve breaking interface changes (repeatable)")
    p.add_argument("--interface", action="append", default=[], metavar="GLOB",
                   help="a governed interface path (repeatable; default: the project's packages)")
    p.add_argument("--baseline", default=BASELINE_FILE, metavar="FILE",
                   help=f"the baseline file (default: {BASELINE_FILE}, or the one [tool.asyncguard] names)")
    p.add_argument("--hook-repo", default=HOOK_REPO, metavar="URL",
                   help="the hook repository for .pre-commit-config.yaml (your mirror of asyncguard)")
    p.add_argument("--hook-rev", metavar="REV", help="the hook's rev (default: v<this version>)")
    p.set_defaults(func=cmd_init)


def _rel(plan: Plan, p: Planned) -> str:
    try:
        return p.path.relative_to(plan.root).as_posix()
    except ValueError:
        return str(p.path)


def _ask(question: str) -> bool:
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def _write(p: Planned) -> None:
    """Atomically: a temp file beside it, then rename (an interrupted init leaves no half file)."""
    content = p.new_content if p.action == "append" and p.new_content is not None else p.text
    p.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.path.with_name(f".{p.path.name}.asyncguard-init.tmp")
    tmp.write_text(content, encoding="utf-8")
    os.replace(tmp, p.path)


def cmd_init(args: argparse.Namespace) -> int:
    from asyncguard.checks.cli import version

    root = Path(args.root)
    if not root.is_dir():
        print(f"asyncguard: error: {root}: not a directory", file=sys.stderr)
        return 2
    try:
        plan = make_plan(root, teams=args.team, paths=args.interface, hook_repo=args.hook_repo,
                         hook_rev=args.hook_rev or f"v{version()}", baseline=args.baseline)
    except InitError as exc:
        print(f"asyncguard: error: {exc}", file=sys.stderr)
        return 2
    if args.print_only:
        for p in plan.files:
            print(f"# ---- {_rel(plan, p)}: {p.action} ({p.why}) ----")
            if p.text:
                print(p.text, end="" if p.text.endswith("\n") else "\n")
        return 0
    chosen = [p for p in plan.files if p.writes and p.action != "overwrite"]
    refused: list[Planned] = []
    for p in plan.conflicts:
        if args.force or (sys.stdin.isatty() and _ask(f"{_rel(plan, p)} exists: replace it?")):
            chosen.append(p)
        else:
            refused.append(p)
    if refused and not sys.stdin.isatty():
        names = ", ".join(_rel(plan, p) for p in refused)
        print(f"asyncguard: error: refusing to replace {names}: they exist. Review with `asyncguard init "
              "--print`, then run again with --force (or on a terminal, to be asked). Nothing was written.",
              file=sys.stderr)
        return 1
    order = {id(p): i for i, p in enumerate(plan.files)}
    for p in sorted(chosen, key=lambda p: order[id(p)]):
        _write(p)
    for p in plan.files:
        verb = {"create": "wrote", "append": "added to", "overwrite": "replaced", "keep": "kept",
                "manual": "add by hand to"}[p.action]
        if p in refused:
            verb = "kept (not replaced)"
        print(f"asyncguard: {verb} {_rel(plan, p)}: {p.why}", file=sys.stderr)
        if p.action == "manual":
            print(p.text, file=sys.stderr)
    if any(p.path.name == ".pre-commit-config.yaml" and p.writes for p in chosen):
        print("asyncguard: next: `pre-commit install`, then commit these files", file=sys.stderr)
    return 0
