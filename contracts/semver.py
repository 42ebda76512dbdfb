"""Recommend the version bump an interface change needs, and check the one the PR makes.

SemVer: a breaking change needs a major bump, an addition or deprecation a minor one, anything else
a patch. Below 1.0 everything shifts down one place (breaking -> minor, additions -> patch), as
Cargo and most Python projects read `0.x`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from asyncguard.contracts.model import Bump, Change, VersionCheck

_ORDER: dict[Bump, int] = {"none": 0, "patch": 1, "minor": 2, "major": 3}
_FEATURE_CODES = frozenset({"AG230", "AG231", "AG232", "AG233", "AG234", "AG235", "AG237"})
_VERSION = re.compile(r"^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    if not text:
        return None
    match = _VERSION.match(text)
    if match is None:
        return None
    major, minor, patch = (int(g) if g is not None else 0 for g in match.groups())
    return major, minor, patch


def recommend_bump(changes: Sequence[Change], base_version: str | None) -> Bump:
    """Breaking changes count even when approved: an approval accepts the break, not a wrong version."""
    if any(c.breaking for c in changes):
        bump: Bump = "major"
    elif any(c.code in _FEATURE_CODES for c in changes):
        bump = "minor"
    elif changes:
        bump = "patch"
    else:
        return "none"
    version = parse_version(base_version)
    if version is not None and version[0] == 0:
        bump = {"major": "minor", "minor": "patch"}.get(bump, bump)  # type: ignore[assignment]
    return bump


def actual_bump(base: tuple[int, int, int], head: tuple[int, int, int]) -> Bump:
    if head <= base:
        return "none"
    if head[0] > base[0]:
        return "major"
    if head[1] > base[1]:
        return "minor"
    return "patch"


def check_version(base_text: str | None, head_text: str | None, needed: Bump) -> VersionCheck | None:
    """None when the PR does not change the version; else whether its bump is big enough."""
    if base_text is None or head_text is None or base_text == head_text:
        return None
    base, head = parse_version(base_text), parse_version(head_text)
    if base is None or head is None:
        return VersionCheck(
            base_text, head_text, None, False, f"cannot compare versions {base_text} -> {head_text}"
        )
    actual = actual_bump(base, head)
    if actual == "none":
        return VersionCheck(
            base_text, head_text, actual, False, f"version went from {base_text} to {head_text}: not a bump"
        )
    # Below 1.0 the "minor" place carries breaking changes, so compare in that shifted scale.
    needed_rank = _ORDER[needed]
    actual_rank = _ORDER[actual]
    if base[0] == 0 and head[0] == 0:
        needed_rank += 1 if needed in ("minor", "patch") else 0
        actual_rank += 1 if actual in ("minor", "patch") else 0
    ok = actual_rank >= needed_rank
    verdict = "enough" if ok else f"too small: the interface changes need a {needed} bump"
    return VersionCheck(
        base_text, head_text, actual, ok, f"version {base_text} -> {head_text} is a {actual} bump, {verdict}"
    )
