"""
The deposit's rules: the Checkout link, and what each Stripe event may do. Pure.

A lead is booked only when every check holds: the session is one we issued to this
lead, the mode (live / test) is our key's, the payment is complete, and the amount and
currency are the deposit's. States only move forward: a late or superseded event never
un-books. Anything that does not add up is recorded and the artist is told.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from actors.lead.artist_side import who
from actors.lead.messages import ConfirmBooking, SendDepositLink
from actors.lead.model import (
    Calendar,
    Decision,
    Deposit,
    DepositLinkCreated,
    DepositSession,
    Effect,
    LeadState,
    Outcome,
    PaymentEventReceived,
    RecordDepositSession,
    RecordEvent,
    RecordPaymentIntent,
    ReleaseSlot,
    RequestDepositLink,
    SendMessage,
)
from actors.lead.pieces import fee_due
from actors.lead.script import Policy
from actors.lead.status import Status
from actors.lead.transitions import move

if TYPE_CHECKING:
    from actors.lead.appointments import AppointmentRules

__all__ = ["MAX_LINKS", "DepositRules"]

S = Status
_NO_CALENDAR = Calendar()
MAX_LINKS = 2  # the first link, and one more after it expires
_PAID = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


class DepositRules:
    def __init__(self, policy: Policy, appointments: AppointmentRules | None = None) -> None:
        self._policy = policy
        self._appointments = appointments  # set: the deposit secures a picked time

    # -- the link ------------------------------------------------------------------------

    def on_link_created(self, state: LeadState, event: DepositLinkCreated) -> Decision:
        """Stripe made the session: remember it and send the lead the link."""
        current = event.attempt == state.deposit_attempt
        known = any(s.session_id == event.session_id for s in state.deposit_sessions)
        if known or not current or state.status is not S.BOOKING_PENDING:
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)
        if any(s.attempt == event.attempt for s in state.deposit_sessions):
            # One link per attempt: a create retried in a later lifetime window made a
            # second session after the first one's answer was lost. The lead keeps the
            # first; the second is recorded so its events (its expiry) find this lead.
            kept = RecordDepositSession(
                event.session_id, event.attempt, event.url, event.expires_at
            )
            noted = RecordEvent("info", "second_session_unused", {"session_id": event.session_id})
            return Decision(state, (kept, noted))
        session = DepositSession(event.attempt, event.session_id, event.url, event.expires_at)
        state = replace(
            state,
            deposit=Deposit.LINK_SENT,
            deposit_sessions=(*state.deposit_sessions, session),
            deposit_reminded=False,
        )
        # The policy goes with the link: read before paying.
        link = SendDepositLink(
            state.wa_id,
            event.url,
            self._amount(state),
            event.attempt,
            session=state.session_number + 1 if state.session_number else 0,
            first=state.links_before + 1,
        )
        record = RecordDepositSession(event.session_id, event.attempt, event.url, event.expires_at)
        held: list[Effect] = []
        if self._appointments is not None:
            held = self._appointments.hold_follows(state, event.expires_at)
        return Decision(state, (record, *held, link))

    # -- Stripe's events -------------------------------------------------------------------

    def on_payment(
        self, state: LeadState, event: PaymentEventReceived, calendar: Calendar = _NO_CALENDAR
    ) -> Decision:
        if event.event_type in _PAID:
            return self._paid(state, event, calendar)
        if event.event_type == "checkout.session.expired":
            return self._expired(state, event, calendar)
        if event.event_type == "checkout.session.async_payment_failed":
            return self._noted(state, event, "warn", "payment_failed", tell="payment_failed")
        if event.event_type == "charge.refunded" and state.deposit is Deposit.REFUND_REQUESTED:
            # The refund we asked for went through: reconciled, no alarm; the artist learns
            # the money is back with the lead. A partial one leaves the rest paid.
            state = replace(state, deposit=self._after_refund(state, event))
            noted = self._noted(state, event, "info", "refund_reconciled", tell=None)
            if state.deposit is Deposit.PAID:  # part of it: say how much, and what stays
                return Decision(state, (*noted.effects, *self._part_refunded(state, event)))
            done = self._tell_artist(state, "artist_refund_done")
            return Decision(state, (*noted.effects, *done))
        if event.event_type == "charge.refunded":  # from Stripe's dashboard: not ours
            refunded = max(state.refunded_amount, event.amount or 0)
            state = replace(
                state, deposit=self._after_refund(state, event), refunded_amount=refunded
            )
            return self._noted(state, event, "warn", "refunded", tell="payment_refunded")
        if event.event_type == "charge.dispute.created":
            state = replace(state, deposit=Deposit.DISPUTED)
            return self._noted(state, event, "error", "disputed", tell="payment_disputed")
        return self._noted(state, event, "info", "stripe_unhandled", tell=None)

    def _paid(self, state: LeadState, event: PaymentEventReceived, calendar: Calendar) -> Decision:
        if event.event_type == "checkout.session.completed" and event.payment_status != "paid":
            # An asynchronous method (a bank debit): wait for async_payment_succeeded.
            return self._noted(state, event, "info", "payment_pending", tell=None)
        problems = self._problems(state, event)
        if problems:
            return self._noted(
                state, event, "error", "payment_rejected", tell="payment_rejected",
                problems=",".join(problems),
            )  # fmt: skip
        if state.status is S.BOOKED:
            if event.payment_intent == state.payment_intent:
                return Decision(state, outcome=Outcome.NOT_APPLICABLE)  # the same payment again
            return self._noted(state, event, "error", "paid_twice", tell="payment_twice")
        bookable = state.status is S.BOOKING_PENDING or (
            state.status is S.NEEDS_ARTIST_REPLY and state.resume_status is S.BOOKING_PENDING
        )
        if not bookable:
            return self._noted(
                state, event, "error", "paid_not_bookable", tell="payment_not_bookable"
            )
        state = replace(
            move(state, S.BOOKED, event),
            deposit=Deposit.PAID,
            payment_intent=event.payment_intent,
            # The deposit's part: the drawing fee is never refunded, nor taken off the price.
            paid_amount=None if event.amount is None else event.amount - (fee_due(state) or 0),
            resume_status=None,
        )
        effects: list[Effect] = [RecordEvent("info", "booked", self._detail(event))]
        if event.session_id and event.payment_intent:
            effects.append(RecordPaymentIntent(event.session_id, event.payment_intent))
        if self._appointments is not None and state.visit is not None:
            state, said = self._appointments.booked(
                state, calendar, event.received_at, self._amount(state)
            )
            return Decision(state, (*effects, *said))
        booked = ConfirmBooking(state.wa_id, self._amount(state))
        return Decision(state, (booked, *effects, *self._tell_artist(state, "artist_booked")))

    def _problems(self, state: LeadState, event: PaymentEventReceived) -> list[str]:
        policy = self._policy
        problems = []
        if not any(s.session_id == event.session_id for s in state.deposit_sessions):
            problems.append("session_not_ours")
        if not event.metadata_lead_matches:
            problems.append("metadata_mismatch")
        if policy.livemode is not None and event.livemode != policy.livemode:
            problems.append("livemode_mismatch")
        deposit = state.deposit_amount or policy.deposit_amount
        if event.amount != deposit + (fee_due(state) or 0):  # the fee is its own line
            problems.append("amount_mismatch")
        if (event.currency or "").lower() != policy.deposit_currency.lower():
            problems.append("currency_mismatch")
        return problems

    def _expired(
        self, state: LeadState, event: PaymentEventReceived, calendar: Calendar
    ) -> Decision:
        latest = state.deposit_sessions[-1] if state.deposit_sessions else None
        current = latest is not None and latest.session_id == event.session_id
        if not current or state.status is not S.BOOKING_PENDING:
            return self._noted(state, event, "info", "expired_superseded", tell=None)
        held = self._appointments is not None and state.visit is not None
        links = state.deposit_attempt - state.links_before  # this session's links
        if held and links < MAX_LINKS:
            assert self._appointments is not None
            noted = RecordEvent("info", "link_expired", self._detail(event))
            return self._appointments.link_expired(state, calendar, event, (noted,))
        if links < MAX_LINKS:
            attempt = state.deposit_attempt + 1
            state = replace(state, deposit_attempt=attempt, deposit=Deposit.REQUESTED)
            effects: tuple[Effect, ...] = (
                RecordEvent("info", "link_expired", self._detail(event)),
                RequestDepositLink(state.wa_id, attempt, state.deposit_amount, fee_due(state)),
            )
            return Decision(state, effects)
        state = replace(move(state, S.ABANDONED, event), deposit=Deposit.EXPIRED, visit=None)
        return Decision(
            state,
            (
                *((ReleaseSlot(),) if held else ()),
                SendMessage(to=state.wa_id, key="deposit_expired"),
                RecordEvent("warn", "abandoned_unpaid", self._detail(event)),
                *self._tell_artist(state, "artist_deposit_expired"),
            ),
        )

    # -- helpers ---------------------------------------------------------------------------

    def _noted(
        self,
        state: LeadState,
        event: PaymentEventReceived,
        level: str,
        kind: str,
        *,
        tell: str | None,
        problems: str | None = None,
    ) -> Decision:
        """Record what happened; tell the artist when a person should look at it."""
        detail = self._detail(event) | ({"problems": problems} if problems else {})
        effects: list[Effect] = [RecordEvent(level, kind, detail)]
        if tell is not None:
            effects.extend(self._tell_artist(state, "artist_payment_notice", reason=tell))
        return Decision(state, tuple(effects))

    def _tell_artist(
        self, state: LeadState, key: str, *, reason: str | None = None
    ) -> list[SendMessage]:
        artist = self._policy.artist_number
        if artist is None:
            return []
        params = who(state)
        if reason is not None:
            params["reason"] = reason
        return [SendMessage(to=artist, key=key, params=params)]

    def _detail(self, event: PaymentEventReceived) -> dict[str, str | int | bool | None]:
        return {
            "event_id": event.event_id,
            "type": event.event_type,
            "session_id": event.session_id,
            "amount": event.amount,
            "currency": event.currency,
            "livemode": event.livemode,
        }

    def _amount(self, state: LeadState) -> str:
        """The lead's deposit as the copy's locale writes it ("£50.00", "50,00 €"): the
        approval's own amount, else the configured one."""
        policy = self._policy
        return policy.money(state.deposit_amount or policy.deposit_amount).format(policy.locale)

    def _part_refunded(self, state: LeadState, event: PaymentEventReceived) -> list[SendMessage]:
        """The artist's word that part of the deposit is back with the lead."""
        policy = self._policy
        if policy.artist_number is None:
            return []
        paid = state.paid_amount or state.deposit_amount or policy.deposit_amount
        back = event.amount or 0
        params = who(state) | {
            "amount": policy.money(back).format(policy.locale),
            "left": policy.money(max(paid - back, 0)).format(policy.locale),
        }
        return [SendMessage(to=policy.artist_number, key="artist_refund_part_done", params=params)]

    def _after_refund(self, state: LeadState, event: PaymentEventReceived) -> Deposit:
        """Refunded once Stripe has given back all that was paid; paid while some is left."""
        paid = state.paid_amount or state.deposit_amount or self._policy.deposit_amount
        whole = event.amount is None or event.amount >= paid
        return Deposit.REFUNDED if whole else Deposit.PAID
