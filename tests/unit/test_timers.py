"""Silence and deadlines as data: which timers are armed, and what firing one does."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from actors.lead import (
    ArmedTimer,
    CancelTimer,
    Decision,
    Deposit,
    DepositLinkCreated,
    LeadBehaviour,
    LeadState,
    Message,
    Outcome,
    Policy,
    ScheduleTimer,
    Status,
    TimerFired,
    TimerKind,
)
from tests.unit.lead_fixtures import ARTIST, LEAD, NOW, msg, reply, script

S = Status
K = TimerKind
T0 = int(NOW.timestamp())
STALE_AFTER, ABANDON_AFTER, REMIND_BEFORE = 1000, 5000, 300


def lead() -> LeadBehaviour:
    policy = Policy(
        artist_number=ARTIST,
        stale_after_s=STALE_AFTER,
        abandon_after_s=ABANDON_AFTER,
        deposit_reminder_before_s=REMIND_BEFORE,
    )
    return LeadBehaviour(script(), policy)


def fire(state: LeadState, kind: TimerKind, *, later_s: int = 0) -> Decision:
    armed = next(t for t in state.timers if t.kind is kind)
    event = TimerFired(
        f"timer:{kind}", LEAD, 7, kind, armed.due_at, NOW + timedelta(seconds=later_s)
    )
    return lead().decide(state, event)


def sent(decision: Decision) -> list[str]:
    return [e.key for e in decision.effects if isinstance(e, Message) and e.to == LEAD]


def test_starting_to_qualify_arms_the_silence_timer() -> None:
    decision = lead().decide(LeadState(wa_id=LEAD), msg("Hi"))
    assert decision.state.timers == (ArmedTimer(K.STALE, T0 + STALE_AFTER),)
    assert ScheduleTimer(K.STALE, T0 + STALE_AFTER) in decision.effects


def test_each_message_from_the_lead_restarts_the_silence() -> None:
    first = lead().decide(LeadState(wa_id=LEAD), msg("Hi")).state
    later = replace(msg("a rose"), received_at=NOW + timedelta(seconds=400))
    decision = lead().decide(first, later)
    assert decision.state.timers == (ArmedTimer(K.STALE, T0 + 400 + STALE_AFTER),)


def test_silence_sends_one_reminder_then_abandons() -> None:
    state = lead().decide(LeadState(wa_id=LEAD), msg("Hi")).state
    stale = fire(state, K.STALE, later_s=STALE_AFTER)
    assert stale.state.status is S.STALE
    assert sent(stale) == ["reminder"]
    assert stale.state.timers == (ArmedTimer(K.ABANDON, T0 + STALE_AFTER + ABANDON_AFTER),)
    abandoned = fire(stale.state, K.ABANDON, later_s=STALE_AFTER + ABANDON_AFTER)
    assert abandoned.state.status is S.ABANDONED
    assert sent(abandoned) == []
    assert abandoned.state.timers == ()


def test_a_reply_after_the_reminder_cancels_the_abandonment() -> None:
    state = lead().decide(LeadState(wa_id=LEAD), msg("Hi")).state
    stale = fire(state, K.STALE, later_s=STALE_AFTER).state
    woken = lead().decide(stale, replace(msg("a rose"), received_at=NOW + timedelta(hours=1)))
    assert woken.state.status is S.QUALIFYING
    assert CancelTimer(K.ABANDON) in woken.effects
    assert [t.kind for t in woken.state.timers] == [K.STALE]


def test_a_timer_that_was_rearmed_does_nothing_when_the_old_one_fires() -> None:
    state = lead().decide(LeadState(wa_id=LEAD), msg("Hi")).state
    old_due = state.timers[0].due_at
    answered = lead().decide(state, replace(msg("a rose"), received_at=NOW + timedelta(seconds=10)))
    late = lead().decide(answered.state, TimerFired("timer:old", LEAD, 1, K.STALE, old_due, NOW))
    assert late.outcome is Outcome.NOT_APPLICABLE
    assert late.state.status is S.QUALIFYING
    assert sent(late) == []


def test_leaving_the_conversation_cancels_the_silence_timer() -> None:
    confirming = LeadState(wa_id=LEAD, status=S.CONFIRMING, timers=(ArmedTimer(K.STALE, T0 + 99),))
    decision = lead().decide(confirming, reply("confirm"))
    assert decision.state.status is S.PENDING_APPROVAL
    assert CancelTimer(K.STALE) in decision.effects
    assert decision.state.timers == ()


def test_the_deposit_link_is_followed_by_one_reminder_before_it_expires() -> None:
    state = LeadState(
        wa_id=LEAD, status=S.BOOKING_PENDING, deposit_attempt=1, deposit=Deposit.REQUESTED
    )
    expires = T0 + 20_000
    created = DepositLinkCreated("m", LEAD, 1, "cs_1", "https://pay.test/cs_1", expires, NOW)
    linked = lead().decide(state, created)
    assert linked.state.timers == (ArmedTimer(K.DEPOSIT_REMINDER, expires - REMIND_BEFORE),)
    reminded = fire(linked.state, K.DEPOSIT_REMINDER)
    assert sent(reminded) == ["deposit_reminder"]
    assert reminded.state.status is S.BOOKING_PENDING
    assert reminded.state.timers == ()  # one reminder, not one per poll
