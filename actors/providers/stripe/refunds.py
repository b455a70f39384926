"""
The refund channel (`stripe_refund`): give a lead's deposit back through Stripe's Refund
API, exactly once.

Exactly once rests on Stripe's idempotency layer: every delivery of a `RefundDeposit`
sends the effect's own `idempotency_key` with the same parameters, so a retry after a
timeout, a lost answer or a crash gets Stripe's replay of the one refund it made. What
follows a refund (the lead's deposit marked refunded, the artist told) comes back
through Stripe's `charge.refunded` webhook, like every payment fact.

Failures are classified as for every Stripe call (`actors.providers.stripe.client`): rate limits,
connection trouble and Stripe's 5xx are retried with the outbox's backoff; a refusal
(an unknown payment, a deposit already refunded, a wrong key) is permanent and becomes
a dead letter.
"""

from __future__ import annotations

import stripe
import structlog

from actors.errors import PermanentDeliveryError
from actors.lead import RefundDeposit
from actors.outbox.deadline import Deadline
from actors.outbox.delivery import Delivery
from actors.providers.stripe.client import stripe_configured, stripe_failure
from actors.runtime.masking import mask_phone

__all__ = ["Refunds"]

log = structlog.get_logger("actors.providers.stripe.refunds")


class Refunds:
    def __init__(self, client: stripe.StripeClient | None) -> None:
        self._client = client

    async def deliver(self, delivery: Delivery, deadline: Deadline) -> str | None:
        effect = delivery.effect
        if not isinstance(effect, RefundDeposit):
            raise PermanentDeliveryError("wrong_channel", type(effect).__name__)
        client = stripe_configured(self._client)
        deadline.check()  # a repeat is harmless (the idempotency key), but pointless
        try:
            refund = await client.v1.refunds.create_async(
                params={
                    "payment_intent": effect.payment_intent,
                    "amount": effect.amount,
                    "metadata": {"reason": "cancelled_by_artist"},
                },
                options={"idempotency_key": effect.idempotency_key},
            )
        except stripe.StripeError as error:
            raise stripe_failure(error) from error
        if (refund.currency or "").lower() != effect.currency.lower():
            log.warning(
                "refunds.currency_differs",
                lead=mask_phone(effect.lead_key),
                expected=effect.currency,
                refunded=refund.currency,
            )
        log.info("refunds.made", lead=mask_phone(effect.lead_key), status=refund.status)
        return str(refund.id)
