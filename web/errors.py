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

from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import ValidationError
from quart import Quart, ResponseReturnValue, g, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from actors import DatabaseUnavailable, MailboxFull, RuntimeClosed, TurnFailed
from actors.commands import RecordRejectedWebhook
from web.services import services

__all__ = [
    "INTERNAL",
    "UNAVAILABLE",
    "ErrorAnswer",
    "MalformedBody",
    "SignatureInvalid",
    "WebError",
    "error_answer",
    "http_error_answer",
    "register_error_handlers",
]

log = structlog.get_logger("web")


class WebError(Exception):
    """Base of the web edge's own errors."""


class SignatureInvalid(WebError):
    """Missing or wrong signature header."""


class MalformedBody(WebError):
    """The body is not JSON or not of the expected shape."""


@dataclass(frozen=True)
class ErrorAnswer:
    status: int
    body: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)


_UNAVAILABLE = (MailboxFull, RuntimeClosed, TurnFailed, DatabaseUnavailable)
UNAVAILABLE = ErrorAnswer(503, {"error": "temporarily unavailable"}, {"Retry-After": "1"})
INTERNAL = ErrorAnswer(500, {"error": "internal error"})


def error_answer(error: BaseException) -> ErrorAnswer | None:
    """The answer to a webhook's own failure, logged; None for any other error.

    One table for both ways a webhook is served: Quart's error handlers and
    `web.whatsapp_endpoint`.
    """
    match error:
        case SignatureInvalid():
            log.warning("webhook.signature_rejected", reason=str(error))
            return ErrorAnswer(401, {"error": "invalid signature"})
        case MalformedBody():
            cause = error.__cause__
            if isinstance(cause, ValidationError):
                log.warning("webhook.malformed", **_problems(cause))
            else:
                log.warning("webhook.malformed", reason=str(error)[:500])
            return ErrorAnswer(400, {"error": "malformed body"})
        case ValidationError():
            log.warning("webhook.malformed", **_problems(error))
            return ErrorAnswer(400, {"error": "malformed body"})
        case _ if isinstance(error, _UNAVAILABLE):
            log.warning("request.unavailable", reason=type(error).__name__)
            return UNAVAILABLE
    return None


def http_error_answer(error: HTTPException) -> ErrorAnswer:
    """Werkzeug's answers (404, 413 body too large, 408 ...), as JSON."""
    return ErrorAnswer(error.code or 500, {"error": (error.name or "error").lower()})


def register_error_handlers(app: Quart) -> None:
    async def _answer(error: Exception) -> ResponseReturnValue:
        answer = error_answer(error)
        if answer is None:  # registered below for exactly the types it answers
            raise error
        if isinstance(error, SignatureInvalid):
            try:
                door = services().actors
            except RuntimeError:  # refused before the service started serving
                pass
            else:
                rule = request.url_rule.rule if request.url_rule else request.path
                correlation = getattr(g, "correlation_id", None)
                await door.handle(RecordRejectedWebhook(rule, str(error), correlation))
        return answer.body, answer.status, answer.headers

    for error_type in (SignatureInvalid, MalformedBody, ValidationError, *_UNAVAILABLE):
        app.register_error_handler(error_type, _answer)

    @app.errorhandler(MethodNotAllowed)
    async def _wrong_method(error: MethodNotAllowed) -> ResponseReturnValue:
        allowed = ", ".join(error.valid_methods or [])
        return {"error": "method not allowed"}, 405, {"Allow": allowed}

    @app.errorhandler(HTTPException)
    async def _http_error(error: HTTPException) -> ResponseReturnValue:
        answer = http_error_answer(error)
        return answer.body, answer.status

    @app.errorhandler(InternalServerError)
    async def _internal(error: InternalServerError) -> ResponseReturnValue:
        return INTERNAL.body, INTERNAL.status


_MAX_PROBLEMS = 5


def _problems(error: ValidationError) -> dict[str, Any]:
    """Which fields and why, never the values: `field` is a dotted path into the body."""
    problems = [
        {"field": ".".join(str(part) for part in e["loc"]) or "(body)", "problem": e["msg"]}
        for e in error.errors(include_url=False, include_context=False, include_input=False)
    ]
    return {"error_count": len(problems), "errors": problems[:_MAX_PROBLEMS]}
