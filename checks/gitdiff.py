"""Lines changed in a working tree since a git ref: what `--diff REF` and pre-commit report on.

Committed, staged and unstaged changes all count (`git diff REF`, working tree side), and an
untracked new .py file counts as changed on every line.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from asyncguard.checks.diffparse import FileDiff, parse_unified_diff


class GitError(RuntimeError):
    """git refused or is missing; the message is for the user as it is."""


def git(repo: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    """Run git in `repo`; raise GitError with git's own first line of complaint."""
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=repo,
            input=input_bytes,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    except NotADirectoryError:
        raise GitError(f"{repo}: not a folder") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        first = next((line for line in err if line.startswith("fatal:")), err[0] if err else "failed")
        raise GitError(f"git {args[0]}: {first.removeprefix('fatal: ')}")
    return proc.stdout


def verify_ref(repo: Path, ref: str) -> str:
    """The commit sha of `ref`, or GitError naming the ref."""
    if ref.startswith("-"):
        raise GitError(f"{ref!r} is not a git ref")
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except GitError:
        raise GitError(f"unknown git ref {ref!r} in {repo}") from None


def changed_lines(repo: Path, ref: str) -> dict[str, FileDiff]:
    """Path (relative to `repo`, which may be a subfolder of the work tree) -> lines changed since `ref`."""
    repo = Path(repo)
    verify_ref(repo, ref)
    text = git(repo, "diff", "-U0", "--no-color", "--no-ext-diff", "--relative", ref, "--").decode(
        "utf-8", "surrogateescape"
    )
    files = parse_unified_diff(text)
    untracked = git(repo, "ls-files", "--others", "--exclude-standard", "-z", "--", ".").decode(
        "utf-8", "surrogateescape"
    )
    for rel in filter(None, untracked.split("\0")):
        if not rel.endswith(".py"):
            continue
        try:
            count = _count_lines((repo / rel).read_bytes())
        except OSError:
            continue
        lines = set(range(1, count + 1))
        files[rel] = FileDiff(added_lines=lines, hunk_lines=set(lines), new_file=True)
    return files


def _count_lines(data: bytes) -> int:
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
