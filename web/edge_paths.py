"""
The request's path made canonical before anything routes it: runs of slashes become one
(`//webhooks/whatsapp`, `/webhooks//whatsapp` -> `/webhooks/whatsapp`).

Why: the WhatsApp lane (web/whatsapp_endpoint.py) matches its path exactly and Quart's
router redirects a doubled slash to an address built from the Host header; both saw a
path the other did not, and `POST //webhooks/whatsapp` answered 500. With one canonical
path every layer (the lane, the headers, Quart) agrees on what was asked for, a double
slash reaches the same route with the same signature check, and a path can never start
with `//`, which a relative redirect would read as another host.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from quart import Quart, ResponseReturnValue, redirect, request
from werkzeug.routing import RequestRedirect

__all__ = ["CanonicalPaths", "canonical_path", "install_relative_redirects"]

ASGIApp = Callable[[Scope, ASGIReceiveCallable, ASGISendCallable], Awaitable[None]]

_SLASHES = re.compile(r"/{2,}")
_RAW_SLASHES = re.compile(rb"/{2,}")


def canonical_path(path: str) -> str:
    """`path` with every run of slashes made one."""
    return _SLASHES.sub("/", path)


class CanonicalPaths:
    """Hands `app` every http request with its path (and raw path) made canonical."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "http" and "//" in scope["path"]:
            raw = scope.get("raw_path")
            scope = {
                **scope,
                "path": canonical_path(scope["path"]),
                "raw_path": _RAW_SLASHES.sub(b"/", raw) if raw is not None else None,
            }
        await self._app(scope, receive, send)


def install_relative_redirects(app: Quart) -> None:
    """The router's slash-fixing redirect (`/studio` -> `/studio/`) as a relative address.

    Why: werkzeug builds it from the Host header, so `Host: evil.example` made the service
    send a browser to `http://evil.example/studio/`. The Host header never makes an
    address: the path and query of the router's own answer, and nothing else.
    """

    @app.before_request
    async def _relative_redirect() -> ResponseReturnValue | None:
        found = request.routing_exception
        if not isinstance(found, RequestRedirect):
            return None
        parts = urlsplit(found.new_url)
        relative = urlunsplit(("", "", canonical_path(parts.path) or "/", parts.query, ""))
        return redirect(relative, found.code)
