"""
One verified Stripe event: a turn of the lead it belongs to, or, when it belongs to no
lead, of the artist's actor, which keeps it (once) with a warning and sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from actors.artist import PaymentUnrouted
from actors.commands.model import StripePayment, TakeStripeEvent
from actors.lead import PaymentEventReceived
from actors.providers.stripe.payments import PaymentRouting
from actors.runtime.inbound import ArtistInbound, Inbound
from actors.runtime.message_ids import stripe_event_message_id
from actors.runtime.registry import ActorRuntime

__all__ = ["UNROUTED", "StripeIntake", "payment_event"]

log = structlog.get_logger("actors.commands.payments")

UNROUTED = "unrouted"  # what an event no lead claims comes to, whatever the artist's turn did


def payment_event(
    payment: StripePayment, *, lead_key: str, lead_id: str, now: datetime
) -> PaymentEventReceived:
    """The lead's event for a verified Stripe event (the load test's reference uses it too)."""
    return PaymentEventReceived(
        message_id=stripe_event_message_id(payment.event_id),
        wa_id=lead_key,
        event_id=payment.event_id,
        event_type=payment.event_type,
        received_at=now,
        livemode=payment.livemode,
        session_id=payment.session_id,
        payment_status=payment.payment_status,
        amount=payment.amount,
        currency=payment.currency,
        payment_intent=payment.payment_intent,
        metadata_lead_matches=(
            payment.claimed_lead_id is None or payment.claimed_lead_id == lead_id
        ),
    )


@dataclass(frozen=True)
class StripeIntake:
    _runtime: ActorRuntime
    _routing: PaymentRouting
    _now: Callable[[], datetime]
    _turn_wait_s: float

    async def take(self, command: TakeStripeEvent) -> str:
        payment = command.payment
        route = await self._routing.lead_for(command.ref)
        now = self._now()
        if route is None:
            message_id = stripe_event_message_id(payment.event_id)
            unrouted = PaymentUnrouted(message_id, payment.event_type, now)
            kept = ArtistInbound.of(unrouted, command.record, command.correlation_id)
            await self._runtime.ask_within(kept, self._turn_wait_s)
            log.info("stripe.unrouted", event_type=payment.event_type)
            return UNROUTED
        event = payment_event(payment, lead_key=route.lead_key, lead_id=route.lead_id, now=now)
        inbound = Inbound.from_stripe(event, command.record, command.correlation_id)
        return (await self._runtime.ask_within(inbound, self._turn_wait_s)).value
