"""
The lead's JSON, both ways: its state (the snapshot) and its outbox effects (the
payloads the relay delivers). Nothing else reads these payloads by key: deliverers get
the typed effect back from `effect_from_json`. The one other reader is migration
storage/migrations/0016_codec_field_views.sql, whose views name the fields storage
selects (the lead's name and visit, a message's copy key): rename one here, replace it there.

An effect is stored with its `type`; a WhatsApp message has one per kind
(`actors.lead.message_codec`). Rows written before the type was stored are recognised
by their channel and fields, here and in `message_codec` and nowhere else.
"""

from __future__ import annotations

from typing import Any, Literal

from actors.lead.consent_state import consent_from_json, consent_to_json
from actors.lead.designs_record import designs_from_json, designs_to_json
from actors.lead.message_codec import LEGACY_TYPE, MESSAGE_TYPES, message_from_json, message_to_json
from actors.lead.model import (
    Answer,
    ArmedTimer,
    Deposit,
    DepositSession,
    FetchMedia,
    LeadState,
    MarkRead,
    MediaKind,
    MirrorLead,
    NotifyWaitlist,
    OutboxEffect,
    RefundDeposit,
    RequestDepositLink,
    TimerKind,
    Visit,
    WhatsAppMessage,
)
from actors.lead.status import Status

__all__ = [
    "Channel",
    "UndecodableEffect",
    "effect_from_json",
    "effect_to_json",
    "outbox_channel",
    "state_from_json",
    "state_to_json",
]

Channel = Literal["whatsapp", "deposit", "stripe_refund", "sheets", "media", "waitlist"]


class UndecodableEffect(ValueError):
    """An outbox payload that is no effect this code knows (retrying will not help)."""


def state_to_json(state: LeadState) -> dict[str, Any]:
    return {
        "wa_id": state.wa_id,
        "status": state.status.value,
        "name": state.name,
        "current_question": state.current_question,
        "failed_attempts": state.failed_attempts,
        "editing": state.editing,
        "follow_up": state.follow_up,
        "resume_status": state.resume_status.value if state.resume_status else None,
        "pilot_notified": state.pilot_notified,
        "deposit_attempt": state.deposit_attempt,
        "deposit": state.deposit.value,
        "deposit_sessions": [
            {
                "attempt": d.attempt,
                "session_id": d.session_id,
                "url": d.url,
                "expires_at": d.expires_at,
            }
            for d in state.deposit_sessions
        ],
        "payment_intent": state.payment_intent,
        "deposit_reminded": state.deposit_reminded,
        "deposit_amount": state.deposit_amount,
        "paid_amount": state.paid_amount,
        "refunded_amount": state.refunded_amount,
        "refunds_asked": state.refunds_asked,
        "timers": [{"kind": t.kind.value, "due_at": t.due_at} for t in state.timers],
        "last_message_ts": state.last_message_ts,
        "marketing": state.marketing,
        "session_minutes": state.session_minutes,
        "visit": (
            {"starts_at": state.visit.starts_at, "ends_at": state.visit.ends_at}
            if state.visit
            else None
        ),
        "rescheduling": state.rescheduling,
        "passed_on": state.passed_on,
        "range_asked": state.range_asked,
        "waitlist": None if state.waitlist is None else list(state.waitlist),
        "offered_freed": list(state.offered_freed),
        "artist_move": state.artist_move,
        "reschedules": state.reschedules,
        "reminded": list(state.reminded),
        "healed_asked": state.healed_asked,
        "quote": state.quote,
        "sessions": state.sessions,
        "session_number": state.session_number,
        "kept_amount": state.kept_amount,
        "outcome_asked": state.outcome_asked,
        "drawing_fee": state.drawing_fee,
        "earlier_paid": state.earlier_paid,
        "links_before": state.links_before,
        "next_paid": state.next_paid,
        "unsupported_said_at": state.unsupported_said_at,
        **_identity_to_json(state),
        **({"consent": consent_to_json(state.consent)} if state.consent else {}),
        **designs_to_json(state.designs),
        "answers": [
            {
                "question": a.question,
                "value": a.value,
                "message_id": a.message_id,
                "seq": a.seq,
                "media_id": a.media_id,
                **({"media_kind": a.media_kind.value} if a.media_id else {}),
            }
            for a in state.answers
        ],
    }


