"""The gate holds against the people it gates (issue 15), probed through the real bot over HTTP and
the fake GitHub: a PR cannot loosen what is governed from its own head branch, cannot make its
break vanish by breaking the module, cannot make the bot open paths outside the snapshot, and
nobody can approve by editing someone else's comment or approve their own breaking change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fakegithub import pull_request_payload
from fakegithub.governance_routes import gov

from .support import API_ASYNC, REPO, Env

Bot = Callable[..., Awaitable[Any]]
CONTRACT_ALLOW = (
    "format: 1\nallow:\n  - {code: AG202, symbol: pkg.api.fetch, reason: 'I say it is fine'}\nsymbols: {}\n"
)


async def _opened(env: Env, bot: Any) -> None:
    status, text = await bot.webhook.deliver("pull_request", pull_request_payload(env.fake, REPO, 1, "opened"))
    assert status == 202, text
    await bot.settle()


def _gate(env: Env, head: str) -> Any:
    runs = env.gate_runs(head)
    assert runs, "no asyncguard/governance check was posted"
    return runs[-1]


def _main(env: Env, head: str) -> Any:
    runs = env.fake.runs_for(REPO, head)
    assert runs, "no asyncguard check was posted"
    return runs[-1]


# ---- settings and allowlists from the head branch ------------------------------------------


async def test_head_ignore_setting_does_not_ungate_its_own_break(env: Env, start_bot: Bot) -> None:
    bot = await start_bot()
    head = env.push({"pyproject.toml": '[tool.asyncguard.contracts]\nignore = ["AG202"]\n'}, "ignore my break")
    await _opened(env, bot)
    gate = _gate(env, head)
    assert gate.conclusion == "failure"
    summary = gate.output["summary"]
    assert "AG202" in summary and "pkg.api.fetch" in summary  # the break is still listed...
    assert "`ignore`" in summary and "base branch" in summary  # ...and so is the settings change
    assert gate.output["title"] == "2 breaking interface change(s) need approval"


async def test_head_packages_setting_does_not_ungate_its_own_break(env: Env, start_bot: Bot) -> None:
    bot = await start_bot()
    head = env.push({"pyproject.toml": '[tool.asyncguard.contracts]\npackages = ["nothing_here"]\n'})
    await _opened(env, bot)
    gate = _gate(env, head)
    assert gate.conclusion == "failure"
    assert "pkg.api.fetch" in gate.output["summary"] and "`packages`" in gate.output["summary"]


async def test_head_exclude_and_annotation_policy_are_governed_too(env: Env, start_bot: Bot) -> None:
    bot = await start_bot()
    head = env.push({"pyproject.toml": '[tool.asyncguard.contracts]\nexclude = ["pkg"]\nannotations-breaking = false\n'})
    await _opened(env, bot)
    gate = _gate(env, head)
    assert gate.conclusion == "failure"
    summary = gate.output["summary"]
    assert "pkg.api.fetch" in summary and "`exclude`" in summary and "`annotations-breaking`" in summary


async def test_head_allow_entry_for_its_own_break_needs_approval(env: Env, start_bot: Bot) -> None:
    bot = await start_bot()
    head = env.push({"asyncguard.contracts.yaml": CONTRACT_ALLOW}, "allow my own break")
    await _opened(env, bot)
    gate = _gate(env, head)
    assert gate.conclusion == "failure"
    summary = gate.output["summary"]
    assert "AG202" in summary and "`allow:`" in summary and "I say it is fine" in summary
    # an approver can still approve the PR, allow entry included
    status, _ = await bot.webhook.deliver("issue_comment", env.comment_payload("/asyncguard approve ok", "alice"))
    assert status == 202
    await bot.settle()
    assert _gate(env, head).conclusion == "success"


async def test_allow_entry_and_settings_on_the_base_branch_still_apply(env: Env, start_bot: Bot) -> None:
    env.git.checkout("main")
    env.git.commit("approved upfront", {"asyncguard.contracts.yaml": CONTRACT_ALLOW})
    env.git.checkout("feature")
    env.git.git("merge", "-q", "--no-edit", "main")
    env.git.checkout("main")
    env.fake.push(REPO, 1)
    pull = env.pull
    pull.base_sha = env.git.resolve("main")
    bot = await start_bot()
    await _opened(env, bot)
    gate = _gate(env, pull.head_sha)
    assert gate.conclusion == "success", gate.output


async def test_head_that_cannot_be_read_is_a_break_of_everything_it_exported(env: Env, start_bot: Bot) -> None:
    bot = await start_bot()
    head = env.push({"pkg/api.py": b"\xff\xfe" + API_ASYNC.encode() + b"\n\x80 not text\n"}, "make it undecodable")
    await _opened(env, bot)
    assert _main(env, head).conclusion == "failure"  # AG000, as before
    gate = _gate(env, head)
    assert gate.conclusion == "failure"
    summary = gate.output["summary"]
    assert "pkg.api" in summary and "cannot be read" in summary


async def test_syntax_error_at_head_is_a_break_too(env: Env, start_bot: Bot) -> None:
    bot = await start_bot()
    head = env.push({"pkg/api.py": "def fetch(url:\n    return url\n"}, "half-written")
    await _opened(env, bot)
    gate = _gate(env, head)
    assert gate.conclusion == "failure" and "cannot be read" in gate.output["summary"]


# ---- paths from repository settings --------------------------------------------------------


def _public_text(env: Env, head: str) -> str:
    main, gate = _main(env, head), _gate(env, head)
    texts = [main.output.get("title", ""), main.output.get("summary", ""), gate.output.get("title", ""),
             gate.output.get("summary", "")]
    texts += [a.get("message", "") for a in main.annotations]
    return "\n".join(texts)


async def test_head_contract_file_outside_the_tree_is_never_opened(env: Env, start_bot: Bot) -> None:
    """The public output is the same whether the path exists on the bot's host or not."""
    bot = await start_bot()
    texts = []
    for target in ("/proc/self/environ", "/proc/self/no-such-file-here"):
        head = env.push({"pyproject.toml": f'[tool.asyncguard.contracts]\nfile = "{target}"\n'}, f"file {target}")
        await _opened(env, bot)
        gate = _gate(env, head)
        assert gate.conclusion == "failure"
        assert "`file`" in gate.output["summary"]
        texts.append(_public_text(env, head).replace(target, "<path>").replace(head, "<sha>").replace(head[:7], "<s>"))
    assert "not found" not in texts[0] and "cannot read" not in texts[0]
    assert _strip_timings(texts[0]) == _strip_timings(texts[1])


