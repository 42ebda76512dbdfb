"""Ack latency of POST /webhook under 200 concurrent signed deliveries (target p99 < 50 ms).

Deliveries are real `pull_request` events for open PRs, so workers start PR runs against the
fake GitHub (another process) while later acks are measured. The client first opens 200
keep-alive connections, then fires all deliveries at once; a /healthz round under the same
conditions shows the floor set by aiohttp and the machine. A second round uses curl
(`--parallel`, 200 new connections at once, like GitHub's hookshot) so the Python client's own
overhead is not in the figure.
Run: .venv/bin/python bench/bot/ack_latency.py
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).parent))
from common import EXAMPLE, headers, pr_delivery, start_bot, start_fake, stop

EXAMPLES = EXAMPLE.parents[1]

N = 200


def pct(lat: list[float], q: float) -> float:
    lat = sorted(lat)
    return lat[min(len(lat) - 1, int(len(lat) * q))] * 1000


async def measure(url: str, bodies: list[bytes]) -> tuple[list[float], list[float]]:
    connector = aiohttp.TCPConnector(limit=N, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def health() -> float:
            t = time.perf_counter()
            async with session.get(f"{url}/healthz") as r:
                await r.read()
            return time.perf_counter() - t

        async def deliver(body: bytes) -> float:
            h = headers(body, "pull_request", str(uuid.uuid4()))
            t = time.perf_counter()
            async with session.post(f"{url}/webhook", data=body, headers=h) as r:
                await r.read()
                assert r.status == 202, r.status
            return time.perf_counter() - t

        await asyncio.gather(*(health() for _ in range(N)))  # open the connections
        floor = await asyncio.gather(*(health() for _ in range(N)))
        acks = await asyncio.gather(*(deliver(b) for b in bodies))
        return list(floor), list(acks)


def curl_round(url: str, bodies: list[bytes], workdir: Path) -> list[tuple[int, float, float]]:
    """(status, total seconds, seconds after the connection was up) per delivery, via curl --parallel."""
    lines = []
    for i, body in enumerate(bodies):
        path = workdir / f"body{i}.json"
        path.write_bytes(body)
        lines.append(f'url = "{url}/webhook"\nrequest = "POST"\ndata-binary = "@{path}"\noutput = "/dev/null"')
        for k, v in headers(body, "pull_request", str(uuid.uuid4())).items():
            lines.append(f'header = "{k}: {v}"')
        lines.append('write-out = "%{http_code} %{time_total} %{time_connect}\\n"\nnext')
    config = workdir / "curl.cfg"
    config.write_text("\n".join(lines).removesuffix("\nnext") + "\n")
    done = subprocess.run(["curl", "-s", "--parallel", "--parallel-immediate", "--parallel-max", str(N), "-K", str(config)],
                          capture_output=True, text=True, check=True)
    out = []
    for row in done.stdout.strip().splitlines():
        code, total, connect = row.split()
        out.append((int(code), float(total), float(total) - float(connect)))
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def ping_cpu(url: str, pid: int, n: int) -> tuple[float, float]:
    """Server CPU seconds per delivery: (over kept-alive connections, with a new connection each)."""
    body = (EXAMPLES / "ping" / "ping.json").read_bytes()

    async def burst(session: aiohttp.ClientSession) -> None:
        async def one() -> None:
            async with session.post(f"{url}/webhook", data=body, headers=headers(body, "ping", str(uuid.uuid4()))) as r:
                assert r.status == 202

        await asyncio.gather(*(one() for _ in range(n)))

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=N)) as session:
        await burst(session)  # opens the connections
        before = cpu_seconds(pid)
        await burst(session)
        kept = (cpu_seconds(pid) - before) / n
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=N, force_close=True)) as session:
        before = cpu_seconds(pid)
        await burst(session)
        fresh = (cpu_seconds(pid) - before) / n
    return kept, fresh


def main() -> None:
    fake = start_fake(files=50, pulls=20)
    data = Path(tempfile.mkdtemp(prefix="asyncguard-ack-")) / "data"
    data.mkdir()
    bot, url = start_bot(fake, data)
    try:
        bodies = [pr_delivery(fake, (i % 20) + 1) for i in range(N)]
        floor, acks = asyncio.run(measure(url, bodies))
        print(f"aiohttp client, {N} concurrent signed deliveries: ack p50 {statistics.median(acks) * 1000:.1f} ms, "
              f"p99 {pct(acks, 0.99):.1f} ms, max {max(acks) * 1000:.1f} ms "
              f"(same burst of GET /healthz: p50 {statistics.median(floor) * 1000:.1f} ms, p99 {pct(floor, 0.99):.1f} ms)")
        # the server's own CPU per delivery (no background work for pings): the floor for a burst
        kept, fresh = asyncio.run(ping_cpu(url, bot.pid, 1000))
        print(f"server CPU per delivery: {kept * 1000:.2f} ms on a kept-alive connection, {fresh * 1000:.2f} ms "
              f"with a new connection -> all {N} acks of a burst need {kept * N * 1000:.0f}-{fresh * N * 1000:.0f} ms "
              f"of one core")
        if shutil.which("curl"):
            rows = curl_round(url, [pr_delivery(fake, (i % 20) + 1) for i in range(N)], data.parent)
            assert all(code == 202 for code, _, _ in rows), sorted({c for c, _, _ in rows})
            total = [t for _, t, _ in rows]
            after = [a for _, _, a in rows]
            print(f"curl --parallel, {N} new connections at once: ack p50 {statistics.median(total) * 1000:.1f} ms, "
                  f"p99 {pct(total, 0.99):.1f} ms; after connect p50 {statistics.median(after) * 1000:.1f} ms, "
                  f"p99 {pct(after, 0.99):.1f} ms")
    finally:
        stop(bot, fake)


if __name__ == "__main__":
    main()
