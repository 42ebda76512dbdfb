"""Source trees of a commit, from GitHub's tarball: downloaded once per sha, cached, size-bounded.

Extraction trusts nothing in the archive: only regular files and directories are written,
paths are made relative to the single top folder GitHub adds and must stay inside it (no `..`,
no absolute paths), links and devices are skipped, and total size and file count are capped.
Nothing extracted is ever imported or executed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from asyncguard.bot.github import GitHubClient

log = logging.getLogger("asyncguard.snapshots")


class SnapshotError(Exception):
    """The archive was unusable (too big, corrupt, hostile): the check run says why."""


@dataclass(frozen=True)
class Limits:
    tarball_bytes: int = 200 * 1024**2
    extract_bytes: int = 1024**3
    extract_files: int = 100_000
    cache_bytes: int = 2 * 1024**3


@dataclass
class ExtractStats:
    files: int = 0
    bytes: int = 0
    skipped: int = 0  # links, devices, hostile paths


def _member_path(name: str) -> PurePosixPath | None:
    """The member's path below GitHub's top folder, or None when it must not be written."""
    if "\\" in name or "\0" in name:
        return None
    p = PurePosixPath(name)
    if p.is_absolute() or not p.parts:
        return None
    rest = p.parts[1:]  # drop `owner-repo-sha/`
    if not rest or any(part in ("..", "") for part in rest):
        return None
    return PurePosixPath(*rest)


def safe_extract(archive: Path, dest: Path, limits: Limits) -> ExtractStats:
    """Extract a GitHub tarball into `dest` (must not exist yet) under `limits`."""
    stats = ExtractStats()
    dest.mkdir(parents=True)
    root = dest.resolve()
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                rel = _member_path(member.name)
                if rel is None or not (member.isfile() or member.isdir()):
                    stats.skipped += int(member.name.count("/") > 0 or not member.isdir())
                    continue
                target = root.joinpath(*rel.parts)
                if not target.resolve().is_relative_to(root):
                    stats.skipped += 1
                    continue
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                stats.files += 1
                stats.bytes += member.size
                if stats.files > limits.extract_files:
                    raise SnapshotError(f"the archive has more than {limits.extract_files} files")
                if stats.bytes > limits.extract_bytes:
                    raise SnapshotError(f"the archive unpacks to more than {limits.extract_bytes // 1024**2} MB")
                target.parent.mkdir(parents=True, exist_ok=True)
                # a symlinked parent folder was never written (links are skipped), so this stays inside
                src = tar.extractfile(member)
                if src is None:
                    continue
                with src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                os.chmod(target, 0o644)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise SnapshotError(f"the archive could not be read ({exc.__class__.__name__}: {exc})") from None
    return stats


def _touch(marker: Path) -> bool:
    """Mark a cached tree as just used; False when it is not (completely) there."""
    try:
        os.utime(marker)
    except FileNotFoundError:
        return False
    return True


def _install(staging: Path, target: Path, size: int) -> None:
    (staging / ".complete").write_text(f"{size}\n")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)


class SnapshotCache:
    """`<data_dir>/snapshots/<owner>/<repo>/<sha>/`, evicting least recently used trees past the bound."""

    def __init__(self, root: Path, limits: Limits) -> None:
        self.root = root
        self.limits = limits
        self.root.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, asyncio.Lock] = {}
        self.downloads = 0

    def path_for(self, repo_full_name: str, sha: str) -> Path:
        owner, name = repo_full_name.split("/", 1)
        return self.root / owner / name / sha

    async def get(self, gh: GitHubClient, repo_full_name: str, sha: str) -> Path:
        """The extracted tree of `sha`, downloading it unless cached."""
        if len(sha) != 40 or not all(c in "0123456789abcdef" for c in sha):
            raise SnapshotError(f"not a commit sha: {sha!r}")
        target = self.path_for(repo_full_name, sha)
        lock = self._locks.setdefault(str(target), asyncio.Lock())
        async with lock:
            if await asyncio.to_thread(_touch, target / ".complete"):
                return target
            await self._fetch(gh, repo_full_name, sha, target)
        return target

    async def _fetch(self, gh: GitHubClient, repo_full_name: str, sha: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{sha[:12]}-") as tmp:
            archive = Path(tmp) / "archive.tar.gz"
            from asyncguard.bot.github import DownloadTooLarge

            try:
                await gh.download(f"/repos/{repo_full_name}/tarball/{sha}", archive, self.limits.tarball_bytes)
            except DownloadTooLarge:
                raise SnapshotError(
                    f"the tarball of {sha[:7]} is larger than {self.limits.tarball_bytes // 1024**2} MB"
                ) from None
            self.downloads += 1
            staging = Path(tmp) / "tree"
            stats = await asyncio.to_thread(safe_extract, archive, staging, self.limits)
            if stats.skipped:
                log.info("%s@%s: skipped %d links/unsafe entries", repo_full_name, sha[:7], stats.skipped)
            await asyncio.to_thread(_install, staging, target, stats.bytes)

    def evict(self, keep: frozenset[Path] = frozenset()) -> int:
        """Drop least recently used trees (not those in `keep`, still in use) until the cache fits."""
        trees: list[tuple[float, int, Path]] = []
        total = 0
        for marker in self.root.glob("*/*/*/.complete"):
            try:
                size = int(marker.read_text().strip() or 0)
            except (OSError, ValueError):
                size = 0
            trees.append((marker.stat().st_mtime, size, marker.parent))
            total += size
        dropped = 0
        for _, size, tree in sorted(trees):
            if total <= self.limits.cache_bytes:
                break
            if tree in keep:
                continue
            shutil.rmtree(tree, ignore_errors=True)
            total -= size
            dropped += 1
        return dropped
