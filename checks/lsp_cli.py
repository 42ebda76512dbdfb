"""`asyncguard lsp`: the language server over stdio (see checks/lsp/ and editors/)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lsp = subparsers.add_parser(
        "lsp", help="run the language server over stdio (for editors)",
        description="The language server: diagnostics, fixes and hovers in the editor, over stdio.",
    )
    lsp.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default and only transport)")
    lsp.set_defaults(func=cmd_lsp)


def cmd_lsp(args: argparse.Namespace) -> int:
    from asyncguard.checks.lsp.server import serve

    return serve()
