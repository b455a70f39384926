"""
A stored studio's page and admin API under its own prefix: `/s/<slug>/studio/...` and
`/s/<slug>/admin/...` are the routes of `/studio/` and `/admin/` for that studio.

The prefix is taken off the path for every layer in front of Quart (the headers, the
WhatsApp lane: the same paths as for the default studio), kept as the request's root
path (so the page's links, redirects and cookie paths stay under it), and the slug as
the request's studio (`web.services.services` answers that studio's services, or 404).
Quart itself takes an ASGI path that includes its root path, and strips it (`FullPath`
gives it back just in front of Quart): one set of routes for every studio.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope

from web.services import STUDIO_SCOPE_KEY

__all__ = ["FullPath", "StudioPrefix"]

ASGIApp = Callable[[Scope, ASGIReceiveCallable, ASGISendCallable], Awaitable[None]]

_PREFIXED = re.compile(r"^/s/([a-z0-9][a-z0-9-]{1,39})(/(?:studio|admin|calendar)(?:/.*)?)$")


class StudioPrefix:
    """Hands `app` a prefixed request as the unprefixed one, for its studio."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/s/"):
            found = _PREFIXED.match(scope["path"])
            if found is not None and found.group(1) != "default":
                slug, rest = found.group(1), found.group(2)
                prefix = f"/s/{slug}"
                raw = scope.get("raw_path") or b""
                raw_rest = raw[len(prefix) :] if raw.startswith(prefix.encode()) else rest.encode()
                scope = {  # type: ignore[assignment]
                    **scope,
                    "path": rest,
                    "raw_path": raw_rest,
                    "root_path": scope.get("root_path", "") + prefix,
                    STUDIO_SCOPE_KEY: slug,
                }
        await self._app(scope, receive, send)


class FullPath:
    """Just in front of Quart: a prefixed request's path whole again, as ASGI has it
    (Quart takes the root path off itself)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "http" and STUDIO_SCOPE_KEY in scope:
            root = scope.get("root_path", "")
            scope = {
                **scope,
                "path": root + scope["path"],
                "raw_path": root.encode() + (scope.get("raw_path") or b""),
            }
        await self._app(scope, receive, send)
