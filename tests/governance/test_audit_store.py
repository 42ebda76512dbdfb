"""The SQLite store: WAL, atomic state+record commits, nothing lost when the writer is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asyncguard.bot.governance.audit_store import DB_NAME, Approval, AuditStore, NewRecord, PRState
from asyncguard.bot.storage import Database

ROOT = Path(__file__).resolve().parents[2]


def test_wal_mode(tmp_path: Path) -> None:
    store = AuditStore.in_data_dir(tmp_path / "data")
    asyncio.run(_touch(store))
    mode = sqlite3.connect(tmp_path / "data" / DB_NAME).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


async def _touch(store: AuditStore) -> None:
    await store.records()
    await store.close()


async def test_roundtrip(database_url: str) -> None:
    store = AuditStore(Database(database_url))
    st = PRState(repo="o/r", pr=7, head_sha="abc", fingerprint="f1", changes=[{"code": "AG202", "symbol": "m.f"}])
    st.approval = Approval("alice", "label", "f1", "abc", 1.0, "ok")
    ids = await store.commit(st, [NewRecord("approval", "o/r", 7, "abc", "alice", "f1", st.changes, {"via": "label"})])
    assert len(ids) == 1
    await store.db.close()
    again = AuditStore(Database(database_url))
    loaded = await again.state("o/r", 7)
    assert loaded.approval == st.approval and loaded.changes == st.changes
    assert await again.fingerprint_for_head("o/r", 7, "abc") == "f1"
    assert await again.fingerprint_for_head("o/r", 7, "zzz") is None
    [rec] = await again.records()
    assert (rec.kind, rec.actor, rec.detail) == ("approval", "alice", {"via": "label"})
    assert await again.state("o/r", 8) == PRState(repo="o/r", pr=8)
    st.head_sha, st.fingerprint = "def", "f2"  # a second commit updates the state in place
    await again.commit(st)
    assert (await again.state("o/r", 7)).head_sha == "def"
    await again.db.close()


async def test_failed_commit_writes_nothing(database_url: str) -> None:
    store = AuditStore(Database(database_url))
    st = PRState(repo="o/r", pr=1, head_sha="a", fingerprint="x")
    with pytest.raises(ValueError, match="unknown audit kind"):
        await store.commit(st, [NewRecord("gate", "o/r", 1), NewRecord("nonsense", "o/r", 1)])
    assert await store.records() == []
    assert (await store.state("o/r", 1)).head_sha is None
    await store.db.close()


async def test_lock_pr_serializes(database_url: str) -> None:
    """Two holders of one PR's lock never overlap; other PRs do not wait."""
    store = AuditStore(Database(database_url))
    inside: list[str] = []
    overlap = []

    async def work(name: str, pr: int) -> None:
        async with store.lock_pr("o/r", pr):
            if any(n.endswith(f"#{pr}") for n in inside):
                overlap.append(name)
            inside.append(f"{name}#{pr}")
            await asyncio.sleep(0.05)
            inside.remove(f"{name}#{pr}")

    await asyncio.gather(*(work(f"w{i}", 1) for i in range(4)), work("other", 2))
    assert overlap == []
    await store.db.close()


async def test_filters(database_url: str) -> None:
    store = AuditStore(Database(database_url))
    await store.record(NewRecord("gate", "o/a", 1, ts=100.0))
    await store.record(NewRecord("gate", "o/b", 2, ts=200.0))
    await store.record(NewRecord("bypass", "o/b", 2, ts=300.0))
    assert [r.ts for r in await store.records(since=150)] == [200.0, 300.0]
    assert [r.kind for r in await store.records(repo="o/b", pr=2)] == ["gate", "bypass"]
    await store.db.close()


WRITER = """
import asyncio, sys
from asyncguard.bot.governance.audit_store import AuditStore, NewRecord, PRState
from asyncguard.bot.storage import Database

async def main():
    store = AuditStore(Database(sys.argv[1]))
    i = 0
    while True:
        i += 1
        st = PRState(repo="o/r", pr=1, head_sha=f"h{i}", fingerprint=f"f{i}")
        await store.commit(st, [NewRecord("gate", "o/r", 1, f"h{i}", detail={"n": i})])
        print(i, flush=True)

asyncio.run(main())
"""


def test_kill_mid_write_loses_nothing_committed(database_url: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, database_url], cwd=ROOT, stdout=subprocess.PIPE, text=True,
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
    if database_url.startswith("sqlite"):
        con = sqlite3.connect(database_url.split("///", 1)[1])
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
    asyncio.run(_check_survivors(database_url, acknowledged))


async def _check_survivors(database_url: str, acknowledged: int) -> None:
    store = AuditStore(Database(database_url))
    ns = [r.detail["n"] for r in await store.records()]
    assert ns == list(range(1, len(ns) + 1))  # no gaps, no half-written record
    assert len(ns) >= acknowledged  # every record the writer saw committed survived
    # the state is the one of the last committed record: written in the same transaction
    assert (await store.state("o/r", 1)).head_sha == f"h{ns[-1]}"
    await store.db.close()
