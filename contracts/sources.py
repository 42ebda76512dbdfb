"""One side of a comparison: a git ref, a directory or a contract file.

A git ref is read with `git archive` into a temporary directory (never a checkout of the user's
work tree), so comparing `main` with `HEAD` leaves the repository exactly as it was.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from asyncguard.contracts.model import ContractError


@dataclass
class Side:
    label: str
    directory: Path | None = None  # a tree to extract from
    contract_file: Path | None = None  # or a contract file to load
    commit: str | None = None  # when the side is a git ref


def _git(repo: Path, *args: str) -> bytes:
    try:
        proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False)
    except FileNotFoundError:
        raise ContractError("git is not installed or not on PATH") from None
    except NotADirectoryError:
        raise ContractError(f"{repo}: not a directory") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ContractError(f"git {args[0]}: {err[-1] if err else 'failed'}")
    return proc.stdout


def resolve_commit(repo: Path, ref: str) -> str:
    """The commit sha of `ref` in `repo`, or ContractError naming it."""
    if ref.startswith("-"):
        raise ContractError(f"{ref!r} is not a git ref")
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except ContractError:
        raise ContractError(
            f"{ref!r} is not a git ref, a directory or a contract file (looked in {repo})"
        ) from None


def repo_prefix(repo: Path) -> str:
    """`repo`'s folder inside its git work tree ("" at the top), so an archive matches the directory."""
    try:
        return _git(repo, "rev-parse", "--show-prefix").decode().strip()
    except ContractError:
        return ""


@contextmanager
def materialize(spec: str, repo: Path) -> Iterator[Side]:
    """Yield the side `spec` names; a git ref is unpacked into a temp dir removed afterwards."""
    path = Path(spec)
    if path.is_file():
        yield Side(label=spec, contract_file=path)
        return
    if path.is_dir():
        yield Side(label=spec, directory=path)
        return
    commit = resolve_commit(repo, spec)
    prefix = repo_prefix(repo)
    tmp = Path(tempfile.mkdtemp(prefix="asyncguard-contracts-"))
    try:
        # run in `repo`: the pathspec "." is its folder, and entries come relative to it
        data = _git(repo, "archive", "--format=tar", commit, *(["."] if prefix else []))
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(tmp, filter="data")
        yield Side(label=spec, directory=tmp, commit=commit)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def changed_lines_between(repo: Path, base: str, head: str) -> str:
    """`git diff -U0 base head` relative to `repo` (the unified diff text)."""
    return _git(repo, "diff", "-U0", "--no-color", "--no-ext-diff", "--relative", base, head, "--").decode(
        "utf-8", "surrogateescape"
    )
