"""
Refunds of a paid deposit, as the lead's behaviour decides them (pure): full or partial,
each numbered for its own idempotency key, never more than is left, a form's refund once.
"""

from __future__ import annotations

from dataclasses import replace

from actors.lead import (
    ArtistAction,
    Deposit,
    DepositLinkCreated,
    LeadBehaviour,
    LeadState,
    OfferSlots,
    Policy,
    RefundDeposit,
    RequestDepositLink,
    Status,
)
from tests.unit import lead_fixtures
from tests.unit.lead_fixtures import ALL_ANSWERED, ARTIST, LEAD, NOW, act
from tests.unit.steps import paid
from tests.unit.studio_fixtures import studio

A, S = ArtistAction, Status
BOOKED = LeadState(
    wa_id=LEAD,
    status=S.BOOKED,
    name="Ana",
    answers=ALL_ANSWERED,
    deposit=Deposit.PAID,
    payment_intent="pi_1",
    deposit_amount=8000,
    paid_amount=8000,
)


def behaviour() -> LeadBehaviour:
    return LeadBehaviour(lead_fixtures.script(), Policy(artist_number=ARTIST))


def refund(state: LeadState, amount: int | None, number: int | None = None) -> LeadState:
    acted = replace(act(A.REFUND), refund_amount=amount, refund_number=number)
    return behaviour().decide(state, acted).state


def test_a_partial_refund_then_the_rest_each_with_its_own_key() -> None:
    first = behaviour().decide(BOOKED, replace(act(A.REFUND), refund_amount=3000))
    (made,) = [e for e in first.effects if isinstance(e, RefundDeposit)]
    assert made == RefundDeposit(LEAD, "pi_1", 3000, "gbp", f"refund:{LEAD}:pi_1:1")
    assert (first.state.status, first.state.refunded_amount) == (S.BOOKED, 3000)
    rest = behaviour().decide(first.state, act(A.REFUND))  # no amount: all that is left
    (made,) = [e for e in rest.effects if isinstance(e, RefundDeposit)]
    assert made == RefundDeposit(LEAD, "pi_1", 5000, "gbp", f"refund:{LEAD}:pi_1:2")
    nothing_left = behaviour().decide(rest.state, act(A.REFUND))
    assert not any(isinstance(e, RefundDeposit) for e in nothing_left.effects)


def test_more_than_is_left_or_an_old_form_refunds_nothing() -> None:
    too_much = behaviour().decide(BOOKED, replace(act(A.REFUND), refund_amount=8001))
    assert too_much.state == BOOKED
    assert not any(isinstance(e, RefundDeposit) for e in too_much.effects)
    once = refund(BOOKED, 1000, number=1)
    assert once.refunded_amount == 1000
    assert refund(once, 1000, number=1) == once  # the same form posted again
    assert refund(once, 1000, number=2).refunded_amount == 2000


def test_stripes_partial_refund_leaves_the_rest_paid_and_the_whole_one_refunded() -> None:
    asked = refund(BOOKED, 3000)
    partial = replace(paid("charge.refunded"), amount=3000)
    assert behaviour().decide(asked, partial).state.deposit is Deposit.PAID
    whole = replace(paid("charge.refunded"), amount=8000)
    assert behaviour().decide(refund(asked, None), whole).state.deposit is Deposit.REFUNDED


def test_the_amount_approved_with_appointments_on_is_the_amount_linked() -> None:
    policy = Policy(artist_number=ARTIST, studio=studio(), hold_s=3600)
    rules = LeadBehaviour(lead_fixtures.script(), policy)
    waiting = LeadState(wa_id=LEAD, status=S.PENDING_APPROVAL, name="Ana", answers=ALL_ANSWERED)
    approved = rules.decide(waiting, replace(act(A.APPROVE), deposit_amount=8000))
    assert approved.state.deposit_amount == 8000
    (offer,) = [e for e in approved.effects if isinstance(e, OfferSlots)]
    pick = lead_fixtures.reply(f"slot:{offer.slots[0]}")
    picked = rules.decide(approved.state, pick)
    (link,) = [e for e in picked.effects if isinstance(e, RequestDepositLink)]
    assert link.amount == 8000
    created = DepositLinkCreated("m", LEAD, 1, "cs_1", "https://c/cs_1", 1_900_000_000, NOW)
    sent = rules.decide(picked.state, created)
    assert "£80.00" in str(sent.effects)


def test_a_second_session_for_the_same_attempt_is_recorded_and_never_sent() -> None:
    """A create retried in a later lifetime window, after the first answer was lost, makes
    a second session: the lead keeps the link they have; the other's events still route."""
    pending = LeadState(wa_id=LEAD, status=S.BOOKING_PENDING, deposit_attempt=1)
    first = DepositLinkCreated("m1", LEAD, 1, "cs_1", "https://c/cs_1", 1_900_000_000, NOW)
    linked = behaviour().decide(pending, first)
    second = DepositLinkCreated("m2", LEAD, 1, "cs_2", "https://c/cs_2", 1_900_000_600, NOW)
    again = behaviour().decide(linked.state, second)
    assert again.state == linked.state
    assert [type(e).__name__ for e in again.effects] == ["RecordDepositSession", "RecordEvent"]
    assert behaviour().decide(linked.state, first).effects == ()  # Stripe's replay: nothing
