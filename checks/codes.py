"""One lookup over both families of codes: analyzer rules (AG0xx/AG1xx) and contract changes (AG2xx).

Config, suppressions and renderers accept either family, so they ask here instead of each
knowing both registries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from asyncguard.contracts.codes import CHANGE_CODES
from asyncguard.rules.model import Severity
from asyncguard.rules.registry import RULES


@dataclass(frozen=True)
class CodeInfo:
    code: str
    name: str
    summary: str
    severity: Severity
    default_enabled: bool
    fixable: bool


def all_codes() -> dict[str, CodeInfo]:
    """Every known code, rules first, in code order."""
    out: dict[str, CodeInfo] = {}
    for r in RULES.values():
        out[r.code] = CodeInfo(r.code, r.name, r.summary, r.severity, r.default_enabled, r.fixable)
    for c in CHANGE_CODES.values():
        sev = Severity.ERROR if c.breaking else Severity.INFO
        out[c.code] = CodeInfo(c.code, c.name, c.summary, sev, True, False)
    return dict(sorted(out.items()))


def code_info(code: str) -> CodeInfo | None:
    """The code's entry, or None when no registry knows it."""
    return all_codes().get(code.upper())


def expand_selector(selector: str) -> frozenset[str]:
    """`AG101` -> {AG101}; a prefix such as `AG1` or `AG10` -> every code it starts; `ALL` -> all.

    Raises ValueError naming the selector when it matches nothing, so a typo never silently
    disables a rule.
    """
    sel = selector.strip().upper()
    codes = all_codes()
    if sel == "ALL":
        return frozenset(codes)
    if not re.fullmatch(r"AG\d{1,3}", sel):
        raise ValueError(f"unknown rule code {selector!r} (codes look like AG101)")
    matched = frozenset(c for c in codes if c.startswith(sel))
    if not matched:
        raise ValueError(f"unknown rule code {selector!r}")
    return matched
