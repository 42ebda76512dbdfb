"""The SQLite store: WAL, atomic state+record commits, nothing lost when the writer is killed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asyncguard.bot.governance.audit_store import Approval, AuditStore, NewRecord, PRState

ROOT = Path(__file__).resolve().parents[2]


def test_wal_mode_and_roundtrip(tmp_path: Path) -> None:
    store = AuditStore.in_data_dir(tmp_path / "data")
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    st = PRState(repo="o/r", pr=7, head_sha="abc", fingerprint="f1", changes=[{"code": "AG202", "symbol": "m.f"}])
    st.approval = Approval("alice", "label", "f1", "abc", 1.0, "ok")
    ids = store.commit(st, [NewRecord("approval", "o/r", 7, "abc", "alice", "f1", st.changes, {"via": "label"})])
    assert len(ids) == 1
    store.close()
    again = AuditStore.in_data_dir(tmp_path / "data")
    loaded = again.state("o/r", 7)
    assert loaded.approval == st.approval and loaded.changes == st.changes
    assert again.fingerprint_for_head("o/r", 7, "abc") == "f1"
    assert again.fingerprint_for_head("o/r", 7, "zzz") is None
    [rec] = again.records()
    assert (rec.kind, rec.actor, rec.detail) == ("approval", "alice", {"via": "label"})
    assert again.state("o/r", 8) == PRState(repo="o/r", pr=8)


def test_failed_commit_writes_nothing(tmp_path: Path) -> None:
    store = AuditStore(tmp_path / "s.db")
    st = PRState(repo="o/r", pr=1, head_sha="a", fingerprint="x")
    with pytest.raises(ValueError, match="unknown audit kind"):
        store.commit(st, [NewRecord("gate", "o/r", 1), NewRecord("nonsense", "o/r", 1)])
    assert store.records() == []
    assert store.state("o/r", 1).head_sha is None


def test_filters(tmp_path: Path) -> None:
    store = AuditStore(tmp_path / "s.db")
    store.record(NewRecord("gate", "o/a", 1, ts=100.0))
    store.record(NewRecord("gate", "o/b", 2, ts=200.0))
    store.record(NewRecord("bypass", "o/b", 2, ts=300.0))
    assert [r.ts for r in store.records(since=150)] == [200.0, 300.0]
    assert [r.kind for r in store.records(repo="o/b", pr=2)] == ["gate", "bypass"]


WRITER = """
import sys
from asyncguard.bot.governance.audit_store import AuditStore, NewRecord, PRState
store = AuditStore(sys.argv[1])
i = 0
while True:
    i += 1
    st = PRState(repo="o/r", pr=1, head_sha=f"h{i}", fingerprint=f"f{i}")
    store.commit(st, [NewRecord("gate", "o/r", 1, f"h{i}", detail={"n": i})])
    print(i, flush=True)
"""


def test_kill_mid_write_loses_nothing_committed(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    acknowledged = 0
    deadline = time.monotonic() + 60
    while acknowledged < 40 and time.monotonic() < deadline:
        acknowledged = int(proc.stdout.readline().split()[0])
    os.kill(proc.pid, signal.SIGKILL)  # no chance to clean up: mid-transaction or between them
    proc.wait()
    assert acknowledged >= 40
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    store = AuditStore(db)
    ns = [r.detail["n"] for r in store.records()]
    assert ns == list(range(1, len(ns) + 1))  # no gaps, no half-written record
    assert len(ns) >= acknowledged  # every record the writer saw committed survived
    # the state is the one of the last committed record: written in the same transaction
    assert store.state("o/r", 1).head_sha == f"h{ns[-1]}"
