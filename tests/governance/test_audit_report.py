"""The audit report: merged breaking changes, approvals by whom, time to approval, bypasses."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import time
from pathlib import Path

import pytest

from asyncguard.bot.governance import cli
from asyncguard.bot.governance.audit_report import (
    build_report,
    median,
    parse_since,
    percentile,
    render_csv,
    render_md,
)
from asyncguard.bot.governance.audit_store import AuditStore, NewRecord

CH = [{"code": "AG202", "symbol": "pkg.api.fetch"}]
DAY = 86400.0
NOW = time.time()


async def seed(store: AuditStore) -> None:
    t = NOW - 5 * DAY
    # PR 1: fails, approved 1 hour later by alice, merged
    await store.record(NewRecord("gate", "o/r", 1, "h1", None, "f", CH, {"conclusion": "failure"}, ts=t))
    await store.record(NewRecord("gate", "o/r", 1, "h1", None, "f", CH, {"conclusion": "failure"}, ts=t + 60))
    await store.record(NewRecord("approval", "o/r", 1, "h1", "alice", "f", CH, {"via": "label"}, ts=t + 3600))
    await store.record(NewRecord("merge", "o/r", 1, "h1", "bob", "f", CH, {"gate": "success", "approved_by": "alice"},
                           ts=t + 4000))
    # PR 2: fails, approved after 3 hours by carol via command
    await store.record(NewRecord("gate", "o/r", 2, "h2", None, "g", CH, {"conclusion": "failure"}, ts=t))
    await store.record(NewRecord("approval", "o/r", 2, "h2", "carol", "g", CH, {"via": "command", "reason": "ok"},
                           ts=t + 3 * 3600))
    # PR 3: fails, merged anyway: a bypass
    await store.record(NewRecord("gate", "o/r", 3, "h3", None, "k", CH, {"conclusion": "failure"}, ts=t))
    await store.record(NewRecord("merge", "o/r", 3, "h3", "mallory", "k", CH, {"gate": "failure"}, ts=t + 10))
    await store.record(NewRecord("bypass", "o/r", 3, "h3", "mallory", "k", CH, {"gate": "failure"}, ts=t + 10))
    # PR 4: compatible-only merge (no changes) and an old record outside the window
    await store.record(NewRecord("merge", "o/r", 4, "h4", "bob", "none", [], {"gate": "success"}, ts=t))
    await store.record(NewRecord("approval", "o/old", 9, "x", "zed", "z", CH, {"via": "label"}, ts=NOW - 90 * DAY))


def test_stats_helpers() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0 and median([1.0, 2.0, 3.0, 4.0]) == 2.5 and median([]) is None
    assert percentile([float(i) for i in range(1, 11)], 90) == 9.0
    assert percentile([5.0], 90) == 5.0 and percentile([], 90) is None


def test_parse_since() -> None:
    assert parse_since("30d", now=NOW) == NOW - 30 * DAY
    assert parse_since("12h", now=NOW) == NOW - 12 * 3600
    assert parse_since("2w", now=NOW) == NOW - 14 * DAY
    assert parse_since("2027-01-15") == parse_since("2027-01-15T00:00:00Z")
    with pytest.raises(ValueError, match="duration like 30d"):
        parse_since("last tuesday")


async def test_report_contents(tmp_path: Path) -> None:
    async with AuditStore(tmp_path / "s.db") as store:
        await seed(store)
        records = await store.records(since=NOW - 30 * DAY)
    rep = build_report(records, NOW - 30 * DAY, NOW)
    assert [m["pr"] for m in rep.merged_breaking] == [3, 1]  # in time order
    assert rep.approvals_by == {"alice": 1, "carol": 1}
    assert sorted(t["seconds"] for t in rep.time_to_approval) == [3600.0, 3 * 3600.0]
    assert rep.tta_median_s == (3600.0 + 3 * 3600.0) / 2 and rep.tta_p90_s == 3 * 3600.0
    assert [(b["pr"], b["actor"]) for b in rep.bypasses] == [(3, "mallory")]
    md = render_md(rep)
    assert "## Breaking changes merged (2)" in md and "@alice (1)" in md and "median 2.0h, p90 3.0h" in md
    assert "| o/r | #3 |" in md and "@zed" not in md
    rows = list(csv.DictReader(io.StringIO(render_csv(rep))))
    assert {r["section"] for r in rows} >= {"merged_breaking", "approval", "time_to_approval", "bypass", "summary"}
    assert [r["actor"] for r in rows if r["section"] == "bypass"] == ["mallory"]


def _write(store: AuditStore, rec: NewRecord) -> None:
    async def write() -> None:
        await store.record(rec)
        await store.close()

    asyncio.run(write())


def _args(**kw: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    argv = ["audit"]
    for k, v in kw.items():
        argv += [f"--{k.replace('_', '-')}", str(v)]
    return parser.parse_args(argv)


def test_cli_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = AuditStore.in_data_dir(tmp_path)

    async def write() -> None:
        await seed(store)
        await store.close()

    asyncio.run(write())
    args = _args(since="3650d", format="json", data_dir=tmp_path)
    assert args.func(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["approvals_by"] == {"alice": 1, "carol": 1, "zed": 1}
    assert len(data["bypasses"]) == 1
    args = _args(since="30d", format="md", data_dir=tmp_path, repo="o/old")
    assert args.func(args) == 0
    assert "## Approvals (0)" in capsys.readouterr().out  # zed's approval is 90 days old


def test_cli_bad_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _args(since="yesterday-ish", data_dir=tmp_path)
    assert args.func(args) == 2
    assert "duration like 30d" in capsys.readouterr().err
    args = _args(data_dir=tmp_path / "nothing")
    assert args.func(args) == 2
    assert "no governance store" in capsys.readouterr().err
    bad = tmp_path / "junk.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    args = _args(db=bad)
    assert args.func(args) == 2
    assert "not a readable governance store" in capsys.readouterr().err


def test_cli_finds_the_store_like_the_bot_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """No flags: ASYNCGUARD_DATA_DIR, else `./.env`, else the bot's default data dir."""
    from asyncguard.bot.settings import BotSettings

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASYNCGUARD_DATA_DIR", raising=False)
    _write(AuditStore.in_data_dir(tmp_path / BotSettings().data_dir), NewRecord("bypass", "o/r", 5, "h", "mallory", ts=time.time()))
    args = _args(format="json")
    assert args.func(args) == 0 and json.loads(capsys.readouterr().out)["bypasses"][0]["actor"] == "mallory"
    _write(AuditStore.in_data_dir(tmp_path / "elsewhere"), NewRecord("bypass", "o/r", 6, "h", "eve", ts=time.time()))
    (tmp_path / ".env").write_text("ASYNCGUARD_DATA_DIR=elsewhere\n")
    assert args.func(args) == 0 and json.loads(capsys.readouterr().out)["bypasses"][0]["actor"] == "eve"
    monkeypatch.setenv("ASYNCGUARD_DATA_DIR", str(tmp_path / BotSettings().data_dir))
    assert args.func(args) == 0 and json.loads(capsys.readouterr().out)["bypasses"][0]["actor"] == "mallory"
