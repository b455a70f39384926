"""
A piece of several sessions (STUDIO_FILE's `policy:`, the approval's `sessions`). Pure.

The deposit is paid once, at the first session's pick, held across the sessions and
taken off the final price (the quote). After each session but the last, the lead books
the next one from a button; that pick books at once, with no deposit link. With
`deposit_each_session: true` that pick holds the time and sends a deposit link of its
own instead, and the session books when that deposit is paid; every deposit paid comes
off the final price. What the lead reads about the balance is the copy's
(`policy.balance`), from these values.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from actors.lead.model import ArtistActed, LeadState
from actors.lead.refunds import left_to_pay
from actors.lead.script import Policy

__all__ = ["balance", "fee_due", "more_sessions", "next_deposit", "piece"]


def piece(acted: ArtistActed, policy: Policy) -> dict[str, Any]:
    """What an approval sets on the lead: the deposit asked, the quote, the sessions."""
    return {
        "deposit_amount": policy.approved_deposit(acted.deposit_amount, acted.quote),
        "quote": acted.quote,
        "sessions": acted.sessions or 1,
        "session_number": 0,
        "drawing_fee": policy.rules.drawing_fee,  # charged once, with the piece's deposit
    }


def more_sessions(state: LeadState) -> bool:
    """Whether the piece has a session after the one booked (or just done); a lead booked
    before pieces were counted is on its first (and only) session."""
    return max(state.session_number, 1) < state.sessions


def balance(state: LeadState, policy: Policy) -> int | None:
    """What is left to pay on the final day: the quote less the deposit paid; None: no quote."""
    left = left_to_pay(state, policy.deposit)
    return None if left is None else left.minor


def fee_due(state: LeadState) -> int | None:
    """The drawing fee the next deposit link carries: the piece's first only."""
    return state.drawing_fee if state.session_number == 0 else None


def next_deposit(state: LeadState) -> LeadState:
    """A later session's own deposit asked for (`deposit_each_session`): what the earlier
    ones left paid is kept apart, and this session's links count from here."""
    left = (state.paid_amount or state.deposit_amount or 0) - state.refunded_amount
    return replace(
        state,
        earlier_paid=state.earlier_paid + max(left, 0),
        paid_amount=None,
        refunded_amount=0,
        links_before=state.deposit_attempt,
    )
