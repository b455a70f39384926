"""
A fake WhatsApp Cloud API (Graph API): POST /{phone-number-id}/messages.

It parses the real JSON, records every accepted message, and answers like Meta does:
200 with a wamid, or an error envelope with Meta's codes. Failures are scripted per
call (`fail_next`) or for a share of calls. Two front ends share one core: an httpx
`MockTransport` for in-process tests and a real threaded HTTP server for processes.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

__all__ = ["FakeGraphApi", "GraphFailure", "SentMessage"]


@dataclass(frozen=True)
class GraphFailure:
    """One scripted failure: an HTTP status with Meta's error code."""

    status: int
    code: int
    message: str = "scripted failure"

    @classmethod
    def rate_limited(cls) -> GraphFailure:
        return cls(429, 130429, "Rate limit hit")

    @classmethod
    def server_error(cls) -> GraphFailure:
        return cls(500, 131000, "Something went wrong")

    @classmethod
    def outside_window(cls) -> GraphFailure:
        return cls(400, 131047, "Re-engagement message")

    @classmethod
    def bad_token(cls) -> GraphFailure:
        return cls(401, 190, "Invalid OAuth access token")


@dataclass(frozen=True)
class SentMessage:
    to: str
    type: str
    body: dict[str, Any]
    wamid: str
    authorization: str | None

    @property
    def text(self) -> str:
        if self.type == "text":
            return str(self.body["text"]["body"])
        if self.type == "interactive":
            return str(self.body["interactive"]["body"]["text"])
        return ""


@dataclass
class FakeGraphApi:
    phone_number_id: str = "100200300"
    access_token: str = "test-access-token"
    sent: list[SentMessage] = field(default_factory=list)
    requests: int = 0
    _failures: deque[GraphFailure] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- scripting -----------------------------------------------------------------

    def fail_next(self, *failures: GraphFailure) -> None:
        with self._lock:
            self._failures.extend(failures)

    def to(self, wa_id: str) -> list[SentMessage]:
        with self._lock:
            return [m for m in self.sent if m.to == wa_id]

    def texts_to(self, wa_id: str) -> list[str]:
        return [m.text for m in self.to(wa_id)]

    # -- the core --------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests += 1
            if method != "POST" or not path.rstrip("/").endswith(
                f"/{self.phone_number_id}/messages"
            ):
                return 404, _error(404, 100, f"Unknown path components: {path}")
            if headers.get("authorization") != f"Bearer {self.access_token}":
                return 401, _error(401, 190, "Invalid OAuth access token")
            try:
                payload = json.loads(body)
            except ValueError:
                return 400, _error(400, 100, "Invalid JSON")
            if payload.get("messaging_product") != "whatsapp" or not payload.get("to"):
                return 400, _error(400, 100, "Invalid parameter")
            if self._failures:
                failure = self._failures.popleft()
                return failure.status, _error(failure.status, failure.code, failure.message)
            wamid = f"wamid.fake{next(self._ids):08d}"
            self.sent.append(
                SentMessage(
                    to=payload["to"],
                    type=payload.get("type", "text"),
                    body=payload,
                    wamid=wamid,
                    authorization=headers.get("authorization"),
                )
            )
            return 200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": payload["to"], "wa_id": payload["to"]}],
                "messages": [{"id": wamid}],
            }

    # -- front ends ------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            status, payload = self.handle(
                request.method,
                request.url.path,
                {k.lower(): v for k, v in request.headers.items()},
                request.content,
            )
            return httpx.Response(status, json=payload)

        return httpx.MockTransport(handler)

    def serve(self) -> GraphServer:
        """Start a real HTTP server on 127.0.0.1; stop it with `.close()`."""
        return GraphServer(self)


def _error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "OAuthException" if status == 401 else "GraphMethodException",
            "code": code,
            "fbtrace_id": "AbCdEfGhIjK",
        }
    }


class GraphServer:
    def __init__(self, fake: FakeGraphApi) -> None:
        self.fake = fake

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                status, payload = fake.handle(
                    "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
