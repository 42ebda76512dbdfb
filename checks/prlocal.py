"""`asyncguard pr`: the bot's PR run on a local git repository, to preview what it will post.

Base and head are materialised with `git archive` into temporary folders (never a checkout of
the user's work tree), diffed by git, and handed to the same `run_pr` the bot uses. Settings come
from the BASE tree, as the bot reads them: a PR cannot relax its own gate.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from checks.config import Settings, find_project_root, load_settings
from checks.diffparse import parse_unified_diff
from checks.gitdiff import GitError, git, verify_ref
from checks.pipeline import CACHE_DIRNAME, run_pr
from checks.report import Report


@dataclass
class LocalPR:
    report: Report
    settings: Settings
    base_sha: str
    head_sha: str


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
    annotate: str = "changed-lines",
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
        settings = load_settings(base_root)
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
        report = run_pr(base_root, head_root, changed, settings, annotate=annotate, use_cache=use_cache)
        report.root = str(project)  # the temp trees are gone after this; paths are the same
    return LocalPR(report=report, settings=settings, base_sha=base_sha, head_sha=head_sha)
