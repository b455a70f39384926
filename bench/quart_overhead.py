"""
What Quart's machinery costs per request, in process: the reason WhatsApp's webhook POST
is a bare ASGI endpoint (`web/whatsapp_endpoint.py`).

    .venv/bin/python -m bench.quart_overhead [--requests 5000]

The same POST (a 400-byte body read, a request id hook before, a header hook after, a
small JSON answer) is sent as one ASGI call, with no network and no server, to a Quart
app and to a bare ASGI function; the figure is process CPU per call. The handler does
nothing else, so the difference is Quart's own: its request and response objects, its
contexts, its hooks and the tasks it starts per request.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import uvloop
from quart import Quart, Response, ResponseReturnValue, g, request

__all__ = ["main"]

Call = Callable[[Any, Any, Any], Awaitable[None]]
PATH = "/webhooks/whatsapp"
BODY = b"x" * 400
ANSWER = {"received": {"processed": 1}}


def quart_app() -> Quart:
    app = Quart("overhead")

    @app.before_request
    async def _bind() -> None:
        g.correlation_id = request.headers.get("X-Request-ID", "")

    @app.after_request
    async def _echo(response: Response) -> Response:
        response.headers["X-Request-ID"] = "req-0123456789"
        return response

    @app.post(PATH)
    async def _webhook() -> ResponseReturnValue:
        await request.get_data(cache=False, as_text=False)
        return ANSWER, 200

    return app


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = orjson.dumps(ANSWER)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", b"req-0123456789"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _scope() -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": "1.1",
        "asgi": {"spec_version": "2.3", "version": "3.0"},
        "method": "POST",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "extensions": {},
    }


async def cpu_us_per_call(target: Call, requests: int) -> float:
    """Process CPU per call, after 200 calls of warm-up."""

    async def one() -> None:
        sent_body = False

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": BODY, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            pass

        await target(_scope(), receive, send)

    for _ in range(200):
        await one()
    started = time.process_time()
    for _ in range(requests):
        await one()
    return (time.process_time() - started) / requests * 1e6


async def measure(requests: int) -> dict[str, float]:
    app = quart_app()
    await app.startup()
    try:
        return {
            "quart_us_per_request": round(await cpu_us_per_call(app, requests), 1),
            "bare_asgi_us_per_request": round(await cpu_us_per_call(bare, requests), 1),
        }
    finally:
        await app.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.quart_overhead")
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    print(json.dumps(uvloop.run(measure(args.requests))))


if __name__ == "__main__":
    main()
