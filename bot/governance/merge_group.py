"""The `asyncguard/governance` verdict for a merge-queue group (GitHub's `merge_group` event).

A merge group is a commit GitHub builds on `base_sha` (the branch tip, or the group ahead in the
queue) that adds the pull request named in its ref, `gh-readonly-queue/<base>/pr-<N>-<sha>`. The
PR got into the queue with its own gate passed, but the group is a different commit: the base
moved, and what reaches the branch is the group's change, not the PR's diff as reviewed.

The rule (pure, in `decide_group`): every governed breaking change of the group (the contract
comparison base_sha -> head_sha, the same as for a PR) must be covered by an approval recorded on
a pull request of the group, one whose approval still covers its PR's current changes, and the
change must be one of the changes that approval covered (same code, symbol and before/after
shape: the governance fingerprint's key). A change no approval covers fails the group, naming it,
so a breaking change can never ride into the branch on a merge queue. A `/asyncguard bypass` in
force on a queued PR's current head carries over to its group (the hotfix must be able to merge).
`governance.breaking_changes: off | warn` on the base behaves as for pull requests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gidgethub.abc import GitHubAPI

from asyncguard.bot.governance import ghops
from asyncguard.bot.governance.audit_store import AuditStore, NewRecord, PRState
from asyncguard.bot.governance.changes import fingerprint, governed_changes
from asyncguard.bot.governance.gate import CHECK_NAME, UNKNOWN_CHANGE, Decision, approval_status, changes_md
from asyncguard.bot.governance.repo_config import RepoConfig

QUEUE_REF = re.compile(r"^(?:refs/heads/)?gh-readonly-queue/.+/pr-(\d+)-[0-9a-f]{7,64}$")


def queued_prs(head_ref: str) -> list[int]:
    """The pull request numbers a merge group's ref names (GitHub names the PR the group adds)."""
    m = QUEUE_REF.match(head_ref or "")
    return [int(m.group(1))] if m else []


def change_key(change: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    """What a change IS, as the governance fingerprint sees it (not where it sits)."""
    return (str(change.get("code", "")), str(change.get("symbol", "")), str(change.get("new_symbol") or ""),
            str(change.get("before", "")), str(change.get("after", "")))


@dataclass(frozen=True)
class GroupVerdict:
    decision: Decision
    covered_by: dict[int, list[dict[str, Any]]]  # PR number -> the group's changes its approval covers
    uncovered: list[dict[str, Any]]
    bypassed_by: str | None = None


def decide_group(
    changes: Sequence[dict[str, Any]], states: Mapping[int, PRState], cfg: RepoConfig
) -> GroupVerdict:
    """The gate's verdict for a merge group (pure: no I/O). `states` are the queued PRs' stored states."""
    gov = cfg.governance
    n = len(changes)
    prs = ", ".join(f"#{pr}" for pr in sorted(states)) or "(none named by the merge group's ref)"
    for pr, state in sorted(states.items()):
        b = state.bypassed(state.head_sha)
        if b is not None:
            text = (f"Emergency bypass by `@{b.actor}` on #{pr} at `{b.head_sha[:7]}`: {b.reason}\n\n"
                    + (changes_md(list(changes)) if changes else "No governed breaking interface changes."))
            return GroupVerdict(Decision("success", f"Bypassed by @{b.actor} (#{pr})", text), {}, [], b.actor)
    if not changes:
        return GroupVerdict(Decision("success", "No governed breaking interface changes",
                                     f"Merge group of {prs}: nothing to approve."), {}, [])
    listing = changes_md(list(changes))
    if gov.breaking_changes == "off":
        return GroupVerdict(Decision("success", f"{n} breaking change(s), not gated",
                                     f"`governance.breaking_changes: off` on the base branch.\n\n{listing}"), {}, [])
    covered_by: dict[int, list[dict[str, Any]]] = {}
    uncovered: list[dict[str, Any]] = []
    approved = {pr: (s.approval.actor, {change_key(c) for c in s.changes}) for pr, s in states.items()
                if s.approval is not None and approval_status(s, gov) == "covers"}
    for c in changes:
        by = next((n for n, (_, keys) in sorted(approved.items()) if change_key(c) in keys), None)
        if by is None or c.get("code") == UNKNOWN_CHANGE["code"]:  # unknown is never approved
            uncovered.append(c)
        else:
            covered_by.setdefault(by, []).append(c)
    if gov.breaking_changes == "warn":
        return GroupVerdict(Decision("neutral", f"{n} breaking change(s) (warn only)",
                                     f"`governance.breaking_changes: warn` on the base branch.\n\n{listing}"),
                            covered_by, uncovered)
    who = "; ".join(f"#{pr} approved by @{approved[pr][0]}" for pr in sorted(covered_by))
    if not uncovered:
        return GroupVerdict(Decision("success", f"{n} breaking change(s) approved on {prs}",
                                     f"Merge group of {prs}: {who}.\n\n{listing}"), covered_by, [])
    return GroupVerdict(Decision(
        "failure", f"{len(uncovered)} breaking change(s) in the merge group lack an approval",
        f"Merge group of {prs}. These governed breaking changes reach the branch with this group, and no "
        f"approval on a pull request of the group covers them:\n\n{changes_md(uncovered)}\n\n"
        "Approve them on the pull request (its `asyncguard/governance` check says who may), then "
        "queue it again." + (f"\n\nCovered: {who}." if who else "")), covered_by, uncovered)


async def after_group_run(
    gh: GitHubAPI, *, store: AuditStore, repo_full_name: str, head_sha: str, head_ref: str,
    contract_diff: Any, repo_config: RepoConfig, evaluated: bool = True,
) -> GroupVerdict:
    """Decide and post `asyncguard/governance` on the merge group's head; one audit record per queued PR.

    `evaluated=False` (the analysis could not finish) fails closed: the group's changes are unknown.
    """
    prs = queued_prs(head_ref)
    states = {pr: await store.state(repo_full_name, pr) for pr in prs}
    changes = governed_changes(contract_diff, repo_config.governance) if evaluated else [UNKNOWN_CHANGE]
    if evaluated and contract_diff is None:
        changes = [UNKNOWN_CHANGE]  # no contract comparison proves nothing
    verdict = decide_group(changes, states, repo_config)
    d = verdict.decision
    await ghops.post_check(gh, repo_full_name, head_sha=head_sha, name=CHECK_NAME, conclusion=d.conclusion,
                           title=d.title, summary=d.summary)
    approvers = {pr: a.actor for pr in verdict.covered_by if (a := states[pr].approval) is not None}
    records = [NewRecord(
        "gate", repo_full_name, pr, head_sha, None, fingerprint(changes), changes,
        {"conclusion": d.conclusion, "mode": repo_config.governance.breaking_changes, "merge_group": head_ref,
         "approved_by": approvers.get(pr),
         "bypassed_by": verdict.bypassed_by, "uncovered": len(verdict.uncovered),
         "config_errors": list(repo_config.errors)},
    ) for pr in prs]
    if records:
        await store.commit(None, records)
    return verdict
