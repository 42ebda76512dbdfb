"""The review checklist, tailored to one pull request.

Items live in `training_content/checklist.yaml`, each with the conditions under which it applies
(see the comment at the top of that file). `tailor` evaluates them against the PR's changed lines
in the head tree, the run's findings and the interface diff, so the check-run summary carries
only what a reviewer of *this* change should look at, plus the repository's own items.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from asyncguard.checks.report import ChecklistItem
from asyncguard.checks.training import CONTENT_DIR
from asyncguard.rules.model import Finding

CHECKLIST_FILE = CONTENT_DIR / "checklist.yaml"
CONDITIONS = (
    "async_def_changed",
    "files",
    "imports",
    "code",
    "findings",
    "contract_changes",
    "contract_breaking",
    "always",
)
_MAX_FILE_BYTES = 2_000_000


class ChecklistError(ValueError):
    """A malformed checklist item; the message names the item and the problem."""


@dataclass(frozen=True)
class Rule:
    """One checklist item and its conditions (any one that holds makes it apply)."""

    id: str
    text: str
    why: str = ""
    learn: str = ""
    when: Mapping[str, Any] = field(default_factory=dict)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """`**` spans folders, `*` and `?` stay inside one path segment."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def path_matches(path: str, pattern: str) -> bool:
    """A glob matches a file, or any folder the file is in (as in `.gitignore`)."""
    rx = glob_regex(pattern.strip("/"))
    p = PurePosixPath(path)
    return any(rx.fullmatch(str(c)) for c in (p, *p.parents) if str(c) != ".")


def _parse_rule(raw: Any, where: str) -> Rule:
    if isinstance(raw, str):
        if not raw.strip():
            raise ChecklistError(f"{where}: empty item")
        slug = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")[:40] or "item"
        return Rule(id=f"repo-{slug}", text=raw.strip(), why="From this repository's `.asyncguard.yml`.",
                    when={"always": True})
    if not isinstance(raw, Mapping):
        raise ChecklistError(f"{where}: an item is a string or a mapping with `text`; got {type(raw).__name__}")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ChecklistError(f"{where}: `text` is required")
    when = raw.get("when", {"always": True})
    if not isinstance(when, Mapping) or not when:
        raise ChecklistError(f"{where}: `when` must be a non-empty mapping of conditions")
    unknown = sorted(set(when) - set(CONDITIONS))
    if unknown:
        raise ChecklistError(f"{where}: unknown condition(s) {unknown}; known: {', '.join(CONDITIONS)}")
    for key in ("files", "imports", "code", "findings", "contract_changes"):
        if key in when and not (
            isinstance(when[key], list) and all(isinstance(v, str) and v for v in when[key])
        ):
            raise ChecklistError(f"{where}: `{key}` must be a list of strings")
    for rx in when.get("code", []):
        try:
            re.compile(rx)
        except re.error as exc:
            raise ChecklistError(f"{where}: bad regular expression {rx!r}: {exc}") from exc
    ident = raw.get("id") or re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
    return Rule(str(ident), text.strip(), str(raw.get("why", "")), str(raw.get("learn", "")), dict(when))


def parse_items(data: Any, source: str) -> list[Rule]:
    """Items from the parsed YAML (`{items: [...]}` or a bare list); ChecklistError when malformed."""
    items = data.get("items") if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise ChecklistError(f"{source}: expected a list of items")
    return [_parse_rule(raw, f"{source} item {i + 1}") for i, raw in enumerate(items)]


def parse_extra(extra: Iterable[Any]) -> tuple[list[Rule], list[str]]:
    """A repository's own items (`checklist.extra` in `.asyncguard.yml`): the valid ones and errors."""
    rules, errors = [], []
    for i, raw in enumerate(extra):
        try:
            rules.append(_parse_rule(raw, f".asyncguard.yml checklist.extra item {i + 1}"))
        except ChecklistError as exc:
            errors.append(str(exc))
    return rules, errors


@cache
def builtin_items() -> tuple[Rule, ...]:
    """The shipped items from `training_content/checklist.yaml`."""
    data = yaml.safe_load(CHECKLIST_FILE.read_text(encoding="utf-8"))
    return tuple(parse_items(data, CHECKLIST_FILE.name))


# ---- the facts of one PR ------------------------------------------------------------------------


def _lines_of(value: Any) -> set[int]:
    lines = getattr(value, "added_lines", value)
    return {int(n) for n in lines} if lines is not None else set()


