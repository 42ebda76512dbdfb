"""`/asyncguard ...` in PR comments: parse, check permission, act, acknowledge, reply in one comment."""

from __future__ import annotations

import logging
import time
from typing import Any

import gidgethub
from gidgethub import routing, sansio
from gidgethub.abc import GitHubAPI

from asyncguard.bot.governance import doctor, ghops
from asyncguard.bot.governance.audit_store import Approval, Bypass, NewRecord, PRState
from asyncguard.bot.governance.authz import COMMAND_LEVEL, may_run
from asyncguard.bot.governance.commands import Command, new_commands, parse_commands
from asyncguard.bot.governance.context import GovernanceContext, resolve_context
from asyncguard.bot.governance.gate import Work, changes_md, post_bypassed_analysis, reconcile
from asyncguard.bot.governance.locks import pr_lock
from asyncguard.bot.governance.replies import post_reply, upsert_reply
from asyncguard.bot.governance.repo_config import RepoConfig

log = logging.getLogger("asyncguard.governance")
router = routing.Router()
MAX_COMMANDS = 10

HELP = """**asyncguard commands** (one per line, in a PR comment):

| command | what it does | who |
|---|---|---|
| `/asyncguard help` | this list | anyone |
| `/asyncguard explain AG101` | the rule's training page | anyone |
| `/asyncguard contract` | the breaking interface changes and the migration guide | read access |
| `/asyncguard checklist` | the review checklist tailored to this PR | read access |
| `/asyncguard doctor` | is the governance check required on the base branch? | read access |
| `/asyncguard false-positive AG101 path:line [reason]` | report a finding as wrong (or reply to its review comment) | read access |
| `/asyncguard recheck` | run the checks again | write access or the PR's author |
| `/asyncguard approve [reason]` | approve the current breaking changes | approvers |
| `/asyncguard revoke` | withdraw the approval | approvers |
| `/asyncguard bypass <reason>` | emergency: both checks pass at this commit; the next push ends it; audited | the governance team or admins |
"""


