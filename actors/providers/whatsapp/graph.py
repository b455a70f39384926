"""
How the WhatsApp sender reaches Graph: one JSON POST, answered with its status and body.

Two front ends behind one seam. `AiohttpGraph` is what the service uses: a message and
its read receipt are two calls per inbound message, and on this path aiohttp's pooled
keep-alive connections cost a fraction of httpx's CPU per call (`bench/graph_clients.py`
measures both). `HttpxGraph` serves callers that hand the app an httpx client, such as
tests routed to an in-process fake through `httpx.MockTransport`.

Both report a failed call the same way, `GraphCallFailed`, with what retrying needs to
know: whether the request can have reached Meta.
    connect         it never left us (refused, connect timeout, no free connection)
    timeout         it left us and no answer came in time (Meta may have it)
    response_lost   it left us and the connection broke before the answer (likewise)
    config          the URL cannot be called at all
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import aiohttp
import httpx
import orjson

__all__ = ["AiohttpGraph", "GraphAnswer", "GraphCallFailed", "GraphCalls", "HttpxGraph"]

FailureCode = Literal["connect", "timeout", "response_lost", "config"]


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
    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON; raises `ValueError` when it is not JSON."""
        return orjson.loads(self.body)


class GraphCalls(Protocol):
    async def post_json(
        self, url: str, body: Mapping[str, Any], headers: Mapping[str, str], timeout_s: float
    ) -> GraphAnswer:
        """POST `body` as JSON; raises `GraphCallFailed` when no answer came back."""
        ...


class AiohttpGraph:
    """Graph calls over one aiohttp session (its connections are kept alive and reused)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    @classmethod
    def session(cls, connections: int, keepalive_s: float = 30.0) -> aiohttp.ClientSession:
        """A session for Graph: at most `connections` at once, idle ones kept `keepalive_s`."""
        connector = aiohttp.TCPConnector(limit=connections, keepalive_timeout=keepalive_s)
        return aiohttp.ClientSession(connector=connector, raise_for_status=False)

    async def post_json(
        self, url: str, body: Mapping[str, Any], headers: Mapping[str, str], timeout_s: float
    ) -> GraphAnswer:
        try:
            async with self._session.post(
                url,
                data=orjson.dumps(body),
                headers={**headers, "Content-Type": "application/json"},
                timeout=aiohttp.ClientTimeout(total=timeout_s),
            ) as response:
                return GraphAnswer(response.status, await response.read())
        # Order matters: a connect timeout is a timeout, a connector error an OS error.
        except (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError) as error:
            raise GraphCallFailed("connect", type(error).__name__) from error
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as error:
            raise GraphCallFailed("config", type(error).__name__) from error
        except TimeoutError as error:
            raise GraphCallFailed("timeout", type(error).__name__) from error
        except (aiohttp.ClientError, OSError) as error:
            raise GraphCallFailed("response_lost", type(error).__name__) from error


class HttpxGraph:
    """Graph calls over an httpx client (an in-process fake's transport, in tests)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def post_json(
        self, url: str, body: Mapping[str, Any], headers: Mapping[str, str], timeout_s: float
    ) -> GraphAnswer:
        try:
            response = await self._client.post(
                url, json=dict(body), headers=dict(headers), timeout=timeout_s
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise GraphCallFailed("connect", type(error).__name__) from error
        except httpx.UnsupportedProtocol as error:
            raise GraphCallFailed("config", type(error).__name__) from error
        except httpx.TimeoutException as error:
            raise GraphCallFailed("timeout", type(error).__name__) from error
        except httpx.TransportError as error:
            raise GraphCallFailed("response_lost", type(error).__name__) from error
        return GraphAnswer(response.status_code, response.content)
