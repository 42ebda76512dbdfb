"""A baseline: today's findings written down, so a legacy codebase can turn the check on and be
told only about new ones.

A finding is known by its code, its path and the text of the lines it flags (whitespace
squeezed), never by its line number: an edit above it moves it and it stays known, a change of
the flagged code makes it new. The same text flagged twice in a file is two entries; a third
occurrence is new. The file is JSON, one entry a finding, sorted, so its diff reviews well.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asyncguard.rules.model import Finding

FORMAT = "asyncguard-baseline"
VERSION = 1


class BaselineError(ValueError):
    """A baseline file that cannot be used; the message is for the user as it is."""


def _flagged_text(root: Path, finding: Finding, cache: dict[str, list[str] | None]) -> str:
    if finding.path not in cache:
        try:
            cache[finding.path] = (root / finding.path).read_bytes().decode("utf-8", "replace").splitlines()
        except OSError:
            cache[finding.path] = None
    lines = cache[finding.path]
    if lines is None:
        return f"#{finding.line}"  # the file is gone: nothing to recognise the finding by
    span = lines[max(finding.line, 1) - 1 : max(finding.end_line, finding.line)]
    return " ".join(" ".join(line.split()) for line in span)


def fingerprint_findings(root: Path, findings: Iterable[Finding]) -> list[tuple[Finding, str]]:
    """Each finding with its baseline fingerprint (code, path and flagged text; no line number)."""
    cache: dict[str, list[str] | None] = {}
    out = []
    for f in findings:
        key = "\0".join((f.code, f.path, _flagged_text(root, f, cache)))
        out.append((f, hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]))
    return out


def baselinable(finding: Finding) -> bool:
    """Analyzer findings only: a contract change (AG2xx) belongs to one pull request, not to history."""
    return not finding.code.startswith("AG2")


@dataclass
class Baseline:
    counts: Counter[str] = field(default_factory=Counter)
    source: str = ""

    def __len__(self) -> int:
        return sum(self.counts.values())


@dataclass
class Filtered:
    findings: list[Finding]
    known: int  # findings the baseline already had
    stale: int  # baseline entries no finding matched any more (fixed, or their code changed)


def apply_baseline(root: Path, findings: Sequence[Finding], baseline: Baseline) -> Filtered:
    """Drop the findings the baseline has, each entry matching at most one finding."""
    left = Counter(baseline.counts)
    kept: list[Finding] = []
    known = 0
    for f, fp in fingerprint_findings(root, (f for f in findings)):
        if baselinable(f) and left[fp] > 0:
            left[fp] -= 1
            known += 1
        else:
            kept.append(f)
    return Filtered(kept, known, sum(left.values()))


def render_baseline(root: Path, findings: Sequence[Finding]) -> str:
    entries = [
        {"fingerprint": fp, "code": f.code, "path": f.path, "line": f.line, "message": f.message}
        for f, fp in fingerprint_findings(root, [f for f in findings if baselinable(f)])
    ]
    entries.sort(key=lambda e: (e["path"], e["line"], e["code"], e["fingerprint"]))
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "comment": "Findings recorded by `asyncguard check --write-baseline`; only new ones are reported. "
        "The line numbers are for reading: entries are matched by fingerprint.",
        "findings": entries,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_baseline(path: Path, root: Path, findings: Sequence[Finding]) -> int:
    """Write the baseline atomically (a crash never leaves half a file); returns the entry count."""
    text = render_baseline(root, findings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return len(json.loads(text)["findings"])


def parse_baseline(text: str, source: str) -> Baseline:
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{source}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BaselineError(f"{source}: not an asyncguard baseline (write one with `asyncguard check --write-baseline`)")
    if doc.get("version") != VERSION:
        raise BaselineError(f"{source}: baseline version {doc.get('version')!r}, this asyncguard reads {VERSION}")
    entries = doc.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(f"{source}: `findings` must be a list")
    counts: Counter[str] = Counter()
    for i, entry in enumerate(entries):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fp, str) or not fp:
            raise BaselineError(f"{source}: entry {i + 1} has no fingerprint")
        counts[fp] += 1
    return Baseline(counts, source)


def read_baseline(path: Path) -> Baseline:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(
            f"{path}: no such baseline (write it with `asyncguard check --write-baseline {path}`)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc}") from None
    return parse_baseline(text, str(path))


def read_from_tree(tree: Path, relative: str) -> Baseline:
    """The baseline a checkout names (the bot: the BASE branch's), never a file outside that tree."""
    tree = tree.resolve()
    path = (tree / relative).resolve()
    if not path.is_relative_to(tree):
        raise BaselineError(f"baseline {relative!r} is outside the repository")
    return read_baseline(path)


def known_note(filtered: Filtered, source: str) -> str:
    n = filtered.known
    return f"{n} finding{'s' if n != 1 else ''} recorded in the baseline {source} not shown"