class _Run:
    """One comment's commands against one PR, collecting reply sections and the state change."""

    def __init__(self, gh: GitHubAPI, ctx: GovernanceContext, repo: str, pull: dict[str, Any], cfg: RepoConfig,
                 actor: str, is_bot: bool, state: PRState, comment_author: str) -> None:
        self.gh, self.ctx, self.repo, self.pull, self.cfg = gh, ctx, repo, pull, cfg
        self.actor, self.is_bot, self.state = actor, is_bot, state  # actor: the event's sender
        self.comment_author = comment_author
        self.number = int(pull["number"])
        self.head = str((pull.get("head") or {}).get("sha", "")) or None
        self.sections: list[str] = []
        self.work = Work()
        self.ok = True
        self.changed = False  # state or check must be reconciled
        self.refused = False  # a command was not allowed: the answer goes in a new comment that notifies

    def say(self, cmd: Command, text: str) -> None:
        self.sections.append(f"> {cmd.line}\n\n{text}")

    def record(self, kind: str, fingerprint: str | None, detail: dict[str, Any]) -> None:
        """An audit record of this comment: the sender acts; the comment's author is recorded beside."""
        self.work.records.append(NewRecord(
            kind, self.repo, self.number, self.head, self.actor, fingerprint, self.state.changes,
            {**detail, "comment_author": self.comment_author},
        ))

    async def run(self, cmd: Command) -> None:
        if not cmd.known:
            hint = cmd.suggestion()
            self.ok = False
            self.say(cmd, f"Unknown command `{cmd.name}`." + (f" Did you mean `{hint}`?" if hint else "") + "\n\n" + HELP)
            return
        if cmd.name in self.cfg.commands_disabled:
            self.ok = False
            self.say(cmd, f"`/asyncguard {cmd.name}` is disabled in this repository's `.asyncguard.yml`.")
            return
        auth = await may_run(self.gh, self.repo, self.actor, cmd.name, self.cfg.governance, is_bot=self.is_bot,
                             pr_author=(self.pull.get("user") or {}).get("login"))
        if not auth.allowed:
            self.ok = False
            self.record("unauthorized", self.state.fingerprint, {"action": cmd.name, "why": auth.reason})
            self.refused = True
            self.say(cmd, f"Not allowed: {auth.reason}.")
            return
        try:
            await getattr(self, f"do_{cmd.name.replace('-', '_')}")(cmd)
        except gidgethub.GitHubException as exc:  # one failed command must not sink the others
            log.warning("/asyncguard %s failed on %s#%s: %r", cmd.name, self.repo, self.number, exc)
            self.ok = False
            self.say(cmd, f"Failed: GitHub answered `{exc}`. Try again, or `/asyncguard doctor`.")

    def refuse_edit(self, commands: list[Command]) -> None:
        """Someone edited another person's comment: commands run only for the comment's author."""
        self.ok = False
        why = (f"`@{self.actor}` edited a comment written by `@{self.comment_author}`; commands in a comment "
               "run only when its author writes them")
        self.record("unauthorized", self.state.fingerprint,
                    {"action": "edit", "why": why, "commands": [c.line for c in commands[:MAX_COMMANDS]]})
        self.sections.append(f"Not run: {why}. `@{self.actor}`, post your own comment instead.")

    async def do_help(self, cmd: Command) -> None:
        gov = self.cfg.governance
        self.say(cmd, HELP + f"\nApprovers here: {gov.who_may_approve()}; approval label: `{gov.approval_label}`.")

    async def do_explain(self, cmd: Command) -> None:
        code = cmd.args.split()[0] if cmd.args else ""
        if not code:
            self.ok = False
            self.say(cmd, "Which rule? For example `/asyncguard explain AG101`.")
            return
        from asyncguard.checks.training import PageError, load_page, render_markdown

        try:
            page = load_page(code)
            body = render_markdown(page.code)  # relative page links become training-site URLs
        except (PageError, KeyError, ValueError) as exc:
            self.ok = False
            self.say(cmd, f"No training page for `{code}`: {exc}")
            return
        self.say(cmd, f"### {page.title}\n\n{body}")

    async def do_contract(self, cmd: Command) -> None:
        st = self.state
        if st.head_sha is None:
            self.say(cmd, "The checks have not run on this PR yet; try again when `asyncguard` has finished.")
            return
        if not st.changes:
            self.say(cmd, f"No governed breaking interface changes at `{st.head_sha[:7]}`.")
            return
        guide = st.migration_guide.strip() or "_(no migration guide available)_"
        self.say(cmd, f"Breaking changes at `{st.head_sha[:7]}`:\n\n{changes_md(st.changes)}\n\n"
                      f"<details><summary>Migration guide</summary>\n\n{guide}\n\n</details>")

    async def do_checklist(self, cmd: Command) -> None:
        # The run's checklist already carries the repository's extra items; add only ones it lacks.
        items = list(dict.fromkeys([*self.state.checklist, *self.cfg.checklist_extra]))
        if self.state.head_sha is None and not items:
            self.say(cmd, "The checks have not run on this PR yet; try again when `asyncguard` has finished.")
            return
        self.say(cmd, "\n".join(f"- [ ] {i}" for i in items) or "No checklist items for this PR.")

    async def do_doctor(self, cmd: Command) -> None:
        branch = str((self.pull.get("base") or {}).get("ref") or "")
        result = await doctor.diagnose(self.gh, self.repo, branch, self.cfg)
        self.say(cmd, doctor.render(result, branch))

    async def do_recheck(self, cmd: Command) -> None:
        if self.ctx.rerun is not None and self.head:
            await self.ctx.rerun(self.repo, self.number, self.head)
            self.say(cmd, f"Re-running the checks on `{self.head[:7]}`.")
        else:
            self.say(cmd, "Re-evaluated the governance gate.")
        self.changed = True

    async def do_false_positive(self, cmd: Command) -> None:
        from asyncguard.bot.monitoring.handlers import false_positive_command
        from asyncguard.bot.monitoring.store import MonitoringStore

        store = MonitoringStore(self.ctx.store.db)  # the same database as the audit trail
        ok, text = await false_positive_command(store, self.repo, self.number, self.actor, cmd.args)
        self.ok = self.ok and ok
        self.say(cmd, text)

    async def do_approve(self, cmd: Command) -> None:
        st, gov = self.state, self.cfg.governance
        if st.head_sha is not None and not st.changes and st.head_sha == self.head:
            self.say(cmd, "Nothing to approve: this PR makes no governed breaking interface changes.")
            return
        fp = await self.ctx.store.fingerprint_for_head(self.repo, self.number, self.head) if self.head else None
        st.approval = Approval(self.actor, "command", fp, self.head, time.time(), cmd.args)
        self.record("approval", fp, {"via": "command", "reason": cmd.args})
        self.changed = True
        try:  # the label shows the approval on the PR; its `labeled` event is recognised as ours
            await ghops.add_label(self.gh, self.repo, self.number, gov.approval_label)
        except gidgethub.BadRequest:
            pass
        covered = "the breaking changes listed in the governance check" if fp else f"the changes at `{(self.head or '')[:7]}`"
        self.say(cmd, f"Approved by `@{self.actor}`: {covered}." + (f" Reason: {cmd.args}" if cmd.args else ""))

    async def do_bypass(self, cmd: Command) -> None:
        """The rare hotfix: both checks pass at the current head, recorded before GitHub hears of it."""
        reason = " ".join(cmd.args.split())
        if not reason:
            self.ok = False
            self.say(cmd, "A reason is required: `/asyncguard bypass <reason>`. It goes into the audit trail "
                          "and the compliance report.")
            return
        if not self.head:
            self.ok = False
            self.say(cmd, "This pull request has no head commit to bypass the checks for.")
            return
        st = self.state
        st.bypass = Bypass(self.actor, reason, self.head, time.time())
        await self.ctx.store.commit(st, [NewRecord(
            "emergency-bypass", self.repo, self.number, self.head, self.actor, st.fingerprint, st.changes,
            {"reason": reason, "comment_author": self.comment_author},
        )])
        await post_bypassed_analysis(self.gh, self.repo, st.bypass)
        self.changed = True
        self.say(cmd, f"Bypassed by `@{self.actor}` at `{self.head[:7]}`: both asyncguard checks pass at this "
                      f"commit. Reason: {reason}\n\nThe next push ends the bypass. Recorded in the audit trail.")

    async def do_revoke(self, cmd: Command) -> None:
        st = self.state
        if st.approval is None:
            self.say(cmd, "There is no approval to revoke.")
            return
        a = st.approval
        st.approval = None
        self.record("revocation", st.fingerprint, {"via": "command", "approved_by": a.actor, "reason": cmd.args})
        self.changed = True
        await ghops.remove_label(self.gh, self.repo, self.number, self.cfg.governance.approval_label)
        self.say(cmd, f"Approval by `@{a.actor}` revoked by `@{self.actor}`.")


