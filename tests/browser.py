"""What the real-Chromium tests share: the browser binary, its flags, and a watch on a page.

The training site uses Playwright's sync API and the dashboard its async one; both `Page` kinds
emit the same events, so one watcher serves both.
"""

from __future__ import annotations

import os
from typing import Any

# Debian's package, installed by scripts/test; ASYNCGUARD_CHROMIUM names another binary
CHROMIUM = os.environ.get("ASYNCGUARD_CHROMIUM") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class PageWatch:
    """Everything that went wrong while pages loaded, and every URL requested."""

    def __init__(self, page: Any, console_levels: tuple[str, ...] = ("error",)) -> None:
        self.problems: list[str] = []
        self.requests: list[str] = []
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"{r.status}: {r.url}"))
        page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        page.on("console", lambda m: m.type in console_levels and self.problems.append(f"console: {m.text}"))
