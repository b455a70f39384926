"""
A lean HTTP/1.1 client for posting webhooks: keep-alive connections on raw asyncio
streams, one request at a time per connection.

The load generator shares two cores with what it measures; httpx's connection pool
spends more CPU choosing a connection than the request costs once it holds dozens, so
the harness speaks the few lines of HTTP it needs itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["HttpError", "LeanClient", "Response", "read_response"]


class HttpError(Exception):
    """No answer: the connection failed, closed, or the timeout passed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "connection_error" | "timeout"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Read one response; return (status, body, whether the server closes the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    chunked = False
    close = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            close = True
    if not chunked:
        return status, await reader.readexactly(length) if length else b"", close
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are sent to us
            return status, b"".join(parts), close
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def _exchange(connection: _Connection, wire: bytes) -> tuple[int, bytes, bool]:
    reader, writer = connection
    writer.write(wire)
    return await read_response(reader)


def _closed_before_answering(error: BaseException) -> bool:
    if isinstance(error, asyncio.IncompleteReadError):
        return not error.partial  # not one byte of an answer came back
    return isinstance(error, ConnectionResetError | BrokenPipeError)


class LeanClient:
    """POSTs over pooled keep-alive connections, per host and port."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._idle: dict[tuple[str, int], list[_Connection]] = defaultdict(list)

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Response:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        wire = (
            f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Length: {len(body)}\r\n{head}\r\n"
        ).encode() + body
        connection = None
        try:
            async with asyncio.timeout(self._timeout_s):
                connection, reused = await self._connection(host, port)
                try:
                    status, answer, close = await _exchange(connection, wire)
                except (OSError, asyncio.IncompleteReadError) as error:
                    # A kept-alive connection the server had already closed: as browsers
                    # and httpx do, try once more on a new one. Anything else is real.
                    if not reused or not _closed_before_answering(error):
                        raise
                    self._discard(connection)
                    connection = await asyncio.open_connection(host, port)
                    status, answer, close = await _exchange(connection, wire)
        except TimeoutError:
            self._discard(connection)
            raise HttpError("timeout") from None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self._discard(connection)
            raise HttpError("connection_error") from None
        if close:
            self._discard(connection)
        else:
            self._idle[(host, port)].append(connection)
        return Response(status, answer)

    async def _connection(self, host: str, port: int) -> tuple[_Connection, bool]:
        """An idle connection (True) or a new one (False)."""
        idle = self._idle[(host, port)]
        while idle:
            reader, writer = idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return (reader, writer), True
            writer.close()
        return await asyncio.open_connection(host, port), False

    @staticmethod
    def _discard(connection: _Connection | None) -> None:
        if connection is not None:
            connection[1].close()

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for _, writer in idle:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
        self._idle.clear()
