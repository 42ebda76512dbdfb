"""Real git repositories in a temp dir: the fake GitHub serves their tarballs and diffs.

Everything shells out to `git`, so tarballs come from `git archive` and patches from
`git diff`, byte for byte what a real repository would give.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}


class GitRepo:
    """A working tree with helpers to write files, commit, archive and diff."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        if not (self.path / ".git").exists():
            self.git("init", "-q", "-b", "main")

    def git(self, *args: str, input: bytes | None = None) -> bytes:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=self.path,
            env=_ENV,
            input=input,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
        return done.stdout

    def write(self, files: dict[str, str | bytes | None]) -> None:
        """Write (str/bytes) or delete (None) files relative to the repo root."""
        for rel, content in files.items():
            target = self.path / rel
            if content is None:
                if target.exists():
                    target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")

    def commit(self, message: str = "change", files: dict[str, str | bytes | None] | None = None) -> str:
        """Write `files`, commit everything and return the new commit sha."""
        if files:
            self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").decode().strip()

    def checkout(self, ref: str, *, new_branch: str | None = None) -> None:
        if new_branch:
            self.git("checkout", "-q", "-B", new_branch, ref)
        else:
            self.git("checkout", "-q", ref)

    def resolve(self, ref: str) -> str:
        return self.git("rev-parse", "--verify", f"{ref}^{{commit}}").decode().strip()

    def archive(self, sha: str, prefix: str) -> bytes:
        """The tar.gz GitHub's tarball endpoint would serve (one top-level `prefix/` dir)."""
        return self.git("archive", "--format=tar.gz", f"--prefix={prefix}/", sha)

    def merge_base(self, base: str, head: str) -> str:
        return self.git("merge-base", base, head).decode().strip()

    def pull_files(self, base: str, head: str) -> list[dict[str, object]]:
        """pulls/list-files entries for base...head (three-dot, like a PR), with real patches."""
        mb = self.merge_base(base, head)
        status_out = self.git("diff", "--no-color", "-M", "--name-status", "-z", mb, head).decode()
        numstat = self.git("diff", "--no-color", "-M", "--numstat", "-z", mb, head).decode()
        counts: list[tuple[int, int]] = []
        for item in self._numstat_items(numstat):
            counts.append(item)
        parts = status_out.split("\0")
        entries: list[dict[str, object]] = []
        i = 0
        n = 0
        while i < len(parts) and parts[i]:
            code = parts[i]
            if code.startswith("R") or code.startswith("C"):
                old, new = parts[i + 1], parts[i + 2]
                i += 3
            else:
                old = new = parts[i + 1]
                i += 2
            adds, dels = counts[n] if n < len(counts) else (0, 0)
            n += 1
            status = {"A": "added", "D": "removed", "M": "modified", "R": "renamed", "C": "copied"}.get(
                code[0], "changed"
            )
            entry: dict[str, object] = {
                "sha": "0" * 40,
                "filename": new,
                "status": status,
                "additions": adds,
                "deletions": dels,
                "changes": adds + dels,
            }
            if status == "renamed":
                entry["previous_filename"] = old
            patch = self._patch(mb, head, old, new)
            if patch is not None:
                entry["patch"] = patch
            entries.append(entry)
        return entries

    @staticmethod
    def _numstat_items(text: str) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        fields = text.split("\0")
        i = 0
        while i < len(fields) and fields[i]:
            head = fields[i].split("\t")
            adds = int(head[0]) if head[0].isdigit() else 0
            dels = int(head[1]) if head[1].isdigit() else 0
            out.append((adds, dels))
            # a rename has an empty path field followed by old and new paths
            i += 3 if len(head) >= 3 and head[2] == "" else 1
        return out

    def _patch(self, base: str, head: str, old: str, new: str) -> str | None:
        paths = [old] if old == new else [old, new]
        raw = self.git("diff", "--no-color", "-M", base, head, "--", *paths).decode(errors="replace")
        if "\n@@" not in raw and not raw.startswith("@@"):
            return None  # binary or mode-only change: GitHub omits `patch`
        body = raw[raw.index("@@") :]
        return body[:-1] if body.endswith("\n") else body

    def show(self, sha: str, path: str) -> bytes | None:
        try:
            return self.git("show", f"{sha}:{path}")
        except RuntimeError:
            return None
