"""End to end: webhook -> snapshots -> checks pipeline -> check run, annotations, suggestions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot_scenario import HEAD_FIXED, REPO, open_pr
from fakegithub import FakeGitHub
from fakegithub.botserver import BotServer


async def test_broken_caller_fails_then_fix_turns_green(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], object], bot_server: BotServer
) -> None:
    pr = open_pr(fake_github, make_git_repo("shop"), bot_server)  # type: ignore[arg-type]
    await pr.event("opened")
    await bot_server.settle()

    run = pr.run()
    assert (run.status, run.conclusion) == ("completed", "failure")
    assert run.history[0]["status"] == "in_progress"  # created in progress at once
    at_caller = [a for a in run.annotations if a["path"] == "shop/orders.py" and a["start_line"] == 5]
    assert at_caller and {a["annotation_level"] for a in at_caller} == {"failure"}
    assert any(a["title"].startswith("AG202") for a in at_caller)
    assert "error" in run.output["title"]
    assert "AG202" in run.output["summary"] and "/rules/AG202.html" in run.output["summary"]

    comments = [c for c in fake_github.review_comments.values() if c.repo == REPO]
    assert len(comments) == 1
    c = comments[0]
    assert (c.path, c.line) == ("shop/orders.py", 5)
    assert "```suggestion\n    await notify(user)\n```" in c.body
    assert "<!-- asyncguard:fp=" in c.body
    # governance got the Report: it posts its own check on the same head
    assert fake_github.runs_for(REPO, pr.head, name="asyncguard/governance")

    # a re-run of the same head posts nothing twice
    await pr.check_event("check_run", "rerequested")
    await bot_server.settle()
    assert len(pr.runs(pr.head)) == 2
    assert len([c for c in fake_github.review_comments.values() if c.repo == REPO]) == 1
    assert len(fake_github.reviews) == 1

    # the fix: green, and the suggestion goes away
    await pr.push(HEAD_FIXED, "await it")
    await pr.event("synchronize")
    await bot_server.settle()
    fixed = pr.run()
    assert fixed.conclusion == "success", fixed.output
    assert not [a for a in fixed.annotations if a["annotation_level"] == "failure"]
    assert [c for c in fake_github.review_comments.values() if c.repo == REPO] == []


async def test_comment_with_human_reply_is_kept(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], object], bot_server: BotServer
) -> None:
    pr = open_pr(fake_github, make_git_repo("shop"), bot_server)  # type: ignore[arg-type]
    await pr.event("opened")
    await bot_server.settle()
    (ours,) = list(fake_github.review_comments.values())
    fake_github.add_review_comment(REPO, 1, body="why though?", user="alice", in_reply_to=ours.id)
    await pr.push(HEAD_FIXED)
    await pr.event("synchronize")
    await bot_server.settle()
    assert ours.id in fake_github.review_comments
    assert pr.run().conclusion == "success"


async def test_annotation_scope_and_config_from_base(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], object], start_bot: Callable[..., Awaitable[BotServer]]
) -> None:
    """`.asyncguard.yml` is read from the BASE: a PR cannot switch its own rules off."""
    from bot_scenario import BASE, HEAD_BROKEN

    bot = await start_bot()
    head = dict(HEAD_BROKEN)
    head[".asyncguard.yml"] = "rules:\n  ignore: [AG101, AG202]\n"
    pr = open_pr(fake_github, make_git_repo("shop"), bot, head=head, base=dict(BASE))
    await pr.event("opened")
    await bot.settle()
    assert pr.run().conclusion == "failure"


async def test_draft_is_skipped_until_ready(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], object], bot_server: BotServer
) -> None:
    pr = open_pr(fake_github, make_git_repo("shop"), bot_server)  # type: ignore[arg-type]
    fake_github.repos[REPO].pulls[1].draft = True
    await pr.event("opened")
    await bot_server.settle()
    assert pr.runs() == []
    fake_github.repos[REPO].pulls[1].draft = False
    await pr.event("ready_for_review")
    await bot_server.settle()
    assert pr.run().conclusion == "failure"


async def test_title_edit_is_ignored_but_base_change_runs(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], object], bot_server: BotServer
) -> None:
    from fakegithub.webhooks import pull_request_payload

    pr = open_pr(fake_github, make_git_repo("shop"), bot_server)  # type: ignore[arg-type]
    await pr.event("edited")  # title change only
    await bot_server.settle()
    assert pr.runs() == []
    payload = pull_request_payload(fake_github, REPO, 1, "edited", changes={"base": {"ref": {"from": "develop"},
                                                                                     "sha": {"from": "0" * 40}}})
    status, _ = await bot_server.webhook.deliver("pull_request", payload)
    assert status == 202
    await bot_server.settle()
    assert pr.run().conclusion == "failure"


async def test_private_helper_flip_fails_on_a_caller_the_pr_never_touched(
    fake_github: FakeGitHub, make_git_repo: Callable[[str], object], bot_server: BotServer
) -> None:
    """Not in the public contract (underscore), so no AG2xx: the analyzer's AG101 at the caller gates."""
    base = {
        "shop/__init__.py": "",
        "shop/mail.py": "def _render(user):\n    return f'hello {user}'\n",
        "shop/orders.py": "from shop.mail import _render\n\n\nasync def place_order(user):\n    _render(user)\n",
    }
    head = {"shop/mail.py": "async def _render(user):\n    return f'hello {user}'\n"}
    pr = open_pr(fake_github, make_git_repo("shop"), bot_server, base=base, head=head)  # type: ignore[arg-type]
    await pr.event("opened")
    await bot_server.settle()
    run = pr.run()
    at_caller = [a for a in run.annotations if a["path"] == "shop/orders.py" and a["start_line"] == 5]
    assert [a["title"].split()[0] for a in at_caller] == ["AG101"]
    assert (run.status, run.conclusion) == ("completed", "failure"), run.output["title"]
