"""One Report per run: analyzer findings plus (optionally) the contract diff and the checklist.

The CLI, pre-commit and the bot all render this same object, so a developer sees locally
exactly what the bot will say on the pull request.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asyncguard.rules.model import Finding, Severity


@dataclass
class ChecklistItem:
    id: str
    text: str
    why: str = ""


@dataclass
class Report:
    root: str
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    # contracts.diff.ContractDiff when a base/head comparison ran (typed loosely: checks must not
    # force an import cycle with contracts)
    contract_diff: Any = None
    checklist: list[ChecklistItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. config errors, files skipped
    # (path, line) of call sites this change broke in files it did not touch: always errors
    broken_sites: set[tuple[str, int]] = field(default_factory=set)

    def counts_by_rule(self) -> Counter[str]:
        return Counter(f.code for f in self.findings)

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    def failing(self, level: str, enforced: Callable[[str], bool] | None = None) -> list[Finding]:
        """The findings at `level` (`error`, `warning`, `info`, or `never`) or above whose rule is
        enforced (`enforced(code)`; rules in warn mode are reported and never fail)."""
        if level == "never":
            return []
        limit = _RANK[Severity(level)]
        return [f for f in self.findings if _RANK[f.severity] <= limit and (enforced is None or enforced(f.code))]

    def fails(self, level: str, enforced: Callable[[str], bool] | None = None) -> bool:
        return bool(self.failing(level, enforced))


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
