"""Pages never claim a run-time error that does not happen: run every example with CPython.

Each rule page's `runtime.error` must appear verbatim in its "Why it breaks at run time" section
and in the output of its bad example; its good example must exit 0 without that text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from asyncguard.checks.training import Example, Page, kb_pages, rule_pages

RUNTIME_PAGES = [p for p in rule_pages() if p.kind == "rule" and (p.meta.get("runtime") or {}).get("error")]


def _run(example: Example, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    entry = example.write(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run(
        [sys.executable, "-X", "dev", entry.name],
        cwd=entry.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_most_rule_pages_show_their_failure() -> None:
    """Every rule page shows its run-time failure, or says in `runtime.none` why it has none (AG001
    is about the configuration, not the program)."""
    rules = [p for p in rule_pages() if p.kind == "rule"]
    without = {p.code for p in rules} - {p.code for p in RUNTIME_PAGES}
    assert all(isinstance(p.meta["runtime"].get("none"), str) for p in rules if p.code in without), without
    assert without <= {"AG001"}, without


@pytest.mark.parametrize("page", RUNTIME_PAGES, ids=lambda p: p.code)
def test_claimed_error_is_in_the_page(page: Page) -> None:
    error = page.meta["runtime"]["error"]
    assert error in page.sections["Why it breaks at run time"]


@pytest.mark.parametrize("page", RUNTIME_PAGES, ids=lambda p: p.code)
def test_bad_example_fails_as_claimed(page: Page, tmp_path: Path) -> None:
    proc = _run(page.example("bad"), tmp_path)
    assert page.meta["runtime"]["error"] in proc.stdout + proc.stderr, proc.stdout + proc.stderr


@pytest.mark.parametrize("page", RUNTIME_PAGES, ids=lambda p: p.code)
def test_good_example_runs_clean(page: Page, tmp_path: Path) -> None:
    proc = _run(page.example("good"), tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert page.meta["runtime"]["error"] not in out
    assert "never awaited" not in out and "Traceback" not in out, out


CONTRACT_PAGES = [p for p in rule_pages() if p.kind == "contract"]


def _after(page: Page) -> Example:
    """The head tree: the base's modules with the changed ones replaced."""
    before, after = page.example("before"), page.example("after")
    return Example("after", {**before.files, **after.files})


@pytest.mark.parametrize("page", CONTRACT_PAGES, ids=lambda p: p.code)
def test_contract_example_runs_before_and_breaks_after_as_claimed(page: Page, tmp_path: Path) -> None:
    before = _run(page.example("before"), tmp_path / "before")
    assert before.returncode == 0, before.stdout + before.stderr
    after = _run(_after(page), tmp_path / "after")
    out = after.stdout + after.stderr
    runtime = page.meta.get("runtime")
    if runtime:
        assert runtime["error"] in out, out
        assert runtime["error"] in page.sections["Why it breaks callers"]
    else:
        assert after.returncode == 0, out
        if page.meta["breaking"]:  # a silent break: same program, different behaviour
            assert after.stdout != before.stdout, out
        else:  # compatible: the unchanged caller behaves exactly as before
            assert after.stdout == before.stdout, out


KB_EXAMPLES = [(p, ex) for p in kb_pages() for ex in p.examples]


def test_every_kb_page_has_a_runnable_example() -> None:
    assert {p.slug for p, _ in KB_EXAMPLES} == {p.slug for p in kb_pages()}


@pytest.mark.parametrize("page,example", KB_EXAMPLES, ids=lambda v: getattr(v, "slug", ""))
def test_kb_example_runs_clean(page: Page, example: Example, tmp_path: Path) -> None:
    assert example.title == "good"
    proc = _run(example, tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Traceback" not in out and "never awaited" not in out and "Task was destroyed" not in out, out
    assert proc.stdout.strip(), "a KB example prints what it demonstrates"
