"""
How the service reaches Graph: one client, `GraphClient`, for every call it makes there.

Messages, read receipts with the typing indicator, the media URL lookup and the media
download all go over one aiohttp session. A message and its read receipt are two calls
per inbound message, and on this path aiohttp's pooled keep-alive connections cost a
fraction of httpx's CPU per call (`bench/graph_clients.py` measures both). The tests run
this same client against the fake Graph API served over HTTP on 127.0.0.1.

A call that got no answer raises `GraphCallFailed`, with what retrying needs to know:
whether the request can have reached Meta.
    connect         it never left us (refused, connect timeout, no free connection)
    timeout         it left us and no answer came in time (Meta may have it)
    response_lost   it left us and the connection broke before the answer (likewise)
    config          the URL cannot be called at all
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import aiohttp
import orjson

__all__ = ["GraphAnswer", "GraphCallFailed", "GraphCalls", "GraphClient"]

FailureCode = Literal["connect", "timeout", "response_lost", "config"]

_CHUNK = 64 * 1024


class GraphCallFailed(Exception):
    """No answer from Graph; `code` says whether the request can have reached it."""

    def __init__(self, code: FailureCode, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code: FailureCode = code
        self.detail = detail

    @property
    def reached(self) -> bool:
        """The request may have been received, so a retry may duplicate it."""
        return self.code in ("timeout", "response_lost")


@dataclass(frozen=True)
class GraphAnswer:
    """
    What Graph answered. `too_large`: the body ran past the caller's `max_bytes`, so
    reading stopped there and `body` holds only its start.
    """

    status: int
    body: bytes
    too_large: bool = False

    def json(self) -> Any:
        """The body as JSON; raises `ValueError` when it is not JSON."""
        return orjson.loads(self.body)


class GraphCalls(Protocol):
    """The port the WhatsApp sender and the media fetcher call Graph through."""

    async def post_json(
        self, url: str, body: Mapping[str, Any], headers: Mapping[str, str], timeout_s: float
    ) -> GraphAnswer:
        """POST `body` as JSON; raises `GraphCallFailed` when no answer came back."""
        ...

    async def get(
        self,
        url: str,
        headers: Mapping[str, str],
        timeout_s: float,
        *,
        max_bytes: int | None = None,
    ) -> GraphAnswer:
        """GET `url`, reading at most `max_bytes` of the body; raises `GraphCallFailed`."""
        ...

    async def post_file(
        self,
        url: str,
        fields: Mapping[str, str],
        file: tuple[str, str, bytes],
        headers: Mapping[str, str],
        timeout_s: float,
    ) -> GraphAnswer:
        """POST `fields` and `file` (name, type, bytes, as form field `file`) as
        multipart/form-data, as Graph's media upload takes them; raises `GraphCallFailed`."""
        ...


class GraphClient:
    """Graph calls over one aiohttp session (its connections are kept alive and reused)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    @classmethod
    def session(cls, connections: int, keepalive_s: float = 30.0) -> aiohttp.ClientSession:
        """A session for Graph: at most `connections` at once, idle ones kept `keepalive_s`."""
        connector = aiohttp.TCPConnector(limit=connections, keepalive_timeout=keepalive_s)
        return aiohttp.ClientSession(connector=connector, raise_for_status=False)

    @classmethod
    @asynccontextmanager
    async def opened(
        cls, connections: int, keepalive_s: float = 30.0
    ) -> AsyncIterator[GraphClient]:
        """A client on a session of its own, closed on exit."""
        async with cls.session(connections, keepalive_s) as session:
            yield cls(session)

    async def post_json(
        self, url: str, body: Mapping[str, Any], headers: Mapping[str, str], timeout_s: float
    ) -> GraphAnswer:
        with _translated_failures():
            async with self._session.post(
                url,
                data=orjson.dumps(body),
                headers={**headers, "Content-Type": "application/json"},
                timeout=aiohttp.ClientTimeout(total=timeout_s),
            ) as response:
                return GraphAnswer(response.status, await response.read())

    async def post_file(
        self,
        url: str,
        fields: Mapping[str, str],
        file: tuple[str, str, bytes],
        headers: Mapping[str, str],
        timeout_s: float,
    ) -> GraphAnswer:
        name, mime_type, content = file
        form = aiohttp.FormData()
        for key, value in fields.items():
            form.add_field(key, value)
        form.add_field("file", content, filename=name, content_type=mime_type)
        with _translated_failures():
            async with self._session.post(
                url,
                data=form,
                headers=dict(headers),
                timeout=aiohttp.ClientTimeout(total=timeout_s),
            ) as response:
                return GraphAnswer(response.status, await response.read())

    async def get(
        self,
        url: str,
        headers: Mapping[str, str],
        timeout_s: float,
        *,
        max_bytes: int | None = None,
    ) -> GraphAnswer:
        with _translated_failures():
            async with self._session.get(
                url,
                headers=dict(headers),
                timeout=aiohttp.ClientTimeout(total=timeout_s),
                # A redirect is an answer (the caller retries): the token goes nowhere else.
                allow_redirects=False,
            ) as response:
                if max_bytes is None:
                    return GraphAnswer(response.status, await response.read())
                return await _read_at_most(response, max_bytes)


async def _read_at_most(response: aiohttp.ClientResponse, max_bytes: int) -> GraphAnswer:
    """Read the body in chunks, stopping (and closing the connection) past `max_bytes`."""
    chunks: list[bytes] = []
    received = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        received += len(chunk)
        if received > max_bytes:
            return GraphAnswer(response.status, b"".join(chunks), too_large=True)
        chunks.append(chunk)
    return GraphAnswer(response.status, b"".join(chunks))


@contextmanager
def _translated_failures() -> Iterator[None]:
    """aiohttp's errors as `GraphCallFailed`, by whether the request can have left us."""
    try:
        yield
    # Order matters: a connect timeout is a timeout, a connector error an OS error.
    except (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError) as error:
        raise GraphCallFailed("connect", type(error).__name__) from error
    except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as error:
        raise GraphCallFailed("config", type(error).__name__) from error
    except TimeoutError as error:
        raise GraphCallFailed("timeout", type(error).__name__) from error
    except (aiohttp.ClientError, OSError) as error:
        raise GraphCallFailed("response_lost", type(error).__name__) from error
