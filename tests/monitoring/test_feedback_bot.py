"""False-positive feedback through the real bot: signed webhooks over HTTP, its queue and PR runs, the fake
GitHub (OpenAPI-validated), the store on disk. Three ways in: the command, a review reply, a 👎."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot_scenario import BASE, HEAD_BROKEN, REPO, open_pr
from fakegithub import FakeGitHub
from fakegithub.governance_routes import gov
from fakegithub.monitoring_routes import human_react, mon

from asyncguard.bot.review import MARKER_RE

from .support import issue_comment_payload, review_reply_payload

StartBot = Callable[..., Awaitable[Any]]


async def _setup(fake_github: FakeGitHub, make_git_repo: Any, start_bot: StartBot) -> tuple[Any, Any, Any]:
    bot = await start_bot()
    # notify() is async on both sides and the head adds the unawaited call: a plain AG101 with no
    # interface change at that site (where a break's AG2xx finding stands, it is the one reported)
    base = {**BASE, "shop/mail.py": HEAD_BROKEN["shop/mail.py"],
            "shop/orders.py": "from shop.mail import notify\n\n\nasync def place_order(user):\n    return user\n"}
    pr = open_pr(fake_github, make_git_repo("shop"), bot, head={"shop/orders.py": HEAD_BROKEN["shop/orders.py"]},
                 base=base)
    gov(fake_github).roles[REPO] = {"alice": "write", "bob": "read", "carol": "triage"}
    await pr.event("opened")
    await bot.settle()
    (ours,) = [c for c in fake_github.review_comments.values() if c.user_type == "Bot"]
    return bot, pr, ours


def _ag101_at_caller(run: Any) -> list[dict[str, Any]]:
    return [a for a in run.annotations if a["title"].startswith("AG101") and a["path"] == "shop/orders.py"]


async def test_command_records_acknowledges_and_the_finding_is_not_posted_again(
    fake_github: FakeGitHub, make_git_repo: Any, start_bot: StartBot
) -> None:
    bot, pr, ours = await _setup(fake_github, make_git_repo, start_bot)
    assert ours.path == "shop/orders.py" and ours.line == 5 and _ag101_at_caller(pr.run())
    fp = MARKER_RE.search(ours.body).group(1)  # type: ignore[union-attr]

    payload = issue_comment_payload(fake_github, REPO, 1,
                                    "/asyncguard false-positive AG101 shop/orders.py:5 notify is sync in prod", "alice")
    status, _ = await bot.webhook.deliver("issue_comment", payload)
    assert status == 202
    await bot.settle()
    reactions = gov(fake_github).reactions[payload["comment"]["id"]]
    assert [r["content"] for r in reactions] == ["+1"]
    reply = [c for c in fake_github.issue_comments.values() if c.user_type == "Bot"][-1]
    assert "Recorded AG101 at `shop/orders.py:5`" in reply.body
    (fb,) = await bot.ctx.monitoring_store().feedback(repo=REPO)
    assert (fb.rule, fb.fingerprint, fb.actor, fb.reason, fb.via, fb.path, fb.line) == (
        "AG101", fp, "alice", "notify is sync in prod", "command", "shop/orders.py", 5)
    assert len(fb.code_hash) == 32 and fb.snippet is None  # snippets are off unless the repo allows them

    await pr.push({"shop/extra.py": "x = 1\n"}, "unrelated")
    await pr.event("synchronize")
    await bot.settle()
    run = pr.run()
    assert _ag101_at_caller(run) == []  # not annotated again on this PR
    assert "reported as false positive on this pull request is not shown again" in run.output["summary"]
    assert ours.id in fake_github.review_comments  # the thread stays: it is the record of why
    assert [c.id for c in fake_github.review_comments.values() if c.user_type == "Bot"] == [ours.id]  # nothing new

    again = issue_comment_payload(fake_github, REPO, 1, "/asyncguard false-positive AG101 shop/orders.py:5", "alice")
    await bot.webhook.deliver("issue_comment", again)
    await bot.settle()
    assert len(await bot.ctx.monitoring_store().feedback(repo=REPO)) == 1  # the same person twice: one report


async def test_review_reply_and_refusals(fake_github: FakeGitHub, make_git_repo: Any, start_bot: StartBot) -> None:
    bot, _, ours = await _setup(fake_github, make_git_repo, start_bot)
    reply = fake_github.add_review_comment(REPO, 1, body="/asyncguard false-positive AG101 wrapped by @sync_adapter",
                                           user="bob", in_reply_to=ours.id)
    status, _ = await bot.webhook.deliver("pull_request_review_comment", review_reply_payload(fake_github, REPO, 1, reply))
    assert status == 202
    await bot.settle()
    assert [r["content"] for r in mon(fake_github).review_reactions[reply.id]] == ["+1"]
    (fb,) = await bot.ctx.monitoring_store().feedback(repo=REPO)
    assert (fb.actor, fb.via, fb.reason) == ("bob", "review-reply", "wrapped by @sync_adapter")

    wrong = fake_github.add_review_comment(REPO, 1, body="/asyncguard false-positive AG107", user="bob",
                                           in_reply_to=ours.id)
    await bot.webhook.deliver("pull_request_review_comment", review_reply_payload(fake_github, REPO, 1, wrong))
    stranger = fake_github.add_review_comment(REPO, 1, body="/asyncguard false-positive AG101", user="zed",
                                              in_reply_to=ours.id)
    await bot.webhook.deliver("pull_request_review_comment", review_reply_payload(fake_github, REPO, 1, stranger))
    await bot.settle()
    for c in (wrong, stranger):
        assert [r["content"] for r in mon(fake_github).review_reactions[c.id]] == ["confused"]
    answers = [c.body for c in fake_github.review_comments.values() if c.user_type == "Bot" and c.in_reply_to_id]
    assert any("about AG101, not AG107" in a for a in answers)
    assert any("Not allowed" in a and "`@zed` has `none`" in a for a in answers)
    assert len(await bot.ctx.monitoring_store().feedback(repo=REPO)) == 1


async def test_thumbs_down_is_read_on_the_next_run(fake_github: FakeGitHub, make_git_repo: Any,
                                                   start_bot: StartBot) -> None:
    bot, pr, ours = await _setup(fake_github, make_git_repo, start_bot)
    human_react(fake_github, ours.id, "carol", "-1")
    human_react(fake_github, ours.id, "zed", "-1")  # no access to the repository: not counted
    human_react(fake_github, ours.id, "alice", "+1")
    await pr.push({"shop/extra.py": "x = 1\n"}, "unrelated")
    await pr.event("synchronize")
    await bot.settle()
    (fb,) = await bot.ctx.monitoring_store().feedback(repo=REPO)
    assert (fb.actor, fb.via, fb.rule) == ("carol", "reaction", "AG101")
    ours_reactions = [(r["user"]["login"], r["content"]) for r in mon(fake_github).review_reactions[ours.id]]
    assert ("asyncguard[bot]", "eyes") in ours_reactions  # acknowledged on the comment
    assert _ag101_at_caller(pr.run()) == []
    await pr.push({"shop/extra.py": "x = 2\n"}, "again")
    await pr.event("synchronize")
    await bot.settle()
    assert len(await bot.ctx.monitoring_store().feedback(repo=REPO)) == 1  # read again, not recorded twice
