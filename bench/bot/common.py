"""Bench plumbing: start the fake GitHub and the bot as separate processes, sign deliveries."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SECRET = "bench-secret"
EXAMPLE = ROOT.parent / "shared" / "github" / "webhooks" / "pull_request" / "synchronize.json"
if not EXAMPLE.exists():
    EXAMPLE = Path("/work/shared/github/webhooks/pull_request/synchronize.json")


@dataclass
class Fake:
    proc: subprocess.Popen[str]
    info: dict[str, Any]


def start_fake(files: int, pulls: int) -> Fake:
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("fake_server.py")), "--files", str(files),
                             "--pulls", str(pulls)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return Fake(proc, json.loads(line))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_bot(fake: Fake, data_dir: Path, **extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCGUARD_")}
    env.update({
        "ASYNCGUARD_APP_ID": str(fake.info["app_id"]), "ASYNCGUARD_PRIVATE_KEY_PATH": fake.info["key"],
        "ASYNCGUARD_WEBHOOK_SECRET": SECRET, "ASYNCGUARD_GITHUB_API_URL": fake.info["url"],
        "ASYNCGUARD_PORT": str(port), "ASYNCGUARD_DATA_DIR": str(data_dir),
        "ASYNCGUARD_WRITE_SPACING": "0", "ASYNCGUARD_DEBOUNCE_SECONDS": "0.05", **extra,
    })
    exe = Path(sys.executable).with_name("asyncguard")
    proc = subprocess.Popen([str(exe), "serve", "--log-level", "WARNING"], env=env, cwd=data_dir.parent,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, 30)
    return proc, url


def wait_ready(url: str, timeout: float) -> None:
    """Poll `/readyz` until the server answers 200 (raises the last error after `timeout` s)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def stop(bot: subprocess.Popen[bytes], fake: Fake) -> None:
    """End the bot and the fake GitHub a benchmark started."""
    bot.terminate()
    fake.proc.terminate()
    bot.wait(30)
    fake.proc.wait(30)


def pr_delivery(fake: Fake, number: int, action: str = "synchronize") -> bytes:
    payload = json.loads(EXAMPLE.read_text())
    payload = copy.deepcopy(payload)
    owner, name = fake.info["repo"].split("/")
    payload["action"] = action
    payload["number"] = number
    pr = payload["pull_request"]
    pr["number"] = number
    pr["head"]["sha"] = fake.info["pulls"][str(number)]
    for section in (payload["repository"], pr["head"]["repo"], pr["base"]["repo"]):
        section["full_name"] = fake.info["repo"]
        section["name"] = name
        section["owner"]["login"] = owner
    payload["installation"] = {"id": fake.info["installation"], "node_id": "x"}
    return json.dumps(payload).encode()


def headers(body: bytes, event: str, delivery: str) -> dict[str, str]:
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": sig, "User-Agent": "GitHub-Hookshot/bench"}


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            kids = [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            continue
        for kid in kids:
            out.append(kid)
            out.extend(descendants(kid))
    return out


def peak_rss_tree_mb(pid: int) -> dict[int, float]:
    """Peak RSS of the server and of each process under it (forkserver, analysis workers)."""
    return {p: peak_rss_mb(p) for p in [pid, *descendants(pid)]}


def raw_request(host: str, body: bytes, event: str, delivery: str) -> bytes:
    """A signed POST /webhook as bytes on the wire (HTTP/1.1, keep-alive), built before the clock starts."""
    head = ["POST /webhook HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers(body, event, delivery).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def fire_raw(urls: list[str], requests: list[tuple[str, bytes]], clients: int,
                   per_request: float = 30.0) -> list[tuple[str, int, float]]:
    """Send prepared requests over `clients` keep-alive connections spread over `urls`; (id, status, seconds).

    A minimal HTTP/1.1 client on asyncio streams: the load generator shares the machine with the
    servers it measures, so it must cost as little CPU per request as possible (aiohttp's client
    costs several times more). Status 0 = connection error or timeout (the request is not retried).
    """
    import asyncio
    from urllib.parse import urlsplit

    out: list[tuple[str, int, float]] = []
    todo = list(reversed(requests))

    async def client(n: int) -> None:
        parts = urlsplit(urls[n % len(urls)])
        reader = writer = None
        while todo:
            rid, wire = todo.pop()
            t = time.perf_counter()
            status = 0
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                assert reader is not None
                writer.write(wire)
                async with asyncio.timeout(per_request):
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = int(head.split(b" ", 2)[1])
                    length = 0
                    close = False
                    for line in head.split(b"\r\n")[1:]:
                        k, _, v = line.partition(b":")
                        if k.strip().lower() == b"content-length":
                            length = int(v)
                        elif k.strip().lower() == b"connection" and v.strip().lower() == b"close":
                            close = True
                    await reader.readexactly(length)
                if close:
                    writer.close()
                    writer = None
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError, IndexError):
                status = 0
                if writer is not None:
                    writer.close()
                writer = None
            out.append((rid, status, time.perf_counter() - t))
        if writer is not None:
            writer.close()

    await asyncio.gather(*(client(n) for n in range(clients)))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[0]


async def fire_at_rate(urls: list[str], requests: list[tuple[str, bytes]], rate: float,
                       per_request: float = 30.0) -> list[tuple[str, int, float]]:
    """Open loop: request i is due at start + i/rate whatever the server does; (id, status, seconds).

    Latency counts from when the request was due, so a server that falls behind is charged for the
    wait (no coordinated omission). Idle keep-alive connections are reused, new ones opened as needed.
    """
    import asyncio
    from urllib.parse import urlsplit

    idle: dict[int, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = {i: [] for i in range(len(urls))}
    out: list[tuple[str, int, float]] = []

    async def one(n: int, rid: str, wire: bytes, due: float) -> None:
        target = n % len(urls)
        parts = urlsplit(urls[target])
        status = 0
        conn = None
        try:
            async with asyncio.timeout(per_request):
                conn = idle[target].pop() if idle[target] else await asyncio.open_connection(parts.hostname, parts.port)
                reader, writer = conn
                writer.write(wire)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = next((int(line.partition(b":")[2]) for line in head.split(b"\r\n")[1:]
                               if line.partition(b":")[0].strip().lower() == b"content-length"), 0)
                await reader.readexactly(length)
            idle[target].append(conn)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError, IndexError):
            status = 0
            if conn is not None:
                conn[1].close()
        out.append((rid, status, time.perf_counter() - due))

    start = time.perf_counter() + 0.05
    tasks = []
    for n, (rid, wire) in enumerate(requests):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, rid, wire, due)))
    await asyncio.gather(*tasks)
    for conns in idle.values():
        for _, writer in conns:
            writer.close()
    return out
