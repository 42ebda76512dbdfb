from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from asyncguard.rules.engine import RuleConfig, analyze
from asyncguard.rules.model import Finding

Project = Callable[..., list[Finding]]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """Write {path: source} into a temp project and analyze it; returns the findings."""

    def run(files: dict[str, str], config: RuleConfig | None = None, **kwargs: object) -> list[Finding]:
        for rel, source in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))
        return analyze(tmp_path, config=config, **kwargs).findings  # type: ignore[arg-type]

    return run


def codes(findings: list[Finding]) -> list[tuple[str, str, int]]:
    return [(f.code, f.path, f.line) for f in findings]
