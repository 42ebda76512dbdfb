"""What a PR run request is: the PR, the head to analyze, its check run, and why it was asked for.

The durable queue that runs them (one at a time per PR, newest head wins) is `pr_queue.PRQueue`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PRKey:
    installation_id: int
    repo: str  # owner/name
    number: int


@dataclass
class RunRequest:
    key: PRKey
    head_sha: str
    check_run_id: int | None
    reason: str
    requested_at: float = field(default_factory=time.time)  # wall clock (jobs cross processes): queue wait


FORCE_REASONS = {"rerequested", "command", "reopened"}  # explicit asks for a fresh run
