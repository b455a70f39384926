"""
Correlation ids: every request gets one (the caller's X-Request-ID when it is a
well-formed id, else a new one), bound into structlog's context and echoed back.
"""

from __future__ import annotations

import re
import uuid

import structlog
from quart import Quart, Response, g, request

__all__ = ["HEADER", "bind_correlation_id", "correlation_id", "install_request_ids"]

_WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")
_LOOKS_LIKE_A_NUMBER = re.compile(r"^\+?[\d .:-]+$")
HEADER = "X-Request-ID"


def _acceptable(inbound: str) -> bool:
    """Well-formed, and not a bare number: a caller's id must never smuggle a phone into logs."""
    return bool(_WELL_FORMED.match(inbound)) and not _LOOKS_LIKE_A_NUMBER.match(inbound)


def correlation_id() -> str:
    value: str = g.correlation_id
    return value


def bind_correlation_id(inbound: str, route: str | None) -> str:
    """This request's id (the caller's `inbound` one when acceptable), bound into the logs."""
    correlation = inbound if _acceptable(inbound) else uuid.uuid4().hex
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(correlation_id=correlation, route=route)
    return correlation


def install_request_ids(app: Quart) -> None:
    @app.before_request
    async def _bind() -> None:
        g.correlation_id = bind_correlation_id(
            request.headers.get(HEADER, ""), request.url_rule.rule if request.url_rule else None
        )

    @app.after_request
    async def _echo(response: Response) -> Response:
        response.headers[HEADER] = getattr(g, "correlation_id", None) or uuid.uuid4().hex
        return response
