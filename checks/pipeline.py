"""Compose one Report: the analyzer, config, suppressions, diff scope, and for PRs the contract diff
and the tailored checklist. The CLI, pre-commit and the bot all come through here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asyncguard.checks.config import Settings
from asyncguard.checks.diffparse import FileDiff
from asyncguard.checks.discover import discover, is_excluded, relpath
from asyncguard.checks.report import ChecklistItem, Report
from asyncguard.checks.suppress import filter_suppressed
from asyncguard.rules.model import Finding, Fix

if TYPE_CHECKING:
    from asyncguard.rules.engine import AnalysisResult

ANNOTATE_SCOPES = ("changed-lines", "changed-files", "all")
CACHE_DIRNAME = ".asyncguard_cache"


def cache_dir_for(root: Path, settings: Settings) -> Path | None:
    """The on-disk index cache (created, and kept out of git by its own .gitignore).

    None when it cannot be created (read-only checkout): the run goes on without a cache.
    """
    path = Path(settings.cache_dir) if settings.cache_dir else Path(CACHE_DIRNAME)
    if not path.is_absolute():
        path = root / path
    try:
        path.mkdir(parents=True, exist_ok=True)
        ignore = path / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# written by asyncguard: nothing here belongs in git\n*\n", encoding="utf-8")
    except OSError:
        return None
    return path


def merge_notes(first: Iterable[str], second: Iterable[str]) -> list[str]:
    """Notes from discovery and from the analyzer, one per file (`path: ...`), first one wins."""
    out: list[str] = []
    subjects: set[str] = set()
    for note in [*first, *second]:
        subject = note.split(": ", 1)[0]
        if subject in subjects:
            continue
        subjects.add(subject)
        out.append(note)
    return out


def on_lines(f: Finding, lines: Iterable[int]) -> bool:
    """Whether any line of the finding's span is among `lines`."""
    wanted = lines if isinstance(lines, set | frozenset) else set(lines)
    return any(n in wanted for n in range(f.line, max(f.end_line, f.line) + 1))


def finalize(
    root: Path,
    findings: Iterable[Finding],
    settings: Settings,
    texts: Mapping[str, str] | None = None,
    used: set[tuple[str, int, str]] | None = None,
) -> tuple[list[Finding], int]:
    """Apply select/ignore, per-file-ignores, severity overrides, excludes and inline suppressions;
    sort and dedupe.

    Returns the findings and how many inline suppressions dropped. `texts`: unsaved buffers by
    relative path, whose suppression comments count instead of the disk's (the language server);
    `used` collects which (path, line, code) the suppressions dropped.
    """
    enabled = settings.enabled_codes()
    kept: dict[tuple[object, ...], Finding] = {}
    per_file: dict[str, frozenset[str]] = {}
    for f in findings:
        if f.code not in enabled or is_excluded(f.path, settings.exclude):
            continue
        if f.path not in per_file:
            per_file[f.path] = settings.ignored_in(f.path)
        if f.code in per_file[f.path]:
            continue
        if f.code in settings.severity:
            f = dataclasses.replace(f, severity=settings.severity[f.code])
        kept.setdefault((f.code, f.path, f.line, f.column, f.end_line, f.end_column, f.message), f)
    out, suppressed = filter_suppressed(root, kept.values(), texts, used)
    out.sort(key=lambda f: f.sort_key)
    return out, suppressed


def _analyze(
    root: Path, files: Sequence[Path] | None, settings: Settings, use_cache: bool, need_index: bool = True
) -> AnalysisResult:
    from asyncguard.rules.engine import analyze

    cache = cache_dir_for(root, settings) if use_cache else None
    return analyze(root, files=files, config=settings.rule_config(), cache_dir=cache, need_index=need_index)


