"""A throwaway PostgreSQL server for the tests: the distribution's binaries, a cluster in a temp dir.

Started once per test session (`initdb` + `pg_ctl`, a free loopback port, fsync off: the tests
kill processes, not machines; benchmarks ask for `durable=True`); every test gets a database of
its own. As root (CI), the server runs as the `postgres` user that the Debian package creates,
since PostgreSQL refuses root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path:
    candidates = []
    if os.environ.get("ASYNCGUARD_PG_BINDIR"):  # set, it is the only one: no silent fallback
        candidates.append(os.environ["ASYNCGUARD_PG_BINDIR"])
    else:
        candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
        which = shutil.which("pg_ctl")
        if which:
            candidates.append(str(Path(os.path.realpath(which)).parent))
    for c in candidates:
        if (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found (apt-get install postgresql; scripts/test does it), "
        "or set ASYNCGUARD_PG_BINDIR")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int
    user: str = "asyncguard"
    password: str = "asyncguard"
    durable: bool = False  # True: PostgreSQL's own defaults (fsync, synchronous commit), as benchmarks need

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        pwfile = self.root / "pw"
        pwfile.write_text(self.password)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(pwfile, "postgres")
        self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", self.user, "--pwfile", str(pwfile),
                  "-A", "scram-sha-256", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        opts = (f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
                "-c max_connections=300 -c shared_buffers=64MB")
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        result = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.root / "log"),
                           "-o", opts, "-w", "-t", "60", "start", check=False)
        if result.returncode != 0:
            log = (self.root / "log").read_text(errors="replace") if (self.root / "log").exists() else ""
            raise PostgresUnavailable(f"pg_ctl start failed: {result.stderr}\n{log[-2000:]}")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        self.stop()
        self.start()


def start_server(*, durable: bool = False) -> PostgresServer:
    """A fresh cluster; `durable=True` keeps fsync and synchronous commit on (a commit is on disk)."""
    root = Path(tempfile.mkdtemp(prefix="asyncguard-pg-"))
    if os.geteuid() == 0:
        os.chmod(root, 0o755)
    server = PostgresServer(find_bindir(), root / "pg", free_port(), durable=durable)
    server.init()
    server.start()
    return server


def remove(server: PostgresServer) -> None:
    server.stop("immediate")
    shutil.rmtree(server.root.parent, ignore_errors=True)
