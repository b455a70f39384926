"""
WhatsApp's webhook POST, served as a bare ASGI endpoint in front of Quart.

Why: this is the one route that runs for every message a lead sends. Around a request,
Quart builds its request and response objects and contexts, runs its hooks, and starts
two tasks; that costs about 0.2 ms of CPU per request (`bench/quart_overhead.py`),
an eighth of all the CPU a message costs with its reply delivered. Everything else,
this path's GET handshake included, goes on to Quart.

The answers are the ones Quart gave: the same statuses and JSON bodies (`web.errors`),
the request id echoed in `X-Request-ID` and bound into the logs, the outcome counted in
/metrics, a body over MAX_BODY_BYTES refused with 413 and one that takes longer than
`BODY_TIMEOUT` with 408.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import structlog
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from quart import Quart
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, RequestTimeout

from actors.commands import RecordRejectedWebhook
from web.errors import INTERNAL, UNAVAILABLE, SignatureInvalid, error_answer, http_error_answer
from web.metrics import Metrics
from web.request_ids import HEADER, bind_correlation_id
from web.services import directory_of, services_of
from web.webhooks import WHATSAPP_PATH, take_whatsapp_batch

__all__ = ["WhatsAppEndpoint"]

ASGIApp = Callable[[Scope, ASGIReceiveCallable, ASGISendCallable], Awaitable[None]]

log = structlog.get_logger("web.whatsapp_endpoint")

_HEADER = HEADER.lower().encode()
_SIGNATURE = b"x-hub-signature-256"


class _Gone(Exception):
    """The caller hung up before its body arrived: nobody to answer."""


class WhatsAppEndpoint:
    """`POST /webhooks/whatsapp` here; every other request to `quart_asgi`."""

    def __init__(self, app: Quart, quart_asgi: ASGIApp) -> None:
        self._app = app
        self._quart = quart_asgi

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != WHATSAPP_PATH:
            await self._quart(scope, receive, send)
            return
        headers = dict(scope["headers"])
        correlation = bind_correlation_id(
            headers.get(_HEADER, b"").decode("latin-1"), WHATSAPP_PATH
        )
        try:
            body = await self._body(headers, receive)
        except _Gone:
            return
        except HTTPException as refused:  # the body is too large, or too slow
            known = http_error_answer(refused)
            status, answer, extra = known.status, dict(known.body), known.headers
        else:
            status, answer, extra = await self._take(body, headers.get(_SIGNATURE), correlation)
        Metrics.of(self._app.extensions).count_webhook(WHATSAPP_PATH, status, answer)
        await _answer(send, status, answer, extra, correlation)

    async def _take(
        self, body: bytes, signature: bytes | None, correlation: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            running = services_of(self._app.extensions)
        except RuntimeError:  # not serving yet, or any more: the provider retries
            return UNAVAILABLE.status, dict(UNAVAILABLE.body), UNAVAILABLE.headers
        try:
            taken = await take_whatsapp_batch(
                directory_of(self._app.extensions),
                body,
                signature.decode("latin-1") if signature else None,
                correlation,
            )
        except Exception as error:
            known = error_answer(error)
            if known is None:
                log.exception("request.failed")
                return INTERNAL.status, dict(INTERNAL.body), INTERNAL.headers
            if isinstance(error, SignatureInvalid):
                refused = RecordRejectedWebhook(WHATSAPP_PATH, str(error), correlation)
                await running.actors.handle(refused)
            return known.status, known.body, known.headers
        Metrics.of(self._app.extensions).count_refused(WHATSAPP_PATH, taken.refused)
        return 200, {"received": taken.counts}, {}

    async def _body(self, headers: dict[bytes, bytes], receive: ASGIReceiveCallable) -> bytes:
        limit = self._app.config["MAX_CONTENT_LENGTH"]
        declared = headers.get(b"content-length", b"")
        if limit is not None and declared.isdigit() and int(declared) > limit:
            raise RequestEntityTooLarge()
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self._app.config["BODY_TIMEOUT"]):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        raise _Gone
                    chunk = message["body"]
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise RequestEntityTooLarge()
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise RequestTimeout() from None


async def _answer(
    send: ASGISendCallable,
    status: int,
    answer: dict[str, Any],
    extra: dict[str, str],
    correlation: str,
) -> None:
    body = orjson.dumps(answer)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (_HEADER, correlation.encode()),
        *((name.lower().encode(), value.encode()) for name, value in extra.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
