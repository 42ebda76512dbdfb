"""Stable identities for findings, so SARIF uploads and the bot's comments survive line shifts.

A fingerprint hashes the rule code, the path and the finding line's text (whitespace-squeezed),
plus an occurrence number when the same text carries the same code twice in one file.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from asyncguard.rules.model import Finding


def _line_text(root: Path | None, path: str, line: int, cache: dict[str, list[str]]) -> str:
    if root is None:
        return f"#{line}"
    if path not in cache:
        try:
            cache[path] = (root / path).read_bytes().decode("utf-8", "replace").splitlines()
        except OSError:
            cache[path] = []
    lines = cache[path]
    if 1 <= line <= len(lines):
        return " ".join(lines[line - 1].split())
    return f"#{line}"


def fingerprints(findings: Sequence[Finding], root: Path | str | None = None) -> list[str]:
    """One hex fingerprint per finding, in the same order."""
    base = Path(root) if root else None
    cache: dict[str, list[str]] = {}
    seen: Counter[str] = Counter()
    out: list[str] = []
    for f in findings:
        key = "\0".join((f.code, f.path, _line_text(base, f.path, f.line, cache)))
        seen[key] += 1
        digest = hashlib.sha256(f"{key}\0{seen[key]}".encode("utf-8", "surrogateescape")).hexdigest()
        out.append(digest[:32])
    return out
