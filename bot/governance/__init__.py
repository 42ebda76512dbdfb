"""Governance: approval labels, slash-commands, the `asyncguard/governance` gate, the audit trail.

The PR-run code in `bot/` calls `after_pr_run` once a Report is ready; the webhook app composes
`router` with the other routers.
"""

from __future__ import annotations

from gidgethub import routing

router = routing.Router()
