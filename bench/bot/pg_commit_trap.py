"""A TCP proxy in front of PostgreSQL that withholds the first COMMIT's reply once armed.

For the fault "the web process is killed between commit and ack": the proxy forwards the wire
protocol both ways, and once `arm()`ed, the server's `CommandComplete` for a COMMIT is held back
and `trapped` is set. PostgreSQL has committed; the web process, waiting for the reply, has not
acknowledged anything yet; the benchmark SIGKILLs it right then. Parses only the message framing
(type byte + 4-byte length) of the server's stream, after the one-byte answer to an SSLRequest.
"""

from __future__ import annotations

import asyncio
import struct

SSL_REQUEST = struct.pack("!ii", 8, 80877103)


class CommitTrap:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.trapped = asyncio.Event()
        self._armed = False
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    def arm(self) -> None:
        self.trapped.clear()
        self._armed = True

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            cwriter.close()
            return
        first = await creader.read(8)
        swriter.write(first)
        ssl_answer = first == SSL_REQUEST
        up = asyncio.create_task(self._pump(creader, swriter))
        try:
            if ssl_answer:
                cwriter.write(await sreader.readexactly(1))  # 'N': no TLS on loopback
            while True:
                head = await sreader.readexactly(5)
                kind, length = head[:1], struct.unpack("!i", head[1:])[0]
                body = await sreader.readexactly(length - 4)
                if self._armed and kind == b"C" and body.startswith(b"COMMIT"):
                    self._armed = False
                    self.trapped.set()
                    await asyncio.sleep(3600)  # the client is killed meanwhile; this connection dies with it
                cwriter.write(head + body)
        except (asyncio.IncompleteReadError, ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            up.cancel()
            cwriter.close()
            swriter.close()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