def state_from_json(data: dict[str, Any]) -> LeadState:
    return LeadState(
        wa_id=data["wa_id"],
        status=Status(data["status"]),
        name=data.get("name"),
        current_question=data.get("current_question"),
        failed_attempts=int(data.get("failed_attempts", 0)),
        editing=bool(data.get("editing", False)),
        follow_up=data.get("follow_up"),
        resume_status=Status(data["resume_status"]) if data.get("resume_status") else None,
        pilot_notified=bool(data.get("pilot_notified", False)),
        deposit_attempt=int(data.get("deposit_attempt", 0)),
        deposit=Deposit(data.get("deposit", Deposit.NONE.value)),
        deposit_sessions=tuple(
            DepositSession(
                attempt=int(d["attempt"]),
                session_id=d["session_id"],
                url=d["url"],
                expires_at=int(d["expires_at"]),
            )
            for d in data.get("deposit_sessions", [])
        ),
        payment_intent=data.get("payment_intent"),
        deposit_reminded=bool(data.get("deposit_reminded", False)),
        deposit_amount=data.get("deposit_amount"),
        paid_amount=data.get("paid_amount"),
        refunded_amount=int(data.get("refunded_amount", 0)),
        refunds_asked=int(data.get("refunds_asked", 0)),
        timers=tuple(
            ArmedTimer(TimerKind(t["kind"]), int(t["due_at"])) for t in data.get("timers", [])
        ),
        last_message_ts=int(data.get("last_message_ts", 0)),
        marketing=data.get("marketing"),
        session_minutes=int(data.get("session_minutes", 0)),
        visit=_visit(data.get("visit")),
        rescheduling=bool(data.get("rescheduling", False)),
        passed_on=bool(data.get("passed_on", False)),
        range_asked=bool(data.get("range_asked", False)),
        waitlist=_waitlist(data.get("waitlist")),
        offered_freed=tuple(int(s) for s in data.get("offered_freed") or ()),
        artist_move=bool(data.get("artist_move", False)),
        reschedules=int(data.get("reschedules", 0)),
        reminded=tuple(int(m) for m in data.get("reminded", ())),
        healed_asked=bool(data.get("healed_asked", False)),
        quote=data.get("quote"),
        sessions=int(data.get("sessions") or 1),
        session_number=int(data.get("session_number") or 0),
        kept_amount=int(data.get("kept_amount") or 0),
        outcome_asked=int(data.get("outcome_asked") or 0),
        earlier_paid=int(data.get("earlier_paid") or 0),
        links_before=int(data.get("links_before") or 0),
        next_paid=bool(data.get("next_paid", False)),
        drawing_fee=data.get("drawing_fee"),
        unsupported_said_at=int(data.get("unsupported_said_at", 0)),
        phone=data.get("phone"),
        user_id=data.get("user_id"),
        parent_user_id=data.get("parent_user_id"),
        username=data.get("username"),
        consent=consent_from_json(data.get("consent")),
        designs=designs_from_json(data.get("designs")),
        answers=tuple(
            Answer(
                question=a["question"],
                value=a["value"],
                message_id=a["message_id"],
                seq=int(a["seq"]),
                media_id=a.get("media_id"),
                # Answers kept before the kind was were sent on as images.
                media_kind=MediaKind(a.get("media_kind") or MediaKind.IMAGE),
            )
            for a in data.get("answers", [])
        ),
    )


_IDENTITY = ("phone", "user_id", "parent_user_id", "username")


def _identity_to_json(state: LeadState) -> dict[str, str]:
    """Who the lead is, when WhatsApp said more than its key (absent keys: not known)."""
    return {k: v for k in _IDENTITY if (v := getattr(state, k)) is not None}


def _visit(data: dict[str, Any] | None) -> Visit | None:
    if not data:
        return None
    return Visit(starts_at=int(data["starts_at"]), ends_at=int(data["ends_at"]))


