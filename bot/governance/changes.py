"""Turn a `contracts` ContractDiff into the governed breaking changes and their fingerprint.

The fingerprint names WHAT broke (code, symbol, before/after shape), not where the code sits or
which call sites were updated, so an approval survives a push that only fixes callers.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from asyncguard.bot.governance.globs import path_matches
from asyncguard.bot.governance.repo_config import Governance

NO_CHANGES = "none"
SETTINGS_CODE = "settings"  # the head edits a contract setting or an allow entry: not an AG2xx code


def _site(site: Any) -> dict[str, Any]:
    return {
        "path": str(getattr(site, "path", "")),
        "line": int(getattr(site, "line", 0) or 0),
        "column": int(getattr(site, "column", 0) or 0),
        "status": str(getattr(site, "status", "")),
    }


def change_dict(change: Any) -> dict[str, Any]:
    """A JSON-able copy of a `contracts.model.Change` (duck-typed: only attributes are read)."""
    return {
        "code": str(getattr(change, "code", "")),
        "symbol": str(getattr(change, "symbol", "")),
        "message": str(getattr(change, "message", "")),
        "path": str(getattr(change, "path", "") or ""),
        "line": int(getattr(change, "line", 0) or 0),
        "new_symbol": getattr(change, "new_symbol", None),
        "before": str(getattr(change, "before", "") or ""),
        "after": str(getattr(change, "after", "") or ""),
        "call_sites": [_site(s) for s in getattr(change, "call_sites", []) or []],
    }


def governed_changes(contract_diff: Any, governance: Governance) -> list[dict[str, Any]]:
    """Breaking (not allowlisted) changes inside `interface_paths`, sorted for stable output."""
    if contract_diff is None:
        return []
    breaking = getattr(contract_diff, "breaking", None)
    if breaking is None:
        breaking = [c for c in getattr(contract_diff, "changes", []) if getattr(c, "breaking", False)]
    out = []
    for change in breaking:
        d = change_dict(change)
        # a change without a known file is governed: unknown must not mean "ungated"
        if not d["path"] or path_matches(d["path"], governance.interface_paths):
            out.append(d)
    # the head editing what is governed (settings, allowlist) is governed wherever the file sits
    out.extend(setting_change_dict(sc) for sc in getattr(contract_diff, "setting_changes", None) or [])
    out.sort(key=lambda d: (d["code"], d["symbol"], d["path"], d["line"]))
    return out


def setting_change_dict(change: Any) -> dict[str, Any]:
    """A `contracts.model.SettingChange` in the shape of a governed change (code `settings`)."""
    return {
        "code": SETTINGS_CODE,
        "symbol": str(getattr(change, "key", "")),
        "message": str(getattr(change, "message", "")),
        "path": str(getattr(change, "path", "") or ""),
        "line": 1,
        "new_symbol": None,
        "before": str(getattr(change, "before", "") or ""),
        "after": str(getattr(change, "after", "") or ""),
        "call_sites": [],
    }


def fingerprint(changes: list[dict[str, Any]]) -> str:
    """Stable digest of what the breaking changes are; `none` when there are none."""
    if not changes:
        return NO_CHANGES
    keyed = sorted(
        {(c["code"], c["symbol"], c.get("new_symbol") or "", c.get("before", ""), c.get("after", "")) for c in changes}
    )
    return hashlib.sha256(json.dumps(keyed).encode()).hexdigest()[:20]
