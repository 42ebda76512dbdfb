"""Governance: approval labels, slash-commands, the `asyncguard/governance` gate, the audit trail.

The PR-run code in `bot/` calls `bot.governance.gate.after_pr_run` once a Report is ready; the
webhook app composes `router` with its own and dispatches with `governance=GovernanceContext(...)`
(or sets a process default with `bot.governance.context.set_default_context`).
"""

from __future__ import annotations

from gidgethub import routing

from asyncguard.bot.governance import labels, merges, rerun, slash

router = routing.Router(labels.router, merges.router, rerun.router, slash.router)

__all__ = ["router"]
