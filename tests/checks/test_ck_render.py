from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from asyncguard.checks.render import render
from asyncguard.checks.render.github import escape_data, escape_property, render_github
from asyncguard.checks.render.summary import render_summary, truncate
from asyncguard.checks.render.text import render_text
from asyncguard.checks.report import ChecklistItem, Report
from asyncguard.rules.model import Finding, Fix, Severity, TextEdit
from tests.shared_data import SARIF_SCHEMA


def _findings() -> list[Finding]:
    return [
        Finding(
            "AG101",
            "missing-await",
            "`connect()` returns a coroutine that is never awaited",
            "pkg/app.py",
            3,
            12,
            3,
            21,
            Severity.ERROR,
            Fix("add `await`", (TextEdit(3, 12, 3, 12, "await "),)),
        ),
        Finding(
            "AG107",
            "blocking-call-in-async",
            "blocking call `time.sleep` in async def, 100% blocking: really",
            "pkg/dir,with:odd%chars/h.py",
            7,
            5,
            8,
            2,
            Severity.WARNING,
            chain=("pkg.h.handler", "pkg.util.wait", "time.sleep"),
        ),
        Finding("AG112", "async-return-annotation", "double wrapped", "pkg/x.py", 1, 1, 1, 5, Severity.INFO),
    ]


def _report(root: str = "") -> Report:
    return Report(root=root, findings=_findings(), files_checked=4, notes=["pkg/bin.py: not UTF-8, skipped"])


def test_text_lines_fix_chain_link_and_summary() -> None:
    out = render_text(_report(), base_url="https://t.example/training/", statistics=True)
    lines = out.splitlines()
    assert (
        lines[0]
        == "pkg/app.py:3:12: AG101 `connect()` returns a coroutine that is never awaited [missing-await]"
    )
    assert "  fix: add `await` (run with --fix)" in lines
    assert "  via: pkg.h.handler -> pkg.util.wait -> time.sleep" in lines
    assert "  help: https://t.example/training/rules/AG101.html" in lines
    assert "note: pkg/bin.py: not UTF-8, skipped" in lines
    assert any(line.split() == ["1", "AG101", "missing-await"] for line in lines)
    assert lines[-1] == "Found 3 findings (4 files checked, 1 fixable with --fix)."
    assert render_text(Report(root="", files_checked=1)).strip() == "All clear: no findings (1 file checked)."


def test_json_objects_have_every_field() -> None:
    data = json.loads(render(_report(), "json"))
    assert [d["code"] for d in data] == ["AG101", "AG107", "AG112"]
    first = data[0]
    assert set(first) >= {
        "path", "line", "column", "end_line", "end_column", "code", "name", "message", "severity", "fix",
        "help_url", "chain",
    }  # fmt: skip
    assert first["fix"] == {
        "description": "add `await`",
        "safe": True,
        "edits": [{"line": 3, "column": 12, "end_line": 3, "end_column": 12, "replacement": "await "}],
    }
    assert data[1]["fix"] is None and data[1]["chain"] == ["pkg.h.handler", "pkg.util.wait", "time.sleep"]
    assert first["help_url"] == "http://127.0.0.1:8080/training/rules/AG101.html"
    assert json.loads(render(Report(root=""), "json")) == []


def test_training_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYNCGUARD_TRAINING_URL", "https://docs.example.org/ag/")
    data = json.loads(render(_report(), "json"))
    assert data[0]["help_url"] == "https://docs.example.org/ag/rules/AG101.html"


def test_sarif_validates_against_the_official_schema(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "app.py").write_text("import x\n\n    conn = connect()\n")
    doc = json.loads(render(_report(str(tmp_path)), "sarif"))
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validate(doc, schema)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert {"AG000", "AG101", "AG113", "AG202"} <= set(ids)
    ag101 = rules[ids.index("AG101")]
    assert ag101["helpUri"].endswith("/rules/AG101.html") and ag101["shortDescription"]["text"]
    res = run["results"]
    assert [r["level"] for r in res] == ["error", "warning", "note"]
    assert res[0]["ruleIndex"] == ids.index("AG101")
    region = res[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 12, "endLine": 3, "endColumn": 21}
    change = res[0]["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"]["uri"] == "pkg/app.py"
    assert change["replacements"][0]["insertedContent"]["text"] == "await "
    assert "fixes" not in res[1] and res[1]["properties"]["chain"][-1] == "time.sleep"
    fps = [r["partialFingerprints"]["asyncguardFingerprint/v1"] for r in res]
    assert len(set(fps)) == 3
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    (invocation,) = run["invocations"]
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == "pkg/bin.py: not UTF-8, skipped"


