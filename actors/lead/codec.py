"""LeadState to and from the JSON stored in the snapshot."""

from __future__ import annotations

from typing import Any

from actors.lead.model import (
    Answer,
    ArmedTimer,
    Deposit,
    DepositSession,
    LeadState,
    TimerKind,
)
from actors.lead.status import Status

__all__ = ["state_from_json", "state_to_json"]


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
        "timers": [{"kind": t.kind.value, "due_at": t.due_at} for t in state.timers],
        "last_message_ts": state.last_message_ts,
        "answers": [
            {
                "question": a.question,
                "value": a.value,
                "message_id": a.message_id,
                "seq": a.seq,
                "media_id": a.media_id,
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
        timers=tuple(
            ArmedTimer(TimerKind(t["kind"]), int(t["due_at"])) for t in data.get("timers", [])
        ),
        last_message_ts=int(data.get("last_message_ts", 0)),
        answers=tuple(
            Answer(
                question=a["question"],
                value=a["value"],
                message_id=a["message_id"],
                seq=int(a["seq"]),
                media_id=a.get("media_id"),
            )
            for a in data.get("answers", [])
        ),
    )
