"""The `asyncguard/governance` check: fail on governed breaking changes until an authorized approval
covers the CURRENT contract diff.

`after_pr_run` is called by the PR run with its Report; label and comment handlers call `reconcile`
on the stored state. Both run under the PR's lock and end with one store transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from gidgethub.abc import GitHubAPI

from asyncguard.bot.governance import ghops
from asyncguard.bot.governance.audit_store import Approval, AuditStore, Bypass, NewRecord, PRState
from asyncguard.bot.governance.authz import may_approve
from asyncguard.bot.governance.changes import NO_CHANGES, fingerprint, governed_changes
from asyncguard.bot.governance.locks import pr_lock
from asyncguard.bot.governance.replies import upsert_reply
from asyncguard.bot.governance.repo_config import CONFIG_FILE, Governance, RepoConfig

CHECK_NAME = "asyncguard/governance"
ANALYSIS_CHECK = "asyncguard"  # the PR run's check (bot.pr_run.CHECK_NAME), re-posted by a bypass
UNKNOWN_CHANGE: dict[str, Any] = {
    "code": "unknown",
    "symbol": "(unknown)",
    "message": "the contract comparison did not run for this head, so its interface changes are unknown",
    "path": "",
    "line": 0,
    "new_symbol": None,
    "before": "",
    "after": "",
    "call_sites": [],
}


@dataclass
class Decision:
    conclusion: str  # success | failure | neutral
    title: str
    summary: str


@dataclass
class Work:
    """What one reconciliation produced besides the state: audit records and reply notices."""

    records: list[NewRecord] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def approval_status(state: PRState, gov: Governance) -> str:
    """`covers`, `pending` (bound to a head not evaluated yet), `stale`, or `none`."""
    a = state.approval
    if a is None:
        return "none"
    if a.fingerprint is None:  # given before its head was evaluated: it covers that head only
        return "covers" if a.head_sha == state.head_sha and state.fingerprint is not None else "pending"
    if a.fingerprint == state.fingerprint or not gov.stale_on_push:
        return "covers"
    return "stale"


def _code_link(code: str) -> str:
    """`[AG202](<training page>)` for a real change code; the bare text otherwise."""
    if not code.startswith("AG"):
        return code
    try:
        from asyncguard.checks.links import rule_url
    except ImportError:
        return code
    return f"[{code}]({rule_url(code)})"


def changes_md(changes: list[dict[str, Any]], limit: int = 50) -> str:
    lines = []
    for c in changes[:limit]:
        where = f" (`{c['path']}:{c['line']}`)" if c.get("path") else ""
        lines.append(f"- **{_code_link(c['code'])}** `{c['symbol']}`: {c['message']}{where}")
        if c.get("before") or c.get("after"):
            lines.append(f"  - before: `{c.get('before', '')}`; after: `{c.get('after', '')}`")
        sites = c.get("call_sites", [])
        old = [s for s in sites if s.get("status") == "old-style"]
        if sites:
            lines.append(f"  - call sites: {len(sites) - len(old)} updated, {len(old)} still old-style")
        for s in old[:10]:
            lines.append(f"    - `{s['path']}:{s['line']}` still calls it the old way")
    if len(changes) > limit:
        lines.append(f"- ... and {len(changes) - limit} more")
    return "\n".join(lines)


def how_to_approve(gov: Governance) -> str:
    return (
        f"**Who may approve:** {gov.who_may_approve()}.\n"
        f"**How:** add the `{gov.approval_label}` label, or comment `/asyncguard approve <reason>`. "
        "The approval covers exactly these changes"
        + ("; a push that changes them voids it." if gov.stale_on_push else ".")
    )


def decide(state: PRState, cfg: RepoConfig) -> Decision:
    """The gate's verdict for the stored state (pure: no I/O)."""
    gov = cfg.governance
    note = cfg.error_note()
    note = f"\n\n{note}" if note else ""
    n = len(state.changes)
    bypass = state.bypassed(state.head_sha)
    if bypass is not None:
        listing = changes_md(state.changes) if state.changes else "No governed breaking interface changes."
        return Decision("success", f"Bypassed by @{bypass.actor}", bypass_summary(bypass) + f"\n\n{listing}{note}")
    if not state.changes:
        return Decision("success", "No governed breaking interface changes", "Nothing to approve." + note)
    listing = changes_md(state.changes)
    if gov.breaking_changes == "off":
        return Decision(
            "success",
            f"{n} breaking change(s), not gated",
            f"`governance.breaking_changes: off` on the base branch.\n\n{listing}{note}",
        )
    if gov.breaking_changes == "warn":
        return Decision(
            "neutral",
            f"{n} breaking change(s) (warn only)",
            f"`governance.breaking_changes: warn` on the base branch.\n\n{listing}{note}",
        )
    status = approval_status(state, gov)
    a = state.approval
    if status == "covers" and a is not None:
        reason = f": {a.reason}" if a.reason else ""
        return Decision(
            "success",
            f"{n} breaking change(s) approved by @{a.actor}",
            f"Approved by `@{a.actor}` via {a.via}{reason}.\n\n{listing}{note}",
        )
    return Decision(
        "failure",
        f"{n} breaking interface change(s) need approval",
        f"This PR makes breaking changes to governed interfaces:\n\n{listing}\n\n{how_to_approve(gov)}{note}",
    )


