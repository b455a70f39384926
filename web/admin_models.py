"""
The admin API's shapes: query parameters in, JSON out. Pydantic, because this is an edge;
the OpenAPI document (`web.openapi`) is generated from these same classes.

Cursors are opaque to callers: URL-safe base64 of `<list>:<last key>`, so a cursor from
one list is refused (422) by another instead of being read as something else.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar, Literal, Self
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from actors import ActorInfo, TurnOutcome
from actors.admin import LeadFile
from actors.lead import Answer, ArtistAction, Status

__all__ = [
    "ACTIONS",
    "MAX_DELIVERY_ID",
    "MAX_KEY_LENGTH",
    "WA_ID_PATTERN",
    "ActionResult",
    "ActorOut",
    "ActorPage",
    "ActorsQuery",
    "AnswerOut",
    "AttemptOut",
    "DeadLetterPage",
    "DeadLettersQuery",
    "DeliveryOut",
    "DepositSessionOut",
    "ErrorBody",
    "EventOut",
    "InboxOut",
    "LatestAnswerOut",
    "LeadDetail",
    "LeadOut",
    "LeadPage",
    "LeadsQuery",
    "RedriveResult",
    "SnapshotOut",
    "TimerOut",
    "encode_cursor",
    "is_lead_key",
]

# URL spelling -> the artist's action: approve, decline, take-over, hand-back, resume, opt-out
ACTIONS: dict[str, ArtistAction] = {a.value.replace("_", "-"): a for a in ArtistAction}
WA_ID_PATTERN = r"^[0-9]{1,32}$"  # what WhatsApp ids look like (documented, not enforced)
MAX_KEY_LENGTH = 64
MAX_DELIVERY_ID = 2**63 - 1  # outbox ids are bigint
_CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"


def is_lead_key(value: str) -> bool:
    """Whether `value` could name a lead (so it is safe to look up: no NUL, no surrogates)."""
    return 0 < len(value) <= MAX_KEY_LENGTH and value.isprintable()


def encode_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def _decode_cursor(kind: str, token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, ValueError):
        raise ValueError("not a cursor") from None
    found, _, key = raw.partition(":")
    if found != kind or not key:
        raise ValueError("not a cursor of this list")
    return key


# -- query parameters ---------------------------------------------------------------------


class _PageQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    _cursor_kind: ClassVar[str]

    cursor: str | None = Field(
        default=None,
        max_length=512,
        pattern=_CURSOR_PATTERN,
        description="`next_cursor` of the previous page; omit for the first page",
    )
    limit: int = Field(default=50, ge=1, le=200, description="page size")
    _after: str | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v != ""}
        return data

    @model_validator(mode="after")
    def _read_cursor(self) -> Self:
        if self.cursor is not None:
            self._after = self._check_key(_decode_cursor(self._cursor_kind, self.cursor))
        return self

    def _check_key(self, key: str) -> str:
        if not is_lead_key(key):
            raise ValueError("not a cursor of this list")
        return key

    @property
    def after(self) -> str | None:
        """The last key of the previous page."""
        return self._after


class ActorsQuery(_PageQuery):
    _cursor_kind = "actor"


class LeadsQuery(_PageQuery):
    _cursor_kind = "lead"

    status: Status | None = Field(default=None, description="only leads in this status")


class DeadLettersQuery(_PageQuery):
    _cursor_kind = "dead"

    def _check_key(self, key: str) -> str:
        if not key.isascii() or not key.isdigit() or not 0 < int(key) <= MAX_DELIVERY_ID:
            raise ValueError("not a cursor of this list")
        return key

    @property
    def before_id(self) -> int | None:
        return int(self._after) if self._after is not None else None


# -- responses ------------------------------------------------------------------------------
# Built straight from the stored rows (`model_validate(row)`): field names follow the
# columns, except that a lead is named by its wa_id (`lead_key` in the database).


def _wa_id() -> Any:
    return Field(validation_alias=AliasChoices("wa_id", "lead_key"))


class _Out(BaseModel):
    # Every field is always present in a response, so the document says so.
    model_config = ConfigDict(
        frozen=True, from_attributes=True, json_schema_serialization_defaults_required=True
    )


class ErrorBody(_Out):
    error: str
    details: list[str] = []


class ActorOut(_Out):
    wa_id: str = _wa_id()
    status: Status | None = Field(description="null until the actor has loaded its lead")
    mailbox_depth: int
    last_activity: datetime
    replica: str = Field(description="hostname:pid of the process running the actor")

    @classmethod
    def of(cls, info: ActorInfo, replica: str) -> ActorOut:
        return cls.model_validate({**vars(info), "replica": replica})


class ActorPage(_Out):
    items: list[ActorOut]
    next_cursor: str | None


class LeadOut(_Out):
    wa_id: str = _wa_id()
    lead_id: UUID
    status: Status
    version: int
    last_inbound_at: datetime | None
    created_at: datetime
    updated_at: datetime


class LeadPage(_Out):
    items: list[LeadOut]
    next_cursor: str | None


class SnapshotOut(LeadOut):
    state: dict[str, Any] = Field(description="the lead's state as its actor stores it")


class AnswerOut(_Out):
    seq: int
    question: str = Field(validation_alias=AliasChoices("question", "question_key"))
    value: str
    media_id: str | None
    message_id: str
    answered_at: datetime


class LatestAnswerOut(_Out):
    question: str
    value: str
    seq: int
    media_id: str | None
    message_id: str


class InboxOut(_Out):
    message_id: str
    outcome: str
    correlation_id: str | None
    received_at: datetime
    payload: dict[str, Any]


class EventOut(_Out):
    id: int
    at: datetime
    level: Literal["info", "warn", "error"]
    kind: str
    correlation_id: str | None
    detail: dict[str, Any]


class AttemptOut(_Out):
    attempt: int
    outcome: str
    error_code: str | None
    error_detail: str | None
    provider_message_id: str | None
    correlation_id: str | None
    at: datetime


class DeliveryOut(_Out):
    id: int
    wa_id: str = _wa_id()
    channel: str
    status: Literal["pending", "sent", "dead", "suppressed"]
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    provider_message_id: str | None
    last_error: str | None
    idempotency_key: str
    correlation_id: str | None
    payload: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None
    delivery_attempts: list[AttemptOut]


class TimerOut(_Out):
    id: int
    kind: str
    status: Literal["pending", "fired", "cancelled"]
    due_at: datetime
    lease_until: datetime | None
    created_at: datetime
    finished_at: datetime | None


class DepositSessionOut(_Out):
    session_id: str
    attempt: int
    url: str
    expires_at: datetime
    payment_intent: str | None
    created_at: datetime


class LeadDetail(_Out):
    snapshot: SnapshotOut
    answers: list[AnswerOut] = Field(description="every answer as given, by seq")
    latest_answers: list[LatestAnswerOut] = Field(
        description="the latest answer per question (highest seq wins), in question order"
    )
    inbox: list[InboxOut]
    events: list[EventOut]
    outbox: list[DeliveryOut]
    timers: list[TimerOut]
    deposit_sessions: list[DepositSessionOut]

    @classmethod
    def of(cls, found: LeadFile, latest: Iterable[Answer]) -> LeadDetail:
        return cls.model_validate(
            {
                "snapshot": found.lead,
                "answers": found.answers,
                "latest_answers": list(latest),
                "inbox": found.inbox,
                "events": found.events,
                "outbox": found.outbox,
                "timers": found.timers,
                "deposit_sessions": found.deposit_sessions,
            }
        )


class ActionResult(_Out):
    wa_id: str
    action: str
    message_id: str = Field(description="the inbox id of the action: admin:<uuid>")
    outcome: TurnOutcome
    status: Status = Field(description="the lead's status after the action's turn")
    version: int


class DeadLetterPage(_Out):
    items: list[DeliveryOut]
    next_cursor: str | None


class RedriveResult(_Out):
    id: int
    status: Literal["pending"]
