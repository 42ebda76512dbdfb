"""The scenario through the real bot: signed webhooks into the aiohttp server, its queue and PR run,
the fake GitHub (OpenAPI-validated), and finally `asyncguard audit` as a real subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fakegithub import pull_request_payload
from fakegithub.governance_routes import human_labels
from fakegithub.webhooks import check_payload

from .support import API_ASYNC_2, REPO, Env

LABEL = "api-change-approved"
ROOT = Path(__file__).resolve().parents[2]


async def _deliver(bot: Any, event: str, payload: dict[str, Any]) -> None:
    status, text = await bot.webhook.deliver(event, payload)
    assert status == 202, text
    await bot.settle()


def _audit(data_dir: Path, fmt: str) -> str:
    exe = Path(sys.executable).with_name("asyncguard")
    done = subprocess.run(
        [str(exe), "audit", "--since", "1d", "--format", fmt, "--data-dir", str(data_dir)],
        capture_output=True, text=True, cwd=ROOT, timeout=60, env={**os.environ},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_scenario_through_the_bot(env: Env, start_bot: Callable[..., Awaitable[Any]], tmp_path: Path) -> None:
    bot = await start_bot()
    data_dir = tmp_path / "bot-data"
    head1 = env.pull.head_sha

    await _deliver(bot, "pull_request", pull_request_payload(env.fake, REPO, 1, "opened"))
    assert env.fake.runs_for(REPO, head1)  # the main check ran
    assert env.conclusion(head1) == "failure"

    human_labels(env.fake, REPO, 1, LABEL, "mallory")
    await _deliver(bot, "pull_request", env.label_payload("labeled", LABEL, "mallory"))
    assert LABEL not in env.labels()

    await _deliver(bot, "issue_comment", env.comment_payload("/asyncguard approve API review done", "alice"))
    assert env.conclusion(head1) == "success"
    # the bot's own label comes back as a webhook: recognised, still green
    await _deliver(bot, "pull_request", env.label_payload("labeled", LABEL, "asyncguard[bot]", "Bot"))
    assert env.conclusion(head1) == "success"

    head2 = env.push({"pkg/api.py": API_ASYNC_2}, "add timeout")
    await _deliver(bot, "pull_request", pull_request_payload(env.fake, REPO, 1, "synchronize"))
    assert env.conclusion(head2) == "failure"
    assert LABEL not in env.labels()
    assert sum(1 for c in env.bot_comments() if "asyncguard:governance" in c.body) == 1

    # the Re-run button on the governance check re-evaluates without a new approval: still failing
    await _deliver(bot, "check_run", check_payload(env.fake, REPO, 1, "check_run", "rerequested",
                                                   name="asyncguard/governance"))
    assert env.conclusion(head2) == "failure"

    await _deliver(bot, "pull_request", env.closed_payload("mallory"))

    data = json.loads(await asyncio.to_thread(_audit, data_dir, "json"))
    assert data["approvals_by"] == {"alice": 1}
    assert data["counts"]["unauthorized"] == 1 and data["counts"]["stale"] == 1
    assert [b["actor"] for b in data["bypasses"]] == ["mallory"]
    assert len(data["time_to_approval"]) == 1
    md = await asyncio.to_thread(_audit, data_dir, "md")
    assert "## Breaking changes merged (1)" in md and "@alice (1)" in md


async def test_pr_editing_config_to_off_is_still_gated_by_the_bot(
    env: Env, start_bot: Callable[..., Awaitable[Any]]
) -> None:
    bot = await start_bot()
    head = env.push({".asyncguard.yml": "governance:\n  breaking_changes: off\n"}, "turn my own gate off")
    await _deliver(bot, "pull_request", pull_request_payload(env.fake, REPO, 1, "opened"))
    assert env.conclusion(head) == "failure"


async def test_label_and_push_at_once_through_the_bot(env: Env, start_bot: Callable[..., Awaitable[Any]]) -> None:
    bot = await start_bot()
    await _deliver(bot, "pull_request", pull_request_payload(env.fake, REPO, 1, "opened"))
    head1 = env.pull.head_sha
    human_labels(env.fake, REPO, 1, LABEL, "alice")
    label = env.label_payload("labeled", LABEL, "alice", head_sha=head1)
    head2 = env.push({"pkg/api.py": API_ASYNC_2}, "add timeout")
    sync = pull_request_payload(env.fake, REPO, 1, "synchronize")
    results = await asyncio.gather(bot.webhook.deliver("pull_request", label),
                                   bot.webhook.deliver("pull_request", sync))
    assert [s for s, _ in results] == [202, 202]
    await bot.settle()
    assert env.conclusion(head2) == "failure"  # alice approved head1's diff; head2 changed it
    assert LABEL not in env.labels()