def outbox_channel(effect: OutboxEffect) -> Channel:
    """The outbox lane an effect travels in: each channel has its own deliverer."""
    match effect:
        case WhatsAppMessage() | MarkRead():
            return "whatsapp"
        case FetchMedia():
            return "media"
        case RequestDepositLink():
            return "deposit"
        case RefundDeposit():
            return "stripe_refund"
        case MirrorLead():
            return "sheets"
        case NotifyWaitlist():
            return "waitlist"


def effect_to_json(effect: OutboxEffect) -> dict[str, Any]:
    match effect:
        case WhatsAppMessage():
            return message_to_json(effect)
        case MarkRead():
            return {"type": "mark_read", "to": effect.to, "wamid": effect.wamid}
        case FetchMedia():
            return {
                "type": "fetch_media",
                "wa_id": effect.wa_id,
                "media_id": effect.media_id,
                "message_id": effect.message_id,
                "mime_type": effect.mime_type,
                "caption": effect.caption,
                "sha256": effect.sha256,
            }
        case RequestDepositLink():
            return {
                "type": "request_deposit_link",
                "wa_id": effect.wa_id,
                "attempt": effect.attempt,
                **({"amount": effect.amount} if effect.amount is not None else {}),
                **({"drawing_fee": effect.drawing_fee} if effect.drawing_fee else {}),
            }
        case RefundDeposit():
            return {
                "type": "refund_deposit",
                "lead_key": effect.lead_key,
                "payment_intent": effect.payment_intent,
                "amount": effect.amount,
                "currency": effect.currency,
                "idempotency_key": effect.idempotency_key,
            }
        case MirrorLead():
            return {"type": "mirror_lead", "wa_id": effect.wa_id}
        case NotifyWaitlist():
            return {
                "type": "notify_waitlist",
                "starts_at": effect.starts_at,
                "ends": effect.ends_at,
                "taken": effect.taken,
            }


def effect_from_json(channel: str, data: dict[str, Any]) -> OutboxEffect:
    """The effect an outbox row carries; `UndecodableEffect` names what is wrong."""
    kind = data.get("type") or _legacy_type(channel, data)
    try:
        match kind:
            case message if message in MESSAGE_TYPES:
                return message_from_json(message, data)
            case "mark_read":
                return MarkRead(to=str(data["to"]), wamid=str(data["wamid"]))
            case "fetch_media":
                return FetchMedia(
                    wa_id=str(data["wa_id"]),
                    media_id=str(data["media_id"]),
                    message_id=str(data["message_id"]),
                    mime_type=data.get("mime_type"),
                    caption=data.get("caption"),
                    sha256=data.get("sha256"),
                )
            case "request_deposit_link":
                amount = data.get("amount")
                return RequestDepositLink(
                    wa_id=str(data["wa_id"]),
                    attempt=int(data["attempt"]),
                    amount=None if amount is None else int(amount),
                    drawing_fee=int(data["drawing_fee"]) if data.get("drawing_fee") else None,
                )
            case "refund_deposit":
                return RefundDeposit(
                    lead_key=str(data["lead_key"]),
                    payment_intent=str(data["payment_intent"]),
                    amount=int(data["amount"]),
                    currency=str(data["currency"]),
                    idempotency_key=str(data["idempotency_key"]),
                )
            case "mirror_lead":
                return MirrorLead(wa_id=str(data["wa_id"]))
            case "notify_waitlist":
                return NotifyWaitlist(
                    int(data["starts_at"]), int(data["ends"]), bool(data.get("taken"))
                )
    except (KeyError, TypeError, ValueError) as error:
        raise UndecodableEffect(f"{kind} payload: {type(error).__name__} {error}") from error
    raise UndecodableEffect(f"unknown effect type {kind!r} on channel {channel!r}")


def _legacy_type(channel: str, data: dict[str, Any]) -> str:
    """What a row written before effects carried their type holds (migration-free)."""
    if channel == "whatsapp":
        return LEGACY_TYPE  # a message, or a media item (`message_codec` tells them apart)
    return {"deposit": "request_deposit_link", "sheets": "mirror_lead"}.get(channel, "")


def _waitlist(data: Any) -> tuple[str, str, int] | None:
    if not data:
        return None
    first, last, joined = data
    return (str(first), str(last), int(joined))
