"""
What the behaviour's step tables share: a step (a lead in a status meets an event), who
gets what in a decision's effects, and Stripe's and the timers' events for the lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from actors.lead import (
    Calendar,
    ClaimSlot,
    Effect,
    Event,
    LeadState,
    Outcome,
    PaymentEventReceived,
    RefundDeposit,
    ReleaseSlot,
    Status,
    TimerFired,
    TimerKind,
)
from actors.lead.model import Message, RequestDepositLink, SendMedia
from tests.unit.lead_fixtures import LEAD, NOW

__all__ = ["LEAD", "Step", "fired", "keys", "paid"]


def fired(kind: TimerKind, due_at: int) -> TimerFired:
    return TimerFired(f"timer:{kind}", LEAD, 1, kind, due_at, NOW)


def paid(event_type: str, *, session: str = "cs_1", at: datetime = NOW) -> PaymentEventReceived:
    """Stripe's event about the lead's `session`, paid in full."""
    return PaymentEventReceived(
        message_id=f"stripe:{event_type}:{session}",
        wa_id=LEAD,
        event_id=f"evt_{event_type}_{session}",
        event_type=event_type,
        received_at=at,
        livemode=False,
        session_id=session,
        payment_status="paid",
        amount=5000,
        currency="gbp",
        payment_intent="pi_1",
    )


def keys(effects: Sequence[Effect]) -> list[str]:
    """Who gets what: 'lead:<key>', 'artist:<key>', 'artist:media', 'deposit', and the
    slot writes: 'claim:<kind>', 'release', 'release:cancelled'; a refund: 'refund'."""
    out: list[str] = []
    for effect in effects:
        match effect:
            case SendMedia():
                out.append("artist:media")
            case _ if isinstance(effect, Message):
                out.append(f"{'lead' if effect.to == LEAD else 'artist'}:{effect.key}")
            case RequestDepositLink():
                out.append("deposit")
            case ClaimSlot(kind=kind):
                out.append(f"claim:{kind}")
            case ReleaseSlot(cancelled=cancelled):
                out.append("release:cancelled" if cancelled else "release")
            case RefundDeposit():
                out.append("refund")
    return out


@dataclass(frozen=True)
class Step:
    name: str
    state: LeadState
    event: Event
    status: Status
    effects: list[str]
    outcome: Outcome = Outcome.PROCESSED
    policy: dict[str, object] = field(default_factory=dict)
    via: tuple[Status, ...] = ()  # restart rows passed through within the one decision
    calendar: Calendar = field(default_factory=Calendar)  # what the turn read (appointments)