def bypass_summary(b: Bypass) -> str:
    return (
        f"**Emergency bypass** by `@{b.actor}` at `{b.head_sha[:7]}`: {b.reason}\n\n"
        "Recorded in the audit trail and the compliance report; the next push ends it."
    )


async def post_bypassed_analysis(gh: GitHubAPI, repo: str, b: Bypass) -> None:
    """A new completed `asyncguard` check on the bypassed head: GitHub counts the newest run of a name."""
    await ghops.post_check(
        gh, repo, head_sha=b.head_sha, name=ANALYSIS_CHECK, conclusion="success",
        title=f"Bypassed by @{b.actor}", summary=bypass_summary(b), adopt=False,
    )


def _expire_bypass(state: PRState, head_sha: str, work: Work) -> None:
    """A bypass is for one commit: evaluating another head ends it, on the record."""
    b = state.bypass
    if b is None or b.head_sha == head_sha:
        return
    state.bypass = None
    work.records.append(NewRecord(
        "bypass-expired", state.repo, state.pr, head_sha, b.actor, state.fingerprint, state.changes,
        {"bypassed_head": b.head_sha, "reason": b.reason},
    ))
    work.notices.append(f"The emergency bypass by `@{b.actor}` (at `{b.head_sha[:7]}`) ended with the push "
                        f"of `{head_sha[:7]}`: both checks apply again.")


async def _confirm_label(
    gh: GitHubAPI, state: PRState, cfg: RepoConfig, labels: list[str], work: Work, pr_author: str | None
) -> None:
    """A present approval label without a recorded approval counts only once its adder is checked."""
    gov = cfg.governance
    if gov.approval_label not in labels or state.approval is not None:
        return
    if not state.changes or not gov.gate_on:
        return
    who = await ghops.last_labeler(gh, state.repo, state.pr, gov.approval_label)
    auth = None
    if who is not None:
        auth = await may_approve(gh, state.repo, who[0], gov, is_bot=who[1], pr_author=pr_author)
    if who is not None and auth is not None and auth.allowed:
        state.approval = Approval(who[0], "label-confirmed", state.fingerprint, state.head_sha, time.time())
        work.records.append(
            NewRecord(
                "approval",
                state.repo,
                state.pr,
                state.head_sha,
                who[0],
                state.fingerprint,
                state.changes,
                {"via": "label-confirmed", "why": auth.reason},
            )
        )
        return
    await ghops.remove_label(gh, state.repo, state.pr, gov.approval_label)
    actor = who[0] if who else None
    reason = auth.reason if auth else "nobody could be confirmed as its author"
    work.records.append(
        NewRecord(
            "unauthorized",
            state.repo,
            state.pr,
            state.head_sha,
            actor,
            state.fingerprint,
            state.changes,
            {"action": "label", "why": reason},
        )
    )
    work.notices.append(
        f"Removed the `{gov.approval_label}` label: {reason}.\n\n{how_to_approve(gov)}"
    )


