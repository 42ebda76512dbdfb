"""Slash-command parsing: case, spaces, several commands, code and quotes ignored, edits."""

from __future__ import annotations

from asyncguard.bot.governance.commands import new_commands, parse_commands


def names(body: str) -> list[tuple[str, str]]:
    return [(c.name, c.args) for c in parse_commands(body)]


def test_case_and_spaces() -> None:
    assert names("  /AsyncGuard   EXPLAIN    AG101  ") == [("explain", "AG101")]


def test_several_commands_in_one_comment() -> None:
    body = "Thanks!\n/asyncguard recheck\nsome text\n/asyncguard approve   reviewed with the team\n"
    assert names(body) == [("recheck", ""), ("approve", "reviewed with the team")]


def test_bare_trigger_means_help() -> None:
    assert names("/asyncguard") == [("help", "")]


def test_code_blocks_quotes_and_prose_ignored() -> None:
    body = "\n".join([
        "```",
        "/asyncguard approve",
        "```",
        "~~~text",
        "/asyncguard revoke",
        "~~~",
        "> /asyncguard approve quoted",
        ">/asyncguard approve quoted too",
        "    /asyncguard approve indented code",
        "please run `/asyncguard approve` when ready",
        "/asyncguardian approve",
        "/asyncguard doctor",
    ])
    assert names(body) == [("doctor", "")]


def test_unclosed_fence_swallows_the_rest() -> None:
    assert names("```\n/asyncguard approve\n") == []


def test_unknown_command_gets_a_suggestion() -> None:
    [cmd] = parse_commands("/asyncguard aprove")
    assert not cmd.known and cmd.suggestion() == "approve"
    [cmd] = parse_commands("/asyncguard zzz")
    assert cmd.suggestion() is None


def test_backticks_around_arguments_are_dropped() -> None:
    assert names("/asyncguard explain `AG107`") == [("explain", "AG107")]


def test_edit_runs_only_new_commands() -> None:
    old = "/asyncguard approve looks fine"
    assert new_commands(old, "/asyncguard approve looks fine\n\n(typo fixed)") == []
    assert new_commands(old, "/asyncguard approve  Looks   FINE") == []
    added = new_commands(old, old + "\n/asyncguard checklist")
    assert [(c.name, c.args) for c in added] == [("checklist", "")]
    assert [c.name for c in new_commands(None, "/asyncguard help")] == ["help"]


def test_empty_and_crlf() -> None:
    assert parse_commands(None) == [] and parse_commands("") == []
    assert names("hello\r\n/asyncguard contract\r\n") == [("contract", "")]


def test_html_comments_are_hidden_text() -> None:
    body = "<!--\n/asyncguard approve\n-->\n/asyncguard help <!-- /asyncguard revoke -->\n<!-- unclosed\n/asyncguard approve"
    assert names(body) == [("help", "")]
