"""
`POST /webhooks/stripe`: verify, parse, route to the lead's actor, answer after commit.

Which lead an event belongs to is `actors.providers.stripe.payments`'s rule; events that
match no lead are kept there and acknowledged, and nothing is sent.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import structlog
from pydantic import ValidationError
from quart import Blueprint, ResponseReturnValue, request

from actors import Inbound, TurnFailed
from actors.lead import PaymentEventReceived
from actors.providers.stripe.payments import PaymentRef
from actors.runtime.message_ids import stripe_event_message_id
from web.errors import MalformedBody
from web.request_ids import correlation_id
from web.services import services
from web.signatures import verify_stripe_signature
from web.stripe_models import StripeEvent

__all__ = ["blueprint", "payment_event"]

blueprint = Blueprint("stripe_webhook", __name__)
log = structlog.get_logger("web.stripe")


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

    route = await running.payments.lead_for(_reference(event))
    if route is None:
        await running.payments.keep_unrouted(
            stripe_event_message_id(event.id), event.model_dump(mode="json"), correlation_id()
        )
        log.info("stripe.unrouted", event_type=event.type)
        return {"received": {"unrouted": 1}}, 200

    inbound = Inbound.from_stripe(
        payment_event(
            event, lead_key=route.lead_key, lead_id=route.lead_id, now=running.clock.now()
        ),
        event.model_dump(mode="json"),
        correlation_id(),
    )
    try:
        async with asyncio.timeout(running.settings.turn_wait_s):
            outcome = await running.runtime.ask(inbound)
    except TimeoutError:
        raise TurnFailed("the turn did not commit in time") from None
    return {"received": {outcome.value: 1}}, 200


def payment_event(
    event: StripeEvent, *, lead_key: str, lead_id: str, now: datetime
) -> PaymentEventReceived:
    """The lead's event for a verified Stripe event (the load test's reference uses it too)."""
    obj = event.data.object
    claimed = obj.metadata.get("lead_id")
    return PaymentEventReceived(
        message_id=stripe_event_message_id(event.id),
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


def _reference(event: StripeEvent) -> PaymentRef:
    obj = event.data.object
    return PaymentRef(
        session_id=obj.session_id,
        payment_intent=obj.payment_intent,
        is_checkout_session=obj.object == "checkout.session",
        reference=_text(obj.client_reference_id) or _text(obj.metadata.get("lead_id")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
