"""Webhook intake: HMAC signatures, duplicates, malformed input, health/ready/metrics routes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from fakegithub import FakeGitHub
from fakegithub.botserver import BotServer
from fakegithub.webhooks import WEBHOOKS, example_bytes, sign

MANIFEST = json.loads((WEBHOOKS / "manifest.json").read_text())


async def test_signed_example_is_accepted_and_handled_once(bot_server: BotServer) -> None:
    body = example_bytes("ping", "with-app_id")
    delivery = str(uuid.uuid4())
    status, text = await bot_server.webhook.deliver("ping", body, delivery_id=delivery)
    assert status == 202, text
    status, text = await bot_server.webhook.deliver("ping", body, delivery_id=delivery)
    assert status == 200 and json.loads(text)["status"] == "duplicate"
    await bot_server.settle()
    m = bot_server.ctx.metrics
    assert m.deliveries.get(event="ping", outcome="queued") == 1
    assert m.deliveries.get(event="ping", outcome="duplicate") == 1
    assert m.jobs.count(kind="ping", outcome="ok") == 1


async def test_forged_signature_is_refused_and_nothing_enqueued(bot_server: BotServer, fake_github: FakeGitHub) -> None:
    body = example_bytes("pull_request", "opened")
    forged = sign(body, "not the secret")
    status, _ = await bot_server.webhook.deliver("pull_request", body, signature=forged)
    assert status == 401
    status, _ = await bot_server.webhook.deliver("pull_request", body, signature="")
    assert status == 401
    tampered = body.replace(b'"opened"', b'"closed"', 1)
    status, _ = await bot_server.webhook.deliver("pull_request", tampered, signature=sign(body, bot_server.webhook.secret))
    assert status == 401
    await bot_server.settle()
    assert bot_server.ctx.metrics.deliveries.get(event="pull_request", outcome="bad_signature") == 3
    assert bot_server.ctx.metrics.jobs.count(kind="pull_request", outcome="ok") == 0
    assert fake_github.requests == []


async def test_malformed_json_and_missing_headers_are_400(bot_server: BotServer) -> None:
    status, text = await bot_server.webhook.deliver("ping", b"{not json")
    assert status == 400 and "JSON" in text
    status, text = await bot_server.webhook.deliver("ping", b"[1, 2]")
    assert status == 400 and "object" in text
    status, text = await bot_server.webhook.deliver("ping", b"{}", headers={"X-GitHub-Event": ""})
    assert status == 400 and "X-GitHub-Event" in text
    async with bot_server.session.post(f"{bot_server.url}/webhook", data=b"{}",
                                       headers={"X-Hub-Signature-256": sign(b"{}", bot_server.webhook.secret)}) as r:
        assert r.status == 400


async def test_every_github_example_is_handled_without_error(bot_server: BotServer) -> None:
    """All of GitHub's example deliveries (signed, bytes unchanged) are accepted and handled."""
    for entry in MANIFEST["examples"]:
        event, name = entry["event"], Path(entry["file"]).stem
        status, text = await bot_server.webhook.deliver(event, example_bytes(event, name))
        assert status == 202, (entry["file"], text)
    await bot_server.settle()
    jobs = bot_server.ctx.metrics.jobs
    handled = sum(jobs.count(kind=e, outcome="ok") for e in {x["event"] for x in MANIFEST["examples"]})
    failed = sum(jobs.count(kind=e, outcome="error") for e in {x["event"] for x in MANIFEST["examples"]})
    assert (handled, failed) == (len(MANIFEST["examples"]), 0)


async def test_health_ready_metrics(bot_server: BotServer) -> None:
    s = bot_server.session
    async with s.get(f"{bot_server.url}/healthz") as r:
        assert r.status == 200 and (await r.json())["status"] == "ok"
    async with s.get(f"{bot_server.url}/readyz") as r:
        assert r.status == 200 and (await r.json())["status"] == "ready"
    await bot_server.webhook.deliver("ping", example_bytes("ping", "ping"))
    await bot_server.webhook.deliver("ping", b"{}", signature="sha256=00")
    await bot_server.settle()
    async with s.get(f"{bot_server.url}/metrics") as r:
        assert r.status == 200 and r.content_type == "text/plain"
        text = await r.text()
    assert 'asyncguard_webhook_deliveries_total{event="ping",outcome="queued"} 1' in text
    assert 'asyncguard_webhook_deliveries_total{event="ping",outcome="bad_signature"} 1' in text
    assert 'asyncguard_job_duration_seconds_count{kind="ping",outcome="ok"} 1' in text
    assert "# TYPE asyncguard_github_rate_limit_remaining gauge" in text


async def test_without_credentials_the_server_still_serves_health_and_training(
    start_bot: Callable[..., Awaitable[BotServer]], bot_settings: Callable[..., object]
) -> None:
    from asyncguard.bot.settings import BotSettings

    base = bot_settings()
    assert isinstance(base, BotSettings)
    server = await start_bot(settings=BotSettings(data_dir=base.data_dir))
    s = server.session
    async with s.get(f"{server.url}/healthz") as r:
        assert r.status == 200
    async with s.get(f"{server.url}/readyz") as r:
        body = await r.json()
        assert r.status == 503
        assert any("ASYNCGUARD_APP_ID" in p for p in body["problems"])
        assert any("ASYNCGUARD_WEBHOOK_SECRET" in p for p in body["problems"])
    async with s.post(f"{server.url}/webhook", data=b"{}", headers={"X-GitHub-Event": "ping"}) as r:
        assert r.status == 503 and "ASYNCGUARD_WEBHOOK_SECRET" in await r.text()
    from asyncguard.bot.app import SITE

    task = server.app[SITE]["task"]
    await task
    async with s.get(f"{server.url}/training/") as r:
        assert r.status == 200 and "<html" in (await r.text()).lower()
    async with s.get(f"{server.url}/training/rules/AG101.html") as r:
        assert r.status == 200
    async with s.get(f"{server.url}/training/..%2F..%2Fdeliveries.sqlite3") as r:
        assert r.status == 404
