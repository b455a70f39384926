"""
The admin API under `/admin` (bearer ADMIN_TOKEN), and `GET /openapi.json` describing it.

What it reads are queries (`actors.queries`); what it does are commands to the actors'
one door (`actors.commands`): every change to a lead is a turn of that lead's actor (the
artist's action, `via="admin"`), answered after commit exactly as a webhook is; the API
never writes a lead itself. Its other writes re-drive a dead letter and rotate the
calendar feed's key. Errors are JSON `{"error": ...}`:

    AdminProblem
     +-- 401  no bearer token, a wrong one, or ADMIN_TOKEN unset (never open; the same
     |        check guards /openapi.json and /metrics: `admin_only`)
     +-- 429  10 wrong tokens from this address in 10 minutes (web.admin_auth)
     +-- 404  no such lead, delivery or media item
     +-- 409  the delivery is not dead-lettered, or the action does not apply to the
     |        lead in its status (the reason says which status), or the calendar
     |        feed's key to rotate is STUDIO_CALENDAR_KEY
     +-- 422  a bad limit, cursor, status, action or id; a NUL or lone surrogate in a
     |        query parameter or a JSON string
    (from actors, mapped in web.errors)
    MailboxFull, RuntimeClosed, TurnFailed, DatabaseUnavailable -> 503
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from typing import TypeVar
from urllib.parse import urlencode

import structlog
from pydantic import BaseModel, ValidationError
from quart import Blueprint, ResponseReturnValue, current_app, request

from actors import TurnOutcome
from actors.commands import ActOnLead, RedriveDeadLetter, RedriveOutcome, ReplyToLead, RotateFeedKey
from actors.lead import ArtistAction, Status
from actors.queries import FeedAddress, KeyFromSettings
from actors.runtime import mask_phone
from actors.tenants import DEFAULT_STUDIO_ID
from web.admin_auth import admin_refusal
from web.admin_requests import (
    ACTIONS,
    MAX_DELIVERY_ID,
    ActionQuery,
    ActorsQuery,
    DeadLettersQuery,
    LeadsQuery,
    RefusedQuery,
    ReplyBody,
    encode_cursor,
    is_lead_key,
)
from web.admin_responses import (
    ActionResult,
    ActorOut,
    ActorPage,
    CalendarAddress,
    DeadLetterPage,
    DeliveryOut,
    ErrorBody,
    LeadDetail,
    LeadOut,
    LeadPage,
    MediaContentOut,
    RedriveResult,
    RefusedItemOut,
    RefusedPage,
    ReplyResult,
    StudioList,
    StudioOut,
)
from web.clean_fields import UNUSABLE, body_unusable, fields_unusable
from web.openapi import openapi_document
from web.request_ids import correlation_id
from web.services import directory_of, services
from web.studios_command import describe

__all__ = ["AdminProblem", "admin_only", "blueprint"]

log = structlog.get_logger("web.admin")

blueprint = Blueprint("admin_api", __name__)  # what the app registers: /openapi.json + /admin
_admin = Blueprint("admin", __name__, url_prefix="/admin")

_Query = TypeVar("_Query", bound=BaseModel)


class AdminProblem(Exception):
    """An answer other than 200, with the status it maps to."""

    def __init__(self, status: int, error: str, details: Sequence[str] = ()) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.details = list(details)


async def _problem(problem: AdminProblem) -> ResponseReturnValue:
    body = ErrorBody(error=problem.error, details=problem.details).model_dump(mode="json")
    if problem.status == 401:
        return body, 401, {"WWW-Authenticate": 'Bearer realm="admin"'}
    return body, problem.status


def admin_only(guarded: Blueprint) -> None:
    """Every route of `guarded` needs the admin token: /admin/..., /openapi.json, /metrics.

    One check (`_authenticate`) for all of them, and one way to refuse.
    """
    guarded.before_request(_authenticate)
    guarded.register_error_handler(AdminProblem, _problem)


async def _authenticate() -> ResponseReturnValue | None:
    """Bearer ADMIN_TOKEN, under the wrong-token limit (`web.admin_auth`)."""
    return await admin_refusal()


@_admin.before_request
async def _refuse_unusable_text() -> None:
    """After the token: a NUL or lone surrogate in a query or a JSON string is a 422."""
    if await fields_unusable() or await body_unusable():
        raise AdminProblem(422, UNUSABLE)


@blueprint.get("/openapi.json")
async def openapi() -> ResponseReturnValue:
    return openapi_document(), 200


@_admin.get("/studios")
async def list_studios() -> ResponseReturnValue:
    """Every studio, as `studios list --json` prints them: the operator's (ADMIN_TOKEN)
    only, never a studio's own token and never under a studio's prefix."""
    running = services()
    book = directory_of(current_app.extensions).book
    if book is None or (running.studio is not None and running.studio.id != DEFAULT_STUDIO_ID):
        raise AdminProblem(404, "no such route")
    described = [StudioOut.model_validate(describe(s, running.settings)) for s in await book.all()]
    return _json(StudioList(items=described))


@_admin.get("/actors")
async def list_actors() -> ResponseReturnValue:
    query = _query(ActorsQuery)
    live = sorted(services().runtime.live_actors(), key=lambda info: info.lead_key)
    rest = [a for a in live if query.after is None or a.lead_key > query.after]
    page = rest[: query.limit]
    more = len(rest) > query.limit
    replica = f"{socket.gethostname()}:{os.getpid()}"
    return _json(
        ActorPage(
            items=[ActorOut.of(info, replica) for info in page],
            next_cursor=encode_cursor("actor", page[-1].lead_key) if more else None,
        )
    )


@_admin.get("/leads")
async def list_leads() -> ResponseReturnValue:
    query = _query(LeadsQuery)
    status = query.status.value if query.status is not None else None
    reads = services().queries.admin
    rows = await reads.leads(status=status, after=query.after, limit=query.limit + 1)
    page, more = rows[: query.limit], len(rows) > query.limit
    return _json(
        LeadPage(
            items=[LeadOut.model_validate(row) for row in page],
            next_cursor=encode_cursor("lead", page[-1].lead_key) if more else None,
        )
    )


@_admin.get("/leads/<wa_id>")
async def get_lead(wa_id: str) -> ResponseReturnValue:
    found = await services().queries.admin.lead_file(await _lead_key(wa_id))
    if found is None:
        raise AdminProblem(404, "no such lead")
    lead_file, latest = found
    reads = services().queries.admin
    money, design = reads.money(lead_file), reads.design(lead_file)
    consent_reads = services().queries.consent
    lead_id = lead_file.lead.lead_id
    consent = None if consent_reads is None else await consent_reads.of_lead(lead_id)
    detail = LeadDetail.of(lead_file, latest, money, design, reads.waitlist(lead_file), consent)
    return _json(detail)


@_admin.post("/leads/<wa_id>/reply")
async def reply_to_lead(wa_id: str) -> ResponseReturnValue:
    lead_key = await _lead_key(wa_id)
    raw = await request.get_data(cache=False, as_text=False)
    assert isinstance(raw, bytes)
    try:
        body = ReplyBody.model_validate_json(raw)
    except ValidationError as error:
        raise AdminProblem(422, "invalid body", _details(error)) from None
    taken = await services().actors.handle(ReplyToLead(lead_key, body.text, correlation_id()))
    if taken is None:
        raise AdminProblem(404, "no such lead")
    log.info("admin.replied", lead=mask_phone(lead_key), delivery=taken.delivery)
    return _json(ReplyResult.model_validate(taken))


@_admin.post("/leads/<wa_id>/<action>")
async def act_on_lead(wa_id: str, action: str) -> ResponseReturnValue:
    acted = ACTIONS.get(action)
    if acted is None:
        raise AdminProblem(422, "unknown action", [f"action: one of {', '.join(sorted(ACTIONS))}"])
    lead_key = await _lead_key(wa_id)
    extra = _query(ActionQuery)
    if acted is ArtistAction.REFUND:
        await _refundable(lead_key, extra.amount_minor)
    taken = await services().actors.handle(
        ActOnLead(
            lead_key,
            acted,
            correlation_id(),
            extra.deposit_minor,
            session_minutes=extra.session_minutes,
            refund_amount=extra.amount_minor,
            quote=extra.quote_minor,
            sessions=extra.sessions,
        )
    )
    if taken is None:
        raise AdminProblem(404, "no such lead")
    log.info("admin.acted", lead=mask_phone(lead_key), action=acted.value, outcome=taken.outcome)
    if taken.outcome is TurnOutcome.NOT_APPLICABLE:
        # Recorded in the lead's file, and changed nothing: say so, with the status.
        raise AdminProblem(
            409,
            "action not allowed in the lead's status",
            [f"{action}: not applicable while the lead is {taken.status}"],
        )
    return _json(
        ActionResult(
            wa_id=lead_key,
            action=action,
            message_id=taken.message_id,
            outcome=taken.outcome,
            status=Status(taken.status),
            version=taken.version,
        )
    )


async def _refundable(lead_key: str, amount_minor: int | None) -> None:
    """Refuse a refund of more than is left, naming the most that can be (409)."""
    reads = services().queries.admin
    found = await reads.lead_file(lead_key)
    if found is None:
        raise AdminProblem(404, "no such lead")
    left = reads.money(found[0]).refundable_minor
    if not left:
        raise AdminProblem(409, "nothing to refund", ["refund: no paid deposit is left"])
    if amount_minor is not None and amount_minor > left:
        raise AdminProblem(
            409, "more than is left to refund", [f"amount_minor: at most {left} is left"]
        )


@_admin.get("/dead-letters")
async def list_dead_letters() -> ResponseReturnValue:
    query = _query(DeadLettersQuery)
    reads = services().queries.admin
    rows = await reads.dead_letters(before=query.before_id, limit=query.limit + 1)
    page, more = rows[: query.limit], len(rows) > query.limit
    return _json(
        DeadLetterPage(
            items=[DeliveryOut.model_validate(row) for row in page],
            next_cursor=encode_cursor("dead", str(page[-1].id)) if more else None,
        )
    )


@_admin.get("/refused")
async def list_refused_items() -> ResponseReturnValue:
    query = _query(RefusedQuery)
    reads = services().queries.admin
    rows = await reads.refused_items(before=query.before_id, limit=query.limit + 1)
    page, more = rows[: query.limit], len(rows) > query.limit
    return _json(
        RefusedPage(
            items=[RefusedItemOut.model_validate(row) for row in page],
            next_cursor=encode_cursor("refused", str(page[-1].id)) if more else None,
        )
    )


@_admin.post("/deliveries/<delivery_id>/redrive")
async def redrive(delivery_id: str) -> ResponseReturnValue:
    outbox_id = _row_id(delivery_id, "no such delivery")
    outcome = await services().actors.handle(RedriveDeadLetter(outbox_id, correlation_id()))
    if outcome is RedriveOutcome.NOT_FOUND:
        raise AdminProblem(404, "no such delivery")
    if outcome is RedriveOutcome.NOT_DEAD:
        raise AdminProblem(409, "the delivery is not dead-lettered")
    log.info("admin.redriven", outbox_id=outbox_id)
    return _json(RedriveResult(id=outbox_id, status="pending"))


@_admin.get("/calendar")
async def calendar_address() -> ResponseReturnValue:
    return _json(_address(await services().queries.calendar_feed.address()))


@_admin.post("/calendar/rotate")
async def rotate_calendar_key() -> ResponseReturnValue:
    try:
        address = await services().actors.handle(RotateFeedKey())
    except KeyFromSettings:
        raise AdminProblem(
            409, "the feed's key is STUDIO_CALENDAR_KEY", ["change it there and restart"]
        ) from None
    log.info("admin.calendar_key_rotated")
    return _json(_address(address))


@_admin.get("/media/<media_id>")
async def get_media(media_id: str) -> ResponseReturnValue:
    found = await services().queries.admin.media(_row_id(media_id, "no such media"))
    if found is None:
        raise AdminProblem(404, "no such media")
    return _json(MediaContentOut.of(found))


admin_only(blueprint)  # /openapi.json, and /admin/... nested in it
blueprint.register_blueprint(_admin)


def _address(address: FeedAddress) -> CalendarAddress:
    base = services().settings.public_base_url or request.host_url
    url = f"{base.rstrip('/')}/studio/calendar.ics?{urlencode({'key': address.key})}"
    return CalendarAddress(url=url, key_source=address.source.value, rotated_at=address.rotated_at)


def _row_id(given: str, missing: str) -> int:
    """A path's positive integer id (422 if it is not one, 404 if out of range)."""
    if not (given.isascii() and given.isdigit()):
        raise AdminProblem(422, "invalid id", ["id: a positive integer"])
    row_id = int(given) if len(given) <= 19 else 0
    if not 0 < row_id <= MAX_DELIVERY_ID:
        raise AdminProblem(404, missing)
    return row_id


def _json(model: BaseModel) -> ResponseReturnValue:
    return model.model_dump(mode="json"), 200


def _query(model: type[_Query]) -> _Query:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise AdminProblem(422, "invalid query", _details(error)) from None


def _details(error: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(part) for part in e['loc']) or 'query'}: {e['msg']}"
        for e in error.errors(include_url=False, include_input=False)
    ]


async def _lead_key(any_id: str) -> str:
    """The lead a path names by phone, BSUID, parent BSUID (current or previous), lead
    id or key; 404 when none."""
    if not is_lead_key(any_id):
        raise AdminProblem(404, "no such lead")
    found = await services().queries.admin.lead_key(any_id)
    if found is None:
        raise AdminProblem(404, "no such lead")
    return found
