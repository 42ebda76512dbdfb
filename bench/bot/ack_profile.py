"""Where one webhook ack's time goes: a `serve --web-only` process under cProfile, on PostgreSQL.

Fires N signed deliveries (real ~20 KB `pull_request` payloads) from C keep-alive connections at
one web process (PostgreSQL with fsync and synchronous commit on: an ack means a commit on disk),
then stops the process and prints its profile grouped by what the time was spent on, plus the
acks/s and the CPU seconds per ack. The profiler slows everything down; read the shares, not the
absolute figures (bench/bot/scale.py measures those without it).
Run: .venv/bin/python bench/bot/ack_profile.py [--acks 3000 --clients 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "tests"))
import pgserver  # noqa: E402
from common import cpu_seconds, fire_raw, free_port, raw_request, start_fake, wait_ready  # noqa: E402
from scale import bot_env, edited_body  # noqa: E402

GROUPS = [  # (label, substrings of "file:function" in the profile), first match wins
    ("signature + body read (intake)", ["intake.py", "hmac", "_hashlib", "tempfile"]),
    ("JSON parse", ["orjson", "json/decoder", "_parse_body"]),
    ("SQLAlchemy (compile, execute, result)", ["sqlalchemy"]),
    ("asyncpg (protocol, prepared statements)", ["asyncpg"]),
    ("aiohttp request/response handling", ["aiohttp", "multidict", "yarl"]),
    ("logging + metrics", ["logging/", "metrics.py"]),
    ("event loop + transports", ["asyncio/", "uvloop", "selectors"]),
]


def profiled(cmd: list[str], out: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "cProfile", "-o", str(out), *cmd], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--acks", type=int, default=3000)
    ap.add_argument("--clients", type=int, default=32)
    args = ap.parse_args()
    server = pgserver.start_server(durable=True)
    fake = start_fake(files=10, pulls=2)
    tmp = Path(tempfile.mkdtemp(prefix="asyncguard-ackprof-"))
    prof = tmp / "web.prof"
    try:
        admin = await asyncpg.connect(server.url().replace("+asyncpg", ""))
        await admin.execute("CREATE DATABASE bench")
        await admin.close()
        port = free_port()
        env = bot_env(fake, tmp / "data", server.url("bench"), port)
        exe = str(Path(sys.executable).with_name("asyncguard"))
        proc = profiled([exe, "serve", "--web-only", "--log-level", "ERROR"], prof, env, tmp)
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, 60)
        body = edited_body(fake, 1)
        host = f"127.0.0.1:{port}"
        warm = [(d, raw_request(host, body, "pull_request", d)) for d in (str(uuid.uuid4()) for _ in range(200))]
        await fire_raw([url], warm, args.clients)
        batch = [(d, raw_request(host, body, "pull_request", d)) for d in (str(uuid.uuid4()) for _ in range(args.acks))]
        cpu0 = cpu_seconds(proc.pid)
        t = time.perf_counter()
        res = await fire_raw([url], batch, args.clients)
        wall = time.perf_counter() - t
        cpu = cpu_seconds(proc.pid) - cpu0
        ok = sum(1 for _, s, _ in res if s == 202)
        print(f"{ok}/{len(res)} acks in {wall:.2f}s = {ok / wall:.0f} acks/s under the profiler; "
              f"web CPU {cpu / max(ok, 1) * 1000:.2f} ms per ack; load {os.getloadavg()[0]:.2f}")
        proc.terminate()
        await asyncio.to_thread(proc.wait, 60)
        stats = pstats.Stats(str(prof))
        raw = stats.stats  # type: ignore[attr-defined]
        total = sum(v[2] for v in raw.values())  # own time of every function
        shares: dict[str, float] = {label: 0.0 for label, _ in GROUPS}
        shares["other"] = 0.0
        for (file, _line, func), v in raw.items():
            where = f"{file}:{func}"
            label = next((lab for lab, keys in GROUPS if any(k in where for k in keys)), "other")
            shares[label] += v[2]
        print("| own time in | share |\n|---|---|")
        for label, secs in sorted(shares.items(), key=lambda kv: -kv[1]):
            print(f"| {label} | {secs / total * 100:.1f}% |")
        print("\ntop functions by own time:")
        stats.sort_stats("tottime").print_stats(25)
    finally:
        fake.proc.terminate()
        pgserver.remove(server)


if __name__ == "__main__":
    asyncio.run(main())
