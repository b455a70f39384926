"""
`POST /webhooks/stripe`: verify, parse, route to the lead's actor, answer after commit.

Routing: a Checkout Session by the session id we stored when we issued it, else by
`client_reference_id` (our opaque lead id); charges and disputes by the payment intent
the booking stored. `metadata.lead_id` is only a cross-check, passed on to the rules.
Events that match no lead are recorded and acknowledged, and nothing is sent.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog
from pydantic import ValidationError
from quart import Blueprint, ResponseReturnValue, request

from actors import Inbound, TurnFailed
from actors.lead import PaymentEventReceived
from storage import CONNECTION_ERRORS, DatabaseUnavailable, Leads, Pool
from storage.payments import PaymentRoutes
from web.errors import MalformedBody
from web.request_ids import correlation_id
from web.services import services
from web.signatures import verify_stripe_signature
from web.stripe_models import StripeEvent

__all__ = ["blueprint", "payment_event"]

blueprint = Blueprint("stripe_webhook", __name__)
log = structlog.get_logger("web.stripe")


@dataclass(frozen=True)
class _Route:
    lead_key: str
    lead_id: str


@blueprint.post("/webhooks/stripe")
async def stripe_events() -> ResponseReturnValue:
    running = services()
    body = await request.get_data(cache=False, as_text=False)
    assert isinstance(body, bytes)
    secret = running.settings.stripe_webhook_secret
    verify_stripe_signature(
        secret.get_secret_value() if secret else "", body, request.headers.get("Stripe-Signature")
    )
    try:
        event = StripeEvent.model_validate_json(body)
    except ValidationError as error:
        raise MalformedBody(f"{error.error_count()} validation errors") from error

    message_id = f"stripe:{event.id}"
    route = await _route(running.pool, event)
    if route is None:
        await _record_unrouted(running.pool, message_id, event)
        log.info("stripe.unrouted", event_type=event.type)
        return {"received": {"unrouted": 1}}, 200

    inbound = _inbound(event, route, message_id, running.clock.now())
    try:
        async with asyncio.timeout(running.settings.turn_wait_s):
            outcome = await running.runtime.ask(inbound)
    except TimeoutError:
        raise TurnFailed("the turn did not commit in time") from None
    return {"received": {outcome.value: 1}}, 200


def payment_event(
    event: StripeEvent, *, lead_key: str, lead_id: str, message_id: str, now: datetime
) -> PaymentEventReceived:
    """The lead's event for a verified Stripe event (the load test's reference uses it too)."""
    obj = event.data.object
    claimed = obj.metadata.get("lead_id")
    return PaymentEventReceived(
        message_id=message_id,
        wa_id=lead_key,
        event_id=event.id,
        event_type=event.type,
        received_at=now,
        livemode=event.livemode,
        session_id=obj.session_id,
        payment_status=obj.payment_status,
        amount=obj.money,
        currency=obj.currency,
        payment_intent=obj.payment_intent,
        metadata_lead_matches=claimed is None or str(claimed) == lead_id,
    )


def _inbound(event: StripeEvent, route: _Route, message_id: str, now: datetime) -> Inbound:
    return Inbound(
        lead_key=route.lead_key,
        message_id=message_id,
        event=payment_event(
            event, lead_key=route.lead_key, lead_id=route.lead_id, message_id=message_id, now=now
        ),
        record=event.model_dump(mode="json"),
        correlation_id=correlation_id(),
    )


async def _route(pool: Pool, event: StripeEvent) -> _Route | None:
    obj = event.data.object
    try:
        async with pool.acquire(timeout=5.0) as con:
            routes, leads = PaymentRoutes(con), Leads(con)
            lead_key = None
            if obj.session_id:
                lead_key = await routes.lead_for_session(obj.session_id)
            if lead_key is None and obj.payment_intent and obj.object != "checkout.session":
                lead_key = await routes.lead_for_payment_intent(obj.payment_intent)
            if lead_key is not None:
                lead = await leads.get(lead_key)
            else:
                fallback = obj.client_reference_id or obj.metadata.get("lead_id")
                lead = await leads.by_lead_id(uuid.UUID(fallback)) if _is_uuid(fallback) else None
    except CONNECTION_ERRORS as error:
        raise DatabaseUnavailable(type(error).__name__) from error
    return _Route(lead.lead_key, str(lead.lead_id)) if lead is not None else None


async def _record_unrouted(pool: Pool, message_id: str, event: StripeEvent) -> None:
    try:
        async with pool.acquire(timeout=5.0) as con:
            await PaymentRoutes(con).record_unrouted(
                message_id, event.model_dump(mode="json"), correlation_id(), "stripe_unrouted"
            )
    except CONNECTION_ERRORS as error:
        raise DatabaseUnavailable(type(error).__name__) from error


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
