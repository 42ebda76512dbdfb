"""Render the migration guide and the changelog section from `training_content/migration/` templates.

The guide is for the people who call the interface: per breaking change, what changed, the call
shape before and after, and the call sites still to update. The changelog is for the release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date
from importlib import resources
from pathlib import Path

import jinja2

from asyncguard.contracts.codes import CHANGE_CODES
from asyncguard.contracts.model import Change, ContractDiff

_ADDED = frozenset({"AG230", "AG231", "AG232", "AG233", "AG234", "AG237"})
_DEPRECATED = frozenset({"AG235"})
_REMOVED = frozenset({"AG201"})
_NOT_IN_CHANGELOG = frozenset({"AG236"})


def _templates_dir() -> Path:
    return Path(str(resources.files("asyncguard.training_content"))) / "migration"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_templates_dir())),
        autoescape=False,  # Markdown, not HTML
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )


@dataclass
class GuideEntry:
    change: Change
    title: str
    call_before: str
    call_after: str


def _call_shapes(change: Change) -> tuple[str, str]:
    """A before/after snippet of the calling code for the changes where it is mechanical."""
    name = change.symbol.rpartition(".")[2]
    if change.symbol.rpartition(".")[0].rpartition(".")[2][:1].isupper():  # a method: called on an instance
        name = f"obj.{name}"
    code = change.code
    if code == "AG202":
        return f"result = {name}(...)", f"result = await {name}(...)  # inside `async def`"
    if code == "AG203":
        return f"result = await {name}(...)", f"result = {name}(...)"
    if code == "AG204":
        return f"for item in {name}(...):\n    ...", f"async for item in {name}(...):\n    ..."
    if code == "AG205":
        return f"async for item in {name}(...):\n    ...", f"for item in {name}(...):\n    ..."
    if code == "AG220" and change.new_symbol:
        new_name = change.new_symbol.rpartition(".")[2]
        old_module = change.symbol.rpartition(".")[0]
        new_module = change.new_symbol.rpartition(".")[0]
        return (
            f"from {old_module} import {change.symbol.rpartition('.')[2]}",
            f"from {new_module} import {new_name}",
        )
    if code == "AG207" and change.param and change.new is not None:
        new_param = _renamed_to(change)
        if new_param:
            return f"{name}(..., {change.param}=value)", f"{name}(..., {new_param}=value)"
    if code == "AG206" and change.param:
        return f"{name}(..., {change.param}=value)", f"{name}(...)  # `{change.param}` is gone"
    if code in ("AG210", "AG213") and change.param:
        return f"{name}(...)", f"{name}(..., {change.param}=value)"
    if code == "AG217" and change.new is not None:
        if "property" in change.new.decorators:
            return f"{name}()", name
        if change.old is not None and "property" in change.old.decorators:
            return name, f"{name}()"
    return "", ""


def _renamed_to(change: Change) -> str | None:
    marker = "renamed to '"
    if marker in change.message:
        return change.message.split(marker, 1)[1].split("'", 1)[0]
    return None


def render_migration_guide(diff: ContractDiff) -> str:
    """Markdown: one section per breaking change (approved ones included, marked as approved)."""
    entries = []
    for change in diff.changes:
        if not change.breaking:
            continue
        before, after = _call_shapes(change)
        title = CHANGE_CODES[change.code].summary
        entries.append(GuideEntry(change=change, title=title, call_before=before, call_after=after))
    text = (
        _environment()
        .get_template("guide.md.j2")
        .render(
            entries=entries, bump=diff.bump, base_version=diff.base_version, head_version=diff.head_version
        )
    )
    return _tidy(text)


def render_changelog(diff: ContractDiff, version: str | None = None, date: str | None = None) -> str:
    """A Keep-a-Changelog section (Added / Changed / Deprecated / Removed) for the release."""
    sections: dict[str, list[Change]] = {"Added": [], "Changed": [], "Deprecated": [], "Removed": []}
    for change in diff.changes:
        if change.code in _NOT_IN_CHANGELOG:
            continue
        if change.code in _ADDED:
            sections["Added"].append(change)
        elif change.code in _DEPRECATED:
            sections["Deprecated"].append(change)
        elif change.code in _REMOVED:
            sections["Removed"].append(change)
        else:
            sections["Changed"].append(change)
    text = (
        _environment()
        .get_template("changelog.md.j2")
        .render(
            version=version or diff.head_version,
            date=date if date is not None else Date.today().isoformat(),
            sections=list(sections.items()),
            has_changes=any(sections.values()),
        )
    )
    return _tidy(text)


def _tidy(text: str) -> str:
    """Collapse runs of blank lines the template's blocks leave behind."""
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip() and lines and not lines[-1].strip():
            continue
        lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"
