"""`asyncguard training build --out DIR` and `asyncguard explain CODE`: every finding teaches."""

from __future__ import annotations

import argparse
import os
import sys

from asyncguard.checks.links import rule_url
from asyncguard.checks.render.style import use_color
from asyncguard.checks.site import SiteError, build_site
from asyncguard.checks.training import PageError, load_page, render_terminal, rule_pages


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `training build` and `explain`; each sets `func=` to a callable(args) -> int exit code."""
    training = subparsers.add_parser(
        "training", help="build the training site", description="The rule pages and knowledge base."
    )
    tsub = training.add_subparsers(dest="training_command", metavar="COMMAND")
    build = tsub.add_parser("build", help="write the static HTML site", description="Write the static HTML site.")
    build.add_argument("--out", default="site", metavar="DIR", help="output folder (default: ./site)")
    build.add_argument(
        "--base-url", metavar="URL", help="where the site will be served (adds canonical links only)"
    )
    build.set_defaults(func=cmd_build)
    training.set_defaults(func=lambda args: _usage(training))

    explain = subparsers.add_parser(
        "explain", help="show a rule's page in the terminal", description="Show a rule's training page."
    )
    explain.add_argument("code", nargs="?", metavar="CODE", help="a rule or change code, e.g. AG101")
    explain.add_argument("--list", action="store_true", help="list every code with its summary")
    explain.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    explain.set_defaults(func=cmd_explain)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def cmd_build(args: argparse.Namespace) -> int:
    try:
        out = build_site(args.out, base_url=args.base_url)
    except (SiteError, PageError) as exc:
        print(f"asyncguard: error: {exc}", file=sys.stderr)
        return 2
    count = sum(1 for _ in out.rglob("*.html"))
    print(f"wrote {count} pages to {out}/ (open {out / 'index.html'})")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    try:
        if args.list:
            lines = [f"{p.code}  {p.meta.get('name', ''):<32} {p.summary.replace('`', '')}" for p in rule_pages()]
            return _write("\n".join(lines) + "\n")
        if not args.code:
            print("asyncguard: error: give a code (e.g. `asyncguard explain AG101`) or --list", file=sys.stderr)
            return 2
        page = load_page(args.code)
        text = render_terminal(page.code, color=use_color(args.color, sys.stdout))
    except PageError as exc:
        print(f"asyncguard: error: {exc}", file=sys.stderr)
        return 2
    return _write(f"{text}\nOnline: {rule_url(page.code)}\n")


def _write(text: str) -> int:
    """Write to stdout; a reader that quits early (`| head`) is not an error."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