@dataclass
class _Facts:
    paths: list[str]
    changed_text: dict[str, list[str]]
    imports: set[str]
    async_headers: list[str]  # "path:line"
    finding_codes: set[str]
    contract_codes: set[str]
    contract_breaking: bool


def _read(path: Path) -> str | None:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_FILE_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _collect(
    head_root: Path, changed: Mapping[str, Any], findings: Sequence[Finding], contract_diff: Any
) -> _Facts:
    facts = _Facts(sorted(changed), {}, set(), [], {f.code for f in findings}, set(), False)
    changes = getattr(contract_diff, "changes", None) or []
    facts.contract_codes = {str(getattr(c, "code", "")) for c in changes}
    facts.contract_breaking = bool(getattr(contract_diff, "breaking", None))
    for rel in facts.paths:
        lines = _lines_of(changed[rel])
        text = _read(head_root / rel)
        if text is None:
            continue
        src_lines = text.splitlines()
        facts.changed_text[rel] = [src_lines[n - 1] for n in sorted(lines) if 0 < n <= len(src_lines)]
        if not rel.endswith(".py"):
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                facts.imports.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                facts.imports.add(node.module)
            elif isinstance(node, ast.AsyncFunctionDef):
                header_end = max(node.lineno, node.body[0].lineno - 1) if node.body else node.lineno
                if lines & set(range(node.lineno, header_end + 1)):
                    facts.async_headers.append(f"{rel}:{node.lineno}")
    return facts


def _imports(facts: _Facts, modules: list[str]) -> str | None:
    for mod in modules:
        hit = sorted(i for i in facts.imports if i == mod or i.startswith(mod + "."))
        if hit:
            return f"the change touches code importing `{hit[0]}`"
    return None


def _reason(rule: Rule, facts: _Facts) -> str | None:
    """Why the item applies to this PR, or None when it does not."""
    w = rule.when
    if w.get("always"):
        return ""  # every pull request: nothing to explain
    if w.get("async_def_changed") and facts.async_headers:
        return f"`async def` added or changed at {facts.async_headers[0]}"
    for pattern in w.get("files", []):
        hit = next((p for p in facts.paths if path_matches(p, pattern)), None)
        if hit:
            return f"`{hit}` matches `{pattern}`"
    if w.get("imports") and (why := _imports(facts, w["imports"])):
        return why
    for rx in w.get("code", []):
        compiled = re.compile(rx)
        for path, lines in facts.changed_text.items():
            if any(compiled.search(line) for line in lines):
                return f"a changed line in `{path}` matches `{rx}`"
    codes = sorted(facts.finding_codes & set(w.get("findings", [])))
    if codes:
        return f"this run reports {', '.join(codes)}"
    codes = sorted(facts.contract_codes & set(w.get("contract_changes", [])))
    if codes:
        return f"the interface diff has {', '.join(codes)}"
    if w.get("contract_breaking") and facts.contract_breaking:
        return "the interface diff has a breaking change"
    return None


def tailor(
    head_root: Path | str,
    changed_lines: Mapping[str, Any],
    findings: Sequence[Finding],
    contract_diff: Any,
    extra: Iterable[Any] = (),
    base_url: str | None = None,
) -> list[ChecklistItem]:
    """The checklist items that apply to this PR, shipped ones first, then the repository's.

    `changed_lines` maps head paths (POSIX, relative) to changed line numbers, or to objects with
    `added_lines` (checks.diffparse.FileDiff). `extra` holds the repository's items: strings
    (always shown) or mappings like the shipped ones; malformed ones are skipped here (report them
    with `parse_extra`). With `base_url`, items link to their knowledge-base page.
    """
    facts = _collect(Path(head_root), changed_lines, findings, contract_diff)
    extra_rules, _ = parse_extra(extra)
    out: list[ChecklistItem] = []
    seen: set[str] = set()
    for rule in (*builtin_items(), *extra_rules):
        reason = _reason(rule, facts)
        if reason is None or rule.id in seen:
            continue
        seen.add(rule.id)
        text = rule.text
        if base_url and rule.learn:
            text += f" ([guide]({base_url.rstrip('/')}/{rule.learn.removesuffix('.md')}.html))"
        because = f"Applies because {reason}." if reason else ""
        why = " ".join(part for part in (rule.why, because) if part)
        out.append(ChecklistItem(id=rule.id, text=text, why=why))
    return out
