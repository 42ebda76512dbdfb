"""The libcst codemod behind `--fix`: the findings' fixes performed on the concrete syntax tree.

A finding carries its fix as text edits (what editors and the GitHub bot apply). `--fix` does not
splice those edits in; it reads which change they describe and makes it on libcst's tree, where
everything but the changed node is reproduced exactly:

| text edit | change on the tree |
|---|---|
| insert `await ` at a call (AG101, AG110) | the call becomes `cst.Await(call)` |
| insert `(await ` … `)` around a call | the same, parenthesised: `(await f()).x`, `(await f())()` |
| delete from `await` to its operand (AG102) | the `Await` becomes its operand |
| insert `async ` at a `with` / `for` (AG103, AG105) | `asynchronous=cst.Asynchronous()` |

Nodes are found with `PositionProvider`: the node whose (parenthesis-free) start, and for calls and
awaits end, is the finding's span. Parentheses around a call move out to the `await` (`(f())` ->
`(await f())`); a parenthesised call needs no new ones after an attribute (`(await f()).x`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import CodeRange, ParentNodeProvider, PositionProvider

from asyncguard.rules.model import Finding, Fix


class Kind(StrEnum):
    ADD_AWAIT = "add-await"
    REMOVE_AWAIT = "remove-await"
    ASYNC_STATEMENT = "async-statement"  # `async with` / `async for`


Pos = tuple[int, int]  # 1-based line, 0-based column in characters, as libcst counts them


@dataclass(frozen=True)
class Target:
    """One node to change: `start` (and `end` when known) of the node without its parentheses."""

    kind: Kind
    start: Pos
    end: Pos | None = None
    operand: Pos | None = None  # REMOVE_AWAIT: where the awaited expression starts
    parens: bool = False  # ADD_AWAIT: the text edit parenthesises `(await f())`


class CstError(Exception):
    """libcst cannot parse the file, would not reproduce it byte for byte, or cannot make the change."""


def _pos(line: int, column: int) -> Pos:
    return (line, column - 1)


def target_of(fix: Fix, finding: Finding | None = None) -> Target | None:
    """The tree change a fix's text edits describe, or None when they describe none we know."""
    edits = fix.edits
    if len(edits) == 1:
        (e,) = edits
        start, end = _pos(e.line, e.column), _pos(e.end_line, e.end_column)
        if start == end and e.replacement == "await ":
            if finding is None or _pos(finding.line, finding.column) != start:
                return None  # which of the calls starting here is meant: only the finding says
            return Target(Kind.ADD_AWAIT, start, _pos(finding.end_line, finding.end_column))
        if start == end and e.replacement == "async ":
            return Target(Kind.ASYNC_STATEMENT, start)
        if start < end and e.replacement == "":
            end_of_await = None
            if finding is not None and _pos(finding.line, finding.column) == start:
                end_of_await = _pos(finding.end_line, finding.end_column)
            return Target(Kind.REMOVE_AWAIT, start, end_of_await, operand=end)
        return None
    if len(edits) == 2:
        a, b = sorted(edits)
        if (
            (a.line, a.column) == (a.end_line, a.end_column)
            and a.replacement == "(await "
            and (b.line, b.column) == (b.end_line, b.end_column)
            and b.replacement == ")"
        ):
            return Target(Kind.ADD_AWAIT, _pos(a.line, a.column), _pos(b.line, b.column), parens=True)
    return None


def _needs_parens(call: cst.Call, parent: cst.CSTNode | None) -> bool:
    """`await` binds looser than `.x`, `[i]` and `(...)`: a call in those places needs parentheses."""
    if isinstance(parent, cst.Attribute | cst.Subscript):
        return parent.value is call
    if isinstance(parent, cst.Call):
        return parent.func is call
    return False


class AsyncFixCommand(VisitorBasedCodemodCommand):
    """Make the changes `targets` name; `applied` lists those that found their node."""

    DESCRIPTION = "asyncguard --fix: add or remove `await`, make `with` / `for` async"
    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider)

    def __init__(self, context: CodemodContext, targets: Iterable[Target]) -> None:
        super().__init__(context)
        self._by_start: dict[tuple[Kind, Pos], list[Target]] = defaultdict(list)
        for t in targets:
            self._by_start[(t.kind, t.start)].append(t)
        self.applied: list[Target] = []

    def _range(self, node: cst.CSTNode) -> CodeRange:
        return self.get_metadata(PositionProvider, node)

    def _take(self, kind: Kind, node: cst.CSTNode, operand: cst.CSTNode | None = None) -> Target | None:
        rng = self._range(node)
        start, end = (rng.start.line, rng.start.column), (rng.end.line, rng.end.column)
        for t in self._by_start.get((kind, start), []):
            if t.end is not None and t.end != end:
                continue
            if t.operand is not None and t.end is None:  # with the finding's end the node is known
                if operand is None:
                    continue
                o = self._range(operand).start
                if (o.line, o.column) != t.operand:
                    continue
            self._by_start[(kind, start)].remove(t)
            self.applied.append(t)
            return t
        return None

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        target = self._take(Kind.ADD_AWAIT, original_node)
        if target is None:
            return updated_node
        parent = self.get_metadata(ParentNodeProvider, original_node, None)
        if isinstance(parent, cst.Await):
            return updated_node  # already awaited: the fix is in
        lpar, rpar = list(updated_node.lpar), list(updated_node.rpar)
        if not lpar and (target.parens or _needs_parens(original_node, parent)):
            lpar, rpar = [cst.LeftParen()], [cst.RightParen()]
        return cst.Await(expression=updated_node.with_changes(lpar=[], rpar=[]), lpar=lpar, rpar=rpar)

    def leave_Await(self, original_node: cst.Await, updated_node: cst.Await) -> cst.BaseExpression:
        if self._take(Kind.REMOVE_AWAIT, original_node, original_node.expression) is None:
            return updated_node
        expr = updated_node.expression
        return expr.with_changes(lpar=[*updated_node.lpar, *expr.lpar], rpar=[*expr.rpar, *updated_node.rpar])

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.With:
        if self._take(Kind.ASYNC_STATEMENT, original_node) is None or updated_node.asynchronous:
            return updated_node
        return updated_node.with_changes(asynchronous=cst.Asynchronous())

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        if self._take(Kind.ASYNC_STATEMENT, original_node) is None or updated_node.asynchronous:
            return updated_node
        return updated_node.with_changes(asynchronous=cst.Asynchronous())


def parse(text: str) -> cst.Module:
    """libcst's tree of `text`, which must print back as `text` exactly."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise CstError(f"libcst cannot parse it (syntax error at line {exc.raw_line})") from exc
    except (RecursionError, ValueError) as exc:
        raise CstError(f"libcst cannot parse it ({type(exc).__name__})") from exc
    if module.code != text:
        raise CstError("libcst would not reproduce it byte for byte")
    return module


def transform(text: str, targets: list[Target]) -> tuple[str, list[Target]]:
    """Apply `targets` to `text`; returns the new text and the targets that found their node."""
    module = parse(text)
    command = AsyncFixCommand(CodemodContext(), targets)
    try:
        return command.transform_module(module).code, command.applied
    except cst.CSTValidationError as exc:
        raise CstError(f"libcst could not make the change ({exc})") from exc
