"""
`POST /webhooks/stripe`: verify, parse, hand to the actors (`TakeStripeEvent`), answer
after commit. NUL and lone surrogates anywhere in the event (its metadata is whatever
was written into it) are replaced by U+FFFD first (`web.clean_json`), so they can
neither fail the parse nor the turn that stores the event.

Which lead an event belongs to is `actors.providers.stripe.payments`'s rule; an event
that matches no lead is kept by the artist's actor and acknowledged, and nothing is sent.
"""

from __future__ import annotations

import structlog
from pydantic import ValidationError
from quart import Blueprint, ResponseReturnValue, request

from actors.commands import StripePayment, TakeStripeEvent
from actors.providers.stripe import PaymentRef
from web.clean_json import NotJson, load_clean_json
from web.errors import MalformedBody
from web.request_ids import correlation_id
from web.services import services
from web.signatures import verify_stripe_signature
from web.stripe_models import StripeEvent

__all__ = ["blueprint", "stripe_payment"]

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
        event = StripeEvent.model_validate(load_clean_json(body))
    except NotJson as error:
        raise MalformedBody(f"not JSON: {error}") from None
    except ValidationError as error:
        raise MalformedBody(f"{error.error_count()} validation errors") from error
    outcome = await running.actors.handle(
        TakeStripeEvent(
            stripe_payment(event),
            _reference(event),
            event.model_dump(mode="json"),
            correlation_id(),
        )
    )
    return {"received": {outcome: 1}}, 200


def stripe_payment(event: StripeEvent) -> StripePayment:
    """What a verified Stripe event says (the load test's reference uses it too)."""
    obj = event.data.object
    claimed = obj.metadata.get("lead_id")
    return StripePayment(
        event_id=event.id,
        event_type=event.type,
        livemode=event.livemode,
        session_id=obj.session_id,
        payment_status=obj.payment_status,
        amount=obj.money,
        currency=obj.currency,
        payment_intent=obj.payment_intent,
        claimed_lead_id=None if claimed is None else str(claimed),
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
