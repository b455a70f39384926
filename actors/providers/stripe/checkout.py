"""
The deposit channel: make the Stripe Checkout Session for one approval attempt, then hand
the link to the lead's actor, which records the session and sends the link.

The idempotency key is the outbox row's (`deposit:<lead>:<attempt>`) and every parameter
is derived from the row and the lifetime window the request goes out in, so a retried
delivery, or a second replica after a crash, gets Stripe's replay of the same session
rather than a second one.

The session's `expires_at` is counted from when the request goes out, not from when the
row was written, and kept inside what Stripe takes (30 minutes to 24 hours from its
creation) whatever the delay: time since the row was written is cut into windows of
`WINDOW_S`; a send in window k asks for `expires_at` = the window's end plus the lifetime
and, after the first window, names the window in the key (`.../late<k>`), since Stripe
refuses a key replayed with other parameters. The lead's hold follows the link's expiry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
from actors.money import Money
from actors.outbox.deadline import Deadline
from actors.outbox.delivery import Delivery
from actors.providers.stripe.client import stripe_configured, stripe_failure
from actors.runtime.inbound import Inbound
from actors.runtime.registry import ActorRuntime
from storage import Database, DatabaseUnavailable

__all__ = ["CheckoutLinks", "Lifetime", "lifetime"]

log = structlog.get_logger("actors.providers.stripe.checkout")

MIN_TTL_S, MAX_TTL_S = 30 * 60, 24 * 60 * 60  # what Stripe accepts for expires_at
WINDOW_S = 5 * 60  # a retry within the same window replays the same request
_MARGIN_S = 60  # the request's time on the wire and the clocks' skew


@dataclass(frozen=True)
class Lifetime:
    """When a Checkout Session sent now expires, and the idempotency key it goes with."""

    expires_at: int  # seconds since the epoch
    idempotency_key: str


def lifetime(row_key: str, written_at: datetime, now: datetime, ttl_s: int) -> Lifetime:
    """`expires_at` between 30 minutes (and a margin) and 24 hours from `now`, the same
    for every send in one window since the row was written."""
    late = max(0, int((now - written_at).total_seconds()) // WINDOW_S)
    window_end = written_at + timedelta(seconds=(late + 1) * WINDOW_S)
    life = min(max(ttl_s, MIN_TTL_S + _MARGIN_S), MAX_TTL_S - WINDOW_S - _MARGIN_S)
    key = row_key if late == 0 else f"{row_key}/late{late}"
    return Lifetime(int((window_end + timedelta(seconds=life)).timestamp()), key)


class CheckoutLinks:
    def __init__(
        self,
        client: stripe.StripeClient | None,
        db: Database,
        runtime: ActorRuntime,
        *,
        deposit: Money,
        ttl_s: int,
        success_url: str,
        cancel_url: str,
        product_name: str,
        fee_name: str = "Drawing fee",
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        studio: str | None = None,
    ) -> None:
        if not MIN_TTL_S <= ttl_s <= MAX_TTL_S:
            raise ValueError(f"deposit link lifetime must be {MIN_TTL_S}..{MAX_TTL_S} s")
        self._client = client
        self._db = db
        self._runtime = runtime
        self._deposit = deposit  # the usual one; an approval's own is in its currency
        self._ttl = ttl_s
        self._success_url = success_url
        self._cancel_url = cancel_url
        self._product_name = product_name
        self._fee_name = fee_name  # the drawing fee's line (the copy's drawing_fee_product)
        self._now = now  # Stripe counts expires_at on its own clock: the real one
        self._studio = studio  # the studio's slug, in each session's metadata

    async def deliver(self, delivery: Delivery, deadline: Deadline) -> str | None:
        effect = delivery.effect
        if not isinstance(effect, RequestDepositLink):
            raise PermanentDeliveryError("wrong_channel", type(effect).__name__)
        stripe_configured(self._client)
        lead_id = await self._lead_id(effect.wa_id)
        deadline.check()  # a repeat is harmless (the idempotency key), but pointless
        amount = Money(effect.amount or self._deposit.minor, self._deposit.currency)
        fee = Money(effect.drawing_fee, amount.currency) if effect.drawing_fee else None
        session = await self._create(delivery, lead_id, amount, fee)
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

    def _params(
        self, lead_id: str, amount: Money, expires_at: int, fee: Money | None = None
    ) -> dict[str, Any]:
        # Derived from the row and the window: a retry in the same window sends identical
        # parameters, or Stripe would refuse the idempotency key.
        metadata = {"lead_id": lead_id}
        if self._studio is not None:
            metadata["studio"] = self._studio
        return {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": amount.currency.lower(),
                        "unit_amount": amount.minor,  # in the currency's own minor unit
                        "product_data": {"name": self._product_name},
                    },
                    "quantity": 1,
                },
                *([] if fee is None else [self._line(fee, self._fee_name)]),
            ],
            "client_reference_id": lead_id,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "expires_at": expires_at,
            "success_url": self._success_url,
            "cancel_url": self._cancel_url,
        }

    @staticmethod
    def _line(amount: Money, name: str) -> dict[str, Any]:
        """A line of its own: the drawing fee, beside the deposit."""
        return {
            "price_data": {
                "currency": amount.currency.lower(),
                "unit_amount": amount.minor,
                "product_data": {"name": name},
            },
            "quantity": 1,
        }

    async def _create(
        self, delivery: Delivery, lead_id: str, amount: Money, fee: Money | None = None
    ) -> dict[str, Any]:
        assert self._client is not None
        claim = delivery.claim
        sent = lifetime(claim.idempotency_key, claim.created_at, self._now(), self._ttl)
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params=self._params(lead_id, amount, sent.expires_at, fee),  # type: ignore[arg-type]
                options={"idempotency_key": sent.idempotency_key},
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