def _strip_timings(text: str) -> str:
    import re

    return re.sub(r"\d+(\.\d+)? ?s\b", "<t>", text)


async def test_base_contract_file_outside_the_tree_fails_both_checks_clearly(env: Env, start_bot: Bot) -> None:
    """The base branch's own settings are confined too, and the governance check is still posted."""
    bot = await start_bot()
    texts = []
    for n, target in enumerate(("../../../../../../etc/passwd", "../../../../../../etc/no-such-file-here")):
        env.git.checkout("main")
        env.git.commit("contract file elsewhere", {"pyproject.toml": f'[tool.asyncguard.contracts]\nfile = "{target}"\n'})
        env.pull.base_sha = env.git.resolve("main")
        head = env.push({"notes.txt": f"push {n}\n"})
        await _opened(env, bot)
        gate = _gate(env, head)
        assert gate.conclusion == "failure"
        assert "inside the repository" in gate.output["summary"]
        assert "inside the repository" in _main(env, head).output["summary"]
        base = env.pull.base_sha
        texts.append(_public_text(env, head).replace(target, "<path>").replace(head, "<sha>").replace(head[:7], "<s>")
                     .replace(base, "<base>").replace(base[:7], "<b>"))
    assert "/etc/passwd" not in texts[0]
    assert _strip_timings(texts[0]) == _strip_timings(texts[1])


# ---- who acts: the sender, not the comment's author ----------------------------------------


def _edited_by(env: Env, body: str, author: str, editor: str, before: str) -> dict[str, Any]:
    from fakegithub import validate_payload

    p = env.comment_payload(body, author, edited_from=before)
    p["sender"] = dict(p["sender"], login=editor)
    validate_payload("issue_comment", "edited", p)
    return p


async def _deliver(bot: Any, event: str, payload: dict[str, Any]) -> None:
    status, text = await bot.webhook.deliver(event, payload)
    assert status == 202, text
    await bot.settle()


async def test_editing_an_approvers_comment_does_not_approve_as_them(env: Env, start_bot: Bot) -> None:
    bot = await start_bot()
    await _opened(env, bot)
    head = env.pull.head_sha
    await _deliver(bot, "issue_comment", _edited_by(env, "/asyncguard approve looks fine", "alice", "mallory",
                                                    before="Nice work, I will review this later."))
    assert _gate(env, head).conclusion == "failure"
    assert (await bot.ctx.governance_store().state(REPO, 1)).approval is None
    records = [r for r in (await bot.ctx.governance_store().records(repo=REPO, pr=1)) if r.kind == "unauthorized"]
    assert [(r.actor, r.detail.get("comment_author")) for r in records] == [("mallory", "alice")]
    assert not any(r.kind == "approval" for r in (await bot.ctx.governance_store().records(repo=REPO, pr=1)))
    reply = [c.body for c in env.bot_comments() if "asyncguard:governance" in c.body][-1]
    assert "@mallory" in reply and "@alice" in reply and "approved by" not in reply.lower()


async def test_the_author_editing_their_own_comment_runs_the_command(env: Env, start_bot: Bot) -> None:
    bot = await start_bot()
    await _opened(env, bot)
    head = env.pull.head_sha
    await _deliver(bot, "issue_comment", _edited_by(env, "/asyncguard approve reviewed", "alice", "alice",
                                                    before="reviewing"))
    assert _gate(env, head).conclusion == "success"
    approvals = [r for r in (await bot.ctx.governance_store().records(repo=REPO, pr=1)) if r.kind == "approval"]
    assert [(r.actor, r.detail.get("comment_author")) for r in approvals] == [("alice", "alice")]


