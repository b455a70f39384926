"""
Which lead a verified Stripe event belongs to.

A Checkout Session is found by the session id we stored when we issued it, else by
`client_reference_id` (our opaque lead id); charges and disputes by the payment intent
the booking stored. `metadata.lead_id` is only a cross-check, passed on to the lead's
rules. An event that matches no lead is the artist's actor's (`actors.commands.payments`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from storage import Database

__all__ = ["PaymentRef", "PaymentRouting", "RoutedLead"]


@dataclass(frozen=True)
class PaymentRef:
    """What a Stripe object says about whose it is."""

    session_id: str | None
    payment_intent: str | None
    is_checkout_session: bool
    reference: str | None  # client_reference_id, else metadata.lead_id


@dataclass(frozen=True)
class RoutedLead:
    lead_key: str
    lead_id: str


class PaymentRouting:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def lead_for(self, ref: PaymentRef) -> RoutedLead | None:
        async with self._db.reads() as unit:
            lead_key = None
            if ref.session_id:
                lead_key = await unit.payments.lead_for_session(ref.session_id)
            if lead_key is None and ref.payment_intent and not ref.is_checkout_session:
                lead_key = await unit.payments.lead_for_payment_intent(ref.payment_intent)
            if lead_key is not None:
                lead = await unit.leads.get(lead_key)
            else:
                lead_id = _uuid(ref.reference)
                lead = await unit.leads.by_lead_id(lead_id) if lead_id else None
        return RoutedLead(lead.lead_key, str(lead.lead_id)) if lead is not None else None


def _uuid(value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
