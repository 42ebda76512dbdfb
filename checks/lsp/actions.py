"""Code actions and hovers for one document's findings.

A fix is made by the same libcst codemod as `asyncguard check --fix` (`checks.fixer.fix_source_cst`)
on the buffer's text, and sent as the one text edit between the old and the new text. "Suppress
on this line" writes the marker `checks.suppress` reads, adding the code to a marker already
there.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Iterable, Sequence

from lsprotocol import types
from pygls.workspace import PositionCodec

from asyncguard.checks.cst_fix import CstError
from asyncguard.checks.fixer import fix_source_cst
from asyncguard.checks.links import rule_url
from asyncguard.checks.lsp.convert import SOURCE, finding_range, replace_edit
from asyncguard.checks.lsp.why import one_line_why
from asyncguard.checks.suppress import MARKER
from asyncguard.rules.model import Finding

# Python 3.12 tokenizes f-strings into parts; their middle may span lines like a string does.
_STRING_TOKENS = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.{SOURCE}"


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _contains(r: types.Range, p: types.Position) -> bool:
    return (r.start.line, r.start.character) <= (p.line, p.character) <= (r.end.line, r.end.character)


def _edit(uri: str, version: int | None, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    """Tied to the document version the findings came from: a stale edit is refused by the client."""
    return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
        edits=list(edits),
    )])


def fixed_text(text: str, findings: Sequence[Finding]) -> str | None:
    """The text with the findings' safe fixes made by the codemod; None when none applies."""
    try:
        new_text, applied, _ = fix_source_cst(text, [f for f in findings if f.fix is not None and f.fix.safe])
    except CstError:
        return None
    return new_text if applied and new_text != text else None


def _string_lines(text: str) -> set[int]:
    """Lines (1-based) that end inside a string or a backslash continuation: no comment fits there."""
    out: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.end[0] > tok.start[0] and tok.type in _STRING_TOKENS:
                out.update(range(tok.start[0], tok.end[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    for number, line in enumerate(text.splitlines(), start=1):
        if line.rstrip().endswith("\\"):
            out.add(number)
    return out


def suppress_edit(lines: Sequence[str], codec: PositionCodec, text: str, f: Finding) -> types.TextEdit | None:
    """`# asyncguard: ignore[CODE]` at the end of the finding's line (or CODE added to its marker)."""
    index = f.line - 1
    if not 0 <= index < len(lines) or f.line in _string_lines(text):
        return None
    line = lines[index].rstrip("\r\n")
    marker = MARKER.search(line)
    if marker is not None:
        if marker.group(1) is None:
            return None  # a bare marker already suppresses every code
        codes = [c.strip() for c in marker.group(1).split(",") if c.strip()]
        if f.code in codes:
            return None
        start, end = marker.span(1)
        new = ", ".join([*codes, f.code])
    else:
        start = end = len(line)
        new = f"{'  ' if line.strip() else ''}# asyncguard: ignore[{f.code}]"
    return types.TextEdit(
        range=types.Range(
            start=codec.position_to_client_units(lines, types.Position(line=index, character=start)),
            end=codec.position_to_client_units(lines, types.Position(line=index, character=end)),
        ),
        new_text=new,
    )


def code_actions(
    uri: str,
    version: int | None,
    text: str,
    lines: Sequence[str],
    codec: PositionCodec,
    findings: Iterable[Finding],
    wanted: types.Range,
    training_url: str | None,
    only: Sequence[str] | None = None,
) -> list[types.CodeAction]:
    """Quick fixes (the codemod, suppress on this line) for the findings under `wanted`; fix all."""
    from asyncguard.checks.lsp.convert import to_diagnostic

    findings = list(findings)
    out: list[types.CodeAction] = []
    want_quick = not only or any(k.startswith(types.CodeActionKind.QuickFix.value) for k in only)
    want_all = not only or any(FIX_ALL_KIND.startswith(k) or k.startswith(FIX_ALL_KIND) for k in only)
    for f in findings:
        if not want_quick or not _overlaps(finding_range(codec, lines, f), wanted):
            continue
        diagnostic = to_diagnostic(codec, lines, f, training_url)
        if f.fix is not None and f.fix.safe:
            new_text = fixed_text(text, [f])
            edit = replace_edit(codec, lines, text, new_text) if new_text is not None else None
            if edit is not None:
                out.append(types.CodeAction(
                    title=f"{f.fix.description} ({f.code})", kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic], is_preferred=True, edit=_edit(uri, version, [edit]),
                ))
        if f.code != "AG000":
            edit = suppress_edit(lines, codec, text, f)
            if edit is not None:
                out.append(types.CodeAction(
                    title=f"Suppress {f.code} on this line", kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic], edit=_edit(uri, version, [edit]),
                ))
    if want_all:
        new_text = fixed_text(text, findings)
        edit = replace_edit(codec, lines, text, new_text) if new_text is not None else None
        if edit is not None:
            out.append(types.CodeAction(
                title="Fix all asyncguard findings with a safe fix", kind=FIX_ALL_KIND,
                edit=_edit(uri, version, [edit]),
            ))
    return out


def hover(
    lines: Sequence[str], codec: PositionCodec, findings: Iterable[Finding], at: types.Position,
    training_url: str | None,
) -> types.Hover | None:
    """For each finding under the cursor: its code and name, message, the rule's one-line why, its page."""
    parts = []
    for f in findings:
        if not _contains(finding_range(codec, lines, f), at):
            continue
        parts.append(
            f"**{f.code} {f.name}**: {f.message}\n\n{one_line_why(f.code)}\n\n"
            f"[{f.code} on the training site]({rule_url(f.code, training_url)})"
        )
    if not parts:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                    value="\n\n---\n\n".join(parts)))
