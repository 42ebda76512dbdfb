"""Whether to color terminal output, by the conventions ruff, mypy and most CLIs share.

`--color always|never` wins; otherwise a non-empty NO_COLOR turns color off (https://no-color.org),
a non-empty FORCE_COLOR turns it on, and else color is used only on a terminal that is not `dumb`.
"""

from __future__ import annotations

import os
from typing import TextIO

COLOR_MODES = ("auto", "always", "never")

BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
RED, YELLOW, BLUE, CYAN = "\x1b[31m", "\x1b[33m", "\x1b[34m", "\x1b[36m"


def use_color(mode: str, stream: TextIO) -> bool:
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def paint(text: str, *styles: str, on: bool = True) -> str:
    """`text` wrapped in the ANSI styles when `on`, as it is otherwise."""
    return f"{''.join(styles)}{text}{RESET}" if on and styles else text
