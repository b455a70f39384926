"""
The WhatsApp webhook's POST, served in front of Quart (`web.whatsapp_endpoint`): the edges
Quart used to handle. The request id is echoed and never a phone number; a body over
the limit is refused with 413 whether its length was declared or not, a body that
stalls with 408, and both are counted; a caller who hangs up mid-body gets nothing
committed; every other request on the path still reaches Quart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import orjson
import pytest

from fakes.meta import encode, sign, text_message, webhook
from tests.web.conftest import APP_SECRET, Running
from tests.web.test_metrics import scrape

pytestmark = pytest.mark.anyio

WHATSAPP = "/webhooks/whatsapp"
LEAD = "447700900555"
T0 = 1_800_000_000


async def test_the_request_id_is_echoed_and_never_a_phone_number(running: Running) -> None:
    payload = webhook([text_message(LEAD, "wamid.R1", "Hi", T0)])
    kept = await running.post_signed(payload, **{"X-Request-ID": "req-0123456789"})
    assert (kept.status_code, kept.headers["X-Request-ID"]) == (200, "req-0123456789")
    replaced = await running.post_signed(payload, **{"X-Request-ID": "447700900555"})
    assert replaced.headers["X-Request-ID"] not in ("", "447700900555")


async def test_a_declared_length_over_the_limit_is_413_before_any_body_is_read(
    running: Running,
) -> None:
    limit = running.app.config["MAX_CONTENT_LENGTH"]
    before = await scrape(running)
    status, answer = await _call(running, [b"{}"], content_length=limit + 1)
    assert (status, answer) == (413, {"error": "request entity too large"})
    after = await scrape(running)
    assert after.webhooks(WHATSAPP, "4xx") == before.webhooks(WHATSAPP, "4xx") + 1


async def test_an_undeclared_body_over_the_limit_is_413(running: Running) -> None:
    limit = running.app.config["MAX_CONTENT_LENGTH"]
    chunks = [b"x" * (limit // 2 + 1)] * 3  # streamed, no Content-Length
    status, answer = await _call(running, chunks)
    assert (status, answer) == (413, {"error": "request entity too large"})
    assert await running.pool.fetchval("SELECT count(*) FROM inbox") == 0


async def test_a_body_that_stalls_is_408(running: Running) -> None:
    running.app.config["BODY_TIMEOUT"] = 0.2
    status, answer = await _call(running, [b'{"object": '], stall=True)
    assert (status, answer) == (408, {"error": "request timeout"})


async def test_a_caller_gone_mid_body_gets_no_answer_and_nothing_is_stored(
    running: Running,
) -> None:
    body = encode(webhook([text_message(LEAD, "wamid.G1", "Hi", T0)]))
    sent = await _call_raw(running, [body[:20]], hang_up=True, signature=sign(APP_SECRET, body))
    assert sent == []
    assert await running.pool.fetchval("SELECT count(*) FROM inbox") == 0


async def test_other_methods_on_the_path_still_reach_quart(running: Running) -> None:
    wrong = await running.client.put(WHATSAPP, data=b"{}")
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["Allow"]
    handshake = await running.client.get(WHATSAPP, query_string={"hub.mode": "subscribe"})
    assert handshake.status_code == 403  # Quart's handshake route: no token, refused


async def _call(
    running: Running,
    chunks: Sequence[bytes],
    *,
    content_length: int | None = None,
    stall: bool = False,
) -> tuple[int, Any]:
    sent = await _call_raw(running, chunks, content_length=content_length, stall=stall)
    start, body = sent
    return start["status"], orjson.loads(body["body"])


async def _call_raw(
    running: Running,
    chunks: Sequence[bytes],
    *,
    content_length: int | None = None,
    stall: bool = False,
    hang_up: bool = False,
    signature: str = "sha256=" + "0" * 64,
) -> list[dict[str, Any]]:
    """One ASGI call into the app as Hypercorn makes it, the body in `chunks`."""
    headers = [(b"content-type", b"application/json"), (b"x-hub-signature-256", signature.encode())]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": WHATSAPP,
        "raw_path": WHATSAPP.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "extensions": {},
    }
    incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for index, chunk in enumerate(chunks):
        more = index < len(chunks) - 1 or stall or hang_up
        incoming.put_nowait({"type": "http.request", "body": chunk, "more_body": more})
    if hang_up:
        incoming.put_nowait({"type": "http.disconnect"})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return await incoming.get()  # stalls once the chunks run out

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(running.app(scope, receive, send), timeout=10)  # type: ignore[arg-type]
    return sent
