"""
The deposit channel: make the Stripe Checkout Session for one approval attempt, then hand
the link to the lead's actor, which records the session and sends the link.

The idempotency key is the outbox row's (`deposit:<lead>:<attempt>`) and every parameter
is derived from the row, so a retried delivery, or a second replica after a crash, gets
Stripe's replay of the same session rather than a second one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
import structlog

from actors.errors import (
    ActorError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from actors.lead import RequestDepositLink
from actors.outbox.deadline import Deadline
from actors.outbox.delivery import Delivery
from actors.providers.stripe.client import stripe_configured, stripe_failure
from actors.runtime.inbound import Inbound
from actors.runtime.registry import ActorRuntime
from storage import Database, DatabaseUnavailable

__all__ = ["CheckoutLinks"]

log = structlog.get_logger("actors.providers.stripe.checkout")

MIN_TTL_S, MAX_TTL_S = 30 * 60, 24 * 60 * 60  # what Stripe accepts for expires_at


class CheckoutLinks:
    def __init__(
        self,
        client: stripe.StripeClient | None,
        db: Database,
        runtime: ActorRuntime,
        *,
        amount_minor: int,
        currency: str,
        ttl_s: int,
        success_url: str,
        cancel_url: str,
        product_name: str,
    ) -> None:
        if not MIN_TTL_S <= ttl_s <= MAX_TTL_S:
            raise ValueError(f"deposit link lifetime must be {MIN_TTL_S}..{MAX_TTL_S} s")
        self._client = client
        self._db = db
        self._runtime = runtime
        self._amount = amount_minor
        self._currency = currency.lower()
        self._ttl = ttl_s
        self._success_url = success_url
        self._cancel_url = cancel_url
        self._product_name = product_name

    async def deliver(self, delivery: Delivery, deadline: Deadline) -> str | None:
        effect = delivery.effect
        if not isinstance(effect, RequestDepositLink):
            raise PermanentDeliveryError("wrong_channel", type(effect).__name__)
        stripe_configured(self._client)
        lead_id = await self._lead_id(effect.wa_id)
        deadline.check()  # a repeat is harmless (the idempotency key), but pointless
        session = await self._create(delivery, lead_id, effect.amount or self._amount)
        await self._tell_actor(delivery, effect, session)
        return str(session["id"])

    async def _lead_id(self, wa_id: str) -> str:
        try:
            async with self._db.reads() as unit:
                lead = await unit.leads.get(wa_id)
        except DatabaseUnavailable as error:
            raise RetryableDeliveryError("database", str(error)) from error
        if lead is None:
            raise PermanentDeliveryError("unknown_lead", "the lead row is gone")
        return str(lead.lead_id)

    def _params(self, delivery: Delivery, lead_id: str, amount: int) -> dict[str, Any]:
        # Derived from the row, not the clock: a retry must send identical parameters or
        # Stripe refuses the idempotency key. If the window has passed, Stripe replays a
        # session it already made, or refuses a new one (a permanent error: re-approve).
        expires_at = delivery.claim.created_at + timedelta(seconds=self._ttl)
        metadata = {"lead_id": lead_id}
        return {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": self._currency,
                        "unit_amount": amount,
                        "product_data": {"name": self._product_name},
                    },
                    "quantity": 1,
                }
            ],
            "client_reference_id": lead_id,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "expires_at": int(expires_at.timestamp()),
            "success_url": self._success_url,
            "cancel_url": self._cancel_url,
        }

    async def _create(self, delivery: Delivery, lead_id: str, amount: int) -> dict[str, Any]:
        assert self._client is not None
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params=self._params(delivery, lead_id, amount),  # type: ignore[arg-type]
                options={"idempotency_key": delivery.claim.idempotency_key},
            )
        except stripe.StripeError as error:
            raise stripe_failure(error) from error
        return {"id": session.id, "url": session.url, "expires_at": session.expires_at}

    async def _tell_actor(
        self, delivery: Delivery, effect: RequestDepositLink, session: dict[str, Any]
    ) -> None:
        inbound = Inbound.from_deposit_link(
            wa_id=effect.wa_id,
            attempt=effect.attempt,
            session_id=str(session["id"]),
            url=str(session["url"]),
            expires_at=int(session["expires_at"]),
            now=datetime.now(UTC),
            correlation_id=delivery.claim.correlation_id,
        )
        try:
            await self._runtime.ask(inbound)
        except ActorError as error:  # the session exists; the replayed retry will land it
            raise RetryableDeliveryError("turn_failed", type(error).__name__) from error
