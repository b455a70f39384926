"""
The security headers every answer carries, set in one ASGI middleware that wraps the
whole app (the WhatsApp lane in front of Quart included), so no route can forget them:

    X-Content-Type-Options: nosniff       every answer: a browser keeps to the type given
    Strict-Transport-Security             every answer to a request that came over https
                                          (the test the studio cookie's Secure flag uses)
    Cache-Control: no-store               /admin/..., /openapi.json, /metrics, /studio/...
                                          (media included; not the stylesheet and script)
    Content-Security-Policy               studio pages: only the page's own script runs
                                          (`default-src 'self'` lets the page load its
                                          manifest and icons, web/manifest.py)

Why a CSP that names the script: a page whose `script-src` is `'self'` runs any script
served from our origin, and a lead's file is served from it; naming the one script by
its hash (and, with PUBLIC_BASE_URL, its full address) runs nothing else, whatever a
future injection puts into a page.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, HTTPScope, Scope

__all__ = ["SCRIPT_INTEGRITY", "SecurityHeaders", "came_over_https", "studio_csp"]

ASGIApp = Callable[[Scope, ASGIReceiveCallable, ASGISendCallable], Awaitable[None]]

_SCRIPT = Path(__file__).parent / "static" / "studio.js"
_SCRIPT_PATH = "/studio/static/studio.js"
# The page's one script, by its hash: its <script> tag carries it in `integrity`.
_DIGEST = hashlib.sha256(_SCRIPT.read_bytes()).digest()
SCRIPT_INTEGRITY = "sha256-" + base64.b64encode(_DIGEST).decode()

_HSTS = b"max-age=31536000"
_NO_STORE_PREFIXES = ("/admin/", "/studio/")
_NO_STORE_PATHS = frozenset({"/admin", "/openapi.json", "/metrics", "/studio"})
_CACHEABLE_PREFIX = "/studio/static/"


def studio_csp(public_base_url: str | None) -> str:
    """The studio pages' policy: the page's own script only, by hash (and full address)."""
    sources = [f"'{SCRIPT_INTEGRITY}'"]
    if public_base_url:
        sources.append(public_base_url.rstrip("/") + _SCRIPT_PATH)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src " + " ".join(sources),
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


def came_over_https(scheme: str, forwarded_proto: str, *, trust_proxy_headers: bool) -> bool:
    """Whether the browser reached us over https (through a trusted proxy, if set)."""
    if trust_proxy_headers and forwarded_proto:
        return forwarded_proto.split(",")[0].strip().lower() == "https"
    return scheme == "https"


class SecurityHeaders:
    """Adds the headers above to every `http.response.start` the app sends."""

    def __init__(
        self, app: ASGIApp, *, trust_proxy_headers: bool, public_base_url: str | None
    ) -> None:
        self._app = app
        self._trust = trust_proxy_headers
        self._csp = studio_csp(public_base_url).encode()

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        added = self._headers_for(scope)

        async def send_with_headers(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                kept = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in _REPLACED or name.lower() not in added
                ]
                extra = [
                    (name, value)
                    for name, value in added.items()
                    if name in _REPLACED or name not in names
                ]
                message = {**message, "headers": [*kept, *extra]}
            await send(message)  # type: ignore[arg-type]

        await self._app(scope, receive, send_with_headers)  # type: ignore[arg-type]

    def _headers_for(self, scope: HTTPScope) -> dict[bytes, bytes]:
        path: str = scope["path"]
        headers: dict[bytes, bytes] = {b"x-content-type-options": b"nosniff"}
        forwarded = b""
        for name, value in scope["headers"]:
            if name.lower() == b"x-forwarded-proto":
                forwarded = value
                break
        if came_over_https(
            scope["scheme"],
            forwarded.decode("latin-1"),
            trust_proxy_headers=self._trust,
        ):
            headers[b"strict-transport-security"] = _HSTS
        private = path in _NO_STORE_PATHS or path.startswith(_NO_STORE_PREFIXES)
        if private and not path.startswith(_CACHEABLE_PREFIX):
            headers[b"cache-control"] = b"no-store"
        if path == "/studio" or path.startswith("/studio/"):
            headers[b"content-security-policy"] = self._csp
        return headers


# Set by the middleware whatever the route said; the others only when the route set none
# (a media file's own, stricter CSP stays).
_REPLACED = frozenset({b"x-content-type-options", b"strict-transport-security", b"cache-control"})
