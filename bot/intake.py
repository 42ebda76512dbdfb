"""Reading a webhook body without trusting the sender until its signature checks out.

Nothing the sender controls may cost memory before the HMAC verifies: a compressed body is refused
before a byte is read (GitHub never compresses deliveries, and the server does not decompress, see
`app.HANDLER_ARGS`), a declared or actual size over the cap is refused, the body is hashed as it
streams and kept in memory only up to `spool_at` bytes (the rest waits in a temporary file), and a
body that does not arrive within `timeout` seconds is refused. Parsing happens only afterwards.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import tempfile
from dataclasses import dataclass

from aiohttp import web

IDENTITY = frozenset({"", "identity"})


class Refused(Exception):
    """The delivery is refused: HTTP status, a message for the sender, a metrics outcome."""

    def __init__(self, status: int, message: str, outcome: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.outcome = outcome


@dataclass(frozen=True)
class Limits:
    max_bytes: int  # GitHub caps deliveries at 25 MB
    timeout: float  # seconds for the whole body once the headers are in
    spool_at: int = 256 * 1024  # bytes held in memory before the rest goes to a temporary file
    spool_dir: str | None = None


def check_headers(request: web.Request, limits: Limits) -> str:
    """Refusals decided from the headers alone (nothing read yet); returns the signature header."""
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in IDENTITY:
        raise Refused(415, f"Content-Encoding {encoding[:40]!r} is not accepted: GitHub sends webhook bodies "
                           "uncompressed", "bad_encoding")
    transfer = [t.strip().lower() for t in request.headers.get("Transfer-Encoding", "").split(",") if t.strip()]
    if any(t not in ("chunked", "identity") for t in transfer):
        raise Refused(415, "a Transfer-Encoding other than chunked is not accepted", "bad_encoding")
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not signature.startswith("sha256="):
        raise Refused(401, "missing or invalid X-Hub-Signature-256", "bad_signature")
    length = request.content_length
    if length is not None and length > limits.max_bytes:
        raise Refused(413, f"body over {limits.max_bytes} bytes", "too_large")
    return signature


async def read_signed_body(request: web.Request, secret: str, limits: Limits) -> bytes:
    """The body, once its HMAC-SHA256 under `secret` matches X-Hub-Signature-256; Refused otherwise."""
    signature = check_headers(request, limits)
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha256)
    size = 0
    with tempfile.SpooledTemporaryFile(max_size=limits.spool_at, dir=limits.spool_dir) as spool:
        try:
            async with asyncio.timeout(limits.timeout):
                async for chunk in request.content.iter_any():
                    size += len(chunk)
                    if size > limits.max_bytes:
                        raise Refused(413, f"body over {limits.max_bytes} bytes", "too_large")
                    mac.update(chunk)
                    spool.write(chunk)
        except TimeoutError:
            raise Refused(408, f"body not received within {limits.timeout:g} s", "timeout") from None
        except (web.RequestPayloadError, ConnectionResetError):
            raise Refused(400, "the body ended early or its chunked encoding is malformed", "bad_request") from None
        expected = "sha256=" + mac.hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
            raise Refused(401, "missing or invalid X-Hub-Signature-256", "bad_signature")
        spool.seek(0)
        return spool.read()
