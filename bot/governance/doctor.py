"""`/asyncguard doctor`: is `asyncguard/governance` actually required on the base branch?

Checks classic branch protection and repository rulesets; either one making it required is enough.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gidgethub
from gidgethub.abc import GitHubAPI

from asyncguard.bot.governance.ghops import split
from asyncguard.bot.governance.repo_config import CONFIG_FILE, RepoConfig

CHECK_NAME = "asyncguard/governance"


@dataclass
class DoctorResult:
    required: bool
    findings: list[str] = field(default_factory=list)


async def _protection(gh: GitHubAPI, repo: str, branch: str, out: DoctorResult) -> bool:
    try:
        data = await gh.getitem(
            "/repos/{owner}/{repo}/branches/{branch}/protection", url_vars={**split(repo), "branch": branch}
        )
    except gidgethub.BadRequest as exc:
        if exc.status_code == 404:
            out.findings.append(f"branch protection: `{branch}` has no classic protection rule")
        else:
            out.findings.append(
                f"branch protection: GitHub answered {int(exc.status_code)} (the app needs Administration: read)"
            )
        return False
    rsc = data.get("required_status_checks") or {}
    names = set(rsc.get("contexts") or []) | {c.get("context") for c in rsc.get("checks") or []}
    if CHECK_NAME in names:
        out.findings.append(f"branch protection: `{CHECK_NAME}` is a required status check on `{branch}`")
        return True
    out.findings.append(
        f"branch protection: `{branch}` is protected but `{CHECK_NAME}` is not among its required checks"
        + (f" ({', '.join(sorted(n for n in names if n))})" if names - {None} else "")
    )
    return False


async def _rulesets(gh: GitHubAPI, repo: str, branch: str, out: DoctorResult) -> bool:
    try:
        found = False
        async for rule in gh.getiter(
            "/repos/{owner}/{repo}/rules/branches/{branch}", url_vars={**split(repo), "branch": branch}
        ):
            if rule.get("type") != "required_status_checks":
                continue
            checks = (rule.get("parameters") or {}).get("required_status_checks") or []
            if any(c.get("context") == CHECK_NAME for c in checks):
                out.findings.append(f"rulesets: `{CHECK_NAME}` is required by ruleset {rule.get('ruleset_id')}")
                found = True
    except gidgethub.BadRequest as exc:
        out.findings.append(f"rulesets: GitHub answered {int(exc.status_code)}")
        return False
    if not found:
        out.findings.append(f"rulesets: no ruleset on `{branch}` requires `{CHECK_NAME}`")
    return found


async def diagnose(gh: GitHubAPI, repo: str, branch: str, cfg: RepoConfig) -> DoctorResult:
    out = DoctorResult(required=False)
    a = await _protection(gh, repo, branch, out)
    b = await _rulesets(gh, repo, branch, out)
    out.required = a or b
    gov = cfg.governance
    out.findings.append(
        f"config: `{CONFIG_FILE}` {'found' if cfg.found else 'not found (defaults)'} on `{branch}`; "
        f"breaking_changes: `{gov.breaking_changes}`, label: `{gov.approval_label}`, "
        f"approvers: {gov.who_may_approve()}, stale_on_push: `{str(gov.stale_on_push).lower()}`"
    )
    out.findings.extend(f"config problem: {e}" for e in cfg.errors)
    return out


def render(result: DoctorResult, branch: str) -> str:
    head = (
        f"`{CHECK_NAME}` **is required** on `{branch}`: the gate blocks merges."
        if result.required
        else f"`{CHECK_NAME}` **is not required** on `{branch}`: a failing gate does not block the merge. "
        "Add it under Settings > Branches (or Rules) > Require status checks to pass."
    )
    return head + "\n\n" + "\n".join(f"- {f}" for f in result.findings)
