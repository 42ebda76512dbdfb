"""Replay issue 15's unauthenticated memory attack against the real `asyncguard serve`.

Rounds of concurrent unsigned requests: gzip bombs (64 MB of zeros in ~65 KB, announced with
`Content-Encoding: gzip`), bodies declared over the 25 MB cap, and near-cap plain bodies with a
wrong signature; plus slow clients that never finish their headers. Prints the server's resident
memory before and after, and `/healthz` latency measured while the attack runs.

    .venv/bin/python bench/bot/memory_attack.py [--rounds 5] [--concurrency 20] [--slow 50]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

MB = 1024**2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start(tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCGUARD_")}
    env.update({"ASYNCGUARD_APP_ID": "1", "ASYNCGUARD_PRIVATE_KEY": key, "ASYNCGUARD_WEBHOOK_SECRET": "bench",
                "ASYNCGUARD_GITHUB_API_URL": "http://127.0.0.1:9", "ASYNCGUARD_PORT": str(port),
                "ASYNCGUARD_DATA_DIR": str(tmp / "data")})
    exe = Path(sys.executable).with_name("asyncguard")
    proc = subprocess.Popen([str(exe), "serve", "--log-level", "WARNING"], env=env, cwd=tmp,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc, port
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.1)


def head(length: int, extra: str = "") -> bytes:
    return (f"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: ping\r\n"
            f"X-GitHub-Delivery: {uuid.uuid4()}\r\nX-Hub-Signature-256: sha256={'0' * 64}\r\n"
            f"Content-Length: {length}\r\n{extra}\r\n").encode()


async def send(port: int, data: bytes) -> int:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(data)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 60)
        writer.close()
        return int(line.split()[1]) if line else 0
    except (TimeoutError, OSError, IndexError, ValueError):
        return 0  # the server closed the connection on us


async def healthz_loop(port: int, stop: asyncio.Event, out: list[float]) -> None:
    while not stop.is_set():
        t = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await writer.drain()
        await reader.read()
        writer.close()
        out.append(time.monotonic() - t)
        await asyncio.sleep(0.05)


async def attack(port: int, rounds: int, concurrency: int, slow: int) -> tuple[dict[int, int], list[float]]:
    bomb = gzip.compress(b"\0" * (64 * MB), 9)
    near_cap = b"{" + b" " * (24 * MB)
    kinds = [head(len(bomb), "Content-Encoding: gzip\r\n") + bomb, head(26 * MB) + b"x" * MB,
             head(len(near_cap)) + near_cap]
    stop = asyncio.Event()
    latencies: list[float] = []
    health = asyncio.create_task(healthz_loop(port, stop, latencies))
    slow_conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(slow)]
    for _, w in slow_conns:
        w.write(b"POST /webhook HTTP/1.1\r\nHost: x\r\n")
    statuses: dict[int, int] = {}
    for _ in range(rounds):
        for code in await asyncio.gather(*(send(port, kinds[i % 3]) for i in range(concurrency))):
            statuses[code] = statuses.get(code, 0) + 1
    stop.set()
    await health
    for _, w in slow_conns:
        w.close()
    return statuses, latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--slow", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ag-memattack-") as tmp:
        proc, port = start(Path(tmp))
        try:
            time.sleep(1.0)
            before = rss_mb(proc.pid)
            started = time.monotonic()
            statuses, lat = asyncio.run(attack(port, args.rounds, args.concurrency, args.slow))
            took = time.monotonic() - started
            time.sleep(1.0)
            after = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)
    sent = args.rounds * args.concurrency
    print(f"requests: {sent} unsigned ({args.rounds} rounds x {args.concurrency} at once: gzip bombs, "
          f"over-cap, near-cap bodies) + {args.slow} slow-header connections, in {took:.1f} s")
    print(f"answers: {dict(sorted(statuses.items()))}  (0 = connection closed by the server)")
    print(f"resident memory: before {before:.1f} MB, after {after:.1f} MB, delta {after - before:+.1f} MB")
    if lat:
        q = statistics.quantiles(lat, n=20, method="inclusive") if len(lat) >= 2 else lat
        print(f"/healthz during the attack: n={len(lat)} median {statistics.median(lat) * 1000:.1f} ms, "
              f"p95 {q[-1] * 1000:.1f} ms, max {max(lat) * 1000:.1f} ms")
    return 0 if after - before < 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())