def test_sarif_fingerprint_follows_line_text_not_line_number(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    src = tmp_path / "pkg" / "app.py"
    src.write_text("a\nb\n    conn = connect()\n")
    f = _findings()[0]
    fp1 = json.loads(render(Report(root=str(tmp_path), findings=[f]), "sarif"))["runs"][0]["results"][0]
    src.write_text("a\nb\nnew\nline\n  conn  =  connect()\n")
    moved = Finding(**{**f.__dict__, "line": 5, "end_line": 5})
    fp2 = json.loads(render(Report(root=str(tmp_path), findings=[moved]), "sarif"))["runs"][0]["results"][0]
    assert fp1["partialFingerprints"] == fp2["partialFingerprints"]


def test_github_escaping_rules() -> None:
    assert escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"
    out = render_github(_report(), path_prefix="svc/").splitlines()
    assert out[0] == (
        "::error file=svc/pkg/app.py,line=3,col=12,endLine=3,endColumn=21,title=AG101 missing-await::"
        "`connect()` returns a coroutine that is never awaited%0Afix: add `await`%0A"
        "help: asyncguard explain AG101"
    )
    assert out[1].startswith(
        "::warning file=svc/pkg/dir%2Cwith%3Aodd%25chars/h.py,line=7,col=5,endLine=8,endColumn=2,"
        "title=AG107 blocking-call-in-async::blocking call `time.sleep` in async def, 100%25 blocking: really%0Avia: "
    )
    assert out[2].startswith("::notice ")
    assert render_github(Report(root="")) == ""


def test_unknown_format_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        render(_report(), "xml")


class _Site:
    def __init__(self, path: str, line: int, status: str) -> None:
        self.path, self.line, self.status = path, line, status


class _Change:
    def __init__(self) -> None:
        self.code, self.symbol, self.message = "AG202", "pkg.db.connect", "became async"
        self.breaking, self.allowed = True, False
        self.call_sites = [_Site("pkg/app.py", 3, "old-style"), _Site("pkg/web.py", 9, "updated")]

    @property
    def old_style_sites(self) -> list[_Site]:
        return [s for s in self.call_sites if s.status == "old-style"]


class _Diff:
    def __init__(self) -> None:
        self.changes = [_Change()]
        self.bump = "major"
        self.breaking = self.changes
        self.compatible: list[_Change] = []


def test_summary_counts_contract_changes_and_checklist() -> None:
    report = _report()
    report.contract_diff = _Diff()
    report.checklist = [
        ChecklistItem("await-callers", "Every caller of `connect` awaits it", "it became async")
    ]
    s = render_summary(report, base_url="https://t.example/tr")
    assert s.title == "1 error, 1 warning, 1 info, 1 breaking interface change"
    assert (
        "| `AG101` missing-await | 1 | [why and how to fix](https://t.example/tr/rules/AG101.html) |"
        in s.text
    )
    assert "Recommended version bump: **major**" in s.text
    assert (
        "`AG202` `pkg.db.connect`: became async (call sites: 1 old-style `pkg/app.py:3`, 1 updated)" in s.text
    )
    assert "- [ ] Every caller of `connect` awaits it — it became async" in s.text
    assert "pkg/bin.py: not UTF-8, skipped" in s.text
    empty = render_summary(Report(root=""))
    assert empty.title == "No findings" and "No async/await findings" in empty.text


def test_summary_is_truncated_with_a_note_never_failing() -> None:
    many = [
        Finding(f"AG{100 + (i % 13)}", "", "m", f"p{i}.py", 1, 1, 1, 2, Severity.ERROR) for i in range(1, 13)
    ]
    report = Report(root="", findings=many, notes=[f"note number {i} " * 20 for i in range(400)])
    s = render_summary(report, max_chars=2000)
    assert len(s.text) <= 2000
    assert "summary truncated" in s.text
    assert truncate("short", 100) == "short"
