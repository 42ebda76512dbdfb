"""`--format sarif`: SARIF 2.1.0 for code-scanning uploads and IDEs.

Columns are counted in Unicode code points (`columnKind`), as findings carry them. Every known
code is listed as a rule (with its training page as helpUri) so the viewer can show rules
that did not fire this run too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from asyncguard.checks.codes import CodeInfo, all_codes
from asyncguard.checks.fingerprint import fingerprints
from asyncguard.checks.links import rule_url, training_base
from asyncguard.checks.render.common import rule_name
from asyncguard.checks.report import Report
from asyncguard.rules.model import Finding, Fix, Severity

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("asyncguard")
    except PackageNotFoundError:
        return "0.0.0"


def _location(path: str) -> dict[str, Any]:
    return {"uri": path, "uriBaseId": "%SRCROOT%"}


def _fix(f: Finding, fix: Fix) -> dict[str, Any]:
    return {
        "description": {"text": fix.description},
        "artifactChanges": [
            {
                "artifactLocation": _location(f.path),
                "replacements": [
                    {
                        "deletedRegion": {
                            "startLine": e.line,
                            "startColumn": e.column,
                            "endLine": e.end_line,
                            "endColumn": e.end_column,
                        },
                        "insertedContent": {"text": e.replacement},
                    }
                    for e in fix.edits
                ],
            }
        ],
    }


def render_sarif(report: Report, base_url: str | None = None) -> str:
    codes: dict[str, CodeInfo | None] = dict(all_codes())
    for f in report.findings:  # a code no registry knows still needs its rule entry
        codes.setdefault(f.code, None)
    rule_ids = sorted(codes)
    index = {code: i for i, code in enumerate(rule_ids)}
    names = {f.code: rule_name(f) for f in report.findings}
    rules = []
    for code in rule_ids:
        info = codes[code]
        entry: dict[str, Any] = {
            "id": code,
            "name": info.name if info else names.get(code, code),
            "shortDescription": {"text": info.summary if info else code},
            "helpUri": rule_url(code, base_url),
            "defaultConfiguration": {
                "level": _LEVEL[info.severity] if info else "warning",
                "enabled": info.default_enabled if info else True,
            },
        }
        rules.append(entry)
    results = []
    for f, fp in zip(report.findings, fingerprints(report.findings, report.root or None), strict=True):
        message = f.message + (f" (via {' -> '.join(f.chain)})" if f.chain else "")
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _LEVEL[f.severity],
            "message": {"text": message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _location(f.path),
                        "region": {
                            "startLine": max(f.line, 1),
                            "startColumn": max(f.column, 1),
                            "endLine": max(f.end_line, f.line, 1),
                            "endColumn": max(f.end_column, 1),
                        },
                    }
                }
            ],
            "partialFingerprints": {"asyncguardFingerprint/v1": fp},
        }
        if f.fix is not None and f.fix.edits:
            result["fixes"] = [_fix(f, f.fix)]
        if f.chain:
            result["properties"] = {"chain": list(f.chain)}
        results.append(result)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "asyncguard",
                "version": _version(),
                "informationUri": training_base(base_url) + "/",
                "rules": rules,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
        "invocations": [
            {
                "executionSuccessful": True,
                # files skipped, fixes not applied, ...: shown by viewers next to the results
                "toolExecutionNotifications": [
                    {"level": "note", "message": {"text": n}} for n in report.notes
                ],
            }
        ],
    }
    if report.root:
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": Path(report.root).resolve().as_uri() + "/"}}
    doc = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
