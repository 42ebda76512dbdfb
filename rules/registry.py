"""The fixed rule codes. Users write these in config and suppressions: never renumber."""

from __future__ import annotations

from dataclasses import dataclass

from asyncguard.rules.model import Severity


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    severity: Severity
    default_enabled: bool = True
    fixable: bool = False


RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule("AG000", "parse-error", "A file that does not parse", Severity.ERROR),
        Rule("AG001", "unused-suppression", "An `asyncguard: ignore` comment that suppresses nothing", Severity.WARNING,
             fixable=True),
        Rule("AG101", "missing-await", "A coroutine that is never awaited", Severity.ERROR, fixable=True),
        Rule("AG102", "await-non-awaitable", "`await` on the result of a plain function", Severity.ERROR, fixable=True),
        Rule("AG103", "with-async-cm", "`with` on an async-only context manager", Severity.ERROR, fixable=True),
        Rule("AG104", "async-with-sync-cm", "`async with` on a sync-only context manager", Severity.ERROR),
        Rule("AG105", "for-async-iterable", "`for` over an async iterable", Severity.ERROR, fixable=True),
        Rule("AG106", "async-for-sync-iterable", "`async for` over a sync iterable", Severity.ERROR),
        Rule("AG107", "blocking-call-in-async", "A blocking call inside `async def`", Severity.WARNING),
        Rule("AG108", "override-async-mismatch", "Override differs in async-ness from its base", Severity.ERROR),
        # Opt-in, like ruff's RUF006: a reference-keeping policy a team adopts, not a defect on every run
        # (training_content/rules/AG109.md, "Why it is off by default").
        Rule("AG109", "dropped-task", "A task that is created and not kept", Severity.WARNING, default_enabled=False),
        Rule("AG110", "coroutine-in-condition", "A coroutine used as a truth value or compared", Severity.ERROR,
             fixable=True),
        Rule("AG111", "nested-event-loop", "An event loop started inside `async def`", Severity.ERROR),
        Rule("AG112", "async-return-annotation", "`async def` annotated to return an awaitable", Severity.WARNING),
        Rule(
            "AG113",
            "probable-missing-await",
            "Discarded call whose name is only an async method in the project",
            Severity.WARNING,
            default_enabled=False,
        ),
        # Inferred from the project's own other call sites (rules.consensus): a warning, with unsafe fixes.
        Rule("AG114", "inconsistent-async-use", "A call used synchronously where the project uses it asynchronously",
             Severity.WARNING, fixable=True),
    )
}


def rule(code: str) -> Rule:
    return RULES[code]
