"""
`POST /webhooks/stripe`: verify, parse, hand to the actors (`TakeStripeEvent`), answer
after commit. NUL and lone surrogates anywhere in the event (its metadata is whatever
was written into it) are replaced by U+FFFD first (`web.clean_json`), so they can
neither fail the parse nor the turn that stores the event.

Which lead an event belongs to is `actors.providers.stripe.payments`'s rule; an event
that matches no lead is kept by the artist's actor and acknowledged, and nothing is sent.
"""

from __future__ import annotations

from dataclasses import replace

import structlog
from pydantic import ValidationError
from quart import Blueprint, ResponseReturnValue, current_app, request
from werkzeug.exceptions import NotFound

from actors.commands import StripePayment, TakeStripeEvent
from actors.providers.stripe import PaymentRef
from actors.tenants import DEFAULT_STUDIO_ID
from web.clean_json import NotJson, load_clean_json
from web.errors import MalformedBody
from web.request_ids import correlation_id
from web.services import Services, directory_of, services
from web.signatures import verify_stripe_signature
from web.stripe_models import StripeEvent

__all__ = ["blueprint", "stripe_payment"]

blueprint = Blueprint("stripe_webhook", __name__)
log = structlog.get_logger("web.stripe")


@blueprint.post("/webhooks/stripe")
async def stripe_events() -> ResponseReturnValue:
    """The default studio's endpoint, and a Connect platform's: verified with
    STRIPE_WEBHOOK_SECRET; an event of a connected account goes to the studio whose
    --stripe-account it is (an account that is no studio's stays the default's, and
    matches none of its leads)."""
    default = services()
    event = await _verified_event(default)
    running = default
    if event.account is not None:
        running = _studio_of_account(event.account) or default
    return await _take(running, event)


@blueprint.post("/webhooks/stripe/<slug>")
async def studio_stripe_events(slug: str) -> ResponseReturnValue:
    """A stored studio with its own Stripe account: verified with its own
    --stripe-webhook-secret only."""
    running = directory_of(current_app.extensions).by_slug(slug)
    if running is None or running.studio is None or running.studio.id == DEFAULT_STUDIO_ID:
        raise NotFound()
    return await _take(running, await _verified_event(running))


async def _verified_event(running: Services) -> StripeEvent:
    body = await request.get_data(cache=False, as_text=False)
    assert isinstance(body, bytes)
    secret = running.settings.stripe_webhook_secret
    verify_stripe_signature(
        secret.get_secret_value() if secret else "", body, request.headers.get("Stripe-Signature")
    )
    try:
        return StripeEvent.model_validate(load_clean_json(body))
    except NotJson as error:
        raise MalformedBody(f"not JSON: {error}") from None
    except ValidationError as error:
        raise MalformedBody(f"{error.error_count()} validation errors") from error


async def _take(running: Services, event: StripeEvent) -> ResponseReturnValue:
    """Hand the event to the studio it was routed to. One whose metadata names another
    studio acts on nothing (recorded and acknowledged): its lead and session references
    are not looked for. (Row-level security would not find them either.)"""
    named = event.data.object.metadata.get("studio")
    foreign = running.studio is not None and named is not None and named != running.studio.slug
    payment = stripe_payment(event)
    reference = _reference(event)
    if foreign:
        payment = replace(payment, session_id=None, payment_intent=None, claimed_lead_id=None)
        reference = PaymentRef(None, None, is_checkout_session=False, reference=None)
    outcome = await running.actors.handle(
        TakeStripeEvent(payment, reference, event.model_dump(mode="json"), correlation_id())
    )
    return {"received": {outcome: 1}}, 200


def _studio_of_account(account: str) -> Services | None:
    return next(
        (
            s
            for s in directory_of(current_app.extensions).all()
            if s.studio is not None and s.studio.settings.get("stripe_account") == account
        ),
        None,
    )


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
