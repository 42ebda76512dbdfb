"""System pieces some tests need beyond the Python packages: headless Chromium and PostgreSQL.

`scripts/test` installs them (apt-get, as root or with passwordless sudo). A contributor without
root still runs every other test: `tests/conftest.py` deselects the tests marked `browser` or
`postgresql` when their piece is missing and lists each one at the end of the run. Under
`CI=true` a missing piece is an error before any test runs, never a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.browser import CHROMIUM

PIECES = {
    "browser": "headless Chromium",
    "postgresql": "PostgreSQL server binaries",
}


def missing() -> dict[str, str]:
    """Marker -> why its piece is not usable here (empty when everything is)."""
    out: dict[str, str] = {}
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        out["browser"] = f"headless Chromium not found at {CHROMIUM} (apt-get install chromium; or set ASYNCGUARD_CHROMIUM)"
    from tests.pgserver import PostgresUnavailable, find_bindir

    try:
        find_bindir()
    except PostgresUnavailable as exc:
        out["postgresql"] = str(exc)
    return out


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
