"""Sub-commands of the `asyncguard` CLI contributed by this package (wired in checks/cli.py)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this package's sub-commands; each sets `func=` to a callable(args) -> int exit code."""
