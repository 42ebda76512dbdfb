"""Tarball extraction refuses hostile archives; the snapshot cache downloads once and stays bounded."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import aiohttp
import pytest
from fakegithub import FakeGitHub, GitRepo

from asyncguard.bot.github import GitHubApp, RetryPolicy
from asyncguard.bot.metrics import BotMetrics
from asyncguard.bot.snapshots import Limits, SnapshotCache, SnapshotError, safe_extract


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes = b"x = 1\n") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def test_hostile_members_are_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    dev = tarfile.TarInfo("top/dev/null")
    dev.type = tarfile.CHRTYPE
    archive = _tar(tmp_path / "a.tar.gz", [
        _file("top/pkg/ok.py"),
        _file("top/../outside.txt", b"escaped"),
        _file("top/pkg/../../outside.txt", b"escaped"),
        _file("/abs/evil.py", b"evil"),
        _link("top/pkg/link.py", "/etc/passwd"),
        _link("top/pkg/up", "../.."),
        _file("top/pkg/up/escape.py", b"through the link"),
        _link("top/pkg/hard.py", "/etc/passwd", tarfile.LNKTYPE),
        (dev, None),
    ])
    dest = tmp_path / "tree"
    stats = safe_extract(archive, dest, Limits())
    written = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file() or p.is_symlink())
    # the link `pkg/up` was never made, so `pkg/up/escape.py` is a plain file inside the tree
    assert written == ["pkg/ok.py", "pkg/up/escape.py"]
    assert not any(p.is_symlink() for p in dest.rglob("*"))
    assert not outside.exists()
    assert stats.files == 2 and stats.skipped >= 6


def test_caps_on_size_and_count(tmp_path: Path) -> None:
    big = _tar(tmp_path / "big.tar.gz", [_file("top/a.bin", b"\0" * 5000)])
    with pytest.raises(SnapshotError, match="unpacks to more than"):
        safe_extract(big, tmp_path / "t1", Limits(extract_bytes=4000))
    many = _tar(tmp_path / "many.tar.gz", [_file(f"top/f{i}.py") for i in range(20)])
    with pytest.raises(SnapshotError, match="more than 10 files"):
        safe_extract(many, tmp_path / "t2", Limits(extract_files=10))


def test_corrupt_archive_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"\x1f\x8b" + os.urandom(300))
    with pytest.raises(SnapshotError, match="could not be read"):
        safe_extract(bad, tmp_path / "t", Limits())


async def test_cache_downloads_once_and_evicts_oldest(fake_github: FakeGitHub, make_git_repo: object, tmp_path: Path) -> None:
    git: GitRepo = make_git_repo("r")  # type: ignore[operator]
    shas = [git.commit(f"c{i}", {"data.txt": f"{i}\n" * 2000}) for i in range(3)]
    fake_github.add_repo("o/r", git, installation_id=5)
    async with aiohttp.ClientSession() as session:
        app = GitHubApp(session=session, app_id=fake_github.app_id, private_key=fake_github.private_key_pem,
                        base_url=fake_github.url, metrics=BotMetrics(), policy=RetryPolicy(write_spacing=0))
        gh = app.client(5)
        cache = SnapshotCache(tmp_path / "snaps", Limits(cache_bytes=9000))
        first = await cache.get(gh, "o/r", shas[0])
        again = await cache.get(gh, "o/r", shas[0])
        assert first == again and (first / "data.txt").read_text().startswith("0\n")
        assert cache.downloads == 1
        await cache.get(gh, "o/r", shas[1])
        os.utime(first / ".complete", (1, 1))  # make the first tree the least recently used
        third = await cache.get(gh, "o/r", shas[2])
        assert cache.evict(frozenset({third})) == 1
        assert not first.exists() and third.exists()
        with pytest.raises(SnapshotError, match="not a commit sha"):
            await cache.get(gh, "o/r", "../../etc")
