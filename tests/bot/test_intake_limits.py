"""Webhook intake under an unauthenticated attacker, against the real `asyncguard serve` (issue 15).

Nothing an unsigned request sends may cost memory or a connection for long: compressed bodies are
refused before they are read, oversize ones too, the signature is checked before any parsing,
slow clients are cut off, memory stays flat, log lines stay short.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fakegithub import generate_private_key
from fakegithub.webhooks import sign

ASYNCGUARD = Path(sys.executable).parent / "asyncguard"
SECRET = "intake-secret"
MB = 1024**2


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(tmp: Path, **extra: str) -> Served:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCGUARD_")}
    env.update({
        "ASYNCGUARD_APP_ID": "77", "ASYNCGUARD_PRIVATE_KEY": generate_private_key(),
        "ASYNCGUARD_WEBHOOK_SECRET": SECRET, "ASYNCGUARD_GITHUB_API_URL": "http://127.0.0.1:9",
        "ASYNCGUARD_PORT": str(port), "ASYNCGUARD_DATA_DIR": str(tmp / "data"),
        "ASYNCGUARD_HEADER_TIMEOUT": "1", "ASYNCGUARD_BODY_TIMEOUT": "1", **extra,
    })
    log = tmp / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(ASYNCGUARD), "serve", "--log-level", "INFO"], env=env, cwd=tmp,
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return Served(proc, port, log)
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise AssertionError(log.read_text(errors="replace")) from None
            time.sleep(0.1)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    s = start_serve(tmp_path_factory.mktemp("serve"))
    yield s
    s.proc.terminate()
    s.proc.wait(30)


def _head(length: int | None, *, extra: str = "", signature: str = "sha256=" + "0" * 64, event: str = "ping") -> bytes:
    lines = ["POST /webhook HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             f"X-GitHub-Event: {event}", f"X-GitHub-Delivery: {uuid.uuid4()}", f"X-Hub-Signature-256: {signature}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


async def _status(port: int, data: bytes, *, then: bytes = b"", within: float = 5.0) -> tuple[int, float]:
    """Send `data`, then `then` while waiting; the status line's code and how long it took."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        if then:
            writer.write(then)
        await writer.drain()
        async with asyncio.timeout(within):
            line = await reader.readline()
        return int(line.split()[1]), time.monotonic() - started
    finally:
        writer.close()


async def test_compressed_body_is_refused_before_a_byte_is_read(served: Served) -> None:
    """A 50 MB gzip body is announced and never sent: the answer comes without waiting for it."""
    status, took = await _status(served.port, _head(50 * MB, extra="Content-Encoding: gzip\r\n"))
    assert status == 415 and took < 1.0
    signed_gzip = gzip.compress(b'{"zen": "x"}')
    head = _head(len(signed_gzip), extra="Content-Encoding: gzip\r\n", signature=sign(signed_gzip, SECRET))
    assert (await _status(served.port, head + signed_gzip))[0] == 415  # GitHub never compresses


async def test_oversize_body_is_refused_by_its_declared_length(served: Served) -> None:
    status, took = await _status(served.port, _head(26 * MB))
    assert status == 413 and took < 1.0


async def test_oversize_chunked_body_is_cut_at_the_cap(served: Served) -> None:
    chunk = b"x" * MB
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(27)) + b"0\r\n\r\n"
    status, _ = await _status(served.port, _head(None, extra="Transfer-Encoding: chunked\r\n") + body, within=20)
    assert status == 413


async def test_signature_is_checked_before_parsing(served: Served) -> None:
    body = b"{not json at all"
    assert (await _status(served.port, _head(len(body)) + body))[0] == 401
    assert (await _status(served.port, _head(len(body), signature=sign(body, SECRET)) + body))[0] == 400
    missing = _head(len(body), signature="").replace(b"X-Hub-Signature-256: \r\n", b"")
    assert (await _status(served.port, missing + body))[0] == 401


async def test_slow_headers_and_slow_bodies_are_closed(served: Served) -> None:
    """50 connections that never finish their headers, and one body that never arrives: all closed."""
    started = time.monotonic()
    conns = [await asyncio.open_connection("127.0.0.1", served.port) for _ in range(50)]
    for _, writer in conns:
        writer.write(b"POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: pi")
        await writer.drain()
    health = []
    for _ in range(5):
        t = time.monotonic()
        await asyncio.to_thread(lambda: urllib.request.urlopen(f"{served.url}/healthz", timeout=5).read())
        health.append(time.monotonic() - t)
    async with asyncio.timeout(10):
        for reader, writer in conns:
            assert await reader.read() == b""  # closed by the server
            writer.close()
    assert time.monotonic() - started < 8 and max(health) < 1.0
    status, took = await _status(served.port, _head(1000), then=b'{"zen": ', within=10)
    assert status == 408 and took < 5


def _deliver(port: int, event: str, body: bytes) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/webhook", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(body, SECRET)})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


async def test_a_huge_field_is_not_logged_whole(served: Served) -> None:
    zen = "z" * (3 * MB)
    assert await asyncio.to_thread(_deliver, served.port, "ping", json.dumps({"zen": zen, "hook_id": 1}).encode()) == 202
    deadline = time.monotonic() + 20
    while "ping: zzz" not in served.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, served.log.read_text(errors="replace")[-2000:]
        await asyncio.sleep(0.1)
    lines = served.log.read_text(errors="replace").splitlines()
    assert max(len(line) for line in lines) < 4000
    assert any("more characters not logged" in line for line in lines)


async def test_memory_stays_flat_under_unsigned_bodies(served: Served) -> None:
    """The reported attack (gzip bombs) plus plain oversize and near-cap bodies, 20 at a time."""
    before = served.rss_mb()
    bomb = gzip.compress(b"\0" * (64 * MB), 9)
    near_cap = b"{" + b" " * (24 * MB)

    async def one(i: int) -> int:
        if i % 3 == 0:
            return (await _status(served.port, _head(len(bomb), extra="Content-Encoding: gzip\r\n") + bomb))[0]
        if i % 3 == 1:
            return (await _status(served.port, _head(26 * MB) + b"x" * MB))[0]
        return (await _status(served.port, _head(len(near_cap)) + near_cap, within=30))[0]

    for _ in range(3):
        statuses = await asyncio.gather(*(one(i) for i in range(20)))
        assert set(statuses) <= {401, 408, 413, 415}, statuses  # 408: a body slower than the 1 s limit
    t = time.monotonic()
    await asyncio.to_thread(lambda: urllib.request.urlopen(f"{served.url}/healthz", timeout=5).read())
    assert time.monotonic() - t < 1.0
    after = served.rss_mb()
    assert after - before < 50, (before, after)


def test_whitespace_only_secret_is_refused_at_start_up(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCGUARD_")}
    env.update({"ASYNCGUARD_APP_ID": "77", "ASYNCGUARD_PRIVATE_KEY": generate_private_key(),
                "ASYNCGUARD_WEBHOOK_SECRET": " \t ", "ASYNCGUARD_DATA_DIR": str(tmp_path / "data"),
                "ASYNCGUARD_PORT": str(_free_port())})
    done = subprocess.run([str(ASYNCGUARD), "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "ASYNCGUARD_WEBHOOK_SECRET" in done.stderr and "whitespace" in done.stderr


async def test_whitespace_secret_given_directly_is_unconfigured(start_bot: object) -> None:
    bot = await start_bot(webhook_secret="   ")  # type: ignore[operator]
    body = b"{}"
    status, _ = await bot.webhook.deliver("ping", body, signature=sign(body, "   "))
    assert status == 503
