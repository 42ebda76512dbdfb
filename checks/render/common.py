"""What every output format says about a finding, computed once."""

from __future__ import annotations

from typing import Any

from asyncguard.checks.codes import code_info
from asyncguard.checks.links import rule_url
from asyncguard.rules.model import Finding, Fix


def rule_name(f: Finding) -> str:
    if f.name:
        return f.name
    info = code_info(f.code)
    return info.name if info else f.code


def fix_dict(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "description": fix.description,
        "safe": fix.safe,
        "edits": [
            {
                "line": e.line,
                "column": e.column,
                "end_line": e.end_line,
                "end_column": e.end_column,
                "replacement": e.replacement,
            }
            for e in fix.edits
        ],
    }


def finding_dict(f: Finding, base_url: str | None = None) -> dict[str, Any]:
    """The JSON shape of a finding (also what the bot and tests compare against)."""
    return {
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "end_column": f.end_column,
        "code": f.code,
        "name": rule_name(f),
        "message": f.message,
        "severity": str(f.severity),
        "fix": fix_dict(f.fix),
        "help_url": rule_url(f.code, base_url),
        "chain": list(f.chain),
    }
