"""
Errors of the web edge, and the one place where errors become HTTP answers.

    WebError
     +-- SignatureInvalid   401: the body was not signed with our secret
     +-- MalformedBody      400: not JSON, or not the shape we accept
    (from actors)
    MailboxFull, RuntimeClosed, TurnFailed, DatabaseUnavailable -> 503 + Retry-After
    (from werkzeug)
    HTTPException              its own status (404, 405, 413 ...), as JSON too

Every error answer is JSON, `{"error": "<what>"}`. A body that does not parse is logged
with where and why (the field's path and pydantic's reason), never with its content.
"""

from __future__ import annotations

from typing import Any

import structlog
from pydantic import ValidationError
from quart import Quart, ResponseReturnValue, g, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from actors import MailboxFull, RuntimeClosed, TurnFailed
from actors.errors import DatabaseUnavailable
from web.services import services

__all__ = ["MalformedBody", "SignatureInvalid", "WebError", "register_error_handlers"]

log = structlog.get_logger("web")


class WebError(Exception):
    """Base of the web edge's own errors."""


class SignatureInvalid(WebError):
    """Missing or wrong signature header."""


class MalformedBody(WebError):
    """The body is not JSON or not of the expected shape."""


def register_error_handlers(app: Quart) -> None:
    @app.errorhandler(SignatureInvalid)
    async def _unsigned(error: SignatureInvalid) -> ResponseReturnValue:
        log.warning("webhook.signature_rejected", reason=str(error))
        rule = request.url_rule.rule if request.url_rule else request.path
        try:
            rejections = services().rejections
        except RuntimeError:  # refused before the service started serving
            pass
        else:
            await rejections.record(rule, str(error), getattr(g, "correlation_id", None))
        return {"error": "invalid signature"}, 401

    @app.errorhandler(MalformedBody)
    async def _malformed(error: MalformedBody) -> ResponseReturnValue:
        cause = error.__cause__
        if isinstance(cause, ValidationError):
            log.warning("webhook.malformed", **_problems(cause))
        else:
            log.warning("webhook.malformed", reason=str(error)[:500])
        return {"error": "malformed body"}, 400

    @app.errorhandler(ValidationError)
    async def _invalid(error: ValidationError) -> ResponseReturnValue:
        log.warning("webhook.malformed", **_problems(error))
        return {"error": "malformed body"}, 400

    async def _unavailable(error: Exception) -> ResponseReturnValue:
        log.warning("request.unavailable", reason=type(error).__name__)
        return {"error": "temporarily unavailable"}, 503, {"Retry-After": "1"}

    for error_type in (MailboxFull, RuntimeClosed, TurnFailed, DatabaseUnavailable):
        app.register_error_handler(error_type, _unavailable)

    @app.errorhandler(MethodNotAllowed)
    async def _wrong_method(error: MethodNotAllowed) -> ResponseReturnValue:
        allowed = ", ".join(error.valid_methods or [])
        return {"error": "method not allowed"}, 405, {"Allow": allowed}

    @app.errorhandler(HTTPException)
    async def _http_error(error: HTTPException) -> ResponseReturnValue:
        """The rest of werkzeug's answers (404, 413 body too large, 408 ...), as JSON."""
        status = error.code or 500
        return {"error": (error.name or "error").lower()}, status

    @app.errorhandler(InternalServerError)
    async def _internal(error: InternalServerError) -> ResponseReturnValue:
        return {"error": "internal error"}, 500


_MAX_PROBLEMS = 5


def _problems(error: ValidationError) -> dict[str, Any]:
    """Which fields and why, never the values: `field` is a dotted path into the body."""
    problems = [
        {"field": ".".join(str(part) for part in e["loc"]) or "(body)", "problem": e["msg"]}
        for e in error.errors(include_url=False, include_context=False, include_input=False)
    ]
    return {"error_count": len(problems), "errors": problems[:_MAX_PROBLEMS]}
