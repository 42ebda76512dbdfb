"""Records a dashboard test (and bench/dashboard_screenshot.py) put in the bot's stores: three weeks of PR
runs on two repositories of two installations, reports, and governance decisions."""

from __future__ import annotations

import time
from typing import Any

from asyncguard.bot.governance.audit_store import NewRecord
from asyncguard.bot.monitoring.store import Feedback, RunRecord, SeenFinding

DAY = 86400.0
CHANGE = [{"code": "AG201", "symbol": "shop.mail.notify"}]
REPOS = {"octo/shop": 42, "acme/ledger": 77}


async def seed(monitoring: Any, audit: Any, now: float | None = None) -> None:
    now = time.time() if now is None else now
    start = now - 20 * DAY
    for week in range(3):
        for repo, inst in REPOS.items():
            pr = 10 * week + (1 if repo == "octo/shop" else 2)
            at = start + week * 7 * DAY
            counts = {"AG101": 2 + week, "AG107": week} if repo == "octo/shop" else {"AG101": 1}
            seen = [SeenFinding(repo, pr, f"{repo}-{pr}-{rule}-{i}", rule, "pkg/mod.py", 10 + i, f"{rule} finding",
                                f"h{i}", "head") for rule, n in counts.items() for i in range(n)]
            await monitoring.record_run(RunRecord(repo, pr, "head", "failure", 2.0 + week + (pr % 3), 0.5 * week,
                                                  {k: v for k, v in counts.items() if v}, inst, at), seen)
    await monitoring.add_feedback(Feedback("octo/shop", 1, "AG101", "octo/shop-1-AG101-0", "h0", "pkg/mod.py", 10,
                                           "AG101 finding", "alice", "command", "awaited by the decorator",
                                           ts=start + 60))
    gate = start + DAY
    for rec in [
        NewRecord("gate", "octo/shop", 1, changes=CHANGE, detail={"conclusion": "failure"}, ts=gate),
        NewRecord("approval", "octo/shop", 1, actor="alice", changes=CHANGE, detail={"via": "command"},
                  ts=gate + 3 * DAY),
        NewRecord("merge", "octo/shop", 1, actor="dev", changes=CHANGE, detail={"gate": "success"}, ts=gate + 4 * DAY),
        NewRecord("gate", "octo/shop", 11, changes=CHANGE, detail={"conclusion": "failure"}, ts=gate + 7 * DAY),
        NewRecord("merge", "octo/shop", 11, actor="mallory", changes=CHANGE, detail={"gate": "failure"},
                  ts=gate + 8 * DAY),
        NewRecord("bypass", "octo/shop", 11, actor="mallory", changes=CHANGE,
                  detail={"gate": "failure", "reason": "incident 4711 hotfix"}, ts=gate + 8 * DAY),
        NewRecord("gate", "acme/ledger", 2, changes=CHANGE, detail={"conclusion": "failure"}, ts=gate),
        NewRecord("approval", "acme/ledger", 2, actor="bob", changes=CHANGE, detail={"via": "label"},
                  ts=gate + 10 * DAY),
        NewRecord("stale", "acme/ledger", 2, actor="bob", changes=CHANGE, detail={}, ts=gate + 11 * DAY),
    ]:
        await audit.record(rec)
