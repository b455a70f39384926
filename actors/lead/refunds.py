"""
Refunds of a paid deposit, full or partial, exactly once each. Pure.

Each refund is numbered on the lead (`refunds_asked`); its Stripe idempotency key is the
lead's and that number, so however often its delivery is retried Stripe makes it once,
and a second refund of the same amount is a refund of its own. What is left to refund is
what Stripe took less every refund asked for: more than that is refused.
"""

from __future__ import annotations

from dataclasses import replace

from actors.lead.model import Deposit, Effect, LeadState, RecordEvent, RefundDeposit
from actors.lead.script import Policy
from actors.money import Money

__all__ = ["REFUNDABLE", "asked", "kept", "left_to_pay", "paid", "refund", "refundable"]

# A deposit Stripe holds, maybe partly given back already.
REFUNDABLE = frozenset({Deposit.PAID, Deposit.REFUND_REQUESTED, Deposit.REFUNDED})


def asked(state: LeadState, usual: Money) -> Money | None:
    """The deposit asked of the lead (the approval's own, else the usual); None: not yet."""
    if state.deposit is Deposit.NONE:
        return None
    return Money(state.deposit_amount or usual.minor, usual.currency)


def paid(state: LeadState, usual: Money) -> Money | None:
    """What the lead paid (older leads: what was asked, the only payment that booked), a
    piece's earlier sessions' deposits included (`deposit_each_session`)."""
    latest = _latest(state, usual)
    if latest is None:
        return Money(state.earlier_paid, usual.currency) if state.earlier_paid else None
    return Money(latest + state.earlier_paid, usual.currency)


def _latest(state: LeadState, usual: Money) -> int | None:
    """The latest payment's deposit (the one Stripe can still give back), in minor units."""
    if state.payment_intent is None or state.deposit not in REFUNDABLE:
        return None
    return state.paid_amount or state.deposit_amount or usual.minor


def kept(state: LeadState, usual: Money) -> Money | None:
    """What the studio keeps of a paid deposit: a no-show's (None: nothing kept)."""
    if not state.kept_amount:
        return None
    return Money(state.kept_amount, usual.currency)


def left_to_pay(state: LeadState, usual: Money) -> Money | None:
    """A piece's balance: its quote less the deposit, and the designs' drawing fees
    (None: no quote and no fee)."""
    fees = state.designs.fees
    if state.quote is None:
        return Money(fees, usual.currency) if fees else None
    taken = (_latest(state, usual) or state.deposit_amount or usual.minor) + state.earlier_paid
    return Money(max(state.quote - taken, 0) + fees, usual.currency)


def refundable(state: LeadState, usual: Money) -> Money | None:
    """What can still be given back (of the latest payment: a piece's earlier sessions
    took place); None: nothing paid, or all of it refunded."""
    taken = _latest(state, usual)
    if taken is None or taken <= state.refunded_amount:
        return None
    return Money(taken - state.refunded_amount, usual.currency)


def refund(
    state: LeadState, policy: Policy, amount: int | None, *, by: str, number: int | None = None
) -> tuple[LeadState, list[Effect]] | None:
    """`amount` (minor units; None: all that is left) back to the lead's card; None when
    there is nothing to refund, the amount is more than is left, or `number` (a form's)
    names a refund already asked for."""
    left = refundable(state, policy.deposit)
    if left is None or state.payment_intent is None:
        return None
    if number is not None and number != state.refunds_asked + 1:
        return None
    minor = left.minor if amount is None else amount
    if not 0 < minor <= left.minor:
        return None
    number = state.refunds_asked + 1
    intent = state.payment_intent
    effect = RefundDeposit(
        lead_key=state.wa_id,
        payment_intent=intent,
        amount=minor,
        currency=policy.deposit_currency,
        idempotency_key=f"refund:{state.wa_id}:{intent}:{number}",
    )
    noted = RecordEvent(
        "info",
        "refund_requested",
        {"by": by, "payment_intent": intent, "amount": minor, "number": number},
    )
    state = replace(
        state,
        deposit=Deposit.REFUND_REQUESTED,
        refunded_amount=state.refunded_amount + minor,
        refunds_asked=number,
    )
    return state, [effect, noted]
