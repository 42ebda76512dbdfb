"""`asyncguard init`: what setting up a project writes, planned as data before a byte is written.

The plan has one entry per file: the `[tool.asyncguard]` table of pyproject.toml, the
`.pre-commit-config.yaml` entry, a starter `.asyncguard.yml` (governance team, interface paths),
the first contract file and a baseline of today's findings. Each entry says what it would do:
`create` a new file, `append` to an existing one (a new table, key or hook: nothing already there
changes), `overwrite` a file that exists (only with the user's consent), `keep` (already set up)
or `manual` (a file it cannot edit safely: the text to add by hand).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HOOK_REPO = "https://github.com/asyncguard/asyncguard"
BASELINE_FILE = "asyncguard-baseline.json"
PRE_COMMIT_FILE = ".pre-commit-config.yaml"
REPO_CONFIG_FILE = ".asyncguard.yml"  # bot.governance.repo_config.CONFIG_FILE (checks never imports bot)
_TABLE_HEADER = re.compile(r"^\[tool\.asyncguard\]\s*(#.*)?$", re.MULTILINE)


class InitError(ValueError):
    """The project cannot be set up as asked; the message is for the user as it is."""


@dataclass(frozen=True)
class Planned:
    path: Path
    action: str  # create | append | overwrite | keep | manual
    text: str  # the whole new file (create, overwrite), the added text (append, manual), or why (keep)
    why: str
    new_content: str | None = None  # the file's full content after an append

    @property
    def writes(self) -> bool:
        return self.action in ("create", "append", "overwrite")


@dataclass
class Plan:
    root: Path
    files: list[Planned] = field(default_factory=list)

    @property
    def conflicts(self) -> list[Planned]:
        return [p for p in self.files if p.action == "overwrite"]


def interface_paths(root: Path, files: Sequence[Path]) -> list[str]:
    """Globs of the importable packages (`pkg/**`, `src/pkg/**`) and top-level modules."""
    out: set[str] = set()
    for f in files:
        parts = f.relative_to(root).parts
        if len(parts) == 1:
            out.add(parts[0])
        elif parts[0] == "src" and len(parts) > 2:
            out.add(f"src/{parts[1]}/**")
        else:
            out.add(f"{parts[0]}/**")
    return sorted(out)


def tool_table(baseline: str) -> str:
    return (
        "[tool.asyncguard]\n"
        "# asyncguard init: keys and defaults at https://github.com/asyncguard/asyncguard/blob/main/checks/README.md\n"
        f'baseline = "{baseline}"  # findings recorded by init; only new ones are reported\n'
        'mode = "enforce"  # "warn": report without failing while the team rolls it out\n'
    )


def pre_commit_entry(repo: str, rev: str) -> dict[str, object]:
    return {"repo": repo, "rev": rev, "hooks": [{"id": "asyncguard"}]}


def repo_config_text(teams: Sequence[str], paths: Sequence[str]) -> str:
    team_lines = "\n".join(f"    - {t}" for t in teams) if teams else "    []  # e.g. - my-org/architecture"
    path_lines = "\n".join(f'    - "{p}"' for p in paths) if paths else '    []  # e.g. - "mypkg/**"'
    return (
        "# asyncguard GitHub App settings, read from the pull request's BASE branch.\n"
        "# Keys: https://github.com/asyncguard/asyncguard/blob/main/bot/governance/README.md\n"
        "governance:\n"
        "  # who may approve a breaking interface change (`/asyncguard approve <reason>`)\n"
        f"  review_teams:\n{team_lines}\n"
        "  # the public interface: breaking changes here need an approval\n"
        f"  interface_paths:\n{path_lines}\n"
        "  breaking_changes: require-approval  # or warn, off\n"
    )


def _plan_file(path: Path, text: str, why: str) -> Planned:
    if path.exists():
        return Planned(path, "overwrite", text, f"{why} (the file exists)")
    return Planned(path, "create", text, why)


def plan_pyproject(root: Path, baseline: str) -> tuple[Planned, str]:
    """The `[tool.asyncguard]` entry, and the baseline path (an existing table's own `baseline` wins)."""
    path = root / "pyproject.toml"
    if not path.exists():
        return Planned(path, "create", tool_table(baseline), "asyncguard's settings"), baseline
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InitError(f"{path}: not valid TOML ({exc}); fix it first") from None
    table = (data.get("tool") or {}).get("asyncguard")
    if table is None:
        added = ("\n" if text and not text.endswith("\n") else "") + ("\n" if text.strip() else "") + tool_table(baseline)
        return Planned(path, "append", added, "asyncguard's settings", text + added), baseline
    if isinstance(table, dict) and isinstance(table.get("baseline"), str):
        return Planned(path, "keep", "", f"[tool.asyncguard] already names the baseline {table['baseline']}"), \
            str(table["baseline"])
    header = _TABLE_HEADER.search(text)
    if header is None:  # a dotted-key or inline table: not one we can add a line to safely
        return Planned(path, "manual", f'baseline = "{baseline}"', "add this key to [tool.asyncguard]"), baseline
    line = f'baseline = "{baseline}"\n'
    new = text[: header.end()] + "\n" + line + text[header.end() + 1:]
    try:
        placed = (tomllib.loads(new).get("tool") or {}).get("asyncguard", {}).get("baseline") == baseline
    except tomllib.TOMLDecodeError:
        placed = False
    if not placed:
        return Planned(path, "manual", line.strip(), "add this key to [tool.asyncguard]"), baseline
    return Planned(path, "append", line, "the baseline key of [tool.asyncguard]", new), baseline


def plan_pre_commit(root: Path, repo: str, rev: str) -> Planned:
    path = root / PRE_COMMIT_FILE
    entry = pre_commit_entry(repo, rev)
    if not path.exists():
        return Planned(path, "create", yaml.safe_dump({"repos": [entry]}, sort_keys=False), "the pre-commit hook")
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise InitError(f"{path}: not valid YAML ({exc}); fix it first") from None
    repos = data.get("repos") if isinstance(data, dict) else None
    if not isinstance(repos, list):
        return Planned(path, "manual", yaml.safe_dump({"repos": [entry]}, sort_keys=False),
                       "no `repos:` list to add the hook to")
    if any(h.get("id") == "asyncguard" for r in repos if isinstance(r, dict)
           for h in (r.get("hooks") or []) if isinstance(h, dict)):
        return Planned(path, "keep", "", "the asyncguard hook is already configured")
    item = yaml.safe_dump([entry], sort_keys=False)
    indent = _list_indent(text)
    added = "".join(f"{indent}{line}\n" if line else "\n" for line in item.splitlines())
    new = text + ("" if text.endswith("\n") else "\n") + added
    try:  # appended to the end, it must land in `repos:` and change nothing else
        ok = yaml.safe_load(new) == {**data, "repos": [*repos, entry]}
    except yaml.YAMLError:
        ok = False
    if not ok:
        return Planned(path, "manual", item, "`repos:` is not the file's last key: add this entry to it")
    return Planned(path, "append", added, "the pre-commit hook", new)


def _list_indent(text: str) -> str:
    """The indentation of the items of `repos:` (`- repo:` lines), so an appended item matches."""
    m = re.search(r"^( *)- +repo:", text, re.MULTILINE)
    return m.group(1) if m else ""


def make_plan(
    root: Path, *, teams: Sequence[str] = (), paths: Sequence[str] = (), hook_repo: str = HOOK_REPO,
    hook_rev: str, baseline: str = BASELINE_FILE, use_cache: bool = True,
) -> Plan:
    """Everything `init` would write for the project at `root` (reads the tree, writes nothing)."""
    from asyncguard.checks.baseline import render_baseline
    from asyncguard.checks.config import load_settings, resolve_path
    from asyncguard.checks.pipeline import run_check
    from asyncguard.contracts.api import load_contract_settings
    from asyncguard.contracts.extract import discover, extract
    from asyncguard.contracts.store import dump_contract

    root = root.resolve()
    if not root.is_dir():
        raise InitError(f"{root}: not a directory")
    plan = Plan(root)
    pyproject, baseline = plan_pyproject(root, baseline)
    plan.files.append(pyproject)
    plan.files.append(plan_pre_commit(root, hook_repo, hook_rev))
    contract_settings = load_contract_settings(root)
    settings = load_settings(root)
    contract_file = settings.contracts_file or contract_settings.file
    interface = list(paths) or interface_paths(root, discover(root, contract_settings.packages,
                                                              contract_settings.exclude))
    plan.files.append(_plan_file(root / REPO_CONFIG_FILE, repo_config_text(teams, interface),
                                 "the GitHub App's governance settings"))
    contract = extract(root, contract_settings.packages, contract_settings.exclude)
    plan.files.append(_plan_file(root / contract_file, dump_contract(contract),
                                 f"the contract: {len(contract.symbols)} public names"))
    report = run_check(root, [root], settings, None, use_cache=use_cache)
    baseline_path = resolve_path(settings, baseline, root)
    text = render_baseline(root, report.findings)
    n = text.count('"fingerprint"')
    plan.files.append(_plan_file(baseline_path, text, f"the baseline: {n} finding{'s' if n != 1 else ''} of today"))
    return plan
