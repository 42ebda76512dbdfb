"""The monitoring store on both engines (a fresh SQLite file, a fresh PostgreSQL database)."""

from __future__ import annotations

from asyncguard.bot.monitoring.store import Feedback, MonitoringStore, RunRecord, SeenFinding
from asyncguard.bot.storage import Database


def seen(fp: str, line: int, head: str) -> SeenFinding:
    return SeenFinding("o/r", 1, fp, "AG101", "a.py", line, "m", f"h{fp}", head)


async def test_runs_findings_feedback_and_issues(database_url: str) -> None:
    db = Database(database_url)
    store = MonitoringStore(db)
    await store.record_run(RunRecord("o/r", 1, "h1", "failure", 3.0, 0.5, {"AG101": 2}, 42, 100.0),
                           [seen("a", 1, "h1"), seen("b", 2, "h1")])
    await store.record_run(RunRecord("o/r", 1, "h2", "failure", 4.0, 0.1, {"AG101": 1}, 42, 200.0),
                           [seen("a", 5, "h2")])  # `a` moved to line 5; `b` is gone
    await store.record_run(RunRecord("x/y", 3, "h9", "success", 1.0, 0.0, {}, 7, 150.0))
    assert [(f.fingerprint, f.line) for f in await store.latest_findings("o/r", 1)] == [("a", 5)]
    assert {f.fingerprint for f in await store.seen_findings("o/r", 1)} == {"a", "b"}
    assert sorted(f.fingerprint for f in await store.shown(since=0, until=150)) == ["a", "b"]  # first shown at 100
    assert await store.shown(since=150) == []
    assert [r.head_sha for r in await store.runs(since=150)] == ["h9", "h2"]
    assert await store.repositories() == {42: ["o/r"], 7: ["x/y"]}

    fb = Feedback("o/r", 1, "AG101", "a", "ha", "a.py", 5, "m", "ann", "command", "why")
    assert await store.add_feedback(fb) is True
    assert await store.add_feedback(fb) is False  # the same person, the same finding: once
    assert await store.add_feedback(Feedback("o/r", 1, "AG101", "a", "ha", "a.py", 5, "m", "bob", "reaction")) is True
    assert await store.reported_by("o/r", 1) == {"a": {"ann", "bob"}}
    assert [f.actor for f in await store.feedback(repo="o/r")] == ["ann", "bob"]

    assert await store.report_issue("acme/gov", "2026-11") is None
    await store.set_report_issue("acme/gov", "2026-11", 12)
    await store.set_report_issue("acme/gov", "2026-11", 13)
    assert await store.report_issue("acme/gov", "2026-11") == 13
    await db.close()
