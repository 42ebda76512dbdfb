"""Findings as LSP diagnostics, and text changes as LSP edits, in the client's position encoding.

Findings count lines from 1 and columns in characters from 1; LSP counts both from 0, and
columns in the code units the client negotiated (UTF-16 unless it offered another): pygls'
`PositionCodec` converts, on the document's own lines.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace import PositionCodec

from asyncguard.checks.links import rule_url
from asyncguard.rules.model import Finding, Severity

SOURCE = "asyncguard"
_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def _position(codec: PositionCodec, lines: Sequence[str], line: int, character: int) -> types.Position:
    """0-based line and code-point column -> the client's units (clamped into the document)."""
    if not lines:
        return types.Position(line=0, character=0)
    if line >= len(lines):
        return types.Position(line=len(lines) - 1, character=codec.client_num_units(lines[-1].rstrip("\r\n")))
    text = lines[line].rstrip("\r\n")
    return codec.position_to_client_units(lines, types.Position(line=line, character=min(character, len(text))))


def finding_range(codec: PositionCodec, lines: Sequence[str], f: Finding) -> types.Range:
    """The finding's span; an empty one (AG000's point) widens to the rest of its line."""
    start = (f.line - 1, f.column - 1)
    end = (max(f.end_line, f.line) - 1, f.end_column - 1)
    if end <= start:
        text = lines[start[0]].rstrip("\r\n") if 0 <= start[0] < len(lines) else ""
        end = (start[0], len(text) if len(text) > start[1] else start[1] + 1)
    return types.Range(start=_position(codec, lines, *start), end=_position(codec, lines, *end))


def to_diagnostic(codec: PositionCodec, lines: Sequence[str], f: Finding, training_url: str | None) -> types.Diagnostic:
    """The CLI's finding as the editor shows it: same code, message, severity and training link."""
    message = f.message
    if f.chain:
        message += f"\nvia: {' -> '.join(f.chain)}"
    return types.Diagnostic(
        range=finding_range(codec, lines, f),
        message=message,
        severity=_SEVERITY.get(f.severity, types.DiagnosticSeverity.Warning),
        code=f.code,
        code_description=types.CodeDescription(href=rule_url(f.code, training_url)),
        source=SOURCE,
        data={"name": f.name, "fixable": f.fix is not None},
    )


def offset_position(codec: PositionCodec, lines: Sequence[str], text: str, offset: int) -> types.Position:
    """A character offset into `text` (whose lines are `lines`) as an LSP position."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return _position(codec, lines, line, offset - start)


def replace_edit(codec: PositionCodec, lines: Sequence[str], old: str, new: str) -> types.TextEdit | None:
    """One edit turning `old` into `new`: the span between their common prefix and suffix."""
    if old == new:
        return None
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    return types.TextEdit(
        range=types.Range(start=offset_position(codec, lines, old, start),
                          end=offset_position(codec, lines, old, end_old)),
        new_text=new[start:end_new],
    )