async def _handle(event: sansio.Event, gh: GitHubAPI, kwargs: dict[str, Any], commands: list[Command]) -> None:
    data = event.data
    repo = data["repository"]["full_name"]
    comment = data["comment"]
    author = str((comment.get("user") or {}).get("login", ""))
    sender = data.get("sender") or comment.get("user") or {}  # who did this: the actor, whoever wrote it
    number = int(data["issue"]["number"])
    ctx = resolve_context(kwargs)
    pull = await ghops.get_pull(gh, repo, number)
    base = pull.get("base") or {}
    cfg = await ghops.fetch_repo_config(gh, repo, str(base.get("ref") or base.get("sha")))
    async with pr_lock(ctx.store, repo, number):
        state = await ctx.store.state(repo, number)
        run = _Run(gh, ctx, repo, pull, cfg, str(sender.get("login", "")), sender.get("type") == "Bot", state,
                   author)
        if data.get("action") == "edited" and run.actor.lower() != author.lower():
            run.refuse_edit(commands)
        else:
            for cmd in commands[:MAX_COMMANDS]:
                await run.run(cmd)
        if len(commands) > MAX_COMMANDS:
            run.sections.append(f"Only the first {MAX_COMMANDS} commands of a comment are run.")
        await ghops.react(gh, repo, int(comment["id"]), "+1" if run.ok else "confused")
        reply = f"@{run.actor}\n\n" + "\n\n---\n\n".join(run.sections)
        if run.refused:
            # An edit of the bot's older comment notifies nobody: whoever was refused must hear why.
            await post_reply(gh, repo, number, reply)
            if run.changed:
                await reconcile(gh, ctx.store, state, cfg, run.work)
            else:
                await ctx.store.commit(state, run.work.records)
        elif run.changed:  # reconcile writes the reply together with any notice of its own
            run.work.notices.insert(0, reply)
            await reconcile(gh, ctx.store, state, cfg, run.work)
        else:
            state.reply_comment_id = await upsert_reply(gh, repo, number, reply, state.reply_comment_id)
            await ctx.store.commit(state, run.work.records)


def _is_bot(user: dict[str, Any]) -> bool:
    return user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")


def _should_skip(data: dict[str, Any]) -> bool:
    if _is_bot((data.get("comment") or {}).get("user") or {}) or _is_bot(data.get("sender") or {}):
        return True  # never answer bots (ourselves included): no loops
    return "pull_request" not in (data.get("issue") or {})  # plain issues have no gate


@router.register("issue_comment", action="created")
async def on_comment(event: sansio.Event, gh: GitHubAPI, *args: Any, **kwargs: Any) -> None:
    if _should_skip(event.data):
        return
    commands = parse_commands(event.data["comment"].get("body"))
    if commands:
        await _handle(event, gh, kwargs, commands)


@router.register("issue_comment", action="edited")
async def on_comment_edited(event: sansio.Event, gh: GitHubAPI, *args: Any, **kwargs: Any) -> None:
    data = event.data
    if _is_bot(data.get("sender") or {}) or "pull_request" not in (data.get("issue") or {}):
        return  # edits by bots (ourselves included) are never answered: no loops
    # A person who writes a command into a bot's comment (our own reply, say) is not its author:
    # `_handle` refuses it and the audit trail names them, as for any other edited comment.
    old = ((event.data.get("changes") or {}).get("body") or {}).get("from")
    commands = new_commands(old, event.data["comment"].get("body"))
    if commands:
        await _handle(event, gh, kwargs, commands)


__all__ = ["COMMAND_LEVEL", "HELP", "router"]
