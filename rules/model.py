"""The data every rule produces and every renderer consumes.

Positions are 1-based lines and 1-based columns counted in characters (not UTF-8 bytes),
as editors and GitHub expect. Fixes are plain text edits so any front end can apply them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class TextEdit:
    """Replace the text between two positions (end exclusive) with `replacement`."""

    line: int
    column: int
    end_line: int
    end_column: int
    replacement: str


@dataclass(frozen=True)
class Fix:
    description: str
    edits: tuple[TextEdit, ...]
    safe: bool = True


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    message: str
    path: str  # POSIX path relative to the project root
    line: int
    column: int
    end_line: int
    end_column: int
    severity: Severity
    fix: Fix | None = None
    chain: tuple[str, ...] = field(default=())  # e.g. the call chain of AG107

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)
