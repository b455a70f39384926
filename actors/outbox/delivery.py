"""
A claimed outbox row as deliverers see it: the typed effect it carries, and the two
rules judged at delivery time rather than when the row was written (one place each):

    reaches_opted_out_lead   nothing reaches an opted-out lead but the confirmation of
                             the opt-out itself
    outside_window           WhatsApp's 24 hours since the lead's last message are over
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from actors.lead import ConfirmOptOut, OutboxEffect, Status, WhatsAppMessage
from actors.outbox.deadline import Deadline
from storage import ClaimedDelivery

__all__ = ["WINDOW", "Deliverer", "Delivery", "outside_window", "reaches_opted_out_lead"]

WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Delivery:
    """One claimed row: its effect, decoded, and the claim that fences its settle."""

    effect: OutboxEffect
    claim: ClaimedDelivery  # the row's id, keys, times and lead, as claimed


class Deliverer(Protocol):
    async def deliver(self, delivery: Delivery, deadline: Deadline) -> str | None:
        """
        Deliver one effect, checking `deadline` last thing before the provider call and
        bounding the call by it; return the provider's id for it. Raise a
        `DeliveryError` (or `LeaseLapsed`, from the deadline) otherwise.
        """


def reaches_opted_out_lead(delivery: Delivery) -> bool:
    """Whether this is a message to a lead who opted out (other than the confirmation)."""
    effect = delivery.effect
    if not isinstance(effect, WhatsAppMessage):
        return False
    return (
        delivery.claim.lead_status == Status.OPTOUT.value
        and effect.to == delivery.claim.lead_key
        and not isinstance(effect, ConfirmOptOut)
    )


def outside_window(delivery: Delivery, now: datetime, artist_number: str | None) -> bool:
    """Whether we know the lead's 24 hours are over (unknown: let Meta judge).

    Only a message to the lead itself counts: the artist's window is not tracked.
    """
    effect = delivery.effect
    last_inbound = delivery.claim.last_inbound_at
    if not isinstance(effect, WhatsAppMessage) or last_inbound is None:
        return False
    if effect.to != delivery.claim.lead_key or effect.to == artist_number:
        return False
    return now - last_inbound >= WINDOW
