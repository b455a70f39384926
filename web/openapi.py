"""
The OpenAPI 3.1 document of the admin API, built from the pydantic models it serves.

Each model's JSON Schema is generated with refs into `#/components/schemas`, and its
`$defs` are hoisted there. Query parameters come from the query models, one parameter per
field. The document is data; `web.admin` serves it at `GET /openapi.json`.

Every error answer of the service is JSON (`ErrorBody`), whatever its status: the
statuses an operation is known to give are listed with why, and `default` covers the
rest (404 for an unknown route, 405, 413 for a body over MAX_BODY_BYTES, 500).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from web.admin_requests import (
    ACTIONS,
    MAX_DELIVERY_ID,
    MAX_KEY_LENGTH,
    ActionQuery,
    ActorsQuery,
    DeadLettersQuery,
    LeadsQuery,
    RefusedQuery,
    ReplyBody,
)
from web.admin_responses import (
    ActionResult,
    ActorPage,
    CalendarAddress,
    DeadLetterPage,
    ErrorBody,
    LeadDetail,
    LeadPage,
    MediaContentOut,
    RedriveResult,
    RefusedPage,
    ReplyResult,
    StudioList,
)

__all__ = ["openapi_document"]

_REF = "#/components/schemas/{model}"
_SECURITY = "bearerAuth"
_REQUEST_ID = "X-Request-ID"
_WHY = {
    401: "missing or wrong bearer token (or ADMIN_TOKEN is not set)",
    404: "no such lead, delivery or media item",
    409: "the delivery is not dead-lettered, the action does not apply in the lead's status, "
    "or the calendar feed's key is STUDIO_CALENDAR_KEY (change it there)",
    422: "invalid parameter",
    429: "10 wrong bearer tokens from this address in 10 minutes: refused, unchecked, until "
    "Retry-After",
    503: "overloaded or the database is unavailable; retry",
}

_WA_ID = {
    "name": "wa_id",
    "in": "path",
    "required": True,
    "description": "the lead, by any of its ids: its phone (wa_id), its BSUID or parent "
    "BSUID (current or previous), or its lead id",
    "schema": {
        "type": "string",
        "maxLength": MAX_KEY_LENGTH,
        "examples": [
            "447700900321",
            "US.13491208655302741918",
            "US.ENT.11815799212886844830",
            "2f1c1b7e-8a4e-4c1a-9a57-0b1f3c2d4e5f",
        ],
    },
}
_ACTION = {
    "name": "action",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": sorted(ACTIONS)},
}


def _row_id(description: str) -> dict[str, Any]:
    """A path's `{id}`: a row's id, a positive 64-bit integer."""
    return {
        "name": "id",
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_DELIVERY_ID},
    }


_DELIVERY_ID = _row_id("the outbox row's id")
_MEDIA_ID = _row_id("the kept media item's id (from a lead's `media`)")


@dataclass(frozen=True)
class _Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    answer: type[BaseModel]
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None  # a JSON request body
    path_parameters: tuple[dict[str, Any], ...] = ()
    errors: tuple[int, ...] = (401, 422, 503)


_OPERATIONS = (
    _Operation(
        "get",
        "/admin/studios",
        "listStudios",
        "Every studio of the deployment, as `booking-assistant studios list --json` prints "
        "them (ADMIN_TOKEN only)",
        StudioList,
        errors=(401, 404, 503),
    ),
    _Operation(
        "get",
        "/admin/actors",
        "listActors",
        "Live actors of the process that answers, by wa_id",
        ActorPage,
        query=ActorsQuery,
    ),
    _Operation(
        "get",
        "/admin/leads",
        "listLeads",
        "Leads by wa_id, optionally of one status",
        LeadPage,
        query=LeadsQuery,
    ),
    _Operation(
        "get",
        "/admin/leads/{wa_id}",
        "getLead",
        "One lead in full: snapshot, answers, inbox, events, outbox with attempts and "
        "Meta's pricing, timers",
        LeadDetail,
        path_parameters=(_WA_ID,),
        errors=(401, 404, 503),
    ),
    _Operation(
        "post",
        "/admin/leads/{wa_id}/{action}",
        "actOnLead",
        "Act as the artist; the action is a turn of the lead's actor, answered after commit",
        ActionResult,
        path_parameters=(_WA_ID, _ACTION),
        query=ActionQuery,
        errors=(401, 404, 409, 422, 503),
    ),
    _Operation(
        "post",
        "/admin/leads/{wa_id}/reply",
        "replyToLead",
        "Write to the lead as the artist, from the business number: a turn of the lead's "
        "actor like a swipe-reply on WhatsApp; the answer says whether it goes free-form, "
        "as the template (after WhatsApp's 24 hours), or not at all and why",
        ReplyResult,
        path_parameters=(_WA_ID,),
        body=ReplyBody,
        errors=(401, 404, 422, 503),
    ),
    _Operation(
        "get",
        "/admin/dead-letters",
        "listDeadLetters",
        "Deliveries that gave up, newest first, with their attempts",
        DeadLetterPage,
        query=DeadLettersQuery,
    ),
    _Operation(
        "get",
        "/admin/refused",
        "listRefusedItems",
        "Webhook items that could not be taken (the rest of their delivery was), newest "
        "first, each with the fields at fault and its JSON text as it came",
        RefusedPage,
        query=RefusedQuery,
    ),
    _Operation(
        "post",
        "/admin/deliveries/{id}/redrive",
        "redriveDelivery",
        "Put a dead-lettered delivery back in the outbox with its attempts reset",
        RedriveResult,
        path_parameters=(_DELIVERY_ID,),
        errors=(401, 404, 409, 422, 503),
    ),
    _Operation(
        "get",
        "/admin/calendar",
        "getCalendarAddress",
        "The address of the artist's calendar feed of booked appointments, to subscribe to",
        CalendarAddress,
        errors=(401, 503),
    ),
    _Operation(
        "post",
        "/admin/calendar/rotate",
        "rotateCalendarKey",
        "A new key for the calendar feed; the old address stops working at once",
        CalendarAddress,
        errors=(401, 409, 503),
    ),
    _Operation(
        "get",
        "/admin/media/{id}",
        "getMedia",
        "One media item a lead sent, with its bytes (base64) when it was kept whole",
        MediaContentOut,
        path_parameters=(_MEDIA_ID,),
        errors=(401, 404, 422, 503),
    ),
)


class _Components:
    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def add(self, model: type[BaseModel], mode: JsonSchemaMode = "serialization") -> dict[str, Any]:
        """Return the schema of `model` with its `$defs` moved into the components."""
        schema = model.model_json_schema(ref_template=_REF, mode=mode)
        self.schemas.update(schema.pop("$defs", {}))
        return schema

    def ref(self, model: type[BaseModel]) -> dict[str, str]:
        self.schemas[model.__name__] = self.add(model)
        return {"$ref": _REF.format(model=model.__name__)}


def _query_parameters(model: type[BaseModel], components: _Components) -> list[dict[str, Any]]:
    schema = components.add(model, mode="validation")
    required = set(schema.get("required", []))
    parameters = []
    for name, field in schema["properties"].items():
        field = copy.deepcopy(field)
        description = field.pop("description", None)
        field.pop("title", None)
        branches = [b for b in field.pop("anyOf", []) if b != {"type": "null"}]
        if len(branches) == 1:  # `X | None`: absent is the None
            field.update(branches[0])
        if field.get("default", 0) is None:
            del field["default"]
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": field,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _responses(op: _Operation, components: _Components) -> dict[str, Any]:
    request_id = {_REQUEST_ID: {"$ref": f"#/components/headers/{_REQUEST_ID}"}}
    error = components.ref(ErrorBody)
    responses: dict[str, Any] = {
        "200": {
            "description": "OK",
            "headers": request_id,
            "content": {"application/json": {"schema": components.ref(op.answer)}},
        }
    }
    # Every operation needs the bearer token, so every one may answer 429 for it.
    for status in sorted({*op.errors, 429}):
        responses[str(status)] = {
            "description": _WHY[status],
            "headers": request_id,
            "content": {"application/json": {"schema": error}},
        }
    responses["default"] = {
        "description": "any other error (404, 405, 413 body too large, 500): JSON as well",
        "headers": request_id,
        "content": {"application/json": {"schema": error}},
    }
    return responses


@cache
def _document() -> dict[str, Any]:
    components = _Components()
    paths: dict[str, dict[str, Any]] = {}
    for op in _OPERATIONS:
        parameters = list(op.path_parameters)
        if op.query is not None:
            parameters.extend(_query_parameters(op.query, components))
        operation: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "tags": ["admin"],
            "responses": _responses(op, components),
        }
        if parameters:
            operation["parameters"] = parameters
        if op.body is not None:
            schema = components.add(op.body, mode="validation")
            components.schemas[op.body.__name__] = schema
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": _REF.format(model=op.body.__name__)}}
                },
            }
        paths.setdefault(op.path, {})[op.method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Booking assistant admin API",
            "version": "1",
            "description": "Bearer ADMIN_TOKEN on every call; unset ADMIN_TOKEN refuses all. "
            'Every error answer, whatever its status, is JSON: {"error": "..."}.',
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.schemas.items())),
            "securitySchemes": {_SECURITY: {"type": "http", "scheme": "bearer"}},
            "headers": {
                _REQUEST_ID: {
                    "description": "the correlation id of this request (on every response)",
                    "schema": {"type": "string"},
                }
            },
        },
        "security": [{_SECURITY: []}],
    }


def openapi_document() -> dict[str, Any]:
    """The document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())
