"""`asyncguard pr`: the bot's PR run on a local git repository, to preview what it will post.

Base and head are materialised with `git archive` into temporary folders (never a checkout of
the user's work tree), diffed by git, and handed to the same `run_pr` the bot uses. Settings come
from the BASE tree, as the bot reads them, so a PR cannot relax its own gate: the `rules:` of
`.asyncguard.yml` when it has them (also its `annotate:` and `checklist: {extra: [...]}`), else
`[tool.asyncguard]` of pyproject.toml.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from asyncguard.checks.config import ConfigError, Settings, find_project_root, load_settings
from asyncguard.checks.diffparse import parse_unified_diff
from asyncguard.checks.gitdiff import GitError, git, verify_ref
from asyncguard.checks.pipeline import ANNOTATE_SCOPES, CACHE_DIRNAME, run_pr
from asyncguard.checks.report import Report

REPO_CONFIG = ".asyncguard.yml"


@dataclass
class RepoYaml:
    settings: Settings | None = None
    annotate: str | None = None
    checklist_extra: tuple[str, ...] = ()


def read_repo_yaml(tree: Path) -> RepoYaml:
    """The parts of `.asyncguard.yml` a PR run uses (the bot validates the rest, governance included)."""
    path = tree / REPO_CONFIG
    if not path.is_file():
        return RepoYaml()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError(f"{REPO_CONFIG}: not valid YAML: {' '.join(str(exc).split())}") from None
    if data is None:
        return RepoYaml()
    if not isinstance(data, dict):
        raise ConfigError(f"{REPO_CONFIG}: expected a mapping at the top")
    out = RepoYaml()
    if data.get("rules") is not None:
        out.settings = Settings.from_mapping(data["rules"], source=f"{REPO_CONFIG} rules")
    annotate = data.get("annotate")
    if annotate is not None:
        if annotate not in ANNOTATE_SCOPES:
            raise ConfigError(
                f"{REPO_CONFIG}: annotate must be one of {', '.join(ANNOTATE_SCOPES)}, got {annotate!r}"
            )
        out.annotate = annotate
    checklist = data.get("checklist")
    if isinstance(checklist, dict) and isinstance(checklist.get("extra"), list):
        out.checklist_extra = tuple(str(x) for x in checklist["extra"])
    return out


@dataclass
class LocalPR:
    report: Report
    settings: Settings
    base_sha: str
    head_sha: str
    annotate: str


def archive(repo: Path, sha: str, dest: Path) -> None:
    """Extract the tree of commit `sha` into `dest` (tar members filtered: no links out, no devices)."""
    dest.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        ["git", "archive", "--format=tar", sha], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            tar.extractall(dest, filter="data")
    except tarfile.TarError as exc:
        proc.kill()
        raise GitError(f"git archive {sha[:12]}: unreadable archive ({exc})") from None
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode("utf-8", "replace").strip() if proc.stderr else ""
        code = proc.wait()
    if code != 0:
        raise GitError(f"git archive {sha[:12]}: {err.splitlines()[0] if err else 'failed'}")


def run_local_pr(
    path: Path,
    base: str,
    head: str,
    annotate: str | None = None,
    use_cache: bool = True,
    adjust: Callable[[Path, Settings], Settings] | None = None,
) -> LocalPR:
    """Run the PR pipeline for base..head of the repository containing `path`."""
    path = Path(path)
    if not path.exists():
        raise GitError(f"{path}: no such file or directory")
    top = Path(git(path if path.is_dir() else path.parent, "rev-parse", "--show-toplevel").decode().strip())
    top = top.resolve()
    base_sha, head_sha = verify_ref(top, base), verify_ref(top, head)
    project = find_project_root([path])
    try:
        prefix = project.relative_to(top).as_posix()
    except ValueError:
        prefix = "."
    with tempfile.TemporaryDirectory(prefix="asyncguard-pr-") as tmp:
        base_tree, head_tree = Path(tmp) / "base", Path(tmp) / "head"
        archive(top, base_sha, base_tree)
        archive(top, head_sha, head_tree)
        base_root = base_tree / prefix if prefix != "." else base_tree
        head_root = head_tree / prefix if prefix != "." else head_tree
        base_root.mkdir(parents=True, exist_ok=True)
        head_root.mkdir(parents=True, exist_ok=True)
        repo_yaml = read_repo_yaml(base_tree)
        settings = repo_yaml.settings or load_settings(base_root)
        if adjust is not None:
            settings = adjust(base_root, settings)
        if use_cache and not (settings.cache_dir and Path(settings.cache_dir).is_absolute()):
            # the temp trees vanish; the user's project keeps the (content-keyed) cache
            settings = replace(settings, cache_dir=str(project / (settings.cache_dir or CACHE_DIRNAME)))
        relative = [f"--relative={prefix}"] if prefix != "." else []
        diff_text = git(
            top, "diff", "--no-color", "--no-ext-diff", "-M", *relative, base_sha, head_sha, "--"
        ).decode("utf-8", "surrogateescape")
        changed = parse_unified_diff(diff_text)
        scope = annotate or repo_yaml.annotate or "changed-lines"
        report = run_pr(
            base_root,
            head_root,
            changed,
            settings,
            annotate=scope,
            extra_checklist=repo_yaml.checklist_extra,
            use_cache=use_cache,
        )
        report.root = str(project)  # the temp trees are gone after this; paths are the same
    return LocalPR(report=report, settings=settings, base_sha=base_sha, head_sha=head_sha, annotate=scope)