async def _expire_stale(gh: GitHubAPI, state: PRState, cfg: RepoConfig, labels: list[str] | None, work: Work) -> None:
    gov = cfg.governance
    a = state.approval
    if a is None or approval_status(state, gov) != "stale":
        return
    if not state.changes:
        return  # nothing breaking now: the approval stays dormant and still covers only what it approved
    state.approval = None
    work.records.append(
        NewRecord(
            "stale",
            state.repo,
            state.pr,
            state.head_sha,
            a.actor,
            state.fingerprint,
            state.changes,
            {"approved_fingerprint": a.fingerprint, "approved_head": a.head_sha, "via": a.via},
        )
    )
    if labels is None or gov.approval_label in labels:
        await ghops.remove_label(gh, state.repo, state.pr, gov.approval_label)
        if labels is not None:
            labels.remove(gov.approval_label)
    work.notices.append(
        f"The approval by `@{a.actor}` is stale: a push changed the breaking interface changes it covered. "
        f"Please review the current changes again.\n\n{how_to_approve(gov)}"
    )


async def reconcile(
    gh: GitHubAPI,
    store: AuditStore,
    state: PRState,
    cfg: RepoConfig,
    work: Work | None = None,
    *,
    labels: list[str] | None = None,
    pr_author: str | None = None,
) -> Decision | None:
    """Bring approval, label, check run, reply and store in line with `state`. Call under `pr_lock`.

    Returns the posted decision, or None when no head has been evaluated yet (nothing to post).
    """
    work = work or Work()
    gov = cfg.governance
    a = state.approval
    if a is not None and a.fingerprint is None and a.head_sha == state.head_sha and state.fingerprint is not None:
        state.approval = Approval(a.actor, a.via, state.fingerprint, a.head_sha, a.at, a.reason)
    if labels is not None:
        await _confirm_label(gh, state, cfg, labels, work, pr_author)
    await _expire_stale(gh, state, cfg, labels, work)
    # the decisions so far (approvals, revocations, ...) are durable before GitHub hears the verdict
    await store.commit(state, work.records)
    work.records = []
    decision = None
    if state.head_sha is not None and state.fingerprint is not None:
        decision = decide(state, cfg)
        if decision.conclusion == "failure" and state.first_failing_at is None:
            state.first_failing_at = time.time()
        state.check_run_id = await ghops.post_check(
            gh,
            state.repo,
            head_sha=state.head_sha,
            name=CHECK_NAME,
            conclusion=decision.conclusion,
            title=decision.title,
            summary=decision.summary,
            check_run_id=state.check_run_id if state.check_head_sha == state.head_sha else None,
        )
        state.check_head_sha = state.head_sha
        state.conclusion = decision.conclusion
        work.records.append(
            NewRecord(
                "gate",
                state.repo,
                state.pr,
                state.head_sha,
                None,
                state.fingerprint,
                state.changes,
                {
                    "conclusion": decision.conclusion,
                    "mode": gov.breaking_changes,
                    "approved_by": state.approval.actor if state.approval and decision.conclusion == "success" else None,
                    "bypassed_by": bypass.actor if (bypass := state.bypassed(state.head_sha)) else None,
                    "config_errors": list(cfg.errors),
                },
            )
        )
    if work.notices:
        state.reply_comment_id = await upsert_reply(
            gh, state.repo, state.pr, "\n\n---\n\n".join(work.notices), state.reply_comment_id
        )
    await store.commit(state, work.records)
    return decision


def _migration_guide(contract_diff: Any) -> str:
    if contract_diff is None:
        return ""
    try:
        from asyncguard.contracts.api import render_migration_guide
    except ImportError:
        return ""
    try:
        return str(render_migration_guide(contract_diff))
    except Exception as exc:  # the gate must not fail because a guide could not be rendered
        return f"_(the migration guide could not be rendered: {exc})_"


