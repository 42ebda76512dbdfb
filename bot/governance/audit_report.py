"""The audit report: breaking changes merged, approvals by whom, time to approval, bypasses.

Computed from the audit records of a time window; rendered as Markdown, JSON or CSV.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from asyncguard.bot.governance.audit_store import AuditRecord

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class SinceError(ValueError):
    """`--since` was neither a duration (30d, 12h, 2w) nor a date (2026-01-31)."""


def parse_since(text: str, now: float | None = None) -> float:
    """Unix time for `30d` / `12h` / `90m` / `2w` / `45s` ago, or an ISO date/time (UTC)."""
    now = time.time() if now is None else now
    m = _DURATION.match(text)
    if m:
        return now - float(m.group(1)) * _UNIT[m.group(2).lower()]
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SinceError(
            f"--since {text!r}: use a duration like 30d, 12h, 2w or a date like 2026-01-31"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _codes(changes: list[dict[str, Any]]) -> str:
    return ", ".join(f"{c.get('code')} {c.get('symbol')}" for c in changes)


@dataclass
class AuditReport:
    since: float
    until: float
    merged_breaking: list[dict[str, Any]] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    approvals_by: dict[str, int] = field(default_factory=dict)
    time_to_approval: list[dict[str, Any]] = field(default_factory=list)
    tta_median_s: float | None = None
    tta_p90_s: float | None = None
    bypasses: list[dict[str, Any]] = field(default_factory=list)
    # `/asyncguard bypass <reason>`: who, why, at which head, and whether a push has ended it
    emergency_bypasses: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["since"], d["until"] = iso(self.since), iso(self.until)
        return d


def _row(r: AuditRecord, **extra: Any) -> dict[str, Any]:
    return {
        "repo": r.repo,
        "pr": r.pr,
        "at": iso(r.ts),
        "actor": r.actor,
        "head_sha": r.head_sha,
        "changes": [f"{c.get('code')} {c.get('symbol')}" for c in r.changes],
        **extra,
    }


def build_report(records: list[AuditRecord], since: float, until: float | None = None) -> AuditReport:
    """Summarise records (time-ordered) of the window [since, until]."""
    until = time.time() if until is None else until
    rep = AuditReport(since=since, until=until)
    rep.counts = dict(Counter(r.kind for r in records))
    first_fail: dict[tuple[str, int], float] = {}
    approved: set[tuple[str, int]] = set()
    by: Counter[str] = Counter()
    for r in records:
        key = (r.repo, r.pr)
        if r.kind == "gate" and r.detail.get("conclusion") == "failure":
            first_fail.setdefault(key, r.ts)
        elif r.kind == "approval":
            by[r.actor or "?"] += 1
            rep.approvals.append(_row(r, via=r.detail.get("via"), reason=r.detail.get("reason", "")))
            if key in first_fail and key not in approved:
                approved.add(key)
                rep.time_to_approval.append(
                    {"repo": r.repo, "pr": r.pr, "seconds": round(r.ts - first_fail[key], 3), "approver": r.actor}
                )
        elif r.kind == "merge" and r.changes:
            rep.merged_breaking.append(
                _row(r, approved_by=r.detail.get("approved_by"), gate=r.detail.get("gate"))
            )
        elif r.kind == "bypass":
            rep.bypasses.append(_row(r, gate=r.detail.get("gate")))
        elif r.kind == "emergency-bypass":
            rep.emergency_bypasses.append(_row(r, reason=r.detail.get("reason", ""), ended=None))
        elif r.kind == "bypass-expired":
            for b in reversed(rep.emergency_bypasses):
                if (b["repo"], b["pr"], b["head_sha"]) == (r.repo, r.pr, r.detail.get("bypassed_head")):
                    b["ended"] = iso(r.ts)
                    break
    rep.approvals_by = dict(by.most_common())
    secs = [t["seconds"] for t in rep.time_to_approval]
    rep.tta_median_s = median(secs)
    rep.tta_p90_s = percentile(secs, 90)
    return rep


def human(seconds: float | None) -> str:
    """A duration as people read it (45s, 12.5m, 3.0h, 2.1d); the monitoring report uses it too."""
    if seconds is None:
        return "n/a"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def render_md(rep: AuditReport) -> str:
    out = [f"# asyncguard governance audit: {iso(rep.since)} to {iso(rep.until)}", ""]
    c = rep.counts
    out.append(
        f"{c.get('gate', 0)} gate decisions, {c.get('approval', 0)} approvals, {c.get('revocation', 0)} revocations, "
        f"{c.get('stale', 0)} stale approvals, {c.get('unauthorized', 0)} unauthorized attempts, "
        f"{c.get('bypass', 0)} bypasses, {c.get('emergency-bypass', 0)} emergency bypasses."
    )
    out += ["", f"## Breaking changes merged ({len(rep.merged_breaking)})", ""]
    if rep.merged_breaking:
        out += ["| repo | PR | merged | by | approved by | gate | changes |", "|---|---|---|---|---|---|---|"]
        for m in rep.merged_breaking:
            out.append(
                f"| {m['repo']} | #{m['pr']} | {m['at']} | {m['actor'] or ''} | {m['approved_by'] or ''} | "
                f"{m['gate'] or ''} | {'; '.join(m['changes'])} |"
            )
    else:
        out.append("None.")
    out += ["", f"## Approvals ({len(rep.approvals)})", ""]
    if rep.approvals:
        out.append("By approver: " + ", ".join(f"@{k} ({v})" for k, v in rep.approvals_by.items()))
        out += ["", "| repo | PR | when | by | via | reason |", "|---|---|---|---|---|---|"]
        for a in rep.approvals:
            out.append(f"| {a['repo']} | #{a['pr']} | {a['at']} | @{a['actor']} | {a['via']} | {a['reason'] or ''} |")
    else:
        out.append("None.")
    out += [
        "",
        "## Time from first failing gate to approval",
        "",
        f"{len(rep.time_to_approval)} PR(s); median {human(rep.tta_median_s)}, p90 {human(rep.tta_p90_s)}.",
        "",
        f"## Bypasses: merged while the gate failed ({len(rep.bypasses)})",
        "",
    ]
    if rep.bypasses:
        out += ["| repo | PR | merged | by | changes |", "|---|---|---|---|---|"]
        for b in rep.bypasses:
            out.append(f"| {b['repo']} | #{b['pr']} | {b['at']} | {b['actor'] or ''} | {'; '.join(b['changes'])} |")
    else:
        out.append("None.")
    out += ["", f"## Emergency bypasses: `/asyncguard bypass` ({len(rep.emergency_bypasses)})", ""]
    if rep.emergency_bypasses:
        out += ["| repo | PR | when | by | head | reason | ended by a push |", "|---|---|---|---|---|---|---|"]
        for b in rep.emergency_bypasses:
            reason = str(b["reason"]).replace("|", "\\|")
            out.append(f"| {b['repo']} | #{b['pr']} | {b['at']} | @{b['actor']} | `{(b['head_sha'] or '')[:7]}` | "
                       f"{reason} | {b['ended'] or 'not yet'} |")
    else:
        out.append("None.")
    return "\n".join(out) + "\n"


def render_json(rep: AuditReport) -> str:
    return json.dumps(rep.as_dict(), indent=2, sort_keys=True) + "\n"


def render_csv(rep: AuditReport) -> str:
    """One flat table: a `section` column, then the fields every section shares."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "repo", "pr", "at", "actor", "head_sha", "detail", "changes", "value"])
    for m in rep.merged_breaking:
        w.writerow(["merged_breaking", m["repo"], m["pr"], m["at"], m["actor"], m["head_sha"],
                    f"approved_by={m['approved_by'] or ''} gate={m['gate'] or ''}", "; ".join(m["changes"]), ""])
    for a in rep.approvals:
        w.writerow(["approval", a["repo"], a["pr"], a["at"], a["actor"], a["head_sha"], a["via"],
                    "; ".join(a["changes"]), a["reason"] or ""])
    for t in rep.time_to_approval:
        w.writerow(["time_to_approval", t["repo"], t["pr"], "", t["approver"], "", "seconds", "", t["seconds"]])
    for b in rep.bypasses:
        w.writerow(["bypass", b["repo"], b["pr"], b["at"], b["actor"], b["head_sha"], f"gate={b['gate']}",
                    "; ".join(b["changes"]), ""])
    for b in rep.emergency_bypasses:
        w.writerow(["emergency_bypass", b["repo"], b["pr"], b["at"], b["actor"], b["head_sha"],
                    f"ended={b['ended'] or ''}", "; ".join(b["changes"]), b["reason"]])
    w.writerow(["summary", "", "", "", "", "", "time_to_approval_median_s", "", rep.tta_median_s or ""])
    w.writerow(["summary", "", "", "", "", "", "time_to_approval_p90_s", "", rep.tta_p90_s or ""])
    for kind, n in sorted(rep.counts.items()):
        w.writerow(["summary", "", "", "", "", "", f"count_{kind}", "", n])
    return buf.getvalue()


RENDERERS = {"md": render_md, "json": render_json, "csv": render_csv}
