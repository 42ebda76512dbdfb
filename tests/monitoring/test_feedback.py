"""Feedback commands and 👎 reactions decided as data; the snippet keeps the code's shape and no literal."""

from __future__ import annotations

from asyncguard.bot.monitoring import feedback
from asyncguard.bot.monitoring.store import SeenFinding

F1 = SeenFinding("o/r", 7, "fp1", "AG101", "app/db.py", 12, "coroutine never awaited", "h1", "head")
F2 = SeenFinding("o/r", 7, "fp2", "AG101", "app/api.py", 30, "coroutine never awaited", "h2", "head")
F3 = SeenFinding("o/r", 7, "fp3", "AG107", "app/db.py", 40, "blocking call", "h3", "head", "time.sleep(1)")


def test_parse() -> None:
    assert feedback.parse("ag101 app/db.py:12 it is awaited by the caller") == feedback.Request(
        "AG101", "app/db.py", 12, "it is awaited by the caller")
    assert feedback.parse("AG107 `./app/db.py:40`") == feedback.Request("AG107", "app/db.py", 40, "")
    assert feedback.parse("AG101 the wrapper awaits it") == feedback.Request(
        "AG101", None, None, "the wrapper awaits it")
    assert isinstance(feedback.parse(""), str) and isinstance(feedback.parse("app.py:3 AG101"), str)
    assert len(feedback.parse("AG101 " + "x" * 2000).reason) == feedback.MAX_REASON  # type: ignore[union-attr]


def decide(args: str, **kw: object) -> feedback.Decision:
    options: dict[str, object] = {"actor": "ann", "via": "command", "reported_by": {}}
    options.update(kw)
    return feedback.decide(feedback.parse(args), [F1, F2, F3], **options)  # type: ignore[arg-type]


def test_named_place_records_the_finding_with_its_hashes() -> None:
    d = decide("AG101 app/db.py:12 awaited by the caller")
    assert d.outcome == "record" and d.reaction == "+1"
    assert d.feedback is not None
    assert (d.feedback.rule, d.feedback.fingerprint, d.feedback.code_hash, d.feedback.actor, d.feedback.reason) == (
        "AG101", "fp1", "h1", "ann", "awaited by the caller")
    assert "app/db.py:12" in d.message


def test_ambiguous_missing_and_wrong_kinds_are_refused() -> None:
    d = decide("AG101 no place given")
    assert d.outcome == "reject" and d.reaction == "confused" and "`app/db.py:12`" in d.message
    assert decide("AG101 app/db.py:13").outcome == "reject"
    assert decide("AG110 x").outcome == "reject"
    assert "approve" in decide("AG201 it is fine").message  # interface changes are approved, not reported
    # only one AG107: no place needed
    assert decide("AG107 sleep is in a thread").feedback.fingerprint == "fp3"  # type: ignore[union-attr]


def test_review_reply_uses_the_parent_comment_finding() -> None:
    d = decide("AG101 fine here", parent_fingerprint="fp2", via="review-reply")
    assert d.outcome == "record" and d.feedback is not None and d.feedback.path == "app/api.py"
    assert decide("AG107 x", parent_fingerprint="fp2").outcome == "reject"  # the comment is about AG101
    assert decide("AG101 x", parent_fingerprint="gone").outcome == "reject"


def test_same_person_twice_is_a_duplicate_another_person_is_recorded() -> None:
    assert decide("AG101 app/db.py:12", reported_by={"fp1": {"ann"}}).outcome == "duplicate"
    assert decide("AG101 app/db.py:12", actor="bob", reported_by={"fp1": {"ann"}}).outcome == "record"


def test_thumbs_down_reactions_become_reports_once_per_person() -> None:
    ours = {501: "fp1", 502: "fp3", 503: "gone"}
    down = {501: ["ann", "bob", "asyncguard[bot]"], 502: ["ann"], 503: ["ann"]}
    got = feedback.from_reactions(ours, down, [F1, F2, F3], {"fp1": {"bob"}})
    assert sorted((f.fingerprint, f.actor, f.via) for f in got) == [("fp1", "ann", "reaction"), ("fp3", "ann", "reaction")]
    assert next(f for f in got if f.fingerprint == "fp3").snippet == "time.sleep(1)"


SOURCE = '''import requests

API_KEY = "sk_live_51Hc0ffee"  # from the vault
async def sync(session):
    token = f"Bearer {API_KEY}"
    requests.get("https://internal.example/secret", headers={"Authorization": token})
    return b'\\x00password'
'''


def test_snippet_keeps_shape_drops_every_literal_and_comment() -> None:
    got = feedback.snippet(SOURCE, 6, context=3)
    assert got is not None
    assert got.splitlines() == [
        'API_KEY = ""',
        "async def sync(session):",
        '    token = f""',
        '    requests.get("", headers={"": token})',
        "    return b''",
    ]
    for secret in ("sk_live", "vault", "internal.example", "Bearer", "password"):
        assert secret not in got
    assert feedback.snippet(SOURCE, 99) is None
    assert feedback.snippet('x = """never closed\n', 1) is None  # does not tokenize: no snippet at all


def test_code_hash_ignores_whitespace_only() -> None:
    assert feedback.code_hash("  fetch( x )") == feedback.code_hash("fetch( x )   ")
    assert feedback.code_hash("fetch(x)") != feedback.code_hash("fetch(y)")
