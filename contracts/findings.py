"""Contract changes as report findings, so every renderer and the bot show them like rule findings.

Severity: a flip with a call site still in the old style is the exact incident, an error at that
call site; any other breaking change is a warning at the definition (governance decides whether it
may merge); compatible and approved changes are info.
"""

from __future__ import annotations

from asyncguard.contracts.codes import CHANGE_CODES
from asyncguard.contracts.model import Change, ContractDiff
from asyncguard.rules.model import Finding, Severity

_FLIPS = frozenset({"AG202", "AG203", "AG204", "AG205"})
# changes whose old-style call sites are certain breakage: the site gets an error finding
_ERROR_AT_SITES = _FLIPS | {"AG201", "AG220"}


def diff_findings(diff: ContractDiff) -> list[Finding]:
    findings: list[Finding] = []
    for change in diff.changes:
        findings.append(_at_definition(change))
        if change.code in _ERROR_AT_SITES and not change.allowed:
            findings.extend(_at_call_sites(change))
    return sorted(findings, key=lambda f: f.sort_key)


def _severity(change: Change) -> Severity:
    if change.allowed or not change.breaking:
        return Severity.INFO
    if change.code in _ERROR_AT_SITES and change.old_style_sites:
        return Severity.ERROR
    return Severity.WARNING


def _at_definition(change: Change) -> Finding:
    message = change.message
    if change.aliases:
        message += f" (also public as {', '.join(change.aliases)})"
    if change.allowed:
        message += f" (approved: {change.allow_reason})"
    elif change.old_style_sites:
        n = len(change.old_style_sites)
        message += f"; {n} call site{' still uses' if n == 1 else 's still use'} the old style"
    return Finding(
        code=change.code,
        name=CHANGE_CODES[change.code].name,
        message=message,
        path=change.path,
        line=max(change.line, 1),
        column=1,
        end_line=max(change.line, 1),
        end_column=1,
        severity=_severity(change),
    )


def _what(change: Change) -> str:
    """What the change did, in a few words, for a message at a call site."""
    return {
        "AG201": "removed in this change",
        "AG202": "now `async def`",
        "AG203": "no longer async",
        "AG204": "now async",
        "AG205": "no longer async",
        "AG220": f"renamed to {change.new_symbol}",
    }.get(change.code, change.message)


def _hint(change: Change, usage: str) -> str:
    code = change.code
    if code == "AG201":
        return "the name no longer exists"
    if code == "AG220":
        return f"import {change.new_symbol} instead"
    if code == "AG202":
        return "add `await` (or schedule it as a task)"
    if code == "AG203":
        return "remove the `await`"
    entering = "with" in usage
    if code == "AG204":
        return "enter it with `async with`" if entering else "iterate with `async for`"
    return "enter it with plain `with`" if entering else "iterate with plain `for`"


def _at_call_sites(change: Change) -> list[Finding]:
    out = []
    for site in change.old_style_sites:
        hint = _hint(change, site.usage)
        out.append(
            Finding(
                code=change.code,
                name=CHANGE_CODES[change.code].name,
                message=(
                    f"still imports {change.symbol} ({_what(change)}); {hint}"
                    if site.usage == "import"
                    else f"call to {change.symbol} still uses the old style ({_what(change)}); {hint}"
                ),
                path=site.path,
                line=site.line,
                column=site.column,
                end_line=site.end_line or site.line,
                end_column=site.end_column or site.column,
                severity=Severity.ERROR,
                chain=(change.symbol,),
            )
        )
    return out
