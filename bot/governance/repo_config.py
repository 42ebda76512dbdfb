"""`.asyncguard.yml`: the repository's governance, rules and bot settings, validated with clear errors.

Read from the PR's BASE so a pull request cannot loosen its own gate. Anything malformed falls back
to the safe default for that key (the gate stays ON) and is reported in `errors`, never raised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

CONFIG_FILE = ".asyncguard.yml"
DEFAULT_LABEL = "api-change-approved"
BREAKING_MODES = ("require-approval", "warn", "off")
ANNOTATE_MODES = ("changed-lines", "changed-files", "all")
COMMANDS = ("help", "recheck", "explain", "approve", "revoke", "contract", "checklist", "doctor", "bypass",
            "false-positive")
_TEAM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")
_TOP_KEYS = ("governance", "rules", "annotate", "checklist", "commands", "feedback")
_GOV_KEYS = (
    "review_teams",
    "reviewers",
    "approval_label",
    "interface_paths",
    "breaking_changes",
    "stale_on_push",
    "allow_self_approval",
)


@dataclass(frozen=True)
class Governance:
    review_teams: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    approval_label: str = DEFAULT_LABEL
    interface_paths: tuple[str, ...] = ()
    breaking_changes: str = "require-approval"
    stale_on_push: bool = True
    allow_self_approval: bool = False  # the PR's author approving its own break (GitHub's reviews forbid it)

    @property
    def gate_on(self) -> bool:
        return self.breaking_changes == "require-approval"

    def who_may_bypass(self) -> str:
        """The emergency bypass is narrower than approval: the governance team, or admins."""
        parts = [f"members of `@{t}`" for t in self.review_teams] + ["repository admins"]
        return ", ".join(parts[:-1]) + (" or " if len(parts) > 1 else "") + parts[-1]

    def who_may_approve(self) -> str:
        """One human sentence for replies and check summaries."""
        parts = [f"members of `@{t}`" for t in self.review_teams]
        parts += [f"`@{r}`" for r in self.reviewers]
        if not parts:
            return "repository admins and maintainers"
        return ", ".join(parts[:-1]) + (" or " if len(parts) > 1 else "") + parts[-1]


@dataclass
class RepoConfig:
    governance: Governance = field(default_factory=Governance)
    rules: dict[str, Any] = field(default_factory=dict)  # the `rules:` mapping as written
    settings: Any = None  # checks.config.Settings built from `rules:` (None when unavailable)
    annotate: str = "changed-lines"
    checklist_extra: tuple[str, ...] = ()
    commands_disabled: frozenset[str] = frozenset()
    share_snippets: bool = False  # feedback.share_snippets: reported findings keep a redacted code snippet
    errors: list[str] = field(default_factory=list)
    found: bool = False  # False when the base branch has no .asyncguard.yml

    def error_note(self) -> str:
        """Markdown paragraph for check summaries and replies; empty when the file is fine."""
        if not self.errors:
            return ""
        lines = "\n".join(f"- {e}" for e in self.errors)
        return f"**`{CONFIG_FILE}` problems (safe defaults used, the gate stays on):**\n{lines}\n"


def _str_list(value: Any, where: str, errors: list[str], pattern: re.Pattern[str] | None = None) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        errors.append(f"`{where}` must be a list of strings; got {value!r}")
        return None
    items = tuple(v.strip().lstrip("@") for v in value)
    if pattern is not None:
        bad = [v for v in items if not pattern.match(v)]
        if bad:
            errors.append(f"`{where}`: invalid entries {bad}")
            return None
    return items


def _governance(raw: Any, errors: list[str]) -> Governance:
    if raw is None:
        return Governance()
    if not isinstance(raw, Mapping):
        errors.append(f"`governance` must be a mapping; got {type(raw).__name__}")
        return Governance()
    kw: dict[str, Any] = {}
    for key in raw:
        if key not in _GOV_KEYS:
            errors.append(f"unknown key `governance.{key}` (ignored; known: {', '.join(_GOV_KEYS)})")
    if "review_teams" in raw:
        teams = _str_list(raw["review_teams"], "governance.review_teams", errors, _TEAM_RE)
        if teams is not None:
            kw["review_teams"] = teams
        else:
            errors.append("`governance.review_teams` ignored: only repository admins and maintainers may approve")
    if "reviewers" in raw:
        people = _str_list(raw["reviewers"], "governance.reviewers", errors, _LOGIN_RE)
        if people is not None:
            kw["reviewers"] = people
    if "approval_label" in raw:
        label = raw["approval_label"]
        if isinstance(label, str) and label.strip() and len(label) <= 50:
            kw["approval_label"] = label.strip()
        else:
            errors.append(f"`governance.approval_label` must be a label name (1-50 characters); got {label!r}")
    if "interface_paths" in raw:
        paths = _str_list(raw["interface_paths"], "governance.interface_paths", errors)
        if paths is not None:
            kw["interface_paths"] = paths
        else:
            errors.append("`governance.interface_paths` ignored: every file is governed")
    if "breaking_changes" in raw:
        mode = raw["breaking_changes"]
        if mode is False:  # YAML 1.1 reads a bare `off` as false
            mode = "off"
        if mode in BREAKING_MODES:
            kw["breaking_changes"] = mode
        else:
            errors.append(
                f"`governance.breaking_changes` must be one of {', '.join(BREAKING_MODES)}; got {mode!r}"
                " (using require-approval)"
            )
    if "stale_on_push" in raw:
        stale = raw["stale_on_push"]
        if isinstance(stale, bool):
            kw["stale_on_push"] = stale
        else:
            errors.append(f"`governance.stale_on_push` must be true or false; got {stale!r} (using true)")
    if "allow_self_approval" in raw:
        self_ok = raw["allow_self_approval"]
        if isinstance(self_ok, bool):
            kw["allow_self_approval"] = self_ok
        else:
            errors.append(f"`governance.allow_self_approval` must be true or false; got {self_ok!r} (using false)")
    return Governance(**kw)


def _rules(raw: Any, cfg: RepoConfig) -> None:
    if raw is None:
        return
    if not isinstance(raw, Mapping):
        cfg.errors.append(f"`rules` must be a mapping; got {type(raw).__name__}")
        return
    cfg.rules = dict(raw)
    try:
        from asyncguard.checks.config import Settings
    except ImportError:  # checks.config not installed in this build: keep the raw mapping
        return
    try:
        cfg.settings = Settings.from_mapping(cfg.rules)
    except Exception as exc:  # a bad rules section must not break governance
        cfg.errors.append(f"`rules`: {exc}")
        cfg.rules = {}


def _apply_top(data: Mapping[str, Any], cfg: RepoConfig) -> None:
    for key in data:
        if key not in _TOP_KEYS:
            cfg.errors.append(f"unknown top-level key `{key}` (ignored; known: {', '.join(_TOP_KEYS)})")
    cfg.governance = _governance(data.get("governance"), cfg.errors)
    _rules(data.get("rules"), cfg)
    if "annotate" in data:
        if data["annotate"] in ANNOTATE_MODES:
            cfg.annotate = data["annotate"]
        else:
            cfg.errors.append(f"`annotate` must be one of {', '.join(ANNOTATE_MODES)}; got {data['annotate']!r}")
    checklist = data.get("checklist")
    if checklist is not None:
        extra = checklist.get("extra") if isinstance(checklist, Mapping) else None
        if not isinstance(checklist, Mapping):
            cfg.errors.append("`checklist` must be a mapping like `{extra: [...]}`")
        elif extra is not None:
            items = _str_list(extra, "checklist.extra", cfg.errors)
            cfg.checklist_extra = items or ()
    feedback = data.get("feedback")
    if feedback is not None:
        share = feedback.get("share_snippets") if isinstance(feedback, Mapping) else None
        unknown_fb = [k for k in feedback if k != "share_snippets"] if isinstance(feedback, Mapping) else []
        if not isinstance(feedback, Mapping) or not isinstance(share, bool | None) or unknown_fb:
            cfg.errors.append("`feedback` must be a mapping like `{share_snippets: true}` (snippets stay off)")
        else:
            cfg.share_snippets = bool(share)
    commands = data.get("commands")
    if commands is not None:
        disabled = commands.get("disabled") if isinstance(commands, Mapping) else None
        if not isinstance(commands, Mapping):
            cfg.errors.append("`commands` must be a mapping like `{disabled: [...]}`")
        elif disabled is not None:
            names = _str_list(disabled, "commands.disabled", cfg.errors) or ()
            unknown = [n for n in names if n.lower() not in COMMANDS]
            if unknown:
                cfg.errors.append(f"`commands.disabled`: unknown commands {unknown} (known: {', '.join(COMMANDS)})")
            # the gate's own commands cannot be switched off: that would strand a failing gate
            cfg.commands_disabled = frozenset(
                n.lower() for n in names if n.lower() in COMMANDS and n.lower() not in ("approve", "revoke", "help", "bypass")
            )
            kept = sorted({n.lower() for n in names} & {"approve", "revoke", "help"})
            if kept:
                cfg.errors.append(f"`commands.disabled`: {kept} cannot be disabled (they drive the gate)")


def load_repo_config(text: str | None) -> RepoConfig:
    """Parse `.asyncguard.yml` text (None: no file). Never raises; problems land in `.errors`."""
    cfg = RepoConfig()
    if text is None:
        return cfg
    cfg.found = True
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        cfg.errors.append(f"`{CONFIG_FILE}` is not valid YAML{where}: {problem}")
        return cfg
    if data is None:
        return cfg
    if not isinstance(data, Mapping):
        cfg.errors.append(f"`{CONFIG_FILE}` must be a mapping of keys; got {type(data).__name__}")
        return cfg
    _apply_top(data, cfg)
    return cfg