def run_check(
    root: Path,
    paths: Sequence[Path],
    settings: Settings,
    changed: Mapping[str, FileDiff] | None = None,
    use_cache: bool = True,
    dependents: bool = True,
) -> Report:
    """Analyse the project at `root`, reporting on the .py files under `paths`.

    With `changed` (from `--diff REF`), only findings on the changed lines are kept. When the scope
    is a set of named files or a diff (pre-commit, `--diff`, an editor), `dependents` also keeps the
    findings at call sites, in other modules, of the functions defined (with `changed`: whose `def`
    line changed) in the scope: making `connect` async breaks its callers, not `connect`'s file.
    """
    root = Path(root).resolve()
    found = discover(root, list(paths) or [root], settings.exclude)
    files = found.files
    if changed is not None:
        files = [f for f in files if relpath(root, f) in changed]
    report = Report(root=str(root), notes=list(found.notes))
    if not files:
        return report
    scope = {relpath(root, f) for f in files}
    # Files named one by one (pre-commit, an editor) or a diff: the change may have broken callers
    # elsewhere. Folders named on purpose are the scope the user asked for.
    narrowed = changed is not None or (bool(paths) and all(Path(p).is_file() for p in paths))
    want_dependents = dependents and narrowed
    # Warm cache: analysing every file costs little more than the scope (unchanged files come from
    # the cache), and the callers in other modules are then already analysed: one pass, not two.
    one_pass = want_dependents and _cache_is_warm(root, settings, use_cache)
    # Only the dependents' lookup reads the index; without it an unchanged project's last answer will do.
    result = _analyze(root, None if one_pass else files, settings, use_cache, need_index=want_dependents)
    used: set[tuple[str, int, str]] = set()
    findings, _ = finalize(root, (f for f in result.findings if f.path in scope), settings, used=used)
    if settings.is_enabled("AG001"):
        findings = sorted([*findings, *_unused_suppressions(root, scope, findings, used, settings)],
                          key=lambda f: f.sort_key)
    if changed is not None:
        findings = [f for f in findings if on_lines(f, changed[f.path].added_lines)]
    if want_dependents:
        outside = None
        if one_pass:
            outside, _ = finalize(root, (f for f in result.findings if f.path not in scope), settings)
        extra = _dependent_findings(root, result, scope, changed, settings, use_cache, outside)
        if extra:
            findings = sorted({*findings, *extra}, key=lambda f: f.sort_key)
            n = len(extra)
            report.notes.append(
                f"{n} finding{'s' if n != 1 else ''} in other modules, at call sites of functions "
                "defined in the checked files (or at methods overriding them)"
            )
    report.findings = findings
    report.files_checked = len(scope) if one_pass else len(result.files)
    report.notes = merge_notes(report.notes, getattr(result, "notes", ()))
    return report


def _unused_suppressions(
    root: Path, scope: set[str], findings: list[Finding], used: set[tuple[str, int, str]], settings: Settings
) -> list[Finding]:
    """AG001 for the markers of the files in scope that suppressed nothing (files that did not
    parse are left out: their findings are unknown)."""
    from asyncguard.checks.suppress import find_markers, unused_suppressions

    unreadable = {f.path for f in findings if f.code == "AG000"}
    enabled = settings.enabled_codes()
    out: list[Finding] = []
    for rel in sorted(scope - unreadable):
        if is_excluded(rel, settings.exclude):
            continue
        try:
            data = (root / rel).read_bytes()
        except OSError:
            continue
        markers = find_markers(data)
        if markers:
            here = {(line, code) for path, line, code in used if path == rel}
            out.extend(unused_suppressions(rel, markers, here, enabled, narrowed=settings.select is not None))
    return out


def _cache_is_warm(root: Path, settings: Settings, use_cache: bool) -> bool:
    cache = cache_dir_for(root, settings) if use_cache else None
    return cache is not None and any(p.name != ".gitignore" for p in cache.iterdir())