async def test_writing_a_command_into_the_bots_own_comment_is_refused_and_audited(env: Env, start_bot: Bot) -> None:
    bot = await start_bot()
    await _opened(env, bot)
    head = env.pull.head_sha
    payload = _edited_by(env, "asyncguard summary\n\n/asyncguard approve", "asyncguard[bot]", "mallory",
                         before="asyncguard summary")
    payload["comment"]["user"] = dict(payload["comment"]["user"], type="Bot")
    await _deliver(bot, "issue_comment", payload)
    assert _gate(env, head).conclusion == "failure"
    assert (await bot.ctx.governance_store().state(REPO, 1)).approval is None
    refused = [r for r in (await bot.ctx.governance_store().records(repo=REPO, pr=1)) if r.kind == "unauthorized"]
    assert [(r.actor, r.detail.get("comment_author")) for r in refused] == [("mallory", "asyncguard[bot]")]
    assert "@mallory" in [c.body for c in env.bot_comments() if "asyncguard:governance" in c.body][-1]


async def test_an_edit_by_a_bot_is_not_answered(env: Env, start_bot: Bot) -> None:
    bot = await start_bot()
    await _opened(env, bot)
    comments_before = len(env.bot_comments())
    payload = _edited_by(env, "/asyncguard approve", "alice", "renovate[bot]", before="thanks")
    payload["sender"] = dict(payload["sender"], type="Bot")
    await _deliver(bot, "issue_comment", payload)
    assert (await bot.ctx.governance_store().state(REPO, 1)).approval is None
    assert not [r for r in (await bot.ctx.governance_store().records(repo=REPO, pr=1)) if r.kind == "unauthorized"]
    assert len(env.bot_comments()) == comments_before


async def test_the_sender_is_the_actor_of_a_new_comment(env: Env, start_bot: Bot) -> None:
    """Should a delivery ever name different people, the sender acts (and is who gets checked)."""
    bot = await start_bot()
    await _opened(env, bot)
    p = env.comment_payload("/asyncguard approve", "alice")
    p["sender"] = dict(p["sender"], login="mallory")
    await _deliver(bot, "issue_comment", p)
    assert _gate(env, env.pull.head_sha).conclusion == "failure"
    assert [r.actor for r in (await bot.ctx.governance_store().records(repo=REPO, pr=1)) if r.kind == "unauthorized"] == ["mallory"]


# ---- self-approval ------------------------------------------------------------------------


async def test_the_prs_author_cannot_approve_its_own_break(env: Env, start_bot: Bot) -> None:
    env.pull.user = "alice"  # alice is an approver (active in acme/architecture) and wrote the PR
    bot = await start_bot()
    await _opened(env, bot)
    head = env.pull.head_sha
    await _deliver(bot, "issue_comment", env.comment_payload("/asyncguard approve mine is fine", "alice"))
    assert _gate(env, head).conclusion == "failure"
    reply = env.bot_comments()[-1].body  # a refusal: a new comment that mentions alice
    assert reply.startswith("@alice") and "author" in reply and "allow_self_approval" in reply
    from fakegithub.governance_routes import human_labels

    human_labels(env.fake, REPO, 1, "api-change-approved", "alice")
    await _deliver(bot, "pull_request", env.label_payload("labeled", "api-change-approved", "alice"))
    assert _gate(env, head).conclusion == "failure"
    assert "api-change-approved" not in env.labels()
    # someone else on the team still can
    gov(env.fake).teams["acme/architecture"]["bob"] = "active"
    await _deliver(bot, "issue_comment", env.comment_payload("/asyncguard approve reviewed", "bob"))
    assert _gate(env, head).conclusion == "success"


async def test_self_approval_can_be_allowed_from_the_base(env: Env, start_bot: Bot,
                                                          write_config: Callable[[str], None]) -> None:
    from .support import CONFIG

    write_config(CONFIG + "  allow_self_approval: true\n")
    env.pull.base_sha = env.git.resolve("main")
    env.pull.user = "alice"
    bot = await start_bot()
    await _opened(env, bot)
    await _deliver(bot, "issue_comment", env.comment_payload("/asyncguard approve small team", "alice"))
    assert _gate(env, env.pull.head_sha).conclusion == "success"


async def test_self_approval_switch_in_the_head_does_nothing(env: Env, start_bot: Bot) -> None:
    from .support import CONFIG

    head = env.push({".asyncguard.yml": CONFIG + "  allow_self_approval: true\n"})
    env.pull.user = "alice"
    bot = await start_bot()
    await _opened(env, bot)
    await _deliver(bot, "issue_comment", env.comment_payload("/asyncguard approve", "alice"))
    assert _gate(env, head).conclusion == "failure"
