"""
What one decided turn writes: effects become outbox rows (delivered after commit) or
records written in the same transaction (system events, issued deposit sessions).
"""

from __future__ import annotations

from datetime import UTC, datetime

from actors.lead import (
    CancelTimer,
    ClaimSlot,
    Decision,
    Event,
    ExtendHold,
    KeepConsent,
    LeadState,
    MessageReceived,
    MirrorLead,
    OutboxEffect,
    Outcome,
    RecordDepositSession,
    RecordEvent,
    RecordPaymentIntent,
    RefundDeposit,
    ReleaseSlot,
    RequestDepositLink,
    ScheduleTimer,
    TimerFired,
    effect_to_json,
    outbox_channel,
    state_to_json,
)
from actors.runtime.inbound import Inbound
from storage import (
    AnswerInsert,
    DepositSessionInsert,
    OutboxInsert,
    PaymentIntentLink,
    SystemEventInsert,
    TimerChange,
    TurnWrite,
)

__all__ = ["turn_write"]


def turn_write(
    lead_key: str,
    expected_version: int,
    before: LeadState,
    decision: Decision,
    message: Inbound,
    *,
    mirror_to_sheets: bool,
    notify: bool = True,
    search: str | None = None,
) -> TurnWrite:
    outbox: list[OutboxInsert] = []
    events: list[SystemEventInsert] = []
    sessions: list[DepositSessionInsert] = []
    intents: list[PaymentIntentLink] = []
    timers: list[TimerChange] = []
    for index, effect in enumerate(decision.effects):
        match effect:
            case RecordEvent():
                events.append(SystemEventInsert(effect.level, effect.kind, dict(effect.detail)))
            case RecordDepositSession():
                sessions.append(
                    DepositSessionInsert(
                        effect.session_id,
                        effect.attempt,
                        effect.url,
                        datetime.fromtimestamp(effect.expires_at, UTC),
                    )
                )
            case RecordPaymentIntent():
                intents.append(PaymentIntentLink(effect.session_id, effect.payment_intent))
            case ScheduleTimer():
                due = datetime.fromtimestamp(effect.due_at, UTC)
                timers.append(TimerChange(effect.kind.value, due))
            case CancelTimer():
                timers.append(TimerChange(effect.kind.value, None))
            case ClaimSlot() | ReleaseSlot() | ExtendHold() | KeepConsent():
                pass  # written before the rest of the turn (actors.runtime.turn)
            case _:
                outbox.append(_outbox_row(effect, f"{message.message_id}/{index}"))
    after = decision.state
    if mirror_to_sheets and (
        after.status is not before.status
        or after.deposit is not before.deposit
        or after.refunded_amount != before.refunded_amount
    ):
        # The Sheet reads the lead as it is when the row is delivered, so one row per
        # change of a shown column is enough and a late or retried one is never stale.
        outbox.append(_outbox_row(MirrorLead(lead_key), f"{message.message_id}/sheet"))
    return TurnWrite(
        lead_key=lead_key,
        expected_version=expected_version,
        status=decision.state.status.value,
        state=state_to_json(decision.state),
        last_inbound_at=_last_inbound_at(lead_key, message.event, decision),
        message_id=message.message_id,
        outcome=decision.outcome.value,
        correlation_id=message.correlation_id,
        inbox_payload=message.record,
        outbox=outbox,
        answers=_new_answers(before, decision.state),
        events=events,
        deposit_sessions=sessions,
        payment_intents=intents,
        timer_changes=timers,
        fired_timer=_fired(message.event),
        notify=notify,
        search=search,
    )


def _outbox_row(effect: OutboxEffect, idempotency_key: str) -> OutboxInsert:
    """An effect as the relay will find it: its channel, its JSON, its idempotency key."""
    if isinstance(effect, RequestDepositLink):
        # One key per lead and attempt: however often it is retried, one session.
        idempotency_key = f"deposit:{effect.wa_id}:{effect.attempt}"
    if isinstance(effect, RefundDeposit):
        idempotency_key = effect.idempotency_key  # one refund per payment, however retried
    return OutboxInsert(outbox_channel(effect), effect_to_json(effect), idempotency_key)


def _fired(event: Event) -> tuple[int, datetime] | None:
    if not isinstance(event, TimerFired):
        return None
    return event.timer_id, datetime.fromtimestamp(event.due_at, UTC)


def _new_answers(before: LeadState, after: LeadState) -> list[AnswerInsert]:
    known = max((a.seq for a in before.answers), default=0)
    return [
        AnswerInsert(a.seq, a.question, a.value, a.media_id) for a in after.answers if a.seq > known
    ]


def _last_inbound_at(lead_key: str, event: Event, decision: Decision) -> datetime | None:
    """When the lead last wrote to us: WhatsApp's 24-hour window counts from it."""
    if (
        isinstance(event, MessageReceived)
        and event.wa_id == lead_key
        and decision.outcome is Outcome.PROCESSED
    ):
        return datetime.fromtimestamp(event.sent_at, UTC)
    return None