async def after_pr_run(
    gh: GitHubAPI,
    *,
    store: AuditStore,
    repo_full_name: str,
    pull: dict[str, Any],
    head_sha: str,
    report: Any,
    repo_config: RepoConfig,
) -> Decision | None:
    """Evaluate the gate for a finished PR run and post `asyncguard/governance` on `head_sha`."""
    number = int(pull["number"])
    async with pr_lock(store, repo_full_name, number):
        state = await store.state(repo_full_name, number)
        diff = getattr(report, "contract_diff", None)
        state.head_sha = head_sha
        state.base_ref = str((pull.get("base") or {}).get("ref") or state.base_ref or "") or None
        state.changes = governed_changes(diff, repo_config.governance)
        if diff is None:  # fail closed: a PR run without a contract comparison proves nothing
            state.changes = [UNKNOWN_CHANGE]
        state.fingerprint = fingerprint(state.changes)
        state.migration_guide = _migration_guide(diff) if state.fingerprint != NO_CHANGES else ""
        state.checklist = [str(getattr(i, "text", i)) for i in getattr(report, "checklist", []) or []]
        state.notes = list(repo_config.errors)
        a = state.approval
        if a is not None and a.fingerprint is None and a.head_sha != head_sha:
            # approved at a head that was never evaluated and is gone now: what it covered is unknown
            state.approval = Approval(a.actor, a.via, f"unevaluated:{a.head_sha}", a.head_sha, a.at, a.reason)
        work = Work()
        _expire_bypass(state, head_sha, work)
        labels = await ghops.labels_on(gh, repo_full_name, number)
        author = str((pull.get("user") or {}).get("login") or "") or None
        return await reconcile(gh, store, state, repo_config, work, labels=labels, pr_author=author)


async def after_failed_run(
    gh: GitHubAPI,
    *,
    store: AuditStore,
    repo_full_name: str,
    pull: dict[str, Any],
    head_sha: str,
    reason: str,
    repo_config: RepoConfig,
) -> None:
    """The PR run could not finish: post `asyncguard/governance` failing on `head_sha`, saying why.

    Fail closed without touching what was evaluated or approved before: the state (changes,
    fingerprint, approval) stays as it was, so a transient failure never voids an approval; a
    re-run that finishes evaluates the gate as usual.
    """
    number = int(pull["number"])
    async with pr_lock(store, repo_full_name, number):
        state = await store.state(repo_full_name, number)
        gov = repo_config.governance
        conclusion = {"off": "success", "warn": "neutral"}.get(gov.breaking_changes, "failure")
        summary = (
            f"The interface changes of `{head_sha[:7]}` are unknown: the `asyncguard` check could not finish.\n\n"
            f"{reason}\n\nFix that (or re-run the `asyncguard` check when it was temporary)"
            + ("; until then this check fails." if conclusion == "failure" else
               f"; `governance.breaking_changes: {gov.breaking_changes}` on the base branch.")
        )
        state.check_run_id = await ghops.post_check(
            gh, repo_full_name, head_sha=head_sha, name=CHECK_NAME, conclusion=conclusion,
            title="Interface changes unknown: the checks could not finish", summary=summary,
            check_run_id=state.check_run_id if state.check_head_sha == head_sha else None,
        )
        state.check_head_sha = head_sha
        if state.head_sha in (None, head_sha):
            state.conclusion = conclusion
        await store.commit(state, [NewRecord(
            "gate", repo_full_name, number, head_sha, None, None, [UNKNOWN_CHANGE],
            {"conclusion": conclusion, "mode": gov.breaking_changes, "unevaluated": reason,
             "config_errors": list(repo_config.errors)},
        )])


def config_problem_note(cfg: RepoConfig) -> str:
    """For other check summaries: one line saying the config was malformed, if it was."""
    return f"`{CONFIG_FILE}`: {len(cfg.errors)} problem(s); safe defaults used." if cfg.errors else ""