def _override_sites(index: Any, targets: set[str], scope: set[str]) -> set[tuple[str, int]]:
    """Where methods outside `scope` override a changed method: a base turned sync (or async) under an
    unchanged override is a mismatch the change made, and AG108 reports it at the override."""
    from asyncguard.rules.index import Class

    sites: set[tuple[str, int]] = set()
    for summary in index.modules.values():
        if summary.path in scope:
            continue
        for info in summary.classes.values():
            if not info.methods:
                continue
            ancestors = [b for b in index.mro(Class(summary.name, info))[1:] if b is not None]
            for name, method in info.methods.items():
                if any(f"{base.qualname}.{name}" in targets for base in ancestors):
                    sites.add((summary.path, method.line))
    return sites


def _dependent_findings(
    root: Path,
    result: AnalysisResult,
    scope: set[str],
    changed: Mapping[str, FileDiff] | None,
    settings: Settings,
    use_cache: bool,
    outside: list[Finding] | None = None,
) -> list[Finding]:
    """Findings outside `scope` located at call sites of the callables defined inside it.

    `outside`: the (finalized) findings of the other files when the analysis already covered
    them; none at all means nothing to look up.
    """
    from asyncguard.rules.callsites import find_call_sites

    if outside is not None and not outside:
        return []
    targets: set[str] = set()
    for summary in result.index.modules.values():
        if summary.path not in scope:
            continue
        lines = changed[summary.path].added_lines if changed is not None else None
        funcs = list(summary.functions.values())
        for cls in summary.classes.values():
            funcs.extend(cls.methods.values())
        targets.update(
            f"{summary.name}.{func.qualname}" for func in funcs if lines is None or func.line in lines
        )
    if not targets:
        return []
    sites = {
        (site.path, site.line)
        for found in find_call_sites(result.index, targets).values()
        for site in found
        if site.path not in scope
    } | _override_sites(result.index, targets, scope)
    if not sites:
        return []
    if outside is not None:
        return [f for f in outside if (f.path, f.line) in sites]
    others = sorted({path for path, _ in sites if (root / path).is_file()})
    more = _analyze(root, [root / p for p in others], settings, use_cache)
    findings, _ = finalize(root, (f for f in more.findings if (f.path, f.line) in sites), settings)
    return findings


# Analyzer codes that describe, at a call site, the same mistake an interface change's call-site
# finding does (the call was not updated for the flip).
_SITE_CODES = frozenset({"AG101", "AG102", "AG103", "AG104", "AG105", "AG106", "AG110"})


def one_per_site(findings: list[Finding]) -> list[Finding]:
    """One problem, one finding: where a call site carries both the change's finding (AG2xx) and the
    analyzer's (AG101 at `conn = connect()` after `connect` became async), keep the change's, with
    the analyzer's fix on it."""
    changes = {(f.path, f.line): f for f in findings if f.code.startswith("AG2")}
    fixes: dict[tuple[str, int], Fix] = {}
    out: list[Finding] = []
    for f in findings:
        key = (f.path, f.line)
        if f.code in _SITE_CODES and key in changes:
            if f.fix is not None:
                fixes.setdefault(key, f.fix)
            continue
        out.append(f)
    return [dataclasses.replace(f, fix=fixes[(f.path, f.line)]) if f.code.startswith("AG2") and f.fix is None
            and (f.path, f.line) in fixes else f for f in out]


