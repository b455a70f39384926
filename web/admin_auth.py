"""
The one admin-token check, for `/admin/...` and for anything else that needs
ADMIN_TOKEN (`/metrics`, `/openapi.json`): call `admin_refusal()` first thing and return
its answer when it gives one.

    no Authorization header          401, not counted
    ADMIN_TOKEN unset                401, not counted (never open)
    over the limit (10 wrong tokens  429 with Retry-After, the token not looked at,
      per client address per 10 min)   right or wrong
    a wrong token                    401, counted
    ADMIN_TOKEN                      None: go on

The client address is the studio's (the peer's, or with TRUST_PROXY_HEADERS the last
X-Forwarded-For entry); the limit is counted in Postgres by the actors
(`actors.page.admin_access`).
"""

from __future__ import annotations

import structlog
from quart import Response, jsonify, request

from actors.commands import CheckAdminToken
from actors.page import AdminTried
from web.services import services
from web.studio_session import client_address

__all__ = ["admin_refusal"]

log = structlog.get_logger("web.admin_auth")


async def admin_refusal() -> Response | None:
    """The 401 or 429 JSON answer for a request without ADMIN_TOKEN; None with it."""
    header = request.headers.get("Authorization")
    if header is None:
        return _answer(401, "unauthorized")
    found = services()
    scheme, _, presented = header.partition(" ")
    token = presented.strip() if scheme.lower() == "bearer" else ""
    address = client_address(found.settings.trust_proxy_headers)
    answer = await found.actors.handle(CheckAdminToken(token, address))
    if answer.tried is AdminTried.ACCEPTED:
        return None
    if answer.tried is AdminTried.TOO_MANY:
        log.warning("admin.limited")  # the route is on every line already, never the path
        refused = _answer(429, "too_many_attempts")
        refused.headers["Retry-After"] = str(answer.retry_after_s)
        return refused
    log.warning("admin.unauthorized", configured=answer.tried is not AdminTried.NOT_CONFIGURED)
    return _answer(401, "unauthorized")


def _answer(status: int, error: str) -> Response:
    response = jsonify({"error": error, "details": []})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="admin"'
    return response
