"""`asyncguard audit report` and `asyncguard feedback export` as real subprocesses over real stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from asyncguard.bot.governance.audit_store import AuditStore, NewRecord
from asyncguard.bot.monitoring.store import Feedback, MonitoringStore, RunRecord, SeenFinding
from asyncguard.bot.storage import Database

ROOT = Path(__file__).resolve().parents[2]
EXE = Path(sys.executable).with_name("asyncguard")
DAY = 86400.0
CHANGE = [{"code": "AG201", "symbol": "pkg.api.fetch"}]


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ})


@pytest.fixture
async def data_dir(tmp_path: Path) -> Path:
    """October: one PR approved in 3 days. November: one approved in 1 day, one merged past the gate."""
    db = Database.for_data_dir(tmp_path)
    audit = AuditStore(db)
    oct1, nov1 = ts("2026-10-05T10:00:00"), ts("2026-11-03T10:00:00")
    for rec in [
        NewRecord("gate", "o/r", 1, changes=CHANGE, detail={"conclusion": "failure"}, ts=oct1),
        NewRecord("approval", "o/r", 1, actor="alice", changes=CHANGE, detail={"via": "command"}, ts=oct1 + 3 * DAY),
        NewRecord("gate", "o/r", 2, changes=CHANGE, detail={"conclusion": "failure"}, ts=nov1),
        NewRecord("approval", "o/r", 2, actor="bob", changes=CHANGE, detail={"via": "label"}, ts=nov1 + DAY),
        NewRecord("merge", "o/r", 2, actor="dev", changes=CHANGE, detail={"gate": "success"}, ts=nov1 + 2 * DAY),
        NewRecord("gate", "o/r", 3, changes=CHANGE, detail={"conclusion": "failure"}, ts=nov1),
        NewRecord("merge", "o/r", 3, actor="mallory", changes=CHANGE, detail={"gate": "failure"}, ts=nov1 + DAY),
        NewRecord("bypass", "o/r", 3, actor="mallory", changes=CHANGE,
                  detail={"gate": "failure", "reason": "| pipes | in reason"}, ts=nov1 + DAY),
        NewRecord("gate", "x/y", 9, changes=CHANGE, detail={"conclusion": "failure"}, ts=nov1),  # another repo
    ]:
        await audit.record(rec)
    mon = MonitoringStore(db)
    seen = [SeenFinding("o/r", 2, f"fp{i}", "AG101", "a.py", i, "coroutine never awaited", f"h{i}", "head",
                        'x = ""' if i == 1 else None) for i in range(1, 5)]
    await mon.record_run(RunRecord("o/r", 2, "head", "failure", 4.0, 1.0, {"AG101": 4}, 1, nov1), seen)
    await mon.add_feedback(Feedback("o/r", 2, "AG101", "fp1", "h1", "a.py", 1, "coroutine never awaited", "ann",
                              "command", "awaited by the wrapper", 'x = ""', ts=nov1 + 60))
    assert not await mon.add_feedback(Feedback("o/r", 2, "AG101", "fp1", "h1", "a.py", 1, "m", "ann", "reaction"))
    await mon.add_feedback(Feedback("o/r", 2, "AG101", "fp1", "h1", "a.py", 1, "coroutine never awaited", "bob",
                              "reaction", "", 'x = ""', ts=nov1 + 120))
    await db.close()
    return tmp_path


def test_monthly_report_json_has_the_month_and_the_change(data_dir: Path) -> None:
    done = cli("audit", "report", "--month", "2026-11", "--format", "json", "--repo", "o/r",
               "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    cur, prev = data["current"], data["previous"]
    assert data["previous_month"] == "2026-10"
    assert cur["breaking"]["proposed"] == 2 and prev["breaking"]["proposed"] == 1  # x/y left out by --repo
    assert (cur["breaking"]["bypassed"], cur["breaking"]["unapproved_merged"]) == (1, 1)
    assert cur["breaking"]["bypasses"][0]["reason"] == "| pipes | in reason"
    assert cur["tta"]["p50_s"] == DAY and prev["tta"]["p50_s"] == 3 * DAY
    assert data["change"]["Time to approval, p50"] == -2 * DAY
    assert cur["precision"] == [{"rule": "AG101", "shown": 4, "reported": 1, "rate": 0.25}]
    assert cur["performance"]["runs"] == 1 and cur["approvers"] == {"bob": 1}


def test_monthly_report_markdown_and_html(data_dir: Path) -> None:
    md = cli("audit", "report", "--month", "2026-11", "--data-dir", str(data_dir))
    assert md.returncode == 0, md.stderr
    assert "**1 PR(s) with breaking changes were merged without approval.**" in md.stdout
    assert "| Time to approval, p50 | 24.0h | 3.0d | -2.0d |" in md.stdout
    assert "\\| pipes \\| in reason" in md.stdout  # a reason cannot break the table
    out = data_dir / "report.html"
    html = cli("audit", "report", "--month", "2026-11", "--format", "html", "--data-dir", str(data_dir), "-o", str(out))
    assert html.returncode == 0, html.stderr
    page = out.read_text()
    assert page.startswith("<!doctype html>") and "<table>" in page and "http" not in page.split("<body>")[0]


def test_bad_month_and_missing_store_are_clear_errors(data_dir: Path, tmp_path: Path) -> None:
    bad = cli("audit", "report", "--month", "2026-13", "--data-dir", str(data_dir))
    assert bad.returncode == 2 and "expected YYYY-MM" in bad.stderr and not bad.stdout
    missing = cli("audit", "report", "--month", "2026-11", "--data-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no store at" in missing.stderr
    legacy = cli("audit", "--since", "400d", "--format", "json", "--data-dir", str(data_dir))  # the old form still works
    assert legacy.returncode == 0 and json.loads(legacy.stdout)["counts"]["bypass"] == 1


def test_feedback_export_merges_reporters_and_keeps_no_secret(data_dir: Path) -> None:
    done = cli("feedback", "export", "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["reported_false_positives"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["rule"], row["message"], row["path"], row["line"], row["snippet"]) == (
        "AG101", "coroutine never awaited", "a.py", 1, 'x = ""')
    assert [(r["by"], r["via"], r["reason"]) for r in row["reports"]] == [
        ("ann", "command", "awaited by the wrapper"), ("bob", "reaction", "")]
    jsonl = cli("feedback", "export", "--format", "jsonl", "--rule", "AG107", "--data-dir", str(data_dir))
    assert jsonl.returncode == 0 and jsonl.stdout == ""
    bad = cli("feedback", "export", "--since", "soon", "--data-dir", str(data_dir))
    assert bad.returncode == 2 and "--since" in bad.stderr
