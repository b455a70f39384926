"""The deposit's rules, one Stripe event at a time: book only what adds up, never un-book."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from actors.copy import Composer, load_copy
from actors.lead import (
    ArtistAction,
    ConfirmBooking,
    Deposit,
    DepositLinkCreated,
    DepositSession,
    LeadBehaviour,
    LeadState,
    Message,
    Outcome,
    PaymentEventReceived,
    Policy,
    RecordDepositSession,
    RecordEvent,
    RecordPaymentIntent,
    RequestDepositLink,
    SendDepositLink,
    SendMessage,
    Status,
    state_from_json,
    state_to_json,
)
from tests.unit.lead_fixtures import ARTIST, LEAD, NOW, act, script

ENGLISH = Composer(load_copy(Path(__file__).resolve().parents[2] / "copy", "en_GB"))

S = Status
FIRST = DepositSession(1, "cs_test_1", "https://checkout.test/1", 1_900_000_000)
SECOND = DepositSession(2, "cs_test_2", "https://checkout.test/2", 1_900_090_000)


def lead() -> LeadBehaviour:
    policy = Policy(
        artist_number=ARTIST, deposit_amount=5000, deposit_currency="gbp", livemode=False
    )
    return LeadBehaviour(script(), policy)


def pending(*sessions: DepositSession, **fields: object) -> LeadState:
    state = LeadState(
        wa_id=LEAD,
        status=S.BOOKING_PENDING,
        name="Ana",
        deposit=Deposit.LINK_SENT,
        deposit_attempt=len(sessions) or 1,
        deposit_sessions=sessions,
    )
    return replace(state, **fields)  # type: ignore[arg-type]


def stripe(
    event_type: str, session: str | None = "cs_test_1", **fields: object
) -> PaymentEventReceived:
    values: dict[str, object] = {
        "message_id": f"stripe:evt_{event_type}",
        "wa_id": LEAD,
        "event_id": f"evt_{event_type}",
        "event_type": event_type,
        "received_at": NOW,
        "livemode": False,
        "session_id": session,
        "payment_status": "paid",
        "amount": 5000,
        "currency": "gbp",
        "payment_intent": "pi_1",
    }
    values.update(fields)
    return PaymentEventReceived(**values)  # type: ignore[arg-type]


def said(decision_effects: tuple[object, ...]) -> list[str]:
    return [f"{'lead' if e.to == LEAD else 'artist'}:{e.key}"
            for e in decision_effects if isinstance(e, Message)]  # fmt: skip


def said_last(message: Message) -> str:
    """The last paragraph of the message as the lead reads it."""
    body = ENGLISH.render(message)
    return str(body["text"]["body"]).rsplit("\n\n", 1)[-1]


def recorded(decision_effects: tuple[object, ...]) -> list[str]:
    return [e.kind for e in decision_effects if isinstance(e, RecordEvent)]


def test_the_link_is_recorded_and_sent() -> None:
    state = pending(deposit=Deposit.REQUESTED)
    created = DepositLinkCreated(
        "stripe-session:cs_test_1", LEAD, 1, "cs_test_1", "https://checkout.test/1",
        1_900_000_000, NOW,
    )  # fmt: skip
    decision = lead().decide(state, created)
    assert decision.state.deposit is Deposit.LINK_SENT
    assert decision.state.deposit_sessions == (FIRST,)
    assert isinstance(decision.effects[0], RecordDepositSession)
    (link,) = [e for e in decision.effects if isinstance(e, Message)]
    assert link == SendDepositLink(LEAD, "https://checkout.test/1", "£50.00", attempt=1)
    assert link.key == "deposit_link"


@pytest.mark.parametrize("attempt", [1, 2])
def test_every_link_carries_the_deposit_policy_so_it_is_read_before_paying(attempt: int) -> None:
    sessions = (FIRST,) if attempt == 2 else ()
    state = pending(*sessions, deposit=Deposit.REQUESTED, deposit_attempt=attempt)
    created = DepositLinkCreated(
        "m", LEAD, attempt, f"cs_new_{attempt}", "https://checkout.test/new", 1_900_000_000, NOW
    )
    (link,) = [e for e in lead().decide(state, created).effects if isinstance(e, Message)]
    assert link.key == ("deposit_link" if attempt == 1 else "deposit_link_again")
    assert isinstance(link, SendDepositLink)
    assert link.amount == "£50.00"  # the policy names the amount
    assert said_last(link) == ENGLISH.plain("deposit_policy", {"amount": "£50.00"})


def test_a_link_for_an_old_attempt_is_not_sent() -> None:
    state = pending(FIRST, SECOND)
    stale = DepositLinkCreated("m", LEAD, 1, "cs_test_9", "https://x", 1, NOW)
    decision = lead().decide(state, stale)
    assert said(decision.effects) == []
    assert decision.outcome is Outcome.NOT_APPLICABLE


def test_paid_books_with_the_policy_and_tells_the_artist() -> None:
    decision = lead().decide(pending(FIRST), stripe("checkout.session.completed"))
    assert decision.state.status is S.BOOKED
    assert decision.state.deposit is Deposit.PAID
    assert decision.state.payment_intent == "pi_1"
    booked = decision.effects[0]
    assert booked == ConfirmBooking(LEAD, "£50.00")
    assert booked.key == "booked"
    assert said_last(booked) == ENGLISH.plain("deposit_policy", {"amount": "£50.00"})
    assert said(decision.effects) == ["lead:booked", "artist:artist_booked"]
    assert RecordPaymentIntent("cs_test_1", "pi_1") in decision.effects


@pytest.mark.parametrize(
    ("name", "event", "problem"),
    [
        ("wrong amount", stripe("checkout.session.completed", amount=500), "amount_mismatch"),
        ("wrong currency", stripe("checkout.session.completed", currency="eur"),
         "currency_mismatch"),
        ("live event, test key", stripe("checkout.session.completed", livemode=True),
         "livemode_mismatch"),
        ("a session we never issued", stripe("checkout.session.completed", session="cs_x"),
         "session_not_ours"),
        ("metadata names another lead",
         stripe("checkout.session.completed", metadata_lead_matches=False), "metadata_mismatch"),
    ],
)  # fmt: skip
def test_a_payment_that_does_not_add_up_books_nothing(
    name: str, event: PaymentEventReceived, problem: str
) -> None:
    decision = lead().decide(pending(FIRST), event)
    assert decision.state.status is S.BOOKING_PENDING
    assert recorded(decision.effects) == ["payment_rejected"]
    (notice,) = [e for e in decision.effects if isinstance(e, Message)]
    assert isinstance(notice, SendMessage)
    assert notice.to == ARTIST
    assert notice.params["reason"] == "payment_rejected"
    (event_record,) = [e for e in decision.effects if isinstance(e, RecordEvent)]
    assert problem in str(event_record.detail["problems"])


def test_async_payment_waits_then_books() -> None:
    rules = lead()
    waiting = rules.decide(
        pending(FIRST), stripe("checkout.session.completed", payment_status="unpaid")
    )
    assert waiting.state.status is S.BOOKING_PENDING
    assert recorded(waiting.effects) == ["payment_pending"]
    assert said(waiting.effects) == []
    paid = rules.decide(waiting.state, stripe("checkout.session.async_payment_succeeded"))
    assert paid.state.status is S.BOOKED


def test_async_failure_tells_the_artist_and_keeps_the_lead_pending() -> None:
    decision = lead().decide(pending(FIRST), stripe("checkout.session.async_payment_failed"))
    assert decision.state.status is S.BOOKING_PENDING
    assert said(decision.effects) == ["artist:artist_payment_notice"]


def test_first_expiry_makes_one_new_link_second_abandons() -> None:
    rules = lead()
    first = rules.decide(pending(FIRST), stripe("checkout.session.expired"))
    assert first.state.status is S.BOOKING_PENDING
    assert first.state.deposit_attempt == 2
    assert RequestDepositLink(LEAD, 2) in first.effects
    state = replace(first.state, deposit_sessions=(FIRST, SECOND), deposit=Deposit.LINK_SENT)
    second = rules.decide(state, stripe("checkout.session.expired", session="cs_test_2"))
    assert second.state.status is S.ABANDONED
    assert second.state.deposit is Deposit.EXPIRED
    assert said(second.effects) == ["lead:deposit_expired", "artist:artist_deposit_expired"]


def test_an_expiry_of_a_superseded_session_changes_nothing() -> None:
    before = pending(FIRST, SECOND)
    decision = lead().decide(before, stripe("checkout.session.expired"))
    assert replace(decision.state, timers=()) == before
    assert not any(isinstance(e, RequestDepositLink) for e in decision.effects)


def test_expired_then_completed_on_the_new_link_books() -> None:
    rules = lead()
    state = pending(FIRST, SECOND)
    decision = rules.decide(state, stripe("checkout.session.completed", session="cs_test_2"))
    assert decision.state.status is S.BOOKED


def test_a_late_expiry_never_unbooks() -> None:
    rules = lead()
    booked = rules.decide(pending(FIRST), stripe("checkout.session.completed")).state
    late = rules.decide(booked, stripe("checkout.session.expired"))
    assert late.state.status is S.BOOKED
    failed = rules.decide(booked, stripe("checkout.session.async_payment_failed"))
    assert failed.state.status is S.BOOKED


def test_the_same_payment_twice_books_once_and_confirms_once() -> None:
    rules = lead()
    booked = rules.decide(pending(FIRST), stripe("checkout.session.completed"))
    again = rules.decide(booked.state, stripe("checkout.session.async_payment_succeeded"))
    assert again.state == booked.state
    assert said(again.effects) == []
    assert recorded(again.effects) == []


def test_paid_on_an_abandoned_lead_is_flagged_not_booked() -> None:
    state = pending(FIRST, status=S.ABANDONED)
    decision = lead().decide(state, stripe("checkout.session.completed"))
    assert decision.state.status is S.ABANDONED
    assert recorded(decision.effects) == ["paid_not_bookable"]
    assert said(decision.effects) == ["artist:artist_payment_notice"]


@pytest.mark.parametrize(
    ("event_type", "deposit", "level"),
    [
        ("charge.refunded", Deposit.REFUNDED, "warn"),
        ("charge.dispute.created", Deposit.DISPUTED, "error"),
    ],
)
def test_refunds_and_disputes_are_recorded_and_the_artist_told(
    event_type: str, deposit: Deposit, level: str
) -> None:
    booked = pending(FIRST, status=S.BOOKED, deposit=Deposit.PAID, payment_intent="pi_1")
    decision = lead().decide(booked, stripe(event_type, session=None))
    assert decision.state.status is S.BOOKED
    assert decision.state.deposit is deposit
    (event,) = [e for e in decision.effects if isinstance(e, RecordEvent)]
    assert event.level == level
    assert said(decision.effects) == ["artist:artist_payment_notice"]


def test_an_unhandled_type_is_recorded_and_nothing_is_sent() -> None:
    decision = lead().decide(pending(FIRST), stripe("customer.created", session=None))
    assert recorded(decision.effects) == ["stripe_unhandled"]
    assert said(decision.effects) == []


def test_an_approval_with_its_own_amount_asks_for_it_says_it_and_books_only_on_it() -> None:
    waiting = LeadState(wa_id=LEAD, status=S.PENDING_APPROVAL, name="Ana")
    approval = replace(act(ArtistAction.APPROVE, via="admin"), deposit_amount=8050)
    approved = lead().decide(waiting, approval)
    assert approved.effects == (RequestDepositLink(LEAD, 1, amount=8050),)
    assert state_from_json(state_to_json(approved.state)) == approved.state  # kept

    made = DepositLinkCreated("deposit:1", LEAD, 1, FIRST.session_id, FIRST.url, 1_900_000_000, NOW)
    linked = lead().decide(approved.state, made)
    (link,) = [e for e in linked.effects if isinstance(e, Message)]
    assert isinstance(link, SendDepositLink)
    assert link.amount == "£80.50"

    usual = lead().decide(linked.state, stripe("checkout.session.completed", amount=5000))
    assert usual.state.status is S.BOOKING_PENDING  # the configured amount is not this deposit
    assert "payment_rejected" in recorded(usual.effects)
    paid = lead().decide(linked.state, stripe("checkout.session.completed", amount=8050))
    assert paid.state.status is S.BOOKED

    lapsed = lead().decide(linked.state, stripe("checkout.session.expired"))
    assert RequestDepositLink(LEAD, 2, amount=8050) in lapsed.effects  # the next link too