def run_pr(
    base_root: Path,
    head_root: Path,
    changed: Mapping[str, FileDiff],
    settings: Settings,
    annotate: str = "changed-lines",
    extra_checklist: Sequence[object] = (),
    use_cache: bool = True,
) -> Report:
    """What a pull request gets: analyzer findings on head (in the `annotate` scope), the contract
    diff base -> head with its call sites, and the tailored checklist.

    Whatever the scope, a finding at an old-style call site of a changed interface (a caller the
    PR broke without touching it) is kept: that is the outage this tool exists for.
    """
    from asyncguard.contracts.api import compare_trees, diff_findings

    if annotate not in ANNOTATE_SCOPES:
        raise ValueError(f"unknown annotate scope {annotate!r} (choose from {', '.join(ANNOTATE_SCOPES)})")
    base_root, head_root = Path(base_root).resolve(), Path(head_root).resolve()
    changed_py = sorted(p for p in changed if p.endswith(".py") and (head_root / p).is_file())
    files = None if annotate == "all" else [head_root / p for p in changed_py]
    result = _analyze(head_root, files, settings, use_cache)
    changed_lines = {p: set(fd.added_lines) for p, fd in changed.items()}
    diff = compare_trees(
        base_root,
        head_root,
        head_index=result.index,
        changed_lines=changed_lines,
        cache_dir=cache_dir_for(head_root, settings) if use_cache else None,
    )
    old_style = {
        (site.path, site.line)
        for change in diff.changes
        for site in change.call_sites
        if site.status == "old-style"
    }
    raw = list(result.findings)
    broken: set[tuple[str, int]] = set(old_style)
    if files is not None:
        # callers the PR broke in files it never touched: analyse those too (the index is cached)
        extra = sorted({path for path, _ in old_style} - set(changed_py))
        extra = [p for p in extra if (head_root / p).is_file()]
        if extra:
            raw += _analyze(head_root, [head_root / p for p in extra], settings, use_cache).findings
        # the same for functions outside the public contract (private helpers, scripts)
        dependents = _dependent_findings(head_root, result, set(changed_py), changed, settings, use_cache)
        raw += dependents
        broken |= {(f.path, f.line) for f in dependents}
    raw += diff_findings(diff)
    findings, _ = finalize(head_root, raw, settings)
    baseline_notes: list[str] = []
    if settings.baseline:
        findings, baseline_notes = _without_base_baseline(base_root, head_root, findings, settings.baseline)

    def in_scope(f: Finding) -> bool:
        if (f.path, f.line) in broken:
            return True
        if annotate == "all":
            return True
        if f.path not in changed:
            return False
        if f.code == "AG000":
            return True  # the file the PR changed cannot be read at all: say so whatever lines changed
        return annotate == "changed-files" or on_lines(f, changed[f.path].added_lines)

    scoped = one_per_site([f for f in findings if in_scope(f)])
    report = Report(root=str(head_root), findings=scoped, files_checked=len(result.files), contract_diff=diff,
                    broken_sites=broken)
    report.notes.extend(getattr(result, "notes", ()))
    report.notes.extend(getattr(diff, "notes", ()))  # e.g. modules left out of the contract, a too-small bump
    report.notes.extend(baseline_notes)
    left_out = len(findings) - len(scoped)
    if left_out:
        report.notes.append(
            f"{left_out} finding{'s' if left_out != 1 else ''} outside the {annotate} scope not shown"
        )
    report.checklist = _checklist(head_root, changed_lines, scoped, diff, tuple(extra_checklist), settings)
    return report


def _without_base_baseline(
    base_root: Path, head_root: Path, findings: list[Finding], relative: str
) -> tuple[list[Finding], list[str]]:
    """Drop the findings the BASE branch's baseline has (never the head's: a pull request must not
    be able to bless its own findings by adding them to the baseline). A baseline that cannot be
    used is a note, and every finding is reported."""
    from asyncguard.checks.baseline import BaselineError, apply_baseline, known_note, read_from_tree

    try:
        baseline = read_from_tree(base_root, relative)
    except BaselineError as exc:
        return findings, [f"the base branch's baseline was not applied: {exc}".replace(str(base_root) + "/", "")]
    filtered = apply_baseline(head_root, findings, baseline)
    notes = [known_note(filtered, f"`{relative}` (base branch)")] if filtered.known else []
    return filtered.findings, notes


def _checklist(
    head_root: Path,
    changed_lines: dict[str, set[int]],
    findings: list[Finding],
    diff: object,
    extra: tuple[object, ...],
    settings: Settings,
) -> list[ChecklistItem]:
    from asyncguard.checks.checklist import tailor
    from asyncguard.checks.links import training_base

    base_url = training_base(settings.training_url)
    return list(tailor(head_root, changed_lines, findings, diff, extra=extra, base_url=base_url))
